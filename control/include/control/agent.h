/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Client side of the SSH agent protocol (draft-miller-ssh-agent and
 * OpenSSH's PROTOCOL.agent): list, sign with, add and remove keys held by an
 * agent at $SSH_AUTH_SOCK, lock and unlock it, and send extension requests
 * (session-bind@openssh.com, query).
 *
 * Every message on the socket is a uint32 length followed by that many
 * bytes (first byte the message type); replies larger than AGENT_MSG_MAX are
 * refused.  Replies map to return codes as follows:
 *   SSH_AGENT_SUCCESS / the expected answer   0
 *   SSH_AGENT_FAILURE                         AGENT_ERR_REFUSED
 *   SSH_AGENT_EXTENSION_FAILURE               AGENT_ERR_EXTENSION
 *   any other message type                    QSSH_ERR_UNEXPECTED_MESSAGE
 *   a truncated body                          QSSH_ERR_MESSAGE_INCOMPLETE
 *   trailing bytes, an empty message          QSSH_ERR_INVALID_FORMAT
 *   a length above AGENT_MSG_MAX              QSSH_ERR_PACKET_TOO_LARGE
 *   the agent closed the connection           QSSH_ERR_CONN_CLOSED
 *   no reply within the timeout               QSSH_ERR_TIMEOUT
 * After an I/O, framing or timeout error the connection is out of step with
 * the agent and every later request fails with QSSH_ERR_CONN_CORRUPT.
 */
#ifndef QSSH_CONTROL_AGENT_H
#define QSSH_CONTROL_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "control/key.h"

/* Largest message accepted from an agent (the limit OpenSSH uses). */
#define AGENT_MSG_MAX (256 * 1024)

/* Message numbers. */
#define AGENT_MSG_FAILURE 5
#define AGENT_MSG_SUCCESS 6
#define AGENTC_REQUEST_IDENTITIES 11
#define AGENT_IDENTITIES_ANSWER 12
#define AGENTC_SIGN_REQUEST 13
#define AGENT_SIGN_RESPONSE 14
#define AGENTC_ADD_IDENTITY 17
#define AGENTC_REMOVE_IDENTITY 18
#define AGENTC_REMOVE_ALL_IDENTITIES 19
#define AGENTC_LOCK 22
#define AGENTC_UNLOCK 23
#define AGENTC_ADD_ID_CONSTRAINED 25
#define AGENTC_EXTENSION 27
#define AGENT_EXTENSION_FAILURE 28
#define AGENT_EXTENSION_RESPONSE 29

/* Key constraints of ADD_ID_CONSTRAINED. */
#define AGENT_CONSTRAIN_LIFETIME 1
#define AGENT_CONSTRAIN_CONFIRM 2

/* SIGN_REQUEST flags. */
#define AGENT_SIGN_RSA_SHA2_256 0x02
#define AGENT_SIGN_RSA_SHA2_512 0x04

/* The agent answered SSH_AGENT_FAILURE. */
#define AGENT_ERR_REFUSED QSSH_ERR_ACCESS
/*
 * The agent answered SSH_AGENT_EXTENSION_FAILURE, or answered an extension
 * "query" with SSH_AGENT_FAILURE (it knows no extensions).
 */
#define AGENT_ERR_EXTENSION QSSH_ERR_NOT_SUPPORTED

/* No timeout: wait for the agent as long as it takes (confirm prompts). */
#define AGENT_TIMEOUT_NONE (-1)

struct agent_conn;

struct agent_identity {
	struct key *key; /* public key */
	uint8_t *blob; /* the key blob as the agent sent it */
	size_t blob_len;
	char *comment;
};

struct agent_identities {
	struct agent_identity *ids;
	size_t num_ids;
	/* Entries whose key type is not supported here (left out of ids). */
	size_t num_skipped;
};

struct agent_constraints {
	uint32_t lifetime_s; /* 0 = no lifetime constraint */
	bool confirm;
};

/*
 * Connect to the agent socket at path, or $SSH_AUTH_SOCK if path is NULL.
 * QSSH_ERR_NOT_FOUND if $SSH_AUTH_SOCK is unset or the socket does not
 * exist, QSSH_ERR_PATH_TOO_LONG, QSSH_ERR_ACCESS, QSSH_ERR_CONN_CLOSED when
 * nobody listens, QSSH_ERR_SYSTEM otherwise.
 */
int agent_connect(const char *path, struct agent_conn **out);
/* Wrap a connected stream socket; the connection owns fd from now on. */
int agent_conn_from_fd(int fd, struct agent_conn **out);
/* Closes the socket; NULL is a no-op. */
void agent_close(struct agent_conn *c);
int agent_get_fd(const struct agent_conn *c);
/*
 * Time limit for each request (sending it and reading the whole reply), in
 * milliseconds; AGENT_TIMEOUT_NONE (the default) waits forever.
 */
void agent_set_timeout(struct agent_conn *c, int timeout_ms);

/* REQUEST_IDENTITIES.  Keys of unknown types are skipped and counted. */
int agent_list_identities(struct agent_conn *c, struct agent_identities **out);
void agent_identities_free(struct agent_identities *ids);

/*
 * SIGN_REQUEST.  flags: AGENT_SIGN_RSA_SHA2_* (RSA keys only).  Appends the
 * signature blob (string alg, string sig) to sig.  For RSA the reply's
 * algorithm must be the one the flags asked for (rsa-sha2-512 when both
 * are set, ssh-rsa when none), else QSSH_ERR_SIGNATURE_INVALID.
 */
int agent_sign(struct agent_conn *c, const struct key *key, const uint8_t *data,
    size_t len, uint32_t flags, struct qssh_buf *sig);
/* Same with a raw key blob (keys of types this library does not parse). */
int agent_sign_blob(struct agent_conn *c, const uint8_t *blob, size_t blob_len,
    const uint8_t *data, size_t len, uint32_t flags, struct qssh_buf *sig);

/*
 * ADD_IDENTITY, or ADD_ID_CONSTRAINED when cons is not NULL and asks for
 * something.  key must hold the private half.  comment may be NULL.
 */
int agent_add_identity(struct agent_conn *c, const struct key *key,
    const char *comment, const struct agent_constraints *cons);
int agent_remove_identity(struct agent_conn *c, const struct key *key);
int agent_remove_identity_blob(
    struct agent_conn *c, const uint8_t *blob, size_t blob_len);
int agent_remove_all_identities(struct agent_conn *c);
int agent_lock(struct agent_conn *c, const char *password);
int agent_unlock(struct agent_conn *c, const char *password);

/*
 * session-bind@openssh.com: hostkey is the server's host key, sid the
 * session identifier (exchange hash of the first kex) and sig the host
 * key's signature of sid as the server sent it.
 */
int agent_session_bind(struct agent_conn *c, const struct key *hostkey,
    const uint8_t *sid, size_t sid_len, const uint8_t *sig, size_t sig_len,
    bool is_forwarding);
/*
 * Extension "query": the names of the extensions the agent supports
 * (*names is a NULL-terminated heap array; free with agent_names_free()).
 * AGENT_ERR_EXTENSION when the agent does not implement "query".
 */
int agent_query_extensions(struct agent_conn *c, char ***names, size_t *num);
void agent_names_free(char **names);
/*
 * Any extension request: body follows the name.  SUCCESS gives an empty
 * reply; EXTENSION_RESPONSE (or a SUCCESS with contents) appends the bytes
 * after the message type to reply (if not NULL).
 */
int agent_extension(struct agent_conn *c, const char *name, const uint8_t *body,
    size_t body_len, struct qssh_buf *reply);

/*
 * Reply parsers, without I/O: msg is one whole message (type byte first,
 * no length header).
 */
int agent_parse_status(const uint8_t *msg, size_t len);
int agent_parse_identities(
    const uint8_t *msg, size_t len, struct agent_identities **out);
int
agent_parse_sign_response(const uint8_t *msg, size_t len, struct qssh_buf *sig);
int
agent_parse_query(const uint8_t *msg, size_t len, char ***names, size_t *num);
int agent_parse_extension_reply(
    const uint8_t *msg, size_t len, struct qssh_buf *reply);

#endif
