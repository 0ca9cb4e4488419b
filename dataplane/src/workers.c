/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Crypto worker engine, threads runtime.  See dataplane/workers.h.
 *
 * Memory ordering: the rings carry the release/acquire pairs that publish
 * operations and their results.  Sleeping uses a futex word per sleeper and
 * the usual store-buffering handshake: the sleeper stores its "sleeping"
 * flag, issues a seq_cst fence and checks its rings once more; the waker
 * publishes into a ring, issues a seq_cst fence and reads the flag.  One of
 * the two always sees the other, so no wake-up is lost.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "dataplane/eal.h"
#include "dataplane/ring.h"
#include "dataplane/workers.h"
#include "workers_priv.h"

#define WRK_CACHE_LINE 64
#define WRK_RING_DEFAULT 1024u
#define WRK_RING_MAX (1u << 20)
#define WRK_SPIN_DEFAULT 4096u
/* Auto mode: EWMA weight 1/8; every Nth burst tries the other way. */
#define WRK_EWMA_SHIFT 3
#define WRK_EXPLORE_EVERY 256u
/* One inline burst in this many is timed. */
#define WRK_SAMPLE_EVERY 8u
/* Bursts smaller than this give no useful per-byte sample. */
#define WRK_SAMPLE_MIN_BYTES 4096u
/* Estimates before anything was measured: ~2 GB/s, a futex wake-up. */
#define WRK_INIT_NS_PER_KIB 500u
#define WRK_INIT_HANDOFF_NS 20000u

/* A ring entry with this bit set completes with QSSH_ERR_INVALID_ARGUMENT. */
#define WRK_OP_BAD ((uintptr_t)1)

/* One (port, worker) pair. */
struct wrk_pair {
	/* Read-only after creation. */
	void *sq; /* port -> worker (dp_ring or DPDK ring) */
	void *cq; /* worker -> port */
	struct wrk_flow **flows; /* flow of each op on the worker (port) */
	uint32_t mask;

	/* The port's line. */
	alignas(WRK_CACHE_LINE) uint32_t flow_head;
	uint32_t flow_tail;
	struct cryp_op *probe_op; /* op whose hand-off is being timed */
	uint64_t probe_ns; /* when it was submitted */
	_Atomic(struct cryp_op *) probe; /* the same, for the worker */

	/* The worker's line. */
	alignas(WRK_CACHE_LINE) _Atomic uint64_t probe_pickup_ns;
};

struct wrk_worker {
	/* Read-only after start. */
	alignas(WRK_CACHE_LINE) struct wrk_engine *e;
	uint32_t idx;
	enum wrk_pool_id pool;
	uint32_t core;
	struct cryp_qp *qp;
	pthread_t thread;
	bool started;

	/* Written by others. */
	alignas(WRK_CACHE_LINE) _Atomic uint32_t wake_seq;
	_Atomic uint32_t sleeping;
	_Atomic uint32_t flows;
	_Atomic uint32_t delay_us;

	/* The worker's own. */
	alignas(WRK_CACHE_LINE) _Atomic uint64_t ops;
	_Atomic uint64_t bursts;
	_Atomic uint64_t sleeps;
	void *in[WRK_BURST];
	struct cryp_op *done[WRK_BURST];
	struct cryp_op *batch[WRK_BURST];
	struct cryp_op *drain[WRK_BURST];
};

struct wrk_port {
	/* The submitting thread's. */
	alignas(WRK_CACHE_LINE) struct wrk_engine *e;
	uint32_t idx;
	struct wrk_pair *pairs; /* one per worker */
	struct cryp_qp *qp; /* inline processing */
	struct cryp_op **fifo; /* inline completions */
	uint32_t fifo_mask;
	uint32_t fifo_head;
	uint32_t fifo_tail;
	uint32_t pending; /* submitted, not collected */
	uint32_t next_cq;
	uint32_t decisions;
	uint32_t inline_bursts;
	void *tmp[WRK_BURST];
	struct cryp_op *batch[WRK_BURST];
	struct cryp_op *drain[WRK_BURST];

	/* Written by the port, read by statistics. */
	alignas(WRK_CACHE_LINE) _Atomic uint64_t ops_inline;
	_Atomic uint64_t ops_offloaded;
	_Atomic uint64_t bursts_inline;
	_Atomic uint64_t bursts_offloaded;
	_Atomic uint64_t ring_full;
	_Atomic uint64_t ns_per_kib[WRK_POOL_COUNT];
	_Atomic uint64_t handoff_ns[WRK_POOL_COUNT];

	/* Woken by the workers. */
	alignas(WRK_CACHE_LINE) _Atomic uint32_t wake_seq;
	_Atomic uint32_t waiting;
	_Atomic uint32_t armed; /* signal efd at the next completion */
	int efd; /* eventfd, -1 if none */
};

struct wrk_engine {
	struct wrk_worker *workers;
	uint32_t num_workers;
	uint32_t pool_first[WRK_POOL_COUNT];
	uint32_t pool_count[WRK_POOL_COUNT];
	struct wrk_port *ports;
	uint32_t num_ports;
	uint32_t ring_size;
	uint32_t spin_polls;
	uint32_t usable_cores;
	enum cryp_backend_id backend;
	enum wrk_runtime runtime;
	uint32_t lcores[WRK_WORKERS_MAX]; /* reserved lcores (DPDK) */
	uint32_t num_lcores;
	_Atomic int mode;
	_Atomic bool stop; /* workers: drain and exit */
	_Atomic bool stopped; /* no more offloading */
};

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

static void
futex_wait(_Atomic uint32_t *word, uint32_t val, const struct timespec *ts)
{
	(void)syscall(
	    SYS_futex, (void *)word, FUTEX_WAIT_PRIVATE, val, ts, NULL, 0);
}

static void
futex_wake(_Atomic uint32_t *word)
{
	atomic_fetch_add_explicit(word, 1, memory_order_seq_cst);
	(void)syscall(SYS_futex, (void *)word, FUTEX_WAKE_PRIVATE, INT_MAX,
	    NULL, NULL, 0);
}

/* The rings of the runtime in use. */
static inline void *
ring_new(const struct wrk_engine *e, uint32_t size)
{
	if (e->runtime == WRK_RUNTIME_DPDK)
		return wrk_dpdk_ring_new(size);
	return dp_ring_new(size);
}

static inline void
ring_free(const struct wrk_engine *e, void *r)
{
	if (e->runtime == WRK_RUNTIME_DPDK)
		wrk_dpdk_ring_free(r);
	else
		dp_ring_free(r);
}

static inline uint32_t
ring_enq(const struct wrk_engine *e, void *r, void *const *objs, uint32_t n)
{
	if (e->runtime == WRK_RUNTIME_DPDK)
		return wrk_dpdk_ring_enqueue(r, objs, n);
	return dp_ring_enqueue_burst(r, objs, n);
}

static inline uint32_t
ring_deq(const struct wrk_engine *e, void *r, void **objs, uint32_t n)
{
	if (e->runtime == WRK_RUNTIME_DPDK)
		return wrk_dpdk_ring_dequeue(r, objs, n);
	return dp_ring_dequeue_burst(r, objs, n);
}

static inline bool
ring_empty(const struct wrk_engine *e, const void *r)
{
	if (e->runtime == WRK_RUNTIME_DPDK)
		return wrk_dpdk_ring_empty(r);
	return dp_ring_empty(r);
}

/* Single-writer counters: no read-modify-write needed. */
static inline void
ctr_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c,
	    atomic_load_explicit(c, memory_order_relaxed) + v,
	    memory_order_relaxed);
}

static void
ewma_update(_Atomic uint64_t *avg, uint64_t sample)
{
	int64_t cur = (int64_t)atomic_load_explicit(avg, memory_order_relaxed);
	int64_t d = (int64_t)sample - cur;

	cur += d / (1 << WRK_EWMA_SHIFT);
	if (cur < 1)
		cur = 1;
	atomic_store_explicit(avg, (uint64_t)cur, memory_order_relaxed);
}

enum wrk_pool_id
wrk_pool_of_cipher(enum cryp_cipher_id cipher)
{
	switch (cipher) {
	case CRYP_CIPHER_AES128_GCM:
	case CRYP_CIPHER_AES256_GCM:
		return WRK_POOL_GCM;
	case CRYP_CIPHER_CHACHA20_POLY1305:
		return WRK_POOL_CHACHA;
	case CRYP_CIPHER_NONE:
	case CRYP_CIPHER_AES128_CTR:
	case CRYP_CIPHER_AES192_CTR:
	case CRYP_CIPHER_AES256_CTR:
		break;
	}
	return WRK_POOL_CIPHER_MAC;
}

/* ------------------------------------------------------------------ */
/* Workers */

/*
 * Wake a port that sleeps in wrk_port_wait(), and signal its event fd if
 * it was armed (wrk_port_arm()): at most one write per arming.
 */
static void
port_notify(struct wrk_port *p)
{
	uint64_t one = 1;

	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&p->waiting, memory_order_relaxed))
		futex_wake(&p->wake_seq);
	if (atomic_load_explicit(&p->armed, memory_order_relaxed) &&
	    atomic_exchange_explicit(&p->armed, 0, memory_order_seq_cst))
		(void)!write(p->efd, &one, sizeof(one));
}

static void
worker_delay(struct wrk_worker *w)
{
	uint32_t us = atomic_load_explicit(&w->delay_us, memory_order_relaxed);
	struct timespec ts;

	if (us == 0)
		return;
	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (long)(us % 1000000) * 1000;
	(void)nanosleep(&ts, NULL);
}

/* Process n operations taken from pr->sq and hand them back in order. */
static void
worker_process(struct wrk_worker *w, struct wrk_pair *pr, uint32_t n)
{
	struct cryp_op *probe, *op;
	uint32_t i, nb = 0, k, a;
	uintptr_t v;

	probe = atomic_load_explicit(&pr->probe, memory_order_relaxed);
	worker_delay(w);
	for (i = 0; i < n; i++) {
		v = (uintptr_t)w->in[i];
		op = (struct cryp_op *)(v & ~WRK_OP_BAD);
		w->done[i] = op;
		if (op == probe) {
			atomic_store_explicit(&pr->probe_pickup_ns,
			    qssh_monotime_ns(), memory_order_relaxed);
		}
		if ((v & WRK_OP_BAD) != 0)
			op->status = QSSH_ERR_INVALID_ARGUMENT;
		else
			w->batch[nb++] = op;
	}
	/* The queue pair processes synchronously; drain it as we go. */
	for (k = 0; k < nb; k += a) {
		a = cryp_enqueue_burst(w->qp, w->batch + k, nb - k);
		(void)cryp_dequeue_burst(w->qp, w->drain, a);
		if (a == 0)
			break; /* cannot happen: the qp is empty each round */
	}
	for (; k < nb; k++)
		w->batch[k]->status = QSSH_ERR_INTERNAL;
	/*
	 * The port admits no more operations than the completion ring
	 * holds, so this fits at once.
	 */
	for (k = 0; k < n;) {
		k +=
		    ring_enq(w->e, pr->cq, (void *const *)(w->done + k), n - k);
		if (k < n)
			cpu_relax();
	}
	ctr_add(&w->ops, n);
	ctr_add(&w->bursts, 1);
}

static uint32_t
worker_poll(struct wrk_worker *w)
{
	struct wrk_engine *e = w->e;
	struct wrk_pair *pr;
	uint32_t i, n, total = 0;

	for (i = 0; i < e->num_ports; i++) {
		pr = &e->ports[i].pairs[w->idx];
		n = ring_deq(e, pr->sq, w->in, WRK_BURST);
		if (n == 0)
			continue;
		worker_process(w, pr, n);
		port_notify(&e->ports[i]);
		total += n;
	}
	return total;
}

static bool
worker_has_work(const struct wrk_worker *w)
{
	const struct wrk_engine *e = w->e;
	uint32_t i;

	for (i = 0; i < e->num_ports; i++) {
		if (!ring_empty(e, e->ports[i].pairs[w->idx].sq))
			return true;
	}
	return false;
}

static void
worker_sleep(struct wrk_worker *w)
{
	uint32_t seq;

	seq = atomic_load_explicit(&w->wake_seq, memory_order_seq_cst);
	atomic_store_explicit(&w->sleeping, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (!worker_has_work(w) &&
	    !atomic_load_explicit(&w->e->stop, memory_order_seq_cst)) {
		ctr_add(&w->sleeps, 1);
		futex_wait(&w->wake_seq, seq, NULL);
	}
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
}

static void *
worker_main(void *arg)
{
	struct wrk_worker *w = arg;
	struct wrk_engine *e = w->e;
	uint32_t idle = 0;
	bool stop;

	for (;;) {
		/* Read before polling: a stop seen here means the rings
		 * are complete, so an empty poll means drained. */
		stop = atomic_load_explicit(&e->stop, memory_order_acquire);
		if (worker_poll(w) > 0) {
			idle = 0;
			continue;
		}
		if (stop)
			break;
		if (++idle < e->spin_polls) {
			cpu_relax();
			continue;
		}
		idle = 0;
		worker_sleep(w);
	}
	return NULL;
}

int
wrk_worker_lcore_main(void *arg)
{
	(void)worker_main(arg);
	return 0;
}

static void
worker_wake(struct wrk_worker *w)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&w->sleeping, memory_order_relaxed))
		futex_wake(&w->wake_seq);
}

/* ------------------------------------------------------------------ */
/* Ports */

struct wrk_port *
wrk_engine_port(struct wrk_engine *e, uint32_t idx)
{
	if (e == NULL || idx >= e->num_ports)
		return NULL;
	return &e->ports[idx];
}

int
wrk_flow_init(struct wrk_flow *f, struct wrk_port *p, struct cryp_session *s,
    enum cryp_cipher_id cipher)
{
	struct wrk_engine *e;
	struct wrk_worker *best = NULL, *w;
	enum wrk_pool_id pool;
	uint32_t i, load, best_load = UINT32_MAX;

	if (f == NULL || p == NULL || s == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	e = p->e;
	memset(f, 0, sizeof(*f));
	pool = wrk_pool_of_cipher(cipher);
	for (i = 0; i < e->pool_count[pool]; i++) {
		w = &e->workers[e->pool_first[pool] + i];
		load = atomic_load_explicit(&w->flows, memory_order_relaxed);
		if (load < best_load) {
			best = w;
			best_load = load;
		}
	}
	if (best != NULL)
		atomic_fetch_add_explicit(
		    &best->flows, 1, memory_order_relaxed);
	f->port = p;
	f->sess = s;
	f->worker = best;
	return 0;
}

int
wrk_flow_cleanup(struct wrk_flow *f)
{
	if (f == NULL)
		return 0;
	if (f->pending > 0)
		return QSSH_ERR_BUSY;
	if (f->worker != NULL)
		atomic_fetch_sub_explicit(
		    &f->worker->flows, 1, memory_order_relaxed);
	memset(f, 0, sizeof(*f));
	return 0;
}

int
wrk_flow_worker(const struct wrk_flow *f)
{
	if (f == NULL || f->worker == NULL)
		return -1;
	return (int)f->worker->idx;
}

/* Inline or offload for this burst of flow f. */
static bool
port_offload(struct wrk_port *p, const struct wrk_flow *f, uint64_t bytes)
{
	struct wrk_engine *e = p->e;
	enum wrk_pool_id pool;
	uint64_t est;
	bool off;

	if (f->worker == NULL)
		return false;
	/* Its earlier operations are on the worker: keep the order. */
	if (f->pending > 0)
		return true;
	if (atomic_load_explicit(&e->stopped, memory_order_relaxed))
		return false;
	switch ((enum wrk_mode)atomic_load_explicit(
	    &e->mode, memory_order_relaxed)) {
	case WRK_MODE_INLINE:
		return false;
	case WRK_MODE_OFFLOAD:
		return true;
	case WRK_MODE_AUTO:
		break;
	}
	if (e->usable_cores < 2)
		return false;
	pool = f->worker->pool;
	est = bytes *
	    atomic_load_explicit(&p->ns_per_kib[pool], memory_order_relaxed) /
	    1024;
	off = est >
	    atomic_load_explicit(&p->handoff_ns[pool], memory_order_relaxed);
	/* Now and then the other way, to keep both estimates current. */
	if (++p->decisions % WRK_EXPLORE_EVERY == 0)
		off = !off;
	return off;
}

static uint32_t
submit_inline(
    struct wrk_port *p, struct wrk_flow *f, struct cryp_op **ops, uint32_t n)
{
	uint32_t room, i, c, nb, k, a;
	uint64_t t0 = 0, bytes = 0;
	bool timed;

	room = p->fifo_mask + 1 - (p->fifo_tail - p->fifo_head);
	if (n > room) {
		n = room;
		ctr_add(&p->ring_full, 1);
	}
	if (n == 0)
		return 0;
	timed = f->worker != NULL && p->inline_bursts++ % WRK_SAMPLE_EVERY == 0;
	if (timed)
		t0 = qssh_monotime_ns();
	for (i = 0; i < n; i += c) {
		c = n - i < WRK_BURST ? n - i : WRK_BURST;
		nb = 0;
		for (k = 0; k < c; k++) {
			if (ops[i + k]->sess != f->sess) {
				ops[i + k]->status = QSSH_ERR_INVALID_ARGUMENT;
				continue;
			}
			bytes += ops[i + k]->pkt_len;
			p->batch[nb++] = ops[i + k];
		}
		for (k = 0; k < nb; k += a) {
			a = cryp_enqueue_burst(p->qp, p->batch + k, nb - k);
			(void)cryp_dequeue_burst(p->qp, p->drain, a);
			if (a == 0)
				break;
		}
		for (; k < nb; k++)
			p->batch[k]->status = QSSH_ERR_INTERNAL;
	}
	if (timed && bytes >= WRK_SAMPLE_MIN_BYTES) {
		ewma_update(&p->ns_per_kib[f->worker->pool],
		    (qssh_monotime_ns() - t0) * 1024 / bytes);
	}
	for (i = 0; i < n; i++)
		p->fifo[p->fifo_tail++ & p->fifo_mask] = ops[i];
	p->pending += n;
	ctr_add(&p->ops_inline, n);
	ctr_add(&p->bursts_inline, 1);
	return n;
}

static uint32_t
submit_worker(
    struct wrk_port *p, struct wrk_flow *f, struct cryp_op **ops, uint32_t n)
{
	struct wrk_worker *w = f->worker;
	struct wrk_pair *pr = &p->pairs[w->idx];
	uint32_t room, i, k, c, got;
	uintptr_t bad;

	/* Stopped with operations of this flow still to collect. */
	if (atomic_load_explicit(&p->e->stopped, memory_order_relaxed))
		return 0;
	room = pr->mask + 1 - (pr->flow_tail - pr->flow_head);
	if (n > room) {
		n = room;
		ctr_add(&p->ring_full, 1);
	}
	if (n == 0)
		return 0;
	/*
	 * Time the hand-off only into an idle pair: the pick-up latency then
	 * measures waking and reaching the worker, not queueing behind work.
	 */
	if (pr->probe_op == NULL && pr->flow_tail == pr->flow_head) {
		pr->probe_op = ops[n - 1];
		pr->probe_ns = qssh_monotime_ns();
		/* Published to the worker by the ring's release. */
		atomic_store_explicit(
		    &pr->probe, pr->probe_op, memory_order_relaxed);
	}
	for (i = 0; i < n; i += c) {
		c = n - i < WRK_BURST ? n - i : WRK_BURST;
		for (k = 0; k < c; k++) {
			bad = ops[i + k]->sess != f->sess ? WRK_OP_BAD : 0;
			p->tmp[k] = (void *)((uintptr_t)ops[i + k] | bad);
			pr->flows[pr->flow_tail++ & pr->mask] = f;
		}
		/* Room was checked against the pair's outstanding count. */
		for (got = 0; got < c;)
			got += ring_enq(p->e, pr->sq, p->tmp + got, c - got);
	}
	f->pending += n;
	p->pending += n;
	worker_wake(w);
	ctr_add(&p->ops_offloaded, n);
	ctr_add(&p->bursts_offloaded, 1);
	return n;
}

uint32_t
wrk_submit_burst(
    struct wrk_port *p, struct wrk_flow *f, struct cryp_op **ops, uint32_t n)
{
	uint64_t bytes = 0;
	uint32_t i;

	if (p == NULL || f == NULL || ops == NULL || f->port != p)
		return 0;
	/* A NULL operation ends the burst: it has no status to set. */
	for (i = 0; i < n && ops[i] != NULL; i++)
		bytes += ops[i]->pkt_len;
	n = i;
	if (n == 0)
		return 0;
	if (port_offload(p, f, bytes))
		return submit_worker(p, f, ops, n);
	return submit_inline(p, f, ops, n);
}

/* Take the results of worker pr's operations; sample the hand-off. */
static uint32_t
collect_pair(struct wrk_port *p, struct wrk_pair *pr, enum wrk_pool_id pool,
    struct cryp_op **ops, uint32_t n)
{
	uint32_t got = 0, m, i, c;
	struct wrk_flow *f;
	uint64_t pick;

	while (got < n) {
		c = n - got < WRK_BURST ? n - got : WRK_BURST;
		m = ring_deq(p->e, pr->cq, p->tmp, c);
		for (i = 0; i < m; i++) {
			ops[got + i] = p->tmp[i];
			f = pr->flows[pr->flow_head++ & pr->mask];
			f->pending--;
			if (ops[got + i] != pr->probe_op)
				continue;
			pick = atomic_load_explicit(
			    &pr->probe_pickup_ns, memory_order_relaxed);
			if (pick >= pr->probe_ns)
				ewma_update(
				    &p->handoff_ns[pool], pick - pr->probe_ns);
			pr->probe_op = NULL;
			atomic_store_explicit(
			    &pr->probe, NULL, memory_order_relaxed);
		}
		got += m;
		if (m < c)
			break;
	}
	return got;
}

uint32_t
wrk_collect_burst(struct wrk_port *p, struct cryp_op **ops, uint32_t n)
{
	struct wrk_engine *e;
	struct wrk_pair *pr;
	uint32_t got = 0, k, wi;

	if (p == NULL || ops == NULL || p->pending == 0)
		return 0;
	e = p->e;
	/*
	 * Inline results first: a flow runs inline only with nothing on its
	 * worker, so its inline results precede any later offloaded ones.
	 */
	while (got < n && p->fifo_head != p->fifo_tail)
		ops[got++] = p->fifo[p->fifo_head++ & p->fifo_mask];
	for (k = 0; k < e->num_workers && got < n; k++) {
		wi = (p->next_cq + k) % e->num_workers;
		pr = &p->pairs[wi];
		if (pr->flow_head == pr->flow_tail)
			continue;
		got += collect_pair(
		    p, pr, e->workers[wi].pool, ops + got, n - got);
	}
	if (e->num_workers > 0)
		p->next_cq = (p->next_cq + 1) % e->num_workers;
	p->pending -= got;
	return got;
}

uint32_t
wrk_port_pending(const struct wrk_port *p)
{
	return p == NULL ? 0 : p->pending;
}

static bool
port_ready(const struct wrk_port *p)
{
	const struct wrk_pair *pr;
	uint32_t i;

	if (p->fifo_head != p->fifo_tail)
		return true;
	for (i = 0; i < p->e->num_workers; i++) {
		pr = &p->pairs[i];
		if (pr->flow_head != pr->flow_tail && !ring_empty(p->e, pr->cq))
			return true;
	}
	return false;
}

int
wrk_port_wait(struct wrk_port *p, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;
	uint64_t deadline = 0, now;
	uint32_t i, seq;

	if (p == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (p->pending == 0)
		return QSSH_ERR_AGAIN;
	for (i = 0; i < p->e->spin_polls; i++) {
		if (port_ready(p))
			return 0;
		cpu_relax();
	}
	if (timeout_ms >= 0)
		deadline = qssh_monotime_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		seq = atomic_load_explicit(&p->wake_seq, memory_order_seq_cst);
		atomic_store_explicit(&p->waiting, 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		if (port_ready(p)) {
			atomic_store_explicit(
			    &p->waiting, 0, memory_order_relaxed);
			return 0;
		}
		if (timeout_ms >= 0) {
			now = qssh_monotime_ns();
			if (now >= deadline) {
				atomic_store_explicit(
				    &p->waiting, 0, memory_order_relaxed);
				return QSSH_ERR_TIMEOUT;
			}
			ts.tv_sec = (time_t)((deadline - now) / 1000000000u);
			ts.tv_nsec = (long)((deadline - now) % 1000000000u);
			tsp = &ts;
		}
		futex_wait(&p->wake_seq, seq, tsp);
		atomic_store_explicit(&p->waiting, 0, memory_order_relaxed);
	}
}

/* ------------------------------------------------------------------ */
/* Engine */

void
wrk_config_init(struct wrk_config *cfg)
{
	cpu_set_t set;
	uint32_t n = 1, i;

	memset(cfg, 0, sizeof(*cfg));
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = (uint32_t)CPU_COUNT(&set);
	for (i = 0; i < WRK_POOL_COUNT; i++)
		cfg->num_workers[i] = n > 1 ? n - 1 : 0;
	cfg->num_ports = 1;
	cfg->ring_size = WRK_RING_DEFAULT;
	cfg->mode = WRK_MODE_AUTO;
}

static int
port_init(struct wrk_engine *e, struct wrk_port *p, uint32_t idx)
{
	struct wrk_pair *pr;
	uint32_t i;

	p->e = e;
	p->idx = idx;
	atomic_init(&p->armed, 0);
	if ((p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return QSSH_ERR_SYSTEM;
	for (i = 0; i < WRK_POOL_COUNT; i++) {
		atomic_init(&p->ns_per_kib[i], WRK_INIT_NS_PER_KIB);
		atomic_init(&p->handoff_ns[i], WRK_INIT_HANDOFF_NS);
	}
	p->fifo_mask = e->ring_size - 1;
	if ((p->fifo = calloc(e->ring_size, sizeof(*p->fifo))) == NULL)
		return QSSH_ERR_ALLOC;
	if ((p->qp = cryp_qp_new(e->backend, WRK_BURST)) == NULL)
		return QSSH_ERR_BACKEND_UNAVAILABLE;
	if (e->num_workers == 0)
		return 0;
	p->pairs = aligned_alloc(
	    WRK_CACHE_LINE, (size_t)e->num_workers * sizeof(*p->pairs));
	if (p->pairs == NULL)
		return QSSH_ERR_ALLOC;
	memset(p->pairs, 0, (size_t)e->num_workers * sizeof(*p->pairs));
	for (i = 0; i < e->num_workers; i++) {
		pr = &p->pairs[i];
		pr->mask = e->ring_size - 1;
		if ((pr->sq = ring_new(e, e->ring_size)) == NULL ||
		    (pr->cq = ring_new(e, e->ring_size)) == NULL ||
		    (pr->flows = calloc(e->ring_size, sizeof(*pr->flows))) ==
			NULL)
			return QSSH_ERR_ALLOC;
	}
	return 0;
}

static void
port_cleanup(struct wrk_engine *e, struct wrk_port *p)
{
	uint32_t i;

	if (p->pairs != NULL) {
		for (i = 0; i < e->num_workers; i++) {
			ring_free(e, p->pairs[i].sq);
			ring_free(e, p->pairs[i].cq);
			free(p->pairs[i].flows);
		}
		free(p->pairs);
	}
	cryp_qp_free(p->qp);
	free(p->fifo);
	if (p->efd >= 0)
		(void)close(p->efd);
	p->efd = -1;
}

/* The worker's cores: the configured list, or the process's own. */
static int
engine_cores(const struct wrk_config *cfg, const cpu_set_t *allowed,
    uint32_t *cores, uint32_t *num)
{
	uint32_t i, n = 0;
	int r;

	if (cfg->cores != NULL && cfg->cores[0] != '\0') {
		r = wrk_cores_parse(cfg->cores, cores, WRK_CORES_MAX, num);
		if (r != 0) {
			qlog_error("worker cores \"%s\": invalid core list",
			    cfg->cores);
			return QSSH_ERR_CONFIG;
		}
		for (i = 0; i < *num; i++) {
			if (!CPU_ISSET(cores[i], allowed)) {
				qlog_error("worker core %u is not available "
					   "to this process",
				    cores[i]);
				return QSSH_ERR_CONFIG;
			}
		}
		return 0;
	}
	for (i = 0; i < WRK_CORES_MAX && i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, allowed))
			cores[n++] = i;
	}
	*num = n;
	return n == 0 ? QSSH_ERR_SYSTEM : 0;
}

static int
worker_start(struct wrk_worker *w)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int r;

	if (w->e->runtime == WRK_RUNTIME_DPDK) {
		if (wrk_dpdk_launch(w->core, w) != 0)
			return QSSH_ERR_SYSTEM;
		w->started = true;
		return 0;
	}
	if (pthread_attr_init(&attr) != 0)
		return QSSH_ERR_SYSTEM;
	CPU_ZERO(&set);
	CPU_SET(w->core, &set);
	r = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (r == 0)
		r = pthread_create(&w->thread, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	if (r != 0)
		return QSSH_ERR_SYSTEM;
	w->started = true;
	return 0;
}

/*
 * The runtime: DPDK lcores when asked for, the EAL is up (or starts with
 * cfg->eal_args) and enough idle lcores are left; threads otherwise, with
 * one line saying why (a failed EAL start has said it already).
 */
static int
engine_runtime(
    struct wrk_engine *e, const struct wrk_config *cfg, uint32_t total)
{
	e->runtime = WRK_RUNTIME_THREADS;
	if (cfg->runtime != WRK_RUNTIME_DPDK)
		return 0;
	if (!wrk_dpdk_ready()) {
		if (cfg->eal_args == NULL) {
			qlog_info("crypto workers: DPDK EAL not running; "
				  "using threads");
			return 0;
		}
		/* One line is logged there if it does not start. */
		if (dp_eal_start(cfg->eal_args) != 0 || !wrk_dpdk_ready())
			return 0;
	}
	if (total == 0) {
		e->runtime = WRK_RUNTIME_DPDK;
		return 0;
	}
	e->num_lcores = wrk_dpdk_claim_lcores(e->lcores, total);
	if (e->num_lcores < total) {
		qlog_info("crypto workers: %u DPDK worker lcores free for %u "
			  "workers; using threads",
		    e->num_lcores, total);
		wrk_dpdk_release_lcores(e->lcores, e->num_lcores);
		e->num_lcores = 0;
		return 0;
	}
	e->runtime = WRK_RUNTIME_DPDK;
	return 0;
}

struct wrk_engine *
wrk_engine_new(const struct wrk_config *cfg, int *err)
{
	struct wrk_engine *e = NULL, *ret = NULL;
	struct wrk_worker *w;
	uint32_t *cores = NULL, ncores = 0, total = 0, i, j, pool;
	cpu_set_t allowed;
	int r = QSSH_ERR_INTERNAL;

	if (cfg == NULL) {
		r = QSSH_ERR_INVALID_ARGUMENT;
		goto out;
	}
	for (pool = 0; pool < WRK_POOL_COUNT; pool++) {
		if (cfg->num_workers[pool] > WRK_WORKERS_MAX - total) {
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		total += cfg->num_workers[pool];
	}
	if (cfg->num_ports > WRK_PORTS_MAX ||
	    (cfg->ring_size != 0 &&
		(cfg->ring_size < 2 || cfg->ring_size > WRK_RING_MAX ||
		    (cfg->ring_size & (cfg->ring_size - 1)) != 0))) {
		r = QSSH_ERR_CONFIG;
		goto out;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if (cfg->backend != NULL) {
		if (cryp_backend_from_name(cfg->backend, &e->backend) != 0) {
			r = QSSH_ERR_CONFIG;
			goto out;
		}
	} else {
		e->backend = cryp_backend_default();
	}
	if (!cryp_backend_available(e->backend)) {
		r = QSSH_ERR_BACKEND_UNAVAILABLE;
		goto out;
	}
	e->ring_size = cfg->ring_size != 0 ? cfg->ring_size : WRK_RING_DEFAULT;
	e->spin_polls =
	    cfg->spin_polls != 0 ? cfg->spin_polls : WRK_SPIN_DEFAULT;
	e->num_ports = cfg->num_ports != 0 ? cfg->num_ports : 1;
	atomic_init(&e->mode, (int)cfg->mode);
	atomic_init(&e->stop, false);
	atomic_init(&e->stopped, false);

	CPU_ZERO(&allowed);
	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
		r = QSSH_ERR_SYSTEM;
		goto out;
	}
	e->usable_cores = (uint32_t)CPU_COUNT(&allowed);
	if ((cores = calloc(WRK_CORES_MAX, sizeof(*cores))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = engine_runtime(e, cfg, total)) != 0)
		goto out;
	if (e->runtime == WRK_RUNTIME_DPDK) {
		memcpy(cores, e->lcores, e->num_lcores * sizeof(*cores));
		ncores = e->num_lcores;
	} else if (total > 0 &&
	    (r = engine_cores(cfg, &allowed, cores, &ncores)) != 0)
		goto out;
	if (ncores == 0 && total > 0) {
		r = QSSH_ERR_CONFIG;
		goto out;
	}

	if (total > 0) {
		e->workers = aligned_alloc(
		    WRK_CACHE_LINE, (size_t)total * sizeof(*e->workers));
		if (e->workers == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		memset(e->workers, 0, (size_t)total * sizeof(*e->workers));
	}
	e->num_workers = total;
	for (pool = 0, i = 0; pool < WRK_POOL_COUNT; pool++) {
		e->pool_first[pool] = i;
		e->pool_count[pool] = cfg->num_workers[pool];
		for (j = 0; j < cfg->num_workers[pool]; j++, i++) {
			w = &e->workers[i];
			w->e = e;
			w->idx = i;
			w->pool = (enum wrk_pool_id)pool;
			w->core = cores[i % ncores];
		}
	}

	e->ports = aligned_alloc(
	    WRK_CACHE_LINE, (size_t)e->num_ports * sizeof(*e->ports));
	if (e->ports == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	memset(e->ports, 0, (size_t)e->num_ports * sizeof(*e->ports));
	for (i = 0; i < e->num_ports; i++)
		e->ports[i].efd = -1;
	for (i = 0; i < e->num_ports; i++) {
		if ((r = port_init(e, &e->ports[i], i)) != 0)
			goto out;
	}
	for (i = 0; i < e->num_workers; i++) {
		if ((e->workers[i].qp = cryp_qp_new(e->backend, WRK_BURST)) ==
		    NULL) {
			r = QSSH_ERR_BACKEND_UNAVAILABLE;
			goto out;
		}
	}
	for (i = 0; i < e->num_workers; i++) {
		if ((r = worker_start(&e->workers[i])) != 0) {
			qlog_error("cannot start crypto worker on core %u",
			    e->workers[i].core);
			goto out;
		}
	}
	qlog_debug("crypto workers: %u (gcm %u, chacha %u, cipher+mac %u), "
		   "%u ports, backend %s, runtime %s, %u usable cores",
	    e->num_workers, e->pool_count[WRK_POOL_GCM],
	    e->pool_count[WRK_POOL_CHACHA], e->pool_count[WRK_POOL_CIPHER_MAC],
	    e->num_ports, cryp_backend_name(e->backend),
	    e->runtime == WRK_RUNTIME_DPDK ? "dpdk" : "threads",
	    e->usable_cores);
	ret = e;
	e = NULL;
	r = 0;
out:
	free(cores);
	wrk_engine_free(e);
	if (err != NULL)
		*err = r;
	return ret;
}

void
wrk_engine_stop(struct wrk_engine *e)
{
	uint32_t i;

	if (e == NULL || atomic_load(&e->stopped))
		return;
	atomic_store(&e->stopped, true);
	atomic_store(&e->stop, true);
	for (i = 0; i < e->num_workers; i++) {
		if (!e->workers[i].started)
			continue;
		futex_wake(&e->workers[i].wake_seq);
		if (e->runtime == WRK_RUNTIME_DPDK)
			wrk_dpdk_join(e->workers[i].core);
		else
			(void)pthread_join(e->workers[i].thread, NULL);
		e->workers[i].started = false;
	}
}

void
wrk_engine_free(struct wrk_engine *e)
{
	uint32_t i;

	if (e == NULL)
		return;
	wrk_engine_stop(e);
	if (e->ports != NULL) {
		for (i = 0; i < e->num_ports; i++)
			port_cleanup(e, &e->ports[i]);
		free(e->ports);
	}
	if (e->workers != NULL) {
		for (i = 0; i < e->num_workers; i++)
			cryp_qp_free(e->workers[i].qp);
		free(e->workers);
	}
	wrk_dpdk_release_lcores(e->lcores, e->num_lcores);
	free(e);
}

enum wrk_runtime
wrk_engine_runtime(const struct wrk_engine *e)
{
	return e == NULL ? WRK_RUNTIME_THREADS : e->runtime;
}

int
wrk_port_event_fd(const struct wrk_port *p)
{
	return p == NULL ? -1 : p->efd;
}

bool
wrk_port_arm(struct wrk_port *p)
{
	uint64_t v;

	if (p == NULL)
		return false;
	/* Drop an old signal: the caller is about to look anyway. */
	(void)!read(p->efd, &v, sizeof(v));
	if (p->pending == 0)
		return false;
	atomic_store_explicit(&p->armed, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (port_ready(p)) {
		atomic_store_explicit(&p->armed, 0, memory_order_relaxed);
		return true;
	}
	return false;
}

void
wrk_engine_set_mode(struct wrk_engine *e, enum wrk_mode mode)
{
	if (e != NULL)
		atomic_store_explicit(
		    &e->mode, (int)mode, memory_order_relaxed);
}

enum wrk_mode
wrk_engine_mode(const struct wrk_engine *e)
{
	if (e == NULL)
		return WRK_MODE_AUTO;
	return (enum wrk_mode)atomic_load_explicit(
	    &e->mode, memory_order_relaxed);
}

uint32_t
wrk_engine_usable_cores(const struct wrk_engine *e)
{
	return e == NULL ? 0 : e->usable_cores;
}

uint32_t
wrk_engine_num_workers(const struct wrk_engine *e)
{
	return e == NULL ? 0 : e->num_workers;
}

uint32_t
wrk_engine_pool_workers(const struct wrk_engine *e, enum wrk_pool_id pool)
{
	if (e == NULL || pool >= WRK_POOL_COUNT)
		return 0;
	return e->pool_count[pool];
}

void
wrk_engine_stats(const struct wrk_engine *e, struct wrk_stats *st)
{
	const struct wrk_port *p;
	uint32_t i, j;

	if (st == NULL)
		return;
	memset(st, 0, sizeof(*st));
	if (e == NULL)
		return;
	for (i = 0; i < e->num_ports; i++) {
		p = &e->ports[i];
		st->ops_inline +=
		    atomic_load_explicit(&p->ops_inline, memory_order_relaxed);
		st->ops_offloaded += atomic_load_explicit(
		    &p->ops_offloaded, memory_order_relaxed);
		st->bursts_inline += atomic_load_explicit(
		    &p->bursts_inline, memory_order_relaxed);
		st->bursts_offloaded += atomic_load_explicit(
		    &p->bursts_offloaded, memory_order_relaxed);
		st->ring_full +=
		    atomic_load_explicit(&p->ring_full, memory_order_relaxed);
	}
	/* Estimates: the first port's, as the auto mode sees them. */
	for (j = 0; j < WRK_POOL_COUNT; j++) {
		st->inline_ns_per_kib[j] = atomic_load_explicit(
		    &e->ports[0].ns_per_kib[j], memory_order_relaxed);
		st->handoff_ns[j] = atomic_load_explicit(
		    &e->ports[0].handoff_ns[j], memory_order_relaxed);
	}
}

int
wrk_engine_worker_stats(
    const struct wrk_engine *e, uint32_t idx, struct wrk_worker_stats *st)
{
	const struct wrk_worker *w;

	if (e == NULL || st == NULL || idx >= e->num_workers)
		return QSSH_ERR_INVALID_ARGUMENT;
	w = &e->workers[idx];
	st->pool = w->pool;
	st->core = w->core;
	st->ops = atomic_load_explicit(&w->ops, memory_order_relaxed);
	st->bursts = atomic_load_explicit(&w->bursts, memory_order_relaxed);
	st->sleeps = atomic_load_explicit(&w->sleeps, memory_order_relaxed);
	st->flows = atomic_load_explicit(&w->flows, memory_order_relaxed);
	return 0;
}

void
wrk_test_set_worker_delay(struct wrk_engine *e, uint32_t idx, uint32_t usec)
{
	if (e != NULL && idx < e->num_workers)
		atomic_store_explicit(
		    &e->workers[idx].delay_us, usec, memory_order_relaxed);
}
