/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Input: string public key blob, then an SSH signature blob over the fixed
 * message "fuzz".  Parses the key, verifies, and round-trips the formats.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "control/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t msg[] = "fuzz";
	struct qssh_view v = qssh_view_make(data, size), blob;
	struct key *k = NULL, *k2 = NULL;
	struct qssh_buf *b = NULL;
	char *s = NULL;

	if (qssh_view_get_string(&v, &blob) != 0)
		return 0;
	if (key_from_blob(blob.p, blob.len, &k) != 0)
		return 0;
	(void)key_verify(k, NULL, v.p, v.len, msg, sizeof(msg) - 1);
	(void)key_verify(k, "rsa-sha2-256", v.p, v.len, msg, sizeof(msg) - 1);
	/* A parsed key re-encodes to the same bytes. */
	if ((b = qssh_buf_new()) != NULL && key_to_blob(k, b) == 0 &&
	    (qssh_buf_len(b) != blob.len ||
		memcmp(qssh_buf_ptr(b), blob.p, blob.len) != 0))
		abort();
	if (key_fingerprint(k, KEY_FP_SHA256, &s) == 0)
		free(s);
	if (key_randomart(k, KEY_FP_MD5, &s) == 0)
		free(s);
	if (key_format_public(k, "c", &s) == 0) {
		if (key_parse_public(s, &k2, NULL) != 0 ||
		    !key_equal_public(k, k2))
			abort();
		free(s);
	}
	key_free(k2);
	qssh_buf_free(b);
	key_free(k);
	return 0;
}
