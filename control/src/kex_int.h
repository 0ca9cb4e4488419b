/* SPDX-License-Identifier: BSD-2-Clause */
/* Private interfaces shared by the kex sources. */
#ifndef QSSH_CONTROL_KEX_INT_H
#define QSSH_CONTROL_KEX_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "control/kex.h"

/* Finite-field Diffie-Hellman state: group, private exponent, public value. */
struct kex_dh;

/* Built-in groups by modulus size: 1024 (RFC 2409), 2048/4096/8192 (3526). */
int kex_dh_new_builtin(unsigned bits, struct kex_dh **out);
int kex_dh_new_group(
    const uint8_t *p, size_t p_len, uint32_t g, struct kex_dh **out);
void kex_dh_free(struct kex_dh *dh);
unsigned kex_dh_bits(const struct kex_dh *dh);
/* Private exponent of 2*need_bits bits (capped below the modulus size). */
int kex_dh_generate(struct kex_dh *dh, unsigned need_bits);
/* Append our public value / the group's p and g as mpints. */
int kex_dh_put_public(const struct kex_dh *dh, struct qssh_buf *b);
int kex_dh_put_group(const struct kex_dh *dh, struct qssh_buf *b);
/* Check 1 < y < p-1 for a peer value (magnitude bytes). */
int
kex_dh_check_public(const struct kex_dh *dh, const uint8_t *y, size_t y_len);
/* K = peer^x mod p, appended to kmp as an mpint. */
int kex_dh_shared(const struct kex_dh *dh, const uint8_t *peer, size_t peer_len,
    struct qssh_buf *kmp);
/* Built-in group bytes for the moduli fallback. */
int kex_dh_builtin_prime(unsigned bits, uint8_t **p, size_t *p_len);

#endif
