/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The privilege separation monitor: a small privileged process that serves
 * a fixed set of requests from the sandboxed per-connection control process
 * over a socketpair.
 *
 * Wire format (both directions, SOCK_STREAM): uint32 length, then length
 * bytes: uint8 type, payload in SSH encoding (RFC 4251).  length counts the
 * type byte, is at least 1 and at most MONITOR_MSG_MAX.  A descriptor (a pty
 * master) travels with an answer as SCM_RIGHTS on its first byte.
 *
 * The monitor keeps a state machine and accepts each request only in the
 * states listed in its table entry (some only once):
 *
 *   request            states          payload -> answer payload
 *   SIGN               all             u32 key index, string alg, string
 *                                      data (a 20/32/48/64-byte exchange
 *                                      hash) -> string signature blob
 *   GETPW (once)       PREAUTH         string user -> string name, u32 uid,
 *                                      u32 gid, string home, string shell
 *   AUTH_PASSWORD      PREAUTH         string password -> bool ok
 *   KEY_ALLOWED        PREAUTH         string key blob -> bool ok
 *   KEY_VERIFY         PREAUTH         string key blob, string signature,
 *                                      string signed data -> bool ok
 *   LOG                all             u32 level, string line -> (none)
 *   SESSION_START      AUTHENTICATED   (empty) -> u32 status
 *   PTY                SESSION         (empty) -> u32 status, string tty
 *                                      name, descriptor on success
 *
 * PREAUTH -> AUTHENTICATED happens only inside the monitor, when a password
 * or a public key signature it checked itself succeeds for a valid user;
 * AUTHENTICATED -> SESSION on SESSION_START.  SIGN stays allowed after
 * authentication because every rekey of the connection needs a host key
 * signature.  The first signed exchange hash is the session identifier that
 * KEY_VERIFY checks signed data against.
 *
 * Unknown requests, requests in the wrong state, repeated one-shot requests,
 * oversized or malformed messages kill the connection: the monitor logs the
 * reason, closes its end and enters MONITOR_STATE_DEAD; the daemon then
 * ends the child.
 *
 * GETPW answers every name: an unknown user gets a fake entry derived from
 * the name and a per-daemon secret (same name, same answer), after the same
 * work as a real lookup, so the answer does not tell the child (or a
 * compromised child) whether the user exists.  The monitor remembers the
 * difference and never lets an invalid user authenticate.
 */
#ifndef QSSH_CONTROL_MONITOR_H
#define QSSH_CONTROL_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/log.h"

struct key;

#define MONITOR_MSG_MAX (256 * 1024)
#define MONITOR_USER_MAX 256
#define MONITOR_LOG_LINE_MAX 2048
#define MONITOR_FAKE_SECRET_LEN 32

enum monitor_msg_type {
	MONITOR_REQ_SIGN = 1,
	MONITOR_REQ_GETPW = 2,
	MONITOR_REQ_AUTH_PASSWORD = 3,
	MONITOR_REQ_KEY_ALLOWED = 4,
	MONITOR_REQ_KEY_VERIFY = 5,
	MONITOR_REQ_LOG = 6,
	MONITOR_REQ_SESSION_START = 7,
	MONITOR_REQ_PTY = 8,
	/* answers: request type | MONITOR_ANS_FLAG */
	MONITOR_ANS_FLAG = 0x80,
	MONITOR_ANS_SIGN = MONITOR_ANS_FLAG | MONITOR_REQ_SIGN,
	MONITOR_ANS_GETPW = MONITOR_ANS_FLAG | MONITOR_REQ_GETPW,
	MONITOR_ANS_AUTH_PASSWORD =
	    MONITOR_ANS_FLAG | MONITOR_REQ_AUTH_PASSWORD,
	MONITOR_ANS_KEY_ALLOWED = MONITOR_ANS_FLAG | MONITOR_REQ_KEY_ALLOWED,
	MONITOR_ANS_KEY_VERIFY = MONITOR_ANS_FLAG | MONITOR_REQ_KEY_VERIFY,
	MONITOR_ANS_SESSION_START =
	    MONITOR_ANS_FLAG | MONITOR_REQ_SESSION_START,
	MONITOR_ANS_PTY = MONITOR_ANS_FLAG | MONITOR_REQ_PTY,
};

enum monitor_state {
	MONITOR_STATE_PREAUTH = 0,
	MONITOR_STATE_AUTHENTICATED,
	MONITOR_STATE_SESSION,
	MONITOR_STATE_DEAD,
};

/* A user as the monitor answers GETPW. */
struct monitor_pw {
	char *name;
	uid_t uid;
	gid_t gid;
	char *home;
	char *shell;
};

/*
 * The daemon's operations.  Each returns 0 for success/allowed, a negative
 * QSSH_ERR_* otherwise (QSSH_ERR_ACCESS for a plain "no").  A NULL callback
 * means "always no".
 */
struct monitor_callbacks {
	/*
	 * Check a password (PAM or crypt).  valid is false for an unknown
	 * user: do comparable work; the result is ignored.
	 */
	int (*auth_password)(void *ctx, const struct monitor_pw *pw, bool valid,
	    const char *password);
	/* authorized_keys (and friends) lookup as the user. */
	int (*key_allowed)(
	    void *ctx, const struct monitor_pw *pw, const struct key *key);
	/* Called once, entering SESSION. */
	int (*session_start)(void *ctx, const struct monitor_pw *pw);
	/* Open a pty: *master_fd (given away) and the tty name. */
	int (*pty_open)(void *ctx, const struct monitor_pw *pw, int *master_fd,
	    char *tty, size_t ttylen);
};

struct monitor_config {
	/* Host keys with private halves; borrowed, indexed by SIGN. */
	struct key *const *host_keys;
	size_t num_host_keys;
	const struct monitor_callbacks *cb; /* borrowed; may be NULL */
	void *cb_ctx;
	/*
	 * Secret for fake GETPW answers, MONITOR_FAKE_SECRET_LEN bytes; set
	 * it once in the listener so every connection answers alike.  NULL:
	 * random per monitor.
	 */
	const uint8_t *fake_secret;
	/* Service name that KEY_VERIFY expects; NULL: "ssh-connection". */
	const char *service;
};

struct monitor;

/* AF_UNIX SOCK_STREAM pair, close-on-exec: [0] monitor, [1] child. */
int monitor_socketpair(int fds[2]);

/*
 * Monitor side.  fd is the monitor's end (owned from now on; -1 for an
 * in-memory monitor driven by monitor_handle_msg()).  NULL on failure.
 */
struct monitor *monitor_new(int fd, const struct monitor_config *cfg);
void monitor_free(struct monitor *m); /* closes fd; NULL is a no-op */
enum monitor_state monitor_get_state(const struct monitor *m);
/* The user fixed by GETPW (NULL before); *valid whether it exists. */
const struct monitor_pw *monitor_get_user(const struct monitor *m, bool *valid);

/*
 * Handle one request (msg: type byte and payload, without the length).
 * The answer (type byte and payload) is appended to ans, which stays empty
 * for requests without an answer; *ans_fd gets a descriptor to pass along
 * (owned by the caller) or -1.  0, or a negative QSSH_ERR_* after which the
 * monitor is dead: QSSH_ERR_UNEXPECTED_MESSAGE (unknown type),
 * QSSH_ERR_ACCESS (wrong state, repeated, not permitted),
 * QSSH_ERR_PACKET_TOO_LARGE, QSSH_ERR_INVALID_FORMAT or
 * QSSH_ERR_MESSAGE_INCOMPLETE (malformed), QSSH_ERR_CONN_CLOSED (already
 * dead).
 */
int monitor_handle_msg(struct monitor *m, const uint8_t *msg, size_t len,
    struct qssh_buf *ans, int *ans_fd);
/*
 * Read one request from fd, handle it, send the answer.  0, or
 * QSSH_ERR_CONN_CLOSED on a clean end of file, or an error as above; on any
 * error the monitor closed its descriptor.
 */
int monitor_serve_one(struct monitor *m);
/* Serve until the child hangs up (0) or the connection is killed (< 0). */
int monitor_serve(struct monitor *m);

/*
 * Framing, used by both sides.  msg is type byte and payload.  send:
 * pass_fd >= 0 goes along as SCM_RIGHTS.  recv: msg is reset and filled;
 * recv_fd (may be NULL: descriptors are then refused) gets a received
 * descriptor or -1.  QSSH_ERR_CONN_CLOSED on end of file before a message.
 */
int monitor_msg_send(int fd, const uint8_t *msg, size_t len, int pass_fd);
int monitor_msg_recv(int fd, struct qssh_buf *msg, int *recv_fd);

/*
 * Child side: one blocking request each.  Answers of the wrong type are
 * QSSH_ERR_UNEXPECTED_MESSAGE.  Negative outcomes (wrong password, key not
 * allowed) are *ok false, not errors.
 */
int monitor_req_sign(int fd, uint32_t key_index, const char *alg,
    const uint8_t *data, size_t len, struct qssh_buf *sig);
int monitor_req_getpw(int fd, const char *user, struct monitor_pw **out);
int monitor_req_auth_password(int fd, const char *password, bool *ok);
int
monitor_req_key_allowed(int fd, const uint8_t *blob, size_t bloblen, bool *ok);
int monitor_req_key_verify(int fd, const uint8_t *blob, size_t bloblen,
    const uint8_t *sig, size_t siglen, const uint8_t *data, size_t datalen,
    bool *ok);
int monitor_req_session_start(int fd);
/* *master_fd and *tty (heap) on success. */
int monitor_req_pty(int fd, int *master_fd, char **tty);
int monitor_req_log(int fd, enum qssh_log_level level, const char *line);
/* A qssh_log hook forwarding lines; ctx is the fd cast with (intptr_t). */
void monitor_log_hook(enum qssh_log_level level, const char *line, void *ctx);

void monitor_pw_free(struct monitor_pw *pw); /* NULL is a no-op */

#endif
