/* SPDX-License-Identifier: BSD-2-Clause */
/* ssh_config text of any shape must never crash the reader. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/readconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
quiet(enum qssh_log_level level, const char *line, void *ctx)
{
	(void)level;
	(void)line;
	(void)ctx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct readconf_ctx ctx;
	static int init;
	struct readconf_options o;
	FILE *f;

	if (!init) {
		qssh_log_init(
		    "fuzz_readconf", QSSH_LOG_QUIET, QSSH_LOG_FAC_USER, true);
		qssh_log_set_hook(quiet, NULL);
		if (readconf_ctx_init(&ctx, "fuzz.example.org") != 0)
			return 0;
		init = 1;
	}
	readconf_init(&o);
	(void)readconf_read_text(&o, &ctx, (const char *)data, size, "fuzz",
	    READCONF_USER | READCONF_NOEXEC);
	if (readconf_fill_defaults(&o, &ctx) == 0) {
		struct readconf_ctx c2;

		if (readconf_ctx_init(&c2, "fuzz.example.org") == 0) {
			if (readconf_finalize(&o, &c2) == 0 &&
			    (f = fopen("/dev/null", "w")) != NULL) {
				readconf_dump(&o, &c2, f);
				fclose(f);
			}
			readconf_ctx_cleanup(&c2);
		}
	}
	readconf_cleanup(&o);
	return 0;
}
