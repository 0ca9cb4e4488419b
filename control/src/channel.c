/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SSH connection protocol core (RFC 4254): channel table, flow control,
 * request/reply ordering.  No I/O: messages go out through the caller's
 * send function.  See control/channel.h for the contract.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "control/channel.h"
#include "dataplane/transport.h"

/* Strings a parsed request may own. */
#define STRSTORE_MAX 8

enum oq_kind {
	OQ_DATA = 0,
	OQ_MSG,
};

/* One entry of a channel's ordered output: data bytes or a message. */
struct oq_item {
	struct oq_item *next;
	enum oq_kind kind;
	uint32_t ext; /* data: 0 or the extended data type */
	uint8_t msgtype; /* message */
	int reqtype; /* message: enum chan_req_type of a want-reply */
	bool want_reply;
	struct qssh_buf *buf; /* data bytes, or the message payload */
};

enum slot_state {
	SLOT_PENDING = 0,
	SLOT_SUCCESS,
	SLOT_FAILURE,
};

/* A want-reply request received; answers leave in this order. */
struct reply_slot {
	enum slot_state state;
	struct qssh_buf *data; /* REQUEST_SUCCESS data (global only) */
};

struct reply_queue {
	struct reply_slot *slots;
	size_t n, cap;
	uint64_t head_ticket; /* ticket of slots[0] */
};

/* A want-reply request we sent; the answers come back in this order. */
struct expect_entry {
	int reqtype;
	void *cookie;
};

struct expect_queue {
	struct expect_entry *e;
	size_t head, n, cap;
};

struct chan {
	struct chan_ctx *ctx;
	uint32_t id, rid;
	enum chan_type type;
	unsigned int flags;
	bool peer_opened;
	bool dead;
	bool counted_session;
	void *user;
	/* What the peer may still send, and what it may send in a packet. */
	uint32_t lwin, lwin_max, lmaxpkt;
	/* Delivered and consumed but not yet credited / not yet consumed. */
	uint64_t lconsumed, lunconsumed;
	/* What we may still send. */
	uint32_t rwin, rmaxpkt;
	struct oq_item *oq_head, *oq_tail;
	size_t oq_bytes; /* data bytes in the queue */
	struct reply_queue replies;
	struct expect_queue expect;
};

struct chan_ctx {
	chan_send_fn *send;
	struct chan_callbacks cb;
	void *user;
	struct chan_config cfg;
	struct chan **tab;
	uint32_t tabsize;
	size_t nchan, nsessions, ndead;
	int depth;
	int fatal;
	bool no_more_sessions;
	char err[192];
	struct qssh_buf *scratch;
	struct reply_queue greplies;
	struct expect_queue gexpect;
};

struct strstore {
	char *s[STRSTORE_MAX];
	size_t n;
};

static const char *const type_names[] = {
	[CHAN_TYPE_SESSION] = "session",
	[CHAN_TYPE_DIRECT_TCPIP] = "direct-tcpip",
	[CHAN_TYPE_FORWARDED_TCPIP] = "forwarded-tcpip",
	[CHAN_TYPE_X11] = "x11",
	[CHAN_TYPE_AUTH_AGENT] = "auth-agent@openssh.com",
	[CHAN_TYPE_DIRECT_STREAMLOCAL] = "direct-streamlocal@openssh.com",
	[CHAN_TYPE_FORWARDED_STREAMLOCAL] = "forwarded-streamlocal@openssh.com",
	[CHAN_TYPE_UNKNOWN] = "unknown",
};

static const char *const req_names[] = {
	[CHAN_REQ_PTY] = "pty-req",
	[CHAN_REQ_X11] = "x11-req",
	[CHAN_REQ_ENV] = "env",
	[CHAN_REQ_SHELL] = "shell",
	[CHAN_REQ_EXEC] = "exec",
	[CHAN_REQ_SUBSYSTEM] = "subsystem",
	[CHAN_REQ_WINDOW_CHANGE] = "window-change",
	[CHAN_REQ_XON_XOFF] = "xon-xoff",
	[CHAN_REQ_SIGNAL] = "signal",
	[CHAN_REQ_EXIT_STATUS] = "exit-status",
	[CHAN_REQ_EXIT_SIGNAL] = "exit-signal",
	[CHAN_REQ_BREAK] = "break",
	[CHAN_REQ_KEEPALIVE] = "keepalive@openssh.com",
	[CHAN_REQ_EOW] = "eow@openssh.com",
	[CHAN_REQ_AUTH_AGENT] = "auth-agent-req@openssh.com",
	[CHAN_REQ_UNKNOWN] = "unknown",
};

static const char *const global_names[] = {
	[CHAN_GLOBAL_TCPIP_FORWARD] = "tcpip-forward",
	[CHAN_GLOBAL_CANCEL_TCPIP_FORWARD] = "cancel-tcpip-forward",
	[CHAN_GLOBAL_KEEPALIVE] = "keepalive@openssh.com",
	[CHAN_GLOBAL_NO_MORE_SESSIONS] = "no-more-sessions@openssh.com",
	[CHAN_GLOBAL_HOSTKEYS] = "hostkeys-00@openssh.com",
	[CHAN_GLOBAL_HOSTKEYS_PROVE] = "hostkeys-prove-00@openssh.com",
	[CHAN_GLOBAL_STREAMLOCAL_FORWARD] = "streamlocal-forward@openssh.com",
	[CHAN_GLOBAL_CANCEL_STREAMLOCAL_FORWARD] =
	    "cancel-streamlocal-forward@openssh.com",
	[CHAN_GLOBAL_UNKNOWN] = "unknown",
};

static const char *const open_fail_desc[] = {
	"open failed",
	"administratively prohibited",
	"connect failed",
	"unknown channel type",
	"resource shortage",
};

const char *
chan_type_name(enum chan_type type)
{
	if ((size_t)type >= QSSH_ARRAY_LEN(type_names))
		return "unknown";
	return type_names[type];
}

const char *
chan_req_name(enum chan_req_type type)
{
	if ((size_t)type >= QSSH_ARRAY_LEN(req_names))
		return "unknown";
	return req_names[type];
}

const char *
chan_global_name(enum chan_global_type type)
{
	if ((size_t)type >= QSSH_ARRAY_LEN(global_names))
		return "unknown";
	return global_names[type];
}

/* ---- small helpers ---- */

static int ctx_fail(struct chan_ctx *ctx, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ctx_fail(struct chan_ctx *ctx, int r, const char *fmt, ...)
{
	va_list ap;

	if (ctx->fatal != 0)
		return ctx->fatal;
	ctx->fatal = r;
	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
	return r;
}

/* A printable copy of peer text for logs and callbacks. */
static void
sanitize_copy(char *dst, size_t dstlen, struct qssh_view v)
{
	size_t i, n = v.len;

	if (dstlen == 0)
		return;
	if (n > dstlen - 1)
		n = dstlen - 1;
	for (i = 0; i < n; i++) {
		uint8_t c = v.p[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[n] = '\0';
}

static char *
sanitize_dup(struct qssh_view v)
{
	char *s;

	if (v.len > QSSH_STRING_MAX || (s = malloc(v.len + 1)) == NULL)
		return NULL;
	sanitize_copy(s, v.len + 1, v);
	return s;
}

static int
get_cstr(struct qssh_view *v, struct strstore *st, const char **out)
{
	char *s = NULL;
	int r;

	if (st->n >= STRSTORE_MAX)
		return QSSH_ERR_INTERNAL;
	if ((r = qssh_view_get_cstring(v, &s)) != 0)
		return r;
	st->s[st->n++] = s;
	*out = s;
	return 0;
}

static void
strstore_free(struct strstore *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		free(st->s[i]);
	st->n = 0;
}

static int
expect_end(const struct qssh_view *v)
{
	return v->len == 0 ? 0 : QSSH_ERR_INVALID_FORMAT;
}

static uint32_t
min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* ---- reply and expect queues ---- */

static void
replyq_free(struct reply_queue *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		qssh_buf_free(q->slots[i].data);
	free(q->slots);
	memset(q, 0, sizeof(*q));
	q->head_ticket = 1;
}

static int
replyq_push(struct reply_queue *q, uint64_t *ticket)
{
	struct reply_slot *ns;
	size_t ncap;

	if (q->n >= CHAN_PENDING_REPLIES_MAX)
		return QSSH_ERR_NO_BUFFER_SPACE;
	if (q->n == q->cap) {
		ncap = q->cap == 0 ? 8 : q->cap * 2;
		if ((ns = realloc(q->slots, ncap * sizeof(*ns))) == NULL)
			return QSSH_ERR_ALLOC;
		q->slots = ns;
		q->cap = ncap;
	}
	q->slots[q->n].state = SLOT_PENDING;
	q->slots[q->n].data = NULL;
	*ticket = q->head_ticket + q->n;
	q->n++;
	return 0;
}

static struct reply_slot *
replyq_find(struct reply_queue *q, uint64_t ticket)
{
	uint64_t idx;

	if (ticket < q->head_ticket)
		return NULL;
	idx = ticket - q->head_ticket;
	if (idx >= q->n || q->slots[idx].state != SLOT_PENDING)
		return NULL;
	return &q->slots[idx];
}

static void
replyq_pop(struct reply_queue *q)
{
	qssh_buf_free(q->slots[0].data);
	memmove(&q->slots[0], &q->slots[1], (q->n - 1) * sizeof(q->slots[0]));
	q->n--;
	q->head_ticket++;
}

static void
expectq_free(struct expect_queue *q)
{
	free(q->e);
	memset(q, 0, sizeof(*q));
}

static int
expectq_push(struct expect_queue *q, int reqtype, void *cookie)
{
	struct expect_entry *ne;
	size_t ncap;

	if (q->head > 0 && q->head == q->n) {
		q->head = 0;
		q->n = 0;
	}
	if (q->n == q->cap) {
		if (q->head > 0) {
			memmove(q->e, q->e + q->head,
			    (q->n - q->head) * sizeof(*q->e));
			q->n -= q->head;
			q->head = 0;
		} else {
			ncap = q->cap == 0 ? 8 : q->cap * 2;
			if ((ne = realloc(q->e, ncap * sizeof(*ne))) == NULL)
				return QSSH_ERR_ALLOC;
			q->e = ne;
			q->cap = ncap;
		}
	}
	q->e[q->n].reqtype = reqtype;
	q->e[q->n].cookie = cookie;
	q->n++;
	return 0;
}

static bool
expectq_pop(struct expect_queue *q, struct expect_entry *out)
{
	if (q->head >= q->n)
		return false;
	*out = q->e[q->head++];
	return true;
}

/* ---- sending ---- */

static int
ctx_send_buf(struct chan_ctx *ctx, uint8_t type, const struct qssh_buf *b)
{
	int r;

	if (ctx->fatal != 0)
		return ctx->fatal;
	r = ctx->send(ctx->user, type, qssh_buf_ptr(b), qssh_buf_len(b));
	if (r != 0)
		return ctx_fail(ctx, r, "send of message %u failed: %s",
		    (unsigned int)type, qssh_strerror(r));
	return 0;
}

/* A message that is just a uint32 (recipient) and maybe another. */
static int
send_u32s(
    struct chan_ctx *ctx, uint8_t type, uint32_t a, bool has_b, uint32_t b)
{
	int r;

	qssh_buf_reset(ctx->scratch);
	if ((r = qssh_buf_put_u32(ctx->scratch, a)) != 0 ||
	    (has_b && (r = qssh_buf_put_u32(ctx->scratch, b)) != 0))
		return r;
	return ctx_send_buf(ctx, type, ctx->scratch);
}

static int
send_data(struct chan *ch, uint32_t ext, const uint8_t *p, size_t n)
{
	struct chan_ctx *ctx = ch->ctx;
	uint8_t hdr[12];
	size_t hlen = 0;
	int r;

	if (ctx->cfg.send2 != NULL) {
		qssh_put_u32be(hdr, ch->rid);
		hlen = 4;
		if (ext != 0) {
			qssh_put_u32be(hdr + hlen, ext);
			hlen += 4;
		}
		qssh_put_u32be(hdr + hlen, (uint32_t)n);
		hlen += 4;
		if (ctx->fatal != 0)
			return ctx->fatal;
		r = ctx->cfg.send2(ctx->user,
		    ext != 0 ? SSH_MSG_CHANNEL_EXTENDED_DATA
			     : SSH_MSG_CHANNEL_DATA,
		    hdr, hlen, p, n);
		if (r != 0)
			return ctx_fail(ctx, r, "send of data failed: %s",
			    qssh_strerror(r));
		ch->rwin -= (uint32_t)n;
		return 0;
	}
	qssh_buf_reset(ctx->scratch);
	if ((r = qssh_buf_put_u32(ctx->scratch, ch->rid)) != 0 ||
	    (ext != 0 && (r = qssh_buf_put_u32(ctx->scratch, ext)) != 0) ||
	    (r = qssh_buf_put_string(ctx->scratch, p, n)) != 0)
		return r;
	if ((r = ctx_send_buf(ctx,
		 ext != 0 ? SSH_MSG_CHANNEL_EXTENDED_DATA
			  : SSH_MSG_CHANNEL_DATA,
		 ctx->scratch)) != 0)
		return r;
	ch->rwin -= (uint32_t)n;
	return 0;
}

/* Data bytes we may send in one packet now. */
static size_t
chunk_now(const struct chan *ch, size_t want)
{
	uint32_t lim =
	    min_u32(min_u32(ch->rwin, ch->rmaxpkt), CHAN_PACKET_LIMIT);

	return want < lim ? want : lim;
}

static void
oq_item_free(struct oq_item *it)
{
	if (it == NULL)
		return;
	qssh_buf_free(it->buf);
	free(it);
}

static void
oq_clear(struct chan *ch)
{
	struct oq_item *it, *next;

	for (it = ch->oq_head; it != NULL; it = next) {
		next = it->next;
		oq_item_free(it);
	}
	ch->oq_head = ch->oq_tail = NULL;
	ch->oq_bytes = 0;
}

static void
oq_append(struct chan *ch, struct oq_item *it)
{
	it->next = NULL;
	if (ch->oq_tail != NULL)
		ch->oq_tail->next = it;
	else
		ch->oq_head = it;
	ch->oq_tail = it;
}

static void
mark_dead(struct chan *ch)
{
	if (ch->dead)
		return;
	ch->dead = true;
	ch->ctx->ndead++;
}

static void
check_dead(struct chan *ch)
{
	if ((ch->flags & CHAN_F_CLOSE_SENT) && (ch->flags & CHAN_F_CLOSE_RCVD))
		mark_dead(ch);
}

/* Send what the queue and the remote window allow, in order. */
static int
chan_flush(struct chan *ch)
{
	struct chan_ctx *ctx = ch->ctx;
	struct oq_item *it;
	size_t n;
	int r;

	if (!(ch->flags & CHAN_F_OPEN))
		return 0;
	while ((it = ch->oq_head) != NULL) {
		if (ch->flags & CHAN_F_CLOSE_SENT) {
			oq_clear(ch);
			break;
		}
		if (it->kind == OQ_DATA) {
			while (qssh_buf_len(it->buf) > 0) {
				if ((n = chunk_now(
					 ch, qssh_buf_len(it->buf))) == 0)
					return 0;
				if ((r = send_data(ch, it->ext,
					 qssh_buf_ptr(it->buf), n)) != 0)
					return r;
				(void)qssh_buf_consume(it->buf, n);
				ch->oq_bytes -= n;
			}
		} else {
			if ((r = ctx_send_buf(ctx, it->msgtype, it->buf)) != 0)
				return r;
			if (it->msgtype == SSH_MSG_CHANNEL_EOF)
				ch->flags |= CHAN_F_EOF_SENT;
			else if (it->msgtype == SSH_MSG_CHANNEL_CLOSE) {
				ch->flags |= CHAN_F_CLOSE_SENT;
				check_dead(ch);
			}
		}
		ch->oq_head = it->next;
		if (ch->oq_head == NULL)
			ch->oq_tail = NULL;
		oq_item_free(it);
	}
	return 0;
}

static int
oq_push_msg(struct chan *ch, uint8_t type, struct qssh_buf **payload)
{
	struct oq_item *it;

	if ((it = calloc(1, sizeof(*it))) == NULL)
		return QSSH_ERR_ALLOC;
	it->kind = OQ_MSG;
	it->msgtype = type;
	it->buf = *payload;
	*payload = NULL;
	oq_append(ch, it);
	return 0;
}

static int
oq_push_simple(struct chan *ch, uint8_t type)
{
	struct qssh_buf *b = NULL;
	int r;

	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put_u32(b, ch->rid)) != 0 ||
	    (r = oq_push_msg(ch, type, &b)) != 0) {
		qssh_buf_free(b);
		return r;
	}
	return 0;
}

/* Send the answers at the head of the queue that are decided. */
static int
flush_chan_replies(struct chan *ch)
{
	struct reply_queue *q = &ch->replies;
	int r;

	while (q->n > 0 && q->slots[0].state != SLOT_PENDING) {
		if (!(ch->flags & CHAN_F_CLOSE_SENT)) {
			r = send_u32s(ch->ctx,
			    q->slots[0].state == SLOT_SUCCESS
				? SSH_MSG_CHANNEL_SUCCESS
				: SSH_MSG_CHANNEL_FAILURE,
			    ch->rid, false, 0);
			if (r != 0)
				return r;
		}
		replyq_pop(q);
	}
	return 0;
}

static int
flush_global_replies(struct chan_ctx *ctx)
{
	struct reply_queue *q = &ctx->greplies;
	struct reply_slot *s;
	int r;

	while (q->n > 0 && q->slots[0].state != SLOT_PENDING) {
		s = &q->slots[0];
		qssh_buf_reset(ctx->scratch);
		/* REQUEST_SUCCESS data is raw request-specific bytes. */
		if (s->state == SLOT_SUCCESS && s->data != NULL &&
		    (r = qssh_buf_put(ctx->scratch, qssh_buf_ptr(s->data),
			 qssh_buf_len(s->data))) != 0)
			return r;
		if ((r = ctx_send_buf(ctx,
			 s->state == SLOT_SUCCESS ? SSH_MSG_REQUEST_SUCCESS
						  : SSH_MSG_REQUEST_FAILURE,
			 ctx->scratch)) != 0)
			return r;
		replyq_pop(q);
	}
	return 0;
}

/* ---- context and table ---- */

struct chan_ctx *
chan_ctx_new(chan_send_fn *send, const struct chan_callbacks *cb, void *user,
    const struct chan_config *cfg)
{
	struct chan_ctx *ctx = NULL;

	if (send == NULL)
		return NULL;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	if ((ctx->scratch = qssh_buf_new()) == NULL) {
		free(ctx);
		return NULL;
	}
	ctx->send = send;
	if (cb != NULL)
		ctx->cb = *cb;
	ctx->user = user;
	if (cfg != NULL)
		ctx->cfg = *cfg;
	if (ctx->cfg.max_channels == 0)
		ctx->cfg.max_channels = CHAN_MAX_CHANNELS_DEFAULT;
	if (ctx->cfg.max_sessions == 0)
		ctx->cfg.max_sessions = CHAN_MAX_SESSIONS_DEFAULT;
	if (ctx->cfg.window == 0)
		ctx->cfg.window = CHAN_WINDOW_DEFAULT;
	if (ctx->cfg.max_packet == 0)
		ctx->cfg.max_packet = CHAN_PACKET_DEFAULT;
	if (ctx->cfg.max_packet > CHAN_PACKET_LIMIT)
		ctx->cfg.max_packet = CHAN_PACKET_LIMIT;
	if (ctx->cfg.adjust_divisor == 0)
		ctx->cfg.adjust_divisor = 2;
	ctx->greplies.head_ticket = 1;
	return ctx;
}

static void
chan_destroy(struct chan *ch)
{
	struct chan_ctx *ctx = ch->ctx;

	if (ctx->cb.freed != NULL)
		ctx->cb.freed(ctx->user, ch);
	if (ch->id < ctx->tabsize && ctx->tab[ch->id] == ch)
		ctx->tab[ch->id] = NULL;
	ctx->nchan--;
	if (ch->counted_session)
		ctx->nsessions--;
	oq_clear(ch);
	replyq_free(&ch->replies);
	expectq_free(&ch->expect);
	free(ch);
}

/* Free the channels that are done, unless a caller up the stack holds one. */
static void
ctx_gc(struct chan_ctx *ctx)
{
	uint32_t i;

	if (ctx->depth > 0 || ctx->ndead == 0)
		return;
	ctx->depth++;
	for (i = 0; i < ctx->tabsize && ctx->ndead > 0; i++) {
		if (ctx->tab[i] != NULL && ctx->tab[i]->dead) {
			ctx->ndead--;
			chan_destroy(ctx->tab[i]);
		}
	}
	ctx->depth--;
}

void
chan_ctx_free(struct chan_ctx *ctx)
{
	uint32_t i;

	if (ctx == NULL)
		return;
	ctx->depth++;
	for (i = 0; i < ctx->tabsize; i++) {
		if (ctx->tab[i] != NULL)
			chan_destroy(ctx->tab[i]);
	}
	free(ctx->tab);
	replyq_free(&ctx->greplies);
	expectq_free(&ctx->gexpect);
	qssh_buf_free(ctx->scratch);
	free(ctx);
}

const char *
chan_ctx_error(const struct chan_ctx *ctx)
{
	return ctx->err;
}

int
chan_disconnect_reason(int err)
{
	switch (err) {
	case QSSH_ERR_ALLOC:
	case QSSH_ERR_INTERNAL:
	case QSSH_ERR_SYSTEM:
		return SSH_DISCONNECT_BY_APPLICATION;
	default:
		return SSH_DISCONNECT_PROTOCOL_ERROR;
	}
}

size_t
chan_ctx_num_channels(const struct chan_ctx *ctx)
{
	return ctx->nchan;
}

bool
chan_ctx_no_more_sessions(const struct chan_ctx *ctx)
{
	return ctx->no_more_sessions;
}

struct chan *
chan_ctx_lookup(struct chan_ctx *ctx, uint32_t local_id)
{
	struct chan *ch;

	if (local_id >= ctx->tabsize || (ch = ctx->tab[local_id]) == NULL ||
	    ch->dead)
		return NULL;
	return ch;
}

/* A new channel with the lowest free id; QSSH_ERR_BUSY at the limit. */
static int
chan_alloc(struct chan_ctx *ctx, enum chan_type type, struct chan **out)
{
	struct chan *ch, **nt;
	uint32_t i, nsize;

	*out = NULL;
	if (ctx->nchan >= ctx->cfg.max_channels)
		return QSSH_ERR_BUSY;
	for (i = 0; i < ctx->tabsize; i++) {
		if (ctx->tab[i] == NULL)
			break;
	}
	if (i == ctx->tabsize) {
		nsize = ctx->tabsize == 0 ? 16 : ctx->tabsize * 2;
		if (nsize > ctx->cfg.max_channels)
			nsize = ctx->cfg.max_channels;
		if (nsize <= ctx->tabsize)
			return QSSH_ERR_BUSY;
		if ((nt = realloc(ctx->tab, nsize * sizeof(*nt))) == NULL)
			return QSSH_ERR_ALLOC;
		memset(
		    nt + ctx->tabsize, 0, (nsize - ctx->tabsize) * sizeof(*nt));
		ctx->tab = nt;
		ctx->tabsize = nsize;
	}
	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return QSSH_ERR_ALLOC;
	ch->ctx = ctx;
	ch->id = i;
	ch->type = type;
	ch->flags = CHAN_F_OPENING;
	ch->lwin = ch->lwin_max = ctx->cfg.window;
	ch->lmaxpkt = ctx->cfg.max_packet;
	ch->replies.head_ticket = 1;
	ctx->tab[i] = ch;
	ctx->nchan++;
	*out = ch;
	return 0;
}

/* ---- accessors ---- */

uint32_t
chan_id(const struct chan *ch)
{
	return ch->id;
}

uint32_t
chan_remote_id(const struct chan *ch)
{
	return ch->rid;
}

enum chan_type
chan_get_type(const struct chan *ch)
{
	return ch->type;
}

void *
chan_user(const struct chan *ch)
{
	return ch->user;
}

void
chan_set_user(struct chan *ch, void *user)
{
	ch->user = user;
}

struct chan_ctx *
chan_get_ctx(const struct chan *ch)
{
	return ch->ctx;
}

unsigned int
chan_flags(const struct chan *ch)
{
	return ch->flags;
}

uint32_t
chan_remote_window(const struct chan *ch)
{
	return ch->rwin;
}

uint32_t
chan_remote_max_packet(const struct chan *ch)
{
	return ch->rmaxpkt;
}

uint32_t
chan_local_window(const struct chan *ch)
{
	return ch->lwin;
}

uint32_t
chan_local_max_packet(const struct chan *ch)
{
	return ch->lmaxpkt;
}

size_t
chan_queued(const struct chan *ch)
{
	return ch->oq_bytes;
}

static bool
can_write(const struct chan *ch)
{
	return (ch->flags & CHAN_F_OPEN) &&
	    !(ch->flags &
		(CHAN_F_EOF_QUEUED | CHAN_F_CLOSE_QUEUED | CHAN_F_CLOSE_SENT |
		    CHAN_F_CLOSE_RCVD));
}

size_t
chan_writable(const struct chan *ch)
{
	size_t n = 0, qmax = ch->ctx->cfg.write_queue_max;

	if (!can_write(ch))
		return 0;
	if (ch->oq_head == NULL && ch->rmaxpkt > 0)
		n = ch->rwin;
	if (qmax > ch->oq_bytes)
		n += qmax - ch->oq_bytes;
	return n;
}

/* ---- flow control, our side ---- */

static int
maybe_adjust(struct chan *ch)
{
	uint32_t thr, adj;
	int r;

	if (ch->lconsumed == 0 ||
	    (ch->flags & (CHAN_F_CLOSE_SENT | CHAN_F_EOF_RCVD)) ||
	    !(ch->flags & CHAN_F_OPEN))
		return 0;
	thr = ch->lwin_max / ch->ctx->cfg.adjust_divisor;
	if (thr == 0)
		thr = 1;
	if (ch->lconsumed < thr)
		return 0;
	/* lwin + lconsumed never exceeds lwin_max (a uint32). */
	adj = (uint32_t)ch->lconsumed;
	if ((r = send_u32s(ch->ctx, SSH_MSG_CHANNEL_WINDOW_ADJUST, ch->rid,
		 true, adj)) != 0)
		return r;
	ch->lwin += adj;
	ch->lconsumed = 0;
	return 0;
}

static int
consume(struct chan *ch, size_t n)
{
	if (n > ch->lunconsumed)
		return QSSH_ERR_INVALID_ARGUMENT;
	ch->lunconsumed -= n;
	ch->lconsumed += n;
	return maybe_adjust(ch);
}

static void
ctx_leave(struct chan_ctx *ctx)
{
	ctx->depth--;
	ctx_gc(ctx);
}

int
chan_consume(struct chan *ch, size_t n)
{
	struct chan_ctx *ctx = ch->ctx;
	int r;

	if (ctx->fatal != 0)
		return ctx->fatal;
	ctx->depth++;
	r = consume(ch, n);
	ctx_leave(ctx);
	return r;
}

int
chan_set_local_window(struct chan *ch, uint32_t window, uint32_t max_packet)
{
	struct chan_ctx *ctx = ch->ctx;
	int r;

	if (max_packet > CHAN_PACKET_LIMIT)
		max_packet = CHAN_PACKET_LIMIT;
	if (ch->flags & CHAN_F_OPENING) {
		if (!ch->peer_opened)
			return QSSH_ERR_INVALID_ARGUMENT;
		if (window != 0)
			ch->lwin = ch->lwin_max = window;
		if (max_packet != 0)
			ch->lmaxpkt = max_packet;
		return 0;
	}
	/* Open: the window may only grow, the packet size is fixed. */
	if ((max_packet != 0 && max_packet != ch->lmaxpkt) ||
	    window < ch->lwin_max || (ch->flags & CHAN_F_CLOSE_SENT))
		return QSSH_ERR_INVALID_ARGUMENT;
	if (window == ch->lwin_max)
		return 0;
	if (ctx->fatal != 0)
		return ctx->fatal;
	if ((r = send_u32s(ctx, SSH_MSG_CHANNEL_WINDOW_ADJUST, ch->rid, true,
		 window - ch->lwin_max)) != 0)
		return r;
	ch->lwin += window - ch->lwin_max;
	ch->lwin_max = window;
	return 0;
}

/* ---- opening ---- */

static int
put_open_specific(struct qssh_buf *b, const struct chan_open_info *info)
{
	int r = 0;

	switch (info->type) {
	case CHAN_TYPE_SESSION:
	case CHAN_TYPE_AUTH_AGENT:
		break;
	case CHAN_TYPE_DIRECT_TCPIP:
	case CHAN_TYPE_FORWARDED_TCPIP:
		if ((r = qssh_buf_put_cstring(
			 b, info->host ? info->host : "")) != 0 ||
		    (r = qssh_buf_put_u32(b, info->port)) != 0)
			return r;
		/* FALLTHROUGH */
	case CHAN_TYPE_X11:
		if ((r = qssh_buf_put_cstring(
			 b, info->originator ? info->originator : "")) != 0 ||
		    (r = qssh_buf_put_u32(b, info->originator_port)) != 0)
			return r;
		break;
	case CHAN_TYPE_DIRECT_STREAMLOCAL:
	case CHAN_TYPE_FORWARDED_STREAMLOCAL:
		if ((r = qssh_buf_put_cstring(
			 b, info->path ? info->path : "")) != 0 ||
		    (r = qssh_buf_put_cstring(b, "")) != 0)
			return r;
		if (info->type == CHAN_TYPE_DIRECT_STREAMLOCAL)
			r = qssh_buf_put_u32(b, 0);
		break;
	default:
		return QSSH_ERR_INVALID_ARGUMENT;
	}
	return r;
}

int
chan_open(struct chan_ctx *ctx, const struct chan_open_info *info,
    void *chan_user, struct chan **out)
{
	struct chan *ch = NULL;
	struct qssh_buf *b = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (ctx->fatal != 0)
		return ctx->fatal;
	if (info == NULL || info->type >= CHAN_TYPE_UNKNOWN)
		return QSSH_ERR_INVALID_ARGUMENT;
	ctx->depth++;
	if ((b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = chan_alloc(ctx, info->type, &ch)) != 0)
		goto out;
	ch->user = chan_user;
	if ((r = qssh_buf_put_cstring(b, chan_type_name(info->type))) != 0 ||
	    (r = qssh_buf_put_u32(b, ch->id)) != 0 ||
	    (r = qssh_buf_put_u32(b, ch->lwin)) != 0 ||
	    (r = qssh_buf_put_u32(b, ch->lmaxpkt)) != 0 ||
	    (r = put_open_specific(b, info)) != 0)
		goto out;
	if ((r = ctx_send_buf(ctx, SSH_MSG_CHANNEL_OPEN, b)) != 0)
		goto out;
	if (out != NULL)
		*out = ch;
	ch = NULL;
	r = 0;
out:
	if (ch != NULL) {
		/* Never sent: nobody knows this channel. */
		ctx->tab[ch->id] = NULL;
		ctx->nchan--;
		free(ch);
	}
	qssh_buf_free(b);
	ctx_leave(ctx);
	return r;
}

int
chan_open_confirm(struct chan *ch)
{
	struct chan_ctx *ctx = ch->ctx;
	int r;

	if (ctx->fatal != 0)
		return ctx->fatal;
	if (!ch->peer_opened || !(ch->flags & CHAN_F_OPENING) || ch->dead)
		return QSSH_ERR_INVALID_ARGUMENT;
	ctx->depth++;
	qssh_buf_reset(ctx->scratch);
	if ((r = qssh_buf_put_u32(ctx->scratch, ch->rid)) != 0 ||
	    (r = qssh_buf_put_u32(ctx->scratch, ch->id)) != 0 ||
	    (r = qssh_buf_put_u32(ctx->scratch, ch->lwin)) != 0 ||
	    (r = qssh_buf_put_u32(ctx->scratch, ch->lmaxpkt)) != 0 ||
	    (r = ctx_send_buf(
		 ctx, SSH_MSG_CHANNEL_OPEN_CONFIRMATION, ctx->scratch)) != 0)
		goto out;
	ch->flags = (ch->flags & ~(unsigned int)CHAN_F_OPENING) | CHAN_F_OPEN;
	r = 0;
out:
	ctx_leave(ctx);
	return r;
}

static int
send_open_failure(
    struct chan_ctx *ctx, uint32_t rid, uint32_t reason, const char *desc)
{
	int r;

	if (desc == NULL)
		desc = reason < QSSH_ARRAY_LEN(open_fail_desc)
		    ? open_fail_desc[reason]
		    : open_fail_desc[0];
	qssh_buf_reset(ctx->scratch);
	if ((r = qssh_buf_put_u32(ctx->scratch, rid)) != 0 ||
	    (r = qssh_buf_put_u32(ctx->scratch, reason)) != 0 ||
	    (r = qssh_buf_put_cstring(ctx->scratch, desc)) != 0 ||
	    (r = qssh_buf_put_cstring(ctx->scratch, "")) != 0)
		return r;
	return ctx_send_buf(ctx, SSH_MSG_CHANNEL_OPEN_FAILURE, ctx->scratch);
}

int
chan_open_refuse(struct chan *ch, uint32_t reason, const char *desc)
{
	struct chan_ctx *ctx = ch->ctx;
	int r;

	if (ctx->fatal != 0)
		return ctx->fatal;
	if (!ch->peer_opened || !(ch->flags & CHAN_F_OPENING) || ch->dead)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (reason == CHAN_OPEN_ACCEPT || reason == CHAN_OPEN_DEFER)
		reason = CHAN_OPEN_ADMINISTRATIVELY_PROHIBITED;
	ctx->depth++;
	r = send_open_failure(ctx, ch->rid, reason, desc);
	mark_dead(ch);
	ctx_leave(ctx);
	return r;
}

/* ---- writing ---- */

int
chan_write_ext(struct chan *ch, uint32_t ext, const void *data, size_t len,
    size_t *accepted)
{
	struct chan_ctx *ctx = ch->ctx;
	const uint8_t *p = data;
	struct oq_item *it = NULL;
	size_t done = 0, n, space = 0;
	int r = 0;

	if (accepted != NULL)
		*accepted = 0;
	if (ctx->fatal != 0)
		return ctx->fatal;
	if (!can_write(ch) || (len > 0 && data == NULL))
		return QSSH_ERR_INVALID_ARGUMENT;
	ctx->depth++;
	if (ch->oq_head == NULL) {
		while (done < len && (n = chunk_now(ch, len - done)) > 0) {
			if ((r = send_data(ch, ext, p + done, n)) != 0)
				goto out;
			done += n;
		}
	}
	if (ctx->cfg.write_queue_max > ch->oq_bytes)
		space = ctx->cfg.write_queue_max - ch->oq_bytes;
	if ((n = len - done) > space)
		n = space;
	if (n > 0) {
		it = ch->oq_tail;
		if (it == NULL || it->kind != OQ_DATA || it->ext != ext) {
			if ((it = calloc(1, sizeof(*it))) == NULL ||
			    (it->buf = qssh_buf_new()) == NULL) {
				oq_item_free(it);
				r = QSSH_ERR_ALLOC;
				goto out;
			}
			it->kind = OQ_DATA;
			it->ext = ext;
			oq_append(ch, it);
		}
		if ((r = qssh_buf_put(it->buf, p + done, n)) != 0)
			goto out;
		ch->oq_bytes += n;
		done += n;
	}
	r = chan_flush(ch);
out:
	if (accepted != NULL)
		*accepted = done;
	ctx_leave(ctx);
	return r;
}

int
chan_write(struct chan *ch, const void *data, size_t len, size_t *accepted)
{
	return chan_write_ext(ch, 0, data, len, accepted);
}

int
chan_send_eof(struct chan *ch)
{
	struct chan_ctx *ctx = ch->ctx;
	int r;

	if (ctx->fatal != 0)
		return ctx->fatal;
	if (ch->flags &
	    (CHAN_F_EOF_QUEUED | CHAN_F_CLOSE_QUEUED | CHAN_F_CLOSE_SENT))
		return 0;
	if (!(ch->flags & CHAN_F_OPEN))
		return QSSH_ERR_INVALID_ARGUMENT;
	ctx->depth++;
	if ((r = oq_push_simple(ch, SSH_MSG_CHANNEL_EOF)) == 0) {
		ch->flags |= CHAN_F_EOF_QUEUED;
		r = chan_flush(ch);
	}
	ctx_leave(ctx);
	return r;
}

int
chan_close(struct chan *ch)
{
	struct chan_ctx *ctx = ch->ctx;
	int r = 0;

	if (ctx->fatal != 0)
		return ctx->fatal;
	if (ch->flags & (CHAN_F_CLOSE_QUEUED | CHAN_F_CLOSE_SENT))
		return 0;
	if (ch->flags & CHAN_F_OPENING) {
		/* Ours: CLOSE follows the confirmation.  Theirs: refuse. */
		if (ch->peer_opened)
			return QSSH_ERR_INVALID_ARGUMENT;
		ch->flags |= CHAN_F_CLOSE_QUEUED;
		return 0;
	}
	ctx->depth++;
	if ((r = oq_push_simple(ch, SSH_MSG_CHANNEL_CLOSE)) == 0) {
		ch->flags |= CHAN_F_CLOSE_QUEUED;
		r = chan_flush(ch);
	}
	ctx_leave(ctx);
	return r;
}

/* ---- channel requests: building ---- */

static int
put_modes(struct qssh_buf *b, const struct chan_tty_modes *m)
{
	struct qssh_buf *enc = NULL;
	int i, r;

	if ((enc = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	for (i = 1; i < CHAN_TTY_OP_MAX; i++) {
		if (!m->set[i])
			continue;
		if ((r = qssh_buf_put_u8(enc, (uint8_t)i)) != 0 ||
		    (r = qssh_buf_put_u32(enc, m->value[i])) != 0)
			goto out;
	}
	if ((r = qssh_buf_put_u8(enc, CHAN_TTY_OP_END)) != 0)
		goto out;
	r = qssh_buf_put_stringb(b, enc);
out:
	qssh_buf_free(enc);
	return r;
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static int
put_request_specific(struct qssh_buf *b, const struct chan_request *q)
{
	int r = 0;

	switch (q->type) {
	case CHAN_REQ_PTY:
		if ((r = qssh_buf_put_cstring(b, nz(q->term))) != 0)
			return r;
		/* FALLTHROUGH */
	case CHAN_REQ_WINDOW_CHANGE:
		if ((r = qssh_buf_put_u32(b, q->cols)) != 0 ||
		    (r = qssh_buf_put_u32(b, q->rows)) != 0 ||
		    (r = qssh_buf_put_u32(b, q->width_px)) != 0 ||
		    (r = qssh_buf_put_u32(b, q->height_px)) != 0)
			return r;
		if (q->type == CHAN_REQ_PTY)
			r = put_modes(b, &q->modes);
		return r;
	case CHAN_REQ_X11:
		if ((r = qssh_buf_put_bool(b, q->single_connection)) != 0 ||
		    (r = qssh_buf_put_cstring(b, nz(q->auth_proto))) != 0 ||
		    (r = qssh_buf_put_cstring(b, nz(q->auth_cookie))) != 0)
			return r;
		return qssh_buf_put_u32(b, q->screen);
	case CHAN_REQ_ENV:
		if ((r = qssh_buf_put_cstring(b, nz(q->env_name))) != 0)
			return r;
		return qssh_buf_put_cstring(b, nz(q->env_value));
	case CHAN_REQ_EXEC:
	case CHAN_REQ_SUBSYSTEM:
		return qssh_buf_put_cstring(b, nz(q->command));
	case CHAN_REQ_XON_XOFF:
		return qssh_buf_put_bool(b, q->client_can_do);
	case CHAN_REQ_SIGNAL:
		return qssh_buf_put_cstring(b, nz(q->signal));
	case CHAN_REQ_EXIT_STATUS:
		return qssh_buf_put_u32(b, q->exit_status);
	case CHAN_REQ_EXIT_SIGNAL:
		if ((r = qssh_buf_put_cstring(b, nz(q->signal))) != 0 ||
		    (r = qssh_buf_put_bool(b, q->core_dumped)) != 0 ||
		    (r = qssh_buf_put_cstring(b, nz(q->error_msg))) != 0)
			return r;
		return qssh_buf_put_cstring(b, nz(q->lang));
	case CHAN_REQ_BREAK:
		return qssh_buf_put_u32(b, q->break_ms);
	case CHAN_REQ_SHELL:
	case CHAN_REQ_KEEPALIVE:
	case CHAN_REQ_EOW:
	case CHAN_REQ_AUTH_AGENT:
		return 0;
	case CHAN_REQ_UNKNOWN:
		if (q->data.len > 0)
			r = qssh_buf_put_view(b, q->data);
		return r;
	}
	return QSSH_ERR_INVALID_ARGUMENT;
}

int
chan_send_request(
    struct chan *ch, const struct chan_request *req, bool want_reply)
{
	struct chan_ctx *ctx = ch->ctx;
	struct qssh_buf *b = NULL;
	const char *name;
	int r;

	if (ctx->fatal != 0)
		return ctx->fatal;
	if (req == NULL || (unsigned int)req->type > CHAN_REQ_UNKNOWN)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (!(ch->flags & CHAN_F_OPEN) ||
	    (ch->flags &
		(CHAN_F_CLOSE_QUEUED | CHAN_F_CLOSE_SENT | CHAN_F_CLOSE_RCVD)))
		return QSSH_ERR_INVALID_ARGUMENT;
	name = req->type == CHAN_REQ_UNKNOWN ? req->name
					     : chan_req_name(req->type);
	if (name == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	ctx->depth++;
	if ((b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_u32(b, ch->rid)) != 0 ||
	    (r = qssh_buf_put_cstring(b, name)) != 0 ||
	    (r = qssh_buf_put_bool(b, want_reply)) != 0 ||
	    (r = put_request_specific(b, req)) != 0)
		goto out;
	if (want_reply &&
	    (r = expectq_push(&ch->expect, (int)req->type, NULL)) != 0)
		goto out;
	if ((r = oq_push_msg(ch, SSH_MSG_CHANNEL_REQUEST, &b)) != 0) {
		/* Not queued: no reply will come, so expect none. */
		if (want_reply)
			ch->expect.n--;
		goto out;
	}
	r = chan_flush(ch);
out:
	qssh_buf_free(b);
	ctx_leave(ctx);
	return r;
}

int
chan_request_reply(struct chan *ch, uint64_t ticket, bool ok)
{
	struct chan_ctx *ctx = ch->ctx;
	struct reply_slot *s;
	int r;

	if (ctx->fatal != 0)
		return ctx->fatal;
	if ((s = replyq_find(&ch->replies, ticket)) == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	s->state = ok ? SLOT_SUCCESS : SLOT_FAILURE;
	ctx->depth++;
	r = flush_chan_replies(ch);
	ctx_leave(ctx);
	return r;
}

int
chan_finish(struct chan *ch, const struct chan_request *exit)
{
	struct chan_ctx *ctx = ch->ctx;
	bool eof_first = ctx->cfg.eof_before_exit;
	int r = 0;

	if (ctx->fatal != 0)
		return ctx->fatal;
	if (exit != NULL && exit->type != CHAN_REQ_EXIT_STATUS &&
	    exit->type != CHAN_REQ_EXIT_SIGNAL)
		return QSSH_ERR_INVALID_ARGUMENT;
	ctx->depth++;
	if (eof_first && (r = chan_send_eof(ch)) != 0)
		goto out;
	if (exit != NULL &&
	    !(ch->flags &
		(CHAN_F_CLOSE_QUEUED | CHAN_F_CLOSE_SENT |
		    CHAN_F_CLOSE_RCVD)) &&
	    (r = chan_send_request(ch, exit, false)) != 0)
		goto out;
	if ((r = chan_send_eof(ch)) == 0)
		r = chan_close(ch);
out:
	ctx_leave(ctx);
	return r;
}

/* ---- global requests: building ---- */

int
chan_global_request(struct chan_ctx *ctx, const struct chan_global_request *req,
    bool want_reply, void *cookie)
{
	struct qssh_buf *b = NULL;
	const char *name;
	size_t i;
	int r;

	if (ctx->fatal != 0)
		return ctx->fatal;
	if (req == NULL || (unsigned int)req->type > CHAN_GLOBAL_UNKNOWN)
		return QSSH_ERR_INVALID_ARGUMENT;
	name = req->type == CHAN_GLOBAL_UNKNOWN ? req->name
						: chan_global_name(req->type);
	if (name == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	ctx->depth++;
	if ((b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_cstring(b, name)) != 0 ||
	    (r = qssh_buf_put_bool(b, want_reply)) != 0)
		goto out;
	switch (req->type) {
	case CHAN_GLOBAL_TCPIP_FORWARD:
	case CHAN_GLOBAL_CANCEL_TCPIP_FORWARD:
		if ((r = qssh_buf_put_cstring(b, nz(req->address))) != 0 ||
		    (r = qssh_buf_put_u32(b, req->port)) != 0)
			goto out;
		break;
	case CHAN_GLOBAL_STREAMLOCAL_FORWARD:
	case CHAN_GLOBAL_CANCEL_STREAMLOCAL_FORWARD:
		if ((r = qssh_buf_put_cstring(b, nz(req->path))) != 0)
			goto out;
		break;
	case CHAN_GLOBAL_HOSTKEYS:
	case CHAN_GLOBAL_HOSTKEYS_PROVE:
		for (i = 0; i < req->num_keys; i++) {
			if ((r = qssh_buf_put_string(
				 b, req->keys[i].p, req->keys[i].len)) != 0)
				goto out;
		}
		break;
	case CHAN_GLOBAL_UNKNOWN:
		if (req->data.len > 0 &&
		    (r = qssh_buf_put_view(b, req->data)) != 0)
			goto out;
		break;
	default:
		break;
	}
	if (want_reply &&
	    (r = expectq_push(&ctx->gexpect, (int)req->type, cookie)) != 0)
		goto out;
	if ((r = ctx_send_buf(ctx, SSH_MSG_GLOBAL_REQUEST, b)) != 0)
		goto out;
	r = 0;
out:
	qssh_buf_free(b);
	ctx_leave(ctx);
	return r;
}

int
chan_global_reply(struct chan_ctx *ctx, uint64_t ticket, bool ok,
    const void *data, size_t len)
{
	struct reply_slot *s;
	int r;

	if (ctx->fatal != 0)
		return ctx->fatal;
	if ((s = replyq_find(&ctx->greplies, ticket)) == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (ok && len > 0) {
		if ((s->data = qssh_buf_new()) == NULL)
			return QSSH_ERR_ALLOC;
		if ((r = qssh_buf_put(s->data, data, len)) != 0) {
			qssh_buf_free(s->data);
			s->data = NULL;
			return r;
		}
	}
	s->state = ok ? SLOT_SUCCESS : SLOT_FAILURE;
	ctx->depth++;
	r = flush_global_replies(ctx);
	ctx_leave(ctx);
	return r;
}

/* ---- receiving ---- */

static int
lookup_chan(struct chan_ctx *ctx, struct qssh_view *v, const char *what,
    struct chan **out)
{
	uint32_t id;
	int r;

	*out = NULL;
	if ((r = qssh_view_get_u32(v, &id)) != 0)
		return ctx_fail(ctx, r, "%s: truncated", what);
	if ((*out = chan_ctx_lookup(ctx, id)) == NULL)
		return ctx_fail(ctx, QSSH_ERR_NOT_FOUND,
		    "%s: unknown channel %u", what, id);
	return 0;
}

static int
bad_state(struct chan_ctx *ctx, const struct chan *ch, const char *what)
{
	return ctx_fail(ctx, QSSH_ERR_UNEXPECTED_MESSAGE,
	    "channel %u: %s in state 0x%x", ch->id, what, ch->flags);
}

static int
parse_fail(struct chan_ctx *ctx, int r, const char *what)
{
	return ctx_fail(
	    ctx, r, "%s: malformed message: %s", what, qssh_strerror(r));
}

static int
parse_open_specific(struct qssh_view *v, enum chan_type type,
    struct chan_open_info *info, struct strstore *st)
{
	struct qssh_view skip;
	int r;

	switch (type) {
	case CHAN_TYPE_SESSION:
	case CHAN_TYPE_AUTH_AGENT:
		break;
	case CHAN_TYPE_DIRECT_TCPIP:
	case CHAN_TYPE_FORWARDED_TCPIP:
		if ((r = get_cstr(v, st, &info->host)) != 0 ||
		    (r = qssh_view_get_u32(v, &info->port)) != 0)
			return r;
		/* FALLTHROUGH */
	case CHAN_TYPE_X11:
		if ((r = get_cstr(v, st, &info->originator)) != 0 ||
		    (r = qssh_view_get_u32(v, &info->originator_port)) != 0)
			return r;
		break;
	case CHAN_TYPE_DIRECT_STREAMLOCAL:
	case CHAN_TYPE_FORWARDED_STREAMLOCAL:
		/* path, reserved string, (direct: reserved uint32) */
		if ((r = get_cstr(v, st, &info->path)) != 0 ||
		    (r = qssh_view_get_string(v, &skip)) != 0)
			return r;
		if (type == CHAN_TYPE_DIRECT_STREAMLOCAL &&
		    (r = qssh_view_skip(v, 4)) != 0)
			return r;
		break;
	default:
		return 0;
	}
	return expect_end(v);
}

static enum chan_type
open_type_lookup(struct qssh_view name)
{
	int i;

	for (i = 0; i < CHAN_TYPE_UNKNOWN; i++) {
		if (qssh_view_eq_str(name, type_names[i]))
			return (enum chan_type)i;
	}
	return CHAN_TYPE_UNKNOWN;
}

static int
handle_open(struct chan_ctx *ctx, struct qssh_view *v)
{
	struct chan_open_info info;
	struct strstore st = { { NULL }, 0 };
	struct qssh_view tname;
	struct chan *ch = NULL;
	uint32_t rid, rwin, rmax, verdict;
	const char *desc = NULL;
	int r;

	memset(&info, 0, sizeof(info));
	if ((r = qssh_view_get_string(v, &tname)) != 0 ||
	    (r = qssh_view_get_u32(v, &rid)) != 0 ||
	    (r = qssh_view_get_u32(v, &rwin)) != 0 ||
	    (r = qssh_view_get_u32(v, &rmax)) != 0) {
		r = parse_fail(ctx, r, "channel open");
		goto out;
	}
	info.type = open_type_lookup(tname);
	if (info.type == CHAN_TYPE_UNKNOWN) {
		r = send_open_failure(ctx, rid, CHAN_OPEN_UNKNOWN_CHANNEL_TYPE,
		    "unknown channel type");
		goto out;
	}
	if ((r = parse_open_specific(v, info.type, &info, &st)) != 0) {
		r = parse_fail(ctx, r, "channel open");
		goto out;
	}
	if (info.type == CHAN_TYPE_SESSION && ctx->no_more_sessions) {
		r = ctx_fail(ctx, QSSH_ERR_PROTOCOL,
		    "session channel opened "
		    "after no-more-sessions@openssh.com");
		goto out;
	}
	if (info.type == CHAN_TYPE_SESSION &&
	    ctx->nsessions >= ctx->cfg.max_sessions) {
		r = send_open_failure(
		    ctx, rid, CHAN_OPEN_ADMINISTRATIVELY_PROHIBITED, NULL);
		goto out;
	}
	if ((r = chan_alloc(ctx, info.type, &ch)) != 0) {
		if (r == QSSH_ERR_BUSY)
			r = send_open_failure(
			    ctx, rid, CHAN_OPEN_RESOURCE_SHORTAGE, NULL);
		goto out;
	}
	ch->peer_opened = true;
	ch->rid = rid;
	ch->rwin = rwin;
	ch->rmaxpkt = rmax;
	if (info.type == CHAN_TYPE_SESSION) {
		ch->counted_session = true;
		ctx->nsessions++;
	}
	verdict = CHAN_OPEN_ADMINISTRATIVELY_PROHIBITED;
	if (ctx->cb.open != NULL)
		verdict = ctx->cb.open(ctx->user, ch, &info, &desc);
	if (ctx->fatal != 0) {
		r = ctx->fatal;
		goto out;
	}
	if (!(ch->flags & CHAN_F_OPENING) || ch->dead) {
		/* The callback answered already. */
		r = 0;
	} else if (verdict == CHAN_OPEN_ACCEPT)
		r = chan_open_confirm(ch);
	else if (verdict == CHAN_OPEN_DEFER)
		r = 0;
	else
		r = chan_open_refuse(ch, verdict, desc);
out:
	strstore_free(&st);
	return r;
}

static int
handle_open_confirm(struct chan_ctx *ctx, struct qssh_view *v)
{
	struct chan *ch;
	uint32_t rid, rwin, rmax;
	int r;

	if ((r = lookup_chan(ctx, v, "open confirmation", &ch)) != 0)
		return r;
	if ((r = qssh_view_get_u32(v, &rid)) != 0 ||
	    (r = qssh_view_get_u32(v, &rwin)) != 0 ||
	    (r = qssh_view_get_u32(v, &rmax)) != 0)
		return parse_fail(ctx, r, "open confirmation");
	/* Channel-type-specific data may follow (RFC 4254 5.1). */
	if (ch->peer_opened || !(ch->flags & CHAN_F_OPENING))
		return bad_state(ctx, ch, "open confirmation");
	ch->rid = rid;
	ch->rwin = rwin;
	ch->rmaxpkt = rmax;
	ch->flags = (ch->flags & ~(unsigned int)CHAN_F_OPENING) | CHAN_F_OPEN;
	if (ch->flags & CHAN_F_CLOSE_QUEUED) {
		/* Closed while opening: say so now, tell nobody else. */
		if ((r = oq_push_simple(ch, SSH_MSG_CHANNEL_CLOSE)) != 0)
			return ctx_fail(ctx, r, "out of memory");
		return chan_flush(ch);
	}
	if (ctx->cb.open_result != NULL)
		ctx->cb.open_result(ctx->user, ch, 0, NULL);
	return chan_flush(ch);
}

static int
handle_open_failure(struct chan_ctx *ctx, struct qssh_view *v)
{
	struct chan *ch;
	struct qssh_view desc, lang;
	uint32_t reason;
	char *d = NULL;
	int r;

	if ((r = lookup_chan(ctx, v, "open failure", &ch)) != 0)
		return r;
	if ((r = qssh_view_get_u32(v, &reason)) != 0 ||
	    (r = qssh_view_get_string(v, &desc)) != 0)
		return parse_fail(ctx, r, "open failure");
	/* The language tag is sometimes left out by old peers. */
	if (v->len > 0 &&
	    ((r = qssh_view_get_string(v, &lang)) != 0 ||
		(r = expect_end(v)) != 0))
		return parse_fail(ctx, r, "open failure");
	if (ch->peer_opened || !(ch->flags & CHAN_F_OPENING))
		return bad_state(ctx, ch, "open failure");
	if (reason == CHAN_OPEN_ACCEPT)
		reason = CHAN_OPEN_ADMINISTRATIVELY_PROHIBITED;
	ch->flags |= CHAN_F_CLOSE_SENT | CHAN_F_CLOSE_RCVD;
	mark_dead(ch);
	if (ctx->cb.open_result != NULL && !(ch->flags & CHAN_F_CLOSE_QUEUED)) {
		if ((d = sanitize_dup(desc)) == NULL)
			return ctx_fail(ctx, QSSH_ERR_ALLOC, "out of memory");
		ctx->cb.open_result(ctx->user, ch, reason, d);
		free(d);
	}
	return 0;
}

static int
handle_window_adjust(struct chan_ctx *ctx, struct qssh_view *v)
{
	struct chan *ch;
	uint32_t add;
	int r;

	if ((r = lookup_chan(ctx, v, "window adjust", &ch)) != 0)
		return r;
	if ((r = qssh_view_get_u32(v, &add)) != 0 || (r = expect_end(v)) != 0)
		return parse_fail(ctx, r, "window adjust");
	if (ch->flags & CHAN_F_OPENING)
		return bad_state(ctx, ch, "window adjust");
	if (ch->flags & CHAN_F_CLOSE_SENT)
		return 0;
	if (add > UINT32_MAX - ch->rwin)
		return ctx_fail(ctx, QSSH_ERR_NUMBER_TOO_LARGE,
		    "channel %u: adjust %u overflows remote window %u", ch->id,
		    add, ch->rwin);
	ch->rwin += add;
	if ((r = chan_flush(ch)) != 0)
		return r;
	if (add > 0 && ctx->cb.writable != NULL && can_write(ch))
		ctx->cb.writable(ctx->user, ch);
	return 0;
}

static int
handle_data(struct chan_ctx *ctx, struct qssh_view *v, bool extended)
{
	const char *what = extended ? "extended data" : "data";
	struct qssh_view data;
	struct chan *ch;
	uint32_t code = 0;
	int r;

	if ((r = lookup_chan(ctx, v, what, &ch)) != 0)
		return r;
	if ((extended && (r = qssh_view_get_u32(v, &code)) != 0) ||
	    (r = qssh_view_get_string(v, &data)) != 0 ||
	    (r = expect_end(v)) != 0)
		return parse_fail(ctx, r, what);
	if (ch->flags & CHAN_F_OPENING)
		return bad_state(ctx, ch, what);
	if (ch->flags & CHAN_F_CLOSE_SENT)
		return 0; /* crossed our CLOSE */
	if (ch->flags & CHAN_F_EOF_RCVD)
		return bad_state(ctx, ch, "data after EOF");
	if (data.len > ch->lmaxpkt)
		return ctx_fail(ctx, QSSH_ERR_PACKET_TOO_LARGE,
		    "channel %u: rcvd big packet %zu, maxpack %u", ch->id,
		    data.len, ch->lmaxpkt);
	if (data.len > ch->lwin)
		return ctx_fail(ctx, QSSH_ERR_PROTOCOL,
		    "channel %u: rcvd too much data %zu, win %u", ch->id,
		    data.len, ch->lwin);
	if (data.len == 0)
		return 0;
	ch->lwin -= (uint32_t)data.len;
	if (extended && code != CHAN_EXTENDED_DATA_STDERR) {
		/* Counted against the window, then dropped. */
		ch->lconsumed += data.len;
		return maybe_adjust(ch);
	}
	ch->lunconsumed += data.len;
	if (ctx->cb.data != NULL) {
		r = ctx->cb.data(ctx->user, ch, code, data.p, data.len);
		if (r < 0)
			return ctx_fail(ctx, r, "channel %u: data callback: %s",
			    ch->id, qssh_strerror(r));
		if (ctx->fatal != 0)
			return ctx->fatal;
		if (ctx->cfg.manual_consume)
			return 0;
	}
	return consume(ch, data.len);
}

static int
handle_eof(struct chan_ctx *ctx, struct qssh_view *v)
{
	struct chan *ch;
	int r;

	if ((r = lookup_chan(ctx, v, "eof", &ch)) != 0)
		return r;
	if ((r = expect_end(v)) != 0)
		return parse_fail(ctx, r, "eof");
	if (ch->flags & (CHAN_F_OPENING | CHAN_F_EOF_RCVD))
		return bad_state(ctx, ch, "eof");
	ch->flags |= CHAN_F_EOF_RCVD;
	if (!(ch->flags & CHAN_F_CLOSE_SENT) && ctx->cb.eof != NULL)
		ctx->cb.eof(ctx->user, ch);
	return 0;
}

static int
handle_close(struct chan_ctx *ctx, struct qssh_view *v)
{
	struct chan *ch;
	int r;

	if ((r = lookup_chan(ctx, v, "close", &ch)) != 0)
		return r;
	if ((r = expect_end(v)) != 0)
		return parse_fail(ctx, r, "close");
	if (ch->flags & (CHAN_F_OPENING | CHAN_F_CLOSE_RCVD))
		return bad_state(ctx, ch, "close");
	ch->flags |= CHAN_F_CLOSE_RCVD;
	if (ctx->cb.close != NULL)
		ctx->cb.close(ctx->user, ch);
	if (ctx->fatal != 0)
		return ctx->fatal;
	if (!(ch->flags & CHAN_F_CLOSE_SENT)) {
		/* Send what may still go, then our CLOSE; drop the rest. */
		if ((r = chan_flush(ch)) != 0)
			return r;
		if (!(ch->flags & CHAN_F_CLOSE_SENT)) {
			oq_clear(ch);
			ch->flags |= CHAN_F_CLOSE_QUEUED;
			if ((r = send_u32s(ctx, SSH_MSG_CHANNEL_CLOSE, ch->rid,
				 false, 0)) != 0)
				return r;
			ch->flags |= CHAN_F_CLOSE_SENT;
		}
	}
	check_dead(ch);
	return 0;
}

/* Terminal modes (RFC 4254 8); opcodes 160..255 stop the parse. */
static int
parse_modes(struct qssh_view m, struct chan_tty_modes *out)
{
	uint8_t op;
	uint32_t val;
	int r;

	while (m.len > 0) {
		if ((r = qssh_view_get_u8(&m, &op)) != 0)
			return r;
		if (op == CHAN_TTY_OP_END || op >= CHAN_TTY_OP_MAX)
			break;
		if ((r = qssh_view_get_u32(&m, &val)) != 0)
			return QSSH_ERR_INVALID_FORMAT;
		out->set[op] = true;
		out->value[op] = val;
	}
	return 0;
}

static int
parse_request_specific(
    struct qssh_view *v, struct chan_request *q, struct strstore *st)
{
	struct qssh_view modes;
	int r = 0;

	switch (q->type) {
	case CHAN_REQ_PTY:
		if ((r = get_cstr(v, st, &q->term)) != 0)
			return r;
		/* FALLTHROUGH */
	case CHAN_REQ_WINDOW_CHANGE:
		if ((r = qssh_view_get_u32(v, &q->cols)) != 0 ||
		    (r = qssh_view_get_u32(v, &q->rows)) != 0 ||
		    (r = qssh_view_get_u32(v, &q->width_px)) != 0 ||
		    (r = qssh_view_get_u32(v, &q->height_px)) != 0)
			return r;
		if (q->type == CHAN_REQ_PTY &&
		    ((r = qssh_view_get_string(v, &modes)) != 0 ||
			(r = parse_modes(modes, &q->modes)) != 0))
			return r;
		break;
	case CHAN_REQ_X11:
		if ((r = qssh_view_get_bool(v, &q->single_connection)) != 0 ||
		    (r = get_cstr(v, st, &q->auth_proto)) != 0 ||
		    (r = get_cstr(v, st, &q->auth_cookie)) != 0 ||
		    (r = qssh_view_get_u32(v, &q->screen)) != 0)
			return r;
		break;
	case CHAN_REQ_ENV:
		if ((r = get_cstr(v, st, &q->env_name)) != 0 ||
		    (r = get_cstr(v, st, &q->env_value)) != 0)
			return r;
		break;
	case CHAN_REQ_EXEC:
	case CHAN_REQ_SUBSYSTEM:
		if ((r = get_cstr(v, st, &q->command)) != 0)
			return r;
		break;
	case CHAN_REQ_XON_XOFF:
		if ((r = qssh_view_get_bool(v, &q->client_can_do)) != 0)
			return r;
		break;
	case CHAN_REQ_SIGNAL:
		if ((r = get_cstr(v, st, &q->signal)) != 0)
			return r;
		break;
	case CHAN_REQ_EXIT_STATUS:
		if ((r = qssh_view_get_u32(v, &q->exit_status)) != 0)
			return r;
		break;
	case CHAN_REQ_EXIT_SIGNAL:
		if ((r = get_cstr(v, st, &q->signal)) != 0 ||
		    (r = qssh_view_get_bool(v, &q->core_dumped)) != 0 ||
		    (r = get_cstr(v, st, &q->error_msg)) != 0 ||
		    (r = get_cstr(v, st, &q->lang)) != 0)
			return r;
		break;
	case CHAN_REQ_BREAK:
		if ((r = qssh_view_get_u32(v, &q->break_ms)) != 0)
			return r;
		break;
	case CHAN_REQ_UNKNOWN:
		/* Opaque to us; the callback sees q->data. */
		return 0;
	default:
		break;
	}
	return expect_end(v);
}

static void
record_reply(struct reply_queue *q, uint64_t ticket, int verdict)
{
	struct reply_slot *s;

	if (verdict == CHAN_REPLY_DEFER)
		return;
	/* NULL when the callback answered through chan_request_reply(). */
	if ((s = replyq_find(q, ticket)) != NULL)
		s->state =
		    verdict == CHAN_REPLY_SUCCESS ? SLOT_SUCCESS : SLOT_FAILURE;
}

static int
handle_request(struct chan_ctx *ctx, struct qssh_view *v)
{
	struct chan_request req;
	struct strstore st = { { NULL }, 0 };
	struct qssh_view name;
	struct chan *ch;
	char nbuf[64];
	int i, r, verdict;

	memset(&req, 0, sizeof(req));
	if ((r = lookup_chan(ctx, v, "channel request", &ch)) != 0)
		return r;
	if ((r = qssh_view_get_string(v, &name)) != 0 ||
	    (r = qssh_view_get_bool(v, &req.want_reply)) != 0)
		return parse_fail(ctx, r, "channel request");
	if (ch->flags & CHAN_F_OPENING)
		return bad_state(ctx, ch, "channel request");
	if (ch->flags & CHAN_F_CLOSE_SENT)
		return 0; /* crossed our CLOSE: no answer */
	req.type = CHAN_REQ_UNKNOWN;
	for (i = 0; i < CHAN_REQ_UNKNOWN; i++) {
		if (qssh_view_eq_str(name, req_names[i])) {
			req.type = (enum chan_req_type)i;
			break;
		}
	}
	sanitize_copy(nbuf, sizeof(nbuf), name);
	req.name = req.type == CHAN_REQ_UNKNOWN ? nbuf : req_names[req.type];
	req.data = *v;
	if ((r = parse_request_specific(v, &req, &st)) != 0) {
		r = ctx_fail(ctx, r, "channel %u: malformed %s request: %s",
		    ch->id, req.name, qssh_strerror(r));
		goto out;
	}
	if (req.want_reply &&
	    (r = replyq_push(&ch->replies, &req.ticket)) != 0) {
		r = ctx_fail(
		    ctx, r, "channel %u: too many pending requests", ch->id);
		goto out;
	}
	verdict = CHAN_REPLY_FAILURE;
	if (ctx->cb.request != NULL)
		verdict = ctx->cb.request(ctx->user, ch, &req);
	if (ctx->fatal != 0) {
		r = ctx->fatal;
		goto out;
	}
	if (req.want_reply) {
		record_reply(&ch->replies, req.ticket, verdict);
		r = flush_chan_replies(ch);
	} else
		r = 0;
out:
	strstore_free(&st);
	return r;
}

static int
handle_chan_reply(struct chan_ctx *ctx, struct qssh_view *v, bool ok)
{
	struct expect_entry e;
	struct chan *ch;
	int r;

	if ((r = lookup_chan(ctx, v, "channel reply", &ch)) != 0)
		return r;
	if ((r = expect_end(v)) != 0)
		return parse_fail(ctx, r, "channel reply");
	if (ch->flags & CHAN_F_OPENING)
		return bad_state(ctx, ch, "channel reply");
	if (!expectq_pop(&ch->expect, &e))
		return ctx_fail(ctx, QSSH_ERR_UNEXPECTED_MESSAGE,
		    "channel %u: reply without a pending request", ch->id);
	if (ctx->cb.request_reply != NULL)
		ctx->cb.request_reply(
		    ctx->user, ch, (enum chan_req_type)e.reqtype, ok);
	return 0;
}

static int
parse_global_specific(struct qssh_view *v, struct chan_global_request *g,
    struct strstore *st, struct qssh_view **keys)
{
	struct qssh_view k, c;
	size_t n, max;
	int r;

	switch (g->type) {
	case CHAN_GLOBAL_TCPIP_FORWARD:
	case CHAN_GLOBAL_CANCEL_TCPIP_FORWARD:
		if ((r = get_cstr(v, st, &g->address)) != 0 ||
		    (r = qssh_view_get_u32(v, &g->port)) != 0)
			return r;
		break;
	case CHAN_GLOBAL_STREAMLOCAL_FORWARD:
	case CHAN_GLOBAL_CANCEL_STREAMLOCAL_FORWARD:
		if ((r = get_cstr(v, st, &g->path)) != 0)
			return r;
		break;
	case CHAN_GLOBAL_HOSTKEYS:
	case CHAN_GLOBAL_HOSTKEYS_PROVE:
		/* Count first: every blob is at least a length. */
		for (c = *v, max = 0; c.len > 0; max++) {
			if ((r = qssh_view_get_string(&c, &k)) != 0)
				return r;
		}
		if (max == 0)
			return 0;
		if ((*keys = calloc(max, sizeof(**keys))) == NULL)
			return QSSH_ERR_ALLOC;
		for (n = 0; n < max; n++)
			(void)qssh_view_get_string(v, &(*keys)[n]);
		g->keys = *keys;
		g->num_keys = max;
		break;
	case CHAN_GLOBAL_UNKNOWN:
		return 0;
	default:
		break;
	}
	return expect_end(v);
}

static int
handle_global(struct chan_ctx *ctx, struct qssh_view *v)
{
	struct chan_global_request g;
	struct strstore st = { { NULL }, 0 };
	struct qssh_view name, *keys = NULL;
	struct qssh_buf *reply = NULL;
	struct reply_slot *s;
	char nbuf[64];
	int i, r, verdict;

	memset(&g, 0, sizeof(g));
	if ((r = qssh_view_get_string(v, &name)) != 0 ||
	    (r = qssh_view_get_bool(v, &g.want_reply)) != 0) {
		r = parse_fail(ctx, r, "global request");
		goto out;
	}
	g.type = CHAN_GLOBAL_UNKNOWN;
	for (i = 0; i < CHAN_GLOBAL_UNKNOWN; i++) {
		if (qssh_view_eq_str(name, global_names[i])) {
			g.type = (enum chan_global_type)i;
			break;
		}
	}
	sanitize_copy(nbuf, sizeof(nbuf), name);
	g.name = g.type == CHAN_GLOBAL_UNKNOWN ? nbuf : global_names[g.type];
	g.data = *v;
	if ((r = parse_global_specific(v, &g, &st, &keys)) != 0) {
		r = ctx_fail(ctx, r, "malformed global request %s: %s", g.name,
		    qssh_strerror(r));
		goto out;
	}
	if (g.type == CHAN_GLOBAL_NO_MORE_SESSIONS && ctx->cfg.is_server)
		ctx->no_more_sessions = true;
	if (g.want_reply && (r = replyq_push(&ctx->greplies, &g.ticket)) != 0) {
		r = ctx_fail(ctx, r, "too many pending global requests");
		goto out;
	}
	if ((reply = qssh_buf_new()) == NULL) {
		r = ctx_fail(ctx, QSSH_ERR_ALLOC, "out of memory");
		goto out;
	}
	verdict = CHAN_REPLY_FAILURE;
	if (ctx->cb.global_request != NULL)
		verdict = ctx->cb.global_request(ctx->user, &g, reply);
	if (ctx->fatal != 0) {
		r = ctx->fatal;
		goto out;
	}
	r = 0;
	if (!g.want_reply || verdict == CHAN_REPLY_DEFER)
		goto out;
	if ((s = replyq_find(&ctx->greplies, g.ticket)) != NULL) {
		if (verdict == CHAN_REPLY_SUCCESS) {
			s->state = SLOT_SUCCESS;
			s->data = reply;
			reply = NULL;
		} else
			s->state = SLOT_FAILURE;
	}
	r = flush_global_replies(ctx);
out:
	qssh_buf_free(reply);
	free(keys);
	strstore_free(&st);
	return r;
}

static int
handle_global_reply(struct chan_ctx *ctx, struct qssh_view *v, bool ok)
{
	struct expect_entry e;

	if (!expectq_pop(&ctx->gexpect, &e))
		return ctx_fail(ctx, QSSH_ERR_UNEXPECTED_MESSAGE,
		    "global request reply without a pending request");
	if (ctx->cb.global_reply != NULL)
		ctx->cb.global_reply(ctx->user, e.cookie, ok, *v);
	return 0;
}

static int
dispatch(struct chan_ctx *ctx, uint8_t type, struct qssh_view *v)
{
	switch (type) {
	case SSH_MSG_GLOBAL_REQUEST:
		return handle_global(ctx, v);
	case SSH_MSG_REQUEST_SUCCESS:
		return handle_global_reply(ctx, v, true);
	case SSH_MSG_REQUEST_FAILURE:
		return handle_global_reply(ctx, v, false);
	case SSH_MSG_CHANNEL_OPEN:
		return handle_open(ctx, v);
	case SSH_MSG_CHANNEL_OPEN_CONFIRMATION:
		return handle_open_confirm(ctx, v);
	case SSH_MSG_CHANNEL_OPEN_FAILURE:
		return handle_open_failure(ctx, v);
	case SSH_MSG_CHANNEL_WINDOW_ADJUST:
		return handle_window_adjust(ctx, v);
	case SSH_MSG_CHANNEL_DATA:
		return handle_data(ctx, v, false);
	case SSH_MSG_CHANNEL_EXTENDED_DATA:
		return handle_data(ctx, v, true);
	case SSH_MSG_CHANNEL_EOF:
		return handle_eof(ctx, v);
	case SSH_MSG_CHANNEL_CLOSE:
		return handle_close(ctx, v);
	case SSH_MSG_CHANNEL_REQUEST:
		return handle_request(ctx, v);
	case SSH_MSG_CHANNEL_SUCCESS:
		return handle_chan_reply(ctx, v, true);
	case SSH_MSG_CHANNEL_FAILURE:
		return handle_chan_reply(ctx, v, false);
	default:
		break;
	}
	if (type > SSH_MSG_REQUEST_FAILURE && type < SSH_MSG_CHANNEL_OPEN)
		return QSSH_ERR_NOT_SUPPORTED;
	return QSSH_ERR_INVALID_ARGUMENT;
}

int
chan_ctx_handle_packet(
    struct chan_ctx *ctx, uint8_t type, struct qssh_view payload)
{
	struct qssh_view v = payload;
	int r;

	if (ctx->fatal != 0)
		return ctx->fatal;
	if (payload.len > 0 && payload.p == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	ctx->depth++;
	r = dispatch(ctx, type, &v);
	/* Errors from helpers that did not record themselves are fatal too. */
	if (r != 0 && r != QSSH_ERR_NOT_SUPPORTED &&
	    r != QSSH_ERR_INVALID_ARGUMENT && ctx->fatal == 0)
		r = ctx_fail(ctx, r, "message %u: %s", (unsigned int)type,
		    qssh_strerror(r));
	ctx_leave(ctx);
	return r;
}
