/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-connection control process of qsshd.  It enters the sandbox
 * before it reads a byte from the peer and stays there: version exchange,
 * key exchange (and rekeys), user authentication and the connection
 * protocol run here; everything privileged is a monitor request.
 *
 * Normally the connection's socket belongs to the dataplane process and
 * this process talks to it over a relay (dataplane/relay.h): a session's
 * descriptors (pty master, or a socket for stdin/stdout and a pipe for
 * stderr) are bound to its channel there, and its data never comes here.
 * Without a dataplane process, this process reads the socket itself and
 * shuttles session data within the channel windows.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/auth_server.h"
#include "control/channel.h"
#include "control/kex.h"
#include "control/key.h"
#include "control/monitor.h"
#include "control/privsep.h"
#include "crypto-offload/cryp.h"
#include "dataplane/relay.h"
#include "dataplane/transport.h"
#include "drivers/sock.h"
#include "qsshd.h"

#define MAX_SESS 16
#define IO_CHUNK (64 * 1024)
#define ENV_MAX 64

struct csess {
	struct conn *cn;
	struct chan *ch;
	bool dead; /* channel freed; release at a safe point */
	bool want_pty;
	char *term;
	uint32_t cols, rows, wpx, hpx;
	struct qssh_buf *modes;
	char *env[ENV_MAX];
	size_t num_env;
	bool started;
	bool is_pty;
	uint32_t id;
	int io_fd, err_fd, exit_fd;
	struct qssh_buf *in; /* channel data for the session's stdin */
	bool in_eof, in_shut;
	bool out_eof, err_eof;
	bool exited;
	uint32_t wstatus;
	bool finished;
	/* Relay: BIND sent (binding) and acknowledged (bound). */
	bool binding, bound;
	bool exit_told;
};

struct conn {
	struct qsshd *d;
	const struct qsshd_peer *peer;
	const struct servconf *cfg;
	int mon_fd;
	struct tport *t;
	struct kex *kex;
	struct tctl *c;
	struct auth_server *auth;
	struct chan_ctx *chans;
	bool version_done;
	bool authed;
	bool closing; /* flush and exit */
	struct csess *sess[MAX_SESS];
	struct key *pub[QSSHD_MAX_HOSTKEYS]; /* public host keys */
	size_t num_pub;
	struct qssh_buf *moduli; /* moduli(5) text */
	char *methods_text; /* the user's AuthenticationMethods */
	char **methods_v;
	struct qssh_buf *banner; /* Banner file, read before the sandbox */
	bool banner_sent;
};

static void __attribute__((noreturn)) die(int code)
{
	_exit(code);
}

/* ---- output ---- */

static int
flush_out(struct conn *cn, bool block)
{
	struct qssh_view v;
	struct pollfd pfd;
	ssize_t n;

	while (tport_output_len(cn->t) > 0) {
		v = tport_output(cn->t);
		n = write(cn->peer->out_fd, v.p, v.len);
		if (n > 0) {
			(void)tport_output_consume(cn->t, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!block)
				return 0;
			pfd.fd = cn->peer->out_fd;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, 5000);
			continue;
		}
		return QSSH_ERR_CONN_CLOSED;
	}
	return 0;
}

/* ---- authentication glue ---- */

static int
auth_send(void *ctx, uint8_t type, const uint8_t *p, size_t len)
{
	struct conn *cn = ctx;

	return tport_send(cn->t, type, p, len);
}

/* The user's own settings (after Match) from the monitor's answer. */
static int
apply_policy(struct conn *cn, const struct monitor_auth_policy *p)
{
	struct auth_server_config acfg;
	char *save = NULL, *tok;
	size_t n = 0;

	if (!p->present)
		return 0;
	free(cn->methods_text);
	free(cn->methods_v);
	cn->methods_v = NULL;
	if ((cn->methods_text = strdup(p->auth_methods)) == NULL ||
	    (cn->methods_v = calloc(strlen(p->auth_methods) / 2 + 2,
		 sizeof(*cn->methods_v))) == NULL)
		return QSSH_ERR_ALLOC;
	for (tok = strtok_r(cn->methods_text, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save))
		cn->methods_v[n++] = tok;
	memset(&acfg, 0, sizeof(acfg));
	acfg.pubkey = p->pubkey;
	acfg.password = p->password;
	acfg.kbdint = p->kbdint;
	acfg.max_tries = p->max_tries;
	acfg.pubkey_algs = p->pubkey_algs[0] == '\0' ? NULL : p->pubkey_algs;
	acfg.auth_methods = cn->methods_v;
	acfg.num_auth_methods = n;
	return auth_server_update_config(cn->auth, &acfg);
}

static int
auth_set_user(void *ctx, const char *user)
{
	struct conn *cn = ctx;
	struct monitor_auth_policy p;
	struct monitor_pw *pw = NULL;
	int r;

	if ((r = monitor_req_getpw_policy(cn->mon_fd, user, &pw, &p)) != 0)
		return r;
	monitor_pw_free(pw);
	r = apply_policy(cn, &p);
	monitor_auth_policy_cleanup(&p);
	return r;
}

static int
auth_password(void *ctx, const char *password, bool *ok)
{
	struct conn *cn = ctx;

	return monitor_req_auth_password(cn->mon_fd, password, ok);
}

static int
auth_key_allowed(void *ctx, const uint8_t *blob, size_t len, bool *ok)
{
	struct conn *cn = ctx;

	return monitor_req_key_allowed(cn->mon_fd, blob, len, ok);
}

static int
auth_key_verify(void *ctx, const uint8_t *blob, size_t bloblen,
    const uint8_t *sig, size_t siglen, const uint8_t *data, size_t datalen,
    bool *ok)
{
	struct conn *cn = ctx;

	return monitor_req_key_verify(
	    cn->mon_fd, blob, bloblen, sig, siglen, data, datalen, ok);
}

static void
log_user(struct conn *cn, enum qssh_log_level level,
    enum monitor_log_user_style style, const char *before, const char *after)
{
	char buf[512];

	if (!qssh_log_enabled(level))
		return;
	/* The monitor composes the line; the pre-auth marker goes along. */
	snprintf(
	    buf, sizeof(buf), "%s%s", after, cn->authed ? "" : " [preauth]");
	(void)monitor_req_log_user(cn->mon_fd, level, style, before, buf);
}

static void
auth_log_user(void *ctx, enum qssh_log_level level,
    enum auth_server_user_style style, const char *before, const char *after)
{
	log_user(ctx, level,
	    style == AUTH_USER_PLAIN ? MONITOR_LOG_USER_PLAIN
				     : MONITOR_LOG_USER_AUTHENTICATING,
	    before, after);
}

static int
auth_kbdint(void *ctx, bool start, bool cancel, uint32_t n,
    char *const *answers, uint32_t *status, struct qssh_buf *info)
{
	struct conn *cn = ctx;

	return monitor_req_kbdint(
	    cn->mon_fd, start, cancel, n, answers, status, info);
}

static const struct auth_server_ops auth_ops = {
	auth_send,
	auth_set_user,
	auth_password,
	auth_key_allowed,
	auth_key_verify,
	auth_log_user,
	auth_kbdint,
};

/*
 * Host key signatures: the private halves live in the monitor only; the
 * monitor also takes the first exchange hash it signs as the session
 * identifier that publickey signatures must cover.
 */
static int
kex_sign_cb(void *ctx, const struct key *pub, const char *alg,
    const uint8_t *data, size_t len, struct qssh_buf *sig)
{
	struct conn *cn = ctx;
	size_t i;

	for (i = 0; i < cn->num_pub; i++) {
		if (cn->pub[i] == pub)
			return monitor_req_sign(
			    cn->mon_fd, (uint32_t)i, alg, data, len, sig);
	}
	return QSSH_ERR_KEY_NOT_FOUND;
}

/*
 * Keep public copies of the host keys and wipe the private ones that the
 * fork left in this process.
 */
static int
drop_private_keys(struct conn *cn, struct qsshd *d)
{
	size_t i;
	int r;

	for (i = 0; i < d->num_host_keys; i++) {
		cn->pub[i] = NULL;
		if (d->host_keys[i] != NULL &&
		    (r = key_demote(d->host_keys[i], &cn->pub[i])) != 0)
			return r;
		key_free(d->host_keys[i]);
		d->host_keys[i] = NULL;
	}
	cn->num_pub = d->num_host_keys;
	return 0;
}

/*
 * Read a whole small file (Banner, moduli) before the sandbox, into one
 * allocation of the file's size: no copies of a growing buffer.
 */
static struct qssh_buf *
read_file(const char *path, size_t max)
{
	struct qssh_buf *b = NULL;
	struct stat st;
	uint8_t *dst;
	size_t len, chunk;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || (b = qssh_buf_new()) == NULL)
		goto fail;
	/* A size that is too large is found by the reads below. */
	if (S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size < max &&
	    qssh_buf_ensure(b, (size_t)st.st_size + 1) != 0)
		goto fail;
	for (;;) {
		len = qssh_buf_len(b);
		if (len > max)
			goto fail;
		/* Up to the expected end and one byte more, to see EOF. */
		chunk = 16384;
		if (S_ISREG(st.st_mode) && st.st_size > 0 &&
		    (uint64_t)st.st_size >= len &&
		    (uint64_t)st.st_size - len < chunk)
			chunk = (size_t)st.st_size - len + 1;
		if (chunk > max - len + 1)
			chunk = max - len + 1;
		if (qssh_buf_reserve(b, chunk, &dst) != 0)
			goto fail;
		n = read(fd, dst, chunk);
		if (qssh_buf_consume_end(
			b, n > 0 ? chunk - (size_t)n : chunk) != 0)
			goto fail;
		if (n == 0)
			break;
		if (n == -1 && errno != EINTR)
			goto fail;
	}
	close(fd);
	return b;
fail:
	qssh_buf_free(b);
	close(fd);
	return NULL;
}

/* SSH_MSG_USERAUTH_BANNER (RFC 4252 section 5.4), once. */
static int
send_banner(struct conn *cn)
{
	struct qssh_buf *b;
	int r;

	cn->banner_sent = true;
	if (cn->banner == NULL || qssh_buf_len(cn->banner) == 0)
		return 0;
	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put_string(
		 b, qssh_buf_ptr(cn->banner), qssh_buf_len(cn->banner))) == 0 &&
	    (r = qssh_buf_put_cstring(b, "")) == 0)
		r = tport_send_buf(cn->t, SSH_MSG_USERAUTH_BANNER, b);
	qssh_buf_free(b);
	return r;
}

/*
 * Whether the key exchange may use diffie-hellman-group-exchange (and so
 * moduli(5)): the list built here is the one kex_new() offers.  When it
 * cannot be built, the file is read as before.
 */
static bool
kex_may_use_moduli(const struct servconf *cfg)
{
	char *list = NULL, *save = NULL, *tok;
	bool gex = true;

	if (kex_assemble_list(kex_default_list(KEX_PROP_KEX, KEX_ROLE_SERVER),
		kex_supported_list(KEX_PROP_KEX), cfg->kex_algorithms,
		&list) == 0) {
		gex = false;
		for (tok = strtok_r(list, ",", &save); tok != NULL && !gex;
		     tok = strtok_r(NULL, ",", &save))
			gex =
			    strncmp(tok, "diffie-hellman-group-exchange-",
				strlen("diffie-hellman-group-exchange-")) == 0;
	}
	free(list);
	return gex;
}

/*
 * moduli(5) is read before the sandbox closes the file system, and only
 * when a group exchange may be negotiated (the file is about 0.5 MiB).
 */
static void
read_moduli(struct conn *cn, const char *path)
{
	if (!kex_may_use_moduli(cn->cfg))
		return;
	if ((cn->moduli = read_file(path, 16 * 1024 * 1024)) == NULL)
		qlog_info(
		    "WARNING: could not open %s (%s), using fixed modulus",
		    path, strerror(errno));
}

static int
auth_create(struct conn *cn)
{
	struct auth_server_config acfg;
	const uint8_t *sid;
	size_t sid_len;
	char *algs = NULL;
	int r;

	if ((r = kex_session_id(cn->kex, &sid, &sid_len)) != 0)
		return r;
	memset(&acfg, 0, sizeof(acfg));
	acfg.pubkey = cn->cfg->pubkey_authentication;
	acfg.password = cn->cfg->password_authentication;
	/* keyboard-interactive is PAM's conversation. */
	acfg.kbdint =
	    cn->cfg->kbd_interactive_authentication && cn->cfg->use_pam;
	acfg.auth_methods = cn->cfg->auth_methods.v;
	acfg.num_auth_methods = cn->cfg->auth_methods.n;
	acfg.max_tries = (unsigned)cn->cfg->max_authtries;
	if (servconf_algs_resolve(SERVCONF_ALG_SIG,
		cn->cfg->pubkey_accepted_algorithms, &algs) == 0)
		acfg.pubkey_algs = algs;
	acfg.addr = cn->peer->addr;
	acfg.port = cn->peer->port;
	acfg.session_id = sid;
	acfg.session_id_len = sid_len;
	acfg.host_key_blobs = (const struct qssh_buf *const *)cn->d->host_blobs;
	acfg.num_host_keys = cn->d->num_host_keys;
	acfg.failure_delay_ms = 5;
	cn->auth = auth_server_new(&acfg, &auth_ops, cn);
	free(algs);
	return cn->auth == NULL ? QSSH_ERR_ALLOC : 0;
}

/* ---- sessions ---- */

static void
sess_close_fds(struct csess *s)
{
	if (s->io_fd >= 0)
		close(s->io_fd);
	if (s->err_fd >= 0)
		close(s->err_fd);
	if (s->exit_fd >= 0)
		close(s->exit_fd);
	s->io_fd = s->err_fd = s->exit_fd = -1;
}

static void
sess_free(struct csess *s)
{
	size_t i;

	sess_close_fds(s);
	free(s->term);
	qssh_buf_free(s->modes);
	qssh_buf_free(s->in);
	for (i = 0; i < s->num_env; i++)
		free(s->env[i]);
	free(s);
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return QSSH_ERR_SYSTEM;
	return 0;
}

static int
encode_modes(const struct chan_tty_modes *m, struct qssh_buf *b)
{
	unsigned op;
	int r;

	for (op = 1; op < CHAN_TTY_OP_MAX; op++) {
		if (!m->set[op])
			continue;
		if ((r = qssh_buf_put_u8(b, (uint8_t)op)) != 0 ||
		    (r = qssh_buf_put_u32(b, m->value[op])) != 0)
			return r;
	}
	return 0;
}

static int sess_bind(struct conn *cn, struct csess *s);

static bool
sess_start(struct conn *cn, struct csess *s, enum monitor_exec_kind kind,
    const char *command)
{
	struct monitor_exec ex;
	int r;

	memset(&ex, 0, sizeof(ex));
	ex.kind = kind;
	ex.command = (char *)(uintptr_t)(command == NULL ? "" : command);
	ex.pty = s->want_pty;
	ex.term = s->term;
	ex.cols = s->cols;
	ex.rows = s->rows;
	ex.width_px = s->wpx;
	ex.height_px = s->hpx;
	if (s->modes != NULL) {
		ex.modes = qssh_buf_mutable_ptr(s->modes);
		ex.modes_len = qssh_buf_len(s->modes);
	}
	ex.env = s->env;
	ex.num_env = s->num_env;
	if ((r = monitor_req_session_exec(
		 cn->mon_fd, &ex, &s->io_fd, &s->id)) != 0) {
		qlog_debug("session start failed: %s", qssh_strerror(r));
		return false;
	}
	s->started = true;
	/* No stderr descriptor means the session runs on a pty. */
	r = monitor_req_session_fd(
	    cn->mon_fd, s->id, MONITOR_SESSION_FD_STDERR, &s->err_fd);
	s->is_pty = r != 0;
	if (s->is_pty)
		s->err_eof = true;
	if (monitor_req_session_fd(
		cn->mon_fd, s->id, MONITOR_SESSION_FD_EXIT, &s->exit_fd) != 0) {
		qlog_error("session %u: no exit notification", s->id);
		s->exited = true;
		s->wstatus = 255 << 8;
	}
	(void)set_nonblock(s->io_fd);
	if (s->err_fd >= 0)
		(void)set_nonblock(s->err_fd);
	if (cn->peer->relayed && (r = sess_bind(cn, s)) != 0) {
		qlog_error(
		    "session %u: dataplane: %s", s->id, qssh_strerror(r));
		cn->closing = true;
	}
	return true;
}

/* Queue an application record and send it with descriptors attached. */
static int
relay_send_fds(
    struct conn *cn, const struct qssh_buf *rec, const int *fds, size_t nfds)
{
	struct qssh_view v;
	struct iovec iov;
	unsigned waits = 0;
	ssize_t n;
	int r;

	if (nfds == 0 || nfds > SOCK_FDS_MAX)
		return QSSH_ERR_INVALID_ARGUMENT;
	/* The descriptors ride on the record's first byte. */
	if ((r = flush_out(cn, true)) != 0)
		return r;
	if ((r = tport_relay_send_app(
		 cn->t, qssh_buf_ptr(rec), qssh_buf_len(rec))) != 0)
		return r;
	v = tport_output(cn->t);
	iov.iov_base = (void *)(uintptr_t)v.p;
	iov.iov_len = v.len;
	while (
	    (n = sock_sendmsg_fds(cn->peer->out_fd, &iov, 1, fds, nfds)) <= 0) {
		struct pollfd pfd = { cn->peer->out_fd, POLLOUT, 0 };

		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return QSSH_ERR_CONN_CLOSED;
		/* The dataplane stopped reading us: give up in time. */
		if (++waits > 6)
			return QSSH_ERR_TIMEOUT;
		(void)poll(&pfd, 1, 5000);
	}
	(void)tport_output_consume(cn->t, (size_t)n);
	return flush_out(cn, true);
}

/*
 * Hand the session's descriptors and its channel's data path to the
 * dataplane.  From here on its CHANNEL_DATA, EXTENDED_DATA,
 * WINDOW_ADJUST and EOF stay there; until RELAY_APP_BOUND comes back,
 * those that reach this process anyway are sent after it.
 */
static int
sess_bind(struct conn *cn, struct csess *s)
{
	struct qssh_buf *b;
	int fds[2];
	size_t nfds = 0;
	uint8_t flags = 0;
	int r;

	fds[nfds++] = s->io_fd;
	if (s->err_fd >= 0)
		fds[nfds++] = s->err_fd;
	if (s->is_pty)
		flags |= RELAY_BIND_PTY;
	if (s->in_eof)
		flags |= RELAY_BIND_EOF;
	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put_u8(b, RELAY_APP_BIND)) != 0 ||
	    (r = qssh_buf_put_u32(b, chan_id(s->ch))) != 0 ||
	    (r = qssh_buf_put_u32(b, chan_remote_id(s->ch))) != 0 ||
	    (r = qssh_buf_put_u32(b, chan_local_window(s->ch))) != 0 ||
	    (r = qssh_buf_put_u32(b, chan_local_max_packet(s->ch))) != 0 ||
	    (r = qssh_buf_put_u32(b, chan_remote_window(s->ch))) != 0 ||
	    (r = qssh_buf_put_u32(b, chan_remote_max_packet(s->ch))) != 0 ||
	    (r = qssh_buf_put_u8(b, flags)) != 0 ||
	    (r = qssh_buf_put_u8(b, (uint8_t)nfds)) != 0 ||
	    (r = qssh_buf_put_string(
		 b, qssh_buf_ptr(s->in), qssh_buf_len(s->in))) != 0 ||
	    (r = relay_send_fds(cn, b, fds, nfds)) != 0) {
		qssh_buf_free(b);
		return r;
	}
	qssh_buf_free(b);
	qssh_buf_reset(s->in);
	s->binding = true;
	/* The pty master stays for window-change; the rest is theirs. */
	if (!s->is_pty) {
		close(s->io_fd);
		s->io_fd = -1;
	}
	if (s->err_fd >= 0) {
		close(s->err_fd);
		s->err_fd = -1;
	}
	return 0;
}

static struct csess *
sess_by_chan_id(struct conn *cn, uint32_t id)
{
	size_t i;

	for (i = 0; i < MAX_SESS; i++) {
		struct csess *s = cn->sess[i];

		if (s != NULL && !s->dead && s->ch != NULL &&
		    chan_id(s->ch) == id)
			return s;
	}
	return NULL;
}

static uint32_t
ch_open(void *user, struct chan *ch, const struct chan_open_info *info,
    const char **desc)
{
	struct conn *cn = user;
	struct csess *s;
	size_t i;

	if (info->type != CHAN_TYPE_SESSION) {
		*desc = "open failed";
		return CHAN_OPEN_ADMINISTRATIVELY_PROHIBITED;
	}
	for (i = 0; i < MAX_SESS && cn->sess[i] != NULL; i++)
		;
	if (i == MAX_SESS || (s = calloc(1, sizeof(*s))) == NULL) {
		*desc = "no more sessions";
		return CHAN_OPEN_RESOURCE_SHORTAGE;
	}
	s->cn = cn;
	s->ch = ch;
	s->io_fd = s->err_fd = s->exit_fd = -1;
	if ((s->in = qssh_buf_new()) == NULL) {
		free(s);
		return CHAN_OPEN_RESOURCE_SHORTAGE;
	}
	cn->sess[i] = s;
	chan_set_user(ch, s);
	return CHAN_OPEN_ACCEPT;
}

static int
ch_request(void *user, struct chan *ch, const struct chan_request *req)
{
	struct conn *cn = user;
	struct csess *s = chan_user(ch);
	struct winsize ws;
	char *e;

	if (s == NULL)
		return CHAN_REPLY_FAILURE;
	switch (req->type) {
	case CHAN_REQ_PTY:
		if (s->started || s->want_pty)
			return CHAN_REPLY_FAILURE;
		free(s->term);
		if ((s->term = strdup(req->term)) == NULL ||
		    (s->modes = qssh_buf_new()) == NULL ||
		    encode_modes(&req->modes, s->modes) != 0)
			return CHAN_REPLY_FAILURE;
		s->want_pty = true;
		s->cols = req->cols;
		s->rows = req->rows;
		s->wpx = req->width_px;
		s->hpx = req->height_px;
		return CHAN_REPLY_SUCCESS;
	case CHAN_REQ_ENV:
		if (s->started || s->num_env >= ENV_MAX)
			return CHAN_REPLY_FAILURE;
		if (asprintf(&e, "%s=%s", req->env_name, req->env_value) < 0)
			return CHAN_REPLY_FAILURE;
		s->env[s->num_env++] = e;
		return CHAN_REPLY_SUCCESS;
	case CHAN_REQ_SHELL:
		if (s->started)
			return CHAN_REPLY_FAILURE;
		return sess_start(cn, s, MONITOR_EXEC_SHELL, NULL)
		    ? CHAN_REPLY_SUCCESS
		    : CHAN_REPLY_FAILURE;
	case CHAN_REQ_EXEC:
		if (s->started)
			return CHAN_REPLY_FAILURE;
		return sess_start(cn, s, MONITOR_EXEC_COMMAND, req->command)
		    ? CHAN_REPLY_SUCCESS
		    : CHAN_REPLY_FAILURE;
	case CHAN_REQ_SUBSYSTEM:
		if (s->started)
			return CHAN_REPLY_FAILURE;
		return sess_start(cn, s, MONITOR_EXEC_SUBSYSTEM, req->command)
		    ? CHAN_REPLY_SUCCESS
		    : CHAN_REPLY_FAILURE;
	case CHAN_REQ_WINDOW_CHANGE:
		if (!s->started || !s->is_pty || s->io_fd < 0)
			return CHAN_REPLY_FAILURE;
		memset(&ws, 0, sizeof(ws));
		ws.ws_col = (unsigned short)req->cols;
		ws.ws_row = (unsigned short)req->rows;
		ws.ws_xpixel = (unsigned short)req->width_px;
		ws.ws_ypixel = (unsigned short)req->height_px;
		return ioctl(s->io_fd, TIOCSWINSZ, &ws) == 0
		    ? CHAN_REPLY_SUCCESS
		    : CHAN_REPLY_FAILURE;
	case CHAN_REQ_SIGNAL:
		if (!s->started || s->exited)
			return CHAN_REPLY_FAILURE;
		return monitor_req_session_signal(
			   cn->mon_fd, s->id, req->signal) == 0
		    ? CHAN_REPLY_SUCCESS
		    : CHAN_REPLY_FAILURE;
	default:
		return CHAN_REPLY_FAILURE;
	}
}

static int
ch_data(
    void *user, struct chan *ch, uint32_t ext, const uint8_t *data, size_t len)
{
	struct csess *s = chan_user(ch);

	(void)user;
	if (s == NULL || ext != 0 || s->in_shut || (s->started && s->io_fd < 0))
		return chan_consume(ch, len);
	return qssh_buf_put(s->in, data, len);
}

static void
ch_eof(void *user, struct chan *ch)
{
	struct csess *s = chan_user(ch);

	(void)user;
	if (s != NULL)
		s->in_eof = true;
}

static void
ch_close(void *user, struct chan *ch)
{
	struct csess *s = chan_user(ch);

	(void)user;
	if (s != NULL && !s->finished) {
		/* The peer went away first: hang up on the session. */
		if (s->started && !s->exited)
			(void)monitor_req_session_signal(
			    s->cn->mon_fd, s->id, "HUP");
		sess_close_fds(s);
	}
}

static void
ch_freed(void *user, struct chan *ch)
{
	struct csess *s = chan_user(ch);

	(void)user;
	if (s != NULL) {
		s->ch = NULL;
		s->dead = true;
		chan_set_user(ch, NULL);
	}
}

static int
ch_global(
    void *user, const struct chan_global_request *req, struct qssh_buf *reply)
{
	(void)user;
	(void)req;
	(void)reply;
	return CHAN_REPLY_FAILURE;
}

static const struct chan_callbacks chan_cb = {
	.open = ch_open,
	.request = ch_request,
	.data = ch_data,
	.eof = ch_eof,
	.close = ch_close,
	.freed = ch_freed,
	.global_request = ch_global,
};

static int
chan_send(void *user, uint8_t type, const uint8_t *p, size_t len)
{
	struct conn *cn = user;

	return tport_send(cn->t, type, p, len);
}

static int
chan_send2(void *user, uint8_t type, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	struct conn *cn = user;

	return tport_send2(cn->t, type, a, alen, b, blen);
}

static const char *
sig_name(int sig)
{
	switch (sig) {
	case SIGABRT:
		return "ABRT";
	case SIGALRM:
		return "ALRM";
	case SIGFPE:
		return "FPE";
	case SIGHUP:
		return "HUP";
	case SIGILL:
		return "ILL";
	case SIGINT:
		return "INT";
	case SIGKILL:
		return "KILL";
	case SIGPIPE:
		return "PIPE";
	case SIGQUIT:
		return "QUIT";
	case SIGSEGV:
		return "SEGV";
	case SIGTERM:
		return "TERM";
	case SIGUSR1:
		return "USR1";
	case SIGUSR2:
		return "USR2";
	default:
		return "SIG@openssh.com";
	}
}

/* All output drained and the process reaped: exit-status, EOF, CLOSE. */
static int
sess_maybe_finish(struct csess *s)
{
	struct chan_request ex;
	int st = (int)s->wstatus;

	if (s->finished || s->ch == NULL || !s->exited || !s->out_eof ||
	    !s->err_eof)
		return 0;
	s->finished = true;
	memset(&ex, 0, sizeof(ex));
	if (WIFSIGNALED(st)) {
		ex.type = CHAN_REQ_EXIT_SIGNAL;
		ex.signal = sig_name(WTERMSIG(st));
		ex.core_dumped = WCOREDUMP(st) != 0;
		ex.error_msg = "";
		ex.lang = "";
	} else {
		ex.type = CHAN_REQ_EXIT_STATUS;
		ex.exit_status = (uint32_t)WEXITSTATUS(st);
	}
	sess_close_fds(s);
	return chan_finish(s->ch, &ex);
}

/* Read from a session descriptor into the channel. */
static int
sess_pump_out(struct csess *s, int *fd, uint32_t ext, bool *eof)
{
	uint8_t buf[IO_CHUNK];
	size_t room, acc;
	ssize_t n;
	int r;

	while (!*eof && *fd >= 0 && s->ch != NULL &&
	    (room = chan_writable(s->ch)) > 0) {
		if (room > sizeof(buf))
			room = sizeof(buf);
		n = read(*fd, buf, room);
		if (n > 0) {
			r = ext == 0
			    ? chan_write(s->ch, buf, (size_t)n, &acc)
			    : chan_write_ext(s->ch, ext, buf, (size_t)n, &acc);
			if (r != 0)
				return r;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* A pty of an exited session: what is left is read. */
			if (s->is_pty && s->exited && ext == 0)
				*eof = true;
			break;
		}
		/* 0 (end of file) or EIO (pty slave closed). */
		*eof = true;
	}
	return 0;
}

static int
sess_pump_in(struct csess *s)
{
	ssize_t n;
	int r;

	while (qssh_buf_len(s->in) > 0 && s->io_fd >= 0) {
		n = write(s->io_fd, qssh_buf_ptr(s->in), qssh_buf_len(s->in));
		if (n > 0) {
			if ((r = qssh_buf_consume(s->in, (size_t)n)) != 0)
				return r;
			if (s->ch != NULL &&
			    (r = chan_consume(s->ch, (size_t)n)) != 0)
				return r;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		/* The session closed its stdin: drop what is left. */
		if (s->ch != NULL)
			(void)chan_consume(s->ch, qssh_buf_len(s->in));
		qssh_buf_reset(s->in);
		s->in_shut = true;
		return 0;
	}
	if (s->in_eof && !s->in_shut && s->io_fd >= 0 && !s->is_pty) {
		(void)shutdown(s->io_fd, SHUT_WR);
		s->in_shut = true;
	}
	return 0;
}

static void
sess_read_exit(struct csess *s)
{
	uint8_t b[4];
	ssize_t n;

	n = read(s->exit_fd, b, sizeof(b));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	s->exited = true;
	s->wstatus = n == 4 ? qssh_get_u32be(b) : (uint32_t)(255 << 8);
	close(s->exit_fd);
	s->exit_fd = -1;
}

static int
sessions_io(struct conn *cn, struct pollfd *pfd, size_t npfd)
{
	size_t i, j;
	int r;

	for (i = 0; i < MAX_SESS; i++) {
		struct csess *s = cn->sess[i];

		if (s == NULL || !s->started || s->dead)
			continue;
		for (j = 0; j < npfd; j++) {
			if (pfd[j].revents == 0)
				continue;
			if (pfd[j].fd == s->exit_fd)
				sess_read_exit(s);
		}
		if (s->binding || s->bound) {
			uint8_t rec[5];

			if (s->exited && s->is_pty && !s->exit_told) {
				/* A pty's end is EAGAIN once it exited. */
				s->exit_told = true;
				rec[0] = RELAY_APP_EXITED;
				qssh_put_u32be(rec + 1, chan_id(s->ch));
				if ((r = tport_relay_send_app(
					 cn->t, rec, sizeof(rec))) != 0)
					return r;
			}
			if ((r = sess_maybe_finish(s)) != 0)
				return r;
			continue;
		}
		if ((r = sess_pump_in(s)) != 0 ||
		    (r = sess_pump_out(s, &s->io_fd, 0, &s->out_eof)) != 0 ||
		    (r = sess_pump_out(s, &s->err_fd, CHAN_EXTENDED_DATA_STDERR,
			 &s->err_eof)) != 0)
			return r;
		if ((r = sess_maybe_finish(s)) != 0)
			return r;
	}
	return 0;
}

static void
sessions_reap_dead(struct conn *cn)
{
	size_t i;

	for (i = 0; i < MAX_SESS; i++) {
		if (cn->sess[i] != NULL && cn->sess[i]->dead) {
			sess_free(cn->sess[i]);
			cn->sess[i] = NULL;
		}
	}
}

static size_t
sessions_poll(struct conn *cn, struct pollfd *pfd, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < MAX_SESS && n + 3 <= max; i++) {
		struct csess *s = cn->sess[i];
		bool room;

		if (s == NULL || !s->started || s->dead || s->ch == NULL)
			continue;
		room = chan_writable(s->ch) > 0;
		if (s->binding || s->bound) {
			if (s->exit_fd >= 0) {
				pfd[n].fd = s->exit_fd;
				pfd[n].events = POLLIN;
				n++;
			}
			continue;
		}
		if (s->io_fd >= 0) {
			pfd[n].fd = s->io_fd;
			pfd[n].events = 0;
			if (room && !s->out_eof)
				pfd[n].events |= POLLIN;
			if (qssh_buf_len(s->in) > 0)
				pfd[n].events |= POLLOUT;
			n++;
		}
		if (s->err_fd >= 0 && room && !s->err_eof) {
			pfd[n].fd = s->err_fd;
			pfd[n].events = POLLIN;
			n++;
		}
		if (s->exit_fd >= 0) {
			pfd[n].fd = s->exit_fd;
			pfd[n].events = POLLIN;
			n++;
		}
	}
	return n;
}

/* ---- packets ---- */

static int
after_auth(struct conn *cn)
{
	struct chan_config cc;
	int r;

	cn->authed = true;
	tport_auth_done(cn->t);
	if ((r = monitor_req_session_start(cn->mon_fd)) != 0) {
		qlog_error("session start refused by the monitor");
		return r;
	}
	memset(&cc, 0, sizeof(cc));
	cc.is_server = true;
	cc.max_sessions = (uint32_t)cn->cfg->max_sessions;
	cc.manual_consume = true;
	cc.send2 = chan_send2;
	if ((cn->chans = chan_ctx_new(chan_send, &chan_cb, cn, &cc)) == NULL)
		return QSSH_ERR_ALLOC;
	/*
	 * The process may now stay idle for long: give the pages that the
	 * key exchange and authentication used and freed back to the system.
	 */
	(void)malloc_trim(0);
	return 0;
}

/* RELAY_APP_BOUND and RELAY_APP_DRAINED from the dataplane. */
static int
handle_app(struct conn *cn, struct qssh_view pl)
{
	struct csess *s;
	uint8_t app, rec[5];
	uint32_t id;

	if (qssh_view_get_u8(&pl, &app) != 0 ||
	    qssh_view_get_u32(&pl, &id) != 0 || pl.len != 0)
		return QSSH_ERR_PROTOCOL;
	/* The channel may be gone (the peer closed it): nothing to do. */
	if ((s = sess_by_chan_id(cn, id)) == NULL)
		return 0;
	switch (app) {
	case RELAY_APP_BOUND:
		if (!s->binding)
			return QSSH_ERR_PROTOCOL;
		s->binding = false;
		s->bound = true;
		rec[0] = RELAY_APP_BIND_DONE;
		qssh_put_u32be(rec + 1, id);
		return tport_relay_send_app(cn->t, rec, sizeof(rec));
	case RELAY_APP_DRAINED:
		if (!s->bound)
			return QSSH_ERR_PROTOCOL;
		s->out_eof = s->err_eof = true;
		return sess_maybe_finish(s);
	default:
		return QSSH_ERR_PROTOCOL;
	}
}

/*
 * A channel message that the dataplane relayed before it took the channel
 * over: it goes back, after the binding, in order.
 */
static bool
forward_if_binding(struct conn *cn, uint8_t type, struct qssh_view pl, int *rp)
{
	struct qssh_view v = pl;
	struct qssh_buf *b;
	struct csess *s;
	uint32_t id;

	*rp = 0;
	if (type < SSH_MSG_CHANNEL_WINDOW_ADJUST ||
	    type > SSH_MSG_CHANNEL_CLOSE || qssh_view_get_u32(&v, &id) != 0 ||
	    (s = sess_by_chan_id(cn, id)) == NULL || !s->binding)
		return false;
	if ((b = qssh_buf_new()) == NULL) {
		*rp = QSSH_ERR_ALLOC;
		return true;
	}
	if ((*rp = qssh_buf_put_u8(b, RELAY_APP_FORWARD)) == 0 &&
	    (*rp = qssh_buf_put_u8(b, type)) == 0 &&
	    (*rp = qssh_buf_put(b, pl.p, pl.len)) == 0)
		*rp = tport_relay_send_app(
		    cn->t, qssh_buf_ptr(b), qssh_buf_len(b));
	qssh_buf_free(b);
	return true;
}

static int
handle_packet(struct conn *cn, uint8_t type, struct qssh_view pl)
{
	char *svc = NULL;
	int r;

	if (type == TPORT_MSG_RELAY_APP)
		return cn->authed ? handle_app(cn, pl) : QSSH_ERR_PROTOCOL;
	switch (type) {
	case SSH_MSG_SERVICE_REQUEST:
		if ((r = tctl_parse_service(pl, &svc)) != 0)
			return r;
		if (strcmp(svc, "ssh-userauth") != 0 || cn->authed) {
			qlog_info("bad service request %s", svc);
			free(svc);
			(void)tport_send_disconnect(cn->t,
			    SSH_DISCONNECT_SERVICE_NOT_AVAILABLE,
			    "bad service request");
			cn->closing = true;
			return 0;
		}
		free(svc);
		return tctl_send_service_accept(cn->c, "ssh-userauth");
	case SSH_MSG_USERAUTH_REQUEST:
		if (cn->authed)
			return 0;
		if (cn->auth == NULL && (r = auth_create(cn)) != 0)
			return r;
		if (!cn->banner_sent && (r = send_banner(cn)) != 0)
			return r;
		r = auth_server_handle(cn->auth, pl);
		if (r == AUTH_SERVER_DONE)
			return after_auth(cn);
		if (r == QSSH_ERR_ACCESS) {
			(void)tport_send_disconnect(cn->t,
			    SSH_DISCONNECT_PROTOCOL_ERROR,
			    "Too many authentication failures");
			cn->closing = true;
			return 0;
		}
		return r;
	case SSH_MSG_USERAUTH_INFO_RESPONSE:
		if (cn->authed || cn->auth == NULL)
			return QSSH_ERR_UNEXPECTED_MESSAGE;
		r = auth_server_handle_info_response(cn->auth, pl);
		if (r == AUTH_SERVER_DONE)
			return after_auth(cn);
		if (r == QSSH_ERR_ACCESS) {
			(void)tport_send_disconnect(cn->t,
			    SSH_DISCONNECT_PROTOCOL_ERROR,
			    "Too many authentication failures");
			cn->closing = true;
			return 0;
		}
		return r;
	default:
		if (type >= SSH_MSG_GLOBAL_REQUEST &&
		    type <= SSH_MSG_CHANNEL_FAILURE) {
			if (!cn->authed || cn->chans == NULL)
				return QSSH_ERR_UNEXPECTED_MESSAGE;
			if (cn->peer->relayed &&
			    forward_if_binding(cn, type, pl, &r))
				return r;
			r = chan_ctx_handle_packet(cn->chans, type, pl);
			if (r == QSSH_ERR_NOT_SUPPORTED)
				return 0;
			if (r != 0)
				qlog_error(
				    "channel: %s", chan_ctx_error(cn->chans));
			return r;
		}
		qlog_debug("ignoring message %u", type);
		return 0;
	}
}

/* ---- the connection ---- */

static void
end_log(struct conn *cn, int r)
{
	char after[160];
	const char *user = cn->auth != NULL ? auth_server_user(cn->auth) : NULL;

	snprintf(after, sizeof(after), " %s port %d", cn->peer->addr,
	    cn->peer->port);
	if (r == QSSH_ERR_DISCONNECTED) {
		if (cn->authed)
			qlog_info("Disconnected from user %s %s port %d", user,
			    cn->peer->addr, cn->peer->port);
		else if (user != NULL)
			log_user(cn, QSSH_LOG_INFO,
			    MONITOR_LOG_USER_AUTHENTICATING,
			    "Disconnected from ", after);
		else
			qlog_info("Disconnected from %s port %d",
			    cn->peer->addr, cn->peer->port);
		return;
	}
	if (r == QSSH_ERR_CONN_CLOSED && user != NULL) {
		log_user(cn, QSSH_LOG_INFO,
		    cn->authed ? MONITOR_LOG_USER_SESSION
			       : MONITOR_LOG_USER_AUTHENTICATING,
		    "Connection closed by ", after);
		return;
	}
	(void)tctl_fatal(cn->c, r);
}

/* One read from the peer; *more when the read filled the buffer. */
static int
read_input(struct conn *cn, bool *more)
{
	uint8_t buf[IO_CHUNK];
	ssize_t n;

	*more = false;
	for (;;) {
		n = read(cn->peer->in_fd, buf, sizeof(buf));
		if (n > 0) {
			*more = (size_t)n == sizeof(buf);
			return tport_input(cn->t, buf, (size_t)n);
		}
		if (n == 0)
			return QSSH_ERR_CONN_CLOSED;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return QSSH_ERR_CONN_CLOSED;
	}
}

static int
process_input(struct conn *cn)
{
	struct qssh_view pl;
	const char *ident;
	uint8_t type;
	int r;

	if (!cn->version_done) {
		r = tport_read_version(cn->t, &ident);
		if (r == QSSH_ERR_AGAIN)
			return 0;
		if (r != 0)
			return r;
		cn->version_done = true;
		qlog_debug("Remote protocol version 2.0, remote software "
			   "version %s",
		    ident);
	}
	while (!cn->closing && (r = tctl_next_packet(cn->c, &type, &pl)) == 0) {
		if ((r = handle_packet(cn, type, pl)) != 0)
			return r;
	}
	if (cn->closing)
		return 0;
	return r == QSSH_ERR_AGAIN ? 0 : r;
}

static int
run(struct conn *cn)
{
	struct pollfd pfd[QSSHD_CHILD_NOFILE - 8];
	size_t npfd, ns;
	int r, n;

	for (;;) {
		sessions_reap_dead(cn);
		if ((r = flush_out(cn, false)) != 0)
			return r;
		if (cn->closing) {
			(void)flush_out(cn, true);
			return 0;
		}
		pfd[0].fd = cn->peer->in_fd;
		pfd[0].events = POLLIN;
		npfd = 1;
		if (tport_output_len(cn->t) > 0) {
			if (cn->peer->out_fd == cn->peer->in_fd)
				pfd[0].events |= POLLOUT;
			else {
				pfd[1].fd = cn->peer->out_fd;
				pfd[1].events = POLLOUT;
				npfd = 2;
			}
		}
		ns = sessions_poll(cn, pfd + npfd, QSSH_ARRAY_LEN(pfd) - npfd);
		n = poll(pfd, npfd + ns, -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return QSSH_ERR_SYSTEM;
		}
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
			bool more = true;
			int rr = 0;

			/* Take packets out after each read: input is capped. */
			while (more && rr == 0 && !cn->closing) {
				rr = read_input(cn, &more);
				/* Packets before an EOF still count. */
				if ((r = process_input(cn)) != 0)
					return r;
			}
			if (rr != 0)
				return rr;
		}
		if (cn->chans != NULL &&
		    (r = sessions_io(cn, pfd + npfd, ns)) != 0)
			return r;
	}
}

static void
child_log_setup(int mon_fd)
{
	/* Lines go to the monitor only: nothing may be opened later. */
	(void)qssh_log_set_file("/dev/null");
	qssh_log_set_hook(monitor_log_hook, (void *)(intptr_t)mon_fd);
	qssh_log_set_suffix(" [preauth]");
}

static int
enter_sandbox(const struct qsshd *d)
{
	struct privsep_sandbox_opts o;

	memset(&o, 0, sizeof(o));
	o.nofile = QSSHD_CHILD_NOFILE;
	if (d->privileged)
		return privsep_sandbox_apply(&o);
	/* Unprivileged daemon: no chroot or user switch, the rest stays. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return QSSH_ERR_SYSTEM;
	return privsep_seccomp_install();
}

static void
conn_cleanup(struct conn *cn)
{
	size_t i;

	for (i = 0; i < cn->num_pub; i++)
		key_free(cn->pub[i]);
	qssh_buf_free(cn->moduli);
	qssh_buf_free(cn->banner);
	free(cn->methods_text);
	free(cn->methods_v);
}

void
qsshd_control(struct qsshd *d, const struct qsshd_peer *peer,
    const struct servconf *cfg, int mon_fd)
{
	struct kex_config kc;
	struct conn cn;
	char ident[300];
	int r;

	memset(&cn, 0, sizeof(cn));
	cn.d = d;
	cn.peer = peer;
	cn.cfg = cfg;
	cn.mon_fd = mon_fd;
	child_log_setup(mon_fd);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGCHLD, SIG_DFL);
	(void)signal(SIGHUP, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	(void)sock_set_nonblock(peer->in_fd, true);
	if (peer->out_fd != peer->in_fd)
		(void)sock_set_nonblock(peer->out_fd, true);
	if (!peer->relayed)
		(void)sock_set_tcp_opts(peer->in_fd, cfg->tcp_keep_alive);
	memset(&kc, 0, sizeof(kc));
	kc.kex_algs = cfg->kex_algorithms;
	kc.hostkey_algs = cfg->host_key_algorithms;
	kc.ciphers = cfg->ciphers;
	kc.macs = cfg->macs;
	kc.compression = cfg->compression ? NULL : "none";
	if ((r = drop_private_keys(&cn, d)) != 0) {
		qlog_error("host keys: %s", qssh_strerror(r));
		die(255);
	}
	kc.host_keys = cn.pub;
	kc.num_host_keys = cn.num_pub;
	kc.sign = kex_sign_cb;
	kc.sign_ctx = &cn;
	kc.moduli_path = servconf_str_set(cfg->moduli_file) ? cfg->moduli_file
							    : KEX_MODULI_PATH;
	read_moduli(&cn, kc.moduli_path);
	if (servconf_str_set(cfg->banner) &&
	    (cn.banner = read_file(cfg->banner, 64 * 1024)) == NULL)
		qlog_error("Banner %s: cannot read it", cfg->banner);
	if (cn.moduli != NULL) {
		kc.moduli_text = (const char *)qssh_buf_ptr(cn.moduli);
		kc.moduli_text_len = qssh_buf_len(cn.moduli);
	} else {
		/* Unreadable: an empty text selects the built-in groups. */
		kc.moduli_text = "";
		kc.moduli_text_len = 0;
	}
	if (servconf_str_set(cfg->version_addendum))
		snprintf(ident, sizeof(ident), "%s %s", QSSHD_VERSION,
		    cfg->version_addendum);
	else
		snprintf(ident, sizeof(ident), "%s", QSSHD_VERSION);
	cn.t = peer->relayed ? tport_new_relay(true)
			     : tport_new(true, cryp_backend_default());
	if (cn.t == NULL || tport_send_version(cn.t, ident) != 0) {
		qlog_error("transport setup failed");
		die(255);
	}
	tport_set_rekey_limits(cn.t,
	    (uint64_t)(cfg->rekey_limit < 0 ? 0 : cfg->rekey_limit),
	    (uint32_t)(cfg->rekey_interval < 0 ? 0 : cfg->rekey_interval));
	if ((cn.kex = kex_new(cn.t, KEX_ROLE_SERVER, &kc, &r)) == NULL) {
		qlog_error("kex setup failed: %s", qssh_strerror(r));
		die(255);
	}
	if ((cn.c = tctl_new(cn.t, cn.kex)) == NULL)
		die(255);
	kex_set_peer_name(cn.kex, peer->addr, peer->port);
	tctl_set_peer_name(cn.c, peer->addr, peer->port);
	/* Sandboxed before the first byte from the peer is read. */
	if ((r = enter_sandbox(d)) != 0) {
		qlog_error("sandbox: %s", qssh_strerror(r));
		die(255);
	}
	qlog_debug("control process %ld sandboxed", (long)getpid());
	if ((r = kex_start(cn.kex)) != 0)
		die(255);
	r = run(&cn);
	if (r != 0)
		end_log(&cn, r);
	(void)flush_out(&cn, true);
	chan_ctx_free(cn.chans);
	auth_server_free(cn.auth);
	tctl_free(cn.c);
	kex_free(cn.kex);
	tport_free(cn.t);
	conn_cleanup(&cn);
	die(r == 0 || r == QSSH_ERR_DISCONNECTED ? 0 : 255);
}
