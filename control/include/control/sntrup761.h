/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Streamlined NTRU Prime sntrup761 (p = 761, q = 4591, w = 286), the KEM of
 * the NTRU Prime round-3 submission, with its encodings and SHA-512 based
 * hashing, as used by the kex method sntrup761x25519-sha512@openssh.com.
 *
 * Secret-dependent work is constant time: no branches, table indices or
 * divisions depend on secrets.  Decapsulation uses implicit rejection: a
 * ciphertext that does not re-encrypt to itself yields a key derived from
 * the secret key's rho instead of an error.
 */
#ifndef QSSH_CONTROL_SNTRUP761_H
#define QSSH_CONTROL_SNTRUP761_H

#include <stddef.h>
#include <stdint.h>

#define SNTRUP761_PUBLICKEY_SIZE 1158
#define SNTRUP761_SECRETKEY_SIZE 1763
#define SNTRUP761_CIPHERTEXT_SIZE 1039
#define SNTRUP761_SHAREDSECRET_SIZE 32

/*
 * Source of random bytes for the deterministic variants: fill out[0..len)
 * and return 0, or return a negative QSSH_ERR_* to abort.
 *
 * The calls are, in order: for key generation, 4 * 761 bytes for each
 * candidate g (until one is invertible mod 3), 4 * 761 bytes for f, then
 * 191 bytes for rho; for encapsulation, 4 * 761 bytes for r.  Each 4-byte
 * little-endian word of a 4 * 761 byte request is one 32-bit draw of the
 * specification's random generator.
 */
typedef int (*sntrup761_random_fn)(void *ctx, uint8_t *out, size_t len);

/* Key pair from the system's random generator.  0 or QSSH_ERR_*. */
int sntrup761_keypair(
    uint8_t pk[SNTRUP761_PUBLICKEY_SIZE], uint8_t sk[SNTRUP761_SECRETKEY_SIZE]);
/* Key pair from rnd (reproducible for a deterministic rnd). */
int sntrup761_keypair_rng(uint8_t pk[SNTRUP761_PUBLICKEY_SIZE],
    uint8_t sk[SNTRUP761_SECRETKEY_SIZE], sntrup761_random_fn rnd,
    void *rnd_ctx);

/*
 * Encapsulate to pk: ciphertext ct and shared secret ss.  Every 1158-byte
 * string decodes to some public key, so this fails only on a random
 * generator or libcrypto error.
 */
int sntrup761_encap(uint8_t ct[SNTRUP761_CIPHERTEXT_SIZE],
    uint8_t ss[SNTRUP761_SHAREDSECRET_SIZE],
    const uint8_t pk[SNTRUP761_PUBLICKEY_SIZE]);
int sntrup761_encap_rng(uint8_t ct[SNTRUP761_CIPHERTEXT_SIZE],
    uint8_t ss[SNTRUP761_SHAREDSECRET_SIZE],
    const uint8_t pk[SNTRUP761_PUBLICKEY_SIZE], sntrup761_random_fn rnd,
    void *rnd_ctx);

/*
 * Decapsulate ct with sk into ss.  A ciphertext that fails re-encryption
 * still returns 0 with the implicit-rejection key in ss; errors are only
 * libcrypto failures (ss is then zeroed).
 */
int sntrup761_decap(uint8_t ss[SNTRUP761_SHAREDSECRET_SIZE],
    const uint8_t ct[SNTRUP761_CIPHERTEXT_SIZE],
    const uint8_t sk[SNTRUP761_SECRETKEY_SIZE]);

#endif
