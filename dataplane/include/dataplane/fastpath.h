/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The dataplane process's engine: it owns the network side of many
 * connections, runs their binary packet protocol (with the crypto workers
 * when a port is given) and moves channel data between the peer and the
 * session descriptors of bound channels itself: CHANNEL_DATA,
 * EXTENDED_DATA, WINDOW_ADJUST, EOF and CLOSE of those channels, and
 * IGNORE, never reach the control process.  Everything else is relayed to
 * and from each connection's control process (relay.h).
 *
 * One thread: the caller waits on fp_engine_fd() (an epoll descriptor,
 * readable when there is work) or calls fp_engine_run() with a timeout.
 */
#ifndef QSSH_DATAPLANE_FASTPATH_H
#define QSSH_DATAPLANE_FASTPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto-offload/cryp.h"

/* Channel windows we advertise: start, and the cap of their growth. */
#define FP_WINDOW_DEFAULT (16u * 1024 * 1024)
#define FP_WINDOW_MAX (64u * 1024 * 1024)

struct wrk_port;

struct fp_config {
	enum cryp_backend_id backend;
	struct wrk_port *port; /* crypto workers, or NULL: inline */
	uint32_t window; /* 0: FP_WINDOW_DEFAULT */
	uint32_t window_max; /* 0: FP_WINDOW_MAX */
};

struct fp_engine;

struct fp_engine *fp_engine_new(const struct fp_config *cfg, int *err);
/* Closes every connection (their control processes see the relay end). */
void fp_engine_free(struct fp_engine *e);

/*
 * Take over a connection: net_in and net_out (the same socket, or two
 * descriptors for inetd mode) and the dataplane's end of its relay.  The
 * engine owns the descriptors from here on, also on failure.  addr and
 * port name the peer in log lines.
 */
int fp_engine_add(struct fp_engine *e, int net_in, int net_out, int relay_fd,
    const char *addr, int port);

/* Another descriptor to wait on with the engine: cb(arg) when readable. */
typedef void fp_fd_cb(void *arg);
int fp_engine_add_fd(struct fp_engine *e, int fd, fp_fd_cb *cb, void *arg);
void fp_engine_del_fd(struct fp_engine *e, int fd);

/* Wait up to timeout_ms (-1: forever, 0: poll) and do what is ready. */
int fp_engine_run(struct fp_engine *e, int timeout_ms);
/* Readable when fp_engine_run(e, 0) has something to do. */
int fp_engine_fd(const struct fp_engine *e);
/* Connections being served. */
size_t fp_engine_count(const struct fp_engine *e);

struct fp_stats {
	uint64_t connections; /* taken over since start */
	uint64_t channels_bound;
	uint64_t channels_open; /* bound and not yet closed, now */
	uint64_t data_in, data_out; /* channel data bytes, both ways */
	uint64_t window_adjusts; /* WINDOW_ADJUST sent */
	uint64_t relayed_in, relayed_out; /* packets to/from control */
};
void fp_engine_stats(const struct fp_engine *e, struct fp_stats *st);

#endif
