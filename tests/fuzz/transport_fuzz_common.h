/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the transport fuzz targets: fixed keys for each algorithm. */
#ifndef QSSH_TRANSPORT_FUZZ_COMMON_H
#define QSSH_TRANSPORT_FUZZ_COMMON_H

#include <stddef.h>
#include <string.h>

#include "crypto-offload/cryp.h"
#include "dataplane/transport.h"

static const struct {
	const char *cipher, *mac;
} fuzz_algs[] = {
	{ "chacha20-poly1305@openssh.com", NULL },
	{ "aes128-gcm@openssh.com", NULL },
	{ "aes256-gcm@openssh.com", NULL },
	{ "aes128-ctr", "hmac-sha2-256-etm@openssh.com" },
	{ "aes256-ctr", "hmac-sha2-512" },
	{ "aes192-ctr", "hmac-sha1" },
	{ "none", NULL },
};
#define FUZZ_NUM_ALGS (sizeof(fuzz_algs) / sizeof(fuzz_algs[0]))

/* Fixed made-up keys; 0 when the algorithm is known. */
static int
fuzz_keys(struct tport_keys *k, size_t alg, enum tport_comp comp)
{
	size_t i;

	memset(k, 0, sizeof(*k));
	alg %= FUZZ_NUM_ALGS;
	k->cipher = cryp_cipher_by_name(fuzz_algs[alg].cipher);
	k->mac = fuzz_algs[alg].mac != NULL
	    ? cryp_mac_by_name(fuzz_algs[alg].mac)
	    : NULL;
	if (k->cipher == NULL || (fuzz_algs[alg].mac != NULL && k->mac == NULL))
		return -1;
	k->comp = comp;
	for (i = 0; i < sizeof(k->key); i++) {
		k->key[i] = (uint8_t)(0x30 + i);
		k->iv[i] = (uint8_t)(0x90 + i);
		k->mac_key[i] = (uint8_t)(0xc0 + i);
	}
	return 0;
}

#endif
