/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Server side of user authentication (RFC 4252): request parsing, the
 * method rules and the answers.  See control/auth_server.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/auth_server.h"
#include "control/key.h"
#include "dataplane/transport.h"

#define AUTH_SERVICE "ssh-connection"
#define AUTH_HOSTBOUND "publickey-hostbound-v00@openssh.com"

struct auth_server {
	struct auth_server_config cfg;
	const struct auth_server_ops *ops;
	void *ctx;
	char *user;
	char *service;
	char *pubkey_algs;
	char methods[64];
	const char *method_ok;
	unsigned failures;
	unsigned attempts;
	char peer[160]; /* "A port P" */
};

struct auth_server *
auth_server_new(const struct auth_server_config *cfg,
    const struct auth_server_ops *ops, void *ctx)
{
	struct auth_server *a;

	if (cfg == NULL || ops == NULL || ops->send == NULL ||
	    (a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->cfg = *cfg;
	a->ops = ops;
	a->ctx = ctx;
	if (a->cfg.max_tries == 0)
		a->cfg.max_tries = AUTH_SERVER_MAX_TRIES_DEFAULT;
	if (cfg->pubkey_algs != NULL &&
	    (a->pubkey_algs = strdup(cfg->pubkey_algs)) == NULL) {
		free(a);
		return NULL;
	}
	a->cfg.pubkey_algs = NULL;
	a->cfg.addr = NULL;
	snprintf(a->peer, sizeof(a->peer), "%s port %d",
	    cfg->addr == NULL ? "UNKNOWN" : cfg->addr, cfg->port);
	snprintf(a->methods, sizeof(a->methods), "%s%s%s",
	    cfg->pubkey ? "publickey" : "",
	    cfg->pubkey && cfg->password ? "," : "",
	    cfg->password ? "password" : "");
	return a;
}

void
auth_server_free(struct auth_server *a)
{
	if (a == NULL)
		return;
	free(a->user);
	free(a->service);
	free(a->pubkey_algs);
	free(a);
}

const char *
auth_server_user(const struct auth_server *a)
{
	return a->user;
}

unsigned
auth_server_failures(const struct auth_server *a)
{
	return a->failures;
}

const char *
auth_server_method(const struct auth_server *a)
{
	return a->method_ok;
}

const char *
auth_server_methods(const struct auth_server *a)
{
	return a->methods;
}

static void
log_user(struct auth_server *a, enum qssh_log_level level,
    enum auth_server_user_style style, const char *before, const char *after)
{
	if (a->ops->log_user != NULL)
		a->ops->log_user(a->ctx, level, style, before, after);
}

/* Sleep until at least failure_delay_ms passed since start_ns. */
static void
failure_delay(const struct auth_server *a, uint64_t start_ns)
{
	uint64_t want = (uint64_t)a->cfg.failure_delay_ms * 1000000ULL;
	uint64_t now = qssh_monotime_ns(), left;
	struct timespec ts;

	if (want == 0 || now - start_ns >= want)
		return;
	left = want - (now - start_ns);
	ts.tv_sec = (time_t)(left / 1000000000ULL);
	ts.tv_nsec = (long)(left % 1000000000ULL);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
send_failure(struct auth_server *a)
{
	struct qssh_buf *b = NULL;
	int r;

	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put_cstring(b, a->methods)) == 0 &&
	    (r = qssh_buf_put_bool(b, false)) == 0)
		r = a->ops->send(a->ctx, SSH_MSG_USERAUTH_FAILURE,
		    qssh_buf_ptr(b), qssh_buf_len(b));
	qssh_buf_free(b);
	return r;
}

/* A failed attempt: count it, maybe give up, otherwise answer. */
static int
failed(struct auth_server *a, bool count, uint64_t start_ns)
{
	char after[256];

	failure_delay(a, start_ns);
	if (count)
		a->failures++;
	if (a->failures >= a->cfg.max_tries) {
		snprintf(after, sizeof(after), " from %s ssh2", a->peer);
		log_user(a, QSSH_LOG_ERROR, AUTH_USER_PLAIN,
		    "maximum authentication attempts exceeded for ", after);
		snprintf(after, sizeof(after),
		    " %s: Too many authentication failures", a->peer);
		log_user(a, QSSH_LOG_INFO, AUTH_USER_AUTHENTICATING,
		    "Disconnecting ", after);
		return QSSH_ERR_ACCESS;
	}
	return send_failure(a);
}

static int
succeeded(struct auth_server *a, const char *method, const char *detail)
{
	int r;

	a->method_ok = method;
	/* From here on nothing is pre-authentication any more. */
	qssh_log_set_suffix(NULL);
	qlog_info("Accepted %s for %s from %s ssh2%s%s", method, a->user,
	    a->peer, detail == NULL ? "" : ": ", detail == NULL ? "" : detail);
	if ((r = a->ops->send(a->ctx, SSH_MSG_USERAUTH_SUCCESS, NULL, 0)) != 0)
		return r;
	return AUTH_SERVER_DONE;
}

static int
do_password(struct auth_server *a, struct qssh_view *v, uint64_t start_ns)
{
	bool change, ok = false;
	char *pw = NULL;
	int r;

	if ((r = qssh_view_get_bool(v, &change)) != 0 ||
	    (r = qssh_view_get_cstring(v, &pw)) != 0)
		goto out;
	if (change || !a->cfg.password || a->ops->password == NULL) {
		/* Password change is not offered; extra fields ignored. */
		r = failed(a, true, start_ns);
		goto out;
	}
	if (v->len != 0) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = a->ops->password(a->ctx, pw, &ok)) != 0)
		goto out;
	if (ok)
		r = succeeded(a, "password", NULL);
	else
		r = failed(a, true, start_ns);
out:
	qssh_wipe_free_str(pw);
	return r;
}

static bool
alg_accepted(const struct auth_server *a, const char *alg)
{
	if (a->pubkey_algs == NULL)
		return key_type_from_alg(alg) != KEY_UNSPEC;
	return qssh_namelist_contains(a->pubkey_algs, alg);
}

static bool
is_our_host_key(const struct auth_server *a, struct qssh_view hk)
{
	size_t i;

	for (i = 0; i < a->cfg.num_host_keys; i++) {
		const struct qssh_buf *b = a->cfg.host_key_blobs[i];

		if (b != NULL && qssh_buf_len(b) == hk.len &&
		    memcmp(qssh_buf_ptr(b), hk.p, hk.len) == 0)
			return true;
	}
	return false;
}

static int
send_pk_ok(struct auth_server *a, const char *alg, struct qssh_view blob)
{
	struct qssh_buf *b = NULL;
	int r;

	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put_cstring(b, alg)) == 0 &&
	    (r = qssh_buf_put_string(b, blob.p, blob.len)) == 0)
		r = a->ops->send(a->ctx, SSH_MSG_USERAUTH_PK_OK,
		    qssh_buf_ptr(b), qssh_buf_len(b));
	qssh_buf_free(b);
	return r;
}

/* RFC 4252 section 7 signed data (and the hostbound extension). */
static int
signed_data(const struct auth_server *a, const char *method, const char *alg,
    struct qssh_view blob, const struct qssh_view *hostkey, struct qssh_buf *d)
{
	int r;

	if ((r = qssh_buf_put_string(
		 d, a->cfg.session_id, a->cfg.session_id_len)) != 0 ||
	    (r = qssh_buf_put_u8(d, SSH_MSG_USERAUTH_REQUEST)) != 0 ||
	    (r = qssh_buf_put_cstring(d, a->user)) != 0 ||
	    (r = qssh_buf_put_cstring(d, a->service)) != 0 ||
	    (r = qssh_buf_put_cstring(d, method)) != 0 ||
	    (r = qssh_buf_put_bool(d, true)) != 0 ||
	    (r = qssh_buf_put_cstring(d, alg)) != 0 ||
	    (r = qssh_buf_put_string(d, blob.p, blob.len)) != 0)
		return r;
	if (hostkey != NULL &&
	    (r = qssh_buf_put_string(d, hostkey->p, hostkey->len)) != 0)
		return r;
	return 0;
}

static int
do_pubkey(struct auth_server *a, const char *method, struct qssh_view *v,
    uint64_t start_ns)
{
	struct qssh_view blob, hostkey, sig;
	struct qssh_buf *data = NULL;
	struct key *k = NULL;
	char *alg = NULL, *fp = NULL, *detail = NULL, before[300];
	bool has_sig, hostbound, ok = false;
	size_t dlen;
	int r;

	hostbound = strcmp(method, AUTH_HOSTBOUND) == 0;
	if ((r = qssh_view_get_bool(v, &has_sig)) != 0 ||
	    (r = qssh_view_get_cstring(v, &alg)) != 0 ||
	    (r = qssh_view_get_string(v, &blob)) != 0)
		goto out;
	if (hostbound && (r = qssh_view_get_string(v, &hostkey)) != 0)
		goto out;
	if (has_sig && (r = qssh_view_get_string(v, &sig)) != 0)
		goto out;
	if (v->len != 0) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if (!a->cfg.pubkey || a->ops->key_allowed == NULL) {
		r = failed(a, true, start_ns);
		goto out;
	}
	if (!alg_accepted(a, alg)) {
		qlog_verbose("%s: signature algorithm %s not in "
			     "PubkeyAcceptedAlgorithms",
		    __func__, alg);
		r = failed(a, true, start_ns);
		goto out;
	}
	if (key_from_blob(blob.p, blob.len, &k) != 0 ||
	    !key_alg_matches(k, alg)) {
		qlog_error("%s: cannot decode key: %s", __func__, alg);
		r = failed(a, true, start_ns);
		goto out;
	}
	if (hostbound && !is_our_host_key(a, hostkey)) {
		qlog_error(
		    "%s: client sent a host key that is not ours", __func__);
		r = failed(a, true, start_ns);
		goto out;
	}
	if ((r = a->ops->key_allowed(a->ctx, blob.p, blob.len, &ok)) != 0)
		goto out;
	if (!ok) {
		r = failed(a, true, start_ns);
		goto out;
	}
	if ((r = key_fingerprint(k, KEY_FP_SHA256, &fp)) != 0)
		goto out;
	if (!has_sig) {
		/* The query: the key would do (RFC 4252 section 7). */
		if ((r = send_pk_ok(a, alg, blob)) != 0)
			goto out;
		snprintf(before, sizeof(before),
		    "Postponed %s for %s from %s "
		    "ssh2",
		    method, a->user, a->peer);
		qlog_verbose("%s", before);
		r = 0;
		goto out;
	}
	if ((data = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = signed_data(
		 a, method, alg, blob, hostbound ? &hostkey : NULL, data)) != 0)
		goto out;
	if ((r = a->ops->key_verify(a->ctx, blob.p, blob.len, sig.p, sig.len,
		 qssh_buf_ptr(data), qssh_buf_len(data), &ok)) != 0)
		goto out;
	if (!ok) {
		qlog_verbose("Failed %s for %s from %s ssh2: %s %s", method,
		    a->user, a->peer, key_type_short(k), fp);
		r = failed(a, true, start_ns);
		goto out;
	}
	dlen = strlen(key_type_short(k)) + 1 + strlen(fp) + 1;
	if ((detail = malloc(dlen)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	snprintf(detail, dlen, "%s %s", key_type_short(k), fp);
	r = succeeded(a, "publickey", detail);
out:
	free(alg);
	free(fp);
	free(detail);
	key_free(k);
	qssh_buf_free(data);
	return r;
}

int
auth_server_handle(struct auth_server *a, struct qssh_view payload)
{
	struct qssh_view v = payload;
	char *user = NULL, *service = NULL, *method = NULL;
	uint64_t start_ns = qssh_monotime_ns();
	bool first;
	int r;

	if (a->method_ok != NULL)
		return QSSH_ERR_UNEXPECTED_MESSAGE;
	if ((r = qssh_view_get_cstring(&v, &user)) != 0 ||
	    (r = qssh_view_get_cstring(&v, &service)) != 0 ||
	    (r = qssh_view_get_cstring(&v, &method)) != 0)
		goto out;
	first = a->user == NULL;
	if (first) {
		if (user[0] == '\0' || strlen(user) > 256) {
			r = QSSH_ERR_PROTOCOL;
			goto out;
		}
		a->user = user;
		a->service = service;
		user = service = NULL;
		if (a->ops->set_user != NULL &&
		    (r = a->ops->set_user(a->ctx, a->user)) != 0)
			goto out;
	} else if (strcmp(user, a->user) != 0 ||
	    strcmp(service, a->service) != 0) {
		qlog_error("Change of username or service not allowed: "
			   "(%s,%s) -> (%s,%s)",
		    a->user, a->service, user, service);
		r = QSSH_ERR_PROTOCOL;
		goto out;
	}
	a->attempts++;
	qlog_debug("userauth-request for user %s service %s method %s", a->user,
	    a->service, method);
	if (strcmp(a->service, AUTH_SERVICE) != 0) {
		r = failed(a, true, start_ns);
		goto out;
	}
	if (strcmp(method, "none") == 0)
		r = failed(a, a->attempts > 1, start_ns);
	else if (strcmp(method, "password") == 0)
		r = do_password(a, &v, start_ns);
	else if (strcmp(method, "publickey") == 0 ||
	    strcmp(method, AUTH_HOSTBOUND) == 0)
		r = do_pubkey(a, method, &v, start_ns);
	else
		r = failed(a, true, start_ns);
out:
	free(user);
	free(service);
	free(method);
	return r;
}
