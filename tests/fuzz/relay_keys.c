/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_relay_keys: a RELAY_KEYS_* body.  What relay_get_keys() accepts
 * must encode again (relay_put_keys()) to the same keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "dataplane/relay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tport_keys k, k2;
	struct qssh_buf *b;

	if (relay_get_keys(qssh_view_make(data, size), &k) != 0)
		return 0;
	if ((b = qssh_buf_new()) == NULL)
		abort();
	if (relay_put_keys(b, &k) != 0 ||
	    relay_get_keys(qssh_buf_view(b), &k2) != 0 ||
	    k2.cipher != k.cipher || k2.comp != k.comp ||
	    memcmp(k2.key, k.key, sizeof(k.key)) != 0 ||
	    memcmp(k2.iv, k.iv, sizeof(k.iv)) != 0 ||
	    memcmp(k2.mac_key, k.mac_key, sizeof(k.mac_key)) != 0 ||
	    (!k.cipher->aead && k2.mac != k.mac))
		abort();
	qssh_buf_free(b);
	qssh_wipe(&k, sizeof(k));
	qssh_wipe(&k2, sizeof(k2));
	return 0;
}
