/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_kex_server: arbitrary packets to a server-side kex and dispatcher
 * after its KEXINIT went out.  Input: records of type (1 byte), length
 * (2 bytes, big-endian) and payload.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "control/kex.h"
#include "control/key.h"
#include "dataplane/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct key *hostkey;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char client_version[] = "SSH-2.0-fuzz\r\n";
	struct kex_config cfg;
	struct tport *t = NULL;
	struct kex *kex = NULL;
	struct tctl *c = NULL;
	struct qssh_view in = qssh_view_make(data, size), pl;
	const char *id;
	bool consumed;
	uint8_t type;
	uint8_t lenb[2];
	int err;

	if (hostkey == NULL) {
		qssh_log_init("fuzz", QSSH_LOG_QUIET, QSSH_LOG_FAC_USER, true);
		if (key_generate(KEY_ED25519, 0, &hostkey) != 0)
			abort();
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.host_keys = &hostkey;
	cfg.num_host_keys = 1;
	cfg.moduli_path = "/nonexistent";
	/* Keep modular exponentiations small enough for many runs. */
	cfg.kex_algs =
	    "curve25519-sha256,ecdh-sha2-nistp256,"
	    "diffie-hellman-group14-sha256,diffie-hellman-group1-sha1";
	if ((t = tport_new(true, CRYP_BACKEND_OPENSSL)) == NULL)
		goto out;
	if (tport_send_version(t, "SSH-2.0-qssh_fuzz") != 0 ||
	    tport_input(t, client_version, sizeof(client_version) - 1) != 0 ||
	    tport_read_version(t, &id) != 0)
		goto out;
	if ((kex = kex_new(t, KEX_ROLE_SERVER, &cfg, &err)) == NULL ||
	    (c = tctl_new(t, kex)) == NULL || kex_start(kex) != 0)
		goto out;
	while (in.len > 0) {
		if (qssh_view_get_u8(&in, &type) != 0 ||
		    qssh_view_copy(&in, lenb, 2) != 0)
			break;
		if (qssh_view_get_bytes(
			&in, (size_t)((lenb[0] << 8) | lenb[1]), &pl) != 0)
			pl = in, in.len = 0;
		if (tctl_handle_packet(c, type, pl, &consumed) != 0)
			break;
		tport_output_consume(t, tport_output_len(t));
	}
out:
	tctl_free(c);
	kex_free(kex);
	tport_free(t);
	return 0;
}
