/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test hooks: the primitives each backend builds the SSH constructions
 * from, with general inputs, so that published vectors can check them.
 * Not for production callers.
 */
#ifndef QSSH_CRYP_TEST_H
#define QSSH_CRYP_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto-offload/cryp.h"

struct cryp_test_ops {
	int (*gcm)(bool encrypt, const uint8_t *key, size_t key_len,
	    const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
	    const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]);
	int (*chacha20)(const uint8_t key[32], uint32_t counter,
	    const uint8_t nonce[12], const uint8_t *in, size_t len,
	    uint8_t *out);
	int (*poly1305)(const uint8_t key[32], const uint8_t *msg, size_t len,
	    uint8_t tag[16]);
	int (*chacha20_poly1305)(bool encrypt, const uint8_t key[32],
	    const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
	    const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]);
	int (*hmac)(enum cryp_mac_id mac, const uint8_t *key, size_t key_len,
	    const uint8_t *msg, size_t len, uint8_t *out);
};

/*
 * The primitives of a backend; NULL if it is not available.  gcm: on
 * decrypt tag is the input and QSSH_ERR_MAC_INVALID is returned on
 * mismatch.  chacha20: RFC 8439 (IETF) ChaCha20 from block counter 'counter'
 * (the ipsec-mb backend offers counters 0 and 1 only).
 */
const struct cryp_test_ops *cryp_test_ops(enum cryp_backend_id be);

/* Called on each freed session's memory after it was wiped. */
void cryp_test_set_free_hook(
    void (*fn)(const void *p, size_t len, void *ctx), void *ctx);

#endif
