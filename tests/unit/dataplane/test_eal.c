/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DPDK EAL start-up.  The EAL starts once per process, so each case runs in
 * a child process: bad arguments give an error (never an exit or abort)
 * with one log line and leave the cryptodev backend unavailable; good
 * arguments bring the backend up or the case is skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/log.h"
#include "crypto-offload/cryp.h"
#include "dataplane/eal.h"

#define SKIPPED 77

static int nlines;

static void
count_hook(enum qssh_log_level level, const char *line, void *ctx)
{
	(void)line;
	(void)ctx;
	if (level <= QSSH_LOG_INFO)
		nlines++;
}

/* Run fn in a child; its exit code: 0 pass, SKIPPED, else the failure. */
static int
in_child(int (*fn)(void))
{
	pid_t pid;
	int st;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st))
		print_message("child died with signal %d\n", WTERMSIG(st));
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int
child_bad_option(void)
{
	qssh_log_init("test_eal", QSSH_LOG_INFO, QSSH_LOG_FAC_USER, true);
	qssh_log_set_hook(count_hook, NULL);
	if (dp_eal_start("--no-huge --no-such-eal-option") !=
	    QSSH_ERR_BACKEND_UNAVAILABLE)
		return 1;
	if (nlines != 1)
		return 2;
	/* No second attempt, no second line. */
	if (dp_eal_start(NULL) != QSSH_ERR_BACKEND_UNAVAILABLE)
		return 3;
	if (nlines != 1)
		return 4;
	if (dp_eal_running() || cryp_backend_available(CRYP_BACKEND_CRYPTODEV))
		return 5;
	if (cryp_backend_default() == CRYP_BACKEND_CRYPTODEV)
		return 6;
	return 0;
}

static int
child_conflict(void)
{
	qssh_log_init("test_eal", QSSH_LOG_INFO, QSSH_LOG_FAC_USER, true);
	/* --in-memory conflicts with --no-huge: refused by the EAL. */
	if (dp_eal_start("--no-huge --in-memory -m 64 --no-pci") !=
	    QSSH_ERR_BACKEND_UNAVAILABLE)
		return 1;
	if (cryp_backend_available(CRYP_BACKEND_CRYPTODEV))
		return 2;
	return 0;
}

static int
child_refused(void)
{
	qssh_log_init("test_eal", QSSH_LOG_QUIET, QSSH_LOG_FAC_USER, true);
	/* rte_eal_init() would exit on --help: refused before. */
	if (dp_eal_start("--no-huge --help") != QSSH_ERR_INVALID_ARGUMENT)
		return 1;
	if (dp_eal_start("-h") != QSSH_ERR_INVALID_ARGUMENT)
		return 2;
	if (dp_eal_start("--proc-type=secondary") != QSSH_ERR_INVALID_ARGUMENT)
		return 3;
	if (dp_eal_start("stray --no-huge") != QSSH_ERR_INVALID_ARGUMENT)
		return 4;
	if (dp_eal_start("--no-huge -- app") != QSSH_ERR_INVALID_ARGUMENT)
		return 5;
	if (dp_eal_running())
		return 6;
	/* Refused arguments do not use up the one start. */
	if (dp_eal_start(NULL) != 0)
		return SKIPPED;
	if (!dp_eal_running())
		return 7;
	return 0;
}

static int
child_defaults(void)
{
	qssh_log_init("test_eal", QSSH_LOG_QUIET, QSSH_LOG_FAC_USER, true);
	if (dp_eal_start(NULL) != 0)
		return SKIPPED;
	if (!dp_eal_running())
		return 1;
	if (!cryp_backend_available(CRYP_BACKEND_CRYPTODEV))
		return SKIPPED;
	if (!cryp_backend_supports(
		CRYP_BACKEND_CRYPTODEV, CRYP_CIPHER_AES128_GCM, CRYP_MAC_NONE))
		return 2;
	/* Software devices do not replace the CPU backends by default. */
	if (cryp_backend_default() == CRYP_BACKEND_CRYPTODEV)
		return 3;
	/* Started once; a second call is a no-op. */
	if (dp_eal_start("--bogus") != 0)
		return 4;
	return 0;
}

static void
test_bad_option(void **state)
{
	(void)state;
	assert_int_equal(in_child(child_bad_option), 0);
}

static void
test_conflict(void **state)
{
	(void)state;
	assert_int_equal(in_child(child_conflict), 0);
}

static void
test_refused(void **state)
{
	int r;

	(void)state;
	r = in_child(child_refused);
	if (r == SKIPPED)
		skip();
	assert_int_equal(r, 0);
}

static void
test_defaults(void **state)
{
	int r;

	(void)state;
	r = in_child(child_defaults);
	if (r == SKIPPED)
		skip();
	assert_int_equal(r, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_option),
		cmocka_unit_test(test_conflict),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
