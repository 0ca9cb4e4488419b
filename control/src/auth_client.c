/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Client user authentication (RFC 4252, RFC 4256): the method state
 * machine.  Identity handling lives in auth_client_keys.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_client_int.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/kex.h"
#include "dataplane/transport.h"

static const char *const method_names[AUTH_M_MAX] = {
	[AUTH_M_NONE] = "none",
	[AUTH_M_PUBKEY] = "publickey",
	[AUTH_M_KBDINT] = "keyboard-interactive",
	[AUTH_M_PASSWORD] = "password",
};

const char *
auth_client_method_name(enum auth_method m)
{
	return m < AUTH_M_MAX ? method_names[m] : "unknown";
}

struct auth_client *
auth_client_new(struct tport *t, struct tctl *c, struct kex *kex,
    const struct auth_client_config *cfg,
    const struct auth_client_callbacks *cb, void *cb_ctx, int *err)
{
	struct auth_client *a = NULL;
	size_t i;
	int r = QSSH_ERR_ALLOC;

	if (cfg == NULL || cfg->user == NULL || cfg->host == NULL ||
	    cb == NULL) {
		r = QSSH_ERR_INVALID_ARGUMENT;
		goto fail;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		goto fail;
	a->t = t;
	a->tctl = c;
	a->kex = kex;
	a->cb = *cb;
	a->cb_ctx = cb_ctx;
	a->cfg = *cfg;
	a->cfg.identity_files = NULL;
	a->cfg.identity_userprovided = NULL;
	a->cfg.num_identity_files = 0;
	if ((a->user = strdup(cfg->user)) == NULL ||
	    (a->host = strdup(cfg->host)) == NULL ||
	    (a->preferred = strdup(cfg->preferred != NULL
		     ? cfg->preferred
		     : AUTH_CLIENT_DEFAULT_METHODS)) == NULL ||
	    (a->server_methods = strdup("")) == NULL)
		goto fail;
	if (cfg->identity_agent != NULL &&
	    (a->agent_path = strdup(cfg->identity_agent)) == NULL)
		goto fail;
	if (cfg->pubkey_algs != NULL &&
	    (a->pubkey_algs = strdup(cfg->pubkey_algs)) == NULL)
		goto fail;
	if ((a->kbdint_devices = strdup(
		 cfg->kbdint_devices != NULL ? cfg->kbdint_devices : "")) ==
	    NULL)
		goto fail;
	if (cfg->num_identity_files > 0) {
		a->files = calloc(cfg->num_identity_files, sizeof(*a->files));
		a->files_user = calloc(cfg->num_identity_files, sizeof(int));
		if (a->files == NULL || a->files_user == NULL)
			goto fail;
		for (i = 0; i < cfg->num_identity_files; i++) {
			if ((a->files[i] = strdup(cfg->identity_files[i])) ==
			    NULL)
				goto fail;
			a->num_files++;
			a->files_user[i] = cfg->identity_userprovided != NULL
			    ? cfg->identity_userprovided[i]
			    : 0;
		}
	}
	a->password_prompts =
	    cfg->password_prompts != 0 ? cfg->password_prompts : 3;
	a->current = AUTH_M_NONE;
	*err = 0;
	return a;
fail:
	auth_client_free(a);
	*err = r;
	return NULL;
}

void
auth_client_free(struct auth_client *a)
{
	size_t i;

	if (a == NULL)
		return;
	auth_client_idents_free(a);
	for (i = 0; i < a->num_files; i++)
		free(a->files[i]);
	free(a->files);
	free(a->files_user);
	free(a->user);
	free(a->host);
	free(a->preferred);
	free(a->server_methods);
	free(a->agent_path);
	free(a->pubkey_algs);
	free(a->kbdint_devices);
	qssh_wipe_free(a, sizeof(*a));
}

bool
auth_client_done(const struct auth_client *a)
{
	return a->success;
}

const char *
auth_client_method(const struct auth_client *a)
{
	return a->success ? auth_client_method_name(a->current) : NULL;
}

const char *
auth_client_server_methods(const struct auth_client *a)
{
	return a->server_methods;
}

int
auth_client_start(struct auth_client *a)
{
	int r;

	if ((r = tctl_send_service_request(a->tctl, "ssh-userauth")) != 0)
		return r;
	qlog_debug("SSH2_MSG_SERVICE_REQUEST sent");
	return 0;
}

/* USERAUTH_REQUEST header: user, service, method. */
int
auth_client_request_head(
    struct auth_client *a, struct qssh_buf *b, const char *method)
{
	int r;

	if ((r = qssh_buf_put_cstring(b, a->user)) != 0 ||
	    (r = qssh_buf_put_cstring(b, "ssh-connection")) != 0 ||
	    (r = qssh_buf_put_cstring(b, method)) != 0)
		return r;
	return 0;
}

static int
send_none(struct auth_client *a)
{
	struct qssh_buf *b;
	int r;

	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = auth_client_request_head(a, b, "none")) == 0)
		r = tport_send_buf(a->t, SSH_MSG_USERAUTH_REQUEST, b);
	qssh_buf_free(b);
	return r;
}

/* ---- password (RFC 4252 8) ---- */

static int
password_next(struct auth_client *a, bool *sent)
{
	struct qssh_buf *b = NULL;
	char prompt[512];
	char *pw = NULL;
	int r;

	*sent = false;
	if (a->password_attempts >= a->password_prompts || a->cfg.batch_mode)
		return 0;
	if (a->password_attempts > 0)
		qlog_error("Permission denied, please try again.");
	snprintf(prompt, sizeof(prompt), "%.100s@%.100s's password: ", a->user,
	    a->host);
	a->password_attempts++;
	if ((pw = a->cb.prompt(a->cb_ctx, prompt, false)) == NULL)
		return 0;
	if ((b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = auth_client_request_head(a, b, "password")) != 0 ||
	    (r = qssh_buf_put_bool(b, false)) != 0 ||
	    (r = qssh_buf_put_cstring(b, pw)) != 0 ||
	    (r = tport_send_buf(a->t, SSH_MSG_USERAUTH_REQUEST, b)) != 0)
		goto out;
	*sent = true;
	r = 0;
out:
	qssh_wipe_free_str(pw);
	qssh_buf_free(b);
	return r;
}

/* ---- keyboard-interactive (RFC 4256) ---- */

static int
kbdint_next(struct auth_client *a, bool *sent)
{
	struct qssh_buf *b;
	int r;

	*sent = false;
	if (a->kbdint_attempts >= a->password_prompts || a->cfg.batch_mode)
		return 0;
	a->kbdint_attempts++;
	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = auth_client_request_head(a, b, "keyboard-interactive")) == 0 &&
	    (r = qssh_buf_put_cstring(b, "")) == 0 &&
	    (r = qssh_buf_put_cstring(b, a->kbdint_devices)) == 0 &&
	    (r = tport_send_buf(a->t, SSH_MSG_USERAUTH_REQUEST, b)) == 0)
		*sent = true;
	qssh_buf_free(b);
	return r;
}

/* Printable text for the user: control characters other than newline and
 * tab are dropped. */
char *
auth_client_sanitise(const uint8_t *p, size_t len)
{
	char *s;
	size_t i, j = 0;

	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (p[i] == '\n' || p[i] == '\t' || p[i] >= 0x20) {
			if (p[i] != 0x7f)
				s[j++] = (char)p[i];
		}
	}
	s[j] = '\0';
	return s;
}

static int
kbdint_info_request(struct auth_client *a, struct qssh_view pl)
{
	struct qssh_view name, instr, lang, pr;
	struct qssh_buf *b = NULL;
	char *text = NULL, *ptext = NULL, *ans = NULL;
	uint32_t n, i;
	bool echo;
	int r;

	if ((r = qssh_view_get_string(&pl, &name)) != 0 ||
	    (r = qssh_view_get_string(&pl, &instr)) != 0 ||
	    (r = qssh_view_get_string(&pl, &lang)) != 0 ||
	    (r = qssh_view_get_u32(&pl, &n)) != 0)
		return r;
	if (n > 100)
		return QSSH_ERR_INVALID_FORMAT;
	qlog_debug2("input_userauth_info_req: entering");
	if (name.len > 0) {
		if ((text = auth_client_sanitise(name.p, name.len)) == NULL)
			return QSSH_ERR_ALLOC;
		a->cb.message(a->cb_ctx, text);
		free(text);
		text = NULL;
	}
	if (instr.len > 0) {
		if ((text = auth_client_sanitise(instr.p, instr.len)) == NULL)
			return QSSH_ERR_ALLOC;
		a->cb.message(a->cb_ctx, text);
		free(text);
		text = NULL;
	}
	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put_u32(b, n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((r = qssh_view_get_string(&pl, &pr)) != 0 ||
		    (r = qssh_view_get_bool(&pl, &echo)) != 0)
			goto out;
		if ((text = auth_client_sanitise(pr.p, pr.len)) == NULL ||
		    asprintf(&ptext, "(%s@%s) %s", a->user, a->host, text) <
			0) {
			ptext = NULL;
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		free(text);
		text = NULL;
		ans = a->cb.prompt(a->cb_ctx, ptext, echo);
		free(ptext);
		ptext = NULL;
		if (ans == NULL) {
			/* Cancelled: answer empty strings. */
			if ((ans = strdup("")) == NULL) {
				r = QSSH_ERR_ALLOC;
				goto out;
			}
		}
		r = qssh_buf_put_cstring(b, ans);
		qssh_wipe_free_str(ans);
		ans = NULL;
		if (r != 0)
			goto out;
	}
	if (pl.len != 0) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	r = tport_send_buf(a->t, SSH_MSG_USERAUTH_INFO_RESPONSE, b);
out:
	free(text);
	free(ptext);
	qssh_buf_free(b);
	return r;
}

/* ---- method selection ---- */

static bool
method_enabled(const struct auth_client *a, enum auth_method m)
{
	switch (m) {
	case AUTH_M_PUBKEY:
		return a->cfg.pubkey;
	case AUTH_M_PASSWORD:
		return a->cfg.password;
	case AUTH_M_KBDINT:
		return a->cfg.kbdint;
	default:
		return false;
	}
}

static enum auth_method
method_from_name(const char *name, size_t len)
{
	enum auth_method m;

	for (m = AUTH_M_PUBKEY; m < AUTH_M_MAX; m++)
		if (strlen(method_names[m]) == len &&
		    strncmp(method_names[m], name, len) == 0)
			return m;
	return AUTH_M_MAX;
}

/* Run method m once: *sent tells whether a request went out. */
static int
method_next(struct auth_client *a, enum auth_method m, bool *sent)
{
	*sent = false;
	if (a->exhausted[m])
		return 0;
	switch (m) {
	case AUTH_M_PUBKEY:
		return auth_client_pubkey_next(a, sent);
	case AUTH_M_PASSWORD:
		return password_next(a, sent);
	case AUTH_M_KBDINT:
		return kbdint_next(a, sent);
	default:
		return 0;
	}
}

/*
 * After a failure: continue the current method if the server still allows
 * it, else the next preferred method the server allows.
 */
int
auth_client_try_next(struct auth_client *a)
{
	const char *p, *e;
	enum auth_method m;
	bool sent;
	int r;

	if (a->current != AUTH_M_NONE &&
	    qssh_namelist_contains(
		a->server_methods, auth_client_method_name(a->current))) {
		if ((r = method_next(a, a->current, &sent)) != 0)
			return r;
		if (sent)
			return 0;
		a->exhausted[a->current] = true;
	}
	for (p = a->preferred; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		m = method_from_name(p, (size_t)(e - p));
		if (m == AUTH_M_MAX || a->exhausted[m] || !method_enabled(a, m))
			continue;
		if (!qssh_namelist_contains(
			a->server_methods, auth_client_method_name(m)))
			continue;
		if (m != a->current)
			qlog_debug("Next authentication method: %s",
			    auth_client_method_name(m));
		a->current = m;
		if ((r = method_next(a, m, &sent)) != 0)
			return r;
		if (sent)
			return 0;
		a->exhausted[m] = true;
	}
	qlog_debug("No more authentication methods to try.");
	return QSSH_ERR_ACCESS;
}

static int
handle_failure(struct auth_client *a, struct qssh_view pl)
{
	char *methods = NULL;
	bool partial;
	int r;

	if ((r = qssh_view_get_namelist(&pl, &methods)) != 0 ||
	    (r = qssh_view_get_bool(&pl, &partial)) != 0) {
		free(methods);
		return r;
	}
	if (partial)
		qlog_verbose("Authenticated using \"%s\" with partial success.",
		    auth_client_method_name(a->current));
	qlog_debug("Authentications that can continue: %s", methods);
	free(a->server_methods);
	a->server_methods = methods;
	if (a->current == AUTH_M_PUBKEY)
		auth_client_pubkey_failed(a);
	return auth_client_try_next(a);
}

static int
handle_banner(struct auth_client *a, struct qssh_view pl)
{
	struct qssh_view msg;
	char *text;
	int r;

	if ((r = qssh_view_get_string(&pl, &msg)) != 0)
		return r;
	if ((text = auth_client_sanitise(msg.p, msg.len)) == NULL)
		return QSSH_ERR_ALLOC;
	a->cb.message(a->cb_ctx, text);
	free(text);
	return 0;
}

int
auth_client_handle_packet(
    struct auth_client *a, uint8_t type, struct qssh_view pl)
{
	char *svc = NULL;
	int r;

	if (a->success)
		return QSSH_ERR_UNEXPECTED_MESSAGE;
	switch (type) {
	case SSH_MSG_SERVICE_ACCEPT:
		if (a->service_accepted)
			return QSSH_ERR_UNEXPECTED_MESSAGE;
		if ((r = tctl_parse_service(pl, &svc)) != 0)
			return r;
		r = strcmp(svc, "ssh-userauth") == 0 ? 0 : QSSH_ERR_PROTOCOL;
		free(svc);
		if (r != 0)
			return r;
		qlog_debug("SSH2_MSG_SERVICE_ACCEPT received");
		a->service_accepted = true;
		return send_none(a);
	case SSH_MSG_USERAUTH_BANNER:
		return handle_banner(a, pl);
	case SSH_MSG_USERAUTH_SUCCESS:
		if (!a->service_accepted)
			return QSSH_ERR_UNEXPECTED_MESSAGE;
		qlog_debug("Authentication succeeded (%s).",
		    auth_client_method_name(a->current));
		a->success = true;
		return 0;
	case SSH_MSG_USERAUTH_FAILURE:
		if (!a->service_accepted)
			return QSSH_ERR_UNEXPECTED_MESSAGE;
		return handle_failure(a, pl);
	case 60:
		if (a->current == AUTH_M_PUBKEY)
			return auth_client_pubkey_ok(a, pl);
		if (a->current == AUTH_M_KBDINT)
			return kbdint_info_request(a, pl);
		if (a->current == AUTH_M_PASSWORD) {
			/* Password change is not supported: try again. */
			qlog_error("Password change required but not "
				   "supported.");
			a->exhausted[AUTH_M_PASSWORD] = true;
			return auth_client_try_next(a);
		}
		return QSSH_ERR_UNEXPECTED_MESSAGE;
	default:
		return QSSH_ERR_UNEXPECTED_MESSAGE;
	}
}
