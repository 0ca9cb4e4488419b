/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The server side of SSH user authentication (RFC 4252) as a core that does
 * no I/O and holds no privileges: it parses SSH_MSG_USERAUTH_REQUEST,
 * enforces the protocol rules (one user and service per connection, the
 * methods offered, MaxAuthTries, accepted public key algorithms, the
 * publickey query and signature steps of RFC 4252 section 7 and OpenSSH's
 * publickey-hostbound-v00@openssh.com) and answers with USERAUTH_FAILURE,
 * USERAUTH_PK_OK or USERAUTH_SUCCESS through the send operation.  Every
 * decision that needs privileges (who the user is, passwords, authorized
 * keys, signatures) is asked through the operations, normally stubs of the
 * privilege separation monitor, which also fixes the user's validity: this
 * core never learns whether the user exists.
 *
 * keyboard-interactive (RFC 4256) is relayed: the kbdint operation returns
 * each round of prompts as a ready INFO_REQUEST payload (the monitor runs
 * the PAM conversation) and takes the client's INFO_RESPONSE answers.
 *
 * AuthenticationMethods: with lists configured, a success that completes
 * no list is a partial success (USERAUTH_FAILURE with partial success
 * true, listing the methods that may come next); only the methods that can
 * continue a list are offered and accepted.
 *
 * Log lines (OpenSSH's wording): "Postponed publickey for U from A port P
 * ssh2" (verbose), "Accepted publickey for U from A port P ssh2: TYPE FP",
 * "Accepted password for U from A port P ssh2" and "Accepted
 * keyboard-interactive/pam for U ..." (info, after success), "Partial
 * publickey for U from A port P ssh2: TYPE FP" (partial success),
 * "maximum authentication attempts exceeded for [invalid user ]U from A
 * port P ssh2" (error).  Lines naming a user whose validity matters go
 * through the log_user operation.
 */
#ifndef QSSH_CONTROL_AUTH_SERVER_H
#define QSSH_CONTROL_AUTH_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/log.h"

#define SSH_MSG_USERAUTH_PK_OK 60
#define SSH_MSG_USERAUTH_PASSWD_CHANGEREQ 60
#define SSH_MSG_USERAUTH_INFO_REQUEST 60
#define SSH_MSG_USERAUTH_INFO_RESPONSE 61

/* OpenSSH's default MaxAuthTries. */
#define AUTH_SERVER_MAX_TRIES_DEFAULT 6

/* auth_server_handle() finished: USERAUTH_SUCCESS was sent. */
#define AUTH_SERVER_DONE 1

/* Status of a keyboard-interactive round (see MONITOR_KBDINT_*). */
enum auth_kbdint_status {
	AUTH_KBDINT_PROMPT = 0,
	AUTH_KBDINT_SUCCESS = 1,
	AUTH_KBDINT_FAILURE = 2,
};

/* How log_user inserts the user (see MONITOR_LOG_USER_*). */
enum auth_server_user_style {
	AUTH_USER_AUTHENTICATING = 0, /* "authenticating user U" */
	AUTH_USER_PLAIN = 1, /* "U" or "invalid user U" */
};

struct auth_server_ops {
	/* Send one message (type and payload); a negative return is fatal. */
	int (*send)(
	    void *ctx, uint8_t type, const uint8_t *payload, size_t len);
	/* The first request names the user; called once. */
	int (*set_user)(void *ctx, const char *user);
	/* Check a password; *ok false for a wrong one (or invalid user). */
	int (*password)(void *ctx, const char *password, bool *ok);
	/* Whether the key (blob) may log in. */
	int (*key_allowed)(
	    void *ctx, const uint8_t *blob, size_t len, bool *ok);
	/* Verify sig over data with an allowed key. */
	int (*key_verify)(void *ctx, const uint8_t *blob, size_t bloblen,
	    const uint8_t *sig, size_t siglen, const uint8_t *data,
	    size_t datalen, bool *ok);
	/* before + user (styled) + after, at level; may be NULL. */
	void (*log_user)(void *ctx, enum qssh_log_level level,
	    enum auth_server_user_style style, const char *before,
	    const char *after);
	/*
	 * keyboard-interactive: start (start true, no answers) or answer a
	 * round (n answers; cancel when the client abandoned the method).
	 * *status is an enum auth_kbdint_status; for AUTH_KBDINT_PROMPT,
	 * info gets the INFO_REQUEST payload to send.  May be NULL.
	 */
	int (*kbdint)(void *ctx, bool start, bool cancel, uint32_t n,
	    char *const *answers, uint32_t *status, struct qssh_buf *info);
};

struct auth_server_config {
	bool pubkey; /* PubkeyAuthentication */
	bool password; /* PasswordAuthentication */
	bool kbdint; /* KbdInteractiveAuthentication */
	unsigned max_tries; /* MaxAuthTries; 0: the default */
	/* Accepted signature algorithms (comma list); NULL: any known. */
	const char *pubkey_algs;
	/* Peer for log lines. */
	const char *addr;
	int port;
	/* session identifier (first exchange hash); borrowed. */
	const uint8_t *session_id;
	size_t session_id_len;
	/* Our host key blobs, for publickey-hostbound-v00; borrowed. */
	const struct qssh_buf *const *host_key_blobs;
	size_t num_host_keys;
	/*
	 * Every failed attempt takes at least this long (milliseconds from
	 * the request's arrival), so that the answer time does not tell a
	 * valid user from an invalid one.  0: none.
	 */
	uint32_t failure_delay_ms;
	/*
	 * AuthenticationMethods: lists like "publickey,password" (borrowed);
	 * none, or one list "any": a single method suffices.
	 */
	char *const *auth_methods;
	size_t num_auth_methods;
};

struct auth_server;

struct auth_server *auth_server_new(const struct auth_server_config *cfg,
    const struct auth_server_ops *ops, void *ctx);
void auth_server_free(struct auth_server *a); /* NULL is a no-op */

/*
 * One SSH_MSG_USERAUTH_REQUEST payload (after the type byte).  0: answered,
 * more requests expected; AUTH_SERVER_DONE: authenticated; negative errors
 * are fatal: QSSH_ERR_ACCESS when MaxAuthTries was exceeded (the caller
 * disconnects with SSH_DISCONNECT_PROTOCOL_ERROR and "Too many
 * authentication failures", already logged), QSSH_ERR_PROTOCOL for a
 * change of user or service, parse errors.
 */
int auth_server_handle(struct auth_server *a, struct qssh_view payload);

/*
 * Replace the method settings (pubkey, password, kbdint, max_tries,
 * pubkey_algs, auth_methods) with those of cfg, e.g. from set_user once the
 * user's Match blocks are known.  0 or QSSH_ERR_ALLOC.
 */
int auth_server_update_config(
    struct auth_server *a, const struct auth_server_config *cfg);

/*
 * One SSH_MSG_USERAUTH_INFO_RESPONSE payload; returns as
 * auth_server_handle().  QSSH_ERR_UNEXPECTED_MESSAGE when no
 * keyboard-interactive round is pending, QSSH_ERR_PROTOCOL for a wrong
 * number of answers.
 */
int auth_server_handle_info_response(
    struct auth_server *a, struct qssh_view payload);

/*
 * AuthenticationMethods.  done is the comma list, in order, of the methods
 * that succeeded so far ("publickey,password"); methods in the lists may
 * carry a submethod ("keyboard-interactive:pam"), which is ignored.
 * complete: done is one of the lists (always with no lists or "any").
 * next: the comma list of methods that can follow done (bounded by
 * outlen; "" when none can).
 */
bool
auth_methods_complete(char *const *lists, size_t num_lists, const char *done);
void auth_methods_next(char *const *lists, size_t num_lists, const char *done,
    char *out, size_t outlen);

/* The user named by the requests (NULL before the first). */
const char *auth_server_user(const struct auth_server *a);
/* Failed attempts counted so far. */
unsigned auth_server_failures(const struct auth_server *a);
/* The method that succeeded ("publickey", "password"), or NULL. */
const char *auth_server_method(const struct auth_server *a);
/* Name-list of methods that may continue ("publickey,password"). */
const char *auth_server_methods(const struct auth_server *a);

#endif
