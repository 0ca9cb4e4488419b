/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qsshd: command line (sshd(8) flags), configuration, host keys and the
 * listener (MaxStartups, PerSourceMaxStartups, SIGHUP re-exec, SIGTERM).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/kex.h"
#include "control/key.h"
#include "crypto-offload/cryp.h"
#include "control/privsep.h"
#include "control/servconf.h"
#include "drivers/sock.h"
#include "qsshd.h"

#define MAX_LISTEN 16
#define MAX_CHILDREN 4096
#define MAX_OPTS 256
/* heap_take_free_chunks(): request sizes tried, a bound on the bytes. */
#define HEAP_PROBE_LEN (64 * 1024)
#define HEAP_TAKE_MAX_LEN (4096 + 8)
#define HEAP_TAKE_MIN_LEN 24
#define HEAP_TAKE_STEP 16
#define HEAP_TAKE_MAX_BYTES (256 * 1024)

struct child {
	pid_t pid;
	int startup_rd; /* -1 once authenticated */
	char addr[64];
};

static struct {
	struct qsshd d;
	const char *progname;
	const char *log_file;
	bool log_stderr;
	bool no_daemon;
	bool test_mode;
	int test_dump; /* -T */
	bool quiet;
	int family;
	const char *cflags; /* -C */
	const char *opts[MAX_OPTS];
	size_t num_opts;
	int listen_fds[MAX_LISTEN];
	size_t num_listen;
	struct child children[MAX_CHILDREN];
	int startups;
	bool throttling;
	/* The dataplane process and the listener's socket to it. */
	pid_t dp_pid;
	int dp_fd;
} g = { .dp_fd = -1 };

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_hup, got_term, got_chld;

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = sig;
	if (sig_pipe[1] >= 0)
		(void)!write(sig_pipe[1], &c, 1);
	errno = saved;
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: %s [-46DdeiqTtV] [-C connection_spec] [-c host_cert_file]\n"
	    "            [-E log_file] [-f config_file] [-g login_grace_time]\n"
	    "            [-h host_key_file] [-o option] [-p port] "
	    "[-u len]\n",
	    g.progname);
	exit(1);
}

static void
print_config_error(const struct servconf *cfg)
{
	const char *e = servconf_error(cfg);

	if (e[0] != '\0')
		fprintf(stderr, "%s\n", e);
}

/* ---- host keys ---- */

static enum key_type
type_for_path(const char *path, unsigned *bits)
{
	const char *base = strrchr(path, '/');

	base = base == NULL ? path : base + 1;
	*bits = 0;
	if (strstr(base, "ecdsa") != NULL) {
		*bits = 256;
		return KEY_ECDSA_P256;
	}
	if (strstr(base, "rsa") != NULL) {
		*bits = 3072;
		return KEY_RSA;
	}
	return KEY_ED25519;
}

static int
generate_host_key(const char *path)
{
	struct key *k = NULL;
	enum key_type type;
	unsigned bits;
	char host[256], comment[300];
	int r;

	type = type_for_path(path, &bits);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(comment, sizeof(comment), "root@%s", host);
	if ((r = key_generate(type, bits, &k)) != 0)
		return r;
	r = key_save_private(k, path, NULL, comment, KEY_FORMAT_OPENSSH, 0);
	if (r == 0)
		qlog_info(
		    "generated new host key: %s %s", key_type_short(k), path);
	key_free(k);
	return r;
}

static void
unprotected_warning(const char *path)
{
	struct stat st;
	unsigned mode = 0;

	if (stat(path, &st) == 0)
		mode = (unsigned)(st.st_mode & 0777);
	qlog_error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@"
		   "@");
	qlog_error("@         WARNING: UNPROTECTED PRIVATE KEY FILE!          "
		   "@");
	qlog_error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@"
		   "@");
	qlog_error("Permissions 0%3.3o for '%s' are too open.", mode, path);
	qlog_error("It is required that your private key files are NOT "
		   "accessible by others.");
	qlog_error("This private key will be ignored.");
}

static int
load_host_keys(struct qsshd *d)
{
	const struct servconf_strlist *hk = &d->cfg->host_keys;
	struct key *k;
	size_t i;
	int r;

	for (i = 0; i < hk->n && d->num_host_keys < QSSHD_MAX_HOSTKEYS; i++) {
		const char *path = hk->v[i];

		k = NULL;
		if (access(path, F_OK) != 0 && errno == ENOENT &&
		    !g.test_mode && (r = generate_host_key(path)) != 0) {
			qlog_error("Could not generate host key %s: %s", path,
			    qssh_strerror(r));
		}
		r = key_load_private(path, NULL, true, &k, NULL);
		if (r == QSSH_ERR_KEY_BAD_PERMISSIONS) {
			unprotected_warning(path);
			qlog_error("Unable to load host key \"%s\": bad "
				   "permissions",
			    path);
			qlog_error("Unable to load host key: %s", path);
			continue;
		}
		if (r != 0) {
			if (access(path, F_OK) == 0)
				qlog_error("Unable to load host key \"%s\": %s",
				    path, qssh_strerror(r));
			qlog_error("Unable to load host key: %s", path);
			continue;
		}
		if ((d->host_blobs[d->num_host_keys] = qssh_buf_new()) ==
			NULL ||
		    key_to_blob(k, d->host_blobs[d->num_host_keys]) != 0) {
			key_free(k);
			return QSSH_ERR_ALLOC;
		}
		d->host_keys[d->num_host_keys++] = k;
	}
	return d->num_host_keys > 0 ? 0 : QSSH_ERR_KEY_NOT_FOUND;
}

/* Sign and verify a fixed message: OpenSSL's fetches for k's algorithm. */
static void
warm_up_key(const struct key *k)
{
	static const uint8_t msg[] = "qsshd: first use of the key";
	struct qssh_buf *sig = NULL, *blob = NULL;
	struct key *pub = NULL, *parsed = NULL;

	if ((sig = qssh_buf_new()) == NULL || (blob = qssh_buf_new()) == NULL ||
	    key_sign(k, NULL, msg, sizeof(msg), sig) != 0 ||
	    key_demote(k, &pub) != 0 || key_to_blob(pub, blob) != 0 ||
	    key_from_blob(qssh_buf_ptr(blob), qssh_buf_len(blob), &parsed) != 0)
		goto out;
	(void)key_verify(parsed, NULL, qssh_buf_ptr(sig), qssh_buf_len(sig),
	    msg, sizeof(msg));
out:
	key_free(parsed);
	key_free(pub);
	qssh_buf_free(blob);
	qssh_buf_free(sig);
}

/*
 * Do once, before the first fork, what each connection's processes would
 * otherwise each do for the first time: load the NSS modules (the monitor
 * looks up the user, the control process the privilege separation user,
 * a session its supplementary groups) and let OpenSSL fetch and cache the
 * algorithms of a key exchange (X25519, SHA-2) and of the signatures
 * (the host keys, an Ed25519 user key).  The children inherit all this
 * copy-on-write instead of building it again, in time and in pages of
 * their own.  Only throw-away values are used, and they are wiped.
 */
static void
warm_up(const struct qsshd *d)
{
	uint8_t priv[32] = { 0 }, pub[32] = { 0 }, shared[32], out[64];
	gid_t groups[64];
	int ngroups = (int)QSSH_ARRAY_LEN(groups);
	struct key *eph = NULL;
	size_t i;

	(void)getpwnam(PRIVSEP_DEFAULT_USER);
	(void)getgrouplist("root", 0, groups, &ngroups);
	if (kex_x25519_keypair(priv, pub) == 0 &&
	    kex_x25519_shared(priv, pub, shared) == 0) {
		(void)kex_derive_key("SHA256", shared, sizeof(shared), pub,
		    sizeof(pub), 'A', pub, sizeof(pub), out, 32);
		(void)kex_derive_key("SHA512", shared, sizeof(shared), pub,
		    sizeof(pub), 'A', pub, sizeof(pub), out, 64);
	}
	/* The monitor's stand-in for unknown users is an HMAC-SHA256. */
	(void)HMAC(
	    EVP_sha256(), priv, sizeof(priv), pub, sizeof(pub), out, NULL);
	qssh_wipe(priv, sizeof(priv));
	qssh_wipe(shared, sizeof(shared));
	qssh_wipe(out, sizeof(out));
	for (i = 0; i < d->num_host_keys; i++)
		warm_up_key(d->host_keys[i]);
	if (key_generate(KEY_ED25519, 0, &eph) == 0)
		warm_up_key(eph);
	key_free(eph);
}

/*
 * Keep the listener's free heap chunks out of the connections' way.  A
 * connection's monitor and control process start with the listener's
 * heap, shared copy-on-write; every small allocation they make in a free
 * chunk left over from start-up (configuration, host keys, the warm-up)
 * copies the whole page around it, so each of them ends with dozens of
 * private pages that hold a few bytes of its own.  Taking those chunks
 * here (they are few and stay allocated for the listener's life) makes the
 * children allocate at the top of the heap, in pages that are theirs
 * anyway.  Chunks at or above a probe allocation are at the top: the loop
 * stops there, and it is bounded whatever the allocator does.
 */
static void
heap_take_free_chunks(void)
{
	static void *taken; /* a list through the chunks, never freed */
	uintptr_t top;
	uint8_t *probe, *p;
	size_t sz, n = 0, bytes = 0;

	if ((probe = malloc(HEAP_PROBE_LEN)) == NULL)
		return;
	top = (uintptr_t)probe;
	free(probe);
	/* Large sizes first: a big free chunk is taken whole, not carved. */
	for (sz = HEAP_TAKE_MAX_LEN; sz >= HEAP_TAKE_MIN_LEN;
	     sz -= HEAP_TAKE_STEP) {
		while (bytes < HEAP_TAKE_MAX_BYTES) {
			if ((p = malloc(sz)) == NULL)
				return;
			if ((uintptr_t)p >= top) {
				free(p);
				break;
			}
			memcpy(p, &taken, sizeof(taken));
			taken = p;
			n++;
			bytes += sz;
		}
	}
	qlog_debug("listener: %zu free heap chunks (%zu bytes) kept", n, bytes);
}

/*
 * CryptoBackend: the crypto layer picks its default backend from
 * $QSSH_CRYPTO_BACKEND when it is first asked, so a configured backend is
 * passed on that way.  The environment, when set, overrides the keyword.
 */
static void
apply_crypto_backend(const struct servconf *cfg)
{
	const char *env;

	/*
	 * A value we set from the configuration before a SIGHUP re-exec is
	 * not an override: drop it so that a changed keyword takes effect.
	 */
	if (getenv("QSSH_CRYPTO_BACKEND_FROM_CONFIG") != NULL) {
		unsetenv("QSSH_CRYPTO_BACKEND");
		unsetenv("QSSH_CRYPTO_BACKEND_FROM_CONFIG");
	}
	env = getenv("QSSH_CRYPTO_BACKEND");
	if (cfg->crypto_backend == NULL ||
	    strcmp(cfg->crypto_backend, "auto") == 0)
		return;
	if (env != NULL && *env != '\0') {
		qlog_debug("CryptoBackend %s overridden by "
			   "QSSH_CRYPTO_BACKEND=%s",
		    cfg->crypto_backend, env);
		return;
	}
	if (setenv("QSSH_CRYPTO_BACKEND", cfg->crypto_backend, 1) != 0 ||
	    setenv("QSSH_CRYPTO_BACKEND_FROM_CONFIG", "1", 1) != 0)
		qlog_error("CryptoBackend: setenv: %s", strerror(errno));
}

/* ---- configuration ---- */

static int
load_config(struct qsshd *d)
{
	char line[PATH_MAX + 64];
	FILE *f;
	size_t i;
	int r;

	if ((d->cfg = servconf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	for (i = 0; i < g.num_opts; i++) {
		if ((r = servconf_parse_line(
			 d->cfg, g.opts[i], "command-line", 0)) != 0) {
			print_config_error(d->cfg);
			exit(255);
		}
	}
	if ((f = fopen(d->config_file, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", d->config_file, strerror(errno));
		exit(1);
	}
	fclose(f);
	if ((r = servconf_load_file(d->cfg, d->config_file, NULL)) != 0) {
		print_config_error(d->cfg);
		exit(255);
	}
	apply_crypto_backend(d->cfg);
	(void)line;
	return 0;
}

static void
add_opt(const char *s)
{
	if (g.num_opts >= MAX_OPTS) {
		fprintf(stderr, "too many options\n");
		exit(1);
	}
	g.opts[g.num_opts++] = s;
}

/* "Keyword value" for a command-line flag. */
static char *
kw_line(const char *kw, const char *a)
{
	char *s;

	if (asprintf(&s, "%s %s", kw, a) < 0) {
		fprintf(stderr, "out of memory\n");
		exit(255);
	}
	return s;
}

/* -C user=...,host=...,addr=...,laddr=...,lport=... */
static int
parse_cflags(const char *spec, struct servconf_conn *ci, char **buf)
{
	char *s, *tok, *save = NULL;

	if ((s = strdup(spec)) == NULL)
		return QSSH_ERR_ALLOC;
	*buf = s;
	ci->lport = -1;
	for (tok = strtok_r(s, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "user=", 5) == 0)
			ci->user = tok + 5;
		else if (strncmp(tok, "host=", 5) == 0)
			ci->host = tok + 5;
		else if (strncmp(tok, "addr=", 5) == 0)
			ci->addr = tok + 5;
		else if (strncmp(tok, "laddr=", 6) == 0)
			ci->laddr = tok + 6;
		else if (strncmp(tok, "lport=", 6) == 0)
			ci->lport = atoi(tok + 6);
		else if (strncmp(tok, "rdomain=", 8) == 0)
			ci->rdomain = tok + 8;
		else {
			fprintf(stderr, "Invalid test mode specification %s\n",
			    tok);
			return QSSH_ERR_INVALID_ARGUMENT;
		}
	}
	return 0;
}

static int
dump_config(struct qsshd *d)
{
	struct servconf_conn ci;
	struct servconf *eff = NULL;
	char *buf = NULL;
	int r;

	memset(&ci, 0, sizeof(ci));
	if (g.cflags != NULL) {
		if ((r = parse_cflags(g.cflags, &ci, &buf)) != 0) {
			free(buf);
			return 255;
		}
		if ((r = servconf_apply_match(d->cfg, &ci, &eff)) != 0) {
			print_config_error(d->cfg);
			free(buf);
			return 255;
		}
	}
	r = servconf_dump(eff != NULL ? eff : d->cfg, stdout);
	servconf_free(eff);
	free(buf);
	return r == 0 ? 0 : 255;
}

/* ---- listener ---- */

static void
listen_on(const char *host, int port, int family)
{
	char ps[16];
	int fd, r;

	if (g.num_listen >= MAX_LISTEN)
		return;
	snprintf(ps, sizeof(ps), "%d", port);
	if ((r = sock_listen_tcp(host, ps, family, 128, &fd)) != 0) {
		qlog_error("Bind to port %d on %s failed: %s.", port, host,
		    strerror(errno));
		return;
	}
	g.listen_fds[g.num_listen++] = fd;
	qlog_info("Server listening on %s port %d.", host, port);
}

static void
open_listeners(const struct servconf *cfg)
{
	size_t i, j;
	int fam = cfg->address_family;

	if (g.family != 0)
		fam = g.family;
	if (cfg->num_listen == 0) {
		for (i = 0; i < cfg->num_ports; i++) {
			if (fam != SERVCONF_AF_INET6)
				listen_on("0.0.0.0", cfg->ports[i], AF_INET);
			if (fam != SERVCONF_AF_INET)
				listen_on("::", cfg->ports[i], AF_INET6);
		}
	} else {
		for (i = 0; i < cfg->num_listen; i++) {
			const struct servconf_listen *l = &cfg->listen[i];
			int af =
			    strchr(l->host, ':') != NULL ? AF_INET6 : AF_INET;

			if ((af == AF_INET && fam == SERVCONF_AF_INET6) ||
			    (af == AF_INET6 && fam == SERVCONF_AF_INET))
				continue;
			if (l->port != 0)
				listen_on(l->host, l->port, af);
			else
				for (j = 0; j < cfg->num_ports; j++)
					listen_on(l->host, cfg->ports[j], af);
		}
	}
	if (g.num_listen == 0) {
		qlog_fatal("Cannot bind any address.");
		exit(255);
	}
}

/* Same source for PerSourceMaxStartups (address masked to the prefix). */
static bool
same_source(const char *a, const char *b, const struct servconf *cfg)
{
	uint8_t x[16], y[16];
	int bits, i;

	if (inet_pton(AF_INET, a, x) == 1 && inet_pton(AF_INET, b, y) == 1)
		bits = cfg->per_source_masklen_ipv4;
	else if (inet_pton(AF_INET6, a, x) == 1 &&
	    inet_pton(AF_INET6, b, y) == 1)
		bits = cfg->per_source_masklen_ipv6;
	else
		return strcmp(a, b) == 0;
	for (i = 0; bits > 0; i++, bits -= 8) {
		uint8_t m =
		    (uint8_t)(bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff);

		if ((x[i] & m) != (y[i] & m))
			return false;
	}
	return true;
}

static bool
should_drop(const struct servconf *cfg, const char *addr)
{
	int p, n = 0;
	size_t i;

	if (cfg->per_source_max_startups > 0) {
		for (i = 0; i < MAX_CHILDREN; i++) {
			if (g.children[i].pid > 0 &&
			    g.children[i].startup_rd >= 0 &&
			    same_source(g.children[i].addr, addr, cfg))
				n++;
		}
		if (n >= cfg->per_source_max_startups)
			return true;
	}
	if (g.startups >= cfg->max_startups)
		return true;
	if (g.startups < cfg->max_startups_begin ||
	    cfg->max_startups <= cfg->max_startups_begin)
		return false;
	p = 100 - cfg->max_startups_rate;
	p *= g.startups - cfg->max_startups_begin;
	p /= cfg->max_startups - cfg->max_startups_begin;
	p += cfg->max_startups_rate;
	return (int)qssh_random_uniform(100) < p;
}

static void
child_gone(struct child *c)
{
	if (c->startup_rd >= 0) {
		close(c->startup_rd);
		c->startup_rd = -1;
		g.startups--;
	}
	c->pid = 0;
}

static void
reap_children(void)
{
	pid_t pid;
	size_t i;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == g.dp_pid) {
			qlog_error("dataplane process %ld exited (status %d); "
				   "starting a new one for new connections",
			    (long)pid, st);
			g.dp_pid = 0;
			if (g.dp_fd >= 0)
				close(g.dp_fd);
			g.dp_fd = -1;
			continue;
		}
		for (i = 0; i < MAX_CHILDREN; i++) {
			if (g.children[i].pid == pid) {
				child_gone(&g.children[i]);
				break;
			}
		}
	}
}

static void
peer_names(int fd, struct qsshd_peer *p)
{
	if (sock_peer_name(fd, p->addr, sizeof(p->addr), &p->port) != 0) {
		snprintf(p->addr, sizeof(p->addr), "UNKNOWN");
		p->port = 65535;
	}
	if (sock_local_name(fd, p->laddr, sizeof(p->laddr), &p->lport) != 0) {
		snprintf(p->laddr, sizeof(p->laddr), "UNKNOWN");
		p->lport = 65535;
	}
}

static void
reset_signals_for_child(void)
{
	(void)signal(SIGHUP, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGINT, SIG_DFL);
	(void)signal(SIGQUIT, SIG_DFL);
	(void)signal(SIGCHLD, SIG_DFL);
}

/* Fork the dataplane process (qsshd_dataplane.c). */
static int
dp_start(void)
{
	int sp[2];
	size_t i;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		qlog_error("dataplane: socketpair: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		qlog_error("dataplane: fork: %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	if (pid == 0) {
		reset_signals_for_child();
		for (i = 0; i < g.num_listen; i++)
			close(g.listen_fds[i]);
		for (i = 0; i < MAX_CHILDREN; i++) {
			if (g.children[i].pid > 0 &&
			    g.children[i].startup_rd >= 0)
				close(g.children[i].startup_rd);
		}
		if (sig_pipe[0] >= 0) {
			close(sig_pipe[0]);
			close(sig_pipe[1]);
		}
		close(sp[0]);
		qsshd_dataplane_main(&g.d, sp[1]);
	}
	close(sp[1]);
	g.dp_pid = pid;
	g.dp_fd = sp[0];
	return 0;
}

/*
 * Give the connection's socket to the dataplane process; the peer's
 * descriptors become the control end of its relay.  On failure the
 * connection is served directly by its control process.
 */
static void
dp_handoff(struct qsshd_peer *peer)
{
	int relay = -1, tries, r = QSSH_ERR_CONN_CLOSED, fd;

	(void)sock_set_tcp_opts(peer->in_fd, g.d.cfg->tcp_keep_alive);
	for (tries = 0; tries < 2; tries++) {
		if (g.dp_fd < 0 && dp_start() != 0)
			break;
		r = qsshd_dataplane_handoff(
		    g.dp_fd, peer->in_fd, peer->out_fd, peer, &relay);
		if (r == 0)
			break;
		close(g.dp_fd);
		g.dp_fd = -1;
	}
	if (r != 0) {
		qlog_error("dataplane: cannot hand over the connection from "
			   "%s port %d (%s); serving it directly",
		    peer->addr, peer->port, qssh_strerror(r));
		return;
	}
	if (peer->in_fd > 2)
		close(peer->in_fd);
	if (peer->out_fd != peer->in_fd && peer->out_fd > 2)
		close(peer->out_fd);
	if (peer->in_fd <= 2 &&
	    (fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		/* inetd: 0 and 1 now belong to the dataplane alone. */
		(void)dup2(fd, peer->in_fd);
		(void)dup2(fd, peer->out_fd);
		close(fd);
	}
	peer->in_fd = peer->out_fd = relay;
	peer->relayed = true;
}

static void
handle_accept(int lfd)
{
	struct qsshd_peer peer;
	int fd, sp[2] = { -1, -1 };
	size_t i, slot = MAX_CHILDREN;
	pid_t pid;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		if (errno != EINTR && errno != EAGAIN)
			qlog_error("accept: %s", strerror(errno));
		return;
	}
	memset(&peer, 0, sizeof(peer));
	peer.in_fd = peer.out_fd = fd;
	peer.startup_fd = -1;
	peer_names(fd, &peer);
	if (g.d.debug == 0) {
		for (i = 0; i < MAX_CHILDREN; i++) {
			if (g.children[i].pid == 0) {
				slot = i;
				break;
			}
		}
		if (slot == MAX_CHILDREN || should_drop(g.d.cfg, peer.addr)) {
			if (!g.throttling) {
				qlog_error("beginning MaxStartups throttling");
				g.throttling = true;
			}
			qlog_info("drop connection #%d from [%s]:%d on [%s]:%d "
				  "past MaxStartups",
			    g.startups, peer.addr, peer.port, peer.laddr,
			    peer.lport);
			close(fd);
			return;
		}
		if (g.throttling && g.startups < g.d.cfg->max_startups_begin) {
			qlog_info("exited MaxStartups throttling");
			g.throttling = false;
		}
	}
	dp_handoff(&peer);
	if (g.d.debug > 0) {
		/* -d: one connection, no listener fork. */
		for (i = 0; i < g.num_listen; i++)
			close(g.listen_fds[i]);
		g.num_listen = 0;
		if (g.dp_fd >= 0)
			close(g.dp_fd);
		g.dp_fd = -1;
		exit(qsshd_connection(&g.d, &peer));
	}
	/* The descriptor is now the relay's control end (or the socket). */
	fd = peer.in_fd;
	if (pipe2(sp, O_CLOEXEC) == -1) {
		close(fd);
		return;
	}
	if ((pid = fork()) == -1) {
		qlog_error("fork: %s", strerror(errno));
		close(fd);
		close(sp[0]);
		close(sp[1]);
		return;
	}
	if (pid == 0) {
		reset_signals_for_child();
		for (i = 0; i < g.num_listen; i++)
			close(g.listen_fds[i]);
		/* A free slot (pid 0) holds no descriptor. */
		for (i = 0; i < MAX_CHILDREN; i++) {
			if (g.children[i].pid > 0 &&
			    g.children[i].startup_rd >= 0)
				close(g.children[i].startup_rd);
		}
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		close(sp[0]);
		if (g.dp_fd >= 0)
			close(g.dp_fd);
		peer.startup_fd = sp[1];
		_exit(qsshd_connection(&g.d, &peer));
	}
	close(sp[1]);
	close(fd);
	g.children[slot].pid = pid;
	g.children[slot].startup_rd = sp[0];
	snprintf(g.children[slot].addr, sizeof(g.children[slot].addr), "%s",
	    peer.addr);
	g.startups++;
}

static void __attribute__((noreturn)) restart(void)
{
	size_t i;

	qlog_info("Received SIGHUP; restarting.");
	for (i = 0; i < g.num_listen; i++)
		close(g.listen_fds[i]);
	if (servconf_str_set(g.d.cfg->pid_file))
		(void)unlink(g.d.cfg->pid_file);
	execv("/proc/self/exe", g.d.argv);
	execv(g.d.argv[0], g.d.argv);
	qlog_fatal("RESTART FAILED: av[0]='%s', error: %s.", g.d.argv[0],
	    strerror(errno));
	exit(1);
}

static void
listen_loop(void)
{
	struct pollfd pfd[MAX_LISTEN + 1 + MAX_CHILDREN];
	size_t n, i, j, nl;
	char drain[64];

	for (;;) {
		if (got_hup)
			restart();
		if (got_term) {
			qlog_info(
			    "Received signal %d; terminating.", (int)got_term);
			if (servconf_str_set(g.d.cfg->pid_file))
				(void)unlink(g.d.cfg->pid_file);
			exit(255);
		}
		if (got_chld) {
			got_chld = 0;
			reap_children();
		}
		n = 0;
		pfd[n].fd = sig_pipe[0];
		pfd[n++].events = POLLIN;
		for (i = 0; i < g.num_listen; i++) {
			pfd[n].fd = g.listen_fds[i];
			pfd[n++].events = POLLIN;
		}
		nl = n;
		for (i = 0; i < MAX_CHILDREN; i++) {
			if (g.children[i].pid > 0 &&
			    g.children[i].startup_rd >= 0) {
				pfd[n].fd = g.children[i].startup_rd;
				pfd[n++].events = POLLIN;
			}
		}
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			qlog_error("poll: %s", strerror(errno));
			continue;
		}
		if (pfd[0].revents != 0)
			while (read(sig_pipe[0], drain, sizeof(drain)) > 0)
				;
		/* Startup pipes: closed once the child authenticated. */
		for (j = nl; j < n; j++) {
			if (pfd[j].revents == 0)
				continue;
			for (i = 0; i < MAX_CHILDREN; i++) {
				if (g.children[i].startup_rd == pfd[j].fd) {
					close(g.children[i].startup_rd);
					g.children[i].startup_rd = -1;
					g.startups--;
					break;
				}
			}
		}
		for (j = 1; j < nl; j++) {
			if ((pfd[j].revents & POLLIN) != 0)
				handle_accept(pfd[j].fd);
		}
	}
}

static void
write_pid_file(const struct servconf *cfg)
{
	FILE *f;

	if (!servconf_str_set(cfg->pid_file))
		return;
	if ((f = fopen(cfg->pid_file, "w")) == NULL) {
		qlog_error("Couldn't create pid file \"%s\": %s", cfg->pid_file,
		    strerror(errno));
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

static void
daemonize(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1) {
		qlog_fatal("fork: %s", strerror(errno));
		exit(1);
	}
	if (pid != 0)
		_exit(0);
	(void)setsid();
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		(void)dup2(fd, 0);
		(void)dup2(fd, 1);
		if (!g.log_stderr || g.log_file != NULL)
			(void)dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	(void)!chdir("/");
}

static int
run_inetd(void)
{
	struct qsshd_peer peer;

	memset(&peer, 0, sizeof(peer));
	peer.in_fd = 0;
	peer.out_fd = 1;
	peer.startup_fd = -1;
	peer_names(0, &peer);
	/* Keep 0 and 1 for the connection; log elsewhere. */
	dp_handoff(&peer);
	if (g.dp_fd >= 0)
		close(g.dp_fd);
	g.dp_fd = -1;
	return qsshd_connection(&g.d, &peer);
}

int
main(int argc, char **argv)
{
	struct qsshd *d = &g.d;
	struct sigaction sa;
	enum qssh_log_level level;
	int ch, r;
	char *s;

	g.progname =
	    strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 : argv[0];
	d->argv = argv;
	d->config_file = "/etc/ssh/sshd_config";
	d->privileged = geteuid() == 0;
	while ((ch = getopt(argc, argv, "46C:DE:b:c:def:g:h:ik:o:p:qrtTu:V")) !=
	    -1) {
		switch (ch) {
		case '4':
			g.family = SERVCONF_AF_INET;
			break;
		case '6':
			g.family = SERVCONF_AF_INET6;
			break;
		case 'C':
			g.cflags = optarg;
			break;
		case 'D':
			g.no_daemon = true;
			break;
		case 'E':
			g.log_file = optarg;
			break;
		case 'd':
			d->debug++;
			break;
		case 'e':
			g.log_stderr = true;
			break;
		case 'f':
			d->config_file = optarg;
			break;
		case 'g':
			add_opt(kw_line("LoginGraceTime", optarg));
			break;
		case 'h':
			add_opt(kw_line("HostKey", optarg));
			break;
		case 'c':
			add_opt(kw_line("HostCertificate", optarg));
			break;
		case 'i':
			d->inetd = true;
			break;
		case 'o':
			add_opt(optarg);
			break;
		case 'p':
			add_opt(kw_line("Port", optarg));
			break;
		case 'q':
			g.quiet = true;
			break;
		case 't':
			g.test_mode = true;
			break;
		case 'T':
			g.test_mode = true;
			g.test_dump = 1;
			break;
		case 'V':
			fprintf(stderr, "qssh_0.1, %s\n", "OpenSSL 3");
			exit(0);
		case 'b':
		case 'k':
		case 'r':
		case 'u':
			break;
		default:
			usage();
		}
	}
	if (optind < argc) {
		fprintf(stderr, "Extra argument %s.\n", argv[optind]);
		exit(1);
	}
	qssh_log_init(g.progname, QSSH_LOG_INFO, QSSH_LOG_FAC_AUTH, true);
	if (g.log_file != NULL && qssh_log_set_file(g.log_file) != 0) {
		fprintf(stderr, "Couldn't open logfile %s: %s\n", g.log_file,
		    strerror(errno));
		exit(1);
	}
	load_config(d);
	if (g.test_dump) {
		r = dump_config(d);
		fflush(stdout);
		exit(r);
	}
	level = (enum qssh_log_level)d->cfg->log_level;
	if (d->debug > 0)
		level = (enum qssh_log_level)(
		    QSSH_LOG_DEBUG1 + (d->debug > 3 ? 2 : d->debug - 1));
	if (g.quiet)
		level = QSSH_LOG_QUIET;
	qssh_log_init(g.progname, level,
	    (enum qssh_log_facility)d->cfg->syslog_facility,
	    d->debug > 0 || g.log_stderr || g.test_mode);
	if (load_host_keys(d) != 0) {
		qlog_fatal("%s: no hostkeys available -- exiting.", g.progname);
		exit(1);
	}
	if (d->privileged && !g.test_mode &&
	    privsep_check_chroot_dir(PRIVSEP_DEFAULT_CHROOT) != 0)
		exit(255);
	if (g.test_mode)
		exit(0);
	if (qssh_random_bytes(d->fake_secret, sizeof(d->fake_secret)) != 0)
		exit(255);
	(void)signal(SIGPIPE, SIG_IGN);
	/* Probe the crypto backends once, quietly unless debugging. */
	if (d->debug == 0 && level > QSSH_LOG_INFO)
		qssh_log_set_level(QSSH_LOG_INFO);
	/* cryptodev needs the EAL, which only the dataplane process starts. */
	if (getenv("QSSH_CRYPTO_BACKEND") == NULL ||
	    strcmp(getenv("QSSH_CRYPTO_BACKEND"), "cryptodev") != 0)
		(void)cryp_backend_default();
	qssh_log_set_level(level);
	if (d->inetd)
		exit(run_inetd());
	warm_up(d);
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		exit(255);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGQUIT, &sa, NULL);
	(void)sigaction(SIGCHLD, &sa, NULL);
	open_listeners(d->cfg);
	if (!g.no_daemon && d->debug == 0)
		daemonize();
	if (d->debug == 0)
		write_pid_file(d->cfg);
	(void)s;
	if (dp_start() != 0)
		qlog_error("dataplane process not started; connections are "
			   "served by their control processes");
	heap_take_free_chunks();
	listen_loop();
	return 0;
}
