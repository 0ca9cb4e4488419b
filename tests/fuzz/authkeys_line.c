/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * authorized_keys parsing: the input as one line, then as a whole file
 * scanned for a fixed key.  Must never crash or leak.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/authkeys.h"
#include "control/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_key[] =
    "ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIJujk/ZIFty5kFzdi5tattRPSVdOqXoM9PZaZACNW1qt";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct authkeys_keyfield kf;
	static bool init;
	struct authkeys_query q = { "user", "client.example", "192.0.2.7",
		1700000000 };
	struct authkeys_entry *e = NULL;
	struct authkeys_opts o;
	const char *reason = NULL, *end = NULL, *cp = fixed_key;
	char *s;

	if (!init) {
		qssh_log_set_file("/dev/null");
		qssh_log_set_level(QSSH_LOG_DEBUG3);
		if (authkeys_keyfield_parse(&cp, &kf) != 0)
			abort();
		init = true;
	}
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (authkeys_parse_line(s, &e, &reason) == 0)
		authkeys_entry_free(e);
	e = NULL;
	if (authkeys_opts_parse(s, &o, &end, &reason) == 0)
		authkeys_opts_cleanup(&o);
	free(s);
	if (authkeys_check_buf("fuzz", data, size, &q, kf.key, &e) == 0)
		authkeys_entry_free(e);
	return 0;
}
