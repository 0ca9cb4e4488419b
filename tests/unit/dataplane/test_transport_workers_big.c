/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Transport on the crypto worker engine, the large matrix: for one backend
 * and one runtime (the arguments), every worker count 0..2 and every
 * algorithm the backend does, 256 MiB each way at once, byte-exact, with a
 * rekey forced half-way.  ctest runs one process per backend x runtime so
 * that they can run in parallel.
 *
 *   test_transport_workers_big openssl|ipsec-mb|cryptodev threads|dpdk
 *
 * QSSH_TEST_XFER_MIB overrides the size.  The DPDK runtime and the
 * cryptodev backend start the EAL (no hugepages, lcores 1 and 2 for the
 * workers, the crypto_aesni_mb device).  Exit code 77 (skipped) when the
 * backend is not built in or not usable here, or the EAL cannot start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/log.h"
#include "crypto-offload/cryp.h"
#include "dataplane/eal.h"
#include "dataplane/workers.h"

#include "test_transport_workers_xfer.h"

#define SKIPPED 77
/* Main lcore 0 on cpu 0, worker lcores 1 and 2 sharing cpu 1. */
#define EAL_ARGS                                                      \
	"--lcores=0@0,1@1,2@1 --no-huge -m 256 --no-shconf --no-pci " \
	"--no-telemetry --vdev=crypto_aesni_mb"

static enum cryp_backend_id backend;
static enum wrk_runtime runtime;
static uint64_t bytes = 256ull * XFER_MIB;

static void
all_algs(uint32_t nw)
{
	size_t a;

	for (a = 0; a < xfer_num_algs; a++)
		(void)xfer_combo(backend, runtime, nw, &xfer_algs[a], bytes,
		    4242 + 100 * nw + 10 * a + (uint64_t)backend);
}

static void
test_workers_0(void **state)
{
	(void)state;
	all_algs(0);
}

static void
test_workers_1(void **state)
{
	(void)state;
	all_algs(1);
}

static void
test_workers_2(void **state)
{
	(void)state;
	all_algs(2);
}

static int
usage(const char *prog)
{
	fprintf(stderr, "usage: %s openssl|ipsec-mb|cryptodev threads|dpdk\n",
	    prog);
	return 2;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workers_0),
		cmocka_unit_test(test_workers_1),
		cmocka_unit_test(test_workers_2),
	};
	const char *env = getenv("QSSH_TEST_XFER_MIB");
	char name[64];
	unsigned long mib;
	char *end;

	if (argc != 3 || cryp_backend_from_name(argv[1], &backend) != 0)
		return usage(argv[0]);
	if (strcmp(argv[2], "threads") == 0)
		runtime = WRK_RUNTIME_THREADS;
	else if (strcmp(argv[2], "dpdk") == 0)
		runtime = WRK_RUNTIME_DPDK;
	else
		return usage(argv[0]);
	if (env != NULL && *env != '\0') {
		mib = strtoul(env, &end, 10);
		if (*end != '\0' || mib == 0 || mib > 65536) {
			fprintf(stderr, "QSSH_TEST_XFER_MIB: bad size \"%s\"\n",
			    env);
			return 2;
		}
		bytes = (uint64_t)mib * XFER_MIB;
	}
	qssh_log_init("test_transport_workers_big", QSSH_LOG_ERROR,
	    QSSH_LOG_FAC_USER, true);
	if ((runtime == WRK_RUNTIME_DPDK ||
		backend == CRYP_BACKEND_CRYPTODEV) &&
	    dp_eal_start(EAL_ARGS) != 0) {
		printf("skipped: the DPDK EAL did not start here\n");
		return SKIPPED;
	}
	if (!cryp_backend_available(backend)) {
		printf("skipped: backend %s is not usable here\n",
		    cryp_backend_name(backend));
		return SKIPPED;
	}
	(void)snprintf(name, sizeof(name), "%s %s", argv[1], argv[2]);
	return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}
