/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Connection protocol core: a client and a server context wired back to
 * back in memory, plus hand-built malformed messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "control/channel.h"
#include "dataplane/transport.h"

struct msg {
	uint8_t type;
	uint8_t *p;
	size_t len;
};

struct side {
	const char *name;
	struct chan_ctx *ctx;
	struct msg *out;
	size_t nout, headout, capout;
	/* Types of everything sent, in order ("98:exit-status 96 97 "). */
	char wire[8192];
	/* Callback events in order. */
	char ev[8192];
	struct qssh_buf *rx[2]; /* data, stderr */
	struct chan *last_open;
	struct chan *last_opened_by_peer;
	/* Policy */
	uint32_t open_verdict;
	const char *open_desc;
	int req_verdict;
	int global_verdict;
	bool fail_send;
	/* Saved from callbacks */
	uint32_t open_reason;
	char open_desc_rcvd[128];
	struct chan_request last_req;
	char term[64], env_name[64], env_value[64], command[128], sig[32];
	char errmsg[64];
	uint64_t ticket;
	uint64_t gticket;
	size_t num_keys;
	uint32_t adjusts_sent;
	uint32_t fwd_port;
	int nfreed;
	int nwritable;
};

static void
evf(struct side *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
evf(struct side *s, const char *fmt, ...)
{
	size_t n = strlen(s->ev);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->ev + n, sizeof(s->ev) - n, fmt, ap);
	va_end(ap);
}

static void
copy_str(char *dst, size_t len, const char *src)
{
	if (src != NULL)
		snprintf(dst, len, "%s", src);
}

static int
side_send(void *user, uint8_t type, const uint8_t *payload, size_t len)
{
	struct side *s = user;
	struct msg *m;
	size_t n = strlen(s->wire);

	if (s->fail_send)
		return QSSH_ERR_SYSTEM;
	if (type == SSH_MSG_CHANNEL_WINDOW_ADJUST)
		s->adjusts_sent++;
	if (type == SSH_MSG_CHANNEL_REQUEST) {
		struct qssh_view v = qssh_view_make(payload, len), name;

		assert_int_equal(qssh_view_skip(&v, 4), 0);
		assert_int_equal(qssh_view_get_string(&v, &name), 0);
		snprintf(s->wire + n, sizeof(s->wire) - n, "98:%.*s ",
		    (int)name.len, (const char *)name.p);
	} else if (type != SSH_MSG_CHANNEL_DATA &&
	    type != SSH_MSG_CHANNEL_WINDOW_ADJUST)
		snprintf(s->wire + n, sizeof(s->wire) - n, "%u ",
		    (unsigned int)type);
	if (s->nout == s->capout) {
		s->capout = s->capout ? s->capout * 2 : 64;
		s->out = realloc(s->out, s->capout * sizeof(*s->out));
		assert_non_null(s->out);
	}
	m = &s->out[s->nout++];
	m->type = type;
	m->len = len;
	m->p = malloc(len + 1);
	assert_non_null(m->p);
	if (len > 0)
		memcpy(m->p, payload, len);
	return 0;
}

/* Deliver everything queued in both directions until quiet. */
static int
pump(struct side *a, struct side *b)
{
	bool progress = true;
	struct side *from, *to;
	struct msg m;
	int r, i;

	while (progress) {
		progress = false;
		for (i = 0; i < 2; i++) {
			from = i == 0 ? a : b;
			to = i == 0 ? b : a;
			while (from->headout < from->nout) {
				m = from->out[from->headout++];
				r = chan_ctx_handle_packet(to->ctx, m.type,
				    qssh_view_make(m.p, m.len));
				free(m.p);
				if (r != 0)
					return r;
				progress = true;
			}
			from->headout = from->nout = 0;
		}
	}
	return 0;
}

static uint32_t
cb_open(void *user, struct chan *ch, const struct chan_open_info *info,
    const char **desc)
{
	struct side *s = user;

	evf(s, "open:%s", chan_type_name(info->type));
	if (info->type == CHAN_TYPE_DIRECT_TCPIP)
		evf(s, "(%s:%u<-%s:%u)", info->host, info->port,
		    info->originator, info->originator_port);
	if (info->path != NULL)
		evf(s, "(%s)", info->path);
	evf(s, " ");
	s->last_opened_by_peer = ch;
	*desc = s->open_desc;
	return s->open_verdict;
}

static void
cb_open_result(void *user, struct chan *ch, uint32_t reason, const char *desc)
{
	struct side *s = user;

	(void)ch;
	s->open_reason = reason;
	copy_str(s->open_desc_rcvd, sizeof(s->open_desc_rcvd), desc);
	evf(s, "result:%u ", reason);
}

static int
cb_request(void *user, struct chan *ch, const struct chan_request *req)
{
	struct side *s = user;

	(void)ch;
	evf(s, "req:%s%s ", req->name, req->want_reply ? "!" : "");
	s->last_req = *req;
	copy_str(s->term, sizeof(s->term), req->term);
	copy_str(s->env_name, sizeof(s->env_name), req->env_name);
	copy_str(s->env_value, sizeof(s->env_value), req->env_value);
	copy_str(s->command, sizeof(s->command), req->command);
	copy_str(s->sig, sizeof(s->sig), req->signal);
	copy_str(s->errmsg, sizeof(s->errmsg), req->error_msg);
	s->ticket = req->ticket;
	if (req->type == CHAN_REQ_ENV && strcmp(req->env_name, "BAD") == 0)
		return CHAN_REPLY_FAILURE;
	return s->req_verdict;
}

static void
cb_request_reply(void *user, struct chan *ch, enum chan_req_type type, bool ok)
{
	struct side *s = user;

	(void)ch;
	evf(s, "reply:%s:%s ", chan_req_name(type), ok ? "ok" : "fail");
}

static int
cb_data(
    void *user, struct chan *ch, uint32_t ext, const uint8_t *data, size_t len)
{
	struct side *s = user;

	(void)ch;
	assert_true(ext <= 1);
	assert_int_equal(qssh_buf_put(s->rx[ext], data, len), 0);
	return 0;
}

static void
cb_eof(void *user, struct chan *ch)
{
	struct side *s = user;

	(void)ch;
	evf(s, "eof ");
}

static void
cb_close(void *user, struct chan *ch)
{
	struct side *s = user;

	(void)ch;
	evf(s, "close ");
}

static void
cb_writable(void *user, struct chan *ch)
{
	struct side *s = user;

	(void)ch;
	s->nwritable++;
}

static void
cb_freed(void *user, struct chan *ch)
{
	struct side *s = user;

	if (ch == s->last_open)
		s->last_open = NULL;
	if (ch == s->last_opened_by_peer)
		s->last_opened_by_peer = NULL;
	s->nfreed++;
}

static int
cb_global(
    void *user, const struct chan_global_request *req, struct qssh_buf *reply)
{
	struct side *s = user;

	evf(s, "global:%s%s ", req->name, req->want_reply ? "!" : "");
	s->gticket = req->ticket;
	s->num_keys = req->num_keys;
	if (req->type == CHAN_GLOBAL_TCPIP_FORWARD) {
		s->fwd_port = req->port;
		if (req->port == 0)
			return CHAN_REPLY_DEFER;
	}
	if (req->type == CHAN_GLOBAL_KEEPALIVE)
		return CHAN_REPLY_FAILURE;
	if (req->type == CHAN_GLOBAL_HOSTKEYS_PROVE) {
		size_t i;

		for (i = 0; i < req->num_keys; i++)
			assert_int_equal(qssh_buf_put_cstring(reply, "sig"), 0);
	}
	return s->global_verdict;
}

static void
cb_global_reply(void *user, void *cookie, bool ok, struct qssh_view data)
{
	struct side *s = user;
	uint32_t port;

	evf(s, "greply:%d:%s", (int)(intptr_t)cookie, ok ? "ok" : "fail");
	if (data.len == 4 && qssh_view_get_u32(&data, &port) == 0)
		evf(s, ":port=%u", port);
	else if (data.len > 0)
		evf(s, ":len=%zu", data.len);
	evf(s, " ");
}

static const struct chan_callbacks callbacks = {
	.open = cb_open,
	.open_result = cb_open_result,
	.request = cb_request,
	.request_reply = cb_request_reply,
	.data = cb_data,
	.eof = cb_eof,
	.close = cb_close,
	.writable = cb_writable,
	.freed = cb_freed,
	.global_request = cb_global,
	.global_reply = cb_global_reply,
};

static void
side_init(struct side *s, const char *name, const struct chan_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->rx[0] = qssh_buf_new();
	s->rx[1] = qssh_buf_new();
	assert_non_null(s->rx[0]);
	assert_non_null(s->rx[1]);
	s->req_verdict = CHAN_REPLY_SUCCESS;
	s->global_verdict = CHAN_REPLY_SUCCESS;
	s->ctx = chan_ctx_new(side_send, &callbacks, s, cfg);
	assert_non_null(s->ctx);
}

static void
side_cleanup(struct side *s)
{
	size_t i;

	chan_ctx_free(s->ctx);
	for (i = s->headout; i < s->nout; i++)
		free(s->out[i].p);
	free(s->out);
	qssh_buf_free(s->rx[0]);
	qssh_buf_free(s->rx[1]);
}

struct pair {
	struct side c, s;
};

static void
pair_init(struct pair *p, const struct chan_config *ccfg,
    const struct chan_config *scfg)
{
	struct chan_config sc = { .is_server = true };

	side_init(&p->c, "client", ccfg);
	side_init(&p->s, "server", scfg != NULL ? scfg : &sc);
}

static void
pair_cleanup(struct pair *p)
{
	side_cleanup(&p->c);
	side_cleanup(&p->s);
}

/* Client opens a session; the server accepts. */
static struct chan *
open_session(struct pair *p)
{
	struct chan_open_info info = { .type = CHAN_TYPE_SESSION };
	struct chan *ch = NULL;

	assert_int_equal(chan_open(p->c.ctx, &info, NULL, &ch), 0);
	assert_non_null(ch);
	assert_true(chan_flags(ch) & CHAN_F_OPENING);
	p->c.last_open = ch;
	assert_int_equal(pump(&p->c, &p->s), 0);
	assert_true(chan_flags(ch) & CHAN_F_OPEN);
	return ch;
}

/* ---- tests ---- */

static void
test_open_confirm_and_requests(void **state)
{
	struct pair p;
	struct chan *ch, *sch;
	struct chan_request req;

	(void)state;
	pair_init(&p, NULL, NULL);
	ch = open_session(&p);
	assert_string_equal(p.s.ev, "open:session ");
	assert_string_equal(p.c.ev, "result:0 ");
	sch = p.s.last_opened_by_peer;
	assert_non_null(sch);
	assert_int_equal(chan_remote_id(ch), chan_id(sch));
	assert_int_equal(chan_remote_id(sch), chan_id(ch));
	assert_int_equal(chan_remote_window(ch), CHAN_WINDOW_DEFAULT);
	assert_int_equal(chan_remote_max_packet(ch), CHAN_PACKET_DEFAULT);

	/* pty-req with modes */
	memset(&req, 0, sizeof(req));
	req.type = CHAN_REQ_PTY;
	req.term = "xterm-256color";
	req.cols = 80;
	req.rows = 24;
	req.width_px = 640;
	req.height_px = 480;
	req.modes.set[CHAN_TTY_OP_ISPEED] = true;
	req.modes.value[CHAN_TTY_OP_ISPEED] = 38400;
	req.modes.set[53] = true; /* ECHO */
	req.modes.value[53] = 1;
	req.modes.set[1] = true; /* VINTR */
	req.modes.value[1] = 3;
	assert_int_equal(chan_send_request(ch, &req, true), 0);
	memset(&req, 0, sizeof(req));
	req.type = CHAN_REQ_ENV;
	req.env_name = "LANG";
	req.env_value = "C.UTF-8";
	assert_int_equal(chan_send_request(ch, &req, true), 0);
	req.env_name = "BAD";
	assert_int_equal(chan_send_request(ch, &req, true), 0);
	memset(&req, 0, sizeof(req));
	req.type = CHAN_REQ_EXEC;
	req.command = "echo hello; exit 3";
	assert_int_equal(chan_send_request(ch, &req, true), 0);
	memset(&req, 0, sizeof(req));
	req.type = CHAN_REQ_WINDOW_CHANGE;
	req.cols = 100;
	req.rows = 40;
	assert_int_equal(chan_send_request(ch, &req, false), 0);
	assert_int_equal(pump(&p.c, &p.s), 0);

	assert_string_equal(p.s.ev,
	    "open:session req:pty-req! req:env! "
	    "req:env! req:exec! req:window-change ");
	assert_string_equal(p.c.ev,
	    "result:0 reply:pty-req:ok reply:env:ok reply:env:fail "
	    "reply:exec:ok ");
	assert_string_equal(p.s.term, "xterm-256color");
	assert_string_equal(p.s.command, "echo hello; exit 3");
	assert_int_equal(p.s.last_req.cols, 100);
	assert_int_equal(p.s.last_req.rows, 40);
	pair_cleanup(&p);
}

static struct side *pty_side;

static int
cb_request_pty_check(
    void *user, struct chan *ch, const struct chan_request *req)
{
	struct side *s = user;
	int i, n = 0;

	(void)ch;
	assert_ptr_equal(s, pty_side);
	assert_int_equal(req->type, CHAN_REQ_PTY);
	assert_string_equal(req->term, "vt100");
	assert_int_equal(req->cols, 80);
	assert_int_equal(req->rows, 24);
	for (i = 0; i < CHAN_TTY_OP_MAX; i++)
		n += req->modes.set[i];
	assert_int_equal(n, 3);
	assert_true(req->modes.set[CHAN_TTY_OP_ISPEED]);
	assert_int_equal(req->modes.value[CHAN_TTY_OP_ISPEED], 38400);
	assert_int_equal(req->modes.value[CHAN_TTY_OP_OSPEED], 9600);
	assert_int_equal(req->modes.value[3], 127); /* VERASE */
	return CHAN_REPLY_SUCCESS;
}

/* Build a raw CHANNEL_REQUEST payload. */
static struct qssh_buf *
raw_request(uint32_t rid, const char *name, bool want_reply)
{
	struct qssh_buf *b = qssh_buf_new();

	assert_non_null(b);
	assert_int_equal(qssh_buf_put_u32(b, rid), 0);
	assert_int_equal(qssh_buf_put_cstring(b, name), 0);
	assert_int_equal(qssh_buf_put_bool(b, want_reply), 0);
	return b;
}

static int
feed(struct side *s, uint8_t type, const struct qssh_buf *b)
{
	return chan_ctx_handle_packet(s->ctx, type, qssh_buf_view(b));
}

static void
test_pty_modes_parsing(void **state)
{
	struct chan_callbacks cb = callbacks;
	struct chan_config sc = { .is_server = true };
	struct pair p;
	struct chan *ch;
	struct qssh_buf *b, *m;

	(void)state;
	pair_init(&p, NULL, NULL);
	chan_ctx_free(p.s.ctx);
	cb.request = cb_request_pty_check;
	p.s.ctx = chan_ctx_new(side_send, &cb, &p.s, &sc);
	pty_side = &p.s;
	ch = open_session(&p);

	/* Modes: ISPEED, OSPEED, VERASE, then opcode 200 stops the parse
	 * (the junk after it is not looked at), then END. */
	m = qssh_buf_new();
	assert_int_equal(qssh_buf_put_u8(m, CHAN_TTY_OP_ISPEED), 0);
	assert_int_equal(qssh_buf_put_u32(m, 38400), 0);
	assert_int_equal(qssh_buf_put_u8(m, CHAN_TTY_OP_OSPEED), 0);
	assert_int_equal(qssh_buf_put_u32(m, 9600), 0);
	assert_int_equal(qssh_buf_put_u8(m, 3), 0);
	assert_int_equal(qssh_buf_put_u32(m, 127), 0);
	assert_int_equal(qssh_buf_put_u8(m, 200), 0);
	assert_int_equal(qssh_buf_put(m, "\x01\x02", 2), 0);
	b = raw_request(chan_remote_id(ch), "pty-req", true);
	assert_int_equal(qssh_buf_put_cstring(b, "vt100"), 0);
	assert_int_equal(qssh_buf_put_u32(b, 80), 0);
	assert_int_equal(qssh_buf_put_u32(b, 24), 0);
	assert_int_equal(qssh_buf_put_u32(b, 0), 0);
	assert_int_equal(qssh_buf_put_u32(b, 0), 0);
	assert_int_equal(qssh_buf_put_stringb(b, m), 0);
	p.s.wire[0] = '\0';
	assert_int_equal(feed(&p.s, SSH_MSG_CHANNEL_REQUEST, b), 0);
	assert_string_equal(p.s.wire, "99 ");
	qssh_buf_free(b);

	/* An opcode below 160 without its argument is malformed. */
	qssh_buf_reset(m);
	assert_int_equal(qssh_buf_put_u8(m, 53), 0);
	assert_int_equal(qssh_buf_put(m, "\0\0", 2), 0);
	b = raw_request(chan_remote_id(ch), "pty-req", true);
	assert_int_equal(qssh_buf_put_cstring(b, "vt100"), 0);
	assert_int_equal(
	    qssh_buf_put(b, "\0\0\0\x50\0\0\0\x18\0\0\0\0\0\0\0\0", 16), 0);
	assert_int_equal(qssh_buf_put_stringb(b, m), 0);
	assert_int_equal(
	    feed(&p.s, SSH_MSG_CHANNEL_REQUEST, b), QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(chan_disconnect_reason(QSSH_ERR_INVALID_FORMAT),
	    SSH_DISCONNECT_PROTOCOL_ERROR);
	assert_true(strstr(chan_ctx_error(p.s.ctx), "pty-req") != NULL);
	qssh_buf_free(b);
	qssh_buf_free(m);
	pair_cleanup(&p);
}

static void
fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

/* Write all of buf on ch, pumping between partial writes. */
static void
write_all(struct pair *p, struct chan *ch, uint32_t ext, const uint8_t *buf,
    size_t len, size_t step)
{
	size_t off = 0, acc, n;
	int rounds = 0;

	while (off < len) {
		n = len - off < step ? len - off : step;
		assert_int_equal(
		    chan_write_ext(ch, ext, buf + off, n, &acc), 0);
		assert_true(acc <= n);
		off += acc;
		assert_int_equal(pump(&p->c, &p->s), 0);
		assert_true(++rounds < 100000);
	}
}

static void
test_bulk_small_window(void **state)
{
	struct chan_config cc = { .window = 20000, .max_packet = 4096 };
	struct chan_config sc = {
		.is_server = true, .window = 32768, .max_packet = 16384
	};
	const size_t total = 1024 * 1024;
	struct pair p;
	struct chan *ch, *sch;
	uint8_t *up, *down, *err;

	(void)state;
	up = malloc(total);
	down = malloc(total);
	err = malloc(100000);
	fill_pattern(up, total, 1);
	fill_pattern(down, total, 2);
	fill_pattern(err, 100000, 3);
	pair_init(&p, &cc, &sc);
	ch = open_session(&p);
	sch = p.s.last_opened_by_peer;
	assert_int_equal(chan_remote_window(ch), 32768);
	assert_int_equal(chan_remote_max_packet(ch), 16384);
	assert_int_equal(chan_remote_window(sch), 20000);

	/* A write larger than the window is partly accepted. */
	{
		size_t acc;

		assert_int_equal(chan_write(ch, up, 50000, &acc), 0);
		assert_int_equal(acc, 32768);
		assert_int_equal(chan_remote_window(ch), 0);
		assert_int_equal(chan_writable(ch), 0);
		assert_int_equal(pump(&p.c, &p.s), 0);
		assert_true(chan_remote_window(ch) > 0);
		assert_true(p.c.nwritable > 0);
		write_all(&p, ch, 0, up + acc, total - acc, 65536);
	}
	assert_int_equal(qssh_buf_len(p.s.rx[0]), total);
	assert_memory_equal(qssh_buf_ptr(p.s.rx[0]), up, total);
	/* 1 MiB through a 32 KiB window, adjusting at half. */
	assert_true(p.s.adjusts_sent >= total / 16384 - 1);

	/* Down: stdout and stderr interleaved. */
	write_all(&p, sch, 0, down, total / 2, 7000);
	write_all(&p, sch, CHAN_EXTENDED_DATA_STDERR, err, 100000, 3000);
	write_all(&p, sch, 0, down + total / 2, total / 2, 100000);
	assert_int_equal(qssh_buf_len(p.c.rx[0]), total);
	assert_memory_equal(qssh_buf_ptr(p.c.rx[0]), down, total);
	assert_int_equal(qssh_buf_len(p.c.rx[1]), 100000);
	assert_memory_equal(qssh_buf_ptr(p.c.rx[1]), err, 100000);
	assert_true(p.c.adjusts_sent > 50);
	/* Windows are whole again once everything was consumed. */
	assert_true(chan_local_window(ch) > 20000 / 2);
	pair_cleanup(&p);
	free(up);
	free(down);
	free(err);
}

static void
test_write_queue_and_order(void **state)
{
	struct chan_config cc = { .window = 1000, .max_packet = 300 };
	struct chan_config sc = { .is_server = true,
		.write_queue_max = 1 << 20 };
	struct chan_request ex = { .type = CHAN_REQ_EXIT_STATUS,
		.exit_status = 3 };
	uint8_t buf[10000];
	struct pair p;
	struct chan *sch;
	size_t acc;

	(void)state;
	fill_pattern(buf, sizeof(buf), 9);
	pair_init(&p, &cc, &sc);
	(void)open_session(&p);
	sch = p.s.last_opened_by_peer;
	p.s.wire[0] = '\0';
	/* Everything is accepted: 1000 sent, the rest queued. */
	assert_int_equal(chan_write(sch, buf, sizeof(buf), &acc), 0);
	assert_int_equal(acc, sizeof(buf));
	assert_int_equal(chan_queued(sch), sizeof(buf) - 1000);
	/* exit-status, EOF and CLOSE wait behind the data. */
	assert_int_equal(chan_finish(sch, &ex), 0);
	assert_string_equal(p.s.wire, "");
	assert_int_equal(
	    chan_write(sch, buf, 1, &acc), QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_string_equal(p.s.wire, "98:exit-status 96 97 ");
	assert_string_equal(p.c.ev, "result:0 req:exit-status eof close ");
	assert_int_equal(p.c.last_req.exit_status, 3);
	assert_int_equal(qssh_buf_len(p.c.rx[0]), sizeof(buf));
	assert_memory_equal(qssh_buf_ptr(p.c.rx[0]), buf, sizeof(buf));
	/* Both sides sent and received CLOSE: both freed. */
	assert_int_equal(chan_ctx_num_channels(p.c.ctx), 0);
	assert_int_equal(chan_ctx_num_channels(p.s.ctx), 0);
	assert_int_equal(p.c.nfreed, 1);
	assert_int_equal(p.s.nfreed, 1);
	pair_cleanup(&p);
}

static void
test_eof_before_exit_and_signal(void **state)
{
	struct chan_config sc = { .is_server = true, .eof_before_exit = true };
	struct chan_request ex = { .type = CHAN_REQ_EXIT_SIGNAL,
		.signal = "TERM",
		.core_dumped = true,
		.error_msg = "killed",
		.lang = "" };
	struct pair p;
	struct chan *sch, *ch;
	size_t acc;

	(void)state;
	pair_init(&p, NULL, &sc);
	ch = open_session(&p);
	sch = p.s.last_opened_by_peer;
	assert_int_equal(chan_write(sch, "bye", 3, &acc), 0);
	p.s.wire[0] = '\0';
	assert_int_equal(chan_finish(sch, &ex), 0);
	assert_string_equal(p.s.wire, "96 98:exit-signal 97 ");
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_string_equal(p.c.ev, "result:0 eof req:exit-signal close ");
	assert_string_equal(p.c.sig, "TERM");
	assert_string_equal(p.c.errmsg, "killed");
	assert_true(p.c.last_req.core_dumped);
	assert_null(p.c.last_open);
	(void)ch;
	assert_int_equal(chan_ctx_num_channels(p.c.ctx), 0);
	pair_cleanup(&p);
}

static void
test_client_close_first(void **state)
{
	struct pair p;
	struct chan *ch;

	(void)state;
	pair_init(&p, NULL, NULL);
	ch = open_session(&p);
	assert_int_equal(chan_send_eof(ch), 0);
	assert_int_equal(chan_send_eof(ch), 0); /* idempotent */
	assert_int_equal(chan_close(ch), 0);
	assert_true(chan_flags(ch) & CHAN_F_CLOSE_SENT);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_string_equal(p.s.ev, "open:session eof close ");
	assert_string_equal(p.c.ev, "result:0 close ");
	assert_int_equal(chan_ctx_num_channels(p.c.ctx), 0);
	assert_int_equal(chan_ctx_num_channels(p.s.ctx), 0);
	pair_cleanup(&p);
}

static void
test_open_failures(void **state)
{
	static const char *const reasons[] = { "",
		"administratively "
		"prohibited",
		"connect failed", "unknown channel type", "resource shortage" };
	struct chan_open_info info = { .type = CHAN_TYPE_DIRECT_TCPIP,
		.host = "example.org",
		.port = 22,
		.originator = "10.0.0.1",
		.originator_port = 5555 };
	struct pair p;
	struct chan *ch;
	struct qssh_buf *b;
	uint32_t reason;

	(void)state;
	pair_init(&p, NULL, NULL);
	for (reason = 1; reason <= 4; reason++) {
		p.s.open_verdict = reason;
		p.s.open_desc = NULL;
		p.c.ev[0] = '\0';
		assert_int_equal(chan_open(p.c.ctx, &info, NULL, &ch), 0);
		assert_int_equal(pump(&p.c, &p.s), 0);
		assert_int_equal(p.c.open_reason, reason);
		assert_string_equal(p.c.open_desc_rcvd, reasons[reason]);
		assert_int_equal(chan_ctx_num_channels(p.c.ctx), 0);
		assert_int_equal(chan_ctx_num_channels(p.s.ctx), 0);
	}
	assert_true(
	    strstr(p.s.ev,
		"open:direct-tcpip(example.org:22<-10.0.0.1:5555)") != NULL);
	/* A description of the callback's own. */
	p.s.open_verdict = CHAN_OPEN_CONNECT_FAILED;
	p.s.open_desc = "Connection refused";
	assert_int_equal(chan_open(p.c.ctx, &info, NULL, &ch), 0);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_string_equal(p.c.open_desc_rcvd, "Connection refused");

	/* Unknown type: refused without asking the callback. */
	b = qssh_buf_new();
	assert_int_equal(qssh_buf_put_cstring(b, "foo@example.com"), 0);
	assert_int_equal(
	    qssh_buf_put(b, "\0\0\0\x07\0\0\x10\0\0\0\x10\0", 12), 0);
	p.s.wire[0] = '\0';
	p.s.ev[0] = '\0';
	assert_int_equal(feed(&p.s, SSH_MSG_CHANNEL_OPEN, b), 0);
	assert_string_equal(p.s.wire, "92 ");
	assert_string_equal(p.s.ev, "");
	assert_int_equal(p.s.out[p.s.nout - 1].len, 4 + 4 + 4 + 20 + 4);
	assert_memory_equal(p.s.out[p.s.nout - 1].p, "\0\0\0\x07\0\0\0\x03", 8);
	qssh_buf_free(b);
	/* That answer is for a channel the client never opened. */
	free(p.s.out[--p.s.nout].p);

	/* Deferred open, refused later; then one confirmed later. */
	p.s.open_verdict = CHAN_OPEN_DEFER;
	info.type = CHAN_TYPE_DIRECT_STREAMLOCAL;
	info.path = "/run/sock";
	assert_int_equal(chan_open(p.c.ctx, &info, NULL, &ch), 0);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_true(strstr(p.s.ev,
			"open:direct-streamlocal@openssh.com"
			"(/run/sock)") != NULL);
	assert_true(chan_flags(ch) & CHAN_F_OPENING);
	assert_int_equal(chan_open_refuse(p.s.last_opened_by_peer,
			     CHAN_OPEN_CONNECT_FAILED, "no such socket"),
	    0);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_string_equal(p.c.open_desc_rcvd, "no such socket");
	assert_int_equal(chan_open(p.c.ctx, &info, NULL, &ch), 0);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_int_equal(chan_set_local_window(
			     p.s.last_opened_by_peer, 16 << 20, 256 * 1024),
	    0);
	assert_int_equal(chan_open_confirm(p.s.last_opened_by_peer), 0);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_true(chan_flags(ch) & CHAN_F_OPEN);
	assert_int_equal(chan_remote_window(ch), 16 << 20);
	assert_int_equal(chan_remote_max_packet(ch), CHAN_PACKET_LIMIT);
	/* Close while the open is pending on our side. */
	p.s.open_verdict = CHAN_OPEN_ACCEPT;
	info.type = CHAN_TYPE_SESSION;
	assert_int_equal(chan_open(p.c.ctx, &info, NULL, &ch), 0);
	assert_int_equal(chan_close(ch), 0);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_int_equal(chan_ctx_num_channels(p.c.ctx), 1);
	assert_int_equal(chan_ctx_num_channels(p.s.ctx), 1);
	pair_cleanup(&p);
}

static void
test_channel_limits(void **state)
{
	struct chan_config sc = {
		.is_server = true, .max_sessions = 2, .max_channels = 3
	};
	struct chan_config cc = { .max_channels = 5 };
	struct chan_open_info sess = { .type = CHAN_TYPE_SESSION };
	struct chan_open_info tcp = { .type = CHAN_TYPE_DIRECT_TCPIP,
		.host = "h",
		.port = 1,
		.originator = "o",
		.originator_port = 2 };
	struct pair p;
	struct chan *ch;
	int i;

	(void)state;
	pair_init(&p, &cc, &sc);
	for (i = 0; i < 3; i++) {
		p.c.open_reason = 99;
		assert_int_equal(chan_open(p.c.ctx, &sess, NULL, &ch), 0);
		assert_int_equal(pump(&p.c, &p.s), 0);
		assert_int_equal(p.c.open_reason, i < 2 ? 0 : 1);
	}
	assert_int_equal(chan_open(p.c.ctx, &tcp, NULL, &ch), 0);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_int_equal(p.c.open_reason, 0);
	assert_int_equal(chan_open(p.c.ctx, &tcp, NULL, &ch), 0);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_int_equal(p.c.open_reason, CHAN_OPEN_RESOURCE_SHORTAGE);
	assert_int_equal(chan_ctx_num_channels(p.s.ctx), 3);
	assert_int_equal(chan_ctx_num_channels(p.c.ctx), 3);
	/* Our own limit. */
	assert_int_equal(chan_open(p.c.ctx, &tcp, NULL, &ch), 0);
	assert_int_equal(chan_open(p.c.ctx, &tcp, NULL, &ch), 0);
	assert_int_equal(chan_open(p.c.ctx, &tcp, NULL, &ch), QSSH_ERR_BUSY);
	assert_null(ch);
	pair_cleanup(&p);
}

static void
test_global_requests_order(void **state)
{
	struct chan_global_request g;
	struct qssh_view keys[3];
	struct pair p;
	uint8_t port[4] = { 0, 0, 0x9c, 0x40 };

	(void)state;
	pair_init(&p, NULL, NULL);
	memset(&g, 0, sizeof(g));
	g.type = CHAN_GLOBAL_TCPIP_FORWARD;
	g.address = "localhost";
	g.port = 0;
	assert_int_equal(chan_global_request(p.c.ctx, &g, true, (void *)1), 0);
	g.type = CHAN_GLOBAL_KEEPALIVE;
	assert_int_equal(chan_global_request(p.c.ctx, &g, true, (void *)2), 0);
	g.type = CHAN_GLOBAL_CANCEL_TCPIP_FORWARD;
	g.port = 8080;
	assert_int_equal(chan_global_request(p.c.ctx, &g, true, (void *)3), 0);
	g.type = CHAN_GLOBAL_NO_MORE_SESSIONS;
	assert_int_equal(chan_global_request(p.c.ctx, &g, false, NULL), 0);
	assert_int_equal(pump(&p.c, &p.s), 0);
	/* The deferred first answer holds the others back. */
	assert_string_equal(p.c.ev, "");
	assert_true(chan_ctx_no_more_sessions(p.s.ctx));
	assert_int_equal(chan_global_reply(p.s.ctx, 99, true, NULL, 0),
	    QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(chan_global_reply(p.s.ctx, 1, true, port, 4), 0);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_string_equal(p.c.ev,
	    "greply:1:ok:port=40000 greply:2:fail "
	    "greply:3:ok ");
	assert_string_equal(p.s.ev,
	    "global:tcpip-forward! global:keepalive@openssh.com! "
	    "global:cancel-tcpip-forward! "
	    "global:no-more-sessions@openssh.com ");

	/* hostkeys-prove: three blobs, three signatures back. */
	keys[0] = qssh_view_make("k1", 2);
	keys[1] = qssh_view_make("", 0);
	keys[2] = qssh_view_make("key3", 4);
	memset(&g, 0, sizeof(g));
	g.type = CHAN_GLOBAL_HOSTKEYS_PROVE;
	g.keys = keys;
	g.num_keys = 3;
	p.c.ev[0] = '\0';
	assert_int_equal(chan_global_request(p.c.ctx, &g, true, (void *)4), 0);
	g.type = CHAN_GLOBAL_STREAMLOCAL_FORWARD;
	g.path = "/tmp/s";
	assert_int_equal(chan_global_request(p.c.ctx, &g, true, (void *)5), 0);
	g.type = CHAN_GLOBAL_UNKNOWN;
	g.name = "foo@example.com";
	assert_int_equal(chan_global_request(p.c.ctx, &g, true, (void *)6), 0);
	p.s.global_verdict = CHAN_REPLY_SUCCESS;
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_string_equal(p.c.ev,
	    "greply:4:ok:len=21 greply:5:ok "
	    "greply:6:ok ");
	assert_int_equal(p.s.num_keys, 0); /* last one had none */

	/* A session after no-more-sessions is fatal. */
	{
		struct chan_open_info info = { .type = CHAN_TYPE_SESSION };

		assert_int_equal(chan_open(p.c.ctx, &info, NULL, NULL), 0);
		assert_int_equal(pump(&p.c, &p.s), QSSH_ERR_PROTOCOL);
	}
	pair_cleanup(&p);
}

static void
test_deferred_channel_requests(void **state)
{
	struct chan_request req;
	struct pair p;
	struct chan *ch, *sch;
	uint64_t t1;

	(void)state;
	pair_init(&p, NULL, NULL);
	ch = open_session(&p);
	sch = p.s.last_opened_by_peer;
	memset(&req, 0, sizeof(req));
	req.type = CHAN_REQ_AUTH_AGENT;
	p.s.req_verdict = CHAN_REPLY_DEFER;
	assert_int_equal(chan_send_request(ch, &req, true), 0);
	assert_int_equal(pump(&p.c, &p.s), 0);
	t1 = p.s.ticket;
	p.s.req_verdict = CHAN_REPLY_SUCCESS;
	req.type = CHAN_REQ_SHELL;
	assert_int_equal(chan_send_request(ch, &req, true), 0);
	req.type = CHAN_REQ_BREAK;
	req.break_ms = 500;
	assert_int_equal(chan_send_request(ch, &req, true), 0);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_string_equal(p.c.ev, "result:0 ");
	assert_int_equal(p.s.last_req.break_ms, 500);
	assert_int_equal(chan_request_reply(sch, t1, false), 0);
	assert_int_equal(
	    chan_request_reply(sch, t1, false), QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_string_equal(p.c.ev,
	    "result:0 reply:auth-agent-req@openssh.com"
	    ":fail reply:shell:ok reply:break:ok ");
	/* Server-initiated keepalive with no callback answer: failure. */
	p.c.req_verdict = CHAN_REPLY_FAILURE;
	memset(&req, 0, sizeof(req));
	req.type = CHAN_REQ_KEEPALIVE;
	assert_int_equal(chan_send_request(sch, &req, true), 0);
	req.type = CHAN_REQ_EOW;
	assert_int_equal(chan_send_request(sch, &req, false), 0);
	req.type = CHAN_REQ_SIGNAL;
	req.signal = "INT";
	assert_int_equal(chan_send_request(ch, &req, false), 0);
	req.type = CHAN_REQ_UNKNOWN;
	req.name = "custom@example.com";
	req.data = qssh_view_make("xyz", 3);
	assert_int_equal(chan_send_request(ch, &req, true), 0);
	p.s.req_verdict = CHAN_REPLY_FAILURE;
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_true(
	    strstr(p.s.ev, "req:signal req:custom@example.com! ") != NULL);
	assert_string_equal(p.s.sig, "INT");
	assert_true(
	    strstr(p.s.ev, "reply:keepalive@openssh.com:fail ") != NULL);
	assert_true(strstr(p.c.ev, "req:eow@openssh.com ") != NULL);
	assert_true(strstr(p.c.ev, "reply:custom@example.com") == NULL);
	assert_true(strstr(p.c.ev, "reply:unknown:fail") != NULL);
	pair_cleanup(&p);
}

static void
test_manual_consume(void **state)
{
	struct chan_config sc = { .is_server = true,
		.window = 1000,
		.max_packet = 500,
		.manual_consume = true };
	uint8_t buf[1000];
	struct pair p;
	struct chan *ch, *sch;
	size_t acc;

	(void)state;
	memset(buf, 'a', sizeof(buf));
	pair_init(&p, NULL, &sc);
	ch = open_session(&p);
	sch = p.s.last_opened_by_peer;
	assert_int_equal(chan_write(ch, buf, sizeof(buf), &acc), 0);
	assert_int_equal(acc, 1000);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_int_equal(chan_local_window(sch), 0);
	assert_int_equal(p.s.adjusts_sent, 0);
	assert_int_equal(chan_consume(sch, 1001), QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(chan_consume(sch, 400), 0);
	assert_int_equal(p.s.adjusts_sent, 0); /* under half */
	assert_int_equal(chan_consume(sch, 100), 0);
	assert_int_equal(p.s.adjusts_sent, 1);
	assert_int_equal(chan_local_window(sch), 500);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_int_equal(chan_remote_window(ch), 500);
	/* Growing our window sends the difference. */
	assert_int_equal(chan_set_local_window(sch, 5000, 0), 0);
	assert_int_equal(chan_local_window(sch), 4500);
	assert_int_equal(pump(&p.c, &p.s), 0);
	assert_int_equal(chan_remote_window(ch), 4500);
	assert_int_equal(
	    chan_set_local_window(sch, 100, 0), QSSH_ERR_INVALID_ARGUMENT);
	pair_cleanup(&p);
}

/* ---- malformed input on a server with one channel open ---- */

struct mal {
	struct pair p;
	struct chan *ch, *sch;
	uint32_t sid; /* server's id for the channel */
};

static void
mal_init(struct mal *m, const struct chan_config *sc)
{
	pair_init(&m->p, NULL, sc);
	m->ch = open_session(&m->p);
	m->sch = m->p.s.last_opened_by_peer;
	m->sid = chan_id(m->sch);
}

static struct qssh_buf *
u32s(int n, ...)
{
	struct qssh_buf *b = qssh_buf_new();
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_int_equal(qssh_buf_put_u32(b, va_arg(ap, uint32_t)), 0);
	va_end(ap);
	return b;
}

static void
expect_fatal(
    const struct chan_config *sc, uint8_t type, struct qssh_buf *b, int want)
{
	struct mal m;
	int r;

	mal_init(&m, sc);
	r = feed(&m.p.s, type, b);
	if (r != want)
		print_error("type %u: got %s want %s (%s)\n",
		    (unsigned int)type, qssh_errname(r), qssh_errname(want),
		    chan_ctx_error(m.p.s.ctx));
	assert_int_equal(r, want);
	if (want != QSSH_ERR_NOT_SUPPORTED && want != 0) {
		/* Sticky. */
		assert_int_equal(feed(&m.p.s, type, b), want);
		assert_true(chan_ctx_error(m.p.s.ctx)[0] != '\0');
		assert_int_equal(chan_write(m.sch, "x", 1, NULL), want);
	}
	qssh_buf_free(b);
	pair_cleanup(&m.p);
}

static void
test_malformed(void **state)
{
	struct chan_config sc = {
		.is_server = true, .window = 1000, .max_packet = 100
	};
	struct qssh_buf *b;
	uint32_t id = 0; /* the first channel gets id 0 */
	uint8_t big[200];

	(void)state;
	memset(big, 'z', sizeof(big));
	/* Truncated open. */
	b = qssh_buf_new();
	assert_int_equal(qssh_buf_put_cstring(b, "session"), 0);
	assert_int_equal(qssh_buf_put_u32(b, 1), 0);
	expect_fatal(&sc, SSH_MSG_CHANNEL_OPEN, b, QSSH_ERR_MESSAGE_INCOMPLETE);
	/* Trailing bytes after a session open. */
	b = qssh_buf_new();
	assert_int_equal(qssh_buf_put_cstring(b, "session"), 0);
	assert_int_equal(qssh_buf_put(b, "\0\0\0\1\0\0\1\0\0\0\1\0!", 13), 0);
	expect_fatal(&sc, SSH_MSG_CHANNEL_OPEN, b, QSSH_ERR_INVALID_FORMAT);
	/* NUL in a direct-tcpip host. */
	b = qssh_buf_new();
	assert_int_equal(qssh_buf_put_cstring(b, "direct-tcpip"), 0);
	assert_int_equal(qssh_buf_put(b, "\0\0\0\1\0\0\1\0\0\0\1\0", 12), 0);
	assert_int_equal(qssh_buf_put_string(b, "a\0b", 3), 0);
	assert_int_equal(qssh_buf_put(b, "\0\0\0\1", 4), 0);
	assert_int_equal(qssh_buf_put_cstring(b, "o"), 0);
	assert_int_equal(qssh_buf_put_u32(b, 1), 0);
	expect_fatal(&sc, SSH_MSG_CHANNEL_OPEN, b, QSSH_ERR_INVALID_FORMAT);
	/* Unknown channel id. */
	b = u32s(1, 77);
	assert_int_equal(qssh_buf_put_cstring(b, "hi"), 0);
	expect_fatal(&sc, SSH_MSG_CHANNEL_DATA, b, QSSH_ERR_NOT_FOUND);
	/* Truncated data. */
	b = u32s(2, id, 10);
	expect_fatal(&sc, SSH_MSG_CHANNEL_DATA, b, QSSH_ERR_MESSAGE_INCOMPLETE);
	/* Data larger than the maximum packet. */
	b = u32s(1, id);
	assert_int_equal(qssh_buf_put_string(b, big, 101), 0);
	expect_fatal(&sc, SSH_MSG_CHANNEL_DATA, b, QSSH_ERR_PACKET_TOO_LARGE);
	/* Extended data too. */
	b = u32s(2, id, 1);
	assert_int_equal(qssh_buf_put_string(b, big, 101), 0);
	expect_fatal(
	    &sc, SSH_MSG_CHANNEL_EXTENDED_DATA, b, QSSH_ERR_PACKET_TOO_LARGE);
	/* Window overflow. */
	b = u32s(2, id, 0xffffffffU);
	expect_fatal(
	    &sc, SSH_MSG_CHANNEL_WINDOW_ADJUST, b, QSSH_ERR_NUMBER_TOO_LARGE);
	/* Trailing bytes after EOF. */
	b = u32s(2, id, 0);
	expect_fatal(&sc, SSH_MSG_CHANNEL_EOF, b, QSSH_ERR_INVALID_FORMAT);
	/* Reply without a request. */
	b = u32s(1, id);
	expect_fatal(
	    &sc, SSH_MSG_CHANNEL_SUCCESS, b, QSSH_ERR_UNEXPECTED_MESSAGE);
	b = qssh_buf_new();
	expect_fatal(
	    &sc, SSH_MSG_REQUEST_FAILURE, b, QSSH_ERR_UNEXPECTED_MESSAGE);
	/* Confirmation of a channel that is not opening. */
	b = u32s(4, id, 5, 100, 100);
	expect_fatal(&sc, SSH_MSG_CHANNEL_OPEN_CONFIRMATION, b,
	    QSSH_ERR_UNEXPECTED_MESSAGE);
	/* Exec with a NUL in the command. */
	b = raw_request(id, "exec", true);
	assert_int_equal(qssh_buf_put_string(b, "ls\0-l", 5), 0);
	expect_fatal(&sc, SSH_MSG_CHANNEL_REQUEST, b, QSSH_ERR_INVALID_FORMAT);
	/* exit-signal cut short. */
	b = raw_request(id, "exit-signal", false);
	assert_int_equal(qssh_buf_put_cstring(b, "KILL"), 0);
	expect_fatal(
	    &sc, SSH_MSG_CHANNEL_REQUEST, b, QSSH_ERR_MESSAGE_INCOMPLETE);
	/* Huge string length. */
	b = u32s(2, id, 0x7fffffff);
	expect_fatal(&sc, SSH_MSG_CHANNEL_DATA, b, QSSH_ERR_STRING_TOO_LARGE);
	/* Global request with junk after the port. */
	b = qssh_buf_new();
	assert_int_equal(qssh_buf_put_cstring(b, "tcpip-forward"), 0);
	assert_int_equal(qssh_buf_put(b, "\1\0\0\0\0\0\0\0\x50!", 10), 0);
	expect_fatal(&sc, SSH_MSG_GLOBAL_REQUEST, b, QSSH_ERR_INVALID_FORMAT);
	/* Message numbers 83..89 are not ours: not sticky. */
	b = qssh_buf_new();
	expect_fatal(&sc, 85, b, QSSH_ERR_NOT_SUPPORTED);
	/* An empty payload. */
	b = qssh_buf_new();
	expect_fatal(
	    &sc, SSH_MSG_CHANNEL_CLOSE, b, QSSH_ERR_MESSAGE_INCOMPLETE);
	/* Unknown request types are fine: failure reply. */
	b = raw_request(id, "nonsense", true);
	expect_fatal(&sc, SSH_MSG_CHANNEL_REQUEST, b, 0);
}

static void
test_window_and_state_errors(void **state)
{
	struct chan_config sc = {
		.is_server = true, .window = 1000, .max_packet = 600
	};
	struct mal m;
	struct qssh_buf *b;
	uint8_t big[600];
	size_t i;

	(void)state;
	memset(big, 'q', sizeof(big));
	/* Data beyond the window: 600 fits, 600 more does not. */
	{
		struct chan_config c2 = sc;

		c2.manual_consume = true;
		mal_init(&m, &c2);
	}
	b = u32s(1, m.sid);
	assert_int_equal(qssh_buf_put_string(b, big, 600), 0);
	assert_int_equal(feed(&m.p.s, SSH_MSG_CHANNEL_DATA, b), 0);
	assert_int_equal(
	    feed(&m.p.s, SSH_MSG_CHANNEL_DATA, b), QSSH_ERR_PROTOCOL);
	assert_true(strstr(chan_ctx_error(m.p.s.ctx), "too much data") != NULL);
	qssh_buf_free(b);
	pair_cleanup(&m.p);

	/* Data after EOF. */
	mal_init(&m, &sc);
	b = u32s(1, m.sid);
	assert_int_equal(feed(&m.p.s, SSH_MSG_CHANNEL_EOF, b), 0);
	assert_int_equal(
	    feed(&m.p.s, SSH_MSG_CHANNEL_EOF, b), QSSH_ERR_UNEXPECTED_MESSAGE);
	qssh_buf_free(b);
	pair_cleanup(&m.p);
	mal_init(&m, &sc);
	b = u32s(1, m.sid);
	assert_int_equal(feed(&m.p.s, SSH_MSG_CHANNEL_EOF, b), 0);
	assert_int_equal(qssh_buf_put_cstring(b, "late"), 0);
	assert_int_equal(
	    feed(&m.p.s, SSH_MSG_CHANNEL_DATA, b), QSSH_ERR_UNEXPECTED_MESSAGE);
	qssh_buf_free(b);
	pair_cleanup(&m.p);

	/* After our CLOSE, crossing data and requests are ignored. */
	mal_init(&m, &sc);
	assert_int_equal(chan_close(m.sch), 0);
	b = u32s(1, m.sid);
	assert_int_equal(qssh_buf_put_string(b, big, 10), 0);
	assert_int_equal(feed(&m.p.s, SSH_MSG_CHANNEL_DATA, b), 0);
	qssh_buf_free(b);
	b = raw_request(m.sid, "shell", true);
	m.p.s.wire[0] = '\0';
	assert_int_equal(feed(&m.p.s, SSH_MSG_CHANNEL_REQUEST, b), 0);
	assert_string_equal(m.p.s.wire, "");
	qssh_buf_free(b);
	/* Their CLOSE frees it; anything later is for an unknown id. */
	b = u32s(1, m.sid);
	assert_int_equal(feed(&m.p.s, SSH_MSG_CHANNEL_CLOSE, b), 0);
	assert_int_equal(chan_ctx_num_channels(m.p.s.ctx), 0);
	assert_int_equal(
	    feed(&m.p.s, SSH_MSG_CHANNEL_CLOSE, b), QSSH_ERR_NOT_FOUND);
	qssh_buf_free(b);
	pair_cleanup(&m.p);

	/* Extended data with an unknown type is counted and dropped. */
	mal_init(&m, &sc);
	b = u32s(2, m.sid, 7);
	assert_int_equal(qssh_buf_put_string(b, big, 300), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(
		    feed(&m.p.s, SSH_MSG_CHANNEL_EXTENDED_DATA, b), 0);
	assert_int_equal(qssh_buf_len(m.p.s.rx[1]), 0);
	assert_int_equal(chan_local_window(m.sch), 700);
	qssh_buf_free(b);
	/* A send failure is fatal and sticky. */
	m.p.s.fail_send = true;
	assert_int_equal(chan_write(m.sch, "x", 1, NULL), QSSH_ERR_SYSTEM);
	assert_int_equal(chan_disconnect_reason(QSSH_ERR_SYSTEM),
	    SSH_DISCONNECT_BY_APPLICATION);
	b = u32s(1, m.sid);
	assert_int_equal(feed(&m.p.s, SSH_MSG_CHANNEL_EOF, b), QSSH_ERR_SYSTEM);
	qssh_buf_free(b);
	pair_cleanup(&m.p);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(chan_type_name(CHAN_TYPE_X11), "x11");
	assert_string_equal(chan_req_name(CHAN_REQ_BREAK), "break");
	assert_string_equal(
	    chan_global_name(CHAN_GLOBAL_HOSTKEYS), "hostkeys-00@openssh.com");
	assert_string_equal(chan_type_name((enum chan_type)99), "unknown");
	chan_ctx_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_confirm_and_requests),
		cmocka_unit_test(test_pty_modes_parsing),
		cmocka_unit_test(test_bulk_small_window),
		cmocka_unit_test(test_write_queue_and_order),
		cmocka_unit_test(test_eof_before_exit_and_signal),
		cmocka_unit_test(test_client_close_first),
		cmocka_unit_test(test_open_failures),
		cmocka_unit_test(test_channel_limits),
		cmocka_unit_test(test_global_requests_order),
		cmocka_unit_test(test_deferred_channel_requests),
		cmocka_unit_test(test_manual_consume),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_window_and_state_errors),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
