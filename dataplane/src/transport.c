/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SSH-2 binary packet protocol (RFC 4253 section 6):
 *
 *   uint32  packet_length   (not counting itself or the MAC)
 *   byte    padding_length
 *   byte[]  payload         (message type first; compressed if negotiated)
 *   byte[]  random padding  (4..255 bytes)
 *   byte[]  MAC or AEAD tag
 *
 * Packets are built and protected in place in the output queue and checked
 * and decrypted in place in the input queue; the crypto itself is done by
 * crypto-offload, one session per direction, inline or (after
 * tport_attach_workers()) on the worker engine: transport_wq.c.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "dataplane/relay.h"
#include "transport_priv.h"

/* Output queue cap: plenty of whole packets, but not unbounded. */
#define TPORT_OUTPUT_MAX (64UL * 1024 * 1024)
#define TPORT_FIFO_MIN 4096

/*
 * RFC 4344 3.1 requires a rekey after 2^32 packets under one key; like
 * OpenSSH we ask for it from 2^31 on, which also keeps the 32-bit sequence
 * number from wrapping under one key when strict kex is off.
 */
#define TPORT_REKEY_PACKETS (1ULL << 31)

/* ---- byte queue ---- */

int
tport_fifo_reserve(struct tport_fifo *f, size_t len, uint8_t **dst)
{
	size_t used = f->end - f->off, nalloc;
	uint8_t *n;

	*dst = NULL;
	if (len > f->max || used > f->max - len)
		return QSSH_ERR_NO_BUFFER_SPACE;
	if (len > f->alloc - f->end) {
		if (len <= f->alloc - used) {
			/* Enough room once the consumed front is dropped. */
			memmove(f->d, f->d + f->off, used);
			f->off = 0;
			f->end = used;
		} else {
			nalloc = f->alloc < TPORT_FIFO_MIN ? TPORT_FIFO_MIN
							   : f->alloc;
			if (nalloc < f->min_alloc)
				nalloc = f->min_alloc;
			while (nalloc - used < len)
				nalloc *= 2;
			if ((n = malloc(nalloc)) == NULL)
				return QSSH_ERR_ALLOC;
			if (used > 0)
				memcpy(n, f->d + f->off, used);
			qssh_wipe(f->d, f->dirty);
			free(f->d);
			f->d = n;
			f->alloc = nalloc;
			f->off = 0;
			f->end = used;
			f->dirty = used;
		}
	}
	*dst = f->d + f->end;
	f->end += len;
	if (f->end > f->dirty)
		f->dirty = f->end;
	return 0;
}

void
tport_fifo_unreserve(struct tport_fifo *f, size_t len)
{
	if (len > f->end - f->off)
		len = f->end - f->off;
	f->end -= len;
}

void
tport_fifo_consume(struct tport_fifo *f, size_t len)
{
	if (len > f->end - f->off)
		len = f->end - f->off;
	f->off += len;
	/* The bytes stay where they are: views into them remain valid. */
	if (f->off == f->end)
		f->off = f->end = 0;
}

void
tport_fifo_cleanup(struct tport_fifo *f)
{
	/* Only what ever held data: the rest was never even touched. */
	if (f->d != NULL)
		qssh_wipe(f->d, f->dirty);
	free(f->d);
	f->d = NULL;
	f->off = f->end = f->alloc = f->dirty = 0;
}

/* ---- setup ---- */

static void
dir_init(struct tport_dir *d)
{
	memset(d, 0, sizeof(*d));
	d->block_len = 8;
	d->first_len = 4;
}

static void
dir_cleanup(struct tport_dir *d)
{
	free(d->wq.s);
	cryp_session_free(d->peek_sess);
	cryp_session_free(d->sess);
	tport_z_free(d->z);
	qssh_wipe(d, sizeof(*d));
}

struct tport *
tport_new(bool is_server, enum cryp_backend_id backend)
{
	struct tport *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->is_server = is_server;
	t->backend = backend;
	t->in.max = TPORT_INPUT_MAX;
	t->out.max = TPORT_OUTPUT_MAX;
	dir_init(&t->rx);
	dir_init(&t->tx);
	if ((t->hold = qssh_buf_new()) == NULL ||
	    qssh_buf_set_max(t->hold, TPORT_HOLD_MAX) != 0) {
		qssh_buf_free(t->hold);
		free(t);
		return NULL;
	}
	return t;
}

void
tport_free(struct tport *t)
{
	if (t == NULL)
		return;
	/* Operations on the workers point into t: wait for them. */
	tport_wq_detach(t);
	dir_cleanup(&t->rx);
	dir_cleanup(&t->tx);
	tport_fifo_cleanup(&t->in);
	tport_fifo_cleanup(&t->out);
	qssh_buf_free(t->hold);
	qssh_wipe_free(t->zin, t->zin_len);
	qssh_wipe_free(t->zout, t->zout_len);
	qssh_wipe(t, sizeof(*t));
	free(t);
}

/* ---- rekey accounting ---- */

/*
 * Blocks one key may protect.  RFC 4344 3.2: for a block cipher with L-bit
 * blocks, rekey after 2^(L/4) blocks, so 2^32 blocks for AES (L = 128).
 * chacha20-poly1305 and "none" have no real block (8 is only the padding
 * multiple); for them RFC 4253 section 9's advice, rekey after each
 * gigabyte, applies.  ssh_config(5) describes the resulting default as
 * "between 1G and 4G, depending on the cipher"; a configured RekeyLimit
 * (tport_set_rekey_limits) can only lower it.
 */
static uint64_t
dir_max_blocks(const struct tport *t, const struct tport_dir *d)
{
	uint64_t max, bits;

	if (d->block_len >= 16) {
		bits = (uint64_t)d->block_len * 8 / 4;
		max = 1ULL << (bits > 62 ? 62 : bits);
	} else
		max = (1ULL << 30) / d->block_len;
	if (t->rekey_bytes != 0 && t->rekey_bytes / d->block_len < max)
		max = t->rekey_bytes / d->block_len;
	return max == 0 ? 1 : max;
}

static void
dir_account(struct tport_dir *d, size_t wire_len, uint32_t pkt_len)
{
	d->bytes += wire_len;
	d->blocks += (pkt_len + d->block_len - 1) / d->block_len;
	d->packets++;
	d->st_packets++;
}

void
tport_set_rekey_limits(struct tport *t, uint64_t bytes, uint32_t seconds)
{
	uint8_t rec[12];

	if (t->relay) {
		qssh_put_u64be(rec, bytes);
		qssh_put_u32be(rec + 8, seconds);
		if (tport_relay_simple(
			t, RELAY_REKEY_LIMITS, rec, sizeof(rec)) != 0)
			return;
	}
	t->rekey_bytes = bytes;
	t->rekey_seconds = seconds;
	t->rx.max_blocks = dir_max_blocks(t, &t->rx);
	t->tx.max_blocks = dir_max_blocks(t, &t->tx);
}

static bool
dir_limit_reached(
    const struct tport *t, const struct tport_dir *d, uint64_t now)
{
	if (!d->keyed)
		return false;
	if (d->blocks >= d->max_blocks || d->packets >= TPORT_REKEY_PACKETS)
		return true;
	return t->rekey_seconds != 0 &&
	    now - d->keys_time_ms >= (uint64_t)t->rekey_seconds * 1000;
}

bool
tport_rekey_needed(const struct tport *t)
{
	uint64_t now;

	if (t->relay)
		return t->relay_rekey;
	if (!t->rx.keyed && !t->tx.keyed)
		return false;
	now = t->rekey_seconds != 0 ? qssh_monotime_ms() : 0;
	return dir_limit_reached(t, &t->rx, now) ||
	    dir_limit_reached(t, &t->tx, now);
}

/* ---- keys ---- */

/*
 * The backend of a direction's session: the transport's, or, for an
 * algorithm it does not do (chacha20-poly1305 on cryptodev), a CPU backend
 * that does; such a session's crypto then runs on the calling thread
 * (tport_wq_bind() leaves it alone), since the workers' queue pairs are the
 * transport's backend's.
 */
static enum cryp_backend_id
session_backend(const struct tport *t, const struct cryp_cipher_info *ci,
    const struct cryp_mac_info *mi)
{
	enum cryp_mac_id mac = mi != NULL ? mi->id : CRYP_MAC_NONE;
	enum cryp_backend_id be = t->backend;

	if (cryp_backend_supports(be, ci->id, mac))
		return be;
	if (cryp_backend_available(CRYP_BACKEND_IPSECMB) &&
	    cryp_backend_supports(CRYP_BACKEND_IPSECMB, ci->id, mac))
		be = CRYP_BACKEND_IPSECMB;
	else
		be = CRYP_BACKEND_OPENSSL;
	qlog_debug("transport: %s is not on the %s backend: %s, inline",
	    ci->name, cryp_backend_name(t->backend), cryp_backend_name(be));
	return be;
}

static int
dir_set_keys(struct tport *t, struct tport_dir *d, const struct tport_keys *k,
    bool encrypt)
{
	struct cryp_session_params p;
	struct cryp_session *s = NULL, *peek = NULL;
	const struct cryp_mac_info *mac;
	uint32_t tag_len = 0, first_len = 4;
	enum cryp_backend_id be;
	bool comp_on;
	int r = QSSH_ERR_INTERNAL;

	if (k == NULL || k->cipher == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	mac = k->cipher->aead ? NULL : k->mac;
	if (k->cipher->id != CRYP_CIPHER_NONE || mac != NULL) {
		be = session_backend(t, k->cipher, mac);
		memset(&p, 0, sizeof(p));
		p.cipher = k->cipher;
		p.mac = mac;
		p.key = k->key;
		p.iv = k->iv;
		p.mac_key = k->mac_key;
		p.encrypt = encrypt;
		if ((s = cryp_session_new(be, &p, &r)) == NULL) {
			if (r == 0)
				r = QSSH_ERR_INTERNAL;
			goto out;
		}
		/*
		 * On the workers the session is busy while the next lengths
		 * are read: chacha20-poly1305 reads them with a twin.
		 */
		if (!encrypt && t->wport != NULL &&
		    k->cipher->id == CRYP_CIPHER_CHACHA20_POLY1305 &&
		    (peek = cryp_session_new(be, &p, &r)) == NULL) {
			if (r == 0)
				r = QSSH_ERR_INTERNAL;
			goto out;
		}
		tag_len = cryp_session_tag_len(s);
		first_len = cryp_session_first_len(s);
		if (tag_len > TPORT_TAG_MAX || first_len < 4 ||
		    first_len > 64) {
			r = QSSH_ERR_INTERNAL;
			goto out;
		}
	}
	comp_on = k->comp == TPORT_COMP_ZLIB ||
	    (k->comp == TPORT_COMP_ZLIB_DELAYED && t->authenticated);
	if (comp_on && (r = tport_z_start(d, encrypt)) != 0)
		goto out;

	cryp_session_free(d->sess);
	d->sess = s;
	s = NULL;
	cryp_session_free(d->peek_sess);
	d->peek_sess = peek;
	peek = NULL;
	d->cipher_id = k->cipher->id;
	d->block_len = k->cipher->block_len > 8 ? k->cipher->block_len : 8;
	d->tag_len = tag_len;
	d->first_len = first_len;
	d->len_excluded = k->cipher->aead || (mac != NULL && mac->etm);
	if (t->strict_kex)
		d->seqnr = 0;
	d->blocks = d->packets = d->bytes = 0;
	d->keys_time_ms = qssh_monotime_ms();
	d->comp = k->comp;
	d->comp_on = comp_on;
	d->keyed = true;
	d->max_blocks = dir_max_blocks(t, d);
	if (qssh_log_enabled(QSSH_LOG_DEBUG3))
		qlog_debug3("transport: %s keys %s%s%s%s",
		    encrypt ? "out" : "in", k->cipher->name,
		    mac != NULL ? " " : "", mac != NULL ? mac->name : "",
		    comp_on ? " zlib" : "");
	r = 0;
out:
	cryp_session_free(s);
	cryp_session_free(peek);
	return r;
}

static int send_now(struct tport *t, uint8_t type, const void *a, size_t alen,
    const void *b, size_t blen);

static int
release_held(struct tport *t)
{
	struct qssh_view v = qssh_buf_view(t->hold), body;
	uint32_t len;
	uint8_t type;
	int r = 0;

	while (v.len > 0) {
		if ((r = qssh_view_get_u8(&v, &type)) != 0 ||
		    (r = qssh_view_get_u32(&v, &len)) != 0 ||
		    (r = qssh_view_get_bytes(&v, len, &body)) != 0 ||
		    (r = send_now(t, type, body.p, body.len, NULL, 0)) != 0)
			break;
	}
	qssh_buf_reset(t->hold);
	return r;
}

int
tport_set_keys_out(struct tport *t, const struct tport_keys *keys)
{
	int r;

	if (t->out_err != 0)
		return t->out_err;
	if (t->relay)
		return tport_relay_keys(t, true, keys);
	/* Packets under the old keys finish first. */
	if ((r = tport_wq_unbind(t, &t->tx)) != 0)
		return r;
	r = dir_set_keys(t, &t->tx, keys, true);
	if (tport_wq_bind(t, &t->tx) != 0 && r == 0)
		r = QSSH_ERR_INTERNAL;
	if (r != 0)
		return r;
	t->kex_out = false;
	if ((r = release_held(t)) != 0)
		t->out_err = r;
	return r;
}

int
tport_set_keys_in(struct tport *t, const struct tport_keys *keys)
{
	int r;

	if (t->relay)
		return tport_relay_keys(t, false, keys);
	if ((r = tport_wq_unbind(t, &t->rx)) != 0)
		return r;
	r = dir_set_keys(t, &t->rx, keys, false);
	if (tport_wq_bind(t, &t->rx) != 0 && r == 0)
		r = QSSH_ERR_INTERNAL;
	if (r != 0)
		return r;
	t->have_len = false;
	t->rx_serial = false;
	return 0;
}

void
tport_set_strict_kex(struct tport *t, bool strict)
{
	uint8_t b = strict ? 1 : 0;

	t->strict_kex = strict;
	if (t->relay)
		(void)tport_relay_simple(t, RELAY_STRICT_KEX, &b, 1);
}

bool
tport_first_kex_done(const struct tport *t)
{
	return t->rx.keyed && t->tx.keyed;
}

void
tport_kex_started(struct tport *t)
{
	if (t->relay) {
		(void)tport_relay_simple(t, RELAY_KEX_STARTED, NULL, 0);
		return;
	}
	t->kex_out = true;
	t->rx_serial = true;
}

bool
tport_kex_holding(const struct tport *t)
{
	return t->kex_out;
}

static int
dir_auth_done(struct tport_dir *d, bool deflate_dir)
{
	int r;

	if (!d->keyed || d->comp != TPORT_COMP_ZLIB_DELAYED || d->comp_on)
		return 0;
	if ((r = tport_z_start(d, deflate_dir)) != 0)
		return r;
	d->comp_on = true;
	return 0;
}

void
tport_auth_done(struct tport *t)
{
	int r;

	t->authenticated = true;
	if (t->relay) {
		(void)tport_relay_simple(t, RELAY_AUTH_DONE, NULL, 0);
		return;
	}
	if ((r = dir_auth_done(&t->tx, true)) != 0 && t->out_err == 0)
		t->out_err = r;
	if ((r = dir_auth_done(&t->rx, false)) != 0 && t->in_err == 0)
		t->in_err = r;
}

uint32_t
tport_seqnr_in(const struct tport *t)
{
	return t->rx.seqnr;
}

uint32_t
tport_seqnr_out(const struct tport *t)
{
	return t->tx.seqnr;
}

/* The sequence number after a packet; wrapping in strict kex is fatal. */
int
tport_seqnr_advance(const struct tport *t, struct tport_dir *d)
{
	if (++d->seqnr == 0 && t->strict_kex && !tport_first_kex_done(t))
		return QSSH_ERR_PROTOCOL;
	return 0;
}

/* ---- output ---- */

static int
pad_fill(struct tport *t, uint8_t *dst, size_t n)
{
	int r;

	if (n > t->pad_left) {
		if ((r = qssh_random_bytes(t->pad_pool, sizeof(t->pad_pool))) !=
		    0)
			return r;
		t->pad_left = sizeof(t->pad_pool);
	}
	memcpy(dst, t->pad_pool + (sizeof(t->pad_pool) - t->pad_left), n);
	t->pad_left -= n;
	return 0;
}

/* A relay record of a packet given in two parts. */
static int
relay_send_parts(struct tport *t, uint8_t type, const void *a, size_t alen,
    const void *b, size_t blen)
{
	struct qssh_buf *cat;
	int r;

	if (blen == 0)
		return tport_relay_packet(t, type, a, alen);
	if ((cat = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put(cat, a, alen)) == 0 &&
	    (r = qssh_buf_put(cat, b, blen)) == 0)
		r = tport_relay_packet(
		    t, type, qssh_buf_ptr(cat), qssh_buf_len(cat));
	qssh_buf_free(cat);
	return r;
}

/* Frame, number and protect one packet whose payload is a || b. */
static int
send_now(struct tport *t, uint8_t type, const void *a, size_t alen,
    const void *b, size_t blen)
{
	struct tport_dir *d = &t->tx;
	struct cryp_op op;
	size_t body_len, base, pad, plen, total = 0, len = alen + blen;
	uint8_t *p = NULL;
	int r;

	if (t->relay)
		return relay_send_parts(t, type, a, alen, b, blen);
	if (t->out_err != 0)
		return t->out_err;
	if (alen > TPORT_PACKET_MAX || blen > TPORT_PACKET_MAX ||
	    len > TPORT_PACKET_MAX)
		return QSSH_ERR_PACKET_TOO_LARGE;
	if (d->comp_on) {
		if ((r = tport_z_deflate(
			 t, type, a, alen, b, blen, &body_len)) != 0)
			goto fail;
	} else
		body_len = len + 1;
	base = (d->len_excluded ? 0 : 4) + 1 + body_len;
	pad = d->block_len - base % d->block_len;
	if (pad < 4)
		pad += d->block_len;
	if (body_len > TPORT_PACKET_MAX - 1 - pad) {
		r = QSSH_ERR_PACKET_TOO_LARGE;
		/* The deflate stream already took the payload. */
		if (d->comp_on)
			goto fail;
		return r;
	}
	plen = 1 + body_len + pad;
	total = 4 + plen + d->tag_len;
	/* A slot for it, and no queued bytes move under the workers. */
	if (d->wq.on && (r = tport_wq_tx_room(t, total)) != 0)
		goto fail;
	if ((r = tport_fifo_reserve(&t->out, total, &p)) != 0)
		goto fail;
	qssh_put_u32be(p, (uint32_t)plen);
	p[4] = (uint8_t)pad;
	if (d->comp_on)
		memcpy(p + 5, t->zout, body_len);
	else {
		p[5] = type;
		if (alen > 0)
			memcpy(p + 6, a, alen);
		if (blen > 0)
			memcpy(p + 6 + alen, b, blen);
	}
	if ((r = pad_fill(t, p + 5 + body_len, pad)) != 0)
		goto fail;
	if (d->wq.on) {
		/* Numbered now, in order; encrypted on the workers. */
		if ((r = tport_seqnr_advance(t, d)) != 0)
			goto fail;
		tport_wq_tx_add(
		    t, p, (uint32_t)plen, (uint32_t)total, d->seqnr - 1);
	} else if (d->sess != NULL) {
		memset(&op, 0, sizeof(op));
		op.sess = d->sess;
		op.pkt = p;
		op.pkt_len = (uint32_t)(4 + plen);
		op.tag = p + 4 + plen;
		op.seqnr = d->seqnr;
		if ((r = cryp_op_process(&op)) != 0 || (r = op.status) != 0)
			goto fail;
	}
	if (!d->wq.on && (r = tport_seqnr_advance(t, d)) != 0)
		goto fail;
	dir_account(d, total, (uint32_t)(4 + plen));
	d->st_bytes += total;
	d->st_payload += len + 1;
	if (qssh_log_enabled(QSSH_LOG_DEBUG3))
		qlog_debug3("transport: sent type %u len %zu seqnr %u", type,
		    len + 1, d->seqnr - 1);
	return 0;
fail:
	/* The stream or the queue is now inconsistent: fatal. */
	if (p != NULL)
		tport_fifo_unreserve(&t->out, total);
	t->out_err = r;
	return r;
}

int
tport_send2(struct tport *t, uint8_t type, const void *a, size_t alen,
    const void *b, size_t blen)
{
	int r;

	if (t->disconnected)
		return QSSH_ERR_CONN_CLOSED;
	if ((alen > 0 && a == NULL) || (blen > 0 && b == NULL))
		return QSSH_ERR_INVALID_ARGUMENT;
	if (alen > TPORT_PACKET_MAX || blen > TPORT_PACKET_MAX ||
	    alen + blen > TPORT_PACKET_MAX)
		return QSSH_ERR_PACKET_TOO_LARGE;
	/* From our KEXINIT on, the peer may send NEWKEYS. */
	if (type == SSH_MSG_KEXINIT)
		t->rx_serial = true;
	/* During kex only transport and kex messages (1..49) go out. */
	if (t->kex_out &&
	    (type < SSH_MSG_DISCONNECT || type > SSH_MSG_KEX_LAST)) {
		if ((r = qssh_buf_put_u8(t->hold, type)) != 0 ||
		    (r = qssh_buf_put_u32(t->hold, (uint32_t)(alen + blen))) !=
			0 ||
		    (r = qssh_buf_put(t->hold, a, alen)) != 0 ||
		    (r = qssh_buf_put(t->hold, b, blen)) != 0)
			return r;
		return 0;
	}
	return send_now(t, type, a, alen, b, blen);
}

int
tport_send(struct tport *t, uint8_t type, const void *payload, size_t len)
{
	return tport_send2(t, type, payload, len, NULL, 0);
}

int
tport_send_buf(struct tport *t, uint8_t type, const struct qssh_buf *b)
{
	return tport_send(t, type, qssh_buf_ptr(b), qssh_buf_len(b));
}

int
tport_send_disconnect(struct tport *t, uint32_t reason, const char *msg)
{
	struct qssh_buf *b = NULL;
	int r;

	if (t->disconnected)
		return QSSH_ERR_CONN_CLOSED;
	if ((b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_u32(b, reason)) != 0 ||
	    (r = qssh_buf_put_cstring(b, msg != NULL ? msg : "")) != 0 ||
	    (r = qssh_buf_put_cstring(b, "")) != 0)
		goto out;
	if ((r = send_now(t, SSH_MSG_DISCONNECT, qssh_buf_ptr(b),
		 qssh_buf_len(b), NULL, 0)) != 0)
		goto out;
	t->disconnected = true;
	r = 0;
out:
	qssh_buf_free(b);
	return r;
}

/*
 * The output queue ends with the packets whose crypto is still on the
 * workers (none without them): only the bytes before those are shown.
 */
size_t
tport_output_len(const struct tport *t)
{
	return tport_fifo_len(&t->out) - t->tx.wq.bytes;
}

struct qssh_view
tport_output(const struct tport *t)
{
	return qssh_view_make(tport_fifo_ptr(&t->out), tport_output_len(t));
}

int
tport_output_consume(struct tport *t, size_t len)
{
	if (len > tport_output_len(t))
		return QSSH_ERR_INVALID_ARGUMENT;
	/* Relay records carry keys in the clear: wipe what was written. */
	if (t->relay)
		qssh_wipe(tport_fifo_ptr(&t->out), len);
	tport_fifo_consume(&t->out, len);
	return 0;
}

/* ---- input ---- */

int
tport_input_reserve(struct tport *t, size_t len, uint8_t **dst)
{
	int r;

	*dst = NULL;
	if (len == 0)
		return QSSH_ERR_INVALID_ARGUMENT;
	/*
	 * More than tport_input_room(): refused whole, before waiting for
	 * the workers below (the caller reads less and comes back).
	 */
	if (len > tport_input_room(t))
		return QSSH_ERR_NO_BUFFER_SPACE;
	/* Packets being decrypted in place must not move. */
	if (tport_fifo_would_move(&t->in, len) &&
	    (r = tport_wq_settle(t, &t->rx)) != 0)
		return r;
	return tport_fifo_reserve(&t->in, len, dst);
}

void
tport_input_commit(struct tport *t, size_t reserved, size_t len)
{
	if (len > reserved)
		len = reserved;
	tport_fifo_unreserve(&t->in, reserved - len);
	if (len == 0)
		return;
	t->rx.st_bytes += len;
	/* Whole packets go to the workers as they arrive. */
	if (t->rx.wq.on)
		tport_wq_rx_scan(t);
}

int
tport_input(struct tport *t, const void *data, size_t len)
{
	uint8_t *p;
	int r;

	if (len == 0)
		return 0;
	if (data == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((r = tport_input_reserve(t, len, &p)) != 0)
		return r;
	memcpy(p, data, len);
	tport_input_commit(t, len, len);
	return 0;
}

size_t
tport_input_room(const struct tport *t)
{
	size_t used = tport_fifo_len(&t->in);

	return used >= t->in.max ? 0 : t->in.max - used;
}

/* A packet_length as read from the wire. */
int
tport_check_plen(const struct tport_dir *d, uint32_t plen)
{
	if (plen > TPORT_PACKET_MAX)
		return QSSH_ERR_PACKET_TOO_LARGE;
	/* Room for padding_length and the minimum padding. */
	if (plen < 1 + 4 || 4 + plen < d->first_len)
		return QSSH_ERR_BAD_PADDING;
	if ((d->len_excluded ? plen : 4 + plen) % d->block_len != 0)
		return QSSH_ERR_BAD_PADDING;
	return 0;
}

/* Learn packet_length of the next packet and check it. */
static int
read_length(struct tport *t, const uint8_t *first)
{
	struct tport_dir *d = &t->rx;
	uint32_t plen;
	int r;

	if (d->sess != NULL) {
		if ((r = cryp_session_peek_length(
			 d->sess, d->seqnr, first, d->first_len, &plen)) != 0)
			return r;
	} else
		plen = qssh_get_u32be(first);
	if ((r = tport_check_plen(d, plen)) != 0)
		return r;
	t->cur_plen = plen;
	t->have_len = true;
	return 0;
}

int
tport_read_inline(struct tport *t, uint8_t *type, struct qssh_view *payload)
{
	struct tport_dir *d = &t->rx;
	struct cryp_op op;
	uint8_t *pkt;
	size_t total;
	int r;

	if (!t->have_len) {
		if (tport_fifo_len(&t->in) < d->first_len)
			return QSSH_ERR_AGAIN;
		if ((r = read_length(t, tport_fifo_ptr(&t->in))) != 0)
			return r;
	}
	total = 4 + (size_t)t->cur_plen + d->tag_len;
	if (tport_fifo_len(&t->in) < total)
		return QSSH_ERR_AGAIN;
	pkt = tport_fifo_ptr(&t->in);
	if (d->sess != NULL) {
		memset(&op, 0, sizeof(op));
		op.sess = d->sess;
		op.pkt = pkt;
		op.pkt_len = 4 + t->cur_plen;
		op.tag = pkt + 4 + t->cur_plen;
		op.seqnr = d->seqnr;
		if ((r = cryp_op_process(&op)) != 0 || (r = op.status) != 0)
			return r;
	}
	t->have_len = false;
	return tport_finish_packet(t, pkt, t->cur_plen, total, type, payload);
}

/*
 * The decrypted packet at the front of the input queue: check the padding,
 * count it, consume it and inflate its payload.
 */
int
tport_finish_packet(struct tport *t, const uint8_t *pkt, uint32_t plen,
    size_t total, uint8_t *type, struct qssh_view *payload)
{
	struct tport_dir *d = &t->rx;
	struct qssh_view v, body;
	uint8_t padlen;
	size_t zlen;
	int r;

	v = qssh_view_make(pkt + 4, plen);
	if ((r = qssh_view_get_u8(&v, &padlen)) != 0)
		return QSSH_ERR_INTERNAL;
	if (padlen < 4 || padlen > v.len)
		return QSSH_ERR_BAD_PADDING;
	if (padlen == v.len)
		return QSSH_ERR_PROTOCOL; /* no message type */
	if ((r = qssh_view_get_bytes(&v, v.len - padlen, &body)) != 0)
		return QSSH_ERR_INTERNAL;
	if ((r = tport_seqnr_advance(t, d)) != 0)
		return r;
	dir_account(d, total, 4 + plen);
	/* Consuming leaves the bytes in place, so body stays valid. */
	tport_fifo_consume(&t->in, total);
	if (d->comp_on) {
		if ((r = tport_z_inflate(t, body.p, body.len, &zlen)) != 0)
			return r;
		if (zlen == 0)
			return QSSH_ERR_PROTOCOL;
		body = qssh_view_make(t->zin, zlen);
	}
	d->st_payload += body.len;
	if ((r = qssh_view_get_u8(&body, type)) != 0)
		return QSSH_ERR_INTERNAL;
	*payload = body;
	if (qssh_log_enabled(QSSH_LOG_DEBUG3))
		qlog_debug3("transport: received type %u len %zu seqnr %u",
		    *type, body.len + 1, d->seqnr - 1);
	return 0;
}

int
tport_read_packet(struct tport *t, uint8_t *type, struct qssh_view *payload)
{
	int r;

	*type = 0;
	*payload = qssh_view_make(NULL, 0);
	if (t->in_err != 0)
		return t->in_err;
	if (t->relay)
		r = tport_relay_read(t, type, payload);
	else if (t->wport != NULL || t->rx.wq.head != t->rx.wq.tail)
		r = tport_wq_read(t, type, payload);
	else
		r = tport_read_inline(t, type, payload);
	if (r != 0 && r != QSSH_ERR_AGAIN) {
		t->in_err = r;
		*type = 0;
		*payload = qssh_view_make(NULL, 0);
		if (qssh_log_enabled(QSSH_LOG_DEBUG3))
			qlog_debug3(
			    "transport: input error: %s", qssh_strerror(r));
	}
	return r;
}

uint32_t
tport_disconnect_reason(int err)
{
	switch (err) {
	case QSSH_ERR_MAC_INVALID:
		return SSH_DISCONNECT_MAC_ERROR;
	case QSSH_ERR_INVALID_FORMAT:
		return SSH_DISCONNECT_COMPRESSION_ERROR;
	case QSSH_ERR_PROTOCOL_VERSION:
		return SSH_DISCONNECT_PROTOCOL_VERSION_NOT_SUPPORTED;
	case QSSH_ERR_KEX_FAILED:
	case QSSH_ERR_NO_MATCH:
		return SSH_DISCONNECT_KEY_EXCHANGE_FAILED;
	default:
		return SSH_DISCONNECT_PROTOCOL_ERROR;
	}
}

void
tport_get_stats(const struct tport *t, struct tport_stats *st)
{
	st->packets_in = t->rx.st_packets;
	st->packets_out = t->tx.st_packets;
	st->bytes_in = t->rx.st_bytes;
	st->bytes_out = t->tx.st_bytes;
	st->payload_in = t->rx.st_payload;
	st->payload_out = t->tx.st_payload;
}
