/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Transport with the crypto worker engine, threads runtime: 256 MiB each
 * way, rekeyed in the middle, for one combination per CPU backend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "crypto-offload/cryp.h"
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

static void
big(enum cryp_backend_id be, const char *cipher, const char *mac, uint32_t nw)
{
	struct xfer_params xp;
	struct wrk_engine *e;

	if (!cryp_backend_available(be)) {
		print_message(
		    "backend %s unavailable: skipped\n", cryp_backend_name(be));
		return;
	}
	e = xfer_engine(cryp_backend_name(be), cipher, nw, WRK_RUNTIME_THREADS);
	memset(&xp, 0, sizeof(xp));
	xp.backend = be;
	xp.cipher = cipher;
	xp.mac = mac;
	xp.port = wrk_engine_port(e, 0);
	xp.bytes = 256ull * 1024 * 1024;
	xp.rekey = true;
	xp.strict = true;
	xp.seed = 4242;
	print_message("%s %s workers %u: 256 MiB each way\n",
	    cryp_backend_name(be), cipher, nw);
	xfer_run(&xp);
	wrk_engine_free(e);
}

static void
test_big_openssl(void **state)
{
	(void)state;
	big(CRYP_BACKEND_OPENSSL, "aes128-gcm@openssh.com", NULL, 2);
}

static void
test_big_ipsecmb(void **state)
{
	(void)state;
	big(CRYP_BACKEND_IPSECMB, "aes128-ctr", "hmac-sha2-256-etm@openssh.com",
	    1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_big_openssl),
		cmocka_unit_test(test_big_ipsecmb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
