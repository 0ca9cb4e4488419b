/* SPDX-License-Identifier: BSD-2-Clause */
/* Private state of the userauth client (auth_client*.c). */
#ifndef QSSH_CONTROL_AUTH_CLIENT_INT_H
#define QSSH_CONTROL_AUTH_CLIENT_INT_H

#include "control/agent.h"
#include "control/auth_client.h"
#include "control/key.h"

enum auth_method {
	AUTH_M_NONE = 0,
	AUTH_M_PUBKEY,
	AUTH_M_KBDINT,
	AUTH_M_PASSWORD,
	AUTH_M_MAX,
};

/* One identity to offer. */
struct auth_ident {
	char *path; /* key file, NULL for a key only in the agent */
	char *comment; /* agent comment */
	struct key *pub;
	struct key *priv; /* loaded when needed */
	bool agent; /* the agent holds the private key */
	bool userprovided;
};

struct auth_client {
	struct tport *t;
	struct tctl *tctl;
	struct kex *kex;
	struct auth_client_callbacks cb;
	void *cb_ctx;
	struct auth_client_config cfg; /* strings below, not these */
	char *user, *host, *preferred, *server_methods;
	char *agent_path, *pubkey_algs, *kbdint_devices;
	char **files;
	int *files_user;
	size_t num_files;
	unsigned password_prompts;

	bool service_accepted;
	bool success;
	enum auth_method current;
	bool exhausted[AUTH_M_MAX];
	unsigned password_attempts;
	unsigned kbdint_attempts;

	/* publickey */
	bool idents_ready;
	struct auth_ident *idents;
	size_t num_idents;
	size_t next_ident; /* next one to offer */
	struct auth_ident *offered; /* waiting for PK_OK or the verdict */
	char *offered_alg;
	struct agent_conn *agent;
};

const char *auth_client_method_name(enum auth_method m);
int auth_client_request_head(
    struct auth_client *a, struct qssh_buf *b, const char *method);
char *auth_client_sanitise(const uint8_t *p, size_t len);

int auth_client_try_next(struct auth_client *a);
int auth_client_pubkey_next(struct auth_client *a, bool *sent);
int auth_client_pubkey_ok(struct auth_client *a, struct qssh_view pl);
void auth_client_pubkey_failed(struct auth_client *a);
void auth_client_idents_free(struct auth_client *a);

#endif
