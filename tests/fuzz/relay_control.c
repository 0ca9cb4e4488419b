/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_relay_control: arbitrary bytes from the dataplane into the control
 * process's relay tport.  The first byte says how the rest is split into
 * tport_input() calls; the version record is read, then packets and
 * application records, each answered (tport_send(), an application
 * record) so that the output side runs too.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "dataplane/relay.h"
#include "dataplane/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qssh_view pl;
	struct tport *t;
	const char *id;
	size_t chunk, off = 0, n;
	bool version = false, dead = false;
	uint8_t type;
	int r;

	if (size < 1)
		return 0;
	if ((t = tport_new_relay(true)) == NULL)
		return 0;
	(void)tport_send_version(t, "SSH-2.0-fuzz");
	chunk = (size_t)data[0] * 61 + 1;
	data++;
	size--;
	while (off < size && !dead) {
		n = size - off < chunk ? size - off : chunk;
		if (n > tport_input_room(t))
			n = tport_input_room(t);
		if (n == 0 || tport_input(t, data + off, n) != 0)
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
		for (;;) {
			r = tport_read_packet(t, &type, &pl);
			if (r == QSSH_ERR_AGAIN)
				break;
			if (r != 0) {
				(void)tport_send_disconnect(
				    t, tport_disconnect_reason(r), "fuzz");
				dead = true;
				break;
			}
			if (type == TPORT_MSG_RELAY_APP)
				(void)tport_relay_send_app(t, pl.p, pl.len);
			else
				(void)tport_send(t, type, pl.p, pl.len);
			(void)tport_rekey_needed(t);
			(void)tport_output_consume(t, tport_output_len(t));
		}
	}
	tport_free(t);
	return 0;
}
