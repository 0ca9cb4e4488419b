/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * known_hosts lookups: arbitrary file contents looked up for fixed hosts
 * and a fixed key.  Must never crash or leak.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/authkeys.h"
#include "control/hostfile.h"
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
	struct hostfile_result *res = NULL;
	const char *cp = fixed_key;
	char *text = NULL;

	if (!init) {
		qssh_log_set_file("/dev/null");
		qssh_log_set_level(QSSH_LOG_DEBUG3);
		if (authkeys_keyfield_parse(&cp, &kf) != 0)
			abort();
		init = true;
	}
	if (hostfile_check_host_buf(
		"fuzz", data, size, "host.example", 22, kf.key, &res) == 0) {
		if (res->offending != NULL && res->status != HOSTFILE_OK &&
		    hostfile_text_changed("host.example", kf.key,
			res->offending, "fuzz", true, &text) == 0)
			free(text);
		hostfile_result_free(res);
	}
	res = NULL;
	if (hostfile_check_host_buf(
		"fuzz", data, size, "h.example", 2222, kf.key, &res) == 0)
		hostfile_result_free(res);
	return 0;
}
