/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared driver of the transport-on-workers tests
 * (test_transport_workers_xfer.c): an in-memory transfer between a client
 * and a server tport, and one combination of the backend x runtime x worker
 * count x algorithm matrix.
 */
#ifndef QSSH_TEST_TRANSPORT_WORKERS_XFER_H
#define QSSH_TEST_TRANSPORT_WORKERS_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto-offload/cryp.h"
#include "dataplane/workers.h"

#define XFER_MIB (1024u * 1024u)

struct xfer_params {
	enum cryp_backend_id backend;
	const char *cipher;
	const char *mac; /* NULL for AEAD */
	struct wrk_port *port; /* NULL: inline */
	uint64_t bytes; /* each direction */
	bool rekey; /* both sides rekey when the client is half-way */
	bool strict;
	uint32_t max_payload; /* 0 = 32 KiB */
	uint64_t seed;
	/* Called after each packet sent or received and once per round of
	 * the event loop, if set. */
	void (*tick)(void *arg);
	void *tick_arg;
};

/* The algorithms of the matrix. */
struct xfer_alg {
	const char *cipher;
	const char *mac; /* NULL for AEAD */
};
extern const struct xfer_alg xfer_algs[];
extern const size_t xfer_num_algs;

/*
 * Transfer xp->bytes both ways at once through two tports, each byte
 * compared with what was sent, with a key exchange in the middle when
 * xp->rekey.  Fails the running cmocka test on any difference.
 */
void xfer_run(const struct xfer_params *xp);

/*
 * An engine in offload mode with nworkers in the pool of cipher (none in
 * the others), ring size 256.  Fails the test if it cannot be created.
 */
struct wrk_engine *xfer_engine(const char *backend, const char *cipher,
    uint32_t nworkers, enum wrk_runtime rt);

/*
 * One combination of the matrix: an engine of backend be on runtime rt
 * with nw workers, a transfer of bytes each way with a rekey, then checks
 * that the runtime is rt and that every worker (and only workers, with
 * nw > 0) did crypto.  Returns false, after printing why, if the backend
 * does not do the algorithm.
 */
bool xfer_combo(enum cryp_backend_id be, enum wrk_runtime rt, uint32_t nw,
    const struct xfer_alg *alg, uint64_t bytes, uint64_t seed);

/*
 * Order under a slowed worker: worker slow of e sleeps 300 us after taking
 * each burst while the engine's mode is drawn afresh (inline, offload,
 * auto) for every packet sent or received, so the bursts of one flow alternate
 * between the caller and the worker, and completions of different flows
 * come back out of order.
 * A transfer of bytes each way in small packets with a rekey must still
 * be byte-exact; then checks that both paths ran and that the slowed
 * worker did crypto.  Leaves e in offload mode without delay.
 */
void xfer_slow_order(struct wrk_engine *e, enum cryp_backend_id be,
    const struct xfer_alg *alg, uint32_t slow, uint64_t bytes, uint64_t seed);

#endif
