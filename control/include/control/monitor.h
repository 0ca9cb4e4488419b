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
 *                                      [, the user's authentication policy
 *                                      after Match: bool pubkey, bool
 *                                      password, bool kbdint, u32
 *                                      MaxAuthTries, string
 *                                      AuthenticationMethods lists (space
 *                                      separated), string accepted public
 *                                      key algorithms ("": default)]
 *   AUTH_PASSWORD      PREAUTH         string password -> bool ok
 *   KEY_ALLOWED        PREAUTH         string key blob -> bool ok
 *   KEY_VERIFY         PREAUTH         string key blob, string signature,
 *                                      string signed data -> bool ok
 *   LOG                all             u32 level, string line -> (none)
 *   SESSION_START      AUTHENTICATED   (empty) -> u32 status
 *   PTY                SESSION         (empty) -> u32 status, string tty
 *                                      name, descriptor on success
 *   LOG_USER           all             u32 level, u32 style, string before,
 *                                      string after -> (none)
 *   SESSION_EXEC       SESSION         u32 kind, string command, bool pty,
 *                                      string term, u32 cols, u32 rows,
 *                                      u32 width px, u32 height px, string
 *                                      modes, u32 n, n x string "NAME=value"
 *                                      -> u32 status, u32 session id,
 *                                      descriptor (pty master, or the
 *                                      session's stdin/stdout socket)
 *   SESSION_FD         SESSION         u32 session id, u32 which -> u32
 *                                      status, descriptor (stderr pipe, or
 *                                      the exit notification pipe)
 *   SESSION_SIGNAL     SESSION         u32 session id, string signal name
 *                                      -> u32 status
 *   KBDINT_START       PREAUTH         (empty) -> u32 kbdint status, and
 *                                      for MONITOR_KBDINT_PROMPT string
 *                                      info (an RFC 4256 INFO_REQUEST
 *                                      payload: name, instruction, lang,
 *                                      u32 n, n x (string prompt, bool
 *                                      echo))
 *   KBDINT_RESPOND     (in a KBDINT    bool cancel, u32 n, n x string
 *                      conversation)   answer -> as KBDINT_START
 *
 * A keyboard-interactive conversation (PAM) runs inside the monitor's
 * handling of KBDINT_START: each round of prompts is the answer to the
 * pending request, and the child's next request must be KBDINT_RESPOND
 * with as many answers as prompts (or cancel); SIGN, LOG and LOG_USER are
 * still served in between.  The last answer has the status SUCCESS or
 * FAILURE.  KBDINT_RESPOND outside a conversation kills the connection.
 *
 * LOG_USER lets the child log lines about the user without learning whether
 * the user exists: the monitor inserts "authenticating user NAME" or
 * "invalid user NAME" (style MONITOR_LOG_USER_AUTHENTICATING), "NAME" or
 * "invalid user NAME" (MONITOR_LOG_USER_PLAIN), or "user NAME" (after
 * authentication, MONITOR_LOG_USER_SESSION) between before and after.
 *
 * The exit notification pipe of a session carries the session process's
 * wait(2) status as a u32 once the monitor reaped it, then end of file.
 *
 * PREAUTH -> AUTHENTICATED happens only inside the monitor, when a password,
 * a keyboard-interactive conversation or a public key signature it checked
 * itself succeeds for a valid user and, with AuthenticationMethods, the
 * methods that succeeded so far complete one of the lists (the
 * auth_complete session callback; otherwise the success is partial and the
 * connection stays in PREAUTH);
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
	MONITOR_REQ_LOG_USER = 9,
	MONITOR_REQ_SESSION_EXEC = 10,
	MONITOR_REQ_SESSION_FD = 11,
	MONITOR_REQ_SESSION_SIGNAL = 12,
	MONITOR_REQ_KBDINT_START = 13,
	MONITOR_REQ_KBDINT_RESPOND = 14,
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
	MONITOR_ANS_SESSION_EXEC = MONITOR_ANS_FLAG | MONITOR_REQ_SESSION_EXEC,
	MONITOR_ANS_SESSION_FD = MONITOR_ANS_FLAG | MONITOR_REQ_SESSION_FD,
	MONITOR_ANS_SESSION_SIGNAL =
	    MONITOR_ANS_FLAG | MONITOR_REQ_SESSION_SIGNAL,
	MONITOR_ANS_KBDINT_START = MONITOR_ANS_FLAG | MONITOR_REQ_KBDINT_START,
	MONITOR_ANS_KBDINT_RESPOND =
	    MONITOR_ANS_FLAG | MONITOR_REQ_KBDINT_RESPOND,
};

/* Status of a KBDINT answer. */
enum monitor_kbdint_status {
	MONITOR_KBDINT_PROMPT = 0,
	MONITOR_KBDINT_SUCCESS = 1,
	MONITOR_KBDINT_FAILURE = 2,
};

/* Bounds of a keyboard-interactive round. */
#define MONITOR_KBDINT_PROMPTS_MAX 32
#define MONITOR_KBDINT_ANSWER_MAX 1024

/* A keyboard-interactive conversation in progress (see kbdint). */
struct monitor_kbdint;

enum monitor_log_user_style {
	MONITOR_LOG_USER_AUTHENTICATING = 0,
	MONITOR_LOG_USER_PLAIN = 1,
	MONITOR_LOG_USER_SESSION = 2,
};

enum monitor_exec_kind {
	MONITOR_EXEC_SHELL = 0,
	MONITOR_EXEC_COMMAND = 1,
	MONITOR_EXEC_SUBSYSTEM = 2,
};

enum monitor_session_fd {
	MONITOR_SESSION_FD_STDERR = 1,
	MONITOR_SESSION_FD_EXIT = 2,
};

/* Bounds on SESSION_EXEC. */
#define MONITOR_EXEC_ENV_MAX 256
#define MONITOR_EXEC_MODES_MAX 1024

/* A session to start, as SESSION_EXEC carries it. */
struct monitor_exec {
	enum monitor_exec_kind kind;
	char *command; /* exec: the command; subsystem: its name */
	bool pty;
	char *term;
	uint32_t cols, rows, width_px, height_px;
	/* RFC 4254 section 8 encoded modes (opcode, uint32 argument ...) */
	uint8_t *modes;
	size_t modes_len;
	char **env; /* "NAME=value" from env requests */
	size_t num_env;
};

enum monitor_state {
	MONITOR_STATE_PREAUTH = 0,
	MONITOR_STATE_AUTHENTICATED,
	MONITOR_STATE_SESSION,
	MONITOR_STATE_DEAD,
};

/*
 * The authentication settings that apply to the user (the configuration
 * after Match User/Group), as GETPW may carry them.
 */
struct monitor_auth_policy {
	bool present; /* the answer carried a policy */
	bool pubkey, password, kbdint;
	uint32_t max_tries;
	char *auth_methods; /* lists separated by spaces; "" none */
	char *pubkey_algs; /* "" for the default */
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
	/*
	 * keyboard-interactive: run the conversation, asking the client
	 * through monitor_kbdint_query(); 0 when the user passed.  valid as
	 * for auth_password.
	 */
	int (*kbdint)(void *ctx, const struct monitor_pw *pw, bool valid,
	    struct monitor_kbdint *q);
};

/*
 * Operations of the post-authentication requests and of LOG_USER/GETPW
 * policy, set with monitor_set_session_callbacks().  Same conventions as
 * struct monitor_callbacks.
 */
struct monitor_session_callbacks {
	/*
	 * After GETPW fixed the user (log "Invalid user", policy checks).
	 * Returning false makes a valid user count as invalid (not allowed
	 * by AllowUsers and the like): it can never authenticate.
	 */
	bool (*user_known)(void *ctx, const struct monitor_pw *pw, bool valid);
	/*
	 * Start a session process as the user: *fd gets the pty master or
	 * the stdin/stdout socket (given away), *id an identifier for
	 * session_fd/session_signal.
	 */
	int (*session_exec)(void *ctx, const struct monitor_pw *pw,
	    const struct monitor_exec *ex, int *fd, uint32_t *id);
	int (*session_fd)(void *ctx, uint32_t id, uint32_t which, int *fd);
	int (*session_signal)(void *ctx, uint32_t id, const char *sig);
	/*
	 * Whether the methods that succeeded so far (comma list in order,
	 * "publickey", "password", "keyboard-interactive") complete the
	 * authentication (AuthenticationMethods).  NULL: every success does.
	 */
	bool (*auth_complete)(void *ctx, const char *done);
	/*
	 * The user's authentication policy for the GETPW answer (after
	 * user_known); fill the fields with heap strings, present is set by
	 * the monitor.  NULL: GETPW answers without a policy.
	 */
	int (*user_policy)(void *ctx, struct monitor_auth_policy *out);
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
/* Optional post-authentication operations (borrowed). */
void monitor_set_session_callbacks(
    struct monitor *m, const struct monitor_session_callbacks *cb, void *ctx);
/*
 * Monotonic time (qssh_monotime_ms()) after which a keyboard-interactive
 * conversation stops waiting for answers (LoginGraceTime); 0: none.
 */
void monitor_set_deadline(struct monitor *m, uint64_t deadline_ms);
/*
 * Inside the kbdint callback: send a round of n prompts (n may be 0 for
 * information only) and wait for the answers.  *answers gets n heap strings
 * (free with monitor_kbdint_answers_free()).  QSSH_ERR_ACCESS when the
 * client gave up, QSSH_ERR_TIMEOUT at the deadline, other errors when the
 * child misbehaved (the connection is then killed).
 */
int monitor_kbdint_query(struct monitor_kbdint *q, const char *name,
    const char *instruction, uint32_t n, const char *const *prompts,
    const bool *echo, char ***answers);
/* Wipes and frees n answers; NULL is a no-op. */
void monitor_kbdint_answers_free(char **answers, uint32_t n);
/* The monitor's descriptor (for poll), -1 once closed. */
int monitor_get_fd(const struct monitor *m);
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
/* The same, with the policy if the answer carries one (else !present). */
int monitor_req_getpw_policy(int fd, const char *user, struct monitor_pw **out,
    struct monitor_auth_policy *policy);
void monitor_auth_policy_cleanup(struct monitor_auth_policy *p);
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
int monitor_req_log_user(int fd, enum qssh_log_level level,
    enum monitor_log_user_style style, const char *before, const char *after);
/* *fd (and *id) on success; QSSH_ERR_ACCESS when the monitor refused. */
int monitor_req_session_exec(
    int fd, const struct monitor_exec *ex, int *session_fd, uint32_t *id);
int monitor_req_session_fd(int fd, uint32_t id, uint32_t which, int *out_fd);
int monitor_req_session_signal(int fd, uint32_t id, const char *sig);
/*
 * keyboard-interactive: start (start true) or answer a round (n answers,
 * or cancel).  *status is a MONITOR_KBDINT_* value; for PROMPT, info gets
 * the INFO_REQUEST payload.
 */
int monitor_req_kbdint(int fd, bool start, bool cancel, uint32_t n,
    char *const *answers, uint32_t *status, struct qssh_buf *info);
void monitor_exec_cleanup(struct monitor_exec *ex);
/* A qssh_log hook forwarding lines; ctx is the fd cast with (intptr_t). */
void monitor_log_hook(enum qssh_log_level level, const char *line, void *ctx);

void monitor_pw_free(struct monitor_pw *pw); /* NULL is a no-op */

#endif
