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
	char methods[96];
	char done[128]; /* methods that succeeded, in order */
	bool partial; /* the next FAILURE reports partial success */
	bool kbd_active; /* an INFO_REQUEST is waiting for its answer */
	uint32_t kbd_n;
	const char *method_ok;
	unsigned failures;
	unsigned attempts;
	char peer[160]; /* "A port P" */
};

/* ---- AuthenticationMethods ---- */

/* p[0..len) names method (a ":submethod" suffix ignored). */
static bool
method_eq(const char *p, size_t len, const char *method, size_t mlen)
{
	const char *colon = memchr(p, ':', len);
	size_t bl = colon != NULL ? (size_t)(colon - p) : len;

	return bl == mlen && strncmp(p, method, bl) == 0;
}

/* done is a prefix of list; *rest: what of list follows it. */
static bool
list_prefix(const char *list, const char *done, const char **rest)
{
	const char *l = list, *d = done, *le, *de;
	size_t ll, dl;

	while (*d != '\0') {
		if (*l == '\0')
			return false;
		le = strchr(l, ',');
		de = strchr(d, ',');
		ll = le != NULL ? (size_t)(le - l) : strlen(l);
		dl = de != NULL ? (size_t)(de - d) : strlen(d);
		if (!method_eq(l, ll, d, dl))
			return false;
		l += ll + (le != NULL ? 1 : 0);
		d += dl + (de != NULL ? 1 : 0);
	}
	*rest = l;
	return true;
}

static bool
methods_unrestricted(char *const *lists, size_t n)
{
	size_t i;

	if (lists == NULL || n == 0)
		return true;
	for (i = 0; i < n; i++) {
		if (lists[i] != NULL && strcmp(lists[i], "any") == 0)
			return true;
	}
	return false;
}

bool
auth_methods_complete(char *const *lists, size_t num_lists, const char *done)
{
	const char *rest;
	size_t i;

	if (methods_unrestricted(lists, num_lists))
		return true;
	for (i = 0; i < num_lists; i++) {
		if (lists[i] != NULL && list_prefix(lists[i], done, &rest) &&
		    *rest == '\0')
			return true;
	}
	return false;
}

void
auth_methods_next(char *const *lists, size_t num_lists, const char *done,
    char *out, size_t outlen)
{
	const char *rest;
	size_t i, len, used = 0;
	char name[64];

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < num_lists; i++) {
		if (lists[i] == NULL || !list_prefix(lists[i], done, &rest) ||
		    *rest == '\0')
			continue;
		len = strcspn(rest, ",:");
		if (len >= sizeof(name))
			continue;
		memcpy(name, rest, len);
		name[len] = '\0';
		if (qssh_namelist_contains(out, name))
			continue;
		if (used + len + 2 > outlen)
			break;
		snprintf(out + used, outlen - used, "%s%s", used > 0 ? "," : "",
		    name);
		used = strlen(out);
	}
}

static bool
method_enabled(const struct auth_server *a, const char *m)
{
	if (strcmp(m, "publickey") == 0)
		return a->cfg.pubkey;
	if (strcmp(m, "password") == 0)
		return a->cfg.password;
	if (strcmp(m, "keyboard-interactive") == 0)
		return a->cfg.kbdint && a->ops->kbdint != NULL;
	return false;
}

/* The methods that can continue: enabled and allowed next. */
static void
update_methods(struct auth_server *a)
{
	static const char *const all[] = { "publickey", "password",
		"keyboard-interactive" };
	char next[128];
	size_t i, used = 0;
	bool restricted;

	restricted =
	    !methods_unrestricted(a->cfg.auth_methods, a->cfg.num_auth_methods);
	if (restricted)
		auth_methods_next(a->cfg.auth_methods, a->cfg.num_auth_methods,
		    a->done, next, sizeof(next));
	a->methods[0] = '\0';
	for (i = 0; i < QSSH_ARRAY_LEN(all); i++) {
		if (!method_enabled(a, all[i]) ||
		    (restricted && !qssh_namelist_contains(next, all[i])))
			continue;
		snprintf(a->methods + used, sizeof(a->methods) - used, "%s%s",
		    used > 0 ? "," : "", all[i]);
		used = strlen(a->methods);
	}
}

static bool
method_allowed(const struct auth_server *a, const char *m)
{
	return qssh_namelist_contains(a->methods, m);
}

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
	update_methods(a);
	return a;
}

int
auth_server_update_config(
    struct auth_server *a, const struct auth_server_config *cfg)
{
	char *algs = NULL;

	if (cfg->pubkey_algs != NULL &&
	    (algs = strdup(cfg->pubkey_algs)) == NULL)
		return QSSH_ERR_ALLOC;
	free(a->pubkey_algs);
	a->pubkey_algs = algs;
	a->cfg.pubkey = cfg->pubkey;
	a->cfg.password = cfg->password;
	a->cfg.kbdint = cfg->kbdint;
	a->cfg.max_tries = cfg->max_tries == 0 ? AUTH_SERVER_MAX_TRIES_DEFAULT
					       : cfg->max_tries;
	a->cfg.auth_methods = cfg->auth_methods;
	a->cfg.num_auth_methods = cfg->num_auth_methods;
	update_methods(a);
	return 0;
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
	    (r = qssh_buf_put_bool(b, a->partial)) == 0)
		r = a->ops->send(a->ctx, SSH_MSG_USERAUTH_FAILURE,
		    qssh_buf_ptr(b), qssh_buf_len(b));
	a->partial = false;
	qssh_buf_free(b);
	return r;
}

/* A failed attempt: count it, maybe give up, otherwise answer. */
static int
failed(struct auth_server *a, bool count, uint64_t start_ns)
{
	char after[256];

	/* Not for the first "none", which checks nothing (as OpenSSH). */
	if (count) {
		failure_delay(a, start_ns);
		a->failures++;
	}
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

/*
 * method succeeded (logged as logname): done, or a partial success under
 * AuthenticationMethods.
 */
static int
succeeded(struct auth_server *a, const char *method, const char *logname,
    const char *detail)
{
	size_t len = strlen(a->done);
	int r;

	if (len + strlen(method) + 2 > sizeof(a->done))
		return QSSH_ERR_ACCESS;
	snprintf(a->done + len, sizeof(a->done) - len, "%s%s",
	    len > 0 ? "," : "", method);
	if (!auth_methods_complete(
		a->cfg.auth_methods, a->cfg.num_auth_methods, a->done)) {
		qlog_info("Partial %s for %s from %s ssh2%s%s", logname,
		    a->user, a->peer, detail == NULL ? "" : ": ",
		    detail == NULL ? "" : detail);
		update_methods(a);
		a->partial = true;
		return send_failure(a);
	}
	a->method_ok = method;
	/* From here on nothing is pre-authentication any more. */
	qssh_log_set_suffix(NULL);
	qlog_info("Accepted %s for %s from %s ssh2%s%s", logname, a->user,
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
	if (change || !method_allowed(a, "password") ||
	    a->ops->password == NULL) {
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
		r = succeeded(a, "password", "password", NULL);
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
	if (!method_allowed(a, "publickey") || a->ops->key_allowed == NULL) {
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
	r = succeeded(a, "publickey", "publickey", detail);
out:
	free(alg);
	free(fp);
	free(detail);
	key_free(k);
	qssh_buf_free(data);
	return r;
}

/* ---- keyboard-interactive (RFC 4256) ---- */

/* What the monitor said about a round: prompt, success or failure. */
static int
kbdint_result(struct auth_server *a, uint32_t status, struct qssh_buf *info,
    uint64_t start_ns)
{
	struct qssh_view v, skip;
	char after[200];
	uint32_t n;
	int r;

	if (status == AUTH_KBDINT_SUCCESS)
		return succeeded(a, "keyboard-interactive",
		    "keyboard-interactive/pam", NULL);
	if (status != AUTH_KBDINT_PROMPT)
		return failed(a, true, start_ns);
	v = qssh_buf_view(info);
	if ((r = qssh_view_get_string(&v, &skip)) != 0 ||
	    (r = qssh_view_get_string(&v, &skip)) != 0 ||
	    (r = qssh_view_get_string(&v, &skip)) != 0 ||
	    (r = qssh_view_get_u32(&v, &n)) != 0)
		return r;
	a->kbd_active = true;
	a->kbd_n = n;
	snprintf(after, sizeof(after), " from %s ssh2", a->peer);
	log_user(a, QSSH_LOG_VERBOSE, AUTH_USER_PLAIN,
	    "Postponed keyboard-interactive/pam for ", after);
	return a->ops->send(a->ctx, SSH_MSG_USERAUTH_INFO_REQUEST,
	    qssh_buf_ptr(info), qssh_buf_len(info));
}

static int
do_kbdint(struct auth_server *a, struct qssh_view *v, uint64_t start_ns)
{
	struct qssh_view lang, submethods;
	struct qssh_buf *info = NULL;
	uint32_t status = AUTH_KBDINT_FAILURE;
	int r;

	if ((r = qssh_view_get_string(v, &lang)) != 0 ||
	    (r = qssh_view_get_string(v, &submethods)) != 0)
		return r;
	if (v->len != 0)
		return QSSH_ERR_INVALID_FORMAT;
	if (!method_allowed(a, "keyboard-interactive"))
		return failed(a, true, start_ns);
	if ((info = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = a->ops->kbdint(a->ctx, true, false, 0, NULL, &status, info)) ==
	    0)
		r = kbdint_result(a, status, info, start_ns);
	qssh_buf_free(info);
	return r;
}

/* A new request abandons a pending round: end the conversation. */
static int
kbdint_abandon(struct auth_server *a)
{
	struct qssh_buf *info;
	uint32_t status;
	int r;

	a->kbd_active = false;
	if ((info = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	r = a->ops->kbdint(a->ctx, false, true, 0, NULL, &status, info);
	qssh_buf_free(info);
	return r;
}

int
auth_server_handle_info_response(
    struct auth_server *a, struct qssh_view payload)
{
	struct qssh_view v = payload;
	struct qssh_buf *info = NULL;
	uint64_t start_ns = qssh_monotime_ns();
	char **answers = NULL;
	uint32_t n = 0, i, got = 0, status = AUTH_KBDINT_FAILURE;
	int r;

	if (a->method_ok != NULL || !a->kbd_active)
		return QSSH_ERR_UNEXPECTED_MESSAGE;
	a->kbd_active = false;
	if ((r = qssh_view_get_u32(&v, &n)) != 0)
		goto out;
	if (n != a->kbd_n || n > 64) {
		qlog_error("input_userauth_info_response: wrong number of "
			   "replies");
		r = QSSH_ERR_PROTOCOL;
		goto out;
	}
	if ((answers = calloc(n + 1, sizeof(*answers))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	for (got = 0; got < n; got++) {
		if ((r = qssh_view_get_cstring(&v, &answers[got])) != 0)
			goto out;
	}
	if (v.len != 0) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((info = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = a->ops->kbdint(
		 a->ctx, false, false, n, answers, &status, info)) != 0)
		goto out;
	r = kbdint_result(a, status, info, start_ns);
out:
	if (answers != NULL) {
		for (i = 0; i < got; i++)
			qssh_wipe_free_str(answers[i]);
		free(answers);
	}
	qssh_buf_free(info);
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
	if (a->kbd_active && (r = kbdint_abandon(a)) != 0)
		goto out;
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
	else if (strcmp(method, "keyboard-interactive") == 0)
		r = do_kbdint(a, &v, start_ns);
	else
		r = failed(a, true, start_ns);
out:
	free(user);
	free(service);
	free(method);
	return r;
}
