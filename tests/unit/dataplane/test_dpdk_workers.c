/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Crypto worker engine on DPDK lcores, through the transport.  The EAL
 * starts once per process, so each case runs in a forked child:
 *  - bad EAL arguments: the engine falls back to threads with one log
 *    line and a transfer through it works;
 *  - a running EAL (no hugepages, lcores 1 and 2 for the workers): byte-
 *    exact transfers with a rekey for every backend (cryptodev included
 *    when its device attached), worker count 0..2 and algorithm; 256 MiB
 *    for one combination per backend with QSSH_TEST_BIG set.
 * Skipped (77) without DPDK or when the EAL cannot start here.
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
#include "dataplane/transport.h"
#include "dataplane/workers.h"

/* test_transport_workers_xfer.c */
struct xfer_params {
	enum cryp_backend_id backend;
	const char *cipher;
	const char *mac;
	struct wrk_port *port;
	uint64_t bytes;
	bool rekey;
	bool strict;
	uint32_t max_payload;
	uint64_t seed;
};
void xfer_run(const struct xfer_params *xp);
struct wrk_engine *xfer_engine(const char *backend, const char *cipher,
    uint32_t nworkers, enum wrk_runtime rt);

#define SKIPPED 77
#define MIB (1024u * 1024u)
/* Main lcore 0 on cpu 0, worker lcores 1 and 2 sharing cpu 1. */
#define EAL_ARGS                                                      \
	"--lcores=0@0,1@1,2@1 --no-huge -m 256 --no-shconf --no-pci " \
	"--no-telemetry --vdev=crypto_aesni_mb"

static const struct {
	const char *cipher;
	const char *mac;
} algs[] = {
	{ "aes128-gcm@openssh.com", NULL },
	{ "aes256-gcm@openssh.com", NULL },
	{ "chacha20-poly1305@openssh.com", NULL },
	{ "aes128-ctr", "hmac-sha2-256-etm@openssh.com" },
};

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

static void
transfer(struct wrk_engine *e, enum cryp_backend_id be, size_t a,
    uint64_t bytes, uint64_t seed)
{
	struct xfer_params xp;

	memset(&xp, 0, sizeof(xp));
	xp.backend = be;
	xp.cipher = algs[a].cipher;
	xp.mac = algs[a].mac;
	xp.port = wrk_engine_port(e, 0);
	xp.bytes = bytes;
	xp.rekey = true;
	xp.strict = seed % 2 == 0;
	xp.seed = seed;
	xfer_run(&xp);
}

/* A child's cmocka run: its own group, its failures as exit status. */
static void
child_fallback_body(void **state)
{
	struct wrk_config cfg;
	struct wrk_engine *e;
	int err = 0;

	(void)state;
	qssh_log_init(
	    "test_dpdk_workers", QSSH_LOG_INFO, QSSH_LOG_FAC_USER, true);
	qssh_log_set_hook(count_hook, NULL);
	wrk_config_init(&cfg);
	memset(cfg.num_workers, 0, sizeof(cfg.num_workers));
	cfg.num_workers[WRK_POOL_GCM] = 1;
	cfg.mode = WRK_MODE_OFFLOAD;
	cfg.backend = "openssl";
	cfg.runtime = WRK_RUNTIME_DPDK;
	cfg.eal_args = "--no-huge --no-shconf --no-such-eal-option";
	e = wrk_engine_new(&cfg, &err);
	assert_non_null(e);
	assert_int_equal(wrk_engine_runtime(e), WRK_RUNTIME_THREADS);
	assert_int_equal(wrk_engine_num_workers(e), 1);
	assert_int_equal(nlines, 1);
	assert_false(dp_eal_running());
	transfer(e, CRYP_BACKEND_OPENSSL, 0, 4 * MIB, 11);
	wrk_engine_free(e);
	/* Without eal_args: one line too, still threads. */
	nlines = 0;
	cfg.eal_args = NULL;
	e = wrk_engine_new(&cfg, &err);
	assert_non_null(e);
	assert_int_equal(wrk_engine_runtime(e), WRK_RUNTIME_THREADS);
	assert_int_equal(nlines, 1);
	wrk_engine_free(e);
}

static int
child_fallback(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(child_fallback_body),
	};

	return cmocka_run_group_tests_name("fallback", t, NULL, NULL);
}

static void
test_eal_failure_falls_back(void **state)
{
	(void)state;
	assert_int_equal(in_child(child_fallback), 0);
}

static bool big;

static void
run_backend(enum cryp_backend_id be)
{
	const struct cryp_cipher_info *ci;
	const struct cryp_mac_info *mi;
	struct wrk_engine *e;
	uint32_t nw;
	size_t a;

	if (!cryp_backend_available(be)) {
		print_message(
		    "backend %s unavailable: skipped\n", cryp_backend_name(be));
		return;
	}
	for (nw = 0; nw <= 2; nw++) {
		for (a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
			ci = cryp_cipher_by_name(algs[a].cipher);
			mi = algs[a].mac ? cryp_mac_by_name(algs[a].mac) : NULL;
			if (!cryp_backend_supports(be, ci->id,
				mi != NULL ? mi->id : CRYP_MAC_NONE)) {
				print_message("skip %s on %s\n", ci->name,
				    cryp_backend_name(be));
				continue;
			}
			e = xfer_engine(cryp_backend_name(be), ci->name, nw,
			    WRK_RUNTIME_DPDK);
			assert_int_equal(
			    wrk_engine_runtime(e), WRK_RUNTIME_DPDK);
			print_message("dpdk lcores, %s %s workers %u: %u MiB "
				      "each way\n",
			    cryp_backend_name(be), ci->name, nw, 16);
			transfer(e, be, a, 16 * MIB, 100 + nw * 10 + a);
			wrk_engine_free(e);
		}
	}
	if (!big)
		return;
	e = xfer_engine(
	    cryp_backend_name(be), algs[0].cipher, 2, WRK_RUNTIME_DPDK);
	assert_int_equal(wrk_engine_runtime(e), WRK_RUNTIME_DPDK);
	print_message("dpdk lcores, %s %s workers 2: 256 MiB each way\n",
	    cryp_backend_name(be), algs[0].cipher);
	transfer(e, be, 0, 256 * MIB, 4242);
	wrk_engine_free(e);
}

static void
child_dpdk_body(void **state)
{
	struct wrk_engine *e;

	(void)state;
	run_backend(CRYP_BACKEND_OPENSSL);
	run_backend(CRYP_BACKEND_IPSECMB);
	run_backend(CRYP_BACKEND_CRYPTODEV);
	/* Two engines with two workers each: only two worker lcores. */
	e = xfer_engine("openssl", algs[0].cipher, 2, WRK_RUNTIME_DPDK);
	{
		struct wrk_engine *e2 =
		    xfer_engine("openssl", algs[0].cipher, 2, WRK_RUNTIME_DPDK);

		assert_int_equal(wrk_engine_runtime(e), WRK_RUNTIME_DPDK);
		assert_int_equal(wrk_engine_runtime(e2), WRK_RUNTIME_THREADS);
		transfer(e2, CRYP_BACKEND_OPENSSL, 0, 2 * MIB, 3);
		wrk_engine_free(e2);
	}
	/* A slowed lcore worker keeps the order. */
	wrk_test_set_worker_delay(e, 1, 300);
	transfer(e, CRYP_BACKEND_OPENSSL, 0, 4 * MIB, 5);
	wrk_engine_free(e);
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
	big = getenv("QSSH_TEST_BIG") != NULL;
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
		cmocka_unit_test(test_dpdk_lcores),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
