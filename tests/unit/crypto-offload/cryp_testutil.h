/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared helpers of the crypto-offload tests. */
#ifndef QSSH_CRYP_TESTUTIL_H
#define QSSH_CRYP_TESTUTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto-offload/cryp.h"

/* Small deterministic generator; tests must be reproducible. */
static inline uint64_t
tu_rand(uint64_t *st)
{
	uint64_t x = *st;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*st = x;
	return x;
}

static inline void
tu_fill(uint64_t *st, uint8_t *p, size_t len)
{
	size_t i;
	uint64_t v = 0;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			v = tu_rand(st);
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * Build a valid SSH packet around a payload of payload_len random bytes:
 * padding >= 4 and the padded length a multiple of the block size, with or
 * without the length field counted.  Returns pkt_len (4 + packet_length).
 */
static inline uint32_t
tu_make_packet(uint64_t *st, uint8_t *pkt, uint32_t payload_len, uint32_t block,
    int len_excluded)
{
	uint32_t base = 1 + payload_len + (len_excluded ? 0 : 4);
	uint32_t pad = block - base % block;
	uint32_t plen;

	if (pad < 4)
		pad += block;
	plen = 1 + payload_len + pad;
	pkt[0] = (uint8_t)(plen >> 24);
	pkt[1] = (uint8_t)(plen >> 16);
	pkt[2] = (uint8_t)(plen >> 8);
	pkt[3] = (uint8_t)plen;
	pkt[4] = (uint8_t)pad;
	tu_fill(st, pkt + 5, payload_len + pad);
	return 4 + plen;
}

static inline int
tu_len_excluded(
    const struct cryp_cipher_info *ci, const struct cryp_mac_info *mi)
{
	return ci->aead || (mi != NULL && mi->etm) ||
	    ci->id == CRYP_CIPHER_NONE;
}

#endif
