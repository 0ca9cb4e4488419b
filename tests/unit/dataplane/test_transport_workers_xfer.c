/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * In-memory transfer between a client tport and a server tport, both
 * directions at once, with a key exchange in the middle of the stream
 * (KEXINIT both ways, NEWKEYS both ways, new keys installed where a real
 * kex installs them).  Every byte received is compared with what was sent.
 * Shared by test_transport_workers, test_transport_workers_big and
 * test_dpdk_workers.  Payloads are windows of one pseudo-random pattern
 * made once per process: nothing is generated per byte.
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

const struct xfer_alg xfer_algs[] = {
	{ "aes128-gcm@openssh.com", NULL },
	{ "aes256-gcm@openssh.com", NULL },
	{ "chacha20-poly1305@openssh.com", NULL },
	{ "aes128-ctr", "hmac-sha2-256-etm@openssh.com" },
	/* Lengths read through the busy session: one packet at a time. */
	{ "aes256-ctr", "hmac-sha2-512" },
};
const size_t xfer_num_algs = sizeof(xfer_algs) / sizeof(xfer_algs[0]);

#define PAT_LEN ((1u << 20) + 7u)
#define PAT_EXTRA (64u * 1024)
#define BACKLOG_MAX (4u * 1024 * 1024)
#define SHUTTLE_MAX (1u * 1024 * 1024)

static uint8_t *pattern;

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

static void
pattern_init(void)
{
	uint64_t st = 0x9e3779b97f4a7c15ULL;
	uint32_t i;

	if (pattern != NULL)
		return;
	pattern = malloc(PAT_LEN + PAT_EXTRA);
	assert_non_null(pattern);
	for (i = 0; i < PAT_LEN; i++)
		pattern[i] = (uint8_t)rnd(&st);
	/* Any window of up to PAT_EXTRA bytes is contiguous. */
	memcpy(pattern + PAT_LEN, pattern, PAT_EXTRA);
}

static void
make_keys(
    struct tport_keys *k, const char *cipher, const char *mac, uint64_t seed)
{
	uint64_t st = seed | 1;
	size_t i;

	memset(k, 0, sizeof(*k));
	k->cipher = cryp_cipher_by_name(cipher);
	assert_non_null(k->cipher);
	k->mac = mac != NULL ? cryp_mac_by_name(mac) : NULL;
	if (mac != NULL)
		assert_non_null(k->mac);
	for (i = 0; i < sizeof(k->key); i++) {
		k->key[i] = (uint8_t)rnd(&st);
		k->iv[i] = (uint8_t)rnd(&st);
		k->mac_key[i] = (uint8_t)rnd(&st);
	}
}

struct side {
	struct tport *t;
	bool server;
	uint64_t sent, rcvd;
	bool kexinit_sent, newkeys_sent, newkeys_rcvd, kex_done;
	struct tport_keys next_out, next_in;
	uint32_t payloads;
};

static void
send_data(struct side *s, const struct xfer_params *xp, uint64_t *st)
{
	uint32_t maxp = xp->max_payload != 0 ? xp->max_payload : 32768;
	uint32_t n;

	while (s->sent < xp->bytes && tport_output_len(s->t) < BACKLOG_MAX) {
		/* Stop feeding during our kex: tport holds it anyway. */
		if (s->kexinit_sent && !s->newkeys_sent)
			return;
		n = (uint32_t)(rnd(st) % maxp) + 1;
		if (n > xp->bytes - s->sent)
			n = (uint32_t)(xp->bytes - s->sent);
		assert_int_equal(tport_send(s->t, SSH_MSG_CHANNEL_DATA,
				     pattern + s->sent % PAT_LEN, n),
		    0);
		s->sent += n;
		s->payloads++;
		if (xp->tick != NULL)
			xp->tick(xp->tick_arg);
		/* Every 64th packet a flush, as an event loop would. */
		if (s->payloads % 64 == 0)
			assert_int_equal(tport_flush(s->t), 0);
	}
}

static void
start_kex(struct side *s)
{
	assert_int_equal(tport_send(s->t, SSH_MSG_KEXINIT, "k", 1), 0);
	tport_kex_started(s->t);
	s->kexinit_sent = true;
}

static void
send_newkeys(struct side *s, bool strict)
{
	assert_int_equal(tport_send(s->t, SSH_MSG_NEWKEYS, NULL, 0), 0);
	s->newkeys_sent = true;
	assert_int_equal(tport_set_keys_out(s->t, &s->next_out), 0);
	if (strict)
		assert_int_equal(tport_seqnr_out(s->t), 0);
}

/* Move what a shows to b; false if nothing moved. */
static bool
shuttle(struct side *a, struct side *b)
{
	struct qssh_view v = tport_output(a->t);
	size_t n = v.len < SHUTTLE_MAX ? v.len : SHUTTLE_MAX;
	int r;

	while (n > 0) {
		r = tport_input(b->t, v.p, n);
		if (r == 0)
			break;
		assert_int_equal(r, QSSH_ERR_NO_BUFFER_SPACE);
		n /= 2;
	}
	if (n == 0)
		return false;
	assert_int_equal(tport_output_consume(a->t, n), 0);
	return true;
}

static bool
receive(struct side *s, struct side *peer, const struct xfer_params *xp)
{
	struct qssh_view pl;
	uint8_t type;
	bool any = false;
	int r;

	for (;;) {
		r = tport_read_packet(s->t, &type, &pl);
		if (r == QSSH_ERR_AGAIN)
			break;
		assert_int_equal(r, 0);
		any = true;
		if (xp->tick != NULL)
			xp->tick(xp->tick_arg);
		switch (type) {
		case SSH_MSG_CHANNEL_DATA:
			assert_true(pl.len <= xp->bytes - s->rcvd);
			assert_memory_equal(
			    pl.p, pattern + s->rcvd % PAT_LEN, pl.len);
			s->rcvd += pl.len;
			break;
		case SSH_MSG_KEXINIT:
			if (!s->kexinit_sent)
				start_kex(s);
			/* Both KEXINITs seen: our kex messages would go
			 * here; then NEWKEYS. */
			if (!s->newkeys_sent)
				send_newkeys(s, xp->strict);
			break;
		case SSH_MSG_NEWKEYS:
			assert_false(s->newkeys_rcvd);
			s->newkeys_rcvd = true;
			assert_int_equal(
			    tport_set_keys_in(s->t, &s->next_in), 0);
			if (xp->strict)
				assert_int_equal(tport_seqnr_in(s->t), 0);
			break;
		default:
			fail_msg("unexpected message %u", type);
		}
		if (s->newkeys_sent && s->newkeys_rcvd)
			s->kex_done = true;
	}
	(void)peer;
	return any;
}

void
xfer_run(const struct xfer_params *xp)
{
	struct tport_keys kcs, ksc;
	struct side c, s;
	uint64_t st = xp->seed | 1;
	uint32_t idle = 0, waits = 0;
	bool progress;
	int r;

	pattern_init();
	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	c.t = tport_new(false, xp->backend);
	s.t = tport_new(true, xp->backend);
	assert_non_null(c.t);
	assert_non_null(s.t);
	s.server = true;
	tport_set_strict_kex(c.t, xp->strict);
	tport_set_strict_kex(s.t, xp->strict);
	if (xp->port != NULL) {
		assert_int_equal(tport_attach_workers(c.t, xp->port), 0);
		assert_int_equal(tport_attach_workers(s.t, xp->port), 0);
	}
	make_keys(&kcs, xp->cipher, xp->mac, xp->seed + 1);
	make_keys(&ksc, xp->cipher, xp->mac, xp->seed + 2);
	assert_int_equal(tport_set_keys_out(c.t, &kcs), 0);
	assert_int_equal(tport_set_keys_in(s.t, &kcs), 0);
	assert_int_equal(tport_set_keys_out(s.t, &ksc), 0);
	assert_int_equal(tport_set_keys_in(c.t, &ksc), 0);
	make_keys(&c.next_out, xp->cipher, xp->mac, xp->seed + 3);
	s.next_in = c.next_out;
	make_keys(&s.next_out, xp->cipher, xp->mac, xp->seed + 4);
	c.next_in = s.next_out;
	if (!xp->rekey)
		c.kex_done = s.kex_done = true;

	for (;;) {
		progress = false;
		if (xp->tick != NULL)
			xp->tick(xp->tick_arg);
		if (xp->rekey && !c.kexinit_sent && c.sent >= xp->bytes / 2)
			start_kex(&c);
		send_data(&c, xp, &st);
		send_data(&s, xp, &st);
		assert_int_equal(tport_flush(c.t), 0);
		assert_int_equal(tport_flush(s.t), 0);
		progress |= shuttle(&c, &s);
		progress |= shuttle(&s, &c);
		progress |= receive(&s, &c, xp);
		progress |= receive(&c, &s, xp);
		if (c.rcvd == xp->bytes && s.rcvd == xp->bytes && c.kex_done &&
		    s.kex_done && c.sent == xp->bytes && s.sent == xp->bytes &&
		    tport_output_len(c.t) == 0 && tport_output_len(s.t) == 0 &&
		    !tport_work_pending(c.t) && !tport_work_pending(s.t))
			break;
		if (progress) {
			idle = waits = 0;
			continue;
		}
		if (tport_work_pending(c.t) || tport_work_pending(s.t)) {
			r = tport_wait(
			    tport_work_pending(c.t) ? c.t : s.t, 10000);
			/* A loaded machine may be slow; a minute with no
			 * completion at all is a hang. */
			if (r == QSSH_ERR_TIMEOUT && ++waits < 6)
				continue;
			if (r != 0 && r != QSSH_ERR_AGAIN)
				fail_msg("waiting for the workers: %s",
				    qssh_strerror(r));
			waits = 0;
			continue;
		}
		if (++idle > 1000)
			fail_msg(
			    "transfer stuck: c sent %llu rcvd %llu, s sent "
			    "%llu rcvd %llu",
			    (unsigned long long)c.sent,
			    (unsigned long long)c.rcvd,
			    (unsigned long long)s.sent,
			    (unsigned long long)s.rcvd);
	}
	assert_true(!xp->rekey || (c.newkeys_rcvd && s.newkeys_rcvd));
	tport_free(c.t);
	tport_free(s.t);
	qssh_wipe(&kcs, sizeof(kcs));
	qssh_wipe(&ksc, sizeof(ksc));
	qssh_wipe(&c, sizeof(c));
	qssh_wipe(&s, sizeof(s));
}

struct wrk_engine *
xfer_engine(const char *backend, const char *cipher, uint32_t nworkers,
    enum wrk_runtime rt)
{
	const struct cryp_cipher_info *ci = cryp_cipher_by_name(cipher);
	struct wrk_config cfg;
	struct wrk_engine *e;
	int err = 0;

	assert_non_null(ci);
	wrk_config_init(&cfg);
	memset(cfg.num_workers, 0, sizeof(cfg.num_workers));
	cfg.num_workers[wrk_pool_of_cipher(ci->id)] = nworkers;
	cfg.mode = WRK_MODE_OFFLOAD;
	cfg.backend = backend;
	cfg.runtime = rt;
	cfg.ring_size = 256;
	e = wrk_engine_new(&cfg, &err);
	if (e == NULL)
		fail_msg("engine: %s", qssh_strerror(err));
	return e;
}

static const char *
runtime_name(enum wrk_runtime rt)
{
	return rt == WRK_RUNTIME_DPDK ? "dpdk lcores" : "threads";
}

bool
xfer_combo(enum cryp_backend_id be, enum wrk_runtime rt, uint32_t nw,
    const struct xfer_alg *alg, uint64_t bytes, uint64_t seed)
{
	const struct cryp_cipher_info *ci = cryp_cipher_by_name(alg->cipher);
	const struct cryp_mac_info *mi = NULL;
	struct wrk_worker_stats ws;
	struct wrk_stats st;
	struct xfer_params xp;
	struct wrk_engine *e;
	uint64_t t0;
	uint32_t i;

	assert_non_null(ci);
	if (alg->mac != NULL) {
		mi = cryp_mac_by_name(alg->mac);
		assert_non_null(mi);
	}
	if (!cryp_backend_supports(
		be, ci->id, mi != NULL ? mi->id : CRYP_MAC_NONE)) {
		print_message("skip %s%s%s on %s: not supported by the "
			      "backend\n",
		    alg->cipher, mi != NULL ? " " : "",
		    mi != NULL ? alg->mac : "", cryp_backend_name(be));
		return false;
	}
	e = xfer_engine(cryp_backend_name(be), alg->cipher, nw, rt);
	if (wrk_engine_runtime(e) != rt)
		fail_msg("engine runs on %s, not %s",
		    runtime_name(wrk_engine_runtime(e)), runtime_name(rt));
	assert_int_equal(wrk_engine_num_workers(e), nw);
	print_message("%s, %s %s%s%s, %u workers: %llu MiB each way\n",
	    runtime_name(rt), cryp_backend_name(be), alg->cipher,
	    mi != NULL ? " " : "", mi != NULL ? alg->mac : "", nw,
	    (unsigned long long)(bytes / XFER_MIB));
	memset(&xp, 0, sizeof(xp));
	xp.backend = be;
	xp.cipher = alg->cipher;
	xp.mac = alg->mac;
	xp.port = wrk_engine_port(e, 0);
	xp.bytes = bytes;
	xp.rekey = true;
	xp.strict = seed % 2 == 0;
	xp.seed = seed;
	t0 = qssh_monotime_ns();
	xfer_run(&xp);
	/* For the log only: no test asserts a timing. */
	print_message(
	    "  done in %.2f s\n", (double)(qssh_monotime_ns() - t0) / 1e9);
	/* The crypto ran where the configuration says. */
	wrk_engine_stats(e, &st);
	if (nw == 0) {
		assert_int_equal(st.ops_offloaded, 0);
		assert_true(st.ops_inline > 0);
	}
	for (i = 0; i < nw; i++) {
		assert_int_equal(wrk_engine_worker_stats(e, i, &ws), 0);
		if (ws.ops == 0)
			fail_msg("worker %u of %u did no crypto", i, nw);
	}
	wrk_engine_free(e);
	return true;
}

struct mode_cycle {
	struct wrk_engine *e;
	uint64_t st;
};

/* Inline, offload or auto, drawn afresh for every packet sent. */
static void
cycle_mode(void *arg)
{
	static const enum wrk_mode modes[] = { WRK_MODE_INLINE,
		WRK_MODE_OFFLOAD, WRK_MODE_AUTO };
	struct mode_cycle *mc = arg;

	wrk_engine_set_mode(mc->e, modes[rnd(&mc->st) % 3]);
}

void
xfer_slow_order(struct wrk_engine *e, enum cryp_backend_id be,
    const struct xfer_alg *alg, uint32_t slow, uint64_t bytes, uint64_t seed)
{
	struct wrk_worker_stats ws;
	struct wrk_stats st;
	struct xfer_params xp;
	struct mode_cycle mc;

	assert_true(slow < wrk_engine_num_workers(e));
	print_message("slowed worker %u of %u, %s %s: %llu MiB each way\n",
	    slow, wrk_engine_num_workers(e), cryp_backend_name(be), alg->cipher,
	    (unsigned long long)(bytes / XFER_MIB));
	memset(&mc, 0, sizeof(mc));
	mc.e = e;
	mc.st = seed | 1;
	memset(&xp, 0, sizeof(xp));
	xp.backend = be;
	xp.cipher = alg->cipher;
	xp.mac = alg->mac;
	xp.port = wrk_engine_port(e, 0);
	xp.bytes = bytes;
	xp.rekey = true;
	xp.strict = seed % 2 == 0;
	/* Small packets: many bursts, each one slowed. */
	xp.max_payload = 4096;
	xp.seed = seed;
	xp.tick = cycle_mode;
	xp.tick_arg = &mc;
	wrk_test_set_worker_delay(e, slow, 300);
	xfer_run(&xp);
	wrk_test_set_worker_delay(e, slow, 0);
	wrk_engine_set_mode(e, WRK_MODE_OFFLOAD);
	/* Both paths ran, and the slowed worker had work. */
	wrk_engine_stats(e, &st);
	assert_true(st.ops_inline > 0);
	assert_true(st.ops_offloaded > 0);
	assert_int_equal(wrk_engine_worker_stats(e, slow, &ws), 0);
	print_message("  %llu operations inline, %llu offloaded, %llu on the "
		      "slowed worker in %llu bursts\n",
	    (unsigned long long)st.ops_inline,
	    (unsigned long long)st.ops_offloaded, (unsigned long long)ws.ops,
	    (unsigned long long)ws.bursts);
	if (ws.ops == 0)
		fail_msg("the slowed worker %u did no crypto", slow);
}
