/* SPDX-License-Identifier: BSD-2-Clause */
/* One-line public keys, or RFC 4716 text when the input starts "----". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/key.h"
#include "key_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct key *k = NULL;
	char *line, *cmt = NULL;

	if (size >= 4 && memcmp(data, "----", 4) == 0) {
		if (key_parse_rfc4716((const char *)data, size, &k, &cmt) == 0)
			key_free(k);
		free(cmt);
		return 0;
	}
	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (key_parse_public(line, &k, &cmt) == 0)
		key_free(k);
	free(cmt);
	free(line);
	return 0;
}
