/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The monitor side of privilege separation: request table, state machine
 * and handlers.  The protocol is described in control/monitor.h.
 */
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/key.h"
#include "control/monitor.h"

#define SSH2_MSG_USERAUTH_REQUEST 50
#define MON_TTY_MAX 64

struct monitor {
	int fd;
	enum monitor_state state;
	struct key *const *host_keys;
	size_t num_host_keys;
	const struct monitor_callbacks *cb;
	void *cb_ctx;
	uint8_t fake_secret[MONITOR_FAKE_SECRET_LEN];
	char *service;
	uint32_t used_once; /* bit per request type */
	struct monitor_pw *pw;
	bool pw_valid;
	uint8_t *session_id;
	size_t session_id_len;
	uint8_t *allowed_blob;
	size_t allowed_blob_len;
	struct key *allowed_key;
	const struct monitor_session_callbacks *scb;
	void *scb_ctx;
	uint64_t deadline_ms;
	char methods_done[128]; /* comma list of methods that succeeded */
	bool in_kbdint;
};

struct monitor_kbdint {
	struct monitor *m;
	uint8_t pending; /* answer type of the request being served */
	uint32_t rounds;
};

typedef int (*mon_handler_fn)(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd);

#define MON_ST(s) (1u << (s))
#define MON_ST_PRE MON_ST(MONITOR_STATE_PREAUTH)
#define MON_ST_AUTH MON_ST(MONITOR_STATE_AUTHENTICATED)
#define MON_ST_SESS MON_ST(MONITOR_STATE_SESSION)
#define MON_ST_ALL (MON_ST_PRE | MON_ST_AUTH | MON_ST_SESS)
#define MON_ONCE 0x1

struct mon_req {
	uint8_t type;
	const char *name;
	unsigned states; /* MON_ST_* bits */
	unsigned flags;
	mon_handler_fn fn;
};

static const char *
state_name(enum monitor_state s)
{
	switch (s) {
	case MONITOR_STATE_PREAUTH:
		return "preauth";
	case MONITOR_STATE_AUTHENTICATED:
		return "authenticated";
	case MONITOR_STATE_SESSION:
		return "session";
	case MONITOR_STATE_DEAD:
		return "dead";
	}
	return "?";
}

/* The request must have been consumed completely. */
static int
req_end(const struct qssh_buf *req)
{
	return qssh_buf_len(req) == 0 ? 0 : QSSH_ERR_INVALID_FORMAT;
}

static int
put_bool_answer(struct qssh_buf *ans, uint8_t type, bool v)
{
	int r;

	if ((r = qssh_buf_put_u8(ans, type)) != 0 ||
	    (r = qssh_buf_put_bool(ans, v)) != 0)
		return r;
	return 0;
}

static bool
view_eq(struct qssh_view v, const uint8_t *p, size_t len)
{
	return v.len == len && (len == 0 || memcmp(v.p, p, len) == 0);
}

/* ---- SIGN ---- */

static int
mon_sign(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	struct qssh_buf *sig = NULL;
	struct qssh_view data;
	const struct key *k;
	char *alg = NULL;
	uint32_t idx;
	int r = QSSH_ERR_INTERNAL;

	(void)ans_fd;
	if ((r = qssh_buf_get_u32(req, &idx)) != 0 ||
	    (r = qssh_buf_get_cstring(req, &alg, NULL)) != 0 ||
	    (r = qssh_buf_get_string_view(req, &data)) != 0 ||
	    (r = req_end(req)) != 0)
		goto out;
	if (idx >= m->num_host_keys || m->host_keys[idx] == NULL) {
		qlog_error("monitor: sign: no host key %u", idx);
		r = QSSH_ERR_ACCESS;
		goto out;
	}
	k = m->host_keys[idx];
	/* Only exchange hashes: SHA-1, SHA-256, SHA-384, SHA-512 sized. */
	if (data.len != 20 && data.len != 32 && data.len != 48 &&
	    data.len != 64) {
		qlog_error("monitor: sign: data of %zu bytes is no exchange "
			   "hash",
		    data.len);
		r = QSSH_ERR_ACCESS;
		goto out;
	}
	if (alg[0] != '\0' && !key_alg_matches(k, alg)) {
		qlog_error(
		    "monitor: sign: algorithm %s does not fit host key %u", alg,
		    idx);
		r = QSSH_ERR_ACCESS;
		goto out;
	}
	if ((sig = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = key_sign(
		 k, alg[0] == '\0' ? NULL : alg, data.p, data.len, sig)) != 0)
		goto out;
	/* The first exchange hash is the session identifier. */
	if (m->session_id == NULL) {
		if ((m->session_id = malloc(data.len)) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		memcpy(m->session_id, data.p, data.len);
		m->session_id_len = data.len;
	}
	if ((r = qssh_buf_put_u8(ans, MONITOR_ANS_SIGN)) != 0 ||
	    (r = qssh_buf_put_stringb(ans, sig)) != 0)
		goto out;
	r = 0;
out:
	free(alg);
	qssh_buf_free(sig);
	return r;
}

/* ---- GETPW ---- */

static char *
str_or_empty(const char *s)
{
	return strdup(s == NULL ? "" : s);
}

/* A plausible entry for a name that does not exist, stable per secret. */
static int
fake_pw(const struct monitor *m, const char *name, struct monitor_pw *pw)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	uint32_t v;
	size_t hlen;

	if (HMAC(EVP_sha256(), m->fake_secret, sizeof(m->fake_secret),
		(const uint8_t *)name, strlen(name), mac, &maclen) == NULL ||
	    maclen < 4)
		return QSSH_ERR_LIBCRYPTO;
	v = qssh_get_u32be(mac);
	qssh_wipe(mac, sizeof(mac));
	pw->uid = (uid_t)(1000 + v % 59000);
	pw->gid = (gid_t)pw->uid;
	hlen = strlen("/home/") + strlen(name) + 1;
	if ((pw->name = strdup(name)) == NULL ||
	    (pw->home = malloc(hlen)) == NULL ||
	    (pw->shell = strdup("/bin/bash")) == NULL)
		return QSSH_ERR_ALLOC;
	memcpy(pw->home, "/home/", 6);
	memcpy(pw->home + 6, name, strlen(name) + 1);
	return 0;
}

static int
lookup_pw(const struct monitor *m, const char *name, struct monitor_pw **out,
    bool *valid)
{
	struct monitor_pw *real = NULL, *fake = NULL;
	struct passwd pwd, *res = NULL;
	char *buf = NULL;
	long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	int r = QSSH_ERR_INTERNAL;

	*out = NULL;
	*valid = false;
	if (sz < 1024)
		sz = 16384;
	if ((buf = malloc((size_t)sz)) == NULL ||
	    (fake = calloc(1, sizeof(*fake))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	/* Both answers are always computed: same work for both cases. */
	if ((r = fake_pw(m, name, fake)) != 0)
		goto out;
	if (getpwnam_r(name, &pwd, buf, (size_t)sz, &res) == 0 && res != NULL) {
		if ((real = calloc(1, sizeof(*real))) == NULL ||
		    (real->name = str_or_empty(pwd.pw_name)) == NULL ||
		    (real->home = str_or_empty(pwd.pw_dir)) == NULL ||
		    (real->shell = str_or_empty(pwd.pw_shell)) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		real->uid = pwd.pw_uid;
		real->gid = pwd.pw_gid;
		*out = real;
		real = NULL;
		*valid = true;
	} else {
		*out = fake;
		fake = NULL;
	}
	r = 0;
out:
	if (buf != NULL)
		qssh_wipe_free(buf, (size_t)sz);
	monitor_pw_free(real);
	monitor_pw_free(fake);
	return r;
}

static int
put_policy(struct qssh_buf *ans, const struct monitor_auth_policy *p)
{
	int r;

	if ((r = qssh_buf_put_bool(ans, p->pubkey)) != 0 ||
	    (r = qssh_buf_put_bool(ans, p->password)) != 0 ||
	    (r = qssh_buf_put_bool(ans, p->kbdint)) != 0 ||
	    (r = qssh_buf_put_u32(ans, p->max_tries)) != 0 ||
	    (r = qssh_buf_put_cstring(
		 ans, p->auth_methods == NULL ? "" : p->auth_methods)) != 0 ||
	    (r = qssh_buf_put_cstring(
		 ans, p->pubkey_algs == NULL ? "" : p->pubkey_algs)) != 0)
		return r;
	return 0;
}

static int
mon_getpw(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	struct monitor_pw *pw = NULL;
	char *name = NULL;
	size_t len;
	bool valid;
	int r = QSSH_ERR_INTERNAL;

	(void)ans_fd;
	if ((r = qssh_buf_get_cstring(req, &name, &len)) != 0 ||
	    (r = req_end(req)) != 0)
		goto out;
	if (len == 0 || len > MONITOR_USER_MAX) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = lookup_pw(m, name, &pw, &valid)) != 0)
		goto out;
	if ((r = qssh_buf_put_u8(ans, MONITOR_ANS_GETPW)) != 0 ||
	    (r = qssh_buf_put_cstring(ans, pw->name)) != 0 ||
	    (r = qssh_buf_put_u32(ans, (uint32_t)pw->uid)) != 0 ||
	    (r = qssh_buf_put_u32(ans, (uint32_t)pw->gid)) != 0 ||
	    (r = qssh_buf_put_cstring(ans, pw->home)) != 0 ||
	    (r = qssh_buf_put_cstring(ans, pw->shell)) != 0)
		goto out;
	m->pw = pw;
	pw = NULL;
	m->pw_valid = valid;
	qlog_debug3("monitor: user %s %s", name, valid ? "valid" : "invalid");
	if (m->scb != NULL && m->scb->user_known != NULL &&
	    !m->scb->user_known(m->scb_ctx, m->pw, valid))
		m->pw_valid = false;
	if (m->scb != NULL && m->scb->user_policy != NULL) {
		struct monitor_auth_policy p;

		memset(&p, 0, sizeof(p));
		if ((r = m->scb->user_policy(m->scb_ctx, &p)) == 0)
			r = put_policy(ans, &p);
		monitor_auth_policy_cleanup(&p);
		if (r != 0)
			goto out;
	}
	r = 0;
out:
	free(name);
	monitor_pw_free(pw);
	return r;
}

/* ---- authentication ---- */

static int
need_user(const struct monitor *m, const char *what)
{
	if (m->pw == NULL) {
		qlog_error("monitor: %s before the user is known", what);
		return QSSH_ERR_ACCESS;
	}
	return 0;
}

/*
 * A method succeeded: authenticated when the methods so far complete the
 * authentication; otherwise (AuthenticationMethods) a partial success that
 * needs a fresh key check for the next publickey step.
 */
static void
auth_succeeded(struct monitor *m, const char *method)
{
	size_t len = strlen(m->methods_done);

	if (len + strlen(method) + 2 > sizeof(m->methods_done)) {
		qlog_error("monitor: too many authentication methods");
		return;
	}
	snprintf(m->methods_done + len, sizeof(m->methods_done) - len, "%s%s",
	    len > 0 ? "," : "", method);
	free(m->allowed_blob);
	m->allowed_blob = NULL;
	m->allowed_blob_len = 0;
	key_free(m->allowed_key);
	m->allowed_key = NULL;
	if (m->scb != NULL && m->scb->auth_complete != NULL &&
	    !m->scb->auth_complete(m->scb_ctx, m->methods_done)) {
		qlog_debug("monitor: %s authentication for %s: partial success "
			   "(%s)",
		    method, m->pw->name, m->methods_done);
		return;
	}
	qlog_debug(
	    "monitor: %s authentication for %s succeeded", method, m->pw->name);
	m->state = MONITOR_STATE_AUTHENTICATED;
}

static int
mon_auth_password(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	char *pass = NULL;
	bool ok = false;
	int r = QSSH_ERR_INTERNAL, cr;

	(void)ans_fd;
	if ((r = need_user(m, "password check")) != 0)
		goto out;
	if ((r = qssh_buf_get_cstring(req, &pass, NULL)) != 0 ||
	    (r = req_end(req)) != 0)
		goto out;
	if (m->cb != NULL && m->cb->auth_password != NULL) {
		cr = m->cb->auth_password(m->cb_ctx, m->pw, m->pw_valid, pass);
		ok = cr == 0 && m->pw_valid;
	}
	if ((r = put_bool_answer(ans, MONITOR_ANS_AUTH_PASSWORD, ok)) != 0)
		goto out;
	if (ok)
		auth_succeeded(m, "password");
	r = 0;
out:
	qssh_wipe_free_str(pass);
	return r;
}

static int
mon_key_allowed(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	struct qssh_view blob;
	struct key *k = NULL;
	uint8_t *copy = NULL;
	bool ok = false;
	int r = QSSH_ERR_INTERNAL;

	(void)ans_fd;
	if ((r = need_user(m, "key check")) != 0)
		goto out;
	if ((r = qssh_buf_get_string_view(req, &blob)) != 0 ||
	    (r = req_end(req)) != 0)
		goto out;
	/* A key we cannot parse is not allowed; it is no protocol error. */
	if (m->pw_valid && m->cb != NULL && m->cb->key_allowed != NULL &&
	    key_from_blob(blob.p, blob.len, &k) == 0 &&
	    m->cb->key_allowed(m->cb_ctx, m->pw, k) == 0) {
		if ((copy = malloc(blob.len == 0 ? 1 : blob.len)) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		memcpy(copy, blob.p, blob.len);
		free(m->allowed_blob);
		key_free(m->allowed_key);
		m->allowed_blob = copy;
		m->allowed_blob_len = blob.len;
		m->allowed_key = k;
		copy = NULL;
		k = NULL;
		ok = true;
	}
	if ((r = put_bool_answer(ans, MONITOR_ANS_KEY_ALLOWED, ok)) != 0)
		goto out;
	r = 0;
out:
	free(copy);
	key_free(k);
	return r;
}

static bool
is_host_key_blob(const struct monitor *m, struct qssh_view v)
{
	struct qssh_buf *b;
	bool found = false;
	size_t i;

	for (i = 0; i < m->num_host_keys && !found; i++) {
		if (m->host_keys[i] == NULL || (b = qssh_buf_new()) == NULL)
			continue;
		if (key_to_blob(m->host_keys[i], b) == 0 &&
		    view_eq(v, qssh_buf_ptr(b), qssh_buf_len(b)))
			found = true;
		qssh_buf_free(b);
	}
	return found;
}

/*
 * The signed data of a publickey request (RFC 4252 section 7, and OpenSSH's
 * publickey-hostbound-v00 which appends the server host key) must be for
 * this session, this user, this service and the key that was allowed.
 */
static int
check_signed_data(const struct monitor *m, struct qssh_view data,
    const char **alg_out, char **algbuf)
{
	struct qssh_view sid, user, service, method, alg, blob, hostkey;
	uint8_t type;
	bool has_sig;
	int r;

	if ((r = qssh_view_get_string(&data, &sid)) != 0 ||
	    (r = qssh_view_get_u8(&data, &type)) != 0 ||
	    (r = qssh_view_get_string(&data, &user)) != 0 ||
	    (r = qssh_view_get_string(&data, &service)) != 0 ||
	    (r = qssh_view_get_string(&data, &method)) != 0 ||
	    (r = qssh_view_get_bool(&data, &has_sig)) != 0 ||
	    (r = qssh_view_get_string(&data, &alg)) != 0 ||
	    (r = qssh_view_get_string(&data, &blob)) != 0)
		return QSSH_ERR_ACCESS;
	if (sid.len != m->session_id_len ||
	    !qssh_ct_eq(sid.p, m->session_id, sid.len) ||
	    type != SSH2_MSG_USERAUTH_REQUEST ||
	    !qssh_view_eq_str(user, m->pw->name) ||
	    !qssh_view_eq_str(service, m->service) || !has_sig ||
	    !view_eq(blob, m->allowed_blob, m->allowed_blob_len))
		return QSSH_ERR_ACCESS;
	if (qssh_view_eq_str(method, "publickey-hostbound-v00@openssh.com")) {
		if (qssh_view_get_string(&data, &hostkey) != 0 ||
		    !is_host_key_blob(m, hostkey))
			return QSSH_ERR_ACCESS;
	} else if (!qssh_view_eq_str(method, "publickey"))
		return QSSH_ERR_ACCESS;
	if (data.len != 0 || alg.len == 0 || memchr(alg.p, '\0', alg.len))
		return QSSH_ERR_ACCESS;
	if ((*algbuf = strndup((const char *)alg.p, alg.len)) == NULL)
		return QSSH_ERR_ALLOC;
	if (!key_alg_matches(m->allowed_key, *algbuf))
		return QSSH_ERR_ACCESS;
	*alg_out = *algbuf;
	return 0;
}

static int
mon_key_verify(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	struct qssh_view blob, sig, data;
	const char *alg = NULL;
	char *algbuf = NULL;
	bool ok = false;
	int r = QSSH_ERR_INTERNAL;

	(void)ans_fd;
	if ((r = need_user(m, "key verification")) != 0)
		goto out;
	if ((r = qssh_buf_get_string_view(req, &blob)) != 0 ||
	    (r = qssh_buf_get_string_view(req, &sig)) != 0 ||
	    (r = qssh_buf_get_string_view(req, &data)) != 0 ||
	    (r = req_end(req)) != 0)
		goto out;
	if (m->allowed_blob == NULL || m->session_id == NULL ||
	    !view_eq(blob, m->allowed_blob, m->allowed_blob_len)) {
		qlog_error("monitor: key verification for a key not allowed");
		r = QSSH_ERR_ACCESS;
		goto out;
	}
	if ((r = check_signed_data(m, data, &alg, &algbuf)) != 0) {
		qlog_error("monitor: bad signed data in key verification");
		goto out;
	}
	ok = m->pw_valid &&
	    key_verify(m->allowed_key, alg, sig.p, sig.len, data.p, data.len) ==
		0;
	if ((r = put_bool_answer(ans, MONITOR_ANS_KEY_VERIFY, ok)) != 0)
		goto out;
	if (ok)
		auth_succeeded(m, "publickey");
	r = 0;
out:
	free(algbuf);
	return r;
}

/* ---- keyboard-interactive ---- */

static int mon_kill(struct monitor *m, const char *what, int r);

static int
put_kbdint_answer(struct qssh_buf *ans, uint8_t type, uint32_t status,
    const struct qssh_buf *info)
{
	int r;

	if ((r = qssh_buf_put_u8(ans, type)) != 0 ||
	    (r = qssh_buf_put_u32(ans, status)) != 0)
		return r;
	if (info != NULL && (r = qssh_buf_put_stringb(ans, info)) != 0)
		return r;
	return 0;
}

static bool
kbdint_passthrough(uint8_t type)
{
	return type == MONITOR_REQ_SIGN || type == MONITOR_REQ_LOG ||
	    type == MONITOR_REQ_LOG_USER;
}

/* Wait for the next request, up to the deadline. */
static int
kbdint_wait(struct monitor *m)
{
	struct pollfd pfd;
	int timeout, n;

	for (;;) {
		timeout = -1;
		if (m->deadline_ms != 0) {
			uint64_t now = qssh_monotime_ms();

			if (now >= m->deadline_ms)
				return QSSH_ERR_TIMEOUT;
			timeout = (int)(m->deadline_ms - now);
		}
		pfd.fd = m->fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, timeout);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return QSSH_ERR_SYSTEM;
	}
}

int
monitor_kbdint_query(struct monitor_kbdint *q, const char *name,
    const char *instruction, uint32_t n, const char *const *prompts,
    const bool *echo, char ***answers)
{
	struct monitor *m = q->m;
	struct qssh_buf *info = NULL, *msg = NULL, *ans = NULL;
	char **v = NULL;
	uint32_t i, got = 0;
	uint8_t type;
	bool cancel;
	int r = QSSH_ERR_INTERNAL, afd = -1;

	*answers = NULL;
	if (m->fd < 0 || n > MONITOR_KBDINT_PROMPTS_MAX || q->rounds++ >= 64)
		return QSSH_ERR_ACCESS;
	if ((info = qssh_buf_new()) == NULL || (msg = qssh_buf_new()) == NULL ||
	    (ans = qssh_buf_new()) == NULL ||
	    (v = calloc(n + 1, sizeof(*v))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_cstring(info, name == NULL ? "" : name)) != 0 ||
	    (r = qssh_buf_put_cstring(
		 info, instruction == NULL ? "" : instruction)) != 0 ||
	    (r = qssh_buf_put_cstring(info, "")) != 0 ||
	    (r = qssh_buf_put_u32(info, n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((r = qssh_buf_put_cstring(info, prompts[i])) != 0 ||
		    (r = qssh_buf_put_bool(info, echo[i])) != 0)
			goto out;
	}
	if ((r = put_kbdint_answer(
		 msg, q->pending, MONITOR_KBDINT_PROMPT, info)) != 0 ||
	    (r = monitor_msg_send(
		 m->fd, qssh_buf_ptr(msg), qssh_buf_len(msg), -1)) != 0)
		goto out;
	/* The child may log or sign (a rekey) before it answers. */
	for (;;) {
		qssh_buf_reset(msg);
		if ((r = kbdint_wait(m)) != 0 ||
		    (r = monitor_msg_recv(m->fd, msg, NULL)) != 0)
			goto out;
		if (qssh_buf_len(msg) == 0) {
			r = QSSH_ERR_INVALID_FORMAT;
			goto out;
		}
		type = qssh_buf_ptr(msg)[0];
		if (type == MONITOR_REQ_KBDINT_RESPOND)
			break;
		if (!kbdint_passthrough(type)) {
			qlog_error("monitor: request %u during a "
				   "keyboard-interactive conversation",
			    (unsigned)type);
			r = QSSH_ERR_UNEXPECTED_MESSAGE;
			goto out;
		}
		qssh_buf_reset(ans);
		r = monitor_handle_msg(
		    m, qssh_buf_ptr(msg), qssh_buf_len(msg), ans, &afd);
		if (r != 0)
			goto out;
		if (qssh_buf_len(ans) != 0 &&
		    (r = monitor_msg_send(m->fd, qssh_buf_ptr(ans),
			 qssh_buf_len(ans), afd)) != 0)
			goto out;
		if (afd >= 0) {
			close(afd);
			afd = -1;
		}
	}
	q->pending = MONITOR_ANS_KBDINT_RESPOND;
	if ((r = qssh_buf_consume(msg, 1)) != 0 ||
	    (r = qssh_buf_get_bool(msg, &cancel)) != 0 ||
	    (r = qssh_buf_get_u32(msg, &got)) != 0)
		goto out;
	if (cancel) {
		r = QSSH_ERR_ACCESS;
		goto out;
	}
	if (got != n) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	for (i = 0; i < n; i++) {
		size_t alen;

		if ((r = qssh_buf_get_cstring(msg, &v[i], &alen)) != 0)
			goto out;
		if (alen > MONITOR_KBDINT_ANSWER_MAX) {
			r = QSSH_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	if ((r = req_end(msg)) != 0)
		goto out;
	*answers = v;
	v = NULL;
	r = 0;
out:
	/* A child that breaks the conversation loses the connection. */
	if (r == QSSH_ERR_CONN_CLOSED && m->state != MONITOR_STATE_DEAD) {
		qlog_debug("monitor: child closed the connection");
		m->state = MONITOR_STATE_DEAD;
		close(m->fd);
		m->fd = -1;
	} else if (r != 0 && r != QSSH_ERR_ACCESS && r != QSSH_ERR_TIMEOUT &&
	    m->state != MONITOR_STATE_DEAD)
		(void)mon_kill(m, "keyboard-interactive conversation", r);
	if (afd >= 0)
		close(afd);
	monitor_kbdint_answers_free(v, n);
	qssh_buf_free(info);
	qssh_buf_free(msg); /* wipes the answers */
	qssh_buf_free(ans);
	return r;
}

void
monitor_kbdint_answers_free(char **answers, uint32_t n)
{
	uint32_t i;

	if (answers == NULL)
		return;
	for (i = 0; i < n; i++)
		qssh_wipe_free_str(answers[i]);
	free(answers);
}

static int
mon_kbdint_start(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	struct monitor_kbdint q;
	bool ok = false;
	int r, cr;

	(void)ans_fd;
	if ((r = need_user(m, "keyboard-interactive")) != 0 ||
	    (r = req_end(req)) != 0)
		return r;
	if (m->in_kbdint)
		return QSSH_ERR_ACCESS;
	memset(&q, 0, sizeof(q));
	q.m = m;
	q.pending = MONITOR_ANS_KBDINT_START;
	if (m->cb != NULL && m->cb->kbdint != NULL && m->fd >= 0) {
		m->in_kbdint = true;
		cr = m->cb->kbdint(m->cb_ctx, m->pw, m->pw_valid, &q);
		m->in_kbdint = false;
		/* The child went away or was killed: no answer. */
		if (m->state == MONITOR_STATE_DEAD || m->fd < 0)
			return 0;
		ok = cr == 0 && m->pw_valid;
	}
	if ((r = put_kbdint_answer(ans, q.pending,
		 ok ? MONITOR_KBDINT_SUCCESS : MONITOR_KBDINT_FAILURE, NULL)) !=
	    0)
		return r;
	if (ok)
		auth_succeeded(m, "keyboard-interactive");
	return 0;
}

static int
mon_kbdint_respond(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	(void)m;
	(void)req;
	(void)ans;
	(void)ans_fd;
	/* Only valid inside a conversation, where it is read directly. */
	return QSSH_ERR_ACCESS;
}

/* ---- LOG ---- */

static int
mon_log(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	struct qssh_view line;
	char clean[MONITOR_LOG_LINE_MAX + 1];
	uint32_t level;
	size_t i;
	int r;

	(void)m;
	(void)ans;
	(void)ans_fd;
	if ((r = qssh_buf_get_u32(req, &level)) != 0 ||
	    (r = qssh_buf_get_string_view(req, &line)) != 0 ||
	    (r = req_end(req)) != 0)
		return r;
	if (level < QSSH_LOG_FATAL || level > QSSH_LOG_DEBUG3 ||
	    line.len > MONITOR_LOG_LINE_MAX)
		return QSSH_ERR_INVALID_FORMAT;
	/* The child's "debugN: " prefix is added again by qssh_log(). */
	if (level >= QSSH_LOG_DEBUG1 && line.len >= 8 &&
	    memcmp(line.p, "debug", 5) == 0 && line.p[6] == ':' &&
	    line.p[7] == ' ') {
		line.p += 8;
		line.len -= 8;
	}
	/* No control characters from the child into the log. */
	for (i = 0; i < line.len; i++) {
		uint8_t c = line.p[i];

		clean[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	clean[line.len] = '\0';
	qssh_log((enum qssh_log_level)level, "%s", clean);
	return 0;
}

/* ---- post-auth ---- */

static int
mon_session_start(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	uint32_t status = 1;
	int r;

	(void)ans_fd;
	if ((r = req_end(req)) != 0)
		return r;
	if (m->cb != NULL && m->cb->session_start != NULL &&
	    m->cb->session_start(m->cb_ctx, m->pw) == 0)
		status = 0;
	if ((r = qssh_buf_put_u8(ans, MONITOR_ANS_SESSION_START)) != 0 ||
	    (r = qssh_buf_put_u32(ans, status)) != 0)
		return r;
	if (status == 0)
		m->state = MONITOR_STATE_SESSION;
	return 0;
}

static int
mon_pty(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	char tty[MON_TTY_MAX];
	int fd = -1, r;
	uint32_t status = 1;

	if ((r = req_end(req)) != 0)
		return r;
	memset(tty, 0, sizeof(tty));
	if (m->cb != NULL && m->cb->pty_open != NULL &&
	    m->cb->pty_open(m->cb_ctx, m->pw, &fd, tty, sizeof(tty)) == 0 &&
	    fd >= 0)
		status = 0;
	else if (fd >= 0) {
		close(fd);
		fd = -1;
	}
	tty[sizeof(tty) - 1] = '\0';
	if (status != 0)
		tty[0] = '\0';
	if ((r = qssh_buf_put_u8(ans, MONITOR_ANS_PTY)) != 0 ||
	    (r = qssh_buf_put_u32(ans, status)) != 0 ||
	    (r = qssh_buf_put_cstring(ans, tty)) != 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ans_fd = fd;
	return 0;
}

/* ---- LOG_USER ---- */

static void
clean_copy(char *dst, struct qssh_view v)
{
	size_t i;

	for (i = 0; i < v.len; i++) {
		uint8_t c = v.p[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[v.len] = '\0';
}

static int
mon_log_user(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	struct qssh_view before, after;
	char b[MONITOR_LOG_LINE_MAX + 1], a[MONITOR_LOG_LINE_MAX + 1];
	const char *word = "", *name = "(unknown)";
	uint32_t level, style;
	int r;

	(void)ans;
	(void)ans_fd;
	if ((r = qssh_buf_get_u32(req, &level)) != 0 ||
	    (r = qssh_buf_get_u32(req, &style)) != 0 ||
	    (r = qssh_buf_get_string_view(req, &before)) != 0 ||
	    (r = qssh_buf_get_string_view(req, &after)) != 0 ||
	    (r = req_end(req)) != 0)
		return r;
	if (level < QSSH_LOG_FATAL || level > QSSH_LOG_DEBUG3 ||
	    style > MONITOR_LOG_USER_SESSION ||
	    before.len > MONITOR_LOG_LINE_MAX ||
	    after.len > MONITOR_LOG_LINE_MAX)
		return QSSH_ERR_INVALID_FORMAT;
	if ((r = need_user(m, "user log line")) != 0)
		return r;
	name = m->pw->name;
	switch (style) {
	case MONITOR_LOG_USER_AUTHENTICATING:
		word = m->pw_valid ? "authenticating user " : "invalid user ";
		break;
	case MONITOR_LOG_USER_PLAIN:
		word = m->pw_valid ? "" : "invalid user ";
		break;
	default:
		word = "user ";
		break;
	}
	clean_copy(b, before);
	clean_copy(a, after);
	qssh_log((enum qssh_log_level)level, "%s%s%s%s", b, word, name, a);
	return 0;
}

/* ---- sessions ---- */

static int
need_session_cb(const struct monitor *m, bool have)
{
	if (m->scb == NULL || !have) {
		qlog_error("monitor: no session support");
		return QSSH_ERR_ACCESS;
	}
	return 0;
}

void
monitor_exec_cleanup(struct monitor_exec *ex)
{
	size_t i;

	if (ex == NULL)
		return;
	free(ex->command);
	free(ex->term);
	free(ex->modes);
	for (i = 0; i < ex->num_env; i++)
		qssh_wipe_free_str(ex->env[i]);
	free(ex->env);
	memset(ex, 0, sizeof(*ex));
}

static int
parse_exec(struct qssh_buf *req, struct monitor_exec *ex)
{
	uint32_t kind, n, i;
	int r;

	if ((r = qssh_buf_get_u32(req, &kind)) != 0 ||
	    (r = qssh_buf_get_cstring(req, &ex->command, NULL)) != 0 ||
	    (r = qssh_buf_get_bool(req, &ex->pty)) != 0 ||
	    (r = qssh_buf_get_cstring(req, &ex->term, NULL)) != 0 ||
	    (r = qssh_buf_get_u32(req, &ex->cols)) != 0 ||
	    (r = qssh_buf_get_u32(req, &ex->rows)) != 0 ||
	    (r = qssh_buf_get_u32(req, &ex->width_px)) != 0 ||
	    (r = qssh_buf_get_u32(req, &ex->height_px)) != 0 ||
	    (r = qssh_buf_get_string(req, &ex->modes, &ex->modes_len)) != 0 ||
	    (r = qssh_buf_get_u32(req, &n)) != 0)
		return r;
	if (kind > MONITOR_EXEC_SUBSYSTEM || n > MONITOR_EXEC_ENV_MAX ||
	    ex->modes_len > MONITOR_EXEC_MODES_MAX)
		return QSSH_ERR_INVALID_FORMAT;
	ex->kind = (enum monitor_exec_kind)kind;
	if (n > 0 && (ex->env = calloc(n, sizeof(*ex->env))) == NULL)
		return QSSH_ERR_ALLOC;
	for (i = 0; i < n; i++) {
		if ((r = qssh_buf_get_cstring(req, &ex->env[i], NULL)) != 0)
			return r;
		ex->num_env++;
		if (strchr(ex->env[i], '=') == NULL)
			return QSSH_ERR_INVALID_FORMAT;
	}
	return req_end(req);
}

static int
mon_session_exec(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	struct monitor_exec ex;
	uint32_t status = 1, id = 0;
	int fd = -1, r;

	memset(&ex, 0, sizeof(ex));
	if ((r = parse_exec(req, &ex)) != 0)
		goto out;
	if ((r = need_session_cb(
		 m, m->scb != NULL && m->scb->session_exec != NULL)) != 0)
		goto out;
	if (m->scb->session_exec(m->scb_ctx, m->pw, &ex, &fd, &id) == 0 &&
	    fd >= 0)
		status = 0;
	else if (fd >= 0) {
		close(fd);
		fd = -1;
	}
	if ((r = qssh_buf_put_u8(ans, MONITOR_ANS_SESSION_EXEC)) != 0 ||
	    (r = qssh_buf_put_u32(ans, status)) != 0 ||
	    (r = qssh_buf_put_u32(ans, status == 0 ? id : 0)) != 0)
		goto out;
	*ans_fd = fd;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	monitor_exec_cleanup(&ex);
	return r;
}

static int
mon_session_fd(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	uint32_t id, which, status = 1;
	int fd = -1, r;

	if ((r = qssh_buf_get_u32(req, &id)) != 0 ||
	    (r = qssh_buf_get_u32(req, &which)) != 0 || (r = req_end(req)) != 0)
		return r;
	if ((r = need_session_cb(
		 m, m->scb != NULL && m->scb->session_fd != NULL)) != 0)
		return r;
	if (m->scb->session_fd(m->scb_ctx, id, which, &fd) == 0 && fd >= 0)
		status = 0;
	else if (fd >= 0) {
		close(fd);
		fd = -1;
	}
	if ((r = qssh_buf_put_u8(ans, MONITOR_ANS_SESSION_FD)) != 0 ||
	    (r = qssh_buf_put_u32(ans, status)) != 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ans_fd = fd;
	return 0;
}

static int
mon_session_signal(
    struct monitor *m, struct qssh_buf *req, struct qssh_buf *ans, int *ans_fd)
{
	uint32_t id, status = 1;
	char *sig = NULL;
	int r;

	(void)ans_fd;
	if ((r = qssh_buf_get_u32(req, &id)) != 0 ||
	    (r = qssh_buf_get_cstring(req, &sig, NULL)) != 0 ||
	    (r = req_end(req)) != 0)
		goto out;
	if ((r = need_session_cb(
		 m, m->scb != NULL && m->scb->session_signal != NULL)) != 0)
		goto out;
	if (m->scb->session_signal(m->scb_ctx, id, sig) == 0)
		status = 0;
	if ((r = qssh_buf_put_u8(ans, MONITOR_ANS_SESSION_SIGNAL)) != 0 ||
	    (r = qssh_buf_put_u32(ans, status)) != 0)
		goto out;
	r = 0;
out:
	free(sig);
	return r;
}

static const struct mon_req mon_reqs[] = {
	{ MONITOR_REQ_SIGN, "sign", MON_ST_ALL, 0, mon_sign },
	{ MONITOR_REQ_GETPW, "getpw", MON_ST_PRE, MON_ONCE, mon_getpw },
	{ MONITOR_REQ_AUTH_PASSWORD, "auth-password", MON_ST_PRE, 0,
	    mon_auth_password },
	{ MONITOR_REQ_KEY_ALLOWED, "key-allowed", MON_ST_PRE, 0,
	    mon_key_allowed },
	{ MONITOR_REQ_KEY_VERIFY, "key-verify", MON_ST_PRE, 0, mon_key_verify },
	{ MONITOR_REQ_LOG, "log", MON_ST_ALL, 0, mon_log },
	{ MONITOR_REQ_SESSION_START, "session-start", MON_ST_AUTH, MON_ONCE,
	    mon_session_start },
	{ MONITOR_REQ_PTY, "pty", MON_ST_SESS, 0, mon_pty },
	{ MONITOR_REQ_LOG_USER, "log-user", MON_ST_ALL, 0, mon_log_user },
	{ MONITOR_REQ_SESSION_EXEC, "session-exec", MON_ST_SESS, 0,
	    mon_session_exec },
	{ MONITOR_REQ_SESSION_FD, "session-fd", MON_ST_SESS, 0,
	    mon_session_fd },
	{ MONITOR_REQ_SESSION_SIGNAL, "session-signal", MON_ST_SESS, 0,
	    mon_session_signal },
	{ MONITOR_REQ_KBDINT_START, "kbdint-start", MON_ST_PRE, 0,
	    mon_kbdint_start },
	{ MONITOR_REQ_KBDINT_RESPOND, "kbdint-respond", MON_ST_PRE, 0,
	    mon_kbdint_respond },
};

/* ---- the monitor object ---- */

struct monitor *
monitor_new(int fd, const struct monitor_config *cfg)
{
	struct monitor *m;

	if (cfg == NULL || (m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->fd = fd;
	m->state = MONITOR_STATE_PREAUTH;
	m->host_keys = cfg->host_keys;
	m->num_host_keys = cfg->host_keys == NULL ? 0 : cfg->num_host_keys;
	m->cb = cfg->cb;
	m->cb_ctx = cfg->cb_ctx;
	if (cfg->fake_secret != NULL)
		memcpy(
		    m->fake_secret, cfg->fake_secret, sizeof(m->fake_secret));
	else if (qssh_random_bytes(m->fake_secret, sizeof(m->fake_secret)) != 0)
		goto fail;
	if ((m->service = strdup(
		 cfg->service != NULL ? cfg->service : "ssh-connection")) ==
	    NULL)
		goto fail;
	return m;
fail:
	m->fd = -1;
	monitor_free(m);
	return NULL;
}

void
monitor_free(struct monitor *m)
{
	if (m == NULL)
		return;
	if (m->fd >= 0)
		close(m->fd);
	free(m->service);
	monitor_pw_free(m->pw);
	free(m->session_id);
	free(m->allowed_blob);
	key_free(m->allowed_key);
	qssh_wipe(m, sizeof(*m));
	free(m);
}

void
monitor_set_session_callbacks(
    struct monitor *m, const struct monitor_session_callbacks *cb, void *ctx)
{
	m->scb = cb;
	m->scb_ctx = ctx;
}

void
monitor_set_deadline(struct monitor *m, uint64_t deadline_ms)
{
	m->deadline_ms = deadline_ms;
}

int
monitor_get_fd(const struct monitor *m)
{
	return m->fd;
}

enum monitor_state
monitor_get_state(const struct monitor *m)
{
	return m->state;
}

const struct monitor_pw *
monitor_get_user(const struct monitor *m, bool *valid)
{
	if (valid != NULL)
		*valid = m->pw_valid;
	return m->pw;
}

/* Any refusal ends the connection: log, close, dead. */
static int
mon_kill(struct monitor *m, const char *what, int r)
{
	qlog_error(
	    "monitor: %s: %s; closing connection", what, qssh_strerror(r));
	m->state = MONITOR_STATE_DEAD;
	if (m->fd >= 0) {
		close(m->fd);
		m->fd = -1;
	}
	return r;
}

int
monitor_handle_msg(struct monitor *m, const uint8_t *msg, size_t len,
    struct qssh_buf *ans, int *ans_fd)
{
	const struct mon_req *rq = NULL;
	struct qssh_buf *req = NULL;
	size_t ans_len0 = qssh_buf_len(ans), i;
	int fd = -1, r = QSSH_ERR_INTERNAL;
	char what[64];

	*ans_fd = -1;
	if (m->state == MONITOR_STATE_DEAD)
		return QSSH_ERR_CONN_CLOSED;
	if (len == 0)
		return mon_kill(m, "empty request", QSSH_ERR_INVALID_FORMAT);
	if (len > MONITOR_MSG_MAX)
		return mon_kill(
		    m, "oversized request", QSSH_ERR_PACKET_TOO_LARGE);
	for (i = 0; i < QSSH_ARRAY_LEN(mon_reqs); i++) {
		if (mon_reqs[i].type == msg[0]) {
			rq = &mon_reqs[i];
			break;
		}
	}
	if (rq == NULL) {
		snprintf(what, sizeof(what), "unknown request type %u",
		    (unsigned)msg[0]);
		return mon_kill(m, what, QSSH_ERR_UNEXPECTED_MESSAGE);
	}
	snprintf(what, sizeof(what), "request %s in state %s", rq->name,
	    state_name(m->state));
	if ((rq->states & MON_ST(m->state)) == 0 ||
	    ((rq->flags & MON_ONCE) != 0 &&
		(m->used_once & (1u << rq->type)) != 0))
		return mon_kill(m, what, QSSH_ERR_ACCESS);
	if ((req = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put(req, msg + 1, len - 1)) != 0)
		goto out;
	if ((r = rq->fn(m, req, ans, &fd)) != 0)
		goto out;
	if ((rq->flags & MON_ONCE) != 0)
		m->used_once |= 1u << rq->type;
	*ans_fd = fd;
	fd = -1;
	r = 0;
out:
	qssh_buf_free(req);
	if (fd >= 0)
		close(fd);
	if (r != 0) {
		if (qssh_buf_len(ans) > ans_len0)
			(void)qssh_buf_consume_end(
			    ans, qssh_buf_len(ans) - ans_len0);
		return mon_kill(m, what, r);
	}
	return 0;
}

int
monitor_serve_one(struct monitor *m)
{
	struct qssh_buf *msg = NULL, *ans = NULL;
	int afd = -1, r = QSSH_ERR_INTERNAL;

	if (m->state == MONITOR_STATE_DEAD || m->fd < 0)
		return QSSH_ERR_CONN_CLOSED;
	if ((msg = qssh_buf_new()) == NULL || (ans = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = monitor_msg_recv(m->fd, msg, NULL)) != 0) {
		if (r == QSSH_ERR_CONN_CLOSED) {
			qlog_debug("monitor: child closed the connection");
			m->state = MONITOR_STATE_DEAD;
			close(m->fd);
			m->fd = -1;
		} else
			(void)mon_kill(m, "reading request", r);
		goto out;
	}
	if ((r = monitor_handle_msg(
		 m, qssh_buf_ptr(msg), qssh_buf_len(msg), ans, &afd)) != 0)
		goto out;
	if (qssh_buf_len(ans) != 0 &&
	    (r = monitor_msg_send(
		 m->fd, qssh_buf_ptr(ans), qssh_buf_len(ans), afd)) != 0) {
		(void)mon_kill(m, "sending answer", r);
		goto out;
	}
	r = 0;
out:
	if (afd >= 0)
		close(afd);
	qssh_buf_free(msg);
	qssh_buf_free(ans);
	return r;
}

int
monitor_serve(struct monitor *m)
{
	int r;

	while ((r = monitor_serve_one(m)) == 0)
		;
	return r == QSSH_ERR_CONN_CLOSED ? 0 : r;
}
