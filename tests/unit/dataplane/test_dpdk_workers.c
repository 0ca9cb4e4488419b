/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Crypto worker engine on DPDK lcores, through the transport.  The EAL
 * starts once per process, so each case runs in a forked child:
 *  - the EAL fails, early (an unknown option) and late (after it pinned
 *    the calling thread and started its lcore threads): the engine falls
 *    back to threads with one log line, the process keeps its CPU
 *    affinity, and a transfer through the fallback workers works;
 *  - a running EAL (no hugepages, lcores 1 and 2 for the workers): byte-
 *    exact transfers of 16 MiB each way with a rekey for every backend
 *    (cryptodev included when its device attached), worker count 0..2 and
 *    algorithm on lcores, and cryptodev on worker threads; a second engine
 *    finding no idle lcores; order under a slowed lcore worker.
 * test_transport_workers_big moves 256 MiB per combination.
 * Skipped (77) without DPDK or when the EAL cannot start here.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/log.h"
#include "crypto-offload/cryp.h"
#include "dataplane/eal.h"
#include "dataplane/transport.h"
#include "dataplane/workers.h"

#include "test_transport_workers_xfer.h"

#define SKIPPED 77
#define MATRIX_BYTES (16ull * XFER_MIB)
/* Main lcore 0 on cpu 0, worker lcores 1 and 2 sharing cpu 1. */
#define EAL_ARGS                                                      \
	"--lcores=0@0,1@1,2@1 --no-huge -m 256 --no-shconf --no-pci " \
	"--no-telemetry --vdev=crypto_aesni_mb"

static int nlines;

static void
count_hook(enum qssh_log_level level, const char *line, void *ctx)
{
	(void)ctx;
	if (level <= QSSH_LOG_INFO) {
		nlines++;
		print_message("log: %s\n", line);
	}
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

/*
 * Ask for one GCM worker on DPDK lcores, starting the EAL with eal_args,
 * which must fail: the engine runs it on a thread, one line is logged
 * (the EAL's), the calling thread keeps the CPUs it had, and a transfer
 * through the fallback worker is byte-exact.
 */
static void
expect_fallback(const char *eal_args)
{
	struct wrk_worker_stats ws;
	struct wrk_config cfg;
	struct wrk_engine *e;
	struct xfer_params xp;
	cpu_set_t before, after;
	int err = 0;

	assert_int_equal(sched_getaffinity(0, sizeof(before), &before), 0);
	nlines = 0;
	wrk_config_init(&cfg);
	memset(cfg.num_workers, 0, sizeof(cfg.num_workers));
	cfg.num_workers[WRK_POOL_GCM] = 1;
	cfg.mode = WRK_MODE_OFFLOAD;
	cfg.backend = "openssl";
	cfg.runtime = WRK_RUNTIME_DPDK;
	cfg.eal_args = eal_args;
	e = wrk_engine_new(&cfg, &err);
	if (e == NULL)
		fail_msg("engine: %s", qssh_strerror(err));
	assert_int_equal(wrk_engine_runtime(e), WRK_RUNTIME_THREADS);
	assert_int_equal(wrk_engine_num_workers(e), 1);
	assert_int_equal(nlines, 1);
	assert_false(dp_eal_running());
	assert_false(cryp_backend_available(CRYP_BACKEND_CRYPTODEV));
	assert_int_equal(sched_getaffinity(0, sizeof(after), &after), 0);
	if (!CPU_EQUAL(&before, &after))
		fail_msg("the failed EAL start changed the CPU affinity: %d "
			 "cpus before, %d after",
		    CPU_COUNT(&before), CPU_COUNT(&after));
	assert_int_equal(
	    wrk_engine_usable_cores(e), (uint32_t)CPU_COUNT(&before));
	memset(&xp, 0, sizeof(xp));
	xp.backend = CRYP_BACKEND_OPENSSL;
	xp.cipher = "aes128-gcm@openssh.com";
	xp.port = wrk_engine_port(e, 0);
	xp.bytes = 4 * XFER_MIB;
	xp.rekey = true;
	xp.strict = true;
	xp.seed = 11;
	xfer_run(&xp);
	assert_int_equal(wrk_engine_worker_stats(e, 0, &ws), 0);
	assert_true(ws.ops > 0);
	wrk_engine_free(e);
	/* The EAL is not tried again: one line, still threads. */
	nlines = 0;
	cfg.eal_args = NULL;
	e = wrk_engine_new(&cfg, &err);
	assert_non_null(e);
	assert_int_equal(wrk_engine_runtime(e), WRK_RUNTIME_THREADS);
	assert_int_equal(nlines, 1);
	wrk_engine_free(e);
	assert_int_equal(dp_eal_start(NULL), QSSH_ERR_BACKEND_UNAVAILABLE);
}

/* A child's cmocka run: its own group, its failures as exit status. */
static int
child_group(const char *name, void (*body)(void **))
{
	const struct CMUnitTest t[] = {
		{ "fallback", body, NULL, NULL, NULL },
	};

	qssh_log_init(
	    "test_dpdk_workers", QSSH_LOG_INFO, QSSH_LOG_FAC_USER, true);
	qssh_log_set_hook(count_hook, NULL);
	return cmocka_run_group_tests_name(name, t, NULL, NULL);
}

/* Refused by the EAL's option parser, before it sets anything up. */
static void
early_body(void **state)
{
	(void)state;
	expect_fallback("--no-huge --no-shconf --no-such-eal-option");
}

static int
child_early(void)
{
	return child_group("EAL fails early", early_body);
}

static char late_prefix[128];

/*
 * A file prefix so long that the telemetry socket path does not fit: the
 * EAL fails at its last step, after it pinned the calling thread to the
 * main lcore and started its lcore threads.
 */
static void
late_body(void **state)
{
	char args[300];

	(void)state;
	(void)snprintf(late_prefix, sizeof(late_prefix), "qssh-test-%ld-%0100d",
	    (long)getpid(), 0);
	late_prefix[100] = '\0';
	(void)snprintf(args, sizeof(args),
	    "--no-huge -m 64 --no-shconf --no-pci --file-prefix=%s",
	    late_prefix);
	expect_fallback(args);
}

static int
child_late(void)
{
	char dir[512];
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int r;

	r = child_group("EAL fails late", late_body);
	/* The EAL made its runtime directory before it failed (empty). */
	if (geteuid() == 0)
		(void)snprintf(
		    dir, sizeof(dir), "/var/run/dpdk/%s", late_prefix);
	else
		(void)snprintf(dir, sizeof(dir), "%s/dpdk/%s",
		    xdg != NULL ? xdg : "/tmp", late_prefix);
	(void)rmdir(dir);
	return r;
}

static void
test_eal_failure_falls_back(void **state)
{
	(void)state;
	assert_int_equal(in_child(child_early), 0);
}

static void
test_eal_late_failure_falls_back(void **state)
{
	(void)state;
	assert_int_equal(in_child(child_late), 0);
}

static void
run_backend(enum cryp_backend_id be, enum wrk_runtime rt)
{
	uint32_t nw;
	size_t a;

	if (!cryp_backend_available(be)) {
		print_message(
		    "backend %s unavailable: skipped\n", cryp_backend_name(be));
		return;
	}
	for (nw = 0; nw <= 2; nw++)
		for (a = 0; a < xfer_num_algs; a++)
			(void)xfer_combo(be, rt, nw, &xfer_algs[a],
			    MATRIX_BYTES, 100 + 7 * (uint64_t)be + 10 * nw + a);
}

static void
child_dpdk_body(void **state)
{
	struct wrk_engine *e, *e2;
	struct xfer_params xp;
	uint32_t nw, slow;

	(void)state;
	run_backend(CRYP_BACKEND_OPENSSL, WRK_RUNTIME_DPDK);
	run_backend(CRYP_BACKEND_IPSECMB, WRK_RUNTIME_DPDK);
	run_backend(CRYP_BACKEND_CRYPTODEV, WRK_RUNTIME_DPDK);
	/* The CPU backends on threads are test_transport_workers'. */
	run_backend(CRYP_BACKEND_CRYPTODEV, WRK_RUNTIME_THREADS);
	/* Two engines with two workers each: only two worker lcores. */
	e = xfer_engine("openssl", xfer_algs[0].cipher, 2, WRK_RUNTIME_DPDK);
	e2 = xfer_engine("openssl", xfer_algs[0].cipher, 2, WRK_RUNTIME_DPDK);
	assert_int_equal(wrk_engine_runtime(e), WRK_RUNTIME_DPDK);
	assert_int_equal(wrk_engine_runtime(e2), WRK_RUNTIME_THREADS);
	memset(&xp, 0, sizeof(xp));
	xp.backend = CRYP_BACKEND_OPENSSL;
	xp.cipher = xfer_algs[0].cipher;
	xp.port = wrk_engine_port(e2, 0);
	xp.bytes = 2 * XFER_MIB;
	xp.rekey = true;
	xp.seed = 3;
	xfer_run(&xp);
	wrk_engine_free(e2);
	wrk_engine_free(e);
	/* A slowed lcore worker keeps the order; each in turn. */
	for (nw = 1; nw <= 2; nw++) {
		for (slow = 0; slow < nw; slow++) {
			e = xfer_engine("openssl", xfer_algs[0].cipher, nw,
			    WRK_RUNTIME_DPDK);
			assert_int_equal(
			    wrk_engine_runtime(e), WRK_RUNTIME_DPDK);
			xfer_slow_order(e, CRYP_BACKEND_OPENSSL, &xfer_algs[0],
			    slow, 4 * XFER_MIB, 5 + slow + 2 * nw);
			wrk_engine_free(e);
		}
	}
	/* The same on the device. */
	if (cryp_backend_available(CRYP_BACKEND_CRYPTODEV)) {
		e = xfer_engine(
		    "cryptodev", xfer_algs[3].cipher, 2, WRK_RUNTIME_DPDK);
		xfer_slow_order(e, CRYP_BACKEND_CRYPTODEV, &xfer_algs[3], 1,
		    4 * XFER_MIB, 9);
		wrk_engine_free(e);
	}
}

static int
child_dpdk(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(child_dpdk_body),
	};

	qssh_log_init(
	    "test_dpdk_workers", QSSH_LOG_ERROR, QSSH_LOG_FAC_USER, true);
	if (dp_eal_start(EAL_ARGS) != 0) {
		print_message("EAL did not start here: skipped\n");
		return SKIPPED;
	}
	return cmocka_run_group_tests_name("dpdk", t, NULL, NULL);
}

static void
test_dpdk_lcores(void **state)
{
	int rc;

	(void)state;
	rc = in_child(child_dpdk);
	if (rc == SKIPPED)
		skip();
	assert_int_equal(rc, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eal_failure_falls_back),
		cmocka_unit_test(test_eal_late_failure_falls_back),
		cmocka_unit_test(test_dpdk_lcores),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
