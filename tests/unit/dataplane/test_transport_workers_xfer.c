/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * In-memory transfer between a client tport and a server tport, both
 * directions at once, with a key exchange in the middle of the stream
 * (KEXINIT both ways, NEWKEYS both ways, new keys installed where a real
 * kex installs them).  Every byte received is compared with what was sent.
 * Shared by test_transport_workers and test_dpdk_workers.
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

struct xfer_params {
	enum cryp_backend_id backend;
	const char *cipher;
	const char *mac; /* NULL for AEAD */
	struct wrk_port *port; /* NULL: inline */
	uint64_t bytes; /* each direction */
	bool rekey;
	bool strict;
	uint32_t max_payload; /* 0 = 32 KiB */
	uint64_t seed;
};

void xfer_run(const struct xfer_params *xp);
struct wrk_engine *xfer_engine(const char *backend, const char *cipher,
    uint32_t nworkers, enum wrk_runtime rt);

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
	uint32_t idle = 0;
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
			idle = 0;
			continue;
		}
		if (tport_work_pending(c.t) || tport_work_pending(s.t)) {
			r = tport_wait(
			    tport_work_pending(c.t) ? c.t : s.t, 10000);
			assert_true(r == 0 || r == QSSH_ERR_AGAIN);
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
