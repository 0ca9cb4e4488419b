/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Relay records (relay.h) and the control process's relay tport: the same
 * API as a network tport, with records in place of packets on the wire.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "dataplane/relay.h"
#include "transport_priv.h"

int
relay_next(
    struct qssh_view v, uint8_t *type, struct qssh_view *body, size_t *total)
{
	uint32_t len;

	if (v.len < 4)
		return QSSH_ERR_AGAIN;
	len = qssh_get_u32be(v.p);
	if (len == 0 || len > RELAY_RECORD_MAX + 1)
		return QSSH_ERR_PROTOCOL;
	if (v.len - 4 < len)
		return QSSH_ERR_AGAIN;
	*type = v.p[4];
	*body = qssh_view_make(v.p + 5, len - 1);
	*total = 4 + (size_t)len;
	return 0;
}

int
relay_put_header(struct qssh_buf *b, uint8_t type, size_t len)
{
	int r;

	if (len > RELAY_RECORD_MAX)
		return QSSH_ERR_PACKET_TOO_LARGE;
	if ((r = qssh_buf_put_u32(b, (uint32_t)len + 1)) != 0)
		return r;
	return qssh_buf_put_u8(b, type);
}

int
relay_put_keys(struct qssh_buf *b, const struct tport_keys *k)
{
	const struct cryp_mac_info *mac;
	int r;

	if (k == NULL || k->cipher == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	mac = k->cipher->aead ? NULL : k->mac;
	if ((r = qssh_buf_put_cstring(b, k->cipher->name)) != 0 ||
	    (r = qssh_buf_put_cstring(b, mac != NULL ? mac->name : "")) != 0 ||
	    (r = qssh_buf_put_u8(b, (uint8_t)k->comp)) != 0 ||
	    (r = qssh_buf_put(b, k->key, sizeof(k->key))) != 0 ||
	    (r = qssh_buf_put(b, k->iv, sizeof(k->iv))) != 0 ||
	    (r = qssh_buf_put(b, k->mac_key, sizeof(k->mac_key))) != 0)
		return r;
	return 0;
}

/* A NUL-terminated copy of a name field into a fixed buffer. */
static int
get_name(struct qssh_view *v, char *out, size_t cap)
{
	struct qssh_view s;
	int r;

	if ((r = qssh_view_get_string(v, &s)) != 0)
		return r;
	if (s.len >= cap || memchr(s.p, '\0', s.len) != NULL)
		return QSSH_ERR_INVALID_FORMAT;
	memcpy(out, s.p, s.len);
	out[s.len] = '\0';
	return 0;
}

int
relay_get_keys(struct qssh_view body, struct tport_keys *k)
{
	char cname[64], mname[64];
	struct qssh_view key, iv, mk;
	uint8_t comp;
	int r;

	memset(k, 0, sizeof(*k));
	if ((r = get_name(&body, cname, sizeof(cname))) != 0 ||
	    (r = get_name(&body, mname, sizeof(mname))) != 0 ||
	    (r = qssh_view_get_u8(&body, &comp)) != 0 ||
	    (r = qssh_view_get_bytes(&body, sizeof(k->key), &key)) != 0 ||
	    (r = qssh_view_get_bytes(&body, sizeof(k->iv), &iv)) != 0 ||
	    (r = qssh_view_get_bytes(&body, sizeof(k->mac_key), &mk)) != 0)
		return QSSH_ERR_INVALID_FORMAT;
	if (body.len != 0 || comp > TPORT_COMP_ZLIB_DELAYED)
		return QSSH_ERR_INVALID_FORMAT;
	if ((k->cipher = cryp_cipher_by_name(cname)) == NULL)
		return QSSH_ERR_INVALID_FORMAT;
	if (mname[0] != '\0' && (k->mac = cryp_mac_by_name(mname)) == NULL)
		return QSSH_ERR_INVALID_FORMAT;
	if (!k->cipher->aead && k->mac == NULL &&
	    k->cipher->id != CRYP_CIPHER_NONE)
		return QSSH_ERR_INVALID_FORMAT;
	k->comp = (enum tport_comp)comp;
	memcpy(k->key, key.p, key.len);
	memcpy(k->iv, iv.p, iv.len);
	memcpy(k->mac_key, mk.p, mk.len);
	return 0;
}

/* ---- the relay tport ---- */

struct tport *
tport_new_relay(bool is_server)
{
	struct tport *t;

	if ((t = tport_new(is_server, CRYP_BACKEND_OPENSSL)) == NULL)
		return NULL;
	t->relay = true;
	t->in.max = 2 * (4 + 1 + (size_t)RELAY_RECORD_MAX);
	return t;
}

bool
tport_is_relay(const struct tport *t)
{
	return t->relay;
}

/* Append one record whose body is hdr (hlen bytes) then data (len). */
static int
put_record(struct tport *t, uint8_t type, const void *hdr, size_t hlen,
    const void *data, size_t len)
{
	uint8_t *p;
	size_t blen = hlen + len;
	int r;

	if (t->out_err != 0)
		return t->out_err;
	if (blen > RELAY_RECORD_MAX)
		return QSSH_ERR_PACKET_TOO_LARGE;
	if ((r = tport_fifo_reserve(&t->out, 5 + blen, &p)) != 0) {
		t->out_err = r;
		return r;
	}
	qssh_put_u32be(p, (uint32_t)blen + 1);
	p[4] = type;
	if (hlen > 0)
		memcpy(p + 5, hdr, hlen);
	if (len > 0)
		memcpy(p + 5 + hlen, data, len);
	return 0;
}

int
tport_relay_packet(
    struct tport *t, uint8_t type, const void *payload, size_t len)
{
	int r;

	if ((r = put_record(t, RELAY_PACKET, &type, 1, payload, len)) != 0)
		return r;
	t->tx.st_packets++;
	t->tx.st_payload += 1 + len;
	t->tx.seqnr++;
	return 0;
}

int
tport_relay_send_app(struct tport *t, const void *body, size_t len)
{
	if (!t->relay || len == 0)
		return QSSH_ERR_INVALID_ARGUMENT;
	return put_record(t, RELAY_APP, NULL, 0, body, len);
}

int
tport_relay_simple(struct tport *t, uint8_t type, const void *body, size_t len)
{
	return put_record(t, type, NULL, 0, body, len);
}

int
tport_relay_keys(struct tport *t, bool out, const struct tport_keys *k)
{
	struct qssh_buf *b;
	struct tport_dir *d = out ? &t->tx : &t->rx;
	int r;

	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = relay_put_keys(b, k)) == 0)
		r = put_record(t, out ? RELAY_KEYS_OUT : RELAY_KEYS_IN,
		    qssh_buf_ptr(b), qssh_buf_len(b), NULL, 0);
	qssh_buf_free(b);
	if (r != 0)
		return r;
	d->keyed = true;
	d->cipher_id = k->cipher->id;
	d->comp = k->comp;
	if (t->strict_kex)
		d->seqnr = 0;
	if (out) {
		t->kex_out = false;
		t->relay_rekey = false;
	}
	return 0;
}

int
tport_relay_version(struct tport *t, const char *ident)
{
	struct qssh_buf *b;
	size_t len;
	int r;

	if (ident == NULL || t->version_sent)
		return QSSH_ERR_INVALID_ARGUMENT;
	len = strlen(ident);
	if (len > TPORT_VERSION_MAX - 2 || strncmp(ident, "SSH-2.0-", 8) != 0 ||
	    len == 8 || strpbrk(ident, "\r\n") != NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put_cstring(b, ident)) == 0)
		r = put_record(t, RELAY_VERSION, qssh_buf_ptr(b),
		    qssh_buf_len(b), NULL, 0);
	qssh_buf_free(b);
	if (r != 0)
		return r;
	memcpy(t->local_version, ident, len + 1);
	t->version_sent = true;
	return 0;
}

/*
 * The next record from the dataplane, consumed: QSSH_ERR_AGAIN when none
 * is whole yet.  RELAY_ERROR becomes the sticky input error.
 */
static int
next_record(struct tport *t, uint8_t *type, struct qssh_view *body)
{
	struct qssh_view v;
	uint32_t err;
	size_t total;
	int r;

	if (t->in_err != 0)
		return t->in_err;
	v = qssh_view_make(tport_fifo_ptr(&t->in), tport_fifo_len(&t->in));
	if ((r = relay_next(v, type, body, &total)) != 0) {
		if (r != QSSH_ERR_AGAIN)
			t->in_err = r;
		return r;
	}
	tport_fifo_consume(&t->in, total);
	if (*type == RELAY_ERROR) {
		if (qssh_view_get_u32(body, &err) != 0 || body->len != 0 ||
		    err == 0 || (int)err > 0 ||
		    strcmp(qssh_errname((int)err), "QSSH_ERR_?") == 0)
			t->in_err = QSSH_ERR_PROTOCOL;
		else
			t->in_err = (int)err;
		return t->in_err;
	}
	return 0;
}

int
tport_relay_read_version(struct tport *t, const char **ident)
{
	struct qssh_view body, s;
	uint8_t type;
	int r;

	if ((r = next_record(t, &type, &body)) != 0)
		return r;
	/* The dataplane checked the line; it still must fit and be one. */
	if (type != RELAY_VERSION || qssh_view_get_string(&body, &s) != 0 ||
	    body.len != 0 || s.len == 0 || s.len > TPORT_VERSION_MAX ||
	    memchr(s.p, '\0', s.len) != NULL ||
	    memchr(s.p, '\r', s.len) != NULL ||
	    memchr(s.p, '\n', s.len) != NULL) {
		t->in_err = QSSH_ERR_PROTOCOL;
		return t->in_err;
	}
	memcpy(t->remote_version, s.p, s.len);
	t->remote_version[s.len] = '\0';
	t->version_read = true;
	if (ident != NULL)
		*ident = t->remote_version;
	return 0;
}

int
tport_relay_read(struct tport *t, uint8_t *type, struct qssh_view *payload)
{
	struct qssh_view body;
	uint32_t seqnr;
	uint8_t rtype;
	int r;

	for (;;) {
		if ((r = next_record(t, &rtype, &body)) != 0)
			return r;
		switch (rtype) {
		case RELAY_PACKET:
			if (qssh_view_get_u32(&body, &seqnr) != 0 ||
			    qssh_view_get_u8(&body, type) != 0 ||
			    *type == TPORT_MSG_RELAY_APP)
				break;
			t->rx.seqnr = seqnr + 1;
			t->rx.st_packets++;
			t->rx.st_payload += 1 + body.len;
			*payload = body;
			return 0;
		case RELAY_REKEY:
			t->relay_rekey = true;
			continue;
		case RELAY_APP:
			if (body.len == 0)
				break;
			*type = TPORT_MSG_RELAY_APP;
			*payload = body;
			return 0;
		default:
			break;
		}
		t->in_err = QSSH_ERR_PROTOCOL;
		return t->in_err;
	}
}
