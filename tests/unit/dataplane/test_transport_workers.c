/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Transport with the crypto worker engine (threads runtime): byte-exact
 * transfers both ways with a rekey in the middle for every CPU backend,
 * worker count and algorithm (16 MiB each; test_transport_workers_big
 * moves 256 MiB, test_dpdk_workers covers cryptodev and DPDK lcores);
 * order under a slowed worker; a MAC failure decrypted on a worker; the
 * event fd; detaching mid-stream.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/util.h"
#include "crypto-offload/cryp.h"
#include "dataplane/transport.h"
#include "dataplane/workers.h"

#include "test_transport_workers_xfer.h"

/* Per combination here; test_transport_workers_big moves 256 MiB. */
#define MATRIX_BYTES (16ull * XFER_MIB)

static void
test_matrix(void **state)
{
	enum cryp_backend_id bes[] = { CRYP_BACKEND_OPENSSL,
		CRYP_BACKEND_IPSECMB };
	uint32_t nw;
	size_t b, a;

	(void)state;
	for (b = 0; b < sizeof(bes) / sizeof(bes[0]); b++) {
		if (!cryp_backend_available(bes[b])) {
			print_message("backend %s unavailable: skipped\n",
			    cryp_backend_name(bes[b]));
			continue;
		}
		for (nw = 0; nw <= 2; nw++)
			for (a = 0; a < xfer_num_algs; a++)
				(void)xfer_combo(bes[b], WRK_RUNTIME_THREADS,
				    nw, &xfer_algs[a], MATRIX_BYTES,
				    1000 * a + nw + 7 * (uint64_t)bes[b]);
	}
}

/* Not attached: the inline path through the same harness. */
static void
test_inline_baseline(void **state)
{
	struct xfer_params xp;
	size_t a;

	(void)state;
	for (a = 0; a < xfer_num_algs; a++) {
		memset(&xp, 0, sizeof(xp));
		xp.backend = CRYP_BACKEND_OPENSSL;
		xp.cipher = xfer_algs[a].cipher;
		xp.mac = xfer_algs[a].mac;
		xp.bytes = 2 * XFER_MIB;
		xp.rekey = true;
		xp.strict = true;
		xp.seed = 77 + a;
		xfer_run(&xp);
	}
}

/*
 * A slowed worker, each in turn, of one and of two, while the mode changes
 * at random between inline, offload and auto: order must hold regardless.
 * GCM (invocation counter) and CTR (key stream) both advance with every
 * packet.
 */
static void
test_slow_worker_order(void **state)
{
	static const size_t which[] = { 0, 3 };
	struct wrk_engine *e;
	uint32_t nw, slow;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		for (nw = 1; nw <= 2; nw++) {
			for (slow = 0; slow < nw; slow++) {
				e = xfer_engine("openssl",
				    xfer_algs[which[i]].cipher, nw,
				    WRK_RUNTIME_THREADS);
				xfer_slow_order(e, CRYP_BACKEND_OPENSSL,
				    &xfer_algs[which[i]], slow, 4 * XFER_MIB,
				    5 + slow + 2 * nw + 10 * i);
				wrk_engine_free(e);
			}
		}
	}
}

static void
keys_for(struct tport_keys *k, uint8_t fill)
{
	memset(k, 0, sizeof(*k));
	k->cipher = cryp_cipher_by_name("aes256-gcm@openssh.com");
	memset(k->key, fill, sizeof(k->key));
	memset(k->iv, fill ^ 0x5a, sizeof(k->iv));
}

/* Drive t's output to completion. */
static void
settle(struct tport *t)
{
	while (tport_work_pending(t))
		assert_int_equal(tport_wait(t, 10000) == QSSH_ERR_TIMEOUT, 0);
	assert_int_equal(tport_flush(t), 0);
}

static void
test_mac_failure(void **state)
{
	struct wrk_engine *e;
	struct tport *c, *s;
	struct tport_keys k;
	struct qssh_view v, pl;
	uint8_t payload[1000], type, *copy;
	uint32_t total, i, got = 0;
	int r;

	(void)state;
	e = xfer_engine(
	    "openssl", "aes256-gcm@openssh.com", 1, WRK_RUNTIME_THREADS);
	c = tport_new(false, CRYP_BACKEND_OPENSSL);
	s = tport_new(true, CRYP_BACKEND_OPENSSL);
	assert_int_equal(tport_attach_workers(c, wrk_engine_port(e, 0)), 0);
	assert_int_equal(tport_attach_workers(s, wrk_engine_port(e, 0)), 0);
	keys_for(&k, 0x11);
	assert_int_equal(tport_set_keys_out(c, &k), 0);
	assert_int_equal(tport_set_keys_in(s, &k), 0);
	memset(payload, 0xab, sizeof(payload));
	for (i = 0; i < 200; i++)
		assert_int_equal(tport_send(c, SSH_MSG_CHANNEL_DATA, payload,
				     sizeof(payload)),
		    0);
	settle(c);
	v = tport_output(c);
	/* All packets have the same size; GCM's length is clear. */
	total = 4 + qssh_get_u32be(v.p) + 16;
	assert_int_equal(v.len, 200 * total);
	copy = malloc(v.len);
	assert_non_null(copy);
	memcpy(copy, v.p, v.len);
	copy[100 * total + total - 1] ^= 1; /* last tag byte of #100 */
	assert_int_equal(tport_input(s, copy, v.len), 0);
	for (;;) {
		r = tport_read_packet(s, &type, &pl);
		if (r == QSSH_ERR_AGAIN) {
			settle(s);
			continue;
		}
		if (r != 0)
			break;
		assert_int_equal(type, SSH_MSG_CHANNEL_DATA);
		assert_memory_equal(pl.p, payload, sizeof(payload));
		got++;
	}
	assert_int_equal(r, QSSH_ERR_MAC_INVALID);
	assert_int_equal(got, 100);
	/* Sticky. */
	assert_int_equal(
	    tport_read_packet(s, &type, &pl), QSSH_ERR_MAC_INVALID);
	free(copy);
	tport_free(c);
	tport_free(s);
	wrk_engine_free(e);
}

static void
test_event_fd(void **state)
{
	struct wrk_engine *e;
	struct tport *c;
	struct tport_keys k;
	struct pollfd pfd;
	uint8_t payload[512];
	uint32_t i, rounds = 0;

	(void)state;
	e = xfer_engine(
	    "openssl", "aes256-gcm@openssh.com", 1, WRK_RUNTIME_THREADS);
	wrk_test_set_worker_delay(e, 0, 20000);
	c = tport_new(false, CRYP_BACKEND_OPENSSL);
	assert_int_equal(tport_event_fd(c), -1);
	assert_false(tport_arm_event(c));
	assert_int_equal(tport_attach_workers(c, wrk_engine_port(e, 0)), 0);
	assert_true(tport_event_fd(c) >= 0);
	keys_for(&k, 0x22);
	assert_int_equal(tport_set_keys_out(c, &k), 0);
	memset(payload, 1, sizeof(payload));
	for (i = 0; i < 10; i++)
		assert_int_equal(
		    tport_send(c, SSH_MSG_IGNORE, payload, sizeof(payload)), 0);
	assert_int_equal(tport_flush(c), 0);
	/* Nothing shown before the crypto is done. */
	while (tport_work_pending(c)) {
		if (!tport_arm_event(c)) {
			pfd.fd = tport_event_fd(c);
			pfd.events = POLLIN;
			pfd.revents = 0;
			assert_int_equal(poll(&pfd, 1, 10000), 1);
			assert_true((pfd.revents & POLLIN) != 0);
		}
		assert_int_equal(tport_flush(c), 0);
		rounds++;
	}
	assert_true(rounds > 0);
	assert_true(tport_output_len(c) > 10 * sizeof(payload));
	assert_false(tport_arm_event(c));
	tport_free(c);
	wrk_engine_free(e);
}

/* Detach in the middle: the rest goes inline, the peer sees no seam. */
static void
test_detach(void **state)
{
	struct wrk_engine *e;
	struct tport *c, *s;
	struct tport_keys k;
	struct qssh_view v, pl;
	uint8_t payload[3000], type;
	uint32_t i, got = 0;
	int r;

	(void)state;
	e = xfer_engine(
	    "openssl", "aes256-gcm@openssh.com", 2, WRK_RUNTIME_THREADS);
	c = tport_new(false, CRYP_BACKEND_OPENSSL);
	s = tport_new(true, CRYP_BACKEND_OPENSSL);
	assert_int_equal(tport_attach_workers(c, wrk_engine_port(e, 0)), 0);
	assert_int_equal(tport_attach_workers(s, wrk_engine_port(e, 0)), 0);
	keys_for(&k, 0x33);
	assert_int_equal(tport_set_keys_out(c, &k), 0);
	assert_int_equal(tport_set_keys_in(s, &k), 0);
	for (i = 0; i < 300; i++) {
		memset(payload, (int)i, sizeof(payload));
		assert_int_equal(tport_send(c, SSH_MSG_CHANNEL_DATA, payload,
				     sizeof(payload)),
		    0);
		if (i == 150) {
			assert_int_equal(tport_attach_workers(c, NULL), 0);
			assert_int_equal(tport_event_fd(c), -1);
		}
	}
	v = tport_output(c);
	assert_int_equal(tport_input(s, v.p, v.len / 2), 0);
	assert_int_equal(tport_attach_workers(s, NULL), 0);
	assert_int_equal(tport_input(s, v.p + v.len / 2, v.len - v.len / 2), 0);
	assert_int_equal(tport_output_consume(c, v.len), 0);
	while ((r = tport_read_packet(s, &type, &pl)) == 0) {
		assert_int_equal(pl.len, sizeof(payload));
		assert_int_equal(pl.p[0], (uint8_t)got);
		assert_int_equal(pl.p[sizeof(payload) - 1], (uint8_t)got);
		got++;
	}
	assert_int_equal(r, QSSH_ERR_AGAIN);
	assert_int_equal(got, 300);
	tport_free(c);
	tport_free(s);
	wrk_engine_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inline_baseline),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_slow_worker_order),
		cmocka_unit_test(test_mac_failure),
		cmocka_unit_test(test_event_fd),
		cmocka_unit_test(test_detach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
