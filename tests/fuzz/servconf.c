/* SPDX-License-Identifier: BSD-2-Clause */
/* Arbitrary text as sshd_config: never crashes, Include never reads. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/servconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct servconf_conn ci = { "alice", "host.example",
		"192.0.2.7", "198.51.100.1", 22, NULL, NULL, 0 };
	struct servconf *cfg = NULL, *eff = NULL;
	FILE *devnull;
	char *text;

	qssh_log_set_level(QSSH_LOG_QUIET);
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if ((cfg = servconf_new()) == NULL)
		goto out;
	(void)servconf_load_string(cfg, text, "fuzz", "/nonexistent", false);
	(void)servconf_error(cfg);
	if (servconf_apply_match(cfg, &ci, &eff) == 0 &&
	    (devnull = fopen("/dev/null", "w")) != NULL) {
		(void)servconf_dump(eff, devnull);
		fclose(devnull);
	}
out:
	servconf_free(eff);
	servconf_free(cfg);
	free(text);
	return 0;
}
