/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Feeding a transport's input.  tport_input() takes at most
 * tport_input_room() bytes; with crypto workers attached, the room can run
 * out while the packets at the front of the input queue are still being
 * decrypted, although the reader has taken every packet it could.  A
 * reader that feeds fixed-size chunks regardless (as qssh's socket read
 * once did) then fails with QSSH_ERR_NO_BUFFER_SPACE; one that feeds at
 * most the room and waits for the workers when there is none (as
 * qssh_conn_read() does) moves any amount.
 *
 * A worker slowed by wrk_test_set_worker_delay() holds the packets, and
 * the stream is framed before the reader starts, so the reader feeds far
 * faster than the worker completes.  The input queue is first grown to
 * its largest storage (it keeps it), so that filling it up to its cap
 * needs no compaction, which would wait for the workers.  So the queue
 * fills whatever the timing: nothing here depends on how fast the machine
 * is.
 */
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

/* What qssh reads from its socket at most at a time. */
#define CHUNK (256u * 1024)
/* Payloads of 1..MAX_PAYLOAD bytes: several packets per chunk. */
#define MAX_PAYLOAD (64u * 1024)
#define PAT_LEN ((1u << 20) + 13u)
/* Longest wait for the workers in one round, and rounds of it allowed. */
#define WAIT_MS 10000
#define WAITS_MAX 6
/* Rounds of the fixed-chunk reader before the queue must have filled. */
#define FIXED_ROUNDS_MAX 1000u

static uint8_t *pattern; /* PAT_LEN + MAX_PAYLOAD bytes */

static uint64_t
rnd(uint64_t *st)
{
	uint64_t x = *st;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*st = x;
	return x;
}

static int
pattern_setup(void **state)
{
	uint64_t st = 0x2545f4914f6cdd1dULL;
	uint32_t i;

	(void)state;
	if ((pattern = malloc(PAT_LEN + MAX_PAYLOAD)) == NULL)
		return -1;
	for (i = 0; i < PAT_LEN; i++)
		pattern[i] = (uint8_t)rnd(&st);
	/* Any window of up to MAX_PAYLOAD bytes is contiguous. */
	memcpy(pattern + PAT_LEN, pattern, MAX_PAYLOAD);
	return 0;
}

static int
pattern_teardown(void **state)
{
	(void)state;
	free(pattern);
	pattern = NULL;
	return 0;
}

static void
make_keys(struct tport_keys *k, const struct xfer_alg *alg, uint64_t seed)
{
	uint64_t st = seed | 1;
	size_t i;

	memset(k, 0, sizeof(*k));
	k->cipher = cryp_cipher_by_name(alg->cipher);
	assert_non_null(k->cipher);
	if (alg->mac != NULL) {
		k->mac = cryp_mac_by_name(alg->mac);
		assert_non_null(k->mac);
	}
	for (i = 0; i < sizeof(k->key); i++) {
		k->key[i] = (uint8_t)rnd(&st);
		k->iv[i] = (uint8_t)rnd(&st);
		k->mac_key[i] = (uint8_t)rnd(&st);
	}
}

/*
 * s sends CHANNEL_DATA (crypto inline); c receives it, its crypto on the
 * engine's workers, from a reader that takes bytes off s's output as if
 * from a socket.
 */
struct rig {
	struct wrk_engine *e;
	struct tport *s, *c;
	uint64_t total, sent, rcvd;
	uint64_t ahead; /* s keeps this much framed for the reader */
	uint64_t rng;
	uint32_t full_rounds; /* rounds that found no room */
};

static bool
alg_supported(enum cryp_backend_id be, const struct xfer_alg *alg)
{
	const struct cryp_cipher_info *ci = cryp_cipher_by_name(alg->cipher);
	const struct cryp_mac_info *mi =
	    alg->mac != NULL ? cryp_mac_by_name(alg->mac) : NULL;

	assert_non_null(ci);
	if (alg->mac != NULL)
		assert_non_null(mi);
	if (!cryp_backend_available(be) ||
	    !cryp_backend_supports(
		be, ci->id, mi != NULL ? mi->id : CRYP_MAC_NONE)) {
		print_message("skip %s%s%s on %s: not available\n", alg->cipher,
		    mi != NULL ? " " : "", mi != NULL ? alg->mac : "",
		    cryp_backend_name(be));
		return false;
	}
	return true;
}

/* Hand up to len bytes of s's output to c; the result of tport_input(). */
static int
move_bytes(struct rig *g, size_t len)
{
	struct qssh_view v = tport_output(g->s);
	int r;

	if (len > v.len)
		len = v.len;
	if (len == 0)
		return 0;
	if ((r = tport_input(g->c, v.p, len)) != 0)
		return r;
	assert_int_equal(tport_output_consume(g->s, len), 0);
	return 0;
}

/*
 * Before the keys: fill c's input queue to its cap with cleartext IGNORE
 * packets, then read them all.  The queue keeps the storage it grew to.
 */
static void
rig_grow_input(struct rig *g)
{
	static const uint8_t body[32768];
	struct qssh_view pl;
	size_t empty_room = tport_input_room(g->c);
	uint8_t type;
	int r;

	while (tport_input_room(g->c) > 0) {
		if (tport_output_len(g->s) == 0)
			assert_int_equal(tport_send(g->s, SSH_MSG_IGNORE, body,
					     sizeof(body)),
			    0);
		assert_int_equal(move_bytes(g, tport_input_room(g->c)), 0);
	}
	for (;;) {
		while ((r = tport_read_packet(g->c, &type, &pl)) == 0)
			assert_int_equal(type, SSH_MSG_IGNORE);
		assert_int_equal(r, QSSH_ERR_AGAIN);
		if (tport_output_len(g->s) == 0)
			break;
		assert_int_equal(move_bytes(g, CHUNK), 0);
	}
	assert_int_equal(tport_input_room(g->c), empty_room);
}

/*
 * s sends total bytes, keeping ahead bytes framed; c's engine has nw
 * workers, each slowed by delay_us per burst.
 */
static void
rig_init(struct rig *g, enum cryp_backend_id be, const struct xfer_alg *alg,
    uint32_t nw, uint32_t delay_us, uint64_t total, uint64_t ahead,
    uint64_t seed)
{
	struct tport_keys k;
	uint32_t i;

	memset(g, 0, sizeof(*g));
	g->total = total;
	g->ahead = ahead;
	g->rng = seed | 1;
	g->e = xfer_engine(
	    cryp_backend_name(be), alg->cipher, nw, WRK_RUNTIME_THREADS);
	for (i = 0; i < nw; i++)
		wrk_test_set_worker_delay(g->e, i, delay_us);
	g->s = tport_new(true, be);
	g->c = tport_new(false, be);
	assert_non_null(g->s);
	assert_non_null(g->c);
	assert_int_equal(
	    tport_attach_workers(g->c, wrk_engine_port(g->e, 0)), 0);
	rig_grow_input(g);
	make_keys(&k, alg, seed);
	assert_int_equal(tport_set_keys_out(g->s, &k), 0);
	assert_int_equal(tport_set_keys_in(g->c, &k), 0);
	qssh_wipe(&k, sizeof(k));
}

static void
rig_free(struct rig *g)
{
	/* Waits for what is still on the workers. */
	tport_free(g->c);
	tport_free(g->s);
	wrk_engine_free(g->e);
	memset(g, 0, sizeof(*g));
}

/* The sender frames packets until g->ahead bytes wait for the reader. */
static void
produce(struct rig *g)
{
	uint32_t n;

	while (g->sent < g->total && tport_output_len(g->s) < g->ahead) {
		n = (uint32_t)(rnd(&g->rng) % MAX_PAYLOAD) + 1;
		if (n > g->total - g->sent)
			n = (uint32_t)(g->total - g->sent);
		assert_int_equal(tport_send(g->s, SSH_MSG_CHANNEL_DATA,
				     pattern + g->sent % PAT_LEN, n),
		    0);
		g->sent += n;
	}
}

/* Every packet c has ready, each compared with what was sent. */
static bool
drain(struct rig *g)
{
	struct qssh_view pl;
	uint8_t type;
	bool any = false;
	int r;

	for (;;) {
		r = tport_read_packet(g->c, &type, &pl);
		if (r == QSSH_ERR_AGAIN)
			return any;
		assert_int_equal(r, 0);
		assert_int_equal(type, SSH_MSG_CHANNEL_DATA);
		assert_true(pl.len <= g->sent - g->rcvd);
		assert_memory_equal(pl.p, pattern + g->rcvd % PAT_LEN, pl.len);
		g->rcvd += pl.len;
		any = true;
	}
}

/*
 * One read as qssh_conn_read() does it: at most the room; none when the
 * queue is full, but a wait for the workers that hold its front.  True if
 * bytes moved.
 */
static bool
feed_paced(struct rig *g)
{
	size_t room = tport_input_room(g->c);
	int r;

	if (room == 0) {
		g->full_rounds++;
		r = tport_wait(g->c, WAIT_MS);
		assert_true(
		    r == 0 || r == QSSH_ERR_AGAIN || r == QSSH_ERR_TIMEOUT);
		return false;
	}
	if (tport_output_len(g->s) == 0)
		return false;
	assert_int_equal(move_bytes(g, room < CHUNK ? room : CHUNK), 0);
	return true;
}

/* The rest of the transfer through the paced reader. */
static void
finish_paced(struct rig *g)
{
	uint32_t idle = 0, waits = 0;
	bool progress;
	int r;

	while (g->rcvd < g->total) {
		produce(g);
		assert_int_equal(tport_flush(g->c), 0);
		progress = feed_paced(g);
		progress |= drain(g);
		if (progress) {
			idle = waits = 0;
			continue;
		}
		/* Nothing moved or read: the workers hold the front. */
		r = tport_wait(g->c, WAIT_MS);
		if (r == 0) {
			idle = waits = 0;
			continue;
		}
		/* A loaded machine may be slow; a minute is a hang. */
		if (r == QSSH_ERR_TIMEOUT) {
			if (++waits >= WAITS_MAX)
				fail_msg("no completion from the workers");
			continue;
		}
		assert_int_equal(r, QSSH_ERR_AGAIN);
		if (++idle > 1000)
			fail_msg("transfer stuck: sent %llu, received %llu, "
				 "room %zu",
			    (unsigned long long)g->sent,
			    (unsigned long long)g->rcvd,
			    tport_input_room(g->c));
	}
	assert_int_equal(g->rcvd, g->total);
	assert_int_equal(tport_output_len(g->s), 0);
	assert_false(tport_work_pending(g->c));
}

/* Ways of reading lengths ahead: in the clear, and through a twin. */
static const struct xfer_alg algs_wq[] = {
	{ "aes128-gcm@openssh.com", NULL },
	{ "aes128-ctr", "hmac-sha2-256-etm@openssh.com" },
	{ "chacha20-poly1305@openssh.com", NULL },
};
#define NUM_ALGS_WQ (sizeof(algs_wq) / sizeof(algs_wq[0]))

static const enum cryp_backend_id backends[] = { CRYP_BACKEND_OPENSSL,
	CRYP_BACKEND_IPSECMB };
#define NUM_BACKENDS (sizeof(backends) / sizeof(backends[0]))

/*
 * tport_input_room() is exact: that many bytes are taken, one more is
 * refused with QSSH_ERR_NO_BUFFER_SPACE and nothing of it is queued.
 * Attaching workers makes the queue larger.
 */
static void
test_room_exact(void **state)
{
	struct wrk_engine *e;
	struct tport *t;
	uint8_t *junk;
	size_t room, room_wq;

	(void)state;
	t = tport_new(false, CRYP_BACKEND_OPENSSL);
	assert_non_null(t);
	room = tport_input_room(t);
	assert_true(room >= 2 * (size_t)TPORT_PACKET_MAX);
	junk = calloc(1, room + 1);
	assert_non_null(junk);
	assert_int_equal(tport_input(t, junk, room), 0);
	assert_int_equal(tport_input_room(t), 0);
	assert_int_equal(tport_input(t, junk, 1), QSSH_ERR_NO_BUFFER_SPACE);
	assert_int_equal(tport_input_room(t), 0);
	tport_free(t);
	free(junk);

	e = xfer_engine(
	    "openssl", "aes128-gcm@openssh.com", 1, WRK_RUNTIME_THREADS);
	t = tport_new(false, CRYP_BACKEND_OPENSSL);
	assert_non_null(t);
	assert_int_equal(tport_attach_workers(t, wrk_engine_port(e, 0)), 0);
	room_wq = tport_input_room(t);
	assert_true(room_wq > room);
	junk = calloc(1, room_wq);
	assert_non_null(junk);
	/* Unkeyed: bytes are only queued, nothing goes to the workers. */
	assert_int_equal(tport_input(t, junk, room_wq - 1), 0);
	assert_int_equal(tport_input_room(t), 1);
	assert_int_equal(tport_input(t, junk, 2), QSSH_ERR_NO_BUFFER_SPACE);
	assert_int_equal(tport_input(t, junk, 1), 0);
	assert_int_equal(tport_input_room(t), 0);
	tport_free(t);
	free(junk);
	wrk_engine_free(e);
}

/*
 * The failure qssh showed, without a socket: a reader that takes every
 * packet it can and then feeds a fixed 256 KiB chunk overruns the input
 * queue while a slowed worker holds the packets at its front.  The
 * refused chunk leaves the transport intact: a paced reader finishes the
 * stream byte-exact.
 */
static void
test_fixed_chunks_overflow(void **state)
{
	const struct xfer_alg *alg;
	struct rig g;
	uint32_t rounds;
	size_t b, a;
	int r;

	(void)state;
	for (b = 0; b < NUM_BACKENDS; b++) {
		for (a = 0; a < NUM_ALGS_WQ; a++) {
			alg = &algs_wq[a];
			if (!alg_supported(backends[b], alg))
				continue;
			rig_init(&g, backends[b], alg, 1, 20000,
			    24ull * XFER_MIB, 24ull * XFER_MIB,
			    11 + 10 * b + a);
			r = 0;
			for (rounds = 0; rounds < FIXED_ROUNDS_MAX && r == 0;
			     rounds++) {
				produce(&g);
				(void)drain(&g);
				/* As the old read: CHUNK bytes, any room. */
				r = move_bytes(&g, CHUNK);
			}
			print_message("%s %s%s%s, worker +20 ms per burst: "
				      "%u KiB chunk refused in round %u, "
				      "%llu bytes read, room %zu\n",
			    cryp_backend_name(backends[b]), alg->cipher,
			    alg->mac != NULL ? " " : "",
			    alg->mac != NULL ? alg->mac : "", CHUNK / 1024,
			    rounds, (unsigned long long)g.rcvd,
			    tport_input_room(g.c));
			assert_int_equal(r, QSSH_ERR_NO_BUFFER_SPACE);
			/* Full while the front is still on the worker. */
			assert_true(tport_input_room(g.c) < CHUNK);
			assert_true(tport_work_pending(g.c));
			assert_true(g.rcvd < g.total);
			/* Not sticky: the paced reader moves the rest. */
			wrk_test_set_worker_delay(g.e, 0, 0);
			finish_paced(&g);
			rig_free(&g);
		}
	}
}

/*
 * The paced reader under slowed workers, for each way of reading lengths
 * ahead, with one and two workers: the queue fills, the reader waits for
 * the workers, and the stream arrives byte-exact.  AES-CTR with a non-etm
 * MAC, whose input stays inline with workers attached, goes through the
 * same reader without ever finding the queue full.
 */
static void
test_paced_slowed_workers(void **state)
{
	static const struct xfer_alg ctr = { "aes128-ctr", "hmac-sha2-256" };
	const struct xfer_alg *alg;
	struct rig g;
	uint32_t nw;
	size_t b, a;

	(void)state;
	for (b = 0; b < NUM_BACKENDS; b++) {
		for (a = 0; a <= NUM_ALGS_WQ; a++) {
			alg = a < NUM_ALGS_WQ ? &algs_wq[a] : &ctr;
			if (!alg_supported(backends[b], alg))
				continue;
			for (nw = 1; nw <= 2; nw++) {
				rig_init(&g, backends[b], alg, nw, 10000,
				    16ull * XFER_MIB, 16ull * XFER_MIB,
				    100 * a + 10 * b + nw);
				finish_paced(&g);
				print_message("%s %s%s%s, workers %u +10 ms "
					      "per burst: 16 MiB, %u rounds "
					      "without room\n",
				    cryp_backend_name(backends[b]), alg->cipher,
				    alg->mac != NULL ? " " : "",
				    alg->mac != NULL ? alg->mac : "", nw,
				    g.full_rounds);
				if (alg != &ctr)
					assert_true(g.full_rounds > 0);
				else
					assert_int_equal(g.full_rounds, 0);
				rig_free(&g);
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_room_exact),
		cmocka_unit_test(test_fixed_chunks_overflow),
		cmocka_unit_test(test_paced_slowed_workers),
	};

	return cmocka_run_group_tests(tests, pattern_setup, pattern_teardown);
}
