/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_transport_aead: arbitrary bytes after incoming keys are set.  The
 * first byte picks the algorithm (fixed keys, see transport_fuzz_common.h)
 * and whether zlib is on; the rest is fed in two pieces.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "transport_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tport_keys k;
	struct qssh_view pl;
	struct tport *t;
	size_t half;
	uint8_t type;
	int r, i;

	if (size < 1)
		return 0;
	if (fuzz_keys(&k, data[0] & 0x7f,
		(data[0] & 0x80) != 0 ? TPORT_COMP_ZLIB : TPORT_COMP_NONE) != 0)
		return 0;
	if ((t = tport_new(true, CRYP_BACKEND_OPENSSL)) == NULL)
		return 0;
	if (tport_set_keys_in(t, &k) != 0)
		goto out;
	data++;
	size--;
	half = size / 2;
	for (i = 0; i < 2; i++) {
		if (tport_input(t, data + (i == 0 ? 0 : half),
			i == 0 ? half : size - half) != 0)
			goto out;
		while ((r = tport_read_packet(t, &type, &pl)) == 0)
			;
		if (r != QSSH_ERR_AGAIN)
			break;
	}
out:
	tport_free(t);
	return 0;
}
