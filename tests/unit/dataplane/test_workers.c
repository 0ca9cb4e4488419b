/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Crypto worker engine: results through the engine must equal, byte for
 * byte, cryp_op_process() run inline on twin sessions with the same keys,
 * in submission order per flow, whatever the mode, worker count, delays
 * and ring sizes.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/util.h"
#include "crypto-offload/cryp.h"
#include "dataplane/workers.h"

struct alg {
	const char *cipher;
	const char *mac;
};

static const struct alg all_algs[] = {
	{ "aes128-gcm@openssh.com", NULL },
	{ "aes256-gcm@openssh.com", NULL },
	{ "chacha20-poly1305@openssh.com", NULL },
	{ "aes128-ctr", "hmac-sha2-256" },
	{ "aes192-ctr", "hmac-sha1" },
	{ "aes256-ctr", "hmac-sha2-512-etm@openssh.com" },
};

static const struct alg gcm_algs[] = {
	{ "aes128-gcm@openssh.com", NULL },
	{ "aes256-gcm@openssh.com", NULL },
};

struct tflow;

struct tpkt {
	struct cryp_op op;
	uint8_t tag[64];
	uint8_t *ref;
	uint8_t reftag[64];
	int refstatus;
	uint32_t idx;
	struct tflow *fl;
};

struct tflow {
	const struct cryp_cipher_info *ci;
	struct cryp_session *s;
	struct cryp_session *twin;
	struct wrk_flow wf;
	struct tpkt *pk;
	uint32_t n;
	uint32_t tag_len;
	uint32_t next_submit;
	uint32_t next_collect;
};

/* Deterministic generator so that a failure can be replayed. */
static uint64_t
rnd_next(uint64_t *st)
{
	uint64_t x = *st;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*st = x;
	return x;
}

static void
rnd_fill(uint64_t *st, uint8_t *p, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			v = rnd_next(st);
		p[i] = (uint8_t)(v >> (8 * (i % 8)));
	}
}

static enum cryp_backend_id
pick_backend(const struct cryp_cipher_info *ci, const struct cryp_mac_info *mi,
    uint32_t which)
{
	enum cryp_backend_id be = cryp_backend_default();

	/* Every other flow on the reference backend: mixed backends. */
	if (which % 2 == 0 ||
	    !cryp_backend_supports(be, ci->id, mi != NULL ? mi->id : 0))
		be = CRYP_BACKEND_OPENSSL;
	return be;
}

/*
 * A flow of n packets for alg; decrypting flows get packets encrypted by a
 * third session.  Sizes: mostly small, one in four up to the maximum.
 */
static void
tflow_make(struct tflow *fl, const struct alg *a, bool encrypt, uint32_t n,
    uint32_t which, uint64_t *rs)
{
	struct cryp_session_params p;
	struct cryp_session *gen = NULL;
	const struct cryp_mac_info *mi = NULL;
	enum cryp_backend_id be;
	uint8_t key[64], iv[16], mkey[64];
	uint32_t i, k, plen, pkt_len;
	bool whole;
	struct tpkt *t;
	int err;

	memset(fl, 0, sizeof(*fl));
	fl->ci = cryp_cipher_by_name(a->cipher);
	assert_non_null(fl->ci);
	if (a->mac != NULL) {
		mi = cryp_mac_by_name(a->mac);
		assert_non_null(mi);
	}
	be = pick_backend(fl->ci, mi, which);
	rnd_fill(rs, key, sizeof(key));
	rnd_fill(rs, iv, sizeof(iv));
	rnd_fill(rs, mkey, sizeof(mkey));
	memset(&p, 0, sizeof(p));
	p.cipher = fl->ci;
	p.mac = mi;
	p.key = key;
	p.iv = iv;
	p.mac_key = mkey;
	p.encrypt = encrypt;
	fl->s = cryp_session_new(be, &p, &err);
	assert_non_null(fl->s);
	fl->twin = cryp_session_new(be, &p, &err);
	assert_non_null(fl->twin);
	if (!encrypt) {
		p.encrypt = true;
		gen = cryp_session_new(be, &p, &err);
		assert_non_null(gen);
	}
	fl->tag_len = cryp_session_tag_len(fl->s);
	fl->n = n;
	fl->pk = calloc(n, sizeof(*fl->pk));
	assert_non_null(fl->pk);
	/* Whole packet (length included) is a multiple of the block. */
	whole = !fl->ci->aead && (mi == NULL || !mi->etm);
	for (i = 0; i < n; i++) {
		t = &fl->pk[i];
		if (rnd_next(rs) % 4 == 0)
			k = (uint32_t)(rnd_next(rs) %
			    (CRYP_MAX_PACKET_LEN / 16));
		else
			k = (uint32_t)(rnd_next(rs) % 256);
		if (whole) {
			pkt_len = 16 * (k + 1);
			plen = pkt_len - 4;
		} else {
			plen = 16 * k;
			pkt_len = plen + 4;
		}
		t->fl = fl;
		t->idx = i;
		t->op.pkt = malloc(pkt_len);
		t->ref = malloc(pkt_len);
		assert_non_null(t->op.pkt);
		assert_non_null(t->ref);
		rnd_fill(rs, t->op.pkt, pkt_len);
		qssh_put_u32be(t->op.pkt, plen);
		if (plen > 0)
			t->op.pkt[4] = 4;
		t->op.pkt_len = pkt_len;
		t->op.tag = t->tag;
		t->op.seqnr = 1000 + i;
		t->op.user = t;
		if (gen != NULL) {
			t->op.sess = gen;
			(void)cryp_op_process(&t->op);
		}
		t->op.sess = fl->s;
		t->op.status = 1;
		memcpy(t->ref, t->op.pkt, pkt_len);
		memcpy(t->reftag, t->tag, sizeof(t->tag));
	}
	/* The reference: inline, in order, on the twin. */
	for (i = 0; i < n; i++) {
		struct cryp_op op = fl->pk[i].op;

		t = &fl->pk[i];
		op.sess = fl->twin;
		op.pkt = t->ref;
		op.tag = t->reftag;
		(void)cryp_op_process(&op);
		t->refstatus = op.status;
	}
	cryp_session_free(gen);
	qssh_wipe(key, sizeof(key));
	qssh_wipe(mkey, sizeof(mkey));
}

static void
tflow_free(struct tflow *fl)
{
	uint32_t i;

	for (i = 0; i < fl->n; i++) {
		free(fl->pk[i].op.pkt);
		free(fl->pk[i].ref);
	}
	free(fl->pk);
	cryp_session_free(fl->s);
	cryp_session_free(fl->twin);
}

/* Flows for a list of algorithms, one encrypting and one decrypting each. */
static struct tflow *
tflows_make(const struct alg *algs, size_t nalgs, uint32_t per_alg,
    uint32_t nops, uint64_t seed, uint32_t *nflows)
{
	struct tflow *fls;
	uint32_t i, n = (uint32_t)nalgs * per_alg;
	uint64_t rs = seed;

	fls = calloc(n, sizeof(*fls));
	assert_non_null(fls);
	for (i = 0; i < n; i++)
		tflow_make(&fls[i], &algs[i % nalgs], (i / nalgs) % 2 == 0,
		    nops, i, &rs);
	*nflows = n;
	return fls;
}

static void
tflows_free(struct tflow *fls, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		tflow_free(&fls[i]);
	free(fls);
}

/* Check one completed operation; returns the number of problems. */
static uint32_t
check_op(struct cryp_op *op)
{
	struct tpkt *t = op->user;
	struct tflow *fl = t->fl;
	uint32_t bad = 0;

	if (t->idx != fl->next_collect)
		bad++;
	fl->next_collect = t->idx + 1;
	if (op->status != t->refstatus)
		bad++;
	if (memcmp(op->pkt, t->ref, op->pkt_len) != 0)
		bad++;
	if (memcmp(op->tag, t->reftag, fl->tag_len) != 0)
		bad++;
	return bad;
}

struct run_result {
	uint32_t bad;
	uint32_t partial; /* submits that were not taken whole */
	uint32_t collected;
};

static uint32_t
collect_some(struct wrk_port *port, struct run_result *res)
{
	struct cryp_op *out[64];
	uint32_t m, i;

	m = wrk_collect_burst(port, out, 64);
	for (i = 0; i < m; i++)
		res->bad += check_op(out[i]);
	res->collected += m;
	return m;
}

/*
 * Push every flow's packets through port (no cmocka asserts here: this also
 * runs on other threads) in random bursts across flows,
 * collecting as we go; nothing may be lost.
 */
static void
run_flows(struct wrk_port *port, struct tflow *fls, uint32_t nflows,
    uint32_t burst_max, uint64_t seed, struct run_result *res)
{
	struct cryp_op *ptrs[256];
	uint32_t total = 0, submitted = 0, i, b, acc, m, tries;
	uint64_t rs = seed;
	struct tflow *fl;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < nflows; i++) {
		if (wrk_flow_init(&fls[i].wf, port, fls[i].s, fls[i].ci->id) !=
		    0)
			res->bad++;
		total += fls[i].n;
	}
	while (res->collected < total) {
		acc = 0;
		if (submitted < total) {
			fl = &fls[rnd_next(&rs) % nflows];
			for (tries = 0;
			     fl->next_submit == fl->n && tries < nflows;
			     tries++)
				fl = &fls[(fl - fls + 1) % nflows];
			b = 1 + (uint32_t)(rnd_next(&rs) % burst_max);
			if (b > fl->n - fl->next_submit)
				b = fl->n - fl->next_submit;
			for (i = 0; i < b; i++)
				ptrs[i] = &fl->pk[fl->next_submit + i].op;
			acc = wrk_submit_burst(port, &fl->wf, ptrs, b);
			if (acc < b)
				res->partial++;
			fl->next_submit += acc;
			submitted += acc;
		}
		m = collect_some(port, res);
		if (acc == 0 && m == 0 && res->collected < total &&
		    wrk_port_wait(port, 5000) != 0)
			break;
	}
	for (i = 0; i < nflows; i++) {
		if (fls[i].next_collect != fls[i].n)
			res->bad++;
		if (wrk_flow_cleanup(&fls[i].wf) != 0)
			res->bad++;
	}
	if (wrk_port_pending(port) != 0)
		res->bad++;
}

static struct wrk_engine *
engine_make(uint32_t gcm, uint32_t chacha, uint32_t cm, enum wrk_mode mode,
    uint32_t ring_size)
{
	struct wrk_config cfg;
	struct wrk_engine *e;
	int err = 1;

	wrk_config_init(&cfg);
	cfg.num_workers[WRK_POOL_GCM] = gcm;
	cfg.num_workers[WRK_POOL_CHACHA] = chacha;
	cfg.num_workers[WRK_POOL_CIPHER_MAC] = cm;
	cfg.mode = mode;
	cfg.ring_size = ring_size;
	cfg.spin_polls = 256;
	e = wrk_engine_new(&cfg, &err);
	assert_int_equal(err, 0);
	assert_non_null(e);
	return e;
}

static uint64_t
worker_ops_sum(const struct wrk_engine *e)
{
	struct wrk_worker_stats ws;
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < wrk_engine_num_workers(e); i++) {
		assert_int_equal(wrk_engine_worker_stats(e, i, &ws), 0);
		sum += ws.ops;
	}
	return sum;
}

/*
 * All algorithms, two flows per direction each, through an engine; st gets
 * the counters of this run only.
 */
static void
all_algs_through(struct wrk_engine *e, uint64_t seed, struct wrk_stats *st)
{
	struct run_result res;
	struct wrk_stats before;
	struct tflow *fls;
	uint32_t nflows, total;
	uint64_t wops;

	wrk_engine_stats(e, &before);
	wops = worker_ops_sum(e);
	fls = tflows_make(
	    all_algs, QSSH_ARRAY_LEN(all_algs), 4, 24, seed, &nflows);
	total = nflows * 24;
	run_flows(wrk_engine_port(e, 0), fls, nflows, 40, seed + 1, &res);
	assert_int_equal(res.bad, 0);
	assert_int_equal(res.collected, total);
	wrk_engine_stats(e, st);
	st->ops_inline -= before.ops_inline;
	st->ops_offloaded -= before.ops_offloaded;
	assert_int_equal(st->ops_inline + st->ops_offloaded, total);
	assert_int_equal(worker_ops_sum(e) - wops, st->ops_offloaded);
	tflows_free(fls, nflows);
}

static void
test_cores_parse(void **state)
{
	uint32_t c[8], n;

	(void)state;
	assert_int_equal(wrk_cores_parse("1,2", c, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(c[0], 1);
	assert_int_equal(c[1], 2);
	assert_int_equal(wrk_cores_parse("0-1", c, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(c[0], 0);
	assert_int_equal(c[1], 1);
	assert_int_equal(wrk_cores_parse("5, 0,2-3,3", c, 8, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(c[0], 0);
	assert_int_equal(c[1], 2);
	assert_int_equal(c[2], 3);
	assert_int_equal(c[3], 5);
	assert_int_equal(wrk_cores_parse("7", c, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c[0], 7);
	assert_int_equal(
	    wrk_cores_parse("", c, 8, &n), QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    wrk_cores_parse("a", c, 8, &n), QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    wrk_cores_parse("3-1", c, 8, &n), QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    wrk_cores_parse("1,", c, 8, &n), QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    wrk_cores_parse("1-", c, 8, &n), QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    wrk_cores_parse("99999", c, 8, &n), QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    wrk_cores_parse("0-8", c, 8, &n), QSSH_ERR_NO_BUFFER_SPACE);
	assert_int_equal(
	    wrk_cores_parse(NULL, c, 8, &n), QSSH_ERR_INVALID_ARGUMENT);
}

static void
test_config_errors(void **state)
{
	struct wrk_config cfg;
	int err = 0;

	(void)state;
	wrk_config_init(&cfg);
	cfg.ring_size = 1000;
	assert_null(wrk_engine_new(&cfg, &err));
	assert_int_equal(err, QSSH_ERR_CONFIG);
	wrk_config_init(&cfg);
	cfg.num_workers[WRK_POOL_GCM] = 1;
	cfg.cores = "1-x";
	assert_null(wrk_engine_new(&cfg, &err));
	assert_int_equal(err, QSSH_ERR_CONFIG);
	/* A core this process may not use. */
	cfg.cores = "1023";
	assert_null(wrk_engine_new(&cfg, &err));
	assert_int_equal(err, QSSH_ERR_CONFIG);
	wrk_config_init(&cfg);
	cfg.num_workers[WRK_POOL_GCM] = WRK_WORKERS_MAX + 1;
	assert_null(wrk_engine_new(&cfg, &err));
	assert_int_equal(err, QSSH_ERR_CONFIG);
	wrk_config_init(&cfg);
	cfg.backend = "no-such-backend";
	assert_null(wrk_engine_new(&cfg, &err));
	assert_int_equal(err, QSSH_ERR_CONFIG);
	wrk_engine_free(NULL);
}

static void
test_offload_one_worker(void **state)
{
	struct wrk_engine *e = engine_make(1, 1, 1, WRK_MODE_OFFLOAD, 0);
	struct wrk_stats st;

	(void)state;
	assert_int_equal(wrk_engine_num_workers(e), 3);
	all_algs_through(e, 11, &st);
	assert_int_equal(st.ops_inline, 0);
	wrk_engine_free(e);
}

static void
test_offload_two_workers(void **state)
{
	struct wrk_engine *e = engine_make(2, 2, 2, WRK_MODE_OFFLOAD, 64);
	struct wrk_worker_stats ws;
	struct wrk_stats st;
	uint32_t i;

	(void)state;
	all_algs_through(e, 22, &st);
	assert_int_equal(st.ops_inline, 0);
	/* Flows were spread: every worker did some. */
	for (i = 0; i < wrk_engine_num_workers(e); i++) {
		assert_int_equal(wrk_engine_worker_stats(e, i, &ws), 0);
		assert_true(ws.ops > 0);
		assert_int_equal(ws.flows, 0);
	}
	wrk_engine_free(e);
}

static void
test_auto_mode(void **state)
{
	struct wrk_engine *e = engine_make(1, 1, 1, WRK_MODE_AUTO, 0);
	struct wrk_stats st;

	(void)state;
	all_algs_through(e, 33, &st);
	assert_true(st.handoff_ns[WRK_POOL_GCM] > 0);
	assert_true(st.inline_ns_per_kib[WRK_POOL_GCM] > 0);
	wrk_engine_free(e);
}

static void
test_forced_inline(void **state)
{
	struct wrk_engine *e = engine_make(1, 1, 1, WRK_MODE_INLINE, 0);
	struct wrk_stats st;

	(void)state;
	assert_int_equal(wrk_engine_mode(e), WRK_MODE_INLINE);
	all_algs_through(e, 44, &st);
	assert_int_equal(st.ops_offloaded, 0);
	assert_true(st.ops_inline > 0);
	/* Switch at run time; the same flows' data still comes out right. */
	wrk_engine_set_mode(e, WRK_MODE_OFFLOAD);
	all_algs_through(e, 45, &st);
	assert_true(st.ops_offloaded > 0);
	wrk_engine_free(e);
}

static void
test_no_workers(void **state)
{
	struct wrk_engine *e = engine_make(0, 0, 0, WRK_MODE_OFFLOAD, 0);
	struct wrk_stats st;

	(void)state;
	assert_int_equal(wrk_engine_num_workers(e), 0);
	all_algs_through(e, 55, &st);
	assert_int_equal(st.ops_offloaded, 0);
	wrk_engine_free(e);
}

static void
test_slow_worker(void **state)
{
	struct wrk_engine *e = engine_make(2, 0, 0, WRK_MODE_OFFLOAD, 32);
	struct wrk_worker_stats ws0, ws1;
	struct run_result res;
	struct tflow *fls;
	uint32_t nflows;

	(void)state;
	wrk_test_set_worker_delay(e, 0, 300);
	fls =
	    tflows_make(gcm_algs, QSSH_ARRAY_LEN(gcm_algs), 4, 40, 66, &nflows);
	run_flows(wrk_engine_port(e, 0), fls, nflows, 16, 67, &res);
	assert_int_equal(res.bad, 0);
	assert_int_equal(res.collected, nflows * 40);
	assert_int_equal(wrk_engine_worker_stats(e, 0, &ws0), 0);
	assert_int_equal(wrk_engine_worker_stats(e, 1, &ws1), 0);
	assert_true(ws0.ops > 0);
	assert_true(ws1.ops > 0);
	tflows_free(fls, nflows);
	wrk_engine_free(e);
}

static void
test_backpressure(void **state)
{
	struct wrk_engine *e = engine_make(1, 0, 0, WRK_MODE_OFFLOAD, 4);
	struct wrk_port *port = wrk_engine_port(e, 0);
	struct cryp_op *ptrs[50];
	struct run_result res;
	struct wrk_stats st;
	struct tflow *fls;
	uint32_t nflows, i, done = 0, acc;

	(void)state;
	wrk_test_set_worker_delay(e, 0, 2000);
	fls = tflows_make(gcm_algs, 1, 1, 50, 77, &nflows);
	assert_int_equal(
	    wrk_flow_init(&fls[0].wf, port, fls[0].s, fls[0].ci->id), 0);
	for (i = 0; i < 50; i++)
		ptrs[i] = &fls[0].pk[i].op;
	/* Only as many as the ring holds are taken. */
	acc = wrk_submit_burst(port, &fls[0].wf, ptrs, 50);
	assert_int_equal(acc, 4);
	assert_int_equal(wrk_submit_burst(port, &fls[0].wf, ptrs + 4, 46), 0);
	wrk_engine_stats(e, &st);
	assert_true(st.ring_full >= 2);
	/* A flow that is still busy refuses to be cleaned up. */
	assert_int_equal(wrk_flow_cleanup(&fls[0].wf), QSSH_ERR_BUSY);
	memset(&res, 0, sizeof(res));
	done = acc;
	while (res.collected < 50) {
		if (done < 50)
			done += wrk_submit_burst(
			    port, &fls[0].wf, ptrs + done, 50 - done);
		if (collect_some(port, &res) == 0)
			assert_int_equal(wrk_port_wait(port, 5000), 0);
	}
	assert_int_equal(res.bad, 0);
	assert_int_equal(wrk_port_wait(port, 0), QSSH_ERR_AGAIN);
	assert_int_equal(wrk_flow_cleanup(&fls[0].wf), 0);
	tflows_free(fls, nflows);
	wrk_engine_free(e);

	/* Inline completions are bounded the same way. */
	e = engine_make(1, 0, 0, WRK_MODE_INLINE, 4);
	port = wrk_engine_port(e, 0);
	fls = tflows_make(gcm_algs, 1, 1, 10, 78, &nflows);
	assert_int_equal(
	    wrk_flow_init(&fls[0].wf, port, fls[0].s, fls[0].ci->id), 0);
	for (i = 0; i < 10; i++)
		ptrs[i] = &fls[0].pk[i].op;
	assert_int_equal(wrk_submit_burst(port, &fls[0].wf, ptrs, 10), 4);
	memset(&res, 0, sizeof(res));
	assert_int_equal(collect_some(port, &res), 4);
	assert_int_equal(wrk_submit_burst(port, &fls[0].wf, ptrs + 4, 6), 4);
	assert_int_equal(collect_some(port, &res), 4);
	assert_int_equal(wrk_submit_burst(port, &fls[0].wf, ptrs + 8, 2), 2);
	assert_int_equal(collect_some(port, &res), 2);
	assert_int_equal(res.bad, 0);
	assert_int_equal(wrk_flow_cleanup(&fls[0].wf), 0);
	tflows_free(fls, nflows);
	wrk_engine_free(e);
}

static void
test_bad_op(void **state)
{
	struct wrk_engine *e;
	struct wrk_port *port;
	struct cryp_op *ptrs[3], *out[3];
	struct tflow *fls;
	uint32_t nflows, got, m;
	int mode;

	(void)state;
	for (mode = WRK_MODE_INLINE; mode <= WRK_MODE_OFFLOAD; mode++) {
		e = engine_make(1, 0, 0, (enum wrk_mode)mode, 0);
		port = wrk_engine_port(e, 0);
		fls = tflows_make(gcm_algs, 2, 1, 3, 88, &nflows);
		assert_int_equal(
		    wrk_flow_init(&fls[0].wf, port, fls[0].s, fls[0].ci->id),
		    0);
		/* The middle one belongs to another session. */
		ptrs[0] = &fls[0].pk[0].op;
		ptrs[1] = &fls[1].pk[0].op;
		ptrs[2] = &fls[0].pk[1].op;
		assert_int_equal(
		    wrk_submit_burst(port, &fls[0].wf, ptrs, 3), 3);
		for (got = 0; got < 3; got += m) {
			m = wrk_collect_burst(port, out + got, 3 - got);
			if (m == 0)
				assert_int_equal(wrk_port_wait(port, 5000), 0);
		}
		assert_ptr_equal(out[0], ptrs[0]);
		assert_ptr_equal(out[1], ptrs[1]);
		assert_ptr_equal(out[2], ptrs[2]);
		assert_int_equal(out[0]->status, 0);
		assert_int_equal(out[1]->status, QSSH_ERR_INVALID_ARGUMENT);
		/* The bad one used no invocation counter: the next matches
		 * the reference's second packet. */
		assert_int_equal(out[2]->status, 0);
		assert_memory_equal(
		    out[2]->pkt, fls[0].pk[1].ref, out[2]->pkt_len);
		assert_memory_equal(
		    out[2]->tag, fls[0].pk[1].reftag, fls[0].tag_len);
		assert_int_equal(wrk_flow_cleanup(&fls[0].wf), 0);
		tflows_free(fls, nflows);
		wrk_engine_free(e);
	}
}

static void
test_shutdown_inflight(void **state)
{
	struct wrk_engine *e = engine_make(1, 1, 1, WRK_MODE_OFFLOAD, 0);
	struct wrk_port *port = wrk_engine_port(e, 0);
	struct cryp_op *ptrs[24];
	struct run_result res;
	struct tflow *fls;
	uint32_t nflows, i, j, sub = 0;

	(void)state;
	for (i = 0; i < wrk_engine_num_workers(e); i++)
		wrk_test_set_worker_delay(e, i, 1000);
	fls =
	    tflows_make(all_algs, QSSH_ARRAY_LEN(all_algs), 1, 24, 99, &nflows);
	for (i = 0; i < nflows; i++) {
		assert_int_equal(
		    wrk_flow_init(&fls[i].wf, port, fls[i].s, fls[i].ci->id),
		    0);
		for (j = 0; j < 24; j++)
			ptrs[j] = &fls[i].pk[j].op;
		sub += wrk_submit_burst(port, &fls[i].wf, ptrs, 24);
	}
	assert_int_equal(sub, nflows * 24);
	/* Stop with all that in flight: it is finished, then joined. */
	wrk_engine_stop(e);
	wrk_engine_stop(e);
	memset(&res, 0, sizeof(res));
	while (collect_some(port, &res) > 0)
		;
	assert_int_equal(res.collected, sub);
	assert_int_equal(res.bad, 0);
	assert_int_equal(wrk_port_pending(port), 0);
	for (i = 0; i < nflows; i++)
		assert_int_equal(wrk_flow_cleanup(&fls[i].wf), 0);
	wrk_engine_free(e);
	tflows_free(fls, nflows);

	/* Freed with operations never collected: nothing leaks or hangs. */
	e = engine_make(1, 1, 1, WRK_MODE_OFFLOAD, 0);
	port = wrk_engine_port(e, 0);
	wrk_test_set_worker_delay(e, 0, 1000);
	fls =
	    tflows_make(all_algs, QSSH_ARRAY_LEN(all_algs), 1, 24, 98, &nflows);
	for (i = 0; i < nflows; i++) {
		assert_int_equal(
		    wrk_flow_init(&fls[i].wf, port, fls[i].s, fls[i].ci->id),
		    0);
		for (j = 0; j < 24; j++)
			ptrs[j] = &fls[i].pk[j].op;
		(void)wrk_submit_burst(port, &fls[i].wf, ptrs, 24);
	}
	wrk_engine_free(e);
	tflows_free(fls, nflows);
}

struct port_thread {
	struct wrk_port *port;
	struct tflow *fls;
	uint32_t nflows;
	uint64_t seed;
	struct run_result res;
};

static void *
port_thread_main(void *arg)
{
	struct port_thread *pt = arg;

	run_flows(pt->port, pt->fls, pt->nflows, 24, pt->seed, &pt->res);
	return NULL;
}

static void
test_two_ports(void **state)
{
	struct wrk_config cfg;
	struct wrk_engine *e;
	struct port_thread pt[2];
	pthread_t th[2];
	uint32_t i;
	int err;

	(void)state;
	wrk_config_init(&cfg);
	cfg.num_workers[WRK_POOL_GCM] = 2;
	cfg.num_workers[WRK_POOL_CHACHA] = 1;
	cfg.num_workers[WRK_POOL_CIPHER_MAC] = 1;
	cfg.num_ports = 2;
	cfg.mode = WRK_MODE_OFFLOAD;
	cfg.cores = "0";
	e = wrk_engine_new(&cfg, &err);
	assert_non_null(e);
	assert_null(wrk_engine_port(e, 2));
	for (i = 0; i < 2; i++) {
		pt[i].port = wrk_engine_port(e, i);
		pt[i].seed = 200 + i;
		pt[i].fls = tflows_make(all_algs, QSSH_ARRAY_LEN(all_algs), 2,
		    16, 100 + i, &pt[i].nflows);
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(
		    pthread_create(&th[i], NULL, port_thread_main, &pt[i]), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(pt[i].res.bad, 0);
		assert_int_equal(pt[i].res.collected, pt[i].nflows * 16);
		tflows_free(pt[i].fls, pt[i].nflows);
	}
	wrk_engine_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cores_parse),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_offload_one_worker),
		cmocka_unit_test(test_offload_two_workers),
		cmocka_unit_test(test_auto_mode),
		cmocka_unit_test(test_forced_inline),
		cmocka_unit_test(test_no_workers),
		cmocka_unit_test(test_slow_worker),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_bad_op),
		cmocka_unit_test(test_shutdown_inflight),
		cmocka_unit_test(test_two_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
