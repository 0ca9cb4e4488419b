/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private key files.  The first input byte selects the mode: bit 0 set
 * means the rest is a binary openssh-key-v1 body to be armoured here (so
 * that mutations reach the structure, not just the base64); bit 1 set
 * supplies the passphrase "x".  bcrypt rounds are capped to keep runs fast.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "control/key.h"
#include "key_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
armour(const uint8_t *data, size_t size, struct qssh_buf *out)
{
	size_t elen = qssh_b64_encoded_len(size);
	char *enc;
	int r;

	if ((enc = malloc(elen)) == NULL)
		return -1;
	r = qssh_b64_encode(data, size, enc, elen);
	if (r >= 0)
		r = qssh_buf_putf(out,
		    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
		    "%s\n-----END OPENSSH PRIVATE KEY-----\n",
		    enc);
	free(enc);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qssh_buf *b = NULL;
	struct key *k = NULL;
	char *cmt = NULL;
	const char *pass;
	uint8_t mode;

	if (size < 1)
		return 0;
	key_set_kdf_rounds_limit(2);
	mode = data[0];
	pass = (mode & 2) ? "x" : NULL;
	data++;
	size--;
	if ((b = qssh_buf_new()) == NULL)
		return 0;
	if ((mode & 1) ? armour(data, size, b) : qssh_buf_put(b, data, size)) {
		qssh_buf_free(b);
		return 0;
	}
	(void)key_private_is_encrypted(qssh_buf_ptr(b), qssh_buf_len(b));
	if (key_parse_private(
		qssh_buf_ptr(b), qssh_buf_len(b), pass, &k, &cmt) == 0) {
		/* A key that loaded serializes and loads again. */
		struct qssh_buf *o = qssh_buf_new();
		struct key *k2 = NULL;

		if (o == NULL ||
		    key_serialize_private(
			k, NULL, cmt, KEY_FORMAT_OPENSSH, 0, o) != 0 ||
		    key_parse_private(qssh_buf_ptr(o), qssh_buf_len(o), NULL,
			&k2, NULL) != 0 ||
		    !key_equal_public(k, k2))
			abort();
		key_free(k2);
		qssh_buf_free(o);
	}
	free(cmt);
	key_free(k);
	qssh_buf_free(b);
	return 0;
}
