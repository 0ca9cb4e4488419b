/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sntrup761 decapsulation of arbitrary bytes: the input is cut into a
 * secret key and a ciphertext (short inputs are repeated to fill both).
 * Nothing is rejected; it must simply never crash or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "control/sntrup761.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sk[SNTRUP761_SECRETKEY_SIZE], ct[SNTRUP761_CIPHERTEXT_SIZE];
	uint8_t ss[SNTRUP761_SHAREDSECRET_SIZE];
	uint8_t all[SNTRUP761_SECRETKEY_SIZE + SNTRUP761_CIPHERTEXT_SIZE];
	size_t i;

	if (size == 0)
		return 0;
	for (i = 0; i < sizeof(all); i++)
		all[i] = data[i % size];
	memcpy(sk, all, sizeof(sk));
	memcpy(ct, all + sizeof(sk), sizeof(ct));
	(void)sntrup761_decap(ss, ct, sk);
	return 0;
}
