/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the client takes from its configuration around authentication and
 * the kex: IdentityFile lines of the user's file count as user-provided
 * (as ssh(1) treats them), WarnWeakCrypto, and a known_hosts file that is
 * /dev/null (read as empty, without a complaint in the log).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/log.h"
#include "control/hostfile.h"
#include "control/key.h"
#include "control/readconf.h"

static char tmpdir[] = "/tmp/qssh-acconf-XXXXXX";
static char logbuf[8192];

static void
hook(enum qssh_log_level level, const char *line, void *ctx)
{
	size_t l = strlen(logbuf);

	(void)ctx;
	(void)level;
	snprintf(logbuf + l, sizeof(logbuf) - l, "%s\n", line);
}

static char *
write_cfg(const char *name, const char *text)
{
	char *path = NULL;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load cfg (as -F) with -o options for host "h"; 0 or the error. */
static int
load(struct readconf_options *o, struct readconf_ctx *ctx, const char *cfg,
    const char *const *opts, unsigned int nopts)
{
	struct readconf_load_params p;
	int r;

	assert_int_equal(readconf_ctx_init(ctx, "h"), 0);
	readconf_init(o);
	memset(&p, 0, sizeof(p));
	p.cmdline_opts = opts;
	p.num_cmdline_opts = nopts;
	p.config_file = cfg;
	p.port = -1;
	r = readconf_load(o, ctx, &p);
	return r;
}

static void
done(struct readconf_options *o, struct readconf_ctx *ctx)
{
	readconf_cleanup(o);
	readconf_ctx_cleanup(ctx);
}

static void
test_identity_user_provided(void **state)
{
	static const char *const opts[] = { "IdentityFile=/tmp/from-cmdline" };
	struct readconf_options o;
	struct readconf_ctx ctx;
	char *cfg;
	unsigned int i;
	bool seen_file = false, seen_cmd = false;

	(void)state;
	cfg = write_cfg("user", "Host *\n  IdentityFile /tmp/from-file\n");
	assert_int_equal(load(&o, &ctx, cfg, opts, 1), 0);
	for (i = 0; i < o.num_identity_files; i++) {
		if (strcmp(o.identity_files[i], "/tmp/from-file") == 0) {
			seen_file = true;
			assert_int_equal(o.identity_file_userprovided[i], 1);
		}
		if (strcmp(o.identity_files[i], "/tmp/from-cmdline") == 0) {
			seen_cmd = true;
			assert_int_equal(o.identity_file_userprovided[i], 1);
		}
	}
	assert_true(seen_file && seen_cmd);
	done(&o, &ctx);
	free(cfg);

	/* The built-in defaults are not user-provided. */
	cfg = write_cfg("empty", "Host *\n  User x\n");
	assert_int_equal(load(&o, &ctx, cfg, NULL, 0), 0);
	assert_true(o.num_identity_files > 0);
	for (i = 0; i < o.num_identity_files; i++)
		assert_int_equal(o.identity_file_userprovided[i], 0);
	done(&o, &ctx);
	free(cfg);
}

static void
test_warn_weak_crypto(void **state)
{
	static const char *const yes[] = { "WarnWeakCrypto=yes" };
	static const char *const bad[] = { "WarnWeakCrypto=maybe" };
	struct readconf_options o;
	struct readconf_ctx ctx;
	char *cfg;

	(void)state;
	cfg = write_cfg("w0", "Host *\n  User x\n");
	assert_int_equal(load(&o, &ctx, cfg, NULL, 0), 0);
	assert_int_equal(o.warn_weak_crypto, 1); /* OpenSSH 10's default */
	done(&o, &ctx);
	free(cfg);

	cfg = write_cfg("w1", "Host h\n  WarnWeakCrypto no\n");
	assert_int_equal(load(&o, &ctx, cfg, NULL, 0), 0);
	assert_int_equal(o.warn_weak_crypto, 0);
	done(&o, &ctx);
	/* -o comes first and wins. */
	assert_int_equal(load(&o, &ctx, cfg, yes, 1), 0);
	assert_int_equal(o.warn_weak_crypto, 1);
	done(&o, &ctx);
	free(cfg);

	cfg = write_cfg("w2", "Host *\n  User x\n");
	assert_int_not_equal(load(&o, &ctx, cfg, bad, 1), 0);
	done(&o, &ctx);
	free(cfg);
}

static void
test_known_hosts_dev_null(void **state)
{
	static const char *const files[] = { "/dev/null" };
	struct hostfile_result *res = NULL;
	struct key *k = NULL;

	(void)state;
	assert_int_equal(key_generate(KEY_ED25519, 0, &k), 0);
	logbuf[0] = '\0';
	qssh_log_set_level(QSSH_LOG_DEBUG3);
	qssh_log_set_hook(hook, NULL);
	assert_int_equal(
	    hostfile_check_host(files, 1, "example.org", 22, k, &res), 0);
	qssh_log_set_hook(NULL, NULL);
	qssh_log_set_level(QSSH_LOG_INFO);
	assert_int_equal(res->status, HOSTFILE_NEW);
	assert_null(strstr(logbuf, "/dev/null"));
	hostfile_result_free(res);
	key_free(k);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_user_provided),
		cmocka_unit_test(test_warn_weak_crypto),
		cmocka_unit_test(test_known_hosts_dev_null),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
