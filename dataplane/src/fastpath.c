/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The dataplane engine (fastpath.h): connections' network side, the relay
 * to their control processes, and bound channels' data.
 *
 * Per connection, one step moves everything that can move without
 * blocking: records from the control process into the transport, bytes
 * from the network into packets, packets into channels or the relay,
 * session output into CHANNEL_DATA, and queued bytes out.  Back-pressure
 * instead of queues without bound: the network is read only while the
 * transport has room and the relay to the control process is short;
 * sessions are read only within the peer's window, while the network
 * output is short and no key exchange holds packets back.
 *
 * Channel windows: a bound channel's window is raised to its floor at
 * once and credited back as data is written to the session.  It grows to
 * twice the measured bandwidth-delay product (the rate at which the
 * connection's bytes arrive times the kernel's smoothed TCP round trip),
 * up to cfg.window_max, when that is more than the floor.  The floor is
 * cfg.window, except for OpenSSH peers: OpenSSH reads its input as far as
 * the window allows into one buffer that it then moves in memory, so a
 * window far beyond the path's BDP costs it CPU time and throughput
 * (measured on loopback: 3-4 times slower with 16 MiB than with 2 MiB);
 * for them the floor is OpenSSH's own 2 MiB and only the BDP raises it.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "dataplane/fastpath.h"
#include "dataplane/relay.h"
#include "dataplane/transport.h"
#include "dataplane/workers.h"
#include "drivers/sock.h"

#define FP_MAX_CHANS 64
#define FP_MAX_FDS SOCK_FDS_MAX
#define FP_NET_READ (256 * 1024)
#define FP_SESS_READ (256 * 1024)
/* Session output is not read while this much waits for the network. */
#define FP_NET_OUT_HIGH (4UL * 1024 * 1024)
/* The network is not read while this much waits for the control process. */
#define FP_RELAY_OUT_HIGH (1UL * 1024 * 1024)
/* Nor while this much waits in a channel being bound (RELAY_APP_BIND_DONE). */
#define FP_HELD_HIGH (1UL * 1024 * 1024)
/* One read of session output makes at most this many packets. */
#define FP_SESS_READ_PKTS 64
/* OpenSSH's own session window: the floor for OpenSSH peers. */
#define FP_WINDOW_OPENSSH (2u * 1024 * 1024)
/* The arrival rate is measured over at least this long; TCP_INFO's RTT
 * is read at most this often. */
#define FP_RATE_MS 50
#define FP_RTT_MS 250
/* A closed connection's last bytes get this long to leave. */
#define FP_LINGER_MS 5000
#define FP_EVENTS 64

enum fp_kind {
	W_NET_IN,
	W_NET_OUT,
	W_RELAY,
	W_IO,
	W_ERR,
	W_WORKERS,
	W_EXT,
};

struct fp_conn;
struct fp_chan;

/* One descriptor in the epoll set. */
struct fp_watch {
	struct fp_conn *c;
	struct fp_chan *ch;
	int fd;
	uint8_t kind;
	bool added;
	uint32_t events; /* registered interest */
	uint32_t ready; /* seen by epoll and not yet read to EAGAIN */
};

struct fp_chan {
	struct fp_conn *c;
	uint32_t lid, rid;
	bool pty;
	bool exited; /* the session process is gone (pty: EAGAIN = end) */
	int io_fd, err_fd;
	struct fp_watch wio, werr;
	uint32_t lwin; /* the peer may send this much more */
	uint64_t unacked; /* received and not yet credited */
	uint64_t written; /* of which written (or dropped) */
	uint32_t target; /* the window we aim at */
	uint32_t lmax;
	uint32_t rwin, rmax;
	struct qssh_buf *inq; /* for the session's stdin */
	/*
	 * Until RELAY_APP_BIND_DONE: packets from the network wait here
	 * (u8 type, u32 length, payload) behind those the control process
	 * still forwards.
	 */
	bool held_mode;
	struct qssh_buf *held;
	bool peer_eof, in_shut, out_eof, err_eof, drained;
};

struct fp_conn {
	struct fp_engine *e;
	struct fp_conn *prev, *next;
	char addr[64];
	int port;
	int net_in, net_out, relay;
	struct fp_watch win, wout, wrelay;
	struct tport *t;
	struct qssh_buf *rin, *rout; /* relay bytes in and out */
	int fds[FP_MAX_FDS]; /* received with records, not yet claimed */
	size_t nfds;
	struct fp_chan *ch[FP_MAX_CHANS];
	size_t nch;
	bool version_read;
	bool keys_in_wait; /* peer's NEWKEYS relayed, new keys not yet in */
	bool in_dead; /* no more input from the network */
	bool out_dead; /* the network cannot be written */
	bool closing; /* DISCONNECT queued */
	bool net_eof; /* the peer closed its side */
	bool peer_openssh; /* the peer's software is OpenSSH */
	/* Bandwidth-delay product: arrival rate and TCP round trip. */
	uint64_t rate_bytes, rate_t0_ms, rate_bps;
	uint64_t rtt_t_ms;
	uint32_t rtt_us; /* 0: unknown (not TCP, or not allowed) */
	bool relay_eof; /* the control process is gone */
	bool rekey_asked;
	bool dirty; /* on the engine's work list this round */
	bool pkts_pending; /* whole packets may be waiting in the transport */
	bool again; /* the step stopped with work left: run it again soon */
	size_t held_bytes; /* in the held queues of channels being bound */
	uint64_t linger_until;
};

#define FP_EXT_MAX 4

struct fp_ext {
	struct fp_watch w;
	fp_fd_cb *cb;
	void *arg;
};

struct fp_engine {
	struct fp_ext ext[FP_EXT_MAX];
	struct fp_config cfg;
	int ep;
	struct fp_watch wworkers;
	struct fp_conn *conns;
	size_t count;
	struct fp_stats st;
	uint8_t *scratch; /* FP_SESS_READ + headers */
	uint64_t last_sweep_ms; /* every connection looked at (rekey time) */
};

static void conn_destroy(struct fp_conn *c);

/* ---- epoll ---- */

static void
watch_init(struct fp_watch *w, struct fp_conn *c, struct fp_chan *ch, int fd,
    enum fp_kind kind)
{
	memset(w, 0, sizeof(*w));
	w->c = c;
	w->ch = ch;
	w->fd = fd;
	w->kind = (uint8_t)kind;
}

/*
 * Register interest in events; none takes the descriptor out of the set:
 * epoll reports EPOLLHUP and EPOLLERR whether asked for or not, and a
 * hung-up descriptor that nobody reads would wake the loop forever.
 */
static void
watch_set(struct fp_engine *e, struct fp_watch *w, uint32_t events)
{
	struct epoll_event ev;

	if (w->fd < 0)
		return;
	if (events == 0) {
		if (w->added)
			(void)epoll_ctl(e->ep, EPOLL_CTL_DEL, w->fd, NULL);
		w->added = false;
		w->events = 0;
		return;
	}
	if (w->added && w->events == events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = w;
	if (!w->added) {
		if (epoll_ctl(e->ep, EPOLL_CTL_ADD, w->fd, &ev) == -1) {
			qlog_error("dataplane: epoll add: %s", strerror(errno));
			return;
		}
		w->added = true;
	} else if (epoll_ctl(e->ep, EPOLL_CTL_MOD, w->fd, &ev) == -1) {
		qlog_error("dataplane: epoll mod: %s", strerror(errno));
		return;
	}
	w->events = events;
}

static void
watch_close(struct fp_engine *e, struct fp_watch *w)
{
	if (w->fd < 0)
		return;
	if (w->added)
		(void)epoll_ctl(e->ep, EPOLL_CTL_DEL, w->fd, NULL);
	w->added = false;
	w->events = 0;
	w->ready = 0;
	w->fd = -1;
}

/* ---- relay output ---- */

static int
relay_put(struct fp_conn *c, uint8_t type, const void *hdr, size_t hlen,
    const void *data, size_t len)
{
	int r;

	if (c->relay_eof)
		return 0;
	if ((r = relay_put_header(c->rout, type, hlen + len)) != 0 ||
	    (hlen > 0 && (r = qssh_buf_put(c->rout, hdr, hlen)) != 0) ||
	    (len > 0 && (r = qssh_buf_put(c->rout, data, len)) != 0))
		return r;
	return 0;
}

static int
relay_app(struct fp_conn *c, uint8_t app, uint32_t id)
{
	uint8_t b[5];

	b[0] = app;
	qssh_put_u32be(b + 1, id);
	return relay_put(c, RELAY_APP, b, sizeof(b), NULL, 0);
}

/* A packet from the peer for the control process. */
static int
relay_packet_in(struct fp_conn *c, uint8_t type, struct qssh_view pl)
{
	uint8_t hdr[5];

	qssh_put_u32be(hdr, tport_seqnr_in(c->t) - 1);
	hdr[4] = type;
	c->e->st.relayed_in++;
	return relay_put(c, RELAY_PACKET, hdr, sizeof(hdr), pl.p, pl.len);
}

/* The network input ended with err: the control process decides. */
static void
conn_input_error(struct fp_conn *c, int err)
{
	uint8_t b[4];

	if (c->in_dead)
		return;
	c->in_dead = true;
	qssh_put_u32be(b, (uint32_t)err);
	if (relay_put(c, RELAY_ERROR, b, sizeof(b), NULL, 0) != 0)
		c->relay_eof = true;
}

/* ---- channels ---- */

static struct fp_chan *
chan_by_lid(struct fp_conn *c, uint32_t id)
{
	size_t i;

	for (i = 0; i < c->nch; i++)
		if (c->ch[i]->lid == id)
			return c->ch[i];
	return NULL;
}

static struct fp_chan *
chan_by_rid(struct fp_conn *c, uint32_t id)
{
	size_t i;

	for (i = 0; i < c->nch; i++)
		if (c->ch[i]->rid == id)
			return c->ch[i];
	return NULL;
}

static void
chan_free(struct fp_chan *ch)
{
	struct fp_conn *c = ch->c;
	size_t i;

	watch_close(c->e, &ch->wio);
	watch_close(c->e, &ch->werr);
	if (ch->io_fd >= 0)
		close(ch->io_fd);
	if (ch->err_fd >= 0)
		close(ch->err_fd);
	qssh_buf_free(ch->inq);
	if (ch->held != NULL) {
		c->held_bytes -= qssh_buf_len(ch->held);
		qssh_buf_free(ch->held);
	}
	for (i = 0; i < c->nch; i++) {
		if (c->ch[i] == ch) {
			c->ch[i] = c->ch[--c->nch];
			c->e->st.channels_open--;
			break;
		}
	}
	free(ch);
}

/* The window a bound channel starts with (see the top of the file). */
static uint32_t
conn_window_floor(const struct fp_conn *c)
{
	uint32_t w = c->e->cfg.window;

	return c->peer_openssh && w > FP_WINDOW_OPENSSH ? FP_WINDOW_OPENSSH : w;
}

/* Bytes in flight on the path now: rate times round trip (0: unknown). */
static uint64_t
conn_bdp(const struct fp_conn *c)
{
	return c->rate_bps * c->rtt_us / 1000000u;
}

/* Account bytes that arrived; refresh the rate and the round trip. */
static void
conn_measure(struct fp_conn *c, size_t n)
{
	uint64_t now = qssh_monotime_ms(), dt;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (c->rate_t0_ms == 0)
		c->rate_t0_ms = now;
	c->rate_bytes += n;
	dt = now - c->rate_t0_ms;
	if (dt >= FP_RATE_MS) {
		uint64_t bps = c->rate_bytes * 1000 / dt;

		/* Smoothed, a quarter of the new value each time. */
		c->rate_bps =
		    c->rate_bps == 0 ? bps : (3 * c->rate_bps + bps) / 4;
		c->rate_bytes = 0;
		c->rate_t0_ms = now;
	}
	if (now - c->rtt_t_ms >= FP_RTT_MS) {
		c->rtt_t_ms = now;
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(c->net_in, IPPROTO_TCP, TCP_INFO, &ti, &len) ==
			0 &&
		    len >= offsetof(struct tcp_info, tcpi_rttvar))
			c->rtt_us = ti.tcpi_rtt;
		else
			c->rtt_us = 0;
	}
}

static int
send_adjust(struct fp_chan *ch, uint32_t n)
{
	uint8_t b[8];
	int r;

	/* The window the peer sees, lwin + unacked, stays a uint32. */
	if ((uint64_t)ch->lwin + ch->unacked + n > UINT32_MAX)
		return QSSH_ERR_INTERNAL;
	qssh_put_u32be(b, ch->rid);
	qssh_put_u32be(b + 4, n);
	if ((r = tport_send(ch->c->t, SSH_MSG_CHANNEL_WINDOW_ADJUST, b, 8)) !=
	    0)
		return r;
	ch->lwin += n;
	ch->c->e->st.window_adjusts++;
	return 0;
}

/* Credit what was written; grow the window when the peer ran short. */
static int
chan_credit(struct fp_chan *ch, bool force)
{
	struct fp_engine *e = ch->c->e;
	uint64_t n = ch->written, want;
	uint32_t maxw = e->cfg.window_max;

	if (n == 0)
		return 0;
	/* In steps, unless the peer runs short (or everything is written). */
	if (n < ch->target / 16 && ch->lwin >= ch->target / 2 &&
	    !(force && ch->lwin < ch->target / 4))
		return 0;
	if (ch->target < maxw) {
		uint64_t bdp2 = conn_bdp(ch->c) * 2;

		if (bdp2 > ch->target) {
			/* Whole MiB, at most the maximum. */
			bdp2 = (bdp2 + (1u << 20) - 1) &
			    ~(uint64_t)((1u << 20) - 1);
			ch->target = bdp2 > maxw ? maxw : (uint32_t)bdp2;
			qlog_debug3("dataplane: channel %u: window %u (rate "
				    "%llu B/s, rtt %u us)",
			    ch->lid, ch->target,
			    (unsigned long long)ch->c->rate_bps, ch->c->rtt_us);
		}
	}
	ch->written = 0;
	ch->unacked -= n;
	/*
	 * lwin + unacked is the window the peer sees; bring it to target.
	 * It may be above it (the control process offered more before the
	 * binding): then nothing, until the peer used enough of it.
	 */
	if (ch->unacked >= ch->target)
		return 0;
	want = (uint64_t)ch->target - ch->unacked;
	if (want <= ch->lwin)
		return 0;
	return send_adjust(ch, (uint32_t)(want - ch->lwin));
}

/* Write queued stdin data; 0, or a fatal error. */
static int
chan_write_in(struct fp_chan *ch)
{
	ssize_t n;
	size_t len;
	int r;

	while ((len = qssh_buf_len(ch->inq)) > 0 && !ch->in_shut) {
		n = write(ch->io_fd, qssh_buf_ptr(ch->inq), len);
		if (n > 0) {
			(void)qssh_buf_consume(ch->inq, (size_t)n);
			ch->written += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ch->wio.ready &= ~(uint32_t)EPOLLOUT;
			break;
		}
		/* The session closed its stdin: what is left is dropped. */
		ch->written += len;
		qssh_buf_reset(ch->inq);
		ch->in_shut = true;
	}
	if (qssh_buf_len(ch->inq) == 0 && ch->peer_eof && !ch->in_shut) {
		if (!ch->pty)
			(void)shutdown(ch->io_fd, SHUT_WR);
		ch->in_shut = true;
	}
	if ((r = chan_credit(ch, qssh_buf_len(ch->inq) == 0)) != 0)
		return r;
	return 0;
}

/* Data for the session: straight to its stdin when nothing is queued. */
static int
chan_data_in(struct fp_chan *ch, struct qssh_view data)
{
	ssize_t n;
	size_t off = 0;

	if (data.len > ch->lwin) {
		qlog_debug("dataplane: %s port %d: channel %u: %zu bytes "
			   "beyond the window %u",
		    ch->c->addr, ch->c->port, ch->lid, data.len, ch->lwin);
		return QSSH_ERR_PROTOCOL;
	}
	ch->lwin -= (uint32_t)data.len;
	ch->unacked += data.len;
	ch->c->e->st.data_in += data.len;
	if (ch->peer_eof)
		return QSSH_ERR_PROTOCOL;
	if (ch->in_shut) {
		ch->written += data.len;
		return chan_credit(ch, false);
	}
	if (qssh_buf_len(ch->inq) == 0) {
		while (off < data.len) {
			n = write(ch->io_fd, data.p + off, data.len - off);
			if (n > 0) {
				off += (size_t)n;
				continue;
			}
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 &&
			    (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			ch->in_shut = true;
			off = data.len;
		}
		ch->written += off;
	}
	if (off < data.len &&
	    qssh_buf_put(ch->inq, data.p + off, data.len - off) != 0)
		return QSSH_ERR_ALLOC;
	return chan_credit(ch, false);
}

/*
 * A fast-path message for a bound channel.  QSSH_ERR_NOT_FOUND: not one of
 * ours, relay it.
 */
static int
chan_input(struct fp_conn *c, uint8_t type, struct qssh_view pl, bool forwarded)
{
	struct qssh_view v = pl, data;
	struct fp_chan *ch;
	uint32_t id, n, code;
	int r;

	if (qssh_view_get_u32(&v, &id) != 0 ||
	    (ch = chan_by_lid(c, id)) == NULL)
		return QSSH_ERR_NOT_FOUND;
	if (ch->held_mode && !forwarded) {
		/* net_packets() stops reading past FP_HELD_HIGH. */
		if ((r = qssh_buf_put_u8(ch->held, type)) != 0 ||
		    (r = qssh_buf_put_u32(ch->held, (uint32_t)pl.len)) != 0 ||
		    (r = qssh_buf_put(ch->held, pl.p, pl.len)) != 0)
			return r;
		c->held_bytes += 5 + pl.len;
		return 0;
	}
	switch (type) {
	case SSH_MSG_CHANNEL_DATA:
		if (qssh_view_get_string(&v, &data) != 0 || v.len != 0)
			return QSSH_ERR_INVALID_FORMAT;
		return chan_data_in(ch, data);
	case SSH_MSG_CHANNEL_EXTENDED_DATA:
		/* Nothing reads extended data from a client: count, drop. */
		if (qssh_view_get_u32(&v, &code) != 0 ||
		    qssh_view_get_string(&v, &data) != 0 || v.len != 0)
			return QSSH_ERR_INVALID_FORMAT;
		if (data.len > ch->lwin || ch->peer_eof)
			return QSSH_ERR_PROTOCOL;
		ch->lwin -= (uint32_t)data.len;
		ch->unacked += data.len;
		ch->written += data.len;
		return chan_credit(ch, false);
	case SSH_MSG_CHANNEL_WINDOW_ADJUST:
		if (qssh_view_get_u32(&v, &n) != 0 || v.len != 0)
			return QSSH_ERR_INVALID_FORMAT;
		if (n > UINT32_MAX - ch->rwin)
			return QSSH_ERR_PROTOCOL;
		ch->rwin += n;
		return 0;
	case SSH_MSG_CHANNEL_EOF:
		if (v.len != 0)
			return QSSH_ERR_INVALID_FORMAT;
		ch->peer_eof = true;
		return chan_write_in(ch);
	case SSH_MSG_CHANNEL_CLOSE:
		/* The control process answers it; the session is hung up. */
		chan_free(ch);
		return QSSH_ERR_NOT_FOUND;
	default:
		return QSSH_ERR_NOT_FOUND;
	}
}

/* Read session output into CHANNEL_DATA packets; true if it moved. */
static bool
chan_read_fd(struct fp_chan *ch, bool err, int *rp)
{
	struct fp_conn *c = ch->c;
	struct fp_engine *e = c->e;
	struct fp_watch *w = err ? &ch->werr : &ch->wio;
	int fd = err ? ch->err_fd : ch->io_fd;
	bool *eof = err ? &ch->err_eof : &ch->out_eof;
	size_t hdr = err ? 12 : 8, want, off, chunk;
	uint8_t *buf = e->scratch;
	bool moved = false;
	ssize_t n;

	*rp = 0;
	while (!*eof && fd >= 0 && ch->rwin > 0 && !c->closing &&
	    !tport_kex_holding(c->t) &&
	    tport_output_len(c->t) < FP_NET_OUT_HIGH &&
	    (w->ready & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
		want = ch->rwin < FP_SESS_READ ? ch->rwin : FP_SESS_READ;
		/* A tiny maximum packet must not make a flood of packets. */
		if (want / FP_SESS_READ_PKTS > ch->rmax)
			want = (size_t)ch->rmax * FP_SESS_READ_PKTS;
		n = read(fd, buf + hdr, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			w->ready = 0;
			/* A pty of an exited session: what is left is read. */
			if (ch->pty && ch->exited)
				*eof = true;
			break;
		}
		if (n <= 0) {
			/* End of file, or EIO: the pty's slave side closed. */
			*eof = true;
			moved = true;
			break;
		}
		moved = true;
		ch->rwin -= (uint32_t)n;
		e->st.data_out += (uint64_t)n;
		/* Packets of at most the peer's maximum, headers in place. */
		for (off = 0; off < (size_t)n; off += chunk) {
			uint8_t *p = buf + off;

			chunk = (size_t)n - off;
			if (chunk > ch->rmax)
				chunk = ch->rmax;
			qssh_put_u32be(p, ch->rid);
			if (err) {
				qssh_put_u32be(p + 4, 1); /* stderr */
				qssh_put_u32be(p + 8, (uint32_t)chunk);
			} else
				qssh_put_u32be(p + 4, (uint32_t)chunk);
			if ((*rp = tport_send(c->t,
				 err ? SSH_MSG_CHANNEL_EXTENDED_DATA
				     : SSH_MSG_CHANNEL_DATA,
				 p, hdr + chunk)) != 0)
				return true;
		}
		if ((size_t)n < want)
			w->ready = 0;
	}
	return moved;
}

static bool
chan_io(struct fp_chan *ch, int *rp)
{
	struct fp_conn *c = ch->c;
	bool moved = false;

	*rp = 0;
	if (qssh_buf_len(ch->inq) > 0 && (ch->wio.ready & EPOLLOUT) != 0) {
		size_t before = qssh_buf_len(ch->inq);

		if ((*rp = chan_write_in(ch)) != 0)
			return true;
		moved = qssh_buf_len(ch->inq) != before;
	}
	if (chan_read_fd(ch, false, rp))
		moved = true;
	if (*rp != 0)
		return true;
	if (ch->err_fd >= 0 && chan_read_fd(ch, true, rp))
		moved = true;
	if (*rp != 0)
		return true;
	if (ch->err_eof && ch->err_fd >= 0) {
		watch_close(c->e, &ch->werr);
		close(ch->err_fd);
		ch->err_fd = -1;
	}
	if (!ch->drained && ch->out_eof && ch->err_eof) {
		/*
		 * The control process sends exit-status, EOF and CLOSE after
		 * the last data (clients may close on EOF).
		 */
		ch->drained = true;
		if ((*rp = relay_app(c, RELAY_APP_DRAINED, ch->lid)) != 0)
			return true;
		moved = true;
	}
	return moved;
}

/* RELAY_APP_BIND */
static int
chan_bind(struct fp_conn *c, struct qssh_view v)
{
	struct fp_chan *ch;
	struct qssh_view data;
	uint32_t lid, rid, lwin, lmax, rwin, rmax;
	uint8_t flags, nfd;
	int r;

	if (qssh_view_get_u32(&v, &lid) != 0 ||
	    qssh_view_get_u32(&v, &rid) != 0 ||
	    qssh_view_get_u32(&v, &lwin) != 0 ||
	    qssh_view_get_u32(&v, &lmax) != 0 ||
	    qssh_view_get_u32(&v, &rwin) != 0 ||
	    qssh_view_get_u32(&v, &rmax) != 0 ||
	    qssh_view_get_u8(&v, &flags) != 0 ||
	    qssh_view_get_u8(&v, &nfd) != 0 ||
	    qssh_view_get_string(&v, &data) != 0 || v.len != 0)
		return QSSH_ERR_INVALID_FORMAT;
	if (nfd < 1 || nfd > 2 || ((flags & RELAY_BIND_PTY) && nfd != 1) ||
	    c->nfds < nfd || rmax == 0 || data.len > UINT32_MAX - lwin ||
	    chan_by_lid(c, lid) != NULL || chan_by_rid(c, rid) != NULL ||
	    c->nch == FP_MAX_CHANS)
		return QSSH_ERR_INVALID_FORMAT;
	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return QSSH_ERR_ALLOC;
	ch->c = c;
	ch->lid = lid;
	ch->rid = rid;
	ch->pty = (flags & RELAY_BIND_PTY) != 0;
	ch->peer_eof = (flags & RELAY_BIND_EOF) != 0;
	ch->io_fd = c->fds[0];
	ch->err_fd = nfd == 2 ? c->fds[1] : -1;
	c->nfds -= nfd;
	memmove(c->fds, c->fds + nfd, c->nfds * sizeof(c->fds[0]));
	ch->err_eof = ch->err_fd < 0;
	ch->lwin = lwin;
	ch->lmax = lmax;
	ch->rwin = rwin;
	/* Headers and the packet fit in the peer's limit either way. */
	ch->rmax = rmax > FP_SESS_READ ? FP_SESS_READ : rmax;
	ch->target = conn_window_floor(c);
	watch_init(&ch->wio, c, ch, ch->io_fd, W_IO);
	watch_init(&ch->werr, c, ch, ch->err_fd, W_ERR);
	/* Whatever it was, the first look finds out. */
	ch->wio.ready = EPOLLIN | EPOLLOUT;
	ch->werr.ready = EPOLLIN;
	c->ch[c->nch++] = ch;
	c->e->st.channels_open++;
	if ((ch->inq = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	/*
	 * Only what epoll can wait on (sockets, pipes, ttys): a regular
	 * file or /dev/zero would be read without end and never waited for.
	 */
	watch_set(c->e, &ch->wio, EPOLLIN);
	if (ch->err_fd >= 0)
		watch_set(c->e, &ch->werr, EPOLLIN);
	if (!ch->wio.added || (ch->err_fd >= 0 && !ch->werr.added))
		return QSSH_ERR_INVALID_FORMAT;
	(void)sock_set_nonblock(ch->io_fd, true);
	if (ch->err_fd >= 0)
		(void)sock_set_nonblock(ch->err_fd, true);
	c->e->st.channels_bound++;
	if ((r = relay_app(c, RELAY_APP_BOUND, lid)) != 0)
		return r;
	/* Data the control process held counts as received, not credited. */
	ch->unacked = data.len;
	if (data.len > 0 && (r = qssh_buf_put(ch->inq, data.p, data.len)) != 0)
		return r;
	if (ch->peer_eof && (r = chan_write_in(ch)) != 0)
		return r;
	ch->held_mode = true;
	if ((ch->held = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	return 0;
}

/*
 * RELAY_APP_BIND_DONE: everything the control process had for the channel
 * came back; what waited here follows, then the window opens.  A channel
 * that is gone (the peer's CLOSE came back forwarded, or the control
 * process closed it) has nothing to finish.
 */
static int
chan_bind_done(struct fp_conn *c, uint32_t id)
{
	struct qssh_view v, pl;
	struct qssh_buf *held;
	struct fp_chan *ch;
	bool gone = false;
	uint8_t type;
	int r = 0;

	if ((ch = chan_by_lid(c, id)) == NULL)
		return 0;
	if (!ch->held_mode)
		return QSSH_ERR_INVALID_FORMAT;
	ch->held_mode = false;
	held = ch->held;
	ch->held = NULL;
	c->held_bytes -= qssh_buf_len(held);
	/* Packets may wait in the transport behind the held ones. */
	c->pkts_pending = true;
	v = qssh_buf_view(held);
	while (v.len > 0 && !c->in_dead) {
		if (qssh_view_get_u8(&v, &type) != 0 ||
		    qssh_view_get_string(&v, &pl) != 0) {
			r = QSSH_ERR_INTERNAL;
			break;
		}
		if (gone) {
			/* After the peer's CLOSE: the control process answers. */
			if ((r = relay_packet_in(c, type, pl)) != 0)
				break;
			continue;
		}
		r = chan_input(c, type, pl, true);
		if (r == QSSH_ERR_NOT_FOUND) {
			/* Only a CLOSE (it freed the channel) gets here. */
			gone = true;
			if ((r = relay_packet_in(c, type, pl)) != 0)
				break;
			continue;
		}
		if (r != 0) {
			conn_input_error(c, r);
			r = 0;
			break;
		}
	}
	qssh_buf_free(held);
	if (r != 0 || gone || c->in_dead)
		return r;
	if ((uint64_t)ch->lwin + ch->unacked < ch->target)
		return send_adjust(
		    ch, (uint32_t)(ch->target - ch->lwin - ch->unacked));
	return 0;
}

/* ---- records from the control process ---- */

static int
handle_packet_out(struct fp_conn *c, struct qssh_view v)
{
	struct qssh_view p;
	struct fp_chan *ch;
	uint8_t type;
	uint32_t id;
	int r;

	if (qssh_view_get_u8(&v, &type) != 0 || type == 0)
		return QSSH_ERR_INVALID_FORMAT;
	if (c->closing)
		return 0;
	if (type == SSH_MSG_CHANNEL_CLOSE) {
		p = v;
		if (qssh_view_get_u32(&p, &id) == 0 &&
		    (ch = chan_by_rid(c, id)) != NULL)
			chan_free(ch);
	}
	if ((r = tport_send(c->t, type, v.p, v.len)) != 0) {
		qlog_error("dataplane: %s port %d: send: %s", c->addr, c->port,
		    qssh_strerror(r));
		return r;
	}
	c->e->st.relayed_out++;
	if (type == SSH_MSG_DISCONNECT) {
		c->closing = true;
		c->in_dead = true;
	}
	return 0;
}

static int
handle_app(struct fp_conn *c, struct qssh_view v)
{
	struct qssh_view p;
	struct fp_chan *ch;
	uint8_t app, type;
	uint32_t id;
	bool known;
	int r;

	if (qssh_view_get_u8(&v, &app) != 0)
		return QSSH_ERR_INVALID_FORMAT;
	switch (app) {
	case RELAY_APP_BIND:
		return chan_bind(c, v);
	case RELAY_APP_BIND_DONE:
		if (qssh_view_get_u32(&v, &id) != 0 || v.len != 0)
			return QSSH_ERR_INVALID_FORMAT;
		return chan_bind_done(c, id);
	case RELAY_APP_EXITED:
		if (qssh_view_get_u32(&v, &id) != 0 || v.len != 0)
			return QSSH_ERR_INVALID_FORMAT;
		if ((ch = chan_by_lid(c, id)) != NULL) {
			ch->exited = true;
			ch->wio.ready |= EPOLLIN;
		}
		return 0;
	case RELAY_APP_FORWARD:
		if (qssh_view_get_u8(&v, &type) != 0 ||
		    type < SSH_MSG_CHANNEL_WINDOW_ADJUST ||
		    type > SSH_MSG_CHANNEL_CLOSE)
			return QSSH_ERR_INVALID_FORMAT;
		if (c->in_dead)
			return 0;
		p = v;
		known = qssh_view_get_u32(&p, &id) == 0 &&
		    chan_by_lid(c, id) != NULL;
		r = chan_input(c, type, v, true);
		if (r == QSSH_ERR_NOT_FOUND) {
			/* A channel closed meanwhile is not ours any more. */
			if (!known || type != SSH_MSG_CHANNEL_CLOSE)
				return 0;
			return relay_packet_in(c, type, v);
		}
		if (r != 0)
			conn_input_error(c, r);
		return 0;
	default:
		return QSSH_ERR_INVALID_FORMAT;
	}
}

static int
handle_record(struct fp_conn *c, uint8_t type, struct qssh_view body)
{
	struct tport_keys k;
	struct qssh_view s;
	char ident[TPORT_VERSION_MAX + 1];
	uint64_t bytes;
	uint32_t secs;
	uint8_t b;
	int r;

	switch (type) {
	case RELAY_VERSION:
		if (qssh_view_get_string(&body, &s) != 0 || body.len != 0 ||
		    s.len >= sizeof(ident) || memchr(s.p, '\0', s.len) != NULL)
			return QSSH_ERR_INVALID_FORMAT;
		memcpy(ident, s.p, s.len);
		ident[s.len] = '\0';
		return tport_send_version(c->t, ident);
	case RELAY_PACKET:
		return handle_packet_out(c, body);
	case RELAY_KEX_STARTED:
		tport_kex_started(c->t);
		return 0;
	case RELAY_KEYS_OUT:
	case RELAY_KEYS_IN:
		if ((r = relay_get_keys(body, &k)) != 0)
			return r;
		if (type == RELAY_KEYS_OUT)
			r = tport_set_keys_out(c->t, &k);
		else if (!c->keys_in_wait)
			r = QSSH_ERR_INVALID_FORMAT;
		else {
			r = tport_set_keys_in(c->t, &k);
			c->keys_in_wait = false;
			c->pkts_pending = true;
			/*
			 * Both directions are new only now: asking again
			 * after our NEWKEYS (the input still counted under
			 * the old keys) started a second exchange.
			 */
			c->rekey_asked = false;
		}
		qssh_wipe(&k, sizeof(k));
		return r;
	case RELAY_STRICT_KEX:
		if (qssh_view_get_u8(&body, &b) != 0 || body.len != 0)
			return QSSH_ERR_INVALID_FORMAT;
		tport_set_strict_kex(c->t, b != 0);
		return 0;
	case RELAY_AUTH_DONE:
		tport_auth_done(c->t);
		return 0;
	case RELAY_REKEY_LIMITS:
		if (qssh_view_get_u64(&body, &bytes) != 0 ||
		    qssh_view_get_u32(&body, &secs) != 0 || body.len != 0)
			return QSSH_ERR_INVALID_FORMAT;
		tport_set_rekey_limits(c->t, bytes, secs);
		return 0;
	case RELAY_APP:
		return handle_app(c, body);
	default:
		return QSSH_ERR_INVALID_FORMAT;
	}
}

/* Whole records from the control process; a bad one ends the connection. */
static bool
relay_records(struct fp_conn *c, int *rp)
{
	struct qssh_view body;
	size_t total;
	uint8_t type;
	bool moved = false;
	int r;

	*rp = 0;
	while ((r = relay_next(qssh_buf_view(c->rin), &type, &body, &total)) ==
	    0) {
		r = handle_record(c, type, body);
		/* Keys were in it: no copy stays behind. */
		qssh_wipe(qssh_buf_mutable_ptr(c->rin), total);
		(void)qssh_buf_consume(c->rin, total);
		moved = true;
		if (r != 0) {
			qlog_error("dataplane: %s port %d: control record %u: "
				   "%s",
			    c->addr, c->port, type, qssh_strerror(r));
			*rp = r;
			return true;
		}
	}
	if (r != QSSH_ERR_AGAIN) {
		qlog_error("dataplane: %s port %d: bad control record", c->addr,
		    c->port);
		*rp = r;
	}
	return moved;
}

/*
 * Records from the control process wait while the network output is long
 * (they would only add to it), unless the control process is gone.
 */
static bool
relay_in_paused(const struct fp_conn *c)
{
	return tport_output_len(c->t) >= FP_NET_OUT_HIGH &&
	    (c->wrelay.ready & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) == 0;
}

/* Read the relay, keeping descriptors that come with it. */
static bool
relay_read(struct fp_conn *c)
{
	bool lost = false;
	uint8_t *p;
	ssize_t n;

	if ((c->wrelay.ready & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)) ==
		0 ||
	    c->relay_eof || relay_in_paused(c))
		return false;
	if (qssh_buf_reserve(c->rin, 64 * 1024, &p) != 0)
		return false;
	n = sock_recvmsg_fds(
	    c->relay, p, 64 * 1024, c->fds, FP_MAX_FDS, &c->nfds, &lost);
	(void)qssh_buf_consume_end(c->rin, 64 * 1024 - (n > 0 ? (size_t)n : 0));
	if (lost)
		qlog_error(
		    "dataplane: %s port %d: descriptors from the control "
		    "process were dropped",
		    c->addr, c->port);
	if (n > 0)
		return true;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->wrelay.ready = 0;
		return false;
	}
	/* The control process exited (or broke the relay). */
	c->relay_eof = true;
	c->wrelay.ready = 0;
	return true;
}

static bool
relay_write(struct fp_conn *c)
{
	bool moved = false;
	ssize_t n;

	while (qssh_buf_len(c->rout) > 0 && !c->relay_eof) {
		n = send(c->relay, qssh_buf_ptr(c->rout), qssh_buf_len(c->rout),
		    MSG_NOSIGNAL);
		if (n > 0) {
			(void)qssh_buf_consume(c->rout, (size_t)n);
			moved = true;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		c->relay_eof = true;
		qssh_buf_reset(c->rout);
	}
	return moved;
}

/* ---- the network ---- */

static bool
net_read(struct fp_conn *c)
{
	size_t room;
	uint8_t *dst;
	ssize_t n;
	int r;

	if (c->in_dead || c->pkts_pending || c->keys_in_wait ||
	    qssh_buf_len(c->rout) > FP_RELAY_OUT_HIGH ||
	    (c->win.ready & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0)
		return false;
	room = tport_input_room(c->t);
	if (room == 0)
		return false;
	if (room > FP_NET_READ)
		room = FP_NET_READ;
	/* Straight into the transport's input queue. */
	if ((r = tport_input_reserve(c->t, room, &dst)) != 0) {
		conn_input_error(c, r);
		return true;
	}
	do
		n = read(c->net_in, dst, room);
	while (n == -1 && errno == EINTR);
	tport_input_commit(c->t, room, n > 0 ? (size_t)n : 0);
	if (n > 0) {
		if ((size_t)n < room)
			c->win.ready = 0;
		c->pkts_pending = true;
		conn_measure(c, (size_t)n);
		return true;
	}
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->win.ready = 0;
		return false;
	}
	/* What already arrived is delivered before the end. */
	c->pkts_pending = true;
	c->net_eof = true;
	c->win.ready = 0;
	return true;
}

static bool
net_packets(struct fp_conn *c, int *rp)
{
	struct qssh_view pl;
	const char *ident;
	bool moved = false;
	uint8_t type, b[4];
	int r;

	*rp = 0;
	if (!c->version_read && !c->in_dead) {
		r = tport_read_version(c->t, &ident);
		if (r == QSSH_ERR_AGAIN) {
			c->pkts_pending = false;
			goto eof;
		}
		if (r != 0) {
			conn_input_error(c, r);
			return true;
		}
		c->version_read = true;
		c->peer_openssh = strncmp(ident, "SSH-2.0-OpenSSH_", 16) == 0;
		moved = true;
		qssh_put_u32be(b, (uint32_t)strlen(ident));
		if ((*rp = relay_put(c, RELAY_VERSION, b, sizeof(b), ident,
			 strlen(ident))) != 0)
			return true;
	}
	while (c->version_read && !c->in_dead && !c->keys_in_wait &&
	    qssh_buf_len(c->rout) <= FP_RELAY_OUT_HIGH &&
	    c->held_bytes <= FP_HELD_HIGH) {
		r = tport_read_packet(c->t, &type, &pl);
		if (r == QSSH_ERR_AGAIN) {
			c->pkts_pending = false;
			break;
		}
		if (r != 0) {
			conn_input_error(c, r);
			return true;
		}
		moved = true;
		/*
		 * Message number 0 is no message; it cannot cross the relay
		 * (which uses it for its own records): answered here, as an
		 * unknown number is (RFC 4253 11.4), or refused during the
		 * first kex.
		 */
		if (type == TPORT_MSG_RELAY_APP) {
			uint8_t seq[4];

			if (!tport_first_kex_done(c->t)) {
				conn_input_error(c, QSSH_ERR_PROTOCOL);
				return true;
			}
			qssh_put_u32be(seq, tport_seqnr_in(c->t) - 1);
			if ((*rp = tport_send(c->t, SSH_MSG_UNIMPLEMENTED, seq,
				 sizeof(seq))) != 0)
				return true;
			continue;
		}
		if (tport_first_kex_done(c->t)) {
			if (type == SSH_MSG_IGNORE)
				continue;
			if (type >= SSH_MSG_CHANNEL_WINDOW_ADJUST &&
			    type <= SSH_MSG_CHANNEL_CLOSE) {
				r = chan_input(c, type, pl, false);
				if (r == 0)
					continue;
				if (r != QSSH_ERR_NOT_FOUND) {
					conn_input_error(c, r);
					return true;
				}
			}
		}
		if ((*rp = relay_packet_in(c, type, pl)) != 0)
			return true;
		if (type == SSH_MSG_NEWKEYS)
			c->keys_in_wait = true;
	}
eof:
	if (c->net_eof && !c->pkts_pending && !c->keys_in_wait &&
	    !tport_work_pending(c->t))
		conn_input_error(c, QSSH_ERR_CONN_CLOSED);
	return moved;
}

static bool
net_write(struct fp_conn *c)
{
	struct qssh_view out;
	bool moved = false;
	ssize_t n;
	int r;

	if (c->out_dead)
		return false;
	if ((r = tport_flush(c->t)) != 0) {
		c->out_dead = true;
		conn_input_error(c, r);
		return true;
	}
	while (tport_output_len(c->t) > 0) {
		out = tport_output(c->t);
		n = send(c->net_out, out.p, out.len, MSG_NOSIGNAL);
		if (n == -1 && errno == ENOTSOCK)
			n = write(c->net_out, out.p, out.len);
		if (n > 0) {
			(void)tport_output_consume(c->t, (size_t)n);
			moved = true;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		c->out_dead = true;
		conn_input_error(c, QSSH_ERR_CONN_CLOSED);
		return true;
	}
	return moved;
}

/* ---- a connection's step ---- */

static void
conn_interest(struct fp_conn *c)
{
	struct fp_engine *e = c->e;
	bool net_out_want = !c->out_dead && tport_output_len(c->t) > 0;
	uint32_t ev;
	size_t i;

	ev = 0;
	if (!c->in_dead && !c->net_eof && !c->keys_in_wait &&
	    qssh_buf_len(c->rout) <= FP_RELAY_OUT_HIGH &&
	    c->held_bytes <= FP_HELD_HIGH && tport_input_room(c->t) > 0)
		ev |= EPOLLIN;
	if (c->net_out == c->net_in && net_out_want)
		ev |= EPOLLOUT;
	watch_set(e, &c->win, ev);
	if (c->net_out != c->net_in)
		watch_set(e, &c->wout, net_out_want ? EPOLLOUT : 0);
	/* While paused, the control process's end is still noticed. */
	ev = 0;
	if (!c->relay_eof) {
		ev = EPOLLRDHUP;
		if (!relay_in_paused(c))
			ev |= EPOLLIN;
		if (qssh_buf_len(c->rout) > 0)
			ev |= EPOLLOUT;
	}
	watch_set(e, &c->wrelay, ev);
	for (i = 0; i < c->nch; i++) {
		struct fp_chan *ch = c->ch[i];
		bool can_send = ch->rwin > 0 && !c->closing &&
		    !tport_kex_holding(c->t) &&
		    tport_output_len(c->t) < FP_NET_OUT_HIGH;

		ev = 0;
		if (can_send && !ch->out_eof)
			ev |= EPOLLIN;
		if (qssh_buf_len(ch->inq) > 0 && !ch->in_shut)
			ev |= EPOLLOUT;
		watch_set(e, &ch->wio, ev);
		if (ch->err_fd >= 0)
			watch_set(e, &ch->werr,
			    can_send && !ch->err_eof ? EPOLLIN : 0);
	}
}

static void
conn_step(struct fp_conn *c)
{
	unsigned guard = 0;
	bool moved;
	size_t i;
	int r = 0;

	do {
		moved = relay_read(c);
		if (relay_records(c, &r))
			moved = true;
		if (r != 0)
			goto kill;
		if (net_read(c))
			moved = true;
		if (net_packets(c, &r))
			moved = true;
		if (r != 0)
			goto kill;
		for (i = 0; i < c->nch && !c->in_dead; i++) {
			if (chan_io(c->ch[i], &r))
				moved = true;
			if (r != 0) {
				conn_input_error(c, r);
				r = 0;
			}
		}
		if (net_write(c))
			moved = true;
		if (!c->rekey_asked && tport_first_kex_done(c->t) &&
		    !tport_kex_holding(c->t) && tport_rekey_needed(c->t)) {
			c->rekey_asked = true;
			if ((r = relay_put(c, RELAY_REKEY, NULL, 0, NULL, 0)) !=
			    0)
				goto kill;
		}
		if (relay_write(c))
			moved = true;
	} while (moved && ++guard < 64);
	/* Work may be left that no descriptor will announce. */
	c->again = moved;
	if (c->relay_eof) {
		/* Give the last bytes (DISCONNECT) a moment, then go. */
		if (c->linger_until == 0)
			c->linger_until = qssh_monotime_ms() + FP_LINGER_MS;
		if (c->out_dead ||
		    (tport_output_len(c->t) == 0 &&
			!tport_work_pending(c->t)) ||
		    qssh_monotime_ms() >= c->linger_until) {
			conn_destroy(c);
			return;
		}
		c->in_dead = true;
	}
	conn_interest(c);
	return;
kill:
	conn_destroy(c);
}

/* ---- connections ---- */

static void
conn_destroy(struct fp_conn *c)
{
	struct fp_engine *e = c->e;
	size_t i;

	while (c->nch > 0)
		chan_free(c->ch[0]);
	for (i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	watch_close(e, &c->win);
	watch_close(e, &c->wout);
	watch_close(e, &c->wrelay);
	tport_free(c->t);
	if (c->net_out != c->net_in && c->net_out >= 0)
		close(c->net_out);
	if (c->net_in >= 0)
		close(c->net_in);
	if (c->relay >= 0)
		close(c->relay);
	qssh_buf_free(c->rin);
	qssh_buf_free(c->rout);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		e->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	e->count--;
	free(c);
}

int
fp_engine_add(struct fp_engine *e, int net_in, int net_out, int relay_fd,
    const char *addr, int port)
{
	struct fp_conn *c;
	int r = QSSH_ERR_ALLOC;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->e = e;
	snprintf(c->addr, sizeof(c->addr), "%s", addr != NULL ? addr : "?");
	c->port = port;
	c->net_in = net_in;
	c->net_out = net_out;
	c->relay = relay_fd;
	if ((c->t = tport_new(true, e->cfg.backend)) == NULL ||
	    (c->rin = qssh_buf_new()) == NULL ||
	    (c->rout = qssh_buf_new()) == NULL) {
		tport_free(c->t);
		qssh_buf_free(c->rin);
		qssh_buf_free(c->rout);
		free(c);
		goto fail;
	}
	if (e->cfg.port != NULL &&
	    (r = tport_attach_workers(c->t, e->cfg.port)) != 0)
		qlog_debug(
		    "dataplane: workers not attached: %s", qssh_strerror(r));
	(void)sock_set_nonblock(net_in, true);
	if (net_out != net_in)
		(void)sock_set_nonblock(net_out, true);
	(void)sock_set_nonblock(relay_fd, true);
	watch_init(&c->win, c, NULL, net_in, W_NET_IN);
	watch_init(
	    &c->wout, c, NULL, net_out != net_in ? net_out : -1, W_NET_OUT);
	watch_init(&c->wrelay, c, NULL, relay_fd, W_RELAY);
	c->next = e->conns;
	if (e->conns != NULL)
		e->conns->prev = c;
	e->conns = c;
	e->count++;
	e->st.connections++;
	conn_interest(c);
	return 0;
fail:
	close(net_in);
	if (net_out != net_in)
		close(net_out);
	close(relay_fd);
	return r;
}

struct fp_engine *
fp_engine_new(const struct fp_config *cfg, int *err)
{
	struct fp_engine *e;
	int fd;

	*err = QSSH_ERR_ALLOC;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->cfg = *cfg;
	if (e->cfg.window == 0)
		e->cfg.window = FP_WINDOW_DEFAULT;
	if (e->cfg.window_max == 0)
		e->cfg.window_max = FP_WINDOW_MAX;
	if (e->cfg.window_max > FP_WINDOW_MAX)
		e->cfg.window_max = FP_WINDOW_MAX;
	if (e->cfg.window > e->cfg.window_max)
		e->cfg.window = e->cfg.window_max;
	e->ep = -1;
	if ((e->scratch = malloc(FP_SESS_READ + 16)) == NULL)
		goto fail;
	if ((e->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		*err = QSSH_ERR_SYSTEM;
		goto fail;
	}
	fd = -1;
	if (cfg->port != NULL)
		fd = wrk_port_event_fd(cfg->port);
	watch_init(&e->wworkers, NULL, NULL, fd, W_WORKERS);
	if (fd >= 0)
		watch_set(e, &e->wworkers, EPOLLIN);
	*err = 0;
	return e;
fail:
	fp_engine_free(e);
	return NULL;
}

void
fp_engine_free(struct fp_engine *e)
{
	if (e == NULL)
		return;
	while (e->conns != NULL)
		conn_destroy(e->conns);
	if (e->ep >= 0)
		close(e->ep);
	free(e->scratch);
	free(e);
}

int
fp_engine_add_fd(struct fp_engine *e, int fd, fp_fd_cb *cb, void *arg)
{
	size_t i;

	for (i = 0; i < FP_EXT_MAX; i++) {
		if (e->ext[i].cb != NULL)
			continue;
		watch_init(&e->ext[i].w, NULL, NULL, fd, W_EXT);
		e->ext[i].cb = cb;
		e->ext[i].arg = arg;
		watch_set(e, &e->ext[i].w, EPOLLIN);
		return e->ext[i].w.added ? 0 : QSSH_ERR_SYSTEM;
	}
	return QSSH_ERR_NO_BUFFER_SPACE;
}

void
fp_engine_del_fd(struct fp_engine *e, int fd)
{
	size_t i;

	for (i = 0; i < FP_EXT_MAX; i++) {
		if (e->ext[i].cb != NULL && e->ext[i].w.fd == fd) {
			watch_close(e, &e->ext[i].w);
			e->ext[i].cb = NULL;
		}
	}
}

int
fp_engine_fd(const struct fp_engine *e)
{
	return e->ep;
}

size_t
fp_engine_count(const struct fp_engine *e)
{
	return e->count;
}

void
fp_engine_stats(const struct fp_engine *e, struct fp_stats *st)
{
	*st = e->st;
}

int
fp_engine_run(struct fp_engine *e, int timeout_ms)
{
	struct epoll_event ev[FP_EVENTS];
	struct fp_conn *c, *next;
	struct fp_watch *w;
	bool workers = false, sweep;
	uint64_t v, now;
	int n, i;

	/* Completions already waiting, or a lingering close: no long sleep. */
	for (c = e->conns; c != NULL; c = c->next) {
		if (c->again)
			timeout_ms = 0;
		/*
		 * Completions wait (arming drained the event fd, so nothing
		 * will announce them): this round steps the connection.
		 * Asked even with nothing in flight: another connection's
		 * flush on the shared port may have collected them.
		 */
		if (tport_arm_event(c->t)) {
			c->dirty = true;
			timeout_ms = 0;
		}
		if (c->linger_until != 0 && timeout_ms != 0)
			timeout_ms = 100;
		if (tport_first_kex_done(c->t) && timeout_ms < 0)
			timeout_ms = 1000; /* time-based rekey */
	}
	n = epoll_wait(e->ep, ev, FP_EVENTS, timeout_ms);
	if (n == -1)
		return errno == EINTR ? 0 : QSSH_ERR_SYSTEM;
	for (i = 0; i < n; i++) {
		w = ev[i].data.ptr;
		if (w->kind == W_WORKERS) {
			if (read(w->fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: nothing signalled */
			}
			workers = true;
			continue;
		}
		if (w->kind == W_EXT) {
			struct fp_ext *x = (struct fp_ext *)(void *)w;

			if (x->cb != NULL)
				x->cb(x->arg);
			continue;
		}
		w->ready |= ev[i].events;
		w->c->dirty = true;
	}
	now = qssh_monotime_ms();
	sweep = now - e->last_sweep_ms >= 1000;
	if (sweep)
		e->last_sweep_ms = now;
	for (c = e->conns; c != NULL; c = next) {
		next = c->next;
		if (workers && tport_work_pending(c->t))
			c->dirty = true;
		if (sweep || c->linger_until != 0 || c->again)
			c->dirty = true;
		if (!c->dirty)
			continue;
		c->dirty = false;
		conn_step(c);
	}
	return 0;
}
