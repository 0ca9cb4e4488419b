/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qssh: the TCP connection, the version exchange and key exchange, and the
 * server host key check against known_hosts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/hostfile.h"
#include "control/kex.h"
#include "control/key.h"
#include "crypto-offload/cryp.h"
#include "dataplane/transport.h"
#include "dataplane/workers.h"
#include "qssh.h"

#define QSSH_IDENT "SSH-2.0-qssh_" QSSH_VERSION
/* Bytes taken from the socket per read(), at most. */
#define SOCK_READ_CHUNK (256 * 1024)
/*
 * Longest wait in qssh_conn_read() for the crypto workers while the
 * transport's input queue is full; the caller's loop then goes round.
 */
#define INPUT_FULL_WAIT_MS 1000

/* Set when the host key check refused the key (message already shown). */
static bool hostkey_refused;
/* The port and address connected to, for the host key check. */
static int qssh_conn_port_now;
static char qssh_conn_addr_now[128];

static int
sock_nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return QSSH_ERR_SYSTEM;
	return 0;
}

/* ---- connecting ---- */

static int
connect_timeout(
    int fd, const struct sockaddr *sa, socklen_t salen, int timeout_ms)
{
	struct pollfd pfd;
	socklen_t len;
	int fl, err = 0, r;

	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return errno;
	if (connect(fd, sa, salen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	for (;;) {
		r = poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			return ETIMEDOUT;
		break;
	}
	len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

int
qssh_connect(struct qssh_conn *cn)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16], addr[128];
	int attempt, fd = -1, err = 0, r, one = 1;
	int timeout_ms;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = qssh_opts.address_family == READCONF_AF_INET ? AF_INET
	    : qssh_opts.address_family == READCONF_AF_INET6 ? AF_INET6
							    : AF_UNSPEC;
	snprintf(portstr, sizeof(portstr), "%d", cn->port);
	if ((r = getaddrinfo(cn->host, portstr, &hints, &res)) != 0) {
		fprintf(stderr, "%s: Could not resolve hostname %s: %s\r\n",
		    qssh_progname, cn->host, gai_strerror(r));
		return QSSH_ERR_NOT_FOUND;
	}
	timeout_ms = qssh_opts.connect_timeout > 0
	    ? qssh_opts.connect_timeout * 1000
	    : 0;
	for (attempt = 0; attempt < qssh_opts.connection_attempts && fd < 0;
	     attempt++) {
		if (attempt > 0) {
			sleep(1);
			qlog_debug("Trying again...");
		}
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
				sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
				snprintf(addr, sizeof(addr), "?");
			qlog_debug("Connecting to %s [%s] port %d.", cn->host,
			    addr, cn->port);
			fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd < 0) {
				err = errno;
				continue;
			}
			err = connect_timeout(
			    fd, ai->ai_addr, ai->ai_addrlen, timeout_ms);
			if (err == 0) {
				snprintf(cn->peer_addr, sizeof(cn->peer_addr),
				    "%s", addr);
				cn->peer_port = cn->port;
				break;
			}
			qlog_debug("connect to address %s port %d: %s", addr,
			    cn->port, strerror(err));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "%s: connect to host %s port %d: %s\r\n",
		    qssh_progname, cn->host, cn->port, strerror(err));
		return QSSH_ERR_SYSTEM;
	}
	qlog_debug("Connection established.");
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (qssh_opts.tcp_keep_alive == 1)
		(void)setsockopt(
		    fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	cn->fd = fd;
	return 0;
}

/* ---- I/O ---- */

void
qssh_conn_wait_work(struct qssh_conn *cn, int timeout_ms)
{
	uint64_t end = qssh_monotime_ms() + (uint64_t)timeout_ms;
	uint64_t now;

	if (cn->t == NULL)
		return;
	(void)tport_flush(cn->t);
	while (tport_work_pending(cn->t)) {
		now = qssh_monotime_ms();
		if (now >= end)
			return;
		if (tport_wait(cn->t, (int)(end - now)) == QSSH_ERR_AGAIN)
			return;
	}
}

/*
 * Whether the socket should be read now.  The transport takes at most
 * tport_input_room() bytes; with crypto workers the packets at the front of
 * its queue may still be decrypting, and the queue can be full while none
 * of them is ready.  Then the workers' event fd, not the socket, says when
 * to go on.
 */
static bool
conn_input_wanted(const struct qssh_conn *cn)
{
	return tport_input_room(cn->t) > 0 || !tport_work_pending(cn->t);
}

int
qssh_conn_read(struct qssh_conn *cn)
{
	size_t room = tport_input_room(cn->t);
	uint8_t *dst;
	ssize_t n;
	int r;

	if (room == 0) {
		/*
		 * Full, the front still on the workers: do not read (the
		 * transport would refuse the bytes), wait for them instead.
		 * The caller then takes the packets out, which makes room.
		 */
		r = tport_wait(cn->t, INPUT_FULL_WAIT_MS);
		if (r != 0 && r != QSSH_ERR_AGAIN && r != QSSH_ERR_TIMEOUT)
			return r;
		return 0;
	}
	if (room > SOCK_READ_CHUNK)
		room = SOCK_READ_CHUNK;
	/* Straight into the transport's input queue. */
	if ((r = tport_input_reserve(cn->t, room, &dst)) != 0)
		return r;
	do
		n = read(cn->fd, dst, room);
	while (n < 0 && errno == EINTR);
	tport_input_commit(cn->t, room, n > 0 ? (size_t)n : 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n < 0)
		return QSSH_ERR_SYSTEM;
	if (n == 0) {
		cn->eof = true;
		/* What already arrived is decrypted before the end. */
		qssh_conn_wait_work(cn, 10000);
		return QSSH_ERR_CONN_CLOSED;
	}
	cn->last_input_ms = qssh_monotime_ms();
	cn->alive_count = 0;
	/* One read: the caller takes the packets out first. */
	return 0;
}

int
qssh_conn_flush_out(struct qssh_conn *cn)
{
	struct qssh_view out;
	ssize_t n;
	int r;

	/* Hand queued crypto to the workers, take what they finished. */
	if ((r = tport_flush(cn->t)) != 0)
		return r;
	while (tport_output_len(cn->t) > 0) {
		out = tport_output(cn->t);
		n = write(cn->fd, out.p, out.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return QSSH_ERR_SYSTEM;
		if ((r = tport_output_consume(cn->t, (size_t)n)) != 0)
			return r;
	}
	return 0;
}

void
qssh_conn_drain(struct qssh_conn *cn, int timeout_ms)
{
	struct pollfd pfd;
	uint64_t end = qssh_monotime_ms() + (uint64_t)timeout_ms;
	uint64_t now;

	if (cn->t == NULL || cn->fd < 0)
		return;
	while (tport_output_len(cn->t) > 0 || tport_work_pending(cn->t)) {
		if (qssh_conn_flush_out(cn) != 0)
			return;
		now = qssh_monotime_ms();
		if (now >= end)
			return;
		if (tport_output_len(cn->t) == 0) {
			/* Packets still being encrypted. */
			if (tport_wait(cn->t, (int)(end - now)) != 0)
				return;
			continue;
		}
		pfd.fd = cn->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, (int)(end - now)) <= 0)
			return;
	}
}

int
qssh_conn_event_fd(struct qssh_conn *cn, int *timeout_ms)
{
	if (cn->t == NULL || !tport_work_pending(cn->t))
		return -1;
	if (tport_arm_event(cn->t))
		*timeout_ms = 0; /* completions are waiting already */
	return tport_event_fd(cn->t);
}

void
qssh_conn_event_clear(struct qssh_conn *cn)
{
	uint64_t v;
	int fd = cn->t != NULL ? tport_event_fd(cn->t) : -1;

	if (fd >= 0 && read(fd, &v, sizeof(v)) < 0) {
		/* nothing was signalled: EAGAIN */
	}
}

/* Wait for and exchange bytes once; timeout_ms -1 = forever. */
static int
conn_io(struct qssh_conn *cn, int timeout_ms)
{
	struct pollfd pfd[2];
	nfds_t n = 1;
	int r, wait_ms = timeout_ms;

	if ((r = qssh_conn_flush_out(cn)) != 0)
		return r;
	pfd[0].fd = cn->fd;
	pfd[0].events = conn_input_wanted(cn) ? POLLIN : 0;
	if (tport_output_len(cn->t) > 0)
		pfd[0].events |= POLLOUT;
	pfd[1].fd = qssh_conn_event_fd(cn, &wait_ms);
	pfd[1].events = POLLIN;
	pfd[1].revents = 0;
	if (pfd[1].fd >= 0)
		n = 2;
	r = poll(pfd, n, wait_ms);
	if (r < 0)
		return errno == EINTR ? 0 : QSSH_ERR_SYSTEM;
	if (r == 0 && wait_ms != 0)
		return QSSH_ERR_TIMEOUT;
	if (pfd[1].revents & POLLIN)
		qssh_conn_event_clear(cn);
	if ((r = qssh_conn_flush_out(cn)) != 0)
		return r;
	if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
		return qssh_conn_read(cn);
	return 0;
}

int
qssh_conn_next(struct qssh_conn *cn, uint8_t *type, struct qssh_view *payload)
{
	const char *id;
	int r, timeout;

	for (;;) {
		if (!cn->version_done) {
			r = tport_read_version(cn->t, &id);
			if (r == 0) {
				cn->version_done = true;
				qlog_debug("Remote protocol version 2.0, "
					   "remote software version %s",
				    strncmp(id, "SSH-2.0-", 8) == 0 ? id + 8
					: strncmp(id, "SSH-1.99-", 9) == 0
					? id + 9
					: id);
				continue;
			}
		} else {
			r = tctl_next_packet(cn->tctl, type, payload);
			if (r == 0)
				return 0;
		}
		if (r != QSSH_ERR_AGAIN)
			return r;
		if (cn->stop_after_kex && kex_count(cn->kex) >= 1 &&
		    !kex_in_progress(cn->kex))
			return QSSH_ERR_AGAIN;
		/* The transport may have queued replies (kex). */
		timeout = !cn->version_done && qssh_opts.connect_timeout > 0
		    ? qssh_opts.connect_timeout * 1000
		    : -1;
		r = conn_io(cn, timeout);
		/* Packets that arrived before the end still count. */
		if (r == QSSH_ERR_CONN_CLOSED && cn->version_done &&
		    tctl_next_packet(cn->tctl, type, payload) == 0)
			return 0;
		if (r == QSSH_ERR_TIMEOUT && !cn->version_done) {
			fprintf(stderr,
			    "Connection timed out during banner exchange\r\n");
			return QSSH_ERR_TIMEOUT;
		}
		if (r != 0)
			return r;
	}
}

int
qssh_conn_fatal(struct qssh_conn *cn, int err)
{
	const char *msg;

	if (hostkey_refused || err == QSSH_ERR_TIMEOUT)
		goto out;
	if (err == QSSH_ERR_DISCONNECTED) {
		/* tctl logged "Received disconnect from ...". */
		goto out;
	}
	if (cn->tctl != NULL && cn->t != NULL) {
		if (err == QSSH_ERR_CONN_CLOSED && !cn->version_done) {
			qlog_error("kex_exchange_identification: Connection "
				   "closed by remote host");
			qlog_error("Connection closed by %s port %d",
			    cn->peer_addr, cn->peer_port);
			goto out;
		}
		(void)tctl_fatal(cn->tctl, err);
		qssh_conn_drain(cn, 1000);
	} else {
		msg = qssh_strerror(err);
		qlog_error("%s", msg);
	}
out:
	return QSSH_EXIT_FAILURE;
}

void
qssh_conn_cleanup(struct qssh_conn *cn)
{
	tctl_free(cn->tctl);
	kex_free(cn->kex);
	tport_free(cn->t);
	/* Every tport of the engine is gone now. */
	wrk_engine_free(cn->wrk);
	if (cn->fd >= 0)
		close(cn->fd);
	cn->tctl = NULL;
	cn->kex = NULL;
	cn->t = NULL;
	cn->wrk = NULL;
	cn->fd = -1;
}

void
qssh_conn_detach_workers(struct qssh_conn *cn)
{
	if (cn->wrk == NULL || cn->t == NULL)
		return;
	(void)tport_attach_workers(cn->t, NULL);
	/* The engine's threads do not survive fork(): never touch it again
	 * in the child (the parent exits). */
	cn->wrk = NULL;
	qlog_debug("crypto workers detached");
}

/*
 * The crypto worker engine (dataplane/workers.h), as CryptoWorkers,
 * CryptoCores, CryptoWorkerMode, CryptoRuntime and CryptoEALArgs
 * (ssh_config) say.  $QSSH_WORKERS overrides CryptoWorkers: 0 = crypto
 * inline on this thread, N = N workers per algorithm pool; $QSSH_WORKER_MODE
 * (auto, offload or inline) overrides CryptoWorkerMode.  $QSSH_CRYPTO_BACKEND
 * picks the backend (cryp.h).  Failing to start workers is not an error:
 * crypto then runs inline.
 */
static void
attach_workers(struct qssh_conn *cn, enum cryp_backend_id backend)
{
	struct wrk_config cfg;
	struct wrk_engine *e;
	const char *env = getenv("QSSH_WORKERS");
	const char *mode = getenv("QSSH_WORKER_MODE");
	char *end = NULL;
	unsigned long n;
	unsigned int total;
	int err = 0, p;

	wrk_config_init(&cfg);
	total = readconf_wrk_config(&qssh_opts, &cfg);
	if (env != NULL && *env != '\0') {
		errno = 0;
		n = strtoul(env, &end, 10);
		if (errno != 0 || *end != '\0' ||
		    n > WRK_WORKERS_MAX / WRK_POOL_COUNT) {
			qlog_error("QSSH_WORKERS: bad value \"%s\" (0 to %d); "
				   "using CryptoWorkers",
			    env, WRK_WORKERS_MAX / WRK_POOL_COUNT);
		} else {
			for (p = 0; p < WRK_POOL_COUNT; p++)
				cfg.num_workers[p] = (uint32_t)n;
			total = (unsigned int)n * WRK_POOL_COUNT;
		}
	}
	if (total == 0) {
		qlog_debug("crypto workers: none, crypto inline");
		return;
	}
	if (mode != NULL && strcmp(mode, "offload") == 0)
		cfg.mode = WRK_MODE_OFFLOAD;
	else if (mode != NULL && strcmp(mode, "inline") == 0)
		cfg.mode = WRK_MODE_INLINE;
	else if (mode != NULL && strcmp(mode, "auto") == 0)
		cfg.mode = WRK_MODE_AUTO;
	else if (mode != NULL && *mode != '\0')
		qlog_error("QSSH_WORKER_MODE: bad value \"%s\" (auto, offload "
			   "or inline); using CryptoWorkerMode",
		    mode);
	cfg.backend = cryp_backend_name(backend);
	if ((e = wrk_engine_new(&cfg, &err)) == NULL) {
		qlog_debug("crypto workers: not started (%s), inline",
		    qssh_strerror(err));
		return;
	}
	if ((err = tport_attach_workers(cn->t, wrk_engine_port(e, 0))) != 0) {
		qlog_debug("crypto workers: attach: %s", qssh_strerror(err));
		wrk_engine_free(e);
		return;
	}
	/* The engine logged its workers, backend and runtime. */
	cn->wrk = e;
}

void
qssh_conn_bulk_check(struct qssh_conn *cn)
{
	struct tport_stats st;

	if (!cn->wrk_pending || cn->t == NULL || !tport_first_kex_done(cn->t))
		return;
	tport_get_stats(cn->t, &st);
	if (st.payload_in + st.payload_out < QSSH_WORKERS_AFTER)
		return;
	cn->wrk_pending = false;
	attach_workers(cn, (enum cryp_backend_id)cn->wrk_backend);
}

/* ---- host keys ---- */

static char **
known_hosts_files(size_t *num)
{
	char **f;
	size_t n = 0;
	unsigned i;

	f = calloc(
	    qssh_opts.num_user_hostfiles + qssh_opts.num_system_hostfiles + 1,
	    sizeof(*f));
	if (f == NULL)
		return NULL;
	for (i = 0; i < qssh_opts.num_user_hostfiles; i++) {
		if (strcmp(qssh_opts.user_hostfiles[i], "none") == 0)
			continue;
		f[n] = readconf_tilde_expand(
		    &qssh_rctx, qssh_opts.user_hostfiles[i]);
		if (f[n] != NULL)
			n++;
	}
	for (i = 0; i < qssh_opts.num_system_hostfiles; i++) {
		if (strcmp(qssh_opts.system_hostfiles[i], "none") == 0)
			continue;
		f[n] = readconf_tilde_expand(
		    &qssh_rctx, qssh_opts.system_hostfiles[i]);
		if (f[n] != NULL)
			n++;
	}
	*num = n;
	return f;
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

/* The first user known_hosts file, expanded (where keys are added). */
static char *
user_known_hosts(void)
{
	if (qssh_opts.num_user_hostfiles == 0 ||
	    strcmp(qssh_opts.user_hostfiles[0], "none") == 0)
		return NULL;
	return readconf_tilde_expand(&qssh_rctx, qssh_opts.user_hostfiles[0]);
}

static const char *
hostkey_name(void)
{
	return qssh_opts.host_key_alias != NULL ? qssh_opts.host_key_alias
						: qssh_rctx.host;
}

static void
print_lines(const char *text)
{
	const char *p = text, *e;

	while (*p != '\0') {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		qlog_error("%.*s", (int)(e - p), p);
		p = *e == '\n' ? e + 1 : e;
	}
}

static void
info_lines(const char *text)
{
	const char *p = text, *e;

	while (*p != '\0') {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		qlog_info("%.*s", (int)(e - p), p);
		p = *e == '\n' ? e + 1 : e;
	}
}

static int
add_host_key(const struct key *key, const char *display)
{
	char *path = user_known_hosts(), *msg = NULL;
	int r;

	if (path == NULL)
		return 0;
	r = hostfile_add(path, hostkey_name(), (unsigned)qssh_conn_port_now,
	    key, qssh_opts.hash_known_hosts == 1);
	if (r != 0)
		qlog_error("Failed to add the host to the list of known "
			   "hosts (%s).",
		    path);
	else if (hostfile_text_added(display, key, &msg) == 0) {
		msg[strcspn(msg, "\n")] = '\0';
		qlog_info("%s", msg);
		free(msg);
	}
	free(path);
	return 0;
}

/* First contact with ask: 1 yes, 0 no. */
static int
ask_new_host(const char *display, const struct key *key)
{
	char ip[192], *q = NULL, *ans = NULL, *fp = NULL;
	int ok = 0;

	if (qssh_conn_port_now != 22)
		snprintf(ip, sizeof(ip), "[%s]:%d", qssh_conn_addr_now,
		    qssh_conn_port_now);
	else
		snprintf(ip, sizeof(ip), "%s", qssh_conn_addr_now);
	if (hostfile_text_new_host(display, ip, key, &q) != 0 ||
	    key_fingerprint(key, KEY_FP_SHA256, &fp) != 0)
		goto out;
	ans = qssh_read_passphrase(q, true);
	for (;;) {
		if (ans == NULL)
			break;
		if (strcasecmp(ans, "yes") == 0 || strcmp(ans, fp) == 0) {
			ok = 1;
			break;
		}
		if (strcasecmp(ans, "no") == 0)
			break;
		free(ans);
		ans = qssh_read_passphrase(
		    "Please type 'yes', 'no' or the fingerprint: ", true);
	}
out:
	free(ans);
	free(q);
	free(fp);
	return ok;
}

static int
verify_host_key(const struct key *key, const char *alg, void *ctx)
{
	struct hostfile_result *res = NULL;
	char **files = NULL, *fp = NULL, *display = NULL, *text = NULL;
	char *ufile = NULL;
	size_t nfiles = 0;
	int shkc = qssh_opts.strict_host_key_checking, r;

	(void)alg;
	(void)ctx;
	if (key_fingerprint(key, KEY_FP_SHA256, &fp) != 0)
		return QSSH_ERR_ALLOC;
	qlog_debug("Server host key: %s %s", key_type_name(key), fp);
	if ((files = known_hosts_files(&nfiles)) == NULL ||
	    (r = hostfile_host_name(hostkey_name(),
		 (unsigned)qssh_conn_port_now, &display)) != 0) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = hostfile_check_host((const char *const *)files, nfiles,
		 hostkey_name(), (unsigned)qssh_conn_port_now, key, &res)) !=
	    0) {
		qlog_error("Host key check failed: %s", qssh_strerror(r));
		goto refuse;
	}
	switch (res->status) {
	case HOSTFILE_OK:
		qlog_debug("Host '%s' is known and matches the %s host key.",
		    display, key_type_short(key));
		if (res->match != NULL)
			qlog_debug("Found key in %s:%zu", res->match->file,
			    res->match->line);
		r = 0;
		goto out;
	case HOSTFILE_REVOKED:
		qlog_error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@"
			   "@@@@@@@@");
		qlog_error("@       WARNING: REVOKED HOST KEY DETECTED!      "
			   "         @");
		qlog_error("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@"
			   "@@@@@@@@");
		qlog_error("The %s host key for %s is marked as revoked.",
		    key_type_short(key), display);
		qlog_error(
		    "This could mean that a stolen key is being used to");
		qlog_error("impersonate this host.");
		goto refuse;
	case HOSTFILE_CHANGED:
		ufile = user_known_hosts();
		if (hostfile_text_changed(display, key, res->offending, ufile,
			shkc != READCONF_SHKC_NO, &text) == 0)
			print_lines(text);
		if (shkc != READCONF_SHKC_NO) {
			if (text == NULL)
				qlog_error("Host key verification failed.");
			hostkey_refused = true;
			r = QSSH_ERR_HOST_KEY_MISMATCH;
			goto out;
		}
		if (qssh_opts.password_authentication == 1) {
			qlog_error("Password authentication is disabled to "
				   "avoid man-in-the-middle attacks.");
			qssh_opts.password_authentication = 0;
		}
		if (qssh_opts.kbd_interactive_authentication == 1) {
			qlog_error("Keyboard-interactive authentication is "
				   "disabled to avoid man-in-the-middle "
				   "attacks.");
			qssh_opts.kbd_interactive_authentication = 0;
		}
		r = 0;
		goto out;
	case HOSTFILE_NEW:
	default:
		break;
	}
	if (shkc == READCONF_SHKC_YES) {
		qlog_error("No %s host key is known for %s and you have "
			   "requested strict checking.",
		    key_type_short(key), display);
		goto refuse;
	}
	if (shkc == READCONF_SHKC_ASK) {
		if (qssh_opts.batch_mode == 1 || !qssh_can_prompt()) {
			if (!qssh_can_prompt() && qssh_opts.batch_mode != 1)
				qlog_error("read_passphrase: can't open "
					   "/dev/tty: No such device or "
					   "address");
			goto refuse;
		}
		if (!ask_new_host(display, key))
			goto refuse;
	}
	r = add_host_key(key, display);
	goto out;
refuse:
	qlog_error("Host key verification failed.");
	hostkey_refused = true;
	r = QSSH_ERR_HOST_KEY_MISMATCH;
out:
	hostfile_result_free(res);
	free_strv(files, nfiles);
	free(fp);
	free(display);
	free(text);
	free(ufile);
	return r;
}

/*
 * With the default HostKeyAlgorithms, the algorithms of key types already
 * known for the host go first (as ssh(1) orders them), so that a known
 * host is not greeted with a key type it has never shown before.
 */
static char *
hostkey_preference(void)
{
	struct hostfile_entry *e = NULL;
	char **files, *name = NULL, *line = NULL, *out = NULL;
	char known[256] = "";
	size_t nfiles = 0, i, cap = 0;
	ssize_t n;
	FILE *f;

	if ((files = known_hosts_files(&nfiles)) == NULL)
		return NULL;
	if (hostfile_host_name(
		hostkey_name(), (unsigned)qssh_conn_port_now, &name) != 0)
		goto out;
	for (i = 0; i < nfiles; i++) {
		if ((f = fopen(files[i], "re")) == NULL)
			continue;
		while ((n = getline(&line, &cap, f)) > 0) {
			const char *alg = NULL;

			line[strcspn(line, "\r\n")] = '\0';
			if (hostfile_parse_line(line, &e) != 0)
				continue;
			if (e->marker == HOSTFILE_MARKER_NONE &&
			    hostfile_entry_matches(e, name)) {
				if (strcmp(e->key.type, "ssh-rsa") == 0)
					alg = "rsa-sha2-512,rsa-sha2-256";
				else if (!e->key.is_cert)
					alg = e->key.type;
			}
			if (alg != NULL && strstr(known, alg) == NULL &&
			    strlen(known) + strlen(alg) + 2 < sizeof(known)) {
				if (known[0] != '\0')
					strcat(known, ",");
				strcat(known, alg);
			}
			hostfile_entry_free(e);
			e = NULL;
		}
		fclose(f);
	}
	if (known[0] != '\0' && asprintf(&out, "^%s", known) < 0)
		out = NULL;
out:
	free(line);
	free(name);
	free_strv(files, nfiles);
	return out;
}

/* An algorithm list for the kex: NULL for the defaults, else the names of
 * the configured list that are implemented. */
static char *
kex_list(const char *kind, const char *val, enum kex_proposal which)
{
	const char *def = readconf_default_algorithms(kind);
	const char *sup = kex_supported_list(which);
	char *copy, *p, *save = NULL, *out;
	size_t len = 0;

	if (val == NULL || (def != NULL && strcmp(val, def) == 0))
		return NULL;
	if ((copy = strdup(val)) == NULL ||
	    (out = calloc(1, strlen(val) + 1)) == NULL) {
		free(copy);
		return NULL;
	}
	for (p = strtok_r(copy, ",", &save); p != NULL;
	     p = strtok_r(NULL, ",", &save)) {
		if (!qssh_namelist_contains(sup, p))
			continue;
		if (len > 0)
			out[len++] = ',';
		memcpy(out + len, p, strlen(p));
		len += strlen(p);
	}
	free(copy);
	if (len == 0) {
		/* Nothing implemented: let the kex say so. */
		free(out);
		return strdup(val);
	}
	return out;
}

int
qssh_conn_setup(struct qssh_conn *cn)
{
	struct kex_config cfg;
	enum cryp_backend_id backend;
	char *kexl = NULL, *hk = NULL, *ciph = NULL, *macs = NULL;
	struct qssh_view pl;
	uint8_t type;
	int r;

	qssh_conn_port_now = cn->port;
	snprintf(qssh_conn_addr_now, sizeof(qssh_conn_addr_now), "%s",
	    cn->peer_addr);
	if ((r = sock_nonblock(cn->fd)) != 0)
		return r;
	backend = cryp_backend_default();
	if ((cn->t = tport_new(false, backend)) == NULL)
		return QSSH_ERR_ALLOC;
	/* The workers start with the first bulk data (qssh_conn_bulk_check). */
	cn->wrk_pending = true;
	cn->wrk_backend = (int)backend;
	qlog_debug("Local version string %s", QSSH_IDENT);
	if ((r = tport_send_version(cn->t, QSSH_IDENT)) != 0)
		return r;
	tport_set_rekey_limits(cn->t, (uint64_t)qssh_opts.rekey_limit,
	    (uint32_t)(qssh_opts.rekey_interval > 0 ? qssh_opts.rekey_interval
						    : 0));
	memset(&cfg, 0, sizeof(cfg));
	kexl = kex_list("kex", qssh_opts.kex_algorithms, KEX_PROP_KEX);
	ciph = kex_list("cipher", qssh_opts.ciphers, KEX_PROP_ENC_C2S);
	macs = kex_list("mac", qssh_opts.macs, KEX_PROP_MAC_C2S);
	hk = kex_list("key", qssh_opts.hostkey_algorithms, KEX_PROP_HOSTKEY);
	if (hk == NULL)
		hk = hostkey_preference();
	cfg.kex_algs = kexl;
	cfg.ciphers = ciph;
	cfg.macs = macs;
	cfg.hostkey_algs = hk;
	cfg.compression =
	    qssh_opts.compression == 1 ? "zlib@openssh.com,zlib,none" : "none";
	cfg.verify_host_key = verify_host_key;
	cfg.warn_weak_kex = qssh_opts.warn_weak_crypto != 0;
	cn->kex = kex_new(cn->t, KEX_ROLE_CLIENT, &cfg, &r);
	free(kexl);
	free(ciph);
	free(macs);
	free(hk);
	if (cn->kex == NULL) {
		qlog_error("Bad algorithm list in the configuration: %s",
		    qssh_strerror(r));
		return r;
	}
	kex_set_peer_name(cn->kex, cn->peer_addr, cn->peer_port);
	if ((cn->tctl = tctl_new(cn->t, cn->kex)) == NULL)
		return QSSH_ERR_ALLOC;
	tctl_set_peer_name(cn->tctl, cn->peer_addr, cn->peer_port);
	if ((r = kex_start(cn->kex)) != 0)
		return r;
	/* Run until the first key exchange is complete. */
	cn->stop_after_kex = true;
	while (kex_count(cn->kex) < 1 || kex_in_progress(cn->kex)) {
		r = qssh_conn_next(cn, &type, &pl);
		if (r == QSSH_ERR_AGAIN)
			continue;
		if (r != 0)
			return r;
		/* Nothing but transport messages may come before NEWKEYS. */
		qlog_debug("unexpected message %u during key exchange", type);
		return QSSH_ERR_UNEXPECTED_MESSAGE;
	}
	cn->stop_after_kex = false;
	/* OpenSSH 10's WarnWeakCrypto: an INFO message, hidden by -q. */
	if (kex_pq_warning_due(cn->kex))
		info_lines(KEX_PQ_WARNING);
	return 0;
}
