/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The dataplane engine (fastpath.h) driven in-process.  The test plays
 * the three others around one connection: the client (a network tport on
 * a socketpair), the control process (a relay tport on the relay
 * socketpair; a key exchange is played with fixed keys, in kex_run.c's
 * order of hooks) and the session (socketpairs whose far ends are handed
 * over with RELAY_APP_BIND).  Every test runs twice: crypto inline, and
 * with a crypto worker engine of one worker attached.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "crypto-offload/cryp.h"
#include "dataplane/fastpath.h"
#include "dataplane/relay.h"
#include "dataplane/transport.h"
#include "dataplane/workers.h"

#define LID 7u /* the server's channel number */
#define RID 3u /* the client's */
#define LMAX 32768u
#define RMAX 32768u
#define QMAX 512 /* packets queued on a side */
#define IDLE_MAX 5000 /* steps without progress before a test gives up */

/* Key sets, one per key exchange round. */
static const struct {
	const char *cipher, *mac;
} algs[] = {
	{ "aes128-ctr", "hmac-sha2-256" },
	{ "aes256-gcm@openssh.com", NULL },
	{ "chacha20-poly1305@openssh.com", NULL },
	{ "aes128-ctr", "hmac-sha2-256-etm@openssh.com" },
};
#define NUM_ALGS (sizeof(algs) / sizeof(algs[0]))

static struct wrk_engine *g_wrk; /* the "workers" variant */

struct pkt {
	uint8_t type;
	uint8_t *p;
	size_t len;
};

struct side {
	struct tport *t;
	int fd;
	bool version;
	bool eof; /* the descriptor gave end of file */
	int err; /* tport_read_packet()'s error */
	struct pkt q[QMAX];
	size_t nq;
};

struct stream {
	uint32_t seed;
	uint64_t total, done, got;
};

struct h {
	struct fp_engine *e;
	int nfd_before;
	struct side cli, ctl;
	int io, er; /* the session's ends */
	/* Key exchange: round number, state of each side. */
	unsigned round;
	int kex_srv, kex_cli;
	unsigned kex_done;
	bool auto_rekey;
	/* The client's channel. */
	bool open;
	uint64_t cwin; /* the client may still send this much */
	uint64_t cwin_max; /* largest cwin seen */
	uint32_t swin_init, swin, sconsumed; /* the server's window */
	bool cli_eof_rcvd, cli_close_rcvd;
	uint64_t down_at_eof, err_at_eof;
	/* Data: client -> session, session stdout/stderr -> client. */
	struct stream up, down, err;
	size_t sess_read_max; /* per step; 0: the session does not read */
	bool sess_in_eof;
	bool sess_out_close; /* close the session's output once written */
};

/* ---- helpers ---- */

static uint8_t
pat(uint32_t seed, uint64_t off)
{
	uint64_t x = (off + seed) * 0x9e3779b97f4a7c15ULL;

	return (uint8_t)((x >> 32) ^ (x >> 13) ^ (off >> 10));
}

static void
pat_fill(const struct stream *s, uint64_t off, uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pat(s->seed, off + i);
}

static void
pat_check(struct stream *s, const uint8_t *p, size_t len, const char *what)
{
	size_t i;

	if (len > s->total - s->got)
		fail_msg("%s: %zu bytes past the end (%llu of %llu)", what, len,
		    (unsigned long long)s->got, (unsigned long long)s->total);
	for (i = 0; i < len; i++)
		if (p[i] != pat(s->seed, s->got + i))
			fail_msg("%s: byte %llu differs", what,
			    (unsigned long long)(s->got + i));
	s->got += len;
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	assert_int_not_equal(fl, -1);
	assert_int_not_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), -1);
}

static void
keys_for(struct tport_keys *k, unsigned round, bool c2s)
{
	const unsigned a = round % NUM_ALGS;
	size_t i;

	memset(k, 0, sizeof(*k));
	k->cipher = cryp_cipher_by_name(algs[a].cipher);
	assert_non_null(k->cipher);
	if (algs[a].mac != NULL) {
		k->mac = cryp_mac_by_name(algs[a].mac);
		assert_non_null(k->mac);
	}
	for (i = 0; i < sizeof(k->key); i++) {
		k->key[i] = (uint8_t)(i * 3 + round * 17 + (c2s ? 1 : 101));
		k->iv[i] = (uint8_t)(i * 5 + round * 29 + (c2s ? 7 : 77));
		k->mac_key[i] = (uint8_t)(i * 7 + round + (c2s ? 13 : 131));
	}
}

static void
q_push(struct side *s, uint8_t type, struct qssh_view pl)
{
	struct pkt *p;

	if (s->nq == QMAX)
		fail_msg("packet queue full");
	p = &s->q[s->nq++];
	p->type = type;
	p->len = pl.len;
	p->p = malloc(pl.len + 1);
	assert_non_null(p->p);
	if (pl.len > 0)
		memcpy(p->p, pl.p, pl.len);
}

static void
q_clear(struct side *s)
{
	size_t i;

	for (i = 0; i < s->nq; i++)
		free(s->q[i].p);
	s->nq = 0;
}

/*
 * Take the first queued packet of this type (and, for application
 * records, app type); false if there is none.
 */
static bool
q_take(struct side *s, uint8_t type, int app, struct pkt *out)
{
	size_t i;

	for (i = 0; i < s->nq; i++) {
		if (s->q[i].type != type)
			continue;
		if (app >= 0 && (s->q[i].len < 1 || s->q[i].p[0] != app))
			continue;
		*out = s->q[i];
		memmove(
		    &s->q[i], &s->q[i + 1], (s->nq - i - 1) * sizeof(s->q[0]));
		s->nq--;
		return true;
	}
	return false;
}

static void
send_u32s(struct tport *t, uint8_t type, uint32_t a, uint32_t b, int n)
{
	uint8_t p[8];

	qssh_put_u32be(p, a);
	qssh_put_u32be(p + 4, b);
	assert_int_equal(tport_send(t, type, p, (size_t)n * 4), 0);
}

/* ---- the sides ---- */

/* Bytes between a tport and its descriptor; true if any moved. */
static bool
side_io(struct side *s)
{
	static uint8_t buf[256 * 1024];
	struct qssh_view out;
	bool moved = false;
	size_t room, total = 0;
	ssize_t n;

	if (s->fd < 0)
		return false;
	while ((out = tport_output(s->t)).len > 0) {
		n = send(s->fd, out.p, out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n <= 0)
			break;
		assert_int_equal(tport_output_consume(s->t, (size_t)n), 0);
		moved = true;
	}
	while (!s->eof && total < 1024 * 1024 &&
	    (room = tport_input_room(s->t)) > 0) {
		n = recv(s->fd, buf, room < sizeof(buf) ? room : sizeof(buf),
		    MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			s->eof = true;
			moved = true;
			break;
		}
		assert_int_equal(tport_input(s->t, buf, (size_t)n), 0);
		total += (size_t)n;
		moved = true;
	}
	return moved;
}

static void
srv_kex_start(struct h *h)
{
	static const uint8_t cookie[16] = { 1, 2, 3 };

	h->round++;
	h->kex_srv = 1;
	tport_kex_started(h->ctl.t);
	assert_int_equal(
	    tport_send(h->ctl.t, SSH_MSG_KEXINIT, cookie, sizeof(cookie)), 0);
}

/* The control process's side of what the dataplane relays. */
static bool
ctl_packets(struct h *h)
{
	struct tport_keys k;
	struct qssh_view pl;
	const char *id;
	bool moved = false;
	uint8_t type;
	int r;

	if (!h->ctl.version) {
		r = tport_read_version(h->ctl.t, &id);
		if (r == QSSH_ERR_AGAIN)
			return false;
		assert_int_equal(r, 0);
		assert_string_equal(id, "SSH-2.0-client_test");
		h->ctl.version = true;
		moved = true;
	}
	while (h->ctl.err == 0) {
		r = tport_read_packet(h->ctl.t, &type, &pl);
		if (r == QSSH_ERR_AGAIN)
			break;
		moved = true;
		if (r != 0) {
			h->ctl.err = r;
			break;
		}
		if (type == SSH_MSG_KEXINIT && h->kex_srv == 1) {
			/* Our reply would follow: here NEWKEYS at once. */
			assert_int_equal(
			    tport_send(h->ctl.t, SSH_MSG_NEWKEYS, NULL, 0), 0);
			keys_for(&k, h->round, false);
			assert_int_equal(tport_set_keys_out(h->ctl.t, &k), 0);
			h->kex_srv = 2;
			continue;
		}
		if (type == SSH_MSG_NEWKEYS) {
			assert_int_equal(h->kex_srv, 2);
			keys_for(&k, h->round, true);
			assert_int_equal(tport_set_keys_in(h->ctl.t, &k), 0);
			h->kex_srv = 0;
			h->kex_done++;
			continue;
		}
		q_push(&h->ctl, type, pl);
	}
	if (h->auto_rekey && h->kex_srv == 0 && h->kex_cli == 0 &&
	    tport_rekey_needed(h->ctl.t)) {
		srv_kex_start(h);
		moved = true;
	}
	return moved;
}

/* The server's window for the client's channel: adjust as it is used. */
static void
cli_consumed(struct h *h, size_t len)
{
	if (len > h->swin)
		fail_msg(
		    "server sent %zu bytes beyond the window %u", len, h->swin);
	h->swin -= (uint32_t)len;
	h->sconsumed += (uint32_t)len;
	if (h->sconsumed >= h->swin_init / 2) {
		send_u32s(h->cli.t, SSH_MSG_CHANNEL_WINDOW_ADJUST, LID,
		    h->sconsumed, 2);
		h->swin += h->sconsumed;
		h->sconsumed = 0;
	}
}

static bool
cli_packets(struct h *h)
{
	static const uint8_t cookie[16] = { 9, 8, 7 };
	struct qssh_view pl, data;
	struct tport_keys k;
	uint32_t id, n, code;
	const char *ident;
	bool moved = false;
	uint8_t type;
	int r;

	if (!h->cli.version) {
		r = tport_read_version(h->cli.t, &ident);
		if (r == QSSH_ERR_AGAIN)
			return false;
		assert_int_equal(r, 0);
		assert_string_equal(ident, "SSH-2.0-qsshd_test");
		h->cli.version = true;
		moved = true;
	}
	while (h->cli.err == 0) {
		r = tport_read_packet(h->cli.t, &type, &pl);
		if (r == QSSH_ERR_AGAIN)
			break;
		moved = true;
		if (r != 0) {
			h->cli.err = r;
			break;
		}
		switch (type) {
		case SSH_MSG_KEXINIT:
			assert_int_equal(h->kex_cli, 0);
			tport_kex_started(h->cli.t);
			assert_int_equal(tport_send(h->cli.t, SSH_MSG_KEXINIT,
					     cookie, sizeof(cookie)),
			    0);
			h->kex_cli = 1;
			continue;
		case SSH_MSG_NEWKEYS:
			assert_int_equal(h->kex_cli, 1);
			keys_for(&k, h->round, false);
			assert_int_equal(tport_set_keys_in(h->cli.t, &k), 0);
			assert_int_equal(
			    tport_send(h->cli.t, SSH_MSG_NEWKEYS, NULL, 0), 0);
			keys_for(&k, h->round, true);
			assert_int_equal(tport_set_keys_out(h->cli.t, &k), 0);
			h->kex_cli = 0;
			continue;
		case SSH_MSG_CHANNEL_DATA:
			assert_int_equal(qssh_view_get_u32(&pl, &id), 0);
			assert_int_equal(id, RID);
			assert_int_equal(qssh_view_get_string(&pl, &data), 0);
			assert_int_equal(pl.len, 0);
			assert_true(data.len <= RMAX);
			assert_false(h->cli_eof_rcvd);
			pat_check(&h->down, data.p, data.len, "stdout");
			cli_consumed(h, data.len);
			continue;
		case SSH_MSG_CHANNEL_EXTENDED_DATA:
			assert_int_equal(qssh_view_get_u32(&pl, &id), 0);
			assert_int_equal(id, RID);
			assert_int_equal(qssh_view_get_u32(&pl, &code), 0);
			assert_int_equal(code, 1);
			assert_int_equal(qssh_view_get_string(&pl, &data), 0);
			assert_true(data.len <= RMAX);
			assert_false(h->cli_eof_rcvd);
			pat_check(&h->err, data.p, data.len, "stderr");
			cli_consumed(h, data.len);
			continue;
		case SSH_MSG_CHANNEL_WINDOW_ADJUST:
			assert_int_equal(qssh_view_get_u32(&pl, &id), 0);
			assert_int_equal(id, RID);
			assert_int_equal(qssh_view_get_u32(&pl, &n), 0);
			h->cwin += n;
			/* The window never exceeds 2^32 - 1 (RFC 4254 5.2). */
			assert_true(h->cwin <= UINT32_MAX);
			if (h->cwin > h->cwin_max)
				h->cwin_max = h->cwin;
			continue;
		case SSH_MSG_CHANNEL_EOF:
			h->cli_eof_rcvd = true;
			h->down_at_eof = h->down.got;
			h->err_at_eof = h->err.got;
			continue;
		case SSH_MSG_CHANNEL_CLOSE:
			h->cli_close_rcvd = true;
			break;
		default:
			break;
		}
		q_push(&h->cli, type, pl);
	}
	return moved;
}

/* The client sends its data within the window. */
static bool
cli_send(struct h *h)
{
	static uint8_t buf[LMAX + 8];
	bool moved = false;
	size_t len;

	while (h->open && h->up.done < h->up.total && h->cwin > 0 &&
	    !tport_kex_holding(h->cli.t) &&
	    tport_output_len(h->cli.t) < 512 * 1024) {
		len = LMAX;
		if (len > h->cwin)
			len = (size_t)h->cwin;
		if (len > h->up.total - h->up.done)
			len = (size_t)(h->up.total - h->up.done);
		qssh_put_u32be(buf, LID);
		qssh_put_u32be(buf + 4, (uint32_t)len);
		pat_fill(&h->up, h->up.done, buf + 8, len);
		assert_int_equal(
		    tport_send(h->cli.t, SSH_MSG_CHANNEL_DATA, buf, 8 + len),
		    0);
		h->up.done += len;
		h->cwin -= len;
		moved = true;
	}
	return moved;
}

static bool
sess_write(struct stream *s, int fd)
{
	static uint8_t buf[64 * 1024];
	size_t len;
	ssize_t n;

	if (fd < 0 || s->done >= s->total)
		return false;
	len = sizeof(buf);
	if (len > s->total - s->done)
		len = (size_t)(s->total - s->done);
	pat_fill(s, s->done, buf, len);
	n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n <= 0)
		return false;
	s->done += (size_t)n;
	return true;
}

/* The session: reads its stdin slowly, writes its output. */
static bool
sess_io(struct h *h)
{
	static uint8_t buf[256 * 1024];
	bool moved = false;
	ssize_t n;

	if (h->io >= 0 && h->sess_read_max > 0 && !h->sess_in_eof) {
		n = recv(h->io, buf,
		    h->sess_read_max < sizeof(buf) ? h->sess_read_max
						   : sizeof(buf),
		    MSG_DONTWAIT);
		if (n > 0) {
			pat_check(&h->up, buf, (size_t)n, "stdin");
			moved = true;
		} else if (n == 0) {
			h->sess_in_eof = true;
			moved = true;
		}
	}
	if (sess_write(&h->down, h->io))
		moved = true;
	if (sess_write(&h->err, h->er))
		moved = true;
	if (h->sess_out_close && h->down.done == h->down.total &&
	    h->err.done == h->err.total && h->er >= 0) {
		assert_int_equal(shutdown(h->io, SHUT_WR), 0);
		close(h->er);
		h->er = -1;
		moved = true;
	}
	return moved;
}

static bool
step(struct h *h, int wait_ms)
{
	bool moved = false;

	assert_int_equal(fp_engine_run(h->e, wait_ms), 0);
	moved |= side_io(&h->cli);
	moved |= side_io(&h->ctl);
	moved |= cli_packets(h);
	moved |= ctl_packets(h);
	moved |= cli_send(h);
	moved |= sess_io(h);
	moved |= side_io(&h->cli);
	moved |= side_io(&h->ctl);
	return moved;
}

static void
h_stuck(const struct h *h, const char *cond)
{
	print_error("up %llu/%llu/%llu down %llu/%llu/%llu err %llu/%llu/%llu "
		    "cwin %llu swin %u kex %d/%d/%u cli %d/%d ctl %d/%d "
		    "out %zu/%zu\n",
	    (unsigned long long)h->up.got, (unsigned long long)h->up.done,
	    (unsigned long long)h->up.total, (unsigned long long)h->down.got,
	    (unsigned long long)h->down.done, (unsigned long long)h->down.total,
	    (unsigned long long)h->err.got, (unsigned long long)h->err.done,
	    (unsigned long long)h->err.total, (unsigned long long)h->cwin,
	    h->swin, h->kex_srv, h->kex_cli, h->kex_done, h->cli.err,
	    h->cli.eof, h->ctl.err, h->ctl.eof, tport_output_len(h->cli.t),
	    tport_output_len(h->ctl.t));
	fail_msg("nothing moves; waiting for: %s", cond);
}

#define RUN_UNTIL(h, cond)                                \
	do {                                              \
		unsigned idle_ = 0;                       \
		while (!(cond)) {                         \
			if (step((h), idle_ > 0 ? 2 : 0)) \
				idle_ = 0;                \
			else if (++idle_ > IDLE_MAX)      \
				h_stuck((h), #cond);      \
		}                                         \
	} while (0)

/* Until nothing moves for a while (to show that something does not). */
static void
settle(struct h *h)
{
	unsigned idle = 0;

	while (idle < 50)
		idle = step(h, 1) ? 0 : idle + 1;
}

/* ---- setting up ---- */

struct opts {
	uint32_t window, window_max; /* the engine's */
	uint32_t lwin; /* the control process's channel window */
	uint32_t swin; /* the client's */
};

static void
h_open(struct h *h, const struct opts *o)
{
	struct fp_config cfg;
	int net[2], rel[2], err = 0;

	memset(h, 0, sizeof(*h));
	h->nfd_before = count_fds();
	h->io = h->er = -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.backend = CRYP_BACKEND_OPENSSL;
	cfg.port = g_wrk != NULL ? wrk_engine_port(g_wrk, 0) : NULL;
	cfg.window = o->window;
	cfg.window_max = o->window_max;
	h->e = fp_engine_new(&cfg, &err);
	assert_non_null(h->e);
	assert_int_equal(err, 0);
	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, net), 0);
	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rel), 0);
	assert_int_equal(
	    fp_engine_add(h->e, net[0], net[0], rel[0], "test", 2222), 0);
	assert_int_equal(fp_engine_count(h->e), 1);
	h->cli.fd = net[1];
	h->ctl.fd = rel[1];
	set_nonblock(net[1]);
	set_nonblock(rel[1]);
	h->cli.t = tport_new(false, CRYP_BACKEND_OPENSSL);
	h->ctl.t = tport_new_relay(true);
	assert_non_null(h->cli.t);
	assert_non_null(h->ctl.t);
	assert_true(tport_is_relay(h->ctl.t));
	h->up.seed = 0x1111;
	h->down.seed = 0x2222;
	h->err.seed = 0x3333;
	h->swin_init = h->swin = o->swin;

	/* Identification, then the first key exchange. */
	assert_int_equal(tport_send_version(h->ctl.t, "SSH-2.0-qsshd_test"), 0);
	assert_int_equal(
	    tport_send_version(h->cli.t, "SSH-2.0-client_test"), 0);
	RUN_UNTIL(h, h->cli.version && h->ctl.version);
	srv_kex_start(h);
	RUN_UNTIL(h, h->kex_done == 1 && h->kex_cli == 0);
	assert_true(tport_first_kex_done(h->cli.t));
}

static void
h_close(struct h *h)
{
	fp_engine_free(h->e);
	tport_free(h->cli.t);
	tport_free(h->ctl.t);
	q_clear(&h->cli);
	q_clear(&h->ctl);
	if (h->cli.fd >= 0)
		close(h->cli.fd);
	if (h->ctl.fd >= 0)
		close(h->ctl.fd);
	if (h->io >= 0)
		close(h->io);
	if (h->er >= 0)
		close(h->er);
	/* Every descriptor the engine was given is closed. */
	assert_int_equal(count_fds(), h->nfd_before);
}

/* The client opens a session channel; the control process confirms. */
static void
chan_open(struct h *h, uint32_t lwin)
{
	struct qssh_buf *b = qssh_buf_new();
	struct pkt p;

	assert_non_null(b);
	assert_int_equal(qssh_buf_put_cstring(b, "session"), 0);
	assert_int_equal(qssh_buf_put_u32(b, RID), 0);
	assert_int_equal(qssh_buf_put_u32(b, h->swin_init), 0);
	assert_int_equal(qssh_buf_put_u32(b, RMAX), 0);
	assert_int_equal(tport_send_buf(h->cli.t, SSH_MSG_CHANNEL_OPEN, b), 0);
	qssh_buf_free(b);
	RUN_UNTIL(h, q_take(&h->ctl, SSH_MSG_CHANNEL_OPEN, -1, &p));
	free(p.p);
	b = qssh_buf_new();
	assert_non_null(b);
	assert_int_equal(qssh_buf_put_u32(b, RID), 0);
	assert_int_equal(qssh_buf_put_u32(b, LID), 0);
	assert_int_equal(qssh_buf_put_u32(b, lwin), 0);
	assert_int_equal(qssh_buf_put_u32(b, LMAX), 0);
	assert_int_equal(
	    tport_send_buf(h->ctl.t, SSH_MSG_CHANNEL_OPEN_CONFIRMATION, b), 0);
	qssh_buf_free(b);
	RUN_UNTIL(
	    h, q_take(&h->cli, SSH_MSG_CHANNEL_OPEN_CONFIRMATION, -1, &p));
	free(p.p);
	h->cwin = h->cwin_max = lwin;
	h->open = true;
}

/* Send an application record with descriptors, as relay_send_fds(). */
static void
ctl_send_fds(struct h *h, const struct qssh_buf *rec, const int *fds, int n)
{
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(4 * sizeof(int))];
	} cbuf;
	struct cmsghdr *cm;
	struct qssh_view v;
	struct msghdr mh;
	struct iovec iov;
	ssize_t sent;

	/* Records before this one go first. */
	RUN_UNTIL(h, tport_output_len(h->ctl.t) == 0);
	assert_int_equal(tport_relay_send_app(
			     h->ctl.t, qssh_buf_ptr(rec), qssh_buf_len(rec)),
	    0);
	v = tport_output(h->ctl.t);
	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = (void *)(uintptr_t)v.p;
	iov.iov_len = v.len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.b;
	mh.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, (size_t)n * sizeof(int));
	sent = sendmsg(h->ctl.fd, &mh, MSG_NOSIGNAL);
	assert_true(sent > 0);
	assert_int_equal(tport_output_consume(h->ctl.t, (size_t)sent), 0);
}

static void
ctl_app_id(struct h *h, uint8_t app, uint32_t id)
{
	uint8_t rec[5];

	rec[0] = app;
	qssh_put_u32be(rec + 1, id);
	assert_int_equal(tport_relay_send_app(h->ctl.t, rec, sizeof(rec)), 0);
}

static void
wait_app(struct h *h, uint8_t app, uint32_t id)
{
	struct pkt p;

	RUN_UNTIL(h, q_take(&h->ctl, TPORT_MSG_RELAY_APP, app, &p));
	assert_int_equal(p.len, 5);
	assert_int_equal(qssh_get_u32be(p.p + 1), id);
	free(p.p);
}

/*
 * Bind the channel (session descriptors: stdin/stdout, stderr), with
 * held bytes the control process had not written yet; returns after
 * RELAY_APP_BOUND, before RELAY_APP_BIND_DONE unless done.
 */
static void
chan_bind(struct h *h, uint32_t lwin, const uint8_t *held, size_t held_len,
    uint8_t flags, bool done)
{
	struct qssh_buf *b = qssh_buf_new();
	int io[2], er[2], fds[2];

	assert_non_null(b);
	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, io), 0);
	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, er), 0);
	assert_int_equal(qssh_buf_put_u8(b, RELAY_APP_BIND), 0);
	assert_int_equal(qssh_buf_put_u32(b, LID), 0);
	assert_int_equal(qssh_buf_put_u32(b, RID), 0);
	assert_int_equal(qssh_buf_put_u32(b, lwin), 0);
	assert_int_equal(qssh_buf_put_u32(b, LMAX), 0);
	assert_int_equal(qssh_buf_put_u32(b, h->swin), 0);
	assert_int_equal(qssh_buf_put_u32(b, RMAX), 0);
	assert_int_equal(qssh_buf_put_u8(b, flags), 0);
	assert_int_equal(qssh_buf_put_u8(b, 2), 0);
	assert_int_equal(
	    qssh_buf_put_string(
		b, held != NULL ? held : (const uint8_t *)"", held_len),
	    0);
	fds[0] = io[0];
	fds[1] = er[0];
	ctl_send_fds(h, b, fds, 2);
	qssh_buf_free(b);
	close(io[0]);
	close(er[0]);
	h->io = io[1];
	h->er = er[1];
	set_nonblock(h->io);
	set_nonblock(h->er);
	wait_app(h, RELAY_APP_BOUND, LID);
	if (done)
		ctl_app_id(h, RELAY_APP_BIND_DONE, LID);
}

static void
open_bound(struct h *h, uint32_t lwin)
{
	chan_open(h, lwin);
	chan_bind(h, lwin, NULL, 0, 0, true);
}

/* Channels bound in the engine now. */
static uint64_t
chans_open(const struct h *h)
{
	struct fp_stats st;

	fp_engine_stats(h->e, &st);
	return st.channels_open;
}

/*
 * The engine closed the session's descriptor: a send fails with EPIPE
 * (only where the session did not shut its own end).
 */
static bool
sess_gone(struct h *h)
{
	uint8_t x = 0;

	return send(h->io, &x, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == -1 &&
	    errno == EPIPE;
}

/* ---- tests ---- */

/*
 * Several MiB each way through a bound channel, the session slow to read
 * its stdin: byte-exact, the client within its window, the window grows
 * (up to window_max), the client's EOF shuts the session's stdin, the
 * session's end gives DRAINED after all of its output, CLOSE from the
 * control process frees the channel and the client's CLOSE is relayed.
 */
static void
test_data(void **state)
{
	const struct opts o = { 256 * 1024, 4 * 1024 * 1024, 64 * 1024,
		256 * 1024 };
	struct fp_stats st;
	struct h h;
	struct pkt p;
	uint64_t backlog;

	(void)state;
	h_open(&h, &o);
	h.up.total = 6 * 1024 * 1024 + 123;
	h.down.total = 5 * 1024 * 1024 + 77;
	h.err.total = 512 * 1024 + 5;
	open_bound(&h, o.lwin);

	/* The session reads nothing: the client runs out of window. */
	h.sess_read_max = 0;
	RUN_UNTIL(&h, h.cwin == 0 && tport_output_len(h.cli.t) == 0);
	settle(&h);
	assert_int_equal(h.cwin, 0);
	backlog = h.up.done - h.up.got;
	assert_true(backlog >= o.window);

	/* Slowly, a bit at a time: the backlog waits in the engine. */
	h.sess_read_max = 8 * 1024;
	RUN_UNTIL(&h,
	    h.up.got == h.up.total && h.down.got == h.down.total &&
		h.err.got == h.err.total);
	assert_int_equal(h.cli.err, 0);
	assert_int_equal(h.ctl.err, 0);
	/*
	 * The window grows only with the measured bandwidth-delay product,
	 * which needs a TCP round trip: on a socket pair it stays at its
	 * floor, however long the client waited for it.
	 */
	assert_true(h.cwin_max <= o.window);

	/* The client's EOF: the session reads the end of its stdin. */
	send_u32s(h.cli.t, SSH_MSG_CHANNEL_EOF, LID, 0, 1);
	RUN_UNTIL(&h, h.sess_in_eof);
	assert_int_equal(chans_open(&h), 1); /* only its stdin ended */

	/* The session's output ends: DRAINED, after the last of it. */
	h.sess_out_close = true;
	wait_app(&h, RELAY_APP_DRAINED, LID);
	send_u32s(h.ctl.t, SSH_MSG_CHANNEL_EOF, RID, 0, 1);
	send_u32s(h.ctl.t, SSH_MSG_CHANNEL_CLOSE, RID, 0, 1);
	RUN_UNTIL(&h, h.cli_close_rcvd);
	assert_true(h.cli_eof_rcvd);
	assert_int_equal(h.down_at_eof, h.down.total);
	assert_int_equal(h.err_at_eof, h.err.total);
	/* Our CLOSE freed the channel; the client's goes to control. */
	RUN_UNTIL(&h, chans_open(&h) == 0);
	send_u32s(h.cli.t, SSH_MSG_CHANNEL_CLOSE, LID, 0, 1);
	RUN_UNTIL(&h, q_take(&h.ctl, SSH_MSG_CHANNEL_CLOSE, -1, &p));
	assert_int_equal(p.len, 4);
	assert_int_equal(qssh_get_u32be(p.p), LID);
	free(p.p);

	fp_engine_stats(h.e, &st);
	assert_int_equal(st.connections, 1);
	assert_int_equal(st.channels_bound, 1);
	assert_int_equal(st.data_in, h.up.total);
	assert_int_equal(st.data_out, h.down.total + h.err.total);
	assert_true(st.window_adjusts > 0);
	h_close(&h);
}

/*
 * The control process's window was larger than the engine's: the credit
 * must not wrap (it once sent a WINDOW_ADJUST of nearly 4 GiB).
 */
static void
test_window_above_target(void **state)
{
	const struct opts o = { 1024 * 1024, 2 * 1024 * 1024, 3 * 1024 * 1024,
		256 * 1024 };
	struct h h;

	(void)state;
	h_open(&h, &o);
	h.up.total = 8 * 1024 * 1024;
	open_bound(&h, o.lwin);
	h.sess_read_max = 0;
	RUN_UNTIL(&h, h.cwin == 0 && tport_output_len(h.cli.t) == 0);
	h.sess_read_max = 16 * 1024;
	RUN_UNTIL(&h, h.up.got == h.up.total);
	assert_int_equal(h.ctl.err, 0);
	assert_true(h.cwin_max <= o.lwin);
	h_close(&h);
}

/*
 * The order of the peer's messages across the binding: data the control
 * process held (in BIND), data that reached it after it sent BIND
 * (FORWARD), data the engine held until BIND_DONE, in that order.
 */
static void
test_bind_order(void **state)
{
	const struct opts o = { 0, 0, 1024 * 1024, 256 * 1024 };
	uint8_t d0[1000], buf[8 + 6000], *rec;
	struct h h;
	struct pkt p;
	size_t d1 = 2000, d2 = 3000;

	(void)state;
	h_open(&h, &o);
	h.up.total = sizeof(d0) + d1 + d2;
	chan_open(&h, o.lwin);
	h.up.done = h.up.total; /* sent here by hand */
	pat_fill(&h.up, 0, d0, sizeof(d0));

	/* d1 reaches the control process (nothing is bound yet). */
	qssh_put_u32be(buf, LID);
	qssh_put_u32be(buf + 4, (uint32_t)d1);
	pat_fill(&h.up, sizeof(d0), buf + 8, d1);
	assert_int_equal(
	    tport_send(h.cli.t, SSH_MSG_CHANNEL_DATA, buf, 8 + d1), 0);
	h.cwin -= d1;
	RUN_UNTIL(&h, q_take(&h.ctl, SSH_MSG_CHANNEL_DATA, -1, &p));
	assert_int_equal(p.len, 8 + d1);

	/* BIND with d0; the window it names is what is left after d0. */
	chan_bind(&h, o.lwin - (uint32_t)sizeof(d0), d0, sizeof(d0), 0, false);
	/* d2 arrives now: the engine keeps it. */
	qssh_put_u32be(buf + 4, (uint32_t)d2);
	pat_fill(&h.up, sizeof(d0) + d1, buf + 8, d2);
	assert_int_equal(
	    tport_send(h.cli.t, SSH_MSG_CHANNEL_DATA, buf, 8 + d2), 0);
	h.cwin -= d2;
	h.sess_read_max = 64 * 1024;
	settle(&h);
	assert_int_equal(h.up.got, sizeof(d0));

	/* FORWARD d1, then BIND_DONE: d1, then d2. */
	rec = malloc(2 + p.len);
	assert_non_null(rec);
	rec[0] = RELAY_APP_FORWARD;
	rec[1] = SSH_MSG_CHANNEL_DATA;
	memcpy(rec + 2, p.p, p.len);
	assert_int_equal(tport_relay_send_app(h.ctl.t, rec, 2 + p.len), 0);
	free(rec);
	free(p.p);
	ctl_app_id(&h, RELAY_APP_BIND_DONE, LID);
	RUN_UNTIL(&h, h.up.got == h.up.total);
	/* The window opens after BIND_DONE. */
	RUN_UNTIL(&h, h.cwin >= FP_WINDOW_DEFAULT / 2);
	assert_int_equal(h.ctl.err, 0);
	assert_int_equal(fp_engine_count(h.e), 1);
	h_close(&h);
}

/*
 * The client's CLOSE crossed the binding: the control process forwards
 * it, then sends BIND_DONE for a channel that is gone.  The connection
 * stays (it was once ended as a malformed record).
 */
static void
test_bind_close_race(void **state)
{
	const struct opts o = { 0, 0, 1024 * 1024, 256 * 1024 };
	uint8_t rec[6];
	struct h h;
	struct pkt p;

	(void)state;
	h_open(&h, &o);
	chan_open(&h, o.lwin);
	chan_bind(&h, o.lwin, NULL, 0, 0, false);
	rec[0] = RELAY_APP_FORWARD;
	rec[1] = SSH_MSG_CHANNEL_CLOSE;
	qssh_put_u32be(rec + 2, LID);
	assert_int_equal(tport_relay_send_app(h.ctl.t, rec, sizeof(rec)), 0);
	ctl_app_id(&h, RELAY_APP_BIND_DONE, LID);
	RUN_UNTIL(&h, q_take(&h.ctl, SSH_MSG_CHANNEL_CLOSE, -1, &p));
	assert_int_equal(p.len, 4);
	assert_int_equal(qssh_get_u32be(p.p), LID);
	free(p.p);
	RUN_UNTIL(&h, sess_gone(&h));
	settle(&h);
	assert_int_equal(h.ctl.err, 0);
	assert_false(h.ctl.eof);
	assert_int_equal(fp_engine_count(h.e), 1);
	h_close(&h);
}

/*
 * The client's CLOSE held during the binding comes back after BIND_DONE:
 * it frees the channel and goes to the control process, and so do the
 * packets held after it.
 */
static void
test_held_close(void **state)
{
	const struct opts o = { 0, 0, 1024 * 1024, 256 * 1024 };
	struct h h;
	struct pkt p;

	(void)state;
	h_open(&h, &o);
	chan_open(&h, o.lwin);
	chan_bind(&h, o.lwin, NULL, 0, 0, false);
	send_u32s(h.cli.t, SSH_MSG_CHANNEL_CLOSE, LID, 0, 1);
	send_u32s(h.cli.t, SSH_MSG_CHANNEL_WINDOW_ADJUST, LID, 5, 2);
	settle(&h);
	assert_false(q_take(&h.ctl, SSH_MSG_CHANNEL_CLOSE, -1, &p));
	ctl_app_id(&h, RELAY_APP_BIND_DONE, LID);
	RUN_UNTIL(&h, q_take(&h.ctl, SSH_MSG_CHANNEL_CLOSE, -1, &p));
	free(p.p);
	RUN_UNTIL(&h, q_take(&h.ctl, SSH_MSG_CHANNEL_WINDOW_ADJUST, -1, &p));
	free(p.p);
	RUN_UNTIL(&h, sess_gone(&h));
	assert_int_equal(h.ctl.err, 0);
	assert_int_equal(fp_engine_count(h.e), 1);
	h_close(&h);
}

/* The client's CLOSE frees a bound channel and reaches control. */
static void
test_client_close(void **state)
{
	const struct opts o = { 0, 0, 1024 * 1024, 256 * 1024 };
	struct h h;
	struct pkt p;

	(void)state;
	h_open(&h, &o);
	open_bound(&h, o.lwin);
	send_u32s(h.cli.t, SSH_MSG_CHANNEL_CLOSE, LID, 0, 1);
	RUN_UNTIL(&h, q_take(&h.ctl, SSH_MSG_CHANNEL_CLOSE, -1, &p));
	assert_int_equal(p.len, 4);
	assert_int_equal(qssh_get_u32be(p.p), LID);
	free(p.p);
	RUN_UNTIL(&h, sess_gone(&h));
	/* The channel is not the engine's any more: its data is relayed. */
	send_u32s(h.cli.t, SSH_MSG_CHANNEL_WINDOW_ADJUST, LID, 100, 2);
	RUN_UNTIL(&h, q_take(&h.ctl, SSH_MSG_CHANNEL_WINDOW_ADJUST, -1, &p));
	free(p.p);
	send_u32s(h.ctl.t, SSH_MSG_CHANNEL_CLOSE, RID, 0, 1);
	RUN_UNTIL(&h, h.cli_close_rcvd);
	assert_int_equal(h.ctl.err, 0);
	h_close(&h);
}

/*
 * Message number 0 (which the relay keeps for its own records) from the
 * peer: answered UNIMPLEMENTED with its sequence number, nothing relayed,
 * and the connection goes on.
 */
static void
test_msg_zero(void **state)
{
	const struct opts o = { 0, 0, 1024 * 1024, 256 * 1024 };
	uint8_t body[3] = { 1, 2, 3 };
	uint32_t seq;
	struct h h;
	struct pkt p;

	(void)state;
	h_open(&h, &o);
	open_bound(&h, o.lwin);
	seq = tport_seqnr_out(h.cli.t);
	assert_int_equal(tport_send(h.cli.t, 0, body, sizeof(body)), 0);
	RUN_UNTIL(&h, q_take(&h.cli, SSH_MSG_UNIMPLEMENTED, -1, &p));
	assert_int_equal(p.len, 4);
	assert_int_equal(qssh_get_u32be(p.p), seq);
	free(p.p);
	/* Still alive: a later message reaches the control process. */
	send_u32s(h.cli.t, SSH_MSG_CHANNEL_CLOSE, LID, 0, 1);
	RUN_UNTIL(&h, q_take(&h.ctl, SSH_MSG_CHANNEL_CLOSE, -1, &p));
	free(p.p);
	assert_int_equal(h.ctl.err, 0);
	assert_int_equal(h.cli.err, 0);
	h_close(&h);
}

/*
 * Rekeying through the relay while data flows both ways: the engine asks
 * (RELAY_REKEY) at the control process's limit; KEX_STARTED, KEYS_OUT,
 * the peer's NEWKEYS relayed, KEYS_IN; several rounds, changing ciphers.
 */
static void
test_rekey_stream(void **state)
{
	const struct opts o = { 0, 0, 2 * 1024 * 1024, 1024 * 1024 };
	struct tport_stats ts;
	struct h h;

	(void)state;
	h_open(&h, &o);
	h.up.total = 6 * 1024 * 1024;
	h.down.total = 6 * 1024 * 1024;
	h.err.total = 64 * 1024;
	open_bound(&h, o.lwin);
	tport_set_rekey_limits(h.ctl.t, 1024 * 1024, 0);
	h.auto_rekey = true;
	h.sess_read_max = 128 * 1024;
	RUN_UNTIL(&h,
	    h.up.got == h.up.total && h.down.got == h.down.total &&
		h.err.got == h.err.total && h.kex_srv == 0 && h.kex_cli == 0);
	assert_int_equal(h.cli.err, 0);
	assert_int_equal(h.ctl.err, 0);
	/* Rounds as the limit was reached, not two per limit. */
	assert_true(h.kex_done >= 1 + 2);
	assert_true(h.kex_done <= 1 + 13);
	tport_get_stats(h.cli.t, &ts);
	assert_true(ts.payload_out > h.up.total);
	h_close(&h);
}

/*
 * One limit reached: one key exchange.  The engine must not ask again
 * between our new keys and the peer's (it once did: two rounds each).
 */
static void
test_rekey_once(void **state)
{
	const struct opts o = { 0, 0, 4 * 1024 * 1024, 1024 * 1024 };
	struct h h;

	(void)state;
	h_open(&h, &o);
	h.up.total = 1536 * 1024;
	open_bound(&h, o.lwin);
	tport_set_rekey_limits(h.ctl.t, 1024 * 1024, 0);
	h.auto_rekey = true;
	h.sess_read_max = 256 * 1024;
	RUN_UNTIL(&h, h.up.got == h.up.total && h.kex_done == 2);
	settle(&h);
	assert_int_equal(h.kex_done, 2);
	assert_int_equal(h.kex_srv, 0);
	assert_false(tport_rekey_needed(h.ctl.t));
	h_close(&h);
}

/* Data past the window: RELAY_ERROR with QSSH_ERR_PROTOCOL. */
static void
test_window_violation(void **state)
{
	const struct opts o = { 64 * 1024, 64 * 1024, 1000, 256 * 1024 };
	uint8_t buf[8 + 1];
	struct h h;

	(void)state;
	h_open(&h, &o);
	/* The session reads nothing: all of the window gets used. */
	h.up.total = 64 * 1024 * 1024;
	open_bound(&h, o.lwin);
	RUN_UNTIL(&h, h.cwin == 0 && tport_output_len(h.cli.t) == 0);
	settle(&h);
	assert_int_equal(h.cwin, 0);
	h.open = false;
	qssh_put_u32be(buf, LID);
	qssh_put_u32be(buf + 4, 1);
	buf[8] = 'x';
	assert_int_equal(
	    tport_send(h.cli.t, SSH_MSG_CHANNEL_DATA, buf, sizeof(buf)), 0);
	RUN_UNTIL(&h, h.ctl.err != 0);
	assert_int_equal(h.ctl.err, QSSH_ERR_PROTOCOL);
	h_close(&h);
}

/* The client goes away: RELAY_ERROR with QSSH_ERR_CONN_CLOSED. */
static void
test_net_eof(void **state)
{
	const struct opts o = { 0, 0, 1024 * 1024, 256 * 1024 };
	struct h h;

	(void)state;
	h_open(&h, &o);
	open_bound(&h, o.lwin);
	close(h.cli.fd);
	h.cli.fd = -1;
	RUN_UNTIL(&h, h.ctl.err != 0);
	assert_int_equal(h.ctl.err, QSSH_ERR_CONN_CLOSED);
	/* The control process leaves: the connection ends. */
	close(h.ctl.fd);
	h.ctl.fd = -1;
	RUN_UNTIL(&h, fp_engine_count(h.e) == 0);
	assert_true(sess_gone(&h));
	h_close(&h);
}

/* A malformed control record ends the connection: the relay closes. */
static void
test_bad_record(void **state)
{
	static const uint8_t bad[][9] = {
		{ 0, 0, 0, 1, 99 }, /* unknown record type */
		{ 0xff, 0xff, 0xff, 0xff, RELAY_PACKET }, /* too long */
		{ 0, 0, 0, 0 }, /* empty */
		{ 0, 0, 0, 3, RELAY_APP, RELAY_APP_BIND_DONE, 1 }, /* short */
		{ 0, 0, 0, 5, RELAY_APP, RELAY_APP_BIND, 0, 0, 0 }, /* short */
	};
	static const size_t len[] = { 5, 5, 4, 7, 9 };
	const struct opts o = { 0, 0, 1024 * 1024, 256 * 1024 };
	struct h h;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(len) / sizeof(len[0]); i++) {
		h_open(&h, &o);
		if (i % 2 == 0)
			open_bound(&h, o.lwin);
		RUN_UNTIL(&h, tport_output_len(h.ctl.t) == 0);
		assert_int_equal(send(h.ctl.fd, bad[i], len[i], MSG_NOSIGNAL),
		    (ssize_t)len[i]);
		RUN_UNTIL(&h, h.ctl.eof);
		assert_int_equal(fp_engine_count(h.e), 0);
		RUN_UNTIL(&h, h.cli.eof);
		if (i % 2 == 0)
			assert_true(sess_gone(&h));
		h_close(&h);
	}
}

/* A descriptor epoll cannot wait on is refused with the BIND. */
static void
test_bind_bad_fd(void **state)
{
	const struct opts o = { 0, 0, 1024 * 1024, 256 * 1024 };
	struct qssh_buf *b = qssh_buf_new();
	struct h h;
	int fd;

	(void)state;
	assert_non_null(b);
	h_open(&h, &o);
	chan_open(&h, o.lwin);
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(qssh_buf_put_u8(b, RELAY_APP_BIND), 0);
	assert_int_equal(qssh_buf_put_u32(b, LID), 0);
	assert_int_equal(qssh_buf_put_u32(b, RID), 0);
	assert_int_equal(qssh_buf_put_u32(b, o.lwin), 0);
	assert_int_equal(qssh_buf_put_u32(b, LMAX), 0);
	assert_int_equal(qssh_buf_put_u32(b, h.swin), 0);
	assert_int_equal(qssh_buf_put_u32(b, RMAX), 0);
	assert_int_equal(qssh_buf_put_u8(b, 0), 0);
	assert_int_equal(qssh_buf_put_u8(b, 1), 0);
	assert_int_equal(qssh_buf_put_string(b, NULL, 0), 0);
	ctl_send_fds(&h, b, &fd, 1);
	qssh_buf_free(b);
	close(fd);
	RUN_UNTIL(&h, h.ctl.eof);
	assert_int_equal(fp_engine_count(h.e), 0);
	h_close(&h);
}

/* ---- variants ---- */

static int
setup_inline(void **state)
{
	(void)state;
	g_wrk = NULL;
	return 0;
}

static int
setup_workers(void **state)
{
	const struct cryp_cipher_info *ci = cryp_cipher_by_name(algs[0].cipher);
	struct wrk_config cfg;
	int err = 0;

	(void)state;
	if (ci == NULL)
		return -1;
	/* One worker, for the first cipher; later rounds mix in inline. */
	wrk_config_init(&cfg);
	memset(cfg.num_workers, 0, sizeof(cfg.num_workers));
	cfg.num_workers[wrk_pool_of_cipher(ci->id)] = 1;
	cfg.mode = WRK_MODE_OFFLOAD;
	cfg.backend = "openssl";
	cfg.runtime = WRK_RUNTIME_THREADS;
	cfg.ring_size = 256;
	if ((g_wrk = wrk_engine_new(&cfg, &err)) == NULL) {
		print_error("workers: %s\n", qssh_strerror(err));
		return -1;
	}
	if (wrk_engine_num_workers(g_wrk) != 1)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	wrk_engine_free(g_wrk);
	g_wrk = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_window_above_target),
		cmocka_unit_test(test_bind_order),
		cmocka_unit_test(test_bind_close_race),
		cmocka_unit_test(test_held_close),
		cmocka_unit_test(test_client_close),
		cmocka_unit_test(test_msg_zero),
		cmocka_unit_test(test_rekey_stream),
		cmocka_unit_test(test_rekey_once),
		cmocka_unit_test(test_window_violation),
		cmocka_unit_test(test_net_eof),
		cmocka_unit_test(test_bad_record),
		cmocka_unit_test(test_bind_bad_fd),
	};
	int fails = 0;

	/* As in qsshd's dataplane process. */
	(void)signal(SIGPIPE, SIG_IGN);
	fails += cmocka_run_group_tests_name(
	    "fastpath inline", tests, setup_inline, teardown);
	fails += cmocka_run_group_tests_name(
	    "fastpath workers", tests, setup_workers, teardown);
	return fails;
}
