/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Transport-level dispatcher: the messages of RFC 4253 sections 10-11 and
 * RFC 8308, the key exchange messages and OpenSSH's strict kex rules
 * (PROTOCOL "kex-strict-*-v00@openssh.com") and ping@openssh.com.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/kex.h"
#include "dataplane/relay.h"
#include "dataplane/transport.h"

/* Bound on EXT_INFO entries we look at. */
#define TCTL_EXT_INFO_MAX 64

struct tctl {
	struct tport *t;
	struct kex *kex;
	bool early_packet; /* something arrived before the first KEXINIT */
	bool ext_info_received;
	char *server_sig_algs;
	char *disc_msg;
	uint32_t disc_code;
	char *peer_addr;
	int peer_port;
	/* Why tctl_handle_packet() failed, for tctl_fatal()'s line. */
	char fatal_msg[128];
};

struct tctl *
tctl_new(struct tport *t, struct kex *kex)
{
	struct tctl *c;

	if (t == NULL || kex == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->t = t;
	c->kex = kex;
	return c;
}

void
tctl_free(struct tctl *c)
{
	if (c == NULL)
		return;
	free(c->server_sig_algs);
	free(c->disc_msg);
	free(c->peer_addr);
	free(c);
}

void
tctl_set_peer_name(struct tctl *c, const char *addr, int port)
{
	free(c->peer_addr);
	c->peer_addr = addr != NULL ? strdup(addr) : NULL;
	c->peer_port = port;
	kex_set_peer_name(c->kex, addr, port);
}

const char *
tctl_server_sig_algs(const struct tctl *c)
{
	return c->server_sig_algs;
}

bool
tctl_ext_info_received(const struct tctl *c)
{
	return c->ext_info_received;
}

const char *
tctl_disconnect_message(const struct tctl *c)
{
	return c->disc_msg;
}

uint32_t
tctl_disconnect_code(const struct tctl *c)
{
	return c->disc_code;
}

/* Printable copy of peer text for logs (controls become '?'). */
static char *
sanitize(struct qssh_view v, size_t max)
{
	char *s;
	size_t i, n = v.len < max ? v.len : max;

	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		s[i] = (v.p[i] >= 0x20 && v.p[i] < 0x7f) ? (char)v.p[i] : '?';
	s[n] = '\0';
	return s;
}

static int
handle_disconnect(struct tctl *c, struct qssh_view v)
{
	struct qssh_view msg;
	uint32_t code;
	int r;

	if ((r = qssh_view_get_u32(&v, &code)) != 0 ||
	    (r = qssh_view_get_string(&v, &msg)) != 0)
		return r;
	free(c->disc_msg);
	c->disc_msg = sanitize(msg, 1024);
	c->disc_code = code;
	if (c->peer_addr != NULL)
		qlog_info("Received disconnect from %s port %d:%u: %s",
		    c->peer_addr, c->peer_port, code,
		    c->disc_msg != NULL ? c->disc_msg : "");
	else
		qlog_info("Received disconnect: %u: %s", code,
		    c->disc_msg != NULL ? c->disc_msg : "");
	return QSSH_ERR_DISCONNECTED;
}

static int
handle_debug(struct qssh_view v)
{
	struct qssh_view msg;
	bool display;
	char *s;
	int r;

	if ((r = qssh_view_get_bool(&v, &display)) != 0 ||
	    (r = qssh_view_get_string(&v, &msg)) != 0)
		return r;
	if ((s = sanitize(msg, 1024)) == NULL)
		return QSSH_ERR_ALLOC;
	qlog_debug("Remote: %s", s);
	free(s);
	return 0;
}

static int
handle_ext_info(struct tctl *c, struct qssh_view v)
{
	struct qssh_view name, value;
	uint32_t n, i;
	char *s = NULL;
	int r;

	if ((r = qssh_view_get_u32(&v, &n)) != 0)
		return r;
	if (n > TCTL_EXT_INFO_MAX)
		return QSSH_ERR_INVALID_FORMAT;
	qlog_debug("SSH2_MSG_EXT_INFO received");
	for (i = 0; i < n; i++) {
		if ((r = qssh_view_get_string(&v, &name)) != 0 ||
		    (r = qssh_view_get_string(&v, &value)) != 0)
			return r;
		if (qssh_view_eq_str(name, "server-sig-algs")) {
			struct qssh_view tmp = value;
			struct qssh_buf *b;

			/* Re-wrap as a string so the name-list checks run. */
			if ((b = qssh_buf_new()) == NULL)
				return QSSH_ERR_ALLOC;
			if ((r = qssh_buf_put_string(b, value.p, value.len)) ==
			    0) {
				tmp = qssh_buf_view(b);
				r = qssh_view_get_namelist(&tmp, &s);
			}
			qssh_buf_free(b);
			if (r != 0)
				return r;
			free(c->server_sig_algs);
			c->server_sig_algs = s;
			qlog_debug("kex_ext_info_client_parse: server-sig-algs="
				   "<%s>",
			    s);
		} else if ((s = sanitize(name, 64)) != NULL) {
			qlog_debug2("kex_ext_info_client_parse: %s", s);
			free(s);
		}
		s = NULL;
	}
	c->ext_info_received = true;
	return 0;
}

/* Message numbers with a meaning somewhere in the protocol we speak. */
static bool
known_type(uint8_t type)
{
	return (type >= SSH_MSG_DISCONNECT && type <= SSH_MSG_EXT_INFO) ||
	    type == SSH_MSG_KEXINIT || type == SSH_MSG_NEWKEYS ||
	    (type >= SSH_MSG_KEX_FIRST && type <= SSH_MSG_KEX_LAST) ||
	    (type >= SSH_MSG_USERAUTH_REQUEST && type <= 79) ||
	    (type >= SSH_MSG_GLOBAL_REQUEST &&
		type <= SSH_MSG_CHANNEL_FAILURE) ||
	    type == SSH_MSG_PING || type == SSH_MSG_PONG;
}

static bool
is_kex_type(uint8_t type)
{
	return type == SSH_MSG_KEXINIT || type == SSH_MSG_NEWKEYS ||
	    (type >= SSH_MSG_KEX_FIRST && type <= SSH_MSG_KEX_LAST);
}

int
tctl_handle_packet(
    struct tctl *c, uint8_t type, struct qssh_view payload, bool *consumed)
{
	struct qssh_buf *b = NULL;
	struct qssh_view data;
	bool first_kexinit;
	uint32_t seq;
	int r;

	*consumed = true;
	c->fatal_msg[0] = '\0';
	/* A relay's application records are the caller's. */
	if (type == TPORT_MSG_RELAY_APP && tport_is_relay(c->t)) {
		*consumed = false;
		return 0;
	}
	first_kexinit =
	    type == SSH_MSG_KEXINIT && !kex_peer_kexinit_seen(c->kex);
	if (!kex_peer_kexinit_seen(c->kex) && type != SSH_MSG_KEXINIT)
		c->early_packet = true;
	/*
	 * Strict kex: nothing but kex messages until the first kex ends.
	 * tctl_fatal() logs the reason once and sends it in the DISCONNECT.
	 */
	if (kex_is_strict(c->kex) && kex_count(c->kex) == 0 &&
	    !is_kex_type(type) && type != SSH_MSG_DISCONNECT) {
		snprintf(c->fatal_msg, sizeof(c->fatal_msg),
		    "strict KEX violation: unexpected packet type %u "
		    "(seqnr %u)",
		    type, tport_seqnr_in(c->t) - 1);
		qlog_debug("%s", c->fatal_msg);
		return QSSH_ERR_PROTOCOL;
	}
	if (is_kex_type(type)) {
		if ((r = kex_handle_packet(c->kex, type, payload)) != 0)
			return r;
		if (first_kexinit && kex_is_strict(c->kex) && c->early_packet) {
			snprintf(c->fatal_msg, sizeof(c->fatal_msg),
			    "strict KEX violation: KEXINIT was not the first "
			    "packet");
			qlog_debug("%s", c->fatal_msg);
			return QSSH_ERR_PROTOCOL;
		}
		return 0;
	}
	switch (type) {
	case SSH_MSG_DISCONNECT:
		return handle_disconnect(c, payload);
	case SSH_MSG_IGNORE:
		return 0;
	case SSH_MSG_UNIMPLEMENTED:
		if ((r = qssh_view_get_u32(&payload, &seq)) != 0)
			return r;
		qlog_debug("Received SSH2_MSG_UNIMPLEMENTED for %u", seq);
		return 0;
	case SSH_MSG_DEBUG:
		return handle_debug(payload);
	case SSH_MSG_EXT_INFO:
		return handle_ext_info(c, payload);
	case SSH_MSG_PING:
		if ((r = qssh_view_get_string(&payload, &data)) != 0)
			return r;
		/* Not before the first kex: nothing is protected yet. */
		if (!tport_first_kex_done(c->t))
			return 0;
		if ((b = qssh_buf_new()) == NULL)
			return QSSH_ERR_ALLOC;
		if ((r = qssh_buf_put_string(b, data.p, data.len)) == 0)
			r = tport_send_buf(c->t, SSH_MSG_PONG, b);
		qssh_buf_free(b);
		return r;
	case SSH_MSG_PONG:
		return 0;
	default:
		break;
	}
	if (known_type(type)) {
		*consumed = false;
		return 0;
	}
	/* RFC 4253 11.4: the sequence number of the packet we reject. */
	seq = tport_seqnr_in(c->t) - 1;
	qlog_debug("dispatch_protocol_error: type %u seq %u", type, seq);
	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put_u32(b, seq)) == 0)
		r = tport_send_buf(c->t, SSH_MSG_UNIMPLEMENTED, b);
	qssh_buf_free(b);
	return r;
}

int
tctl_next_packet(struct tctl *c, uint8_t *type, struct qssh_view *payload)
{
	bool consumed;
	int r;

	for (;;) {
		if (!kex_in_progress(c->kex) && tport_first_kex_done(c->t) &&
		    tport_rekey_needed(c->t) && (r = kex_start(c->kex)) != 0)
			return r;
		if ((r = tport_read_packet(c->t, type, payload)) != 0) {
			if (r != QSSH_ERR_AGAIN)
				return r;
			/* A relay may have asked for a rekey just now. */
			if (!kex_in_progress(c->kex) &&
			    tport_first_kex_done(c->t) &&
			    tport_rekey_needed(c->t) &&
			    (r = kex_start(c->kex)) != 0)
				return r;
			return QSSH_ERR_AGAIN;
		}
		if ((r = tctl_handle_packet(c, *type, *payload, &consumed)) !=
		    0)
			return r;
		if (!consumed)
			return 0;
	}
}

/* The DISCONNECT reason and text for a QSSH_ERR_* code. */
static uint32_t
err_reason(const struct tctl *c, int err, const char **msgp)
{
	uint32_t reason;
	const char *msg = qssh_strerror(err);

	switch (err) {
	case QSSH_ERR_NO_MATCH:
	case QSSH_ERR_KEX_FAILED:
	case QSSH_ERR_ALG_UNSUPPORTED:
		reason = SSH_DISCONNECT_KEY_EXCHANGE_FAILED;
		if (kex_failure_detail(c->kex) != NULL)
			msg = kex_failure_detail(c->kex);
		break;
	case QSSH_ERR_SIGNATURE_INVALID:
	case QSSH_ERR_HOST_KEY_MISMATCH:
	case QSSH_ERR_KEY_TYPE_MISMATCH:
		reason = SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE;
		break;
	case QSSH_ERR_PROTOCOL:
	case QSSH_ERR_UNEXPECTED_MESSAGE:
	case QSSH_ERR_INVALID_FORMAT:
	case QSSH_ERR_MESSAGE_INCOMPLETE:
	case QSSH_ERR_KEY_INVALID:
		reason = SSH_DISCONNECT_PROTOCOL_ERROR;
		break;
	default:
		reason = tport_disconnect_reason(err);
		break;
	}
	*msgp = msg;
	return reason;
}

int
tctl_disconnect_err(struct tctl *c, int err)
{
	const char *msg;
	uint32_t reason = err_reason(c, err, &msg);

	return tport_send_disconnect(c->t, reason, msg);
}

uint32_t
tctl_fatal(struct tctl *c, int err)
{
	const char *dir, *msg, *detail;
	char peer[160];
	uint32_t reason;
	bool banner;

	dir = kex_get_role(c->kex) == KEX_ROLE_SERVER ? "from" : "to";
	if (c->peer_addr != NULL)
		snprintf(peer, sizeof(peer), "%s port %d", c->peer_addr,
		    c->peer_port);
	else
		peer[0] = '\0';
	switch (err) {
	case QSSH_ERR_DISCONNECTED:
		/* handle_disconnect() logged it; nothing may follow. */
		return 0;
	case QSSH_ERR_CONN_CLOSED:
	case QSSH_ERR_EOF:
		qlog_info("Connection closed%s%s",
		    peer[0] != '\0' ? " by " : "", peer);
		return 0;
	case QSSH_ERR_SYSTEM:
		if (peer[0] != '\0')
			qlog_info("Connection %s %s: %s", dir, peer,
			    qssh_strerror(err));
		else
			qlog_info("Connection: %s", qssh_strerror(err));
		return 0;
	default:
		break;
	}
	reason = err_reason(c, err, &msg);
	detail = kex_failure_detail(c->kex);
	banner = tport_remote_version(c->t)[0] == '\0';
	if (err == QSSH_ERR_NO_MATCH && detail != NULL) {
		/* kex_negotiated() logs it when it knows the peer. */
		if (c->peer_addr == NULL)
			qlog_info("Unable to negotiate: %s", detail);
	} else if (err == QSSH_ERR_PROTOCOL && c->fatal_msg[0] != '\0' &&
	    !banner) {
		reason = SSH_DISCONNECT_PROTOCOL_ERROR;
		msg = c->fatal_msg;
		qlog_info("Disconnecting%s%s: %s", peer[0] != '\0' ? " " : "",
		    peer, msg);
	} else {
		if (banner)
			reason = SSH_DISCONNECT_PROTOCOL_VERSION_NOT_SUPPORTED;
		if (peer[0] != '\0')
			qlog_info("%s: Connection %s %s: %s",
			    banner ? "banner exchange"
				   : "ssh_dispatch_run_fatal",
			    dir, peer, qssh_strerror(err));
		else
			qlog_info("%s: %s",
			    banner ? "banner exchange"
				   : "ssh_dispatch_run_fatal",
			    qssh_strerror(err));
	}
	if (tport_send_disconnect(c->t, reason, msg) != 0)
		return 0;
	return reason;
}

int
tctl_rekey(struct tctl *c)
{
	if (kex_in_progress(c->kex))
		return 0;
	return kex_start(c->kex);
}

static int
send_service(struct tctl *c, uint8_t type, const char *service)
{
	struct qssh_buf *b;
	int r;

	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put_cstring(b, service)) == 0)
		r = tport_send_buf(c->t, type, b);
	qssh_buf_free(b);
	return r;
}

int
tctl_send_service_request(struct tctl *c, const char *service)
{
	return send_service(c, SSH_MSG_SERVICE_REQUEST, service);
}

int
tctl_send_service_accept(struct tctl *c, const char *service)
{
	return send_service(c, SSH_MSG_SERVICE_ACCEPT, service);
}

int
tctl_parse_service(struct qssh_view payload, char **service)
{
	return qssh_view_get_cstring(&payload, service);
}
