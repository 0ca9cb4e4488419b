/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qssh-kextest: drives the transport and key exchange against real peers.
 *
 *   qssh-kextest connect HOST PORT [-o Kex=..] [-o HostKeyAlg=..]
 *       [-o Cipher=..] [-o MAC=..] [--auth-key FILE --user NAME] [--rekey]
 *       [-v]
 *   qssh-kextest serve PORT -h HOSTKEY [-h HOSTKEY ...] [-o ...]
 *       [--moduli FILE] [--accept-auth] [--rekey] [-v]
 *
 * The client does version exchange, kex, optionally a rekey it starts
 * itself, then SERVICE_REQUEST "ssh-userauth"; it prints the negotiated
 * algorithms and "service accepted".  The server answers one connection:
 * SERVICE_ACCEPT, optionally a rekey it starts itself, USERAUTH_FAILURE for
 * every request, until the client goes away.
 *
 * OpenSSH (9.2) treats a KEXINIT during user authentication as fatal in
 * both its client and its server, so a rekey against OpenSSH has to come
 * after authentication: with --auth-key the client authenticates with that
 * public key and rekeys afterwards; with --accept-auth the server answers
 * the first USERAUTH_REQUEST with USERAUTH_SUCCESS, rekeys, and refuses
 * channels.
 *
 * On a fatal transport or kex error either side ends with tctl_fatal(): one
 * log line in OpenSSH's wording and SSH_MSG_DISCONNECT with the matching
 * reason code.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/kex.h"
#include "control/key.h"
#include "dataplane/transport.h"
#include "drivers/sock.h"

#define MAX_HOSTKEYS 8
#define IO_TIMEOUT_MS 20000

struct opts {
	const char *kex, *hostkey, *cipher, *mac, *moduli;
	const char *auth_key, *user;
	bool accept_auth;
	const char *hostkey_files[MAX_HOSTKEYS];
	size_t num_hostkeys;
	bool rekey;
	bool verbose;
};

struct conn {
	int fd;
	struct tport *t;
	struct kex *kex;
	struct tctl *c;
	bool vdone;
	bool eof;
	unsigned seen_kex; /* kex_count() when conn_next() last returned */
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: qssh-kextest connect HOST PORT [-o Kex=..] "
	    "[-o HostKeyAlg=..] [-o Cipher=..] [-o MAC=..] [--rekey] [-v]\n"
	    "       qssh-kextest serve PORT -h HOSTKEY [-o ..] "
	    "[--moduli FILE] [--rekey] [-v]\n");
	exit(2);
}

static int
parse_opt(struct opts *o, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t n;

	if (eq == NULL)
		return -1;
	n = (size_t)(eq - kv);
	if ((n == 3 && strncasecmp(kv, "Kex", n) == 0) ||
	    (n == 13 && strncasecmp(kv, "KexAlgorithms", n) == 0))
		o->kex = eq + 1;
	else if ((n == 10 && strncasecmp(kv, "HostKeyAlg", n) == 0) ||
	    (n == 17 && strncasecmp(kv, "HostKeyAlgorithms", n) == 0))
		o->hostkey = eq + 1;
	else if ((n == 6 && strncasecmp(kv, "Cipher", n) == 0) ||
	    (n == 7 && strncasecmp(kv, "Ciphers", n) == 0))
		o->cipher = eq + 1;
	else if ((n == 3 && strncasecmp(kv, "MAC", n) == 0) ||
	    (n == 4 && strncasecmp(kv, "MACs", n) == 0))
		o->mac = eq + 1;
	else
		return -1;
	return 0;
}

static void
parse_args(int argc, char **argv, int first, struct opts *o)
{
	int i;

	for (i = first; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			if (parse_opt(o, argv[++i]) != 0) {
				fprintf(stderr, "unknown option %s\n", argv[i]);
				exit(2);
			}
		} else if (strcmp(argv[i], "-h") == 0 && i + 1 < argc) {
			if (o->num_hostkeys == MAX_HOSTKEYS)
				usage();
			o->hostkey_files[o->num_hostkeys++] = argv[++i];
		} else if (strcmp(argv[i], "--moduli") == 0 && i + 1 < argc) {
			o->moduli = argv[++i];
		} else if (strcmp(argv[i], "--auth-key") == 0 && i + 1 < argc) {
			o->auth_key = argv[++i];
		} else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
			o->user = argv[++i];
		} else if (strcmp(argv[i], "--accept-auth") == 0) {
			o->accept_auth = true;
		} else if (strcmp(argv[i], "--rekey") == 0) {
			o->rekey = true;
		} else if (strcmp(argv[i], "-v") == 0) {
			o->verbose = true;
		} else
			usage();
	}
}

/* Write what the transport has queued; read what the socket has. */
static int
conn_io(struct conn *cn, int timeout_ms)
{
	struct pollfd pfd;
	struct qssh_view out;
	uint8_t buf[16384];
	ssize_t n;
	int r;

	pfd.fd = cn->fd;
	pfd.events = POLLIN;
	if (tport_output_len(cn->t) > 0)
		pfd.events |= POLLOUT;
	if ((r = poll(&pfd, 1, timeout_ms)) < 0)
		return errno == EINTR ? 0 : QSSH_ERR_SYSTEM;
	if (r == 0)
		return QSSH_ERR_TIMEOUT;
	if (pfd.revents & POLLOUT) {
		out = tport_output(cn->t);
		n = write(cn->fd, out.p, out.len);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return QSSH_ERR_SYSTEM;
		if (n > 0 && (r = tport_output_consume(cn->t, (size_t)n)) != 0)
			return r;
	}
	if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
		n = read(cn->fd, buf, sizeof(buf));
		if (n == 0) {
			cn->eof = true;
			return QSSH_ERR_CONN_CLOSED;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return QSSH_ERR_SYSTEM;
		if (n > 0 && (r = tport_input(cn->t, buf, (size_t)n)) != 0)
			return r;
	}
	return 0;
}

/* Flush pending output (best effort, bounded). */
static void
conn_flush(struct conn *cn)
{
	struct qssh_view out;
	ssize_t n;
	int i;

	for (i = 0; i < 100 && tport_output_len(cn->t) > 0; i++) {
		out = tport_output(cn->t);
		n = write(cn->fd, out.p, out.len);
		if (n > 0)
			tport_output_consume(cn->t, (size_t)n);
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			return;
		else
			poll(NULL, 0, 10);
	}
}

/*
 * Next packet for the program: 0 and a packet, QSSH_ERR_AGAIN when a key
 * exchange finished (the program may want to act), or an error.  Runs the
 * I/O loop as needed.
 */
static int
conn_next(struct conn *cn, uint8_t *type, struct qssh_view *payload)
{
	const char *id;
	int r;

	for (;;) {
		if (!cn->vdone) {
			r = tport_read_version(cn->t, &id);
			if (r == 0) {
				cn->vdone = true;
				qlog_debug("Remote protocol version: %s", id);
				continue;
			}
		} else {
			r = tctl_next_packet(cn->c, type, payload);
			if (r == 0)
				return 0;
		}
		if (r != QSSH_ERR_AGAIN)
			return r;
		if (kex_count(cn->kex) != cn->seen_kex &&
		    !kex_in_progress(cn->kex)) {
			cn->seen_kex = kex_count(cn->kex);
			return QSSH_ERR_AGAIN;
		}
		if ((r = conn_io(cn, IO_TIMEOUT_MS)) != 0)
			return r;
	}
}

/*
 * A fatal error: one log line in OpenSSH's wording and, where the
 * connection can still carry it, SSH_MSG_DISCONNECT with the matching
 * reason (tctl_fatal()); then flush.
 */
static void
conn_fail(struct conn *cn, int r, const char *what)
{
	uint32_t reason;

	if (cn->c == NULL) {
		fprintf(stderr, "%s: %s\n", what, qssh_strerror(r));
		return;
	}
	reason = tctl_fatal(cn->c, r);
	if (reason != 0)
		conn_flush(cn);
	qlog_debug(
	    "%s: %s, disconnect reason %u", what, qssh_strerror(r), reason);
}

static void
print_result(const struct kex *kex)
{
	const struct kex_result *res = kex_get_result(kex);

	if (res == NULL)
		return;
	printf("kex: %s\n", res->kex);
	printf("hostkey: %s\n", res->hostkey_alg);
	printf("cipher c2s: %s mac: %s compression: %s\n", res->enc[0],
	    res->mac[0] != NULL ? res->mac[0] : "<implicit>", res->comp[0]);
	printf("cipher s2c: %s mac: %s compression: %s\n", res->enc[1],
	    res->mac[1] != NULL ? res->mac[1] : "<implicit>", res->comp[1]);
	printf("strict kex: %s\n", kex_is_strict(kex) ? "yes" : "no");
	printf("key exchanges: %u\n", kex_count(kex));
}

static int
verify_host_key(const struct key *k, const char *alg, void *ctx)
{
	char *fp = NULL;

	(void)ctx;
	if (key_fingerprint(k, KEY_FP_SHA256, &fp) == 0) {
		qlog_debug("Server host key: %s %s", alg, fp);
		printf("server host key: %s %s\n", key_type_name(k), fp);
		free(fp);
	}
	return 0;
}

static void
conn_cleanup(struct conn *cn)
{
	tctl_free(cn->c);
	kex_free(cn->kex);
	tport_free(cn->t);
	if (cn->fd >= 0)
		close(cn->fd);
}

static int
conn_setup(struct conn *cn, int fd, bool server, const struct kex_config *cfg)
{
	char addr[128];
	int port = 0, r;

	memset(cn, 0, sizeof(*cn));
	cn->fd = fd;
	if ((r = sock_set_nonblock(fd, true)) != 0)
		return r;
	sock_set_tcp_opts(fd, false);
	if ((cn->t = tport_new(server, cryp_backend_default())) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = tport_send_version(cn->t, "SSH-2.0-qssh_kextest")) != 0)
		return r;
	if ((cn->kex = kex_new(cn->t,
		 server ? KEX_ROLE_SERVER : KEX_ROLE_CLIENT, cfg, &r)) == NULL)
		return r;
	if ((cn->c = tctl_new(cn->t, cn->kex)) == NULL)
		return QSSH_ERR_ALLOC;
	if (sock_peer_name(fd, addr, sizeof(addr), &port) == 0)
		tctl_set_peer_name(cn->c, addr, port);
	return kex_start(cn->kex);
}

static void
fill_config(struct kex_config *cfg, const struct opts *o)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kex_algs = o->kex;
	cfg->hostkey_algs = o->hostkey;
	cfg->ciphers = o->cipher;
	cfg->macs = o->mac;
	cfg->moduli_path = o->moduli;
}

/* USERAUTH_REQUEST "publickey" with a signature (RFC 4252 7). */
static int
send_pubkey_auth(struct conn *cn, const struct key *k, const char *user)
{
	struct qssh_buf *blob = NULL, *data = NULL, *sig = NULL, *req = NULL;
	const uint8_t *sid;
	size_t sid_len;
	const char *alg;
	int r;

	alg = key_get_type(k) == KEY_RSA ? "rsa-sha2-256" : key_type_name(k);
	if ((blob = qssh_buf_new()) == NULL ||
	    (data = qssh_buf_new()) == NULL || (sig = qssh_buf_new()) == NULL ||
	    (req = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = kex_session_id(cn->kex, &sid, &sid_len)) != 0 ||
	    (r = key_to_blob(k, blob)) != 0)
		goto out;
	if ((r = qssh_buf_put_cstring(req, user)) != 0 ||
	    (r = qssh_buf_put_cstring(req, "ssh-connection")) != 0 ||
	    (r = qssh_buf_put_cstring(req, "publickey")) != 0 ||
	    (r = qssh_buf_put_bool(req, true)) != 0 ||
	    (r = qssh_buf_put_cstring(req, alg)) != 0 ||
	    (r = qssh_buf_put_stringb(req, blob)) != 0)
		goto out;
	if ((r = qssh_buf_put_string(data, sid, sid_len)) != 0 ||
	    (r = qssh_buf_put_u8(data, SSH_MSG_USERAUTH_REQUEST)) != 0 ||
	    (r = qssh_buf_put_view(data, qssh_buf_view(req))) != 0 ||
	    (r = key_sign(
		 k, alg, qssh_buf_ptr(data), qssh_buf_len(data), sig)) != 0 ||
	    (r = qssh_buf_put_stringb(req, sig)) != 0 ||
	    (r = tport_send_buf(cn->t, SSH_MSG_USERAUTH_REQUEST, req)) != 0)
		goto out;
	qlog_debug("sent publickey auth request for %s with %s", user, alg);
out:
	qssh_buf_free(blob);
	qssh_buf_free(data);
	qssh_buf_free(sig);
	qssh_buf_free(req);
	return r;
}

enum client_state {
	CS_KEX, /* first kex */
	CS_REKEY_PRE, /* rekey before the service request */
	CS_SERVICE, /* waiting for SERVICE_ACCEPT */
	CS_AUTH, /* waiting for USERAUTH_SUCCESS */
	CS_REKEY_POST, /* rekey after authentication */
	CS_DONE,
};

static int
run_client(const char *host, const char *port, const struct opts *o)
{
	struct kex_config cfg;
	struct conn cn;
	struct key *ukey = NULL;
	struct qssh_view pl;
	enum client_state st = CS_KEX;
	unsigned target = 0;
	uint8_t type;
	int fd = -1, r, ret = 1;
	char *svc = NULL;

	fill_config(&cfg, o);
	cfg.verify_host_key = verify_host_key;
	cfg.warn_weak_kex = true;
	if (o->auth_key != NULL) {
		if (o->user == NULL)
			usage();
		if ((r = key_load_private(
			 o->auth_key, NULL, false, &ukey, NULL)) != 0) {
			fprintf(stderr, "load %s: %s\n", o->auth_key,
			    qssh_strerror(r));
			return 1;
		}
	}
	if ((r = sock_connect_tcp(host, port, AF_UNSPEC, 10000, &fd)) != 0) {
		fprintf(stderr, "connect %s port %s: %s\n", host, port,
		    qssh_strerror(r));
		key_free(ukey);
		return 1;
	}
	if ((r = conn_setup(&cn, fd, false, &cfg)) != 0) {
		fprintf(stderr, "setup: %s\n", qssh_strerror(r));
		cn.fd = fd;
		goto out;
	}
	while (st != CS_DONE) {
		/* Actions when no kex is running. */
		if (!kex_in_progress(cn.kex) && kex_count(cn.kex) >= 1) {
			if (st == CS_KEX) {
				/* As OpenSSH's client, after the first kex. */
				if (kex_pq_warning_due(cn.kex))
					fputs(KEX_PQ_WARNING, stderr);
				if (o->rekey && ukey == NULL) {
					qlog_debug("forcing rekey");
					if ((r = tctl_rekey(cn.c)) != 0)
						break;
					target = kex_count(cn.kex) + 1;
					st = CS_REKEY_PRE;
					continue;
				}
				st = CS_REKEY_PRE;
			}
			if (st == CS_REKEY_PRE && kex_count(cn.kex) >= target) {
				if ((r = tctl_send_service_request(
					 cn.c, "ssh-userauth")) != 0)
					break;
				qlog_debug("SSH2_MSG_SERVICE_REQUEST sent");
				st = CS_SERVICE;
			}
			if (st == CS_REKEY_POST &&
			    kex_count(cn.kex) >= target) {
				st = CS_DONE;
				break;
			}
		}
		r = conn_next(&cn, &type, &pl);
		if (r == QSSH_ERR_AGAIN)
			continue;
		if (r != 0)
			break;
		if (st == CS_SERVICE && type == SSH_MSG_SERVICE_ACCEPT) {
			if ((r = tctl_parse_service(pl, &svc)) != 0)
				break;
			if (strcmp(svc, "ssh-userauth") != 0) {
				r = QSSH_ERR_PROTOCOL;
				break;
			}
			qlog_debug("SSH2_MSG_SERVICE_ACCEPT received");
			if (ukey == NULL) {
				st = CS_DONE;
				break;
			}
			if ((r = send_pubkey_auth(&cn, ukey, o->user)) != 0)
				break;
			st = CS_AUTH;
		} else if (st == CS_AUTH && type == SSH_MSG_USERAUTH_SUCCESS) {
			printf("authenticated\n");
			tport_auth_done(cn.t);
			if (!o->rekey) {
				st = CS_DONE;
				break;
			}
			qlog_debug("forcing rekey");
			if ((r = tctl_rekey(cn.c)) != 0)
				break;
			target = kex_count(cn.kex) + 1;
			st = CS_REKEY_POST;
		} else if (st == CS_AUTH && type == SSH_MSG_USERAUTH_FAILURE) {
			fprintf(stderr, "authentication refused\n");
			r = QSSH_ERR_ACCESS;
			break;
		} else if (type == SSH_MSG_USERAUTH_BANNER ||
		    type == SSH_MSG_GLOBAL_REQUEST) {
			qlog_debug("ignoring message %u", type);
		} else {
			fprintf(stderr, "unexpected message %u\n", type);
			r = QSSH_ERR_UNEXPECTED_MESSAGE;
			break;
		}
	}
	if (st == CS_DONE) {
		print_result(cn.kex);
		if (tctl_server_sig_algs(cn.c) != NULL)
			printf("server-sig-algs: %s\n",
			    tctl_server_sig_algs(cn.c));
		printf("service accepted\n");
		fflush(stdout);
		tport_send_disconnect(
		    cn.t, SSH_DISCONNECT_BY_APPLICATION, "done");
		conn_flush(&cn);
		ret = 0;
	} else
		conn_fail(&cn, r, "client");
out:
	free(svc);
	conn_cleanup(&cn);
	key_free(ukey);
	return ret;
}

static int
send_userauth_failure(struct conn *cn)
{
	struct qssh_buf *b;
	int r;

	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	/* No method can continue, no partial success. */
	if ((r = qssh_buf_put_cstring(b, "")) == 0 &&
	    (r = qssh_buf_put_bool(b, false)) == 0)
		r = tport_send_buf(cn->t, SSH_MSG_USERAUTH_FAILURE, b);
	qssh_buf_free(b);
	return r;
}

/* CHANNEL_OPEN_FAILURE, administratively prohibited (RFC 4254 5.1). */
static int
send_open_failure(struct conn *cn, struct qssh_view pl)
{
	struct qssh_view ctype;
	struct qssh_buf *b;
	uint32_t chan;
	int r;

	if ((r = qssh_view_get_string(&pl, &ctype)) != 0 ||
	    (r = qssh_view_get_u32(&pl, &chan)) != 0)
		return r;
	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put_u32(b, chan)) == 0 &&
	    (r = qssh_buf_put_u32(b, 1)) == 0 &&
	    (r = qssh_buf_put_cstring(b, "no channels here")) == 0 &&
	    (r = qssh_buf_put_cstring(b, "")) == 0)
		r = tport_send_buf(cn->t, SSH_MSG_CHANNEL_OPEN_FAILURE, b);
	qssh_buf_free(b);
	return r;
}

static int
run_server(const char *port, const struct opts *o)
{
	struct key *keys[MAX_HOSTKEYS] = { NULL };
	struct kex_config cfg;
	struct conn cn;
	struct qssh_view pl;
	uint8_t type;
	int lfd = -1, fd = -1, r, ret = 1;
	size_t i;
	char *svc;
	bool authed = false;

	memset(&cn, 0, sizeof(cn));
	cn.fd = -1;
	if (o->num_hostkeys == 0)
		usage();
	for (i = 0; i < o->num_hostkeys; i++) {
		if ((r = key_load_private(o->hostkey_files[i], NULL, false,
			 &keys[i], NULL)) != 0) {
			fprintf(stderr, "load %s: %s\n", o->hostkey_files[i],
			    qssh_strerror(r));
			goto out;
		}
	}
	fill_config(&cfg, o);
	cfg.host_keys = keys;
	cfg.num_host_keys = o->num_hostkeys;
	if ((r = sock_listen_tcp("127.0.0.1", port, AF_INET, 1, &lfd)) != 0) {
		fprintf(stderr, "listen port %s: %s\n", port, qssh_strerror(r));
		goto out;
	}
	printf("listening on port %s\n", port);
	fflush(stdout);
	if ((fd = accept(lfd, NULL, NULL)) < 0) {
		fprintf(stderr, "accept: %s\n", strerror(errno));
		goto out;
	}
	if ((r = conn_setup(&cn, fd, true, &cfg)) != 0) {
		fprintf(stderr, "setup: %s\n", qssh_strerror(r));
		cn.fd = fd;
		goto out;
	}
	for (;;) {
		r = conn_next(&cn, &type, &pl);
		if (r == QSSH_ERR_AGAIN)
			continue;
		if (r != 0)
			break;
		switch (type) {
		case SSH_MSG_SERVICE_REQUEST:
			svc = NULL;
			if ((r = tctl_parse_service(pl, &svc)) != 0)
				break;
			qlog_debug("service request %s", svc);
			r = tctl_send_service_accept(cn.c, svc);
			free(svc);
			if (r == 0 && o->rekey && !o->accept_auth) {
				qlog_debug("forcing rekey");
				r = tctl_rekey(cn.c);
			}
			break;
		case SSH_MSG_USERAUTH_REQUEST:
			if (!o->accept_auth) {
				r = send_userauth_failure(&cn);
				break;
			}
			if (authed)
				break;
			authed = true;
			if ((r = tport_send(
				 cn.t, SSH_MSG_USERAUTH_SUCCESS, NULL, 0)) != 0)
				break;
			tport_auth_done(cn.t);
			qlog_debug("accepted user authentication");
			if (o->rekey) {
				qlog_debug("forcing rekey");
				r = tctl_rekey(cn.c);
			}
			break;
		case SSH_MSG_CHANNEL_OPEN:
			r = send_open_failure(&cn, pl);
			break;
		default:
			qlog_debug("ignoring message %u", type);
			break;
		}
		if (r != 0)
			break;
	}
	if (r == QSSH_ERR_DISCONNECTED || r == QSSH_ERR_CONN_CLOSED) {
		print_result(cn.kex);
		printf("client disconnected\n");
		ret = kex_count(cn.kex) >= (o->rekey ? 2u : 1u) ? 0 : 1;
	} else
		conn_fail(&cn, r, "server");
out:
	conn_cleanup(&cn);
	if (lfd >= 0)
		close(lfd);
	for (i = 0; i < MAX_HOSTKEYS; i++)
		key_free(keys[i]);
	return ret;
}

int
main(int argc, char **argv)
{
	struct opts o;

	memset(&o, 0, sizeof(o));
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		usage();
	if (strcmp(argv[1], "connect") == 0) {
		if (argc < 4)
			usage();
		parse_args(argc, argv, 4, &o);
		qssh_log_init("qssh-kextest",
		    o.verbose ? QSSH_LOG_DEBUG3 : QSSH_LOG_INFO,
		    QSSH_LOG_FAC_USER, true);
		return run_client(argv[2], argv[3], &o);
	}
	if (strcmp(argv[1], "serve") == 0) {
		parse_args(argc, argv, 3, &o);
		qssh_log_init("qssh-kextest",
		    o.verbose ? QSSH_LOG_DEBUG3 : QSSH_LOG_INFO,
		    QSSH_LOG_FAC_USER, true);
		return run_server(argv[2], &o);
	}
	usage();
	return 2;
}
