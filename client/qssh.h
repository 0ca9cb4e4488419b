/* SPDX-License-Identifier: BSD-2-Clause */
/* qssh, the client program: shared state of its files. */
#ifndef QSSH_CLIENT_QSSH_H
#define QSSH_CLIENT_QSSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "control/readconf.h"

struct tport;
struct kex;
struct tctl;
struct chan_ctx;
struct chan;
struct key;
struct wrk_engine;

/* Exit status for connection and protocol errors, as ssh(1). */
#define QSSH_EXIT_FAILURE 255

/* What the command line asked for, beyond ssh_config options. */
struct qssh_args {
	const char *destination;
	char *command; /* joined command words, or NULL */
	int tty_flag_count; /* -t given this many times */
	bool no_tty; /* -T */
	bool subsystem; /* -s */
	bool no_shell; /* -N */
	bool stdin_null; /* -n */
	bool fork_after; /* -f */
	bool dump_config; /* -G */
};

struct qssh_conn {
	int fd;
	struct tport *t;
	struct kex *kex;
	struct tctl *tctl;
	/* Crypto worker engine of the transport, NULL when inline. */
	struct wrk_engine *wrk;
	/*
	 * The engine starts once a session has moved QSSH_WORKERS_AFTER
	 * bytes (qssh_conn_bulk_check()): a short connection does not pay
	 * for threads it would not use.
	 */
	bool wrk_pending;
	int wrk_backend; /* enum cryp_backend_id */
	bool version_done;
	bool eof;
	bool stop_after_kex; /* qssh_conn_next: AGAIN once kex is done */
	char peer_addr[128];
	int peer_port;
	/* What was connected to, for messages. */
	const char *host; /* HostName */
	const char *host_arg; /* as typed (host part) */
	int port;
	/* Keepalives. */
	uint64_t last_input_ms;
	unsigned alive_count;
};

/* ---- client-wide state ---- */
extern struct readconf_options qssh_opts;
extern struct readconf_ctx qssh_rctx;
extern const char *qssh_progname;

/* ---- qssh_conn.c: connecting, transport loop, host keys ---- */
int qssh_connect(struct qssh_conn *cn);
/* Version exchange, kex, host key check; returns 0 or exits. */
int qssh_conn_setup(struct qssh_conn *cn);
/* Write queued output without blocking for long; false on error. */
int qssh_conn_flush_out(struct qssh_conn *cn);
/* Next packet, running the I/O with a blocking poll. */
int
qssh_conn_next(struct qssh_conn *cn, uint8_t *type, struct qssh_view *payload);
/* Best effort: write what is queued (at most timeout_ms). */
void qssh_conn_drain(struct qssh_conn *cn, int timeout_ms);
void qssh_conn_cleanup(struct qssh_conn *cn);
/* Print OpenSSH's message for a fatal connection error and return 255. */
int qssh_conn_fatal(struct qssh_conn *cn, int err);
/* Read what the socket has (non-blocking); 0, or an error / CONN_CLOSED. */
int qssh_conn_read(struct qssh_conn *cn);
/*
 * Before fork(): the worker threads stay behind in the parent, so the
 * transport goes back to inline crypto (the engine is then left alone).
 */
void qssh_conn_detach_workers(struct qssh_conn *cn);
/* Bytes of channel data after which the crypto workers start. */
#define QSSH_WORKERS_AFTER (4u * 1024 * 1024)
/* Start the crypto workers if the connection has become a bulk one. */
void qssh_conn_bulk_check(struct qssh_conn *cn);
/*
 * For a poll loop: the fd that signals finished crypto, or -1 when none
 * is pending; sets *timeout_ms to 0 when finished work waits already.
 */
int qssh_conn_event_fd(struct qssh_conn *cn, int *timeout_ms);
/* After that fd was readable. */
void qssh_conn_event_clear(struct qssh_conn *cn);
/* Wait (at most timeout_ms) until no crypto of the transport is pending. */
void qssh_conn_wait_work(struct qssh_conn *cn, int timeout_ms);

/* ---- qssh_auth.c ---- */
int qssh_userauth(struct qssh_conn *cn);

/* ---- qssh_session.c ---- */
int qssh_session_run(struct qssh_conn *cn, const struct qssh_args *args);

/* ---- qssh_tty.c ---- */
/*
 * Ask on /dev/tty (or through SSH_ASKPASS as ssh(1) decides); heap string
 * or NULL.
 */
char *qssh_read_passphrase(const char *prompt, bool echo);
/* Whether a prompt could be shown at all. */
bool qssh_can_prompt(void);
int qssh_tty_enter_raw(void);
void qssh_tty_leave_raw(void);
bool qssh_tty_is_raw(void);
/* Restore every fd flag and tty mode changed; safe in signal handlers. */
void qssh_restore_all(void);
/* Remember fd's flags, then make it non-blocking (not for ttys). */
void qssh_set_nonblock_saved(int fd);

#endif
