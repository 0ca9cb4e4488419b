/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Crypto worker engine (threads runtime).
 *
 * Bulk packet crypto runs on worker threads pinned to cores.  Workers are
 * grouped in pools, one per algorithm family (AES-GCM, ChaCha20-Poly1305,
 * cipher+MAC); a pool with no workers runs its crypto inline on the
 * submitting thread.  Each worker owns a cryp_qp of the engine's backend.
 *
 * Submitting threads ("ports") are fixed when the engine is created.  Each
 * (port, worker) pair has one SPSC submission ring and one SPSC completion
 * ring, so nothing on the per-packet path takes a lock or allocates.
 *
 * A flow is one direction of one connection: one cryp_session, whose state
 * (GCM invocation counter, CTR stream) advances with every operation.  A
 * flow is bound to one worker of its pool when it is initialised, so its
 * operations are processed in submission order, and wrk_collect_burst()
 * returns each flow's operations in submission order.  Operations of
 * different flows may come back in any order relative to each other.
 *
 * Inline or offload is decided per burst: with one usable core, for a pool
 * without workers, or when the measured inline cost of the burst is below
 * the measured hand-off latency, the burst runs on the caller.  A flow that
 * still has operations on its worker always goes to that worker.  The
 * configuration can force either way.
 *
 * Back-pressure: wrk_submit_burst() accepts a prefix of the burst and
 * returns its length; the other operations still belong to the caller, who
 * collects completions and submits them again.  Queues never grow.
 *
 * Runtimes: plain threads pinned with sched affinity, or (appliance mode)
 * DPDK lcores: the workers run on EAL worker lcores launched with
 * rte_eal_remote_launch() and the rings are DPDK rings.  The API and the
 * behaviour are the same; without a running EAL or enough idle lcores the
 * engine uses threads and logs one line.
 *
 * Event loops: each port has an eventfd.  wrk_port_arm() asks for one
 * signal at the next completion (or says that one is ready now), so an
 * epoll loop sleeps on sockets and completions together.
 */
#ifndef QSSH_DATAPLANE_WORKERS_H
#define QSSH_DATAPLANE_WORKERS_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto-offload/cryp.h"

enum wrk_pool_id {
	WRK_POOL_GCM = 0, /* aes128-gcm, aes256-gcm */
	WRK_POOL_CHACHA, /* chacha20-poly1305 */
	WRK_POOL_CIPHER_MAC, /* aes*-ctr with a MAC, and none */
	WRK_POOL_COUNT
};

enum wrk_mode {
	WRK_MODE_AUTO = 0, /* decide per burst from measurements */
	WRK_MODE_INLINE, /* always on the caller (flows with ops in
				 * flight still finish on their worker) */
	WRK_MODE_OFFLOAD, /* always on a worker when the pool has one */
};

enum wrk_runtime {
	WRK_RUNTIME_THREADS = 0,
	WRK_RUNTIME_DPDK, /* EAL lcores, DPDK rings */
};

/* Limits of one engine. */
#define WRK_WORKERS_MAX 64 /* all pools together */
#define WRK_PORTS_MAX 64
#define WRK_CORES_MAX 1024 /* core numbers are below this */
/* Operations a worker takes from one ring at a time. */
#define WRK_BURST 32

struct wrk_config {
	/* Workers per pool; 0 = the pool's crypto runs inline. */
	uint32_t num_workers[WRK_POOL_COUNT];
	/*
	 * Cores to pin workers to: "1,2", "0-3", "0,2-3".  NULL or "" = the
	 * cores this process may use (sched_getaffinity).  Workers take the
	 * listed cores in turn, pool after pool.
	 */
	const char *cores;
	uint32_t num_ports; /* submitting threads; 0 = 1 */
	/* Slots of each ring (power of two); 0 = 1024. */
	uint32_t ring_size;
	enum wrk_mode mode;
	/* Backend name for the workers' queue pairs; NULL = the default. */
	const char *backend;
	/* Idle polls before a worker (or a waiting port) sleeps; 0 = default. */
	uint32_t spin_polls;
	/*
	 * WRK_RUNTIME_DPDK: workers on idle EAL worker lcores, in order
	 * ('cores' is not used then: the EAL's -l/--lcores decide).  Falls
	 * back to threads (one log line) when the EAL is not running and
	 * does not start with eal_args, or too few lcores are idle.
	 */
	enum wrk_runtime runtime;
	/* Start the EAL with these (dp_eal_start()) if it is not up; NULL =
	 * do not start it. */
	const char *eal_args;
};

/* Defaults: one worker per pool for each usable core but one, auto mode. */
void wrk_config_init(struct wrk_config *cfg);

struct wrk_engine;
struct wrk_port;
struct wrk_worker;

/*
 * Start the workers.  NULL and *err = QSSH_ERR_CONFIG for a bad core list,
 * a core the process may not use, or out-of-range sizes;
 * QSSH_ERR_BACKEND_UNAVAILABLE, QSSH_ERR_ALLOC, QSSH_ERR_SYSTEM otherwise.
 */
struct wrk_engine *wrk_engine_new(const struct wrk_config *cfg, int *err);
/*
 * Stop and join the workers.  Operations already submitted are processed
 * first and can still be collected until wrk_engine_free().  Call it when
 * no port is submitting.  Idempotent.
 */
void wrk_engine_stop(struct wrk_engine *e);
/* Stop, then free the engine; uncollected operations are dropped (they
 * belong to the caller, who still holds them), and its flows must not be
 * used again, not even cleaned up.  NULL is a no-op. */
void wrk_engine_free(struct wrk_engine *e);

/* Change the mode at run time (qsshctl). */
void wrk_engine_set_mode(struct wrk_engine *e, enum wrk_mode mode);
enum wrk_mode wrk_engine_mode(const struct wrk_engine *e);
/* Cores the process may use, as counted when the engine started. */
uint32_t wrk_engine_usable_cores(const struct wrk_engine *e);
uint32_t wrk_engine_num_workers(const struct wrk_engine *e);
uint32_t
wrk_engine_pool_workers(const struct wrk_engine *e, enum wrk_pool_id pool);

/* The runtime in use (after any fallback). */
enum wrk_runtime wrk_engine_runtime(const struct wrk_engine *e);

/* Port idx (< num_ports); each port is used by one thread at a time. */
struct wrk_port *wrk_engine_port(struct wrk_engine *e, uint32_t idx);

/* The pool of a cipher's family. */
enum wrk_pool_id wrk_pool_of_cipher(enum cryp_cipher_id cipher);

/*
 * One direction of one connection.  Caller-owned; the fields are private
 * to the engine.  Rekeying: collect all of the old flow's operations,
 * clean it up and initialise a new flow for the new session.
 */
struct wrk_flow {
	struct wrk_port *port;
	struct cryp_session *sess;
	struct wrk_worker *worker; /* NULL: the pool runs inline */
	uint32_t pending; /* on the worker, not yet collected */
};

/*
 * Bind a flow of session s (cipher is the session's cipher) to the least
 * loaded worker of its pool.  0 or QSSH_ERR_INVALID_ARGUMENT.
 */
int wrk_flow_init(struct wrk_flow *f, struct wrk_port *p,
    struct cryp_session *s, enum cryp_cipher_id cipher);
/* 0, or QSSH_ERR_BUSY (and nothing done) while operations are pending. */
int wrk_flow_cleanup(struct wrk_flow *f);
/* Worker index the flow is bound to, or -1 when it runs inline. */
int wrk_flow_worker(const struct wrk_flow *f);

/*
 * Submit up to n operations of flow f (each op->sess must be f's session;
 * one that is not completes with QSSH_ERR_INVALID_ARGUMENT).  Returns how
 * many were accepted: a prefix of ops.  Accepted operations are handed
 * back by wrk_collect_burst(), with op->status set.
 */
uint32_t wrk_submit_burst(
    struct wrk_port *p, struct wrk_flow *f, struct cryp_op **ops, uint32_t n);
/* Up to n completed operations; each flow's in submission order. */
uint32_t
wrk_collect_burst(struct wrk_port *p, struct cryp_op **ops, uint32_t n);
/* Operations submitted on this port and not yet collected. */
uint32_t wrk_port_pending(const struct wrk_port *p);
/*
 * Wait until a completion can be collected: 0, QSSH_ERR_TIMEOUT after
 * timeout_ms (negative = no limit), QSSH_ERR_AGAIN if nothing is pending.
 * Spins briefly, then sleeps until a worker wakes it.
 */
int wrk_port_wait(struct wrk_port *p, int timeout_ms);

/*
 * The port's eventfd (non-blocking), readable after wrk_port_arm() once a
 * completion can be collected; -1 for NULL.  Its counter means nothing
 * beyond "look now".
 */
int wrk_port_event_fd(const struct wrk_port *p);
/*
 * Before sleeping on the event fd: true if a completion can be collected
 * now (do not sleep); false if the fd will be signalled at the next one,
 * or if nothing is pending (then nothing will signal it).
 */
bool wrk_port_arm(struct wrk_port *p);

struct wrk_stats {
	uint64_t ops_inline;
	uint64_t ops_offloaded;
	uint64_t bursts_inline;
	uint64_t bursts_offloaded;
	/* Submits that accepted fewer operations than given: ring full. */
	uint64_t ring_full;
	/* Current estimates of the auto mode, per pool (ns). */
	uint64_t inline_ns_per_kib[WRK_POOL_COUNT];
	uint64_t handoff_ns[WRK_POOL_COUNT];
};

struct wrk_worker_stats {
	enum wrk_pool_id pool;
	uint32_t core;
	uint64_t ops;
	uint64_t bursts;
	uint64_t sleeps; /* times it went to sleep when idle */
	uint32_t flows; /* flows bound to it now */
};

/* Sum over the ports; safe from any thread (a snapshot). */
void wrk_engine_stats(const struct wrk_engine *e, struct wrk_stats *st);
/* 0 or QSSH_ERR_INVALID_ARGUMENT if idx >= wrk_engine_num_workers(). */
int wrk_engine_worker_stats(
    const struct wrk_engine *e, uint32_t idx, struct wrk_worker_stats *st);

/*
 * Parse a core list ("0", "1,2", "0-3", "0,2-3") into ascending unique core
 * numbers.  0, QSSH_ERR_INVALID_FORMAT, or QSSH_ERR_NO_BUFFER_SPACE when more
 * than max cores are listed.
 */
int
wrk_cores_parse(const char *s, uint32_t *cores, uint32_t max, uint32_t *num);

/*
 * Test hook: worker idx sleeps usec microseconds after taking each burst.
 * Not for production callers.
 */
void
wrk_test_set_worker_delay(struct wrk_engine *e, uint32_t idx, uint32_t usec);

#endif
