/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_channel: arbitrary connection-protocol messages into a server
 * context that has a few channels open, one of its own opening, and
 * requests of its own waiting for replies.
 *
 * Input: records of [selector u8][length u16 big-endian][payload].  The
 * selector picks the message number 80 + selector % 24 (so 83..89 and
 * 101..103 occur too); selector % 24 == 23 is an API action instead (write,
 * EOF, close, finish, consume, deferred replies), taken from the payload.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "control/channel.h"
#include "dataplane/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fstate {
	struct chan_ctx *ctx;
	uint8_t knob; /* varies the callbacks' answers */
	uint64_t tickets[8];
	uint64_t gtickets[8];
	size_t nsent;
};

static int
f_send(void *user, uint8_t type, const uint8_t *payload, size_t len)
{
	struct fstate *s = user;

	(void)type;
	(void)payload;
	(void)len;
	s->nsent++;
	return 0;
}

static uint32_t
f_open(void *user, struct chan *ch, const struct chan_open_info *info,
    const char **desc)
{
	struct fstate *s = user;

	(void)info;
	*desc = NULL;
	s->knob++;
	switch (s->knob % 5) {
	case 0:
		(void)chan_set_local_window(ch, 1024, 512);
		return CHAN_OPEN_ACCEPT;
	case 1:
		return CHAN_OPEN_DEFER;
	case 2:
		return CHAN_OPEN_CONNECT_FAILED;
	default:
		return CHAN_OPEN_ACCEPT;
	}
}

static int
f_request(void *user, struct chan *ch, const struct chan_request *req)
{
	struct fstate *s = user;

	s->knob++;
	if (req->want_reply && (s->knob & 3) == 0) {
		s->tickets[s->knob % 8] = req->ticket;
		return CHAN_REPLY_DEFER;
	}
	if (req->type == CHAN_REQ_EXEC && (s->knob & 4))
		(void)chan_write(ch, "out", 3, NULL);
	return (s->knob & 1) ? CHAN_REPLY_SUCCESS : CHAN_REPLY_FAILURE;
}

static int
f_data(
    void *user, struct chan *ch, uint32_t ext, const uint8_t *data, size_t len)
{
	struct fstate *s = user;

	(void)ext;
	s->knob++;
	if ((s->knob & 7) == 0)
		(void)chan_write(ch, data, len, NULL);
	return 0;
}

static void
f_close(void *user, struct chan *ch)
{
	struct fstate *s = user;
	struct chan_request ex = { .type = CHAN_REQ_EXIT_STATUS };

	if ((++s->knob & 1) != 0)
		(void)chan_finish(ch, &ex);
}

static int
f_global(
    void *user, const struct chan_global_request *req, struct qssh_buf *reply)
{
	struct fstate *s = user;

	s->knob++;
	if (req->want_reply && (s->knob & 3) == 0) {
		s->gtickets[s->knob % 8] = req->ticket;
		return CHAN_REPLY_DEFER;
	}
	if (req->type == CHAN_GLOBAL_TCPIP_FORWARD)
		(void)qssh_buf_put_u32(reply, 4242);
	return (s->knob & 1) ? CHAN_REPLY_SUCCESS : CHAN_REPLY_FAILURE;
}

static const struct chan_callbacks fcb = {
	.open = f_open,
	.request = f_request,
	.data = f_data,
	.close = f_close,
	.global_request = f_global,
};

static void
feed_open(struct chan_ctx *ctx, const char *type, uint32_t sender)
{
	struct qssh_buf *b = qssh_buf_new();

	if (b == NULL)
		return;
	(void)qssh_buf_put_cstring(b, type);
	(void)qssh_buf_put_u32(b, sender);
	(void)qssh_buf_put_u32(b, 65536);
	(void)qssh_buf_put_u32(b, 16384);
	if (strcmp(type, "direct-tcpip") == 0) {
		(void)qssh_buf_put_cstring(b, "localhost");
		(void)qssh_buf_put_u32(b, 80);
		(void)qssh_buf_put_cstring(b, "127.0.0.1");
		(void)qssh_buf_put_u32(b, 5000);
	}
	(void)chan_ctx_handle_packet(
	    ctx, SSH_MSG_CHANNEL_OPEN, qssh_buf_view(b));
	qssh_buf_free(b);
}

static void
action(struct fstate *s, struct qssh_view p)
{
	struct chan_request req;
	struct chan *ch;
	uint8_t op = 0, id = 0;
	size_t i;

	(void)qssh_view_get_u8(&p, &op);
	(void)qssh_view_get_u8(&p, &id);
	if ((ch = chan_ctx_lookup(s->ctx, id % 8)) == NULL && op % 10 < 8)
		return;
	memset(&req, 0, sizeof(req));
	switch (op % 10) {
	case 0:
		(void)chan_write(ch, p.p, p.len, NULL);
		break;
	case 1:
		(void)chan_write_ext(ch, 1, p.p, p.len, NULL);
		break;
	case 2:
		(void)chan_send_eof(ch);
		break;
	case 3:
		(void)chan_close(ch);
		break;
	case 4:
		req.type = CHAN_REQ_EXIT_SIGNAL;
		req.signal = "KILL";
		(void)chan_finish(ch, &req);
		break;
	case 5:
		(void)chan_consume(ch, p.len);
		break;
	case 6:
		req.type = (enum chan_req_type)(id % (CHAN_REQ_UNKNOWN + 1));
		req.name = "x@example.com";
		req.data = p;
		(void)chan_send_request(ch, &req, (id & 0x80) != 0);
		break;
	case 7:
		if (chan_flags(ch) & CHAN_F_OPENING) {
			if (id & 0x40)
				(void)chan_open_confirm(ch);
			else {
				/* Freed when this returns. */
				(void)chan_open_refuse(ch, id, NULL);
				break;
			}
		}
		for (i = 0; i < 8; i++)
			(void)chan_request_reply(ch, s->tickets[i], i & 1);
		break;
	case 8:
		for (i = 0; i < 8; i++)
			(void)chan_global_reply(
			    s->ctx, s->gtickets[i], i & 1, p.p, p.len);
		break;
	default: {
		struct chan_open_info info = { .type = CHAN_TYPE_X11,
			.originator = "::1" };

		(void)chan_open(s->ctx, &info, NULL, NULL);
		break;
	}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chan_config cfg = { .is_server = true,
		.max_channels = 8,
		.max_sessions = 4,
		.window = 4096,
		.max_packet = 1024,
		.write_queue_max = 8192 };
	struct chan_open_info info = { .type = CHAN_TYPE_FORWARDED_TCPIP,
		.host = "0.0.0.0",
		.port = 8080,
		.originator = "192.0.2.1",
		.originator_port = 1234 };
	struct chan_global_request g = { .type = CHAN_GLOBAL_HOSTKEYS };
	struct chan_request req = { .type = CHAN_REQ_KEEPALIVE };
	struct qssh_view in = qssh_view_make(data, size), payload;
	struct fstate s;
	struct chan *ch;
	uint8_t sel, type, hi, lo;
	size_t len;
	uint32_t i;

	memset(&s, 0, sizeof(s));
	if ((s.ctx = chan_ctx_new(f_send, &fcb, &s, &cfg)) == NULL)
		return 0;
	/* Peer-opened channels (ids 0.. on our side, 100.. on theirs). */
	feed_open(s.ctx, "session", 100);
	feed_open(s.ctx, "direct-tcpip", 101);
	feed_open(s.ctx, "session", 102);
	feed_open(s.ctx, "session", 103);
	/* One of our own, still opening, and requests waiting for replies. */
	(void)chan_open(s.ctx, &info, NULL, NULL);
	(void)chan_global_request(s.ctx, &g, true, NULL);
	for (i = 0; i < 8; i++) {
		if ((ch = chan_ctx_lookup(s.ctx, i)) != NULL &&
		    (chan_flags(ch) & CHAN_F_OPEN))
			(void)chan_send_request(ch, &req, true);
	}

	while (in.len >= 3) {
		if (qssh_view_get_u8(&in, &sel) != 0)
			break;
		if (qssh_view_get_u8(&in, &hi) != 0 ||
		    qssh_view_get_u8(&in, &lo) != 0)
			break;
		len = (size_t)hi << 8 | lo;
		if (qssh_view_get_bytes(
			&in, len < in.len ? len : in.len, &payload) != 0)
			break;
		type = (uint8_t)(80 + sel % 24);
		if (sel % 24 == 23) {
			action(&s, payload);
			continue;
		}
		/* A fatal error ends the connection, like the caller would. */
		if (chan_ctx_handle_packet(s.ctx, type, payload) != 0 &&
		    (sel & 0x80) == 0)
			break;
	}
	chan_ctx_free(s.ctx);
	return 0;
}
