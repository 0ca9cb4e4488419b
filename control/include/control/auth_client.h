/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Client side of SSH user authentication (RFC 4252, RFC 4256, OpenSSH's
 * PROTOCOL): "none" first, then the methods of PreferredAuthentications in
 * order, among those the server says can continue.
 *
 * The core does no network I/O of its own: it queues messages on the
 * transport and takes the server's replies through
 * auth_client_handle_packet().  It talks to an agent (blocking, through
 * control/agent.h) and reads key files.  Everything that involves the user
 * (passphrases, passwords, keyboard-interactive answers, the banner) goes
 * through callbacks supplied by the program.
 *
 * Log lines are OpenSSH's: "Authentications that can continue: ...",
 * "Next authentication method: ...", "Offering public key: ...", "Server
 * accepts key: ...", "Authentication succeeded (...)." at debug1, and the
 * key file warnings ("Load key \"PATH\": bad permissions" with the
 * UNPROTECTED PRIVATE KEY FILE block) at error.
 */
#ifndef QSSH_CONTROL_AUTH_CLIENT_H
#define QSSH_CONTROL_AUTH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct tport;
struct tctl;
struct kex;
struct key;

/* Message numbers of RFC 4252 / 4256 that share the method range. */
enum {
	SSH_MSG_USERAUTH_PK_OK = 60,
	SSH_MSG_USERAUTH_PASSWD_CHANGEREQ = 60,
	SSH_MSG_USERAUTH_INFO_REQUEST = 60,
	SSH_MSG_USERAUTH_INFO_RESPONSE = 61,
};

/* Default of PreferredAuthentications in OpenSSH 9.2 (without GSSAPI and
 * hostbased, which are not implemented here). */
#define AUTH_CLIENT_DEFAULT_METHODS "publickey,keyboard-interactive,password"

struct auth_client_callbacks {
	/*
	 * Ask the user.  echo: whether the answer may be shown.  Returns a
	 * heap string (freed with qssh_wipe_free_str) or NULL when the user
	 * cancelled or there is no way to ask.
	 */
	char *(*prompt)(void *ctx, const char *prompt, bool echo);
	/*
	 * Text for the user that is not a question: the USERAUTH_BANNER and
	 * the name/instruction of keyboard-interactive.  Already stripped of
	 * control characters.
	 */
	void (*message)(void *ctx, const char *text);
};

struct auth_client_config {
	const char *user; /* remote user */
	const char *host; /* for prompts and messages: "user@host's ..." */
	/* Comma list; NULL = AUTH_CLIENT_DEFAULT_METHODS. */
	const char *preferred;
	bool pubkey, password, kbdint; /* *Authentication yes/no */
	unsigned password_prompts; /* NumberOfPasswordPrompts, 0 = 3 */
	/* IdentityFile paths (expanded), and which were given by the user. */
	const char *const *identity_files;
	const int *identity_userprovided; /* may be NULL */
	size_t num_identity_files;
	bool identities_only;
	/*
	 * Agent socket: NULL = $SSH_AUTH_SOCK, "none" = no agent,
	 * "SSH_AUTH_SOCK" = that variable.
	 */
	const char *identity_agent;
	/* PubkeyAcceptedAlgorithms, resolved; NULL = everything. */
	const char *pubkey_algs;
	/* KbdInteractiveDevices; NULL = "". */
	const char *kbdint_devices;
	/*
	 * BatchMode: never prompt (the prompt callback is not called for
	 * passphrases and passwords).
	 */
	bool batch_mode;
};

struct auth_client;

/*
 * A userauth client on t, with c's EXT_INFO and kex's session identifier.
 * All three are borrowed.  cfg's strings are copied.
 */
struct auth_client *auth_client_new(struct tport *t, struct tctl *c,
    struct kex *kex, const struct auth_client_config *cfg,
    const struct auth_client_callbacks *cb, void *cb_ctx, int *err);
void auth_client_free(struct auth_client *a); /* wipes; NULL is a no-op */

/* Queue SERVICE_REQUEST "ssh-userauth". */
int auth_client_start(struct auth_client *a);
/*
 * One packet from tctl_next_packet(): SERVICE_ACCEPT or 50..79.  Returns 0
 * (keep going; see auth_client_done()), QSSH_ERR_UNEXPECTED_MESSAGE for
 * other types, or QSSH_ERR_ACCESS when every method has been tried (the
 * program prints auth_client_denied_message()).
 */
int auth_client_handle_packet(
    struct auth_client *a, uint8_t type, struct qssh_view payload);
/* USERAUTH_SUCCESS was received. */
bool auth_client_done(const struct auth_client *a);
/* The method that succeeded ("publickey", ...), or NULL. */
const char *auth_client_method(const struct auth_client *a);
/*
 * The methods the server last listed as able to continue, for
 * "USER@HOST: Permission denied (LIST)."; "" before the first failure.
 */
const char *auth_client_server_methods(const struct auth_client *a);

/*
 * The UNPROTECTED PRIVATE KEY FILE block for a key file with the given
 * mode (several lines with '\n', heap string).
 */
int auth_client_text_bad_perms(const char *path, unsigned mode, char **out);

/*
 * Public key stored in the clear inside an openssh-key-v1 private key
 * file (also for encrypted ones); QSSH_ERR_INVALID_FORMAT for other
 * formats.
 */
int
auth_client_private_pubkey(const uint8_t *data, size_t len, struct key **out);

#endif
