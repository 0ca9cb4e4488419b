/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qsshd's dataplane process.  The listener forks it once; it drops every
 * privilege and host key, starts the crypto workers, enters the sandbox
 * and then serves the network side of all connections (fastpath.h): the
 * listener hands it each accepted socket together with the dataplane end
 * of the connection's relay, whose other end goes to the connection's
 * control process.
 *
 * It exits when the listener is gone (its socket closed, e.g. a SIGHUP
 * re-exec) and its last connection has ended.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "control/key.h"
#include "control/privsep.h"
#include "crypto-offload/cryp.h"
#include "dataplane/eal.h"
#include "dataplane/fastpath.h"
#include "dataplane/workers.h"
#include "drivers/sock.h"
#include "qsshd.h"

/* RLIMIT_NOFILE of the dataplane: 1 + 1 per connection + 2 per session. */
#define DP_NOFILE 16384

/* What the listener sends with each connection's descriptors. */
struct dp_handoff_msg {
	uint32_t magic;
	int32_t port;
	uint8_t nfds; /* 2: socket, relay; 3: in, out, relay */
	char addr[64];
};
#define DP_MAGIC 0x71647031u

struct dp {
	struct fp_engine *fp;
	int ctl_fd;
	bool ctl_closed;
};

static void
on_ctl(void *arg)
{
	struct dp *dp = arg;
	struct dp_handoff_msg m;
	int fds[3];
	size_t nf = 0, i;
	bool lost = false;
	ssize_t n;

	memset(&m, 0, sizeof(m));
	n = sock_recvmsg_fds(dp->ctl_fd, &m, sizeof(m), fds, 3, &nf, &lost);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		for (i = 0; i < nf; i++)
			close(fds[i]);
		dp->ctl_closed = true;
		fp_engine_del_fd(dp->fp, dp->ctl_fd);
		close(dp->ctl_fd);
		dp->ctl_fd = -1;
		return;
	}
	m.addr[sizeof(m.addr) - 1] = '\0';
	if ((size_t)n != sizeof(m) || m.magic != DP_MAGIC ||
	    (m.nfds != 2 && m.nfds != 3) || nf != m.nfds || lost) {
		qlog_error("dataplane: bad handoff from the listener");
		for (i = 0; i < nf; i++)
			close(fds[i]);
		return;
	}
	if (nf == 2)
		(void)fp_engine_add(
		    dp->fp, fds[0], fds[0], fds[1], m.addr, (int)m.port);
	else
		(void)fp_engine_add(
		    dp->fp, fds[0], fds[1], fds[2], m.addr, (int)m.port);
}

/*
 * The crypto workers of CryptoWorkers, CryptoCores, CryptoWorkerMode,
 * CryptoRuntime and CryptoEALArgs.  No workers at all (CryptoWorkers 0, or
 * one usable core) means no engine: crypto runs inline.  An engine that
 * does not start is logged once, and crypto runs inline as well.
 */
static struct wrk_engine *
start_workers(const struct servconf *cfg, enum cryp_backend_id backend)
{
	struct wrk_config wc;
	struct wrk_engine *e;
	int err = 0;

	const char *env = getenv("QSSH_WORKERS");
	const char *mode = getenv("QSSH_WORKER_MODE");
	unsigned long n;
	unsigned int total;
	char *end = NULL;
	int p;

	wrk_config_init(&wc);
	total = servconf_wrk_config(cfg, &wc);
	/* The environment overrides the keywords, as for qssh. */
	if (env != NULL && *env != '\0') {
		errno = 0;
		n = strtoul(env, &end, 10);
		if (errno != 0 || *end != '\0' ||
		    n > WRK_WORKERS_MAX / WRK_POOL_COUNT)
			qlog_error("QSSH_WORKERS: bad value \"%s\" (0 to %d); "
				   "using CryptoWorkers",
			    env, WRK_WORKERS_MAX / WRK_POOL_COUNT);
		else {
			for (p = 0; p < WRK_POOL_COUNT; p++)
				wc.num_workers[p] = (uint32_t)n;
			total = (unsigned int)n * WRK_POOL_COUNT;
		}
	}
	if (mode != NULL && strcmp(mode, "offload") == 0)
		wc.mode = WRK_MODE_OFFLOAD;
	else if (mode != NULL && strcmp(mode, "inline") == 0)
		wc.mode = WRK_MODE_INLINE;
	else if (mode != NULL && strcmp(mode, "auto") == 0)
		wc.mode = WRK_MODE_AUTO;
	if (total == 0) {
		qlog_debug("dataplane: crypto workers: none, crypto inline");
		return NULL;
	}
	wc.backend = cryp_backend_name(backend);
	if ((e = wrk_engine_new(&wc, &err)) == NULL) {
		qlog_info("dataplane: crypto workers not started (%s); crypto "
			  "runs inline",
		    qssh_strerror(err));
		return NULL;
	}
	return e;
}

/*
 * The backend: the listener's choice, except that cryptodev needs the DPDK
 * EAL, which only this process starts (CryptoEALArgs, or the default).
 */
static enum cryp_backend_id
choose_backend(const struct servconf *cfg)
{
	const char *want = getenv("QSSH_CRYPTO_BACKEND");
	const char *eal = cfg->crypto_eal_args;

	if (want == NULL || *want == '\0')
		want = cfg->crypto_backend;
	if (want != NULL && strcmp(want, "cryptodev") == 0 &&
	    !dp_eal_running()) {
		if (eal != NULL && strcmp(eal, "none") == 0)
			eal = NULL;
		/* A failed start logs its own line. */
		(void)dp_eal_start(eal);
	}
	/* The usual choice, which logs what it took and why. */
	return cryp_backend_default();
}

static int
sandbox(const struct qsshd *d)
{
	struct privsep_sandbox_opts o;

	memset(&o, 0, sizeof(o));
	o.nofile = DP_NOFILE;
	o.keep_fsize = true;
	if (d->privileged)
		return privsep_sandbox_apply(&o);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return QSSH_ERR_SYSTEM;
	return privsep_seccomp_install();
}

void
qsshd_dataplane_main(struct qsshd *d, int ctl_fd)
{
	enum cryp_backend_id backend;
	struct wrk_engine *wrk;
	struct fp_config fc;
	struct dp dp;
	size_t i;
	int r;

	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGCHLD, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	/* Nothing here signs: the host keys go before anything else. */
	for (i = 0; i < d->num_host_keys; i++) {
		key_free(d->host_keys[i]);
		d->host_keys[i] = NULL;
	}
	backend = choose_backend(d->cfg);
	wrk = start_workers(d->cfg, backend);
	memset(&fc, 0, sizeof(fc));
	fc.backend = backend;
	fc.port = wrk != NULL ? wrk_engine_port(wrk, 0) : NULL;
	/* ChannelWindow, ChannelWindowMax (servconf keeps them in range). */
	fc.window = (uint32_t)d->cfg->channel_window;
	fc.window_max = (uint32_t)d->cfg->channel_window_max;
	memset(&dp, 0, sizeof(dp));
	dp.ctl_fd = ctl_fd;
	if ((dp.fp = fp_engine_new(&fc, &r)) == NULL ||
	    (r = fp_engine_add_fd(dp.fp, ctl_fd, on_ctl, &dp)) != 0) {
		qlog_error("dataplane: %s", qssh_strerror(r));
		_exit(255);
	}
	if ((r = sandbox(d)) != 0) {
		qlog_error("dataplane: sandbox: %s", qssh_strerror(r));
		_exit(255);
	}
	qlog_debug("dataplane process %ld: %s crypto, %u workers",
	    (long)getpid(), cryp_backend_name(backend),
	    wrk != NULL ? wrk_engine_num_workers(wrk) : 0);
	while (!dp.ctl_closed || fp_engine_count(dp.fp) > 0) {
		if ((r = fp_engine_run(dp.fp, -1)) != 0) {
			qlog_error("dataplane: %s", qssh_strerror(r));
			break;
		}
	}
	fp_engine_free(dp.fp);
	wrk_engine_free(wrk);
	_exit(0);
}

int
qsshd_dataplane_handoff(int dp_fd, int net_in, int net_out,
    const struct qsshd_peer *peer, int *relay_out)
{
	struct dp_handoff_msg m;
	struct iovec iov;
	int sp[2], fds[3];
	size_t nf;
	ssize_t n;

	*relay_out = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		return QSSH_ERR_SYSTEM;
	memset(&m, 0, sizeof(m));
	m.magic = DP_MAGIC;
	m.port = peer->port;
	snprintf(m.addr, sizeof(m.addr), "%s", peer->addr);
	fds[0] = net_in;
	if (net_out == net_in) {
		fds[1] = sp[1];
		nf = 2;
	} else {
		fds[1] = net_out;
		fds[2] = sp[1];
		nf = 3;
	}
	m.nfds = (uint8_t)nf;
	iov.iov_base = &m;
	iov.iov_len = sizeof(m);
	n = sock_sendmsg_fds(dp_fd, &iov, 1, fds, nf);
	close(sp[1]);
	if (n != (ssize_t)sizeof(m)) {
		close(sp[0]);
		return QSSH_ERR_CONN_CLOSED;
	}
	*relay_out = sp[0];
	return 0;
}
