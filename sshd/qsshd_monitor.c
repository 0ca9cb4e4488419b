/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The privileged per-connection monitor of qsshd: forks the sandboxed
 * control process, serves its requests (control/monitor.h) with the
 * daemon's policy (AllowUsers and friends, PermitRootLogin, passwords
 * through PAM, authorized_keys read as the user with StrictModes checks),
 * starts the session processes as the user and reaps them.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <poll.h>
#include <pty.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/auth_server.h"
#include "control/authkeys.h"
#include "control/key.h"
#include "control/match.h"
#include "control/monitor.h"
#include "qsshd.h"

#define MSESS_MAX 32
#define STDPATH "/usr/local/bin:/usr/bin:/bin:/usr/games"
#define SUPERUSER_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct msess {
	bool used;
	uint32_t id;
	pid_t pid;
	bool pty;
	int err_fd; /* read end of stderr, until handed over */
	int exit_rd; /* read end of the exit pipe, until handed over */
	int exit_wr; /* kept; the status is written when reaped */
	bool logged_in; /* utmp/wtmp record to close */
	char tty[64];
};

struct mctx {
	struct qsshd *d;
	struct qsshd_peer *peer;
	struct servconf *cfg; /* effective: global + Match */
	/*
	 * The one of the connection (before Match User): the control process
	 * uses it, so it stays until the end, unchanged.  Freeing it here
	 * would write to pages the two processes share and give each of them
	 * a private copy.
	 */
	struct servconf *conn_cfg;
	struct qsshd_pam *pam;
	bool allowed; /* passed AllowUsers etc. */
	bool valid;
	struct authkeys_entry *key_entry; /* options of the allowed key */
	struct msess sess[MSESS_MAX];
	uint32_t next_id;
	pid_t child;
	int child_status;
	bool child_done;
};

static int sigchld_pipe[2] = { -1, -1 };

static void
on_sigchld(int sig)
{
	int saved = errno;
	char c = 'c';

	(void)sig;
	if (sigchld_pipe[1] >= 0)
		(void)!write(sigchld_pipe[1], &c, 1);
	errno = saved;
}

/* ---- policy ---- */

static int
user_groups(const char *user, gid_t gid, char ***names, size_t *n)
{
	gid_t *gids = NULL;
	int ng = 64, i;
	char **v = NULL;
	struct group *gr;

	*names = NULL;
	*n = 0;
	for (;;) {
		free(gids);
		if ((gids = calloc((size_t)ng, sizeof(*gids))) == NULL)
			return QSSH_ERR_ALLOC;
		if (getgrouplist(user, gid, gids, &ng) != -1)
			break;
		if (ng > 65536) {
			free(gids);
			return QSSH_ERR_SYSTEM;
		}
	}
	if ((v = calloc((size_t)ng + 1, sizeof(*v))) == NULL) {
		free(gids);
		return QSSH_ERR_ALLOC;
	}
	for (i = 0; i < ng; i++) {
		if ((gr = getgrgid(gids[i])) != NULL && gr->gr_name != NULL)
			v[(*n)++] = strdup(gr->gr_name);
	}
	free(gids);
	*names = v;
	return 0;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool
list_match_user(
    const struct servconf_strlist *l, const char *user, const char *addr)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (match_user(user, addr, addr, l->v[i]) == 1)
			return true;
	}
	return false;
}

static bool
list_match_groups(
    const struct servconf_strlist *l, char **groups, size_t ngroups)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		for (j = 0; j < ngroups; j++) {
			if (groups[j] != NULL &&
			    match_pattern_list(groups[j], l->v[i], false) == 1)
				return true;
		}
	}
	return false;
}

/* AllowUsers, DenyUsers, AllowGroups, DenyGroups and the shell. */
static bool
user_allowed(const struct mctx *c, const struct monitor_pw *pw)
{
	const struct servconf *cfg = c->cfg;
	const char *addr = c->peer->addr, *why = NULL;
	char **groups = NULL;
	size_t ngroups = 0;
	struct stat st;
	const char *shell = pw->shell[0] == '\0' ? "/bin/sh" : pw->shell;
	bool ok = true;

	if (stat(shell, &st) == -1) {
		qlog_info("User %s not allowed because shell %s does not exist",
		    pw->name, shell);
		return false;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) {
		qlog_info("User %s not allowed because shell %s is not "
			  "executable",
		    pw->name, shell);
		return false;
	}
	if (cfg->deny_users.n > 0 &&
	    list_match_user(&cfg->deny_users, pw->name, addr))
		why = "listed in DenyUsers";
	else if (cfg->allow_users.n > 0 &&
	    !list_match_user(&cfg->allow_users, pw->name, addr))
		why = "not listed in AllowUsers";
	else if (cfg->deny_groups.n > 0 || cfg->allow_groups.n > 0) {
		if (user_groups(pw->name, pw->gid, &groups, &ngroups) != 0)
			why = "its groups could not be read";
		else if (cfg->deny_groups.n > 0 &&
		    list_match_groups(&cfg->deny_groups, groups, ngroups))
			why = "a group is listed in DenyGroups";
		else if (cfg->allow_groups.n > 0 &&
		    !list_match_groups(&cfg->allow_groups, groups, ngroups))
			why = "none of user's groups are listed in AllowGroups";
		free_strv(groups, ngroups);
	}
	if (why != NULL) {
		qlog_info("User %s from %s not allowed because %s", pw->name,
		    addr, why);
		ok = false;
	}
	return ok;
}

static bool
mon_user_known(void *ctx, const struct monitor_pw *pw, bool valid)
{
	struct mctx *c = ctx;
	struct servconf_conn ci;
	struct servconf *eff = NULL;

	c->valid = valid;
	/* Match User applies to the name, whether it exists or not. */
	memset(&ci, 0, sizeof(ci));
	ci.user = pw->name;
	ci.host = c->peer->addr;
	ci.addr = c->peer->addr;
	ci.laddr = c->peer->laddr;
	ci.lport = c->peer->lport;
	if (servconf_apply_match(c->d->cfg, &ci, &eff) == 0) {
		if (c->cfg != c->conn_cfg)
			servconf_free(c->cfg);
		c->cfg = eff;
	}
	if (!valid) {
		qlog_info("Invalid user %s from %s port %d", pw->name,
		    c->peer->addr, c->peer->port);
		c->allowed = false;
		return false;
	}
	/* Not running as root: only the invoking user can log in. */
	if (!c->d->privileged && pw->uid != getuid()) {
		qlog_info("User %s from %s not allowed because the server "
			  "does not run as root",
		    pw->name, c->peer->addr);
		c->allowed = false;
		return false;
	}
	c->allowed = user_allowed(c, pw);
	return c->allowed;
}

static bool
root_refused(const struct mctx *c, const struct monitor_pw *pw, bool password,
    bool forced)
{
	if (pw->uid != 0)
		return false;
	switch (c->cfg->permit_root_login) {
	case SERVCONF_ROOT_YES:
		return false;
	case SERVCONF_ROOT_NO_PASSWORD:
		return password;
	case SERVCONF_ROOT_FORCED_ONLY:
		return password || !forced;
	default:
		return true;
	}
}

static int
mon_password(
    void *ctx, const struct monitor_pw *pw, bool valid, const char *password)
{
	struct mctx *c = ctx;
	bool ok_policy = valid && c->allowed && c->cfg->password_authentication;
	int r;

	if (root_refused(c, pw, true, false)) {
		qlog_info("ROOT LOGIN REFUSED FROM %s port %d", c->peer->addr,
		    c->peer->port);
		ok_policy = false;
	}
	if (password[0] == '\0' && !c->cfg->permit_empty_passwd)
		ok_policy = false;
	/* The check runs for invalid users too: same work either way. */
	r = qsshd_pam_password(&c->pam, c->cfg, pw->name, valid && c->allowed,
	    c->peer->addr, password);
	if (r == 0 && ok_policy)
		return 0;
	qlog_info("Failed password for %s%s from %s port %d ssh2",
	    valid ? "" : "invalid user ", pw->name, c->peer->addr,
	    c->peer->port);
	return QSSH_ERR_ACCESS;
}

static int
mon_kbdint(void *ctx, const struct monitor_pw *pw, bool valid,
    struct monitor_kbdint *q)
{
	struct mctx *c = ctx;
	bool ok_policy = valid && c->allowed &&
	    c->cfg->kbd_interactive_authentication && c->cfg->use_pam;
	int r;

	if (!c->cfg->use_pam)
		return QSSH_ERR_ACCESS;
	if (root_refused(c, pw, true, false)) {
		qlog_info("ROOT LOGIN REFUSED FROM %s port %d", c->peer->addr,
		    c->peer->port);
		ok_policy = false;
	}
	/* Invalid users get the same conversation, which fails. */
	r = qsshd_pam_kbdint(
	    &c->pam, c->cfg, pw->name, ok_policy, c->peer->addr, q);
	if (r == 0 && ok_policy)
		return 0;
	qlog_info("Failed keyboard-interactive/pam for %s%s from %s port %d "
		  "ssh2",
	    valid ? "" : "invalid user ", pw->name, c->peer->addr,
	    c->peer->port);
	return QSSH_ERR_ACCESS;
}

static int
mon_user_policy(void *ctx, struct monitor_auth_policy *out)
{
	struct mctx *c = ctx;
	const struct servconf *cfg = c->cfg;
	size_t i, len = 1;

	out->pubkey = cfg->pubkey_authentication;
	out->password = cfg->password_authentication;
	out->kbdint = cfg->kbd_interactive_authentication && cfg->use_pam;
	out->max_tries = (uint32_t)cfg->max_authtries;
	for (i = 0; i < cfg->auth_methods.n; i++)
		len += strlen(cfg->auth_methods.v[i]) + 1;
	if ((out->auth_methods = calloc(1, len)) == NULL)
		return QSSH_ERR_ALLOC;
	for (i = 0; i < cfg->auth_methods.n; i++) {
		if (i > 0)
			strcat(out->auth_methods, " ");
		strcat(out->auth_methods, cfg->auth_methods.v[i]);
	}
	if (servconf_algs_resolve(SERVCONF_ALG_SIG,
		cfg->pubkey_accepted_algorithms, &out->pubkey_algs) != 0 &&
	    (out->pubkey_algs = strdup("")) == NULL)
		return QSSH_ERR_ALLOC;
	return 0;
}

static bool
mon_auth_complete(void *ctx, const char *done)
{
	struct mctx *c = ctx;

	return auth_methods_complete(
	    c->cfg->auth_methods.v, c->cfg->auth_methods.n, done);
}

/*
 * StrictModes: the file and every directory from it up to the home
 * directory (and up to / if the file lies outside it) must be owned by
 * root or the user and must not be writable by group or others.
 */
static bool
secure_path(const char *path, uid_t uid, const char *home)
{
	char buf[4096], *p;
	struct stat st;
	bool is_file = true;

	if (strlen(path) >= sizeof(buf))
		return false;
	memcpy(buf, path, strlen(path) + 1);
	for (;;) {
		if (stat(buf, &st) == -1)
			return is_file; /* a missing file fails later */
		if ((st.st_uid != 0 && st.st_uid != uid) ||
		    (st.st_mode & 022) != 0) {
			qlog_info("Authentication refused: bad ownership or "
				  "modes for %s %s",
			    is_file ? "file" : "directory", buf);
			return false;
		}
		if (!is_file && strcmp(buf, home) == 0)
			return true;
		is_file = false;
		if ((p = strrchr(buf, '/')) == NULL || p == buf)
			return true;
		*p = '\0';
	}
}

static int
check_keys_file(struct mctx *c, const struct monitor_pw *pw, const char *path,
    const struct key *key, struct authkeys_entry **out)
{
	struct authkeys_query q;
	uid_t saved_uid = geteuid();
	gid_t saved_gid = getegid();
	bool switched = false;
	int r;

	memset(&q, 0, sizeof(q));
	q.user = pw->name;
	q.remote_host = c->peer->addr;
	q.remote_ip = c->peer->addr;
	if (c->d->privileged && pw->uid != 0) {
		if (setegid(pw->gid) == -1 || seteuid(pw->uid) == -1) {
			qlog_error("temporarily_use_uid: %s", strerror(errno));
			(void)seteuid(saved_uid);
			(void)setegid(saved_gid);
			return QSSH_ERR_SYSTEM;
		}
		switched = true;
	}
	if (c->cfg->strict_modes && !secure_path(path, pw->uid, pw->home))
		r = QSSH_ERR_ACCESS;
	else
		r = authkeys_check_file(path, &q, key, out);
	if (switched &&
	    (seteuid(saved_uid) == -1 || setegid(saved_gid) == -1)) {
		qlog_fatal("restore_uid: %s", strerror(errno));
		_exit(255);
	}
	return r;
}

static int
mon_key_allowed(void *ctx, const struct monitor_pw *pw, const struct key *key)
{
	struct mctx *c = ctx;
	struct authkeys_entry *e = NULL;
	char *path = NULL;
	size_t i;
	int r = QSSH_ERR_KEY_NOT_FOUND;

	if (!c->valid || !c->allowed || !c->cfg->pubkey_authentication)
		return QSSH_ERR_ACCESS;
	for (i = 0; i < c->cfg->authorized_keys_files.n; i++) {
		const char *f = c->cfg->authorized_keys_files.v[i];

		if (!servconf_str_set(f))
			continue;
		if (servconf_expand_authorized_path(
			f, pw->home, pw->name, (unsigned)pw->uid, &path) != 0)
			continue;
		qlog_debug("trying public key file %s", path);
		r = check_keys_file(c, pw, path, key, &e);
		free(path);
		path = NULL;
		if (r == 0)
			break;
	}
	if (r != 0 || e == NULL)
		return QSSH_ERR_ACCESS;
	if (root_refused(c, pw, false, e->opts.force_command != NULL)) {
		qlog_info("ROOT LOGIN REFUSED FROM %s port %d", c->peer->addr,
		    c->peer->port);
		authkeys_entry_free(e);
		return QSSH_ERR_ACCESS;
	}
	authkeys_entry_free(c->key_entry);
	c->key_entry = e;
	return 0;
}

static int
mon_session_start(void *ctx, const struct monitor_pw *pw)
{
	struct mctx *c = ctx;

	/* The connection no longer counts against MaxStartups. */
	if (c->peer->startup_fd >= 0) {
		close(c->peer->startup_fd);
		c->peer->startup_fd = -1;
	}
	/* PAM sessions need root (an unprivileged daemon skips them). */
	if (c->cfg->use_pam && c->d->privileged) {
		if (qsshd_pam_account(&c->pam, pw->name, c->peer->addr) != 0)
			return QSSH_ERR_ACCESS;
		if (qsshd_pam_open_session(c->pam, NULL) != 0)
			return QSSH_ERR_ACCESS;
	}
	/* Authenticated: give back the pages the checks used and freed. */
	(void)malloc_trim(0);
	return 0;
}

/* ---- sessions ---- */

struct mode_map {
	uint8_t op;
	int kind; /* 0 c_cc, 1 iflag, 2 lflag, 3 oflag, 4 cflag */
	tcflag_t flag;
	int cc;
};

static const struct mode_map mode_map[] = {
	{ 1, 0, 0, VINTR },
	{ 2, 0, 0, VQUIT },
	{ 3, 0, 0, VERASE },
	{ 4, 0, 0, VKILL },
	{ 5, 0, 0, VEOF },
	{ 6, 0, 0, VEOL },
	{ 7, 0, 0, VEOL2 },
	{ 8, 0, 0, VSTART },
	{ 9, 0, 0, VSTOP },
	{ 10, 0, 0, VSUSP },
	{ 12, 0, 0, VREPRINT },
	{ 13, 0, 0, VWERASE },
	{ 14, 0, 0, VLNEXT },
	{ 18, 0, 0, VDISCARD },
	{ 30, 1, IGNPAR, 0 },
	{ 31, 1, PARMRK, 0 },
	{ 32, 1, INPCK, 0 },
	{ 33, 1, ISTRIP, 0 },
	{ 34, 1, INLCR, 0 },
	{ 35, 1, IGNCR, 0 },
	{ 36, 1, ICRNL, 0 },
	{ 37, 1, IUCLC, 0 },
	{ 38, 1, IXON, 0 },
	{ 39, 1, IXANY, 0 },
	{ 40, 1, IXOFF, 0 },
	{ 41, 1, IMAXBEL, 0 },
	{ 42, 1, IUTF8, 0 },
	{ 50, 2, ISIG, 0 },
	{ 51, 2, ICANON, 0 },
	{ 52, 2, XCASE, 0 },
	{ 53, 2, ECHO, 0 },
	{ 54, 2, ECHOE, 0 },
	{ 55, 2, ECHOK, 0 },
	{ 56, 2, ECHONL, 0 },
	{ 57, 2, NOFLSH, 0 },
	{ 58, 2, TOSTOP, 0 },
	{ 59, 2, IEXTEN, 0 },
	{ 60, 2, ECHOCTL, 0 },
	{ 61, 2, ECHOKE, 0 },
	{ 62, 2, PENDIN, 0 },
	{ 70, 3, OPOST, 0 },
	{ 71, 3, OLCUC, 0 },
	{ 72, 3, ONLCR, 0 },
	{ 73, 3, OCRNL, 0 },
	{ 74, 3, ONOCR, 0 },
	{ 75, 3, ONLRET, 0 },
	{ 90, 4, CS7, 0 },
	{ 91, 4, CS8, 0 },
	{ 92, 4, PARENB, 0 },
	{ 93, 4, PARODD, 0 },
};

static speed_t
baud_to_speed(uint32_t b)
{
	static const struct {
		uint32_t baud;
		speed_t sp;
	} t[] = { { 9600, B9600 }, { 19200, B19200 }, { 38400, B38400 },
		{ 57600, B57600 }, { 115200, B115200 }, { 230400, B230400 } };
	size_t i;

	for (i = 0; i < QSSH_ARRAY_LEN(t); i++) {
		if (t[i].baud == b)
			return t[i].sp;
	}
	return B38400;
}

static void
apply_modes(int fd, const uint8_t *m, size_t len)
{
	struct termios tio;
	size_t off = 0, i;

	if (tcgetattr(fd, &tio) == -1)
		return;
	while (len - off >= 5) {
		uint8_t op = m[off];
		uint32_t v = qssh_get_u32be(m + off + 1);

		off += 5;
		if (op == 0 || op >= 160)
			break;
		if (op == 128) {
			(void)cfsetispeed(&tio, baud_to_speed(v));
			continue;
		}
		if (op == 129) {
			(void)cfsetospeed(&tio, baud_to_speed(v));
			continue;
		}
		for (i = 0; i < QSSH_ARRAY_LEN(mode_map); i++) {
			const struct mode_map *mm = &mode_map[i];
			tcflag_t *f = NULL;

			if (mm->op != op)
				continue;
			switch (mm->kind) {
			case 0:
				tio.c_cc[mm->cc] = (cc_t)v;
				break;
			case 1:
				f = &tio.c_iflag;
				break;
			case 2:
				f = &tio.c_lflag;
				break;
			case 3:
				f = &tio.c_oflag;
				break;
			default:
				f = &tio.c_cflag;
				break;
			}
			if (f != NULL) {
				if (v != 0)
					*f |= mm->flag;
				else
					*f &= ~mm->flag;
			}
			break;
		}
	}
	(void)tcsetattr(fd, TCSANOW, &tio);
}

/* Environment of the session as a growable array of "NAME=value". */
struct envv {
	char **v;
	size_t n, cap;
};

static void
env_set(struct envv *e, const char *name, const char *value)
{
	size_t i, nl = strlen(name);
	char *s;

	if (asprintf(&s, "%s=%s", name, value) < 0)
		return;
	for (i = 0; i < e->n; i++) {
		if (strncmp(e->v[i], name, nl) == 0 && e->v[i][nl] == '=') {
			free(e->v[i]);
			e->v[i] = s;
			return;
		}
	}
	if (e->n + 2 > e->cap) {
		size_t nc = e->cap == 0 ? 32 : e->cap * 2;
		char **nv = realloc(e->v, nc * sizeof(*nv));

		if (nv == NULL) {
			free(s);
			return;
		}
		e->v = nv;
		e->cap = nc;
	}
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
}

static void
env_put(struct envv *e, const char *nameval)
{
	const char *eq = strchr(nameval, '=');
	char name[256];
	size_t nl;

	if (eq == NULL || (nl = (size_t)(eq - nameval)) == 0 ||
	    nl >= sizeof(name))
		return;
	memcpy(name, nameval, nl);
	name[nl] = '\0';
	env_set(e, name, eq + 1);
}

static bool
env_accepted(const struct servconf *cfg, const char *nameval)
{
	const char *eq = strchr(nameval, '=');
	char name[256];
	size_t i, nl;

	if (eq == NULL || (nl = (size_t)(eq - nameval)) == 0 ||
	    nl >= sizeof(name))
		return false;
	memcpy(name, nameval, nl);
	name[nl] = '\0';
	for (i = 0; i < cfg->accept_env.n; i++) {
		if (match_pattern_list(name, cfg->accept_env.v[i], false) == 1)
			return true;
	}
	return false;
}

struct sess_spec {
	const struct monitor_pw *pw;
	const struct monitor_exec *ex;
	const char *command; /* NULL: login shell */
	const char *original; /* SSH_ORIGINAL_COMMAND or NULL */
	const char *tty;
	const char *lastlog_msg; /* "Last login: ..." or "" */
	const char *chroot; /* checked ChrootDirectory or NULL */
};

static void
build_env(struct mctx *c, const struct sess_spec *sp, struct envv *e)
{
	const struct monitor_pw *pw = sp->pw;
	const char *shell = pw->shell[0] == '\0' ? "/bin/sh" : pw->shell;
	char buf[512], **pe;
	size_t i;

	/* Client-supplied variables first, so fixed ones override them. */
	for (i = 0; i < sp->ex->num_env; i++) {
		if (env_accepted(c->cfg, sp->ex->env[i]))
			env_put(e, sp->ex->env[i]);
	}
	if (c->cfg->permit_user_env && c->key_entry != NULL) {
		for (i = 0; i < c->key_entry->opts.num_env; i++)
			env_put(e, c->key_entry->opts.env[i]);
	}
	if ((pe = qsshd_pam_env(c->pam)) != NULL) {
		for (i = 0; pe[i] != NULL; i++) {
			env_put(e, pe[i]);
			free(pe[i]);
		}
		free(pe);
	}
	for (i = 0; i < c->cfg->set_env.n; i++)
		env_put(e, c->cfg->set_env.v[i]);
	env_set(e, "USER", pw->name);
	env_set(e, "LOGNAME", pw->name);
	env_set(e, "HOME", pw->home);
	env_set(e, "PATH", pw->uid == 0 ? SUPERUSER_PATH : STDPATH);
	snprintf(buf, sizeof(buf), "/var/mail/%s", pw->name);
	env_set(e, "MAIL", buf);
	env_set(e, "SHELL", shell);
	if (sp->ex->pty && sp->ex->term != NULL && sp->ex->term[0] != '\0')
		env_set(e, "TERM", sp->ex->term);
	snprintf(buf, sizeof(buf), "%s %d %d", c->peer->addr, c->peer->port,
	    c->peer->lport);
	env_set(e, "SSH_CLIENT", buf);
	snprintf(buf, sizeof(buf), "%s %d %s %d", c->peer->addr, c->peer->port,
	    c->peer->laddr, c->peer->lport);
	env_set(e, "SSH_CONNECTION", buf);
	if (sp->tty != NULL)
		env_set(e, "SSH_TTY", sp->tty);
	if (sp->original != NULL)
		env_set(e, "SSH_ORIGINAL_COMMAND", sp->original);
}

/* In the forked session process: become the user and exec. */
static void __attribute__((noreturn))
session_child(struct mctx *c, const struct sess_spec *sp)
{
	const struct monitor_pw *pw = sp->pw;
	const char *shell = pw->shell[0] == '\0' ? "/bin/sh" : pw->shell;
	const char *base = strrchr(shell, '/');
	struct envv e = { NULL, 0, 0 };
	char argv0[256], *argv[4];
	sigset_t none;
	int sig;
	FILE *f;

	for (sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	base = base == NULL ? shell : base + 1;
	build_env(c, sp, &e);
	if (c->d->privileged) {
		if (setgid(pw->gid) == -1 ||
		    initgroups(pw->name, pw->gid) == -1) {
			fprintf(stderr, "setgid %u: %s\n", (unsigned)pw->gid,
			    strerror(errno));
			_exit(1);
		}
		if (sp->chroot != NULL && qsshd_chroot(sp->chroot) != 0)
			_exit(1);
		if (setuid(pw->uid) == -1) {
			fprintf(stderr, "setuid %u: %s\n", (unsigned)pw->uid,
			    strerror(errno));
			_exit(1);
		}
		if (pw->uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
			fprintf(stderr, "was able to restore uid 0\n");
			_exit(1);
		}
	}
	if (pw->uid != 0 && (f = fopen("/etc/nologin", "r")) != NULL) {
		char buf[1024];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			(void)!fwrite(buf, 1, n, stderr);
		fclose(f);
		_exit(254);
	}
	if (chdir(pw->home) == -1) {
		fprintf(stderr, "Could not chdir to home directory %s: %s\n",
		    pw->home, strerror(errno));
		(void)chdir("/");
	}
	/* A login shell on a pty: last login and motd, unless hushed. */
	if (sp->command == NULL && sp->tty != NULL &&
	    access(".hushlogin", F_OK) == -1) {
		if (sp->lastlog_msg != NULL && sp->lastlog_msg[0] != '\0')
			fputs(sp->lastlog_msg, stdout);
		if (c->cfg->print_motd)
			qsshd_print_motd();
		fflush(stdout);
	}
	if (sp->ex->kind != MONITOR_EXEC_SUBSYSTEM)
		qsshd_run_rc(shell,
		    c->cfg->permit_user_rc &&
			(c->key_entry == NULL ||
			    c->key_entry->opts.permit_user_rc));
	if (sp->command == NULL) {
		snprintf(argv0, sizeof(argv0), "-%s", base);
		argv[0] = argv0;
		argv[1] = NULL;
	} else {
		snprintf(argv0, sizeof(argv0), "%s", base);
		argv[0] = argv0;
		argv[1] = (char *)"-c";
		argv[2] = (char *)sp->command;
		argv[3] = NULL;
	}
	execve(shell, argv, e.v);
	fprintf(stderr, "%s: %s\n", shell, strerror(errno));
	_exit(1);
}

static struct msess *
sess_slot(struct mctx *c)
{
	size_t i;

	for (i = 0; i < MSESS_MAX; i++) {
		if (!c->sess[i].used)
			return &c->sess[i];
	}
	return NULL;
}

static struct msess *
sess_find(struct mctx *c, uint32_t id)
{
	size_t i;

	for (i = 0; i < MSESS_MAX; i++) {
		if (c->sess[i].used && c->sess[i].id == id)
			return &c->sess[i];
	}
	return NULL;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void
sess_release(struct msess *s)
{
	close_fd(&s->err_fd);
	close_fd(&s->exit_rd);
	close_fd(&s->exit_wr);
	s->used = false;
}

static const char *
subsystem_command(const struct servconf *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->num_subsystems; i++) {
		if (strcmp(cfg->subsystems[i].name, name) == 0)
			return cfg->subsystems[i].command;
	}
	return NULL;
}

static int
session_exec(struct mctx *c, const struct monitor_pw *pw,
    const struct monitor_exec *ex, const char *chroot_dir, int *fd,
    uint32_t *id)
{
	struct msess *s;
	struct sess_spec sp;
	struct winsize ws;
	char ttyname_buf[64], lastlog_msg[512];
	const char *forced = NULL, *kind;
	int sv[2] = { -1, -1 }, ep[2] = { -1, -1 }, xp[2] = { -1, -1 };
	int master = -1, slave = -1;
	bool pty = ex->pty;
	pid_t pid;

	*fd = -1;
	if ((s = sess_slot(c)) == NULL)
		return QSSH_ERR_BUSY;
	memset(&sp, 0, sizeof(sp));
	sp.pw = pw;
	sp.ex = ex;
	sp.chroot = chroot_dir;
	if (servconf_str_set(c->cfg->force_command))
		forced = c->cfg->force_command;
	else if (c->key_entry != NULL &&
	    c->key_entry->opts.force_command != NULL)
		forced = c->key_entry->opts.force_command;
	if (forced != NULL) {
		sp.command = forced;
		if (ex->kind != MONITOR_EXEC_SHELL)
			sp.original = ex->command;
	} else if (ex->kind == MONITOR_EXEC_COMMAND)
		sp.command = ex->command;
	else if (ex->kind == MONITOR_EXEC_SUBSYSTEM) {
		if ((sp.command = subsystem_command(c->cfg, ex->command)) ==
			NULL ||
		    strcmp(sp.command, "internal-sftp") == 0) {
			qlog_error(
			    "subsystem request for %s by user %s failed, "
			    "subsystem not found",
			    ex->command, pw->name);
			return QSSH_ERR_NOT_FOUND;
		}
	}
	if (pty &&
	    (!c->cfg->permit_tty ||
		(c->key_entry != NULL && !c->key_entry->opts.permit_pty)))
		pty = false;
	if (pty) {
		memset(&ws, 0, sizeof(ws));
		ws.ws_col = (unsigned short)ex->cols;
		ws.ws_row = (unsigned short)ex->rows;
		ws.ws_xpixel = (unsigned short)ex->width_px;
		ws.ws_ypixel = (unsigned short)ex->height_px;
		if (openpty(&master, &slave, ttyname_buf, NULL, &ws) == -1) {
			qlog_error("openpty: %s", strerror(errno));
			return QSSH_ERR_SYSTEM;
		}
		apply_modes(slave, ex->modes, ex->modes_len);
		if (c->d->privileged)
			(void)fchown(slave, pw->uid, (gid_t)-1);
		(void)fchmod(slave, 0620);
		sp.tty = ttyname_buf;
		lastlog_msg[0] = '\0';
		if (sp.command == NULL && c->d->privileged &&
		    c->cfg->print_lastlog)
			qsshd_lastlog_message(
			    pw->uid, lastlog_msg, sizeof(lastlog_msg));
		sp.lastlog_msg = lastlog_msg;
	} else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ==
		-1 ||
	    pipe2(ep, O_CLOEXEC) == -1) {
		qlog_error("socketpair: %s", strerror(errno));
		close_fd(&sv[0]);
		close_fd(&sv[1]);
		return QSSH_ERR_SYSTEM;
	}
	if (pipe2(xp, O_CLOEXEC) == -1) {
		close_fd(&master);
		close_fd(&slave);
		close_fd(&sv[0]);
		close_fd(&sv[1]);
		close_fd(&ep[0]);
		close_fd(&ep[1]);
		return QSSH_ERR_SYSTEM;
	}
	if ((pid = fork()) == -1) {
		qlog_error("fork: %s", strerror(errno));
		close_fd(&master);
		close_fd(&slave);
		close_fd(&sv[0]);
		close_fd(&sv[1]);
		close_fd(&ep[0]);
		close_fd(&ep[1]);
		close_fd(&xp[0]);
		close_fd(&xp[1]);
		return QSSH_ERR_SYSTEM;
	}
	if (pid == 0) {
		(void)setsid();
		if (pty) {
			close(master);
			(void)ioctl(slave, TIOCSCTTY, 0);
			if (dup2(slave, 0) == -1 || dup2(slave, 1) == -1 ||
			    dup2(slave, 2) == -1)
				_exit(1);
		} else if (dup2(sv[1], 0) == -1 || dup2(sv[1], 1) == -1 ||
		    dup2(ep[1], 2) == -1)
			_exit(1);
		closefrom(3);
		session_child(c, &sp);
	}
	close_fd(&slave);
	close_fd(&sv[1]);
	close_fd(&ep[1]);
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->id = ++c->next_id;
	s->pid = pid;
	s->pty = pty;
	s->err_fd = ep[0];
	s->exit_rd = xp[0];
	s->exit_wr = xp[1];
	if (pty && c->d->privileged) {
		qsshd_login_record(
		    pw->name, pw->uid, pid, ttyname_buf, c->peer->addr);
		s->logged_in = true;
		snprintf(s->tty, sizeof(s->tty), "%s", ttyname_buf);
	}
	kind = ex->kind == MONITOR_EXEC_SHELL	 ? "shell"
	    : ex->kind == MONITOR_EXEC_SUBSYSTEM ? "subsystem"
						 : "command";
	if (forced != NULL)
		kind = "forced-command";
	qlog_verbose("User child is on pid %ld", (long)pid);
	qlog_info("Starting session: %s%s%s for %s from %s port %d id %u", kind,
	    pty ? " on " : "", pty ? ttyname_buf : "", pw->name, c->peer->addr,
	    c->peer->port, s->id - 1);
	*fd = pty ? master : sv[0];
	*id = s->id;
	return 0;
}

/* ChrootDirectory is checked (and logged) here, before the fork. */
static int
mon_session_exec(void *ctx, const struct monitor_pw *pw,
    const struct monitor_exec *ex, int *fd, uint32_t *id)
{
	struct mctx *c = ctx;
	char *dir = NULL;
	int r;

	*fd = -1;
	if (c->d->privileged && servconf_str_set(c->cfg->chroot_directory)) {
		if (servconf_expand_tokens(c->cfg->chroot_directory, pw->home,
			pw->name, (unsigned)pw->uid, &dir) != 0 ||
		    qsshd_chroot_check(dir) != 0) {
			free(dir);
			return QSSH_ERR_ACCESS;
		}
	}
	r = session_exec(c, pw, ex, dir, fd, id);
	free(dir);
	return r;
}

static int
mon_session_fd(void *ctx, uint32_t id, uint32_t which, int *fd)
{
	struct mctx *c = ctx;
	struct msess *s = sess_find(c, id);

	*fd = -1;
	if (s == NULL)
		return QSSH_ERR_NOT_FOUND;
	if (which == MONITOR_SESSION_FD_STDERR) {
		*fd = s->err_fd;
		s->err_fd = -1;
	} else if (which == MONITOR_SESSION_FD_EXIT) {
		*fd = s->exit_rd;
		s->exit_rd = -1;
		if (s->pid == 0)
			sess_release(s);
	}
	return *fd >= 0 ? 0 : QSSH_ERR_NOT_FOUND;
}

static int
mon_session_signal(void *ctx, uint32_t id, const char *sig)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = { { "ABRT", SIGABRT }, { "ALRM", SIGALRM },
		{ "FPE", SIGFPE }, { "HUP", SIGHUP }, { "ILL", SIGILL },
		{ "INT", SIGINT }, { "KILL", SIGKILL }, { "PIPE", SIGPIPE },
		{ "QUIT", SIGQUIT }, { "SEGV", SIGSEGV }, { "TERM", SIGTERM },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 } };
	struct mctx *c = ctx;
	struct msess *s = sess_find(c, id);
	size_t i;

	if (s == NULL || s->pid <= 0)
		return QSSH_ERR_NOT_FOUND;
	for (i = 0; i < QSSH_ARRAY_LEN(sigs); i++) {
		if (strcmp(sigs[i].name, sig) == 0) {
			qlog_debug(
			    "session signal %s to pid %ld", sig, (long)s->pid);
			/* The session leads its own process group. */
			return kill(-s->pid, sigs[i].sig) == 0
			    ? 0
			    : QSSH_ERR_SYSTEM;
		}
	}
	return QSSH_ERR_INVALID_ARGUMENT;
}

static void
reap(struct mctx *c)
{
	uint8_t b[4];
	pid_t pid;
	int st;
	size_t i;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == c->child) {
			c->child_done = true;
			c->child_status = st;
			continue;
		}
		for (i = 0; i < MSESS_MAX; i++) {
			struct msess *s = &c->sess[i];

			if (!s->used || s->pid != pid)
				continue;
			if (s->logged_in) {
				qsshd_login_logout(s->pid, s->tty);
				s->logged_in = false;
			}
			qssh_put_u32be(b, (uint32_t)st);
			if (s->exit_wr >= 0)
				(void)!write(s->exit_wr, b, sizeof(b));
			close_fd(&s->exit_wr);
			s->pid = 0;
			/* The pipe keeps the status until it is handed over. */
			if (s->exit_rd < 0)
				sess_release(s);
		}
	}
}

static const struct monitor_callbacks mon_cb = {
	mon_password,
	mon_key_allowed,
	mon_session_start,
	NULL,
	mon_kbdint,
};

static const struct monitor_session_callbacks mon_scb = {
	mon_user_known,
	mon_session_exec,
	mon_session_fd,
	mon_session_signal,
	mon_auth_complete,
	mon_user_policy,
};

static void
mctx_cleanup(struct mctx *c)
{
	size_t i;

	for (i = 0; i < MSESS_MAX; i++) {
		close_fd(&c->sess[i].err_fd);
		close_fd(&c->sess[i].exit_rd);
		close_fd(&c->sess[i].exit_wr);
	}
	authkeys_entry_free(c->key_entry);
	qsshd_pam_end(c->pam);
	if (c->cfg != c->conn_cfg)
		servconf_free(c->cfg);
	servconf_free(c->conn_cfg);
}

int
qsshd_connection(struct qsshd *d, struct qsshd_peer *peer)
{
	struct monitor_config mcfg;
	struct monitor *m = NULL;
	struct servconf_conn ci;
	struct mctx c;
	struct sigaction sa;
	struct pollfd pfd[2];
	uint64_t deadline = 0;
	int sp[2] = { -1, -1 }, n, r, ret = 255, mfd;
	char drain[64];

	memset(&c, 0, sizeof(c));
	c.d = d;
	c.peer = peer;
	c.child = -1;
	memset(&ci, 0, sizeof(ci));
	ci.host = peer->addr;
	ci.addr = peer->addr;
	ci.laddr = peer->laddr;
	ci.lport = peer->lport;
	if (servconf_apply_match(d->cfg, &ci, &c.cfg) != 0) {
		qlog_error("cannot apply Match to the configuration");
		return 255;
	}
	c.conn_cfg = c.cfg;
	qlog_verbose("Connection from %s port %d on %s port %d rdomain \"\"",
	    peer->addr, peer->port, peer->laddr, peer->lport);
	if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    monitor_socketpair(sp) != 0) {
		qlog_error("socketpair: %s", strerror(errno));
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
	if ((c.child = fork()) == -1) {
		qlog_error("fork: %s", strerror(errno));
		goto out;
	}
	if (c.child == 0) {
		close(sp[0]);
		close(sigchld_pipe[0]);
		close(sigchld_pipe[1]);
		if (peer->startup_fd >= 0)
			close(peer->startup_fd);
		qsshd_control(d, peer, c.cfg, sp[1]);
	}
	close(sp[1]);
	sp[1] = -1;
	memset(&mcfg, 0, sizeof(mcfg));
	mcfg.host_keys = d->host_keys;
	mcfg.num_host_keys = d->num_host_keys;
	mcfg.cb = &mon_cb;
	mcfg.cb_ctx = &c;
	mcfg.fake_secret = d->fake_secret;
	if ((m = monitor_new(sp[0], &mcfg)) == NULL) {
		qlog_error("monitor_new failed");
		goto out;
	}
	sp[0] = -1;
	monitor_set_session_callbacks(m, &mon_scb, &c);
	if (c.cfg->login_grace_time > 0)
		deadline = qssh_monotime_ms() +
		    (uint64_t)c.cfg->login_grace_time * 1000;
	monitor_set_deadline(m, deadline);
	for (;;) {
		int timeout = -1;

		if ((mfd = monitor_get_fd(m)) < 0)
			break;
		if (deadline != 0 &&
		    monitor_get_state(m) == MONITOR_STATE_PREAUTH) {
			uint64_t now = qssh_monotime_ms();

			if (now >= deadline) {
				qlog_fatal("Timeout before authentication for "
					   "%s port %d",
				    peer->addr, peer->port);
				(void)kill(c.child, SIGKILL);
				break;
			}
			timeout = (int)(deadline - now);
		}
		pfd[0].fd = mfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = sigchld_pipe[0];
		pfd[1].events = POLLIN;
		n = poll(pfd, 2, timeout);
		if (n == -1 && errno != EINTR) {
			qlog_error("poll: %s", strerror(errno));
			break;
		}
		if (n > 0 && (pfd[1].revents & POLLIN) != 0) {
			while (read(sigchld_pipe[0], drain, sizeof(drain)) > 0)
				;
			reap(&c);
		}
		if (n > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if ((r = monitor_serve_one(m)) != 0)
				break;
		}
	}
	ret = 0;
out:
	monitor_free(m);
	if (c.child > 0) {
		while (!c.child_done) {
			int st;
			pid_t p = waitpid(c.child, &st, 0);

			if (p == c.child || (p == -1 && errno != EINTR))
				break;
		}
	}
	reap(&c);
	if (sp[0] >= 0)
		close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
	mctx_cleanup(&c);
	return ret;
}
