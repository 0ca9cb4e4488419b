/* SPDX-License-Identifier: BSD-2-Clause */
/* qssh: user authentication with the options of ssh_config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/auth_client.h"
#include "control/kex.h"
#include "dataplane/transport.h"
#include "qssh.h"

static char *
cb_prompt(void *ctx, const char *prompt, bool echo)
{
	(void)ctx;
	return qssh_read_passphrase(prompt, echo);
}

static void
cb_message(void *ctx, const char *text)
{
	size_t len = strlen(text);

	(void)ctx;
	if (qssh_opts.log_level < QSSH_LOG_INFO || len == 0)
		return;
	fputs(text, stderr);
	if (text[len - 1] != '\n')
		fputc('\n', stderr);
	fflush(stderr);
}

static char *
agent_path(void)
{
	const char *a = qssh_opts.identity_agent;
	const char *v;

	if (a == NULL)
		return NULL;
	if (a[0] == '$') {
		if ((v = getenv(a + 1)) == NULL || *v == '\0')
			return strdup("none");
		return strdup(v);
	}
	return strdup(a);
}

int
qssh_userauth(struct qssh_conn *cn)
{
	struct auth_client_config cfg;
	struct auth_client_callbacks cb = { cb_prompt, cb_message };
	struct auth_client *a = NULL;
	struct qssh_view pl;
	char *files[READCONF_MAX_IDENTITY], *t, *agent = NULL;
	int user[READCONF_MAX_IDENTITY];
	unsigned i, nfiles = 0;
	uint8_t type;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < qssh_opts.num_identity_files; i++) {
		t = readconf_expand_tokens(&qssh_opts, &qssh_rctx,
		    "identityfile", qssh_opts.identity_files[i]);
		if (t == NULL)
			continue;
		files[nfiles] = readconf_tilde_expand(&qssh_rctx, t);
		free(t);
		user[nfiles] = qssh_opts.identity_file_userprovided[i];
		if (files[nfiles] != NULL)
			nfiles++;
	}
	agent = agent_path();
	cfg.user = qssh_opts.user;
	cfg.host = cn->host;
	cfg.preferred = qssh_opts.preferred_authentications;
	cfg.pubkey = qssh_opts.pubkey_authentication != 0;
	cfg.password = qssh_opts.password_authentication != 0;
	cfg.kbdint = qssh_opts.kbd_interactive_authentication != 0;
	cfg.password_prompts = qssh_opts.number_of_password_prompts > 0
	    ? (unsigned)qssh_opts.number_of_password_prompts
	    : 3;
	cfg.identity_files = (const char *const *)files;
	cfg.identity_userprovided = user;
	cfg.num_identity_files = nfiles;
	cfg.identities_only = qssh_opts.identities_only == 1;
	cfg.identity_agent = agent;
	cfg.pubkey_algs = qssh_opts.pubkey_accepted_algorithms;
	cfg.batch_mode = qssh_opts.batch_mode == 1;
	if (qssh_opts.number_of_password_prompts == 0) {
		cfg.password = false;
		cfg.kbdint = false;
	}
	a = auth_client_new(cn->t, cn->tctl, cn->kex, &cfg, &cb, NULL, &r);
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(agent);
	if (a == NULL)
		return r;
	if ((r = auth_client_start(a)) != 0)
		goto out;
	while (!auth_client_done(a)) {
		if ((r = qssh_conn_next(cn, &type, &pl)) != 0)
			goto out;
		if (type == SSH_MSG_GLOBAL_REQUEST ||
		    (type >= SSH_MSG_CHANNEL_OPEN &&
			type <= SSH_MSG_CHANNEL_FAILURE)) {
			r = QSSH_ERR_UNEXPECTED_MESSAGE;
			goto out;
		}
		r = auth_client_handle_packet(a, type, pl);
		if (r == QSSH_ERR_ACCESS) {
			qlog_error("%s@%s: Permission denied (%s).",
			    qssh_opts.user, cn->host,
			    auth_client_server_methods(a));
			tport_send_disconnect(cn->t,
			    SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE,
			    "No more authentication methods available");
			qssh_conn_drain(cn, 1000);
			goto out;
		}
		if (r != 0)
			goto out;
	}
	tport_auth_done(cn->t);
	qlog_verbose("Authenticated to %s ([%s]:%d) using \"%s\".", cn->host,
	    cn->peer_addr, cn->peer_port, auth_client_method(a));
	r = 0;
out:
	auth_client_free(a);
	return r;
}
