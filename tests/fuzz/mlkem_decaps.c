/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ML-KEM-768 decapsulation (and encapsulation) on arbitrary bytes.  The
 * first input byte selects the mode:
 *   bit 0 set: the rest is dk (2400 bytes) || ct with the hash inside dk
 *              made consistent, so that decapsulation runs in full on an
 *              arbitrary secret key, embedded public key and ciphertext;
 *   bit 1 set: the rest is an encapsulation key of any length;
 *   neither:   two bytes choose how the rest splits into dk and ct.
 * Nothing may crash, and the length and key checks must give the
 * documented codes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/err.h"
#include "control/mlkem768.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Exact-size heap copy, so that any over-read is a sanitizer report. */
static uint8_t *
dup_bytes(const uint8_t *p, size_t len)
{
	uint8_t *q = calloc(1, len ? len : 1);

	if (q == NULL)
		abort();
	if (len)
		memcpy(q, p, len);
	return q;
}

static void
full_decaps(const uint8_t *data, size_t size)
{
	uint8_t *dk = dup_bytes(data, MLKEM768_DK_LEN);
	uint8_t *ct = dup_bytes(data + MLKEM768_DK_LEN, size - MLKEM768_DK_LEN);
	uint8_t ss[MLKEM768_SS_LEN];
	size_t ct_len = size - MLKEM768_DK_LEN;
	unsigned int hl = 0;
	int r;

	/* H(ek) at dk[2336..2368) */
	if (EVP_Digest(dk + 1152, MLKEM768_EK_LEN, dk + 2336, &hl,
		EVP_sha3_256(), NULL) != 1 ||
	    hl != 32)
		abort();
	r = mlkem768_decaps(ss, dk, MLKEM768_DK_LEN, ct, ct_len);
	if (ct_len == MLKEM768_CT_LEN ? r != 0 : r != QSSH_ERR_INVALID_FORMAT)
		abort();
	free(dk);
	free(ct);
}

static void
split_decaps(const uint8_t *data, size_t size)
{
	uint8_t *dk, *ct, ss[MLKEM768_SS_LEN];
	size_t dk_len, ct_len;
	int r;

	if (size < 2)
		return;
	dk_len = ((size_t)data[0] << 8 | data[1]) * 37 % (size - 1);
	data += 2;
	size -= 2;
	ct_len = size - dk_len;
	dk = dup_bytes(data, dk_len);
	ct = dup_bytes(data + dk_len, ct_len);
	r = mlkem768_decaps(ss, dk, dk_len, ct, ct_len);
	if (ct_len != MLKEM768_CT_LEN) {
		if (r != QSSH_ERR_INVALID_FORMAT)
			abort();
	} else if (dk_len != MLKEM768_DK_LEN) {
		if (r != QSSH_ERR_KEY_LENGTH)
			abort();
	} else if (r != 0 && r != QSSH_ERR_KEY_INVALID) {
		abort();
	}
	free(dk);
	free(ct);
}

static void
encaps(const uint8_t *data, size_t size)
{
	static const uint8_t m[MLKEM768_SEED_LEN] = { 1, 2, 3 };
	uint8_t ct[MLKEM768_CT_LEN], ss[MLKEM768_SS_LEN];
	uint8_t *ek = dup_bytes(data, size);
	int r;

	r = mlkem768_encaps_seeded(ct, ss, ek, size, m);
	if (size != MLKEM768_EK_LEN) {
		if (r != QSSH_ERR_KEY_LENGTH)
			abort();
	} else if (r != 0 && r != QSSH_ERR_KEY_INVALID) {
		abort();
	}
	free(ek);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	if ((mode & 1) && size >= MLKEM768_DK_LEN)
		full_decaps(data, size);
	else if (mode & 2)
		encaps(data, size);
	else
		split_decaps(data, size);
	return 0;
}
