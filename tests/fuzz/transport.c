/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_transport: arbitrary bytes as the peer's identification and packets.
 * The first byte picks the role (bit 0: client), whether zlib is on for
 * input after the version line (bit 1), and how the rest is split into
 * tport_input() calls (bits 2..7).  Every packet read is echoed back.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "transport_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
drain(struct tport *t, bool *dead)
{
	struct qssh_view pl;
	uint8_t type;
	int r;

	while (!*dead) {
		r = tport_read_packet(t, &type, &pl);
		if (r == QSSH_ERR_AGAIN)
			return;
		if (r != 0) {
			(void)tport_send_disconnect(
			    t, tport_disconnect_reason(r), "fuzz");
			*dead = true;
			return;
		}
		(void)tport_send(t, type, pl.p, pl.len);
		(void)tport_output_consume(t, tport_output_len(t));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tport_keys k;
	struct tport *t;
	const char *id;
	size_t chunk, off = 0, n;
	bool dead = false, version = false;
	int r;

	if (size < 1)
		return 0;
	if ((t = tport_new((data[0] & 1) == 0, CRYP_BACKEND_OPENSSL)) == NULL)
		return 0;
	(void)tport_send_version(t, "SSH-2.0-fuzz");
	if ((data[0] & 2) != 0 &&
	    fuzz_keys(&k, FUZZ_NUM_ALGS - 1, TPORT_COMP_ZLIB) == 0)
		(void)tport_set_keys_in(t, &k);
	chunk = (size_t)(data[0] >> 2) * 37 + 1;
	data++;
	size--;
	while (off < size && !dead) {
		n = size - off < chunk ? size - off : chunk;
		if (tport_input(t, data + off, n) != 0)
			break;
		off += n;
		if (!version) {
			r = tport_read_version(t, &id);
			if (r == QSSH_ERR_AGAIN)
				continue;
			if (r != 0)
				break;
			version = true;
		}
		drain(t, &dead);
	}
	tport_free(t);
	return 0;
}
