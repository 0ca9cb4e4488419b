/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Backend-independent part: sessions, per-packet nonce/counter sequencing,
 * backend choice and the queue pair completion ring.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "cryp_int.h"
#include "cryp_test.h"

/* Operations handed to a backend at once. */
#define CRYP_CHUNK 64

const struct cryp_backend_ops *
cryp_backend_ops(enum cryp_backend_id id)
{
	switch (id) {
	case CRYP_BACKEND_OPENSSL:
		return &cryp_openssl_ops;
	case CRYP_BACKEND_IPSECMB:
#if QSSH_WITH_IPSECMB
		return &cryp_ipsecmb_ops;
#else
		return NULL;
#endif
	case CRYP_BACKEND_CRYPTODEV:
#if QSSH_WITH_DPDK
		return &cryp_cryptodev_ops;
#else
		return NULL;
#endif
	case CRYP_BACKEND_COUNT:
		break;
	}
	return NULL;
}

const struct cryp_test_ops *
cryp_test_ops(enum cryp_backend_id id)
{
	const struct cryp_backend_ops *ops = cryp_backend_ops(id);

	if (ops == NULL || !ops->available())
		return NULL;
	return ops->test;
}

bool
cryp_backend_available(enum cryp_backend_id id)
{
	const struct cryp_backend_ops *ops = cryp_backend_ops(id);

	return ops != NULL && ops->available();
}

bool
cryp_backend_supports(
    enum cryp_backend_id id, enum cryp_cipher_id cipher, enum cryp_mac_id mac)
{
	const struct cryp_backend_ops *ops = cryp_backend_ops(id);

	if (ops == NULL || !ops->available())
		return false;
	if (cryp_cipher_by_id(cipher) == NULL)
		return false;
	return ops->supports(cipher, mac);
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static enum cryp_backend_id default_be = CRYP_BACKEND_OPENSSL;

static void
choose_default(void)
{
	const char *env = getenv("QSSH_CRYPTO_BACKEND");
	const struct cryp_backend_ops *cd;
	enum cryp_backend_id id;

	if (env != NULL && *env != '\0') {
		if (cryp_backend_from_name(env, &id) == 0 &&
		    cryp_backend_available(id)) {
			default_be = id;
			qlog_verbose("crypto backend: %s (%s), from "
				     "QSSH_CRYPTO_BACKEND",
			    cryp_backend_name(id),
			    cryp_backend_ops(id)->describe());
			return;
		}
		qlog_error("crypto backend \"%s\" from QSSH_CRYPTO_BACKEND is "
			   "not usable; falling back",
		    env);
	}
	cd = cryp_backend_ops(CRYP_BACKEND_CRYPTODEV);
	if (cd != NULL && cd->available() && cd->preferred()) {
		default_be = CRYP_BACKEND_CRYPTODEV;
		qlog_verbose(
		    "crypto backend: %s (%s)", cd->name, cd->describe());
		return;
	}
	if (cd != NULL)
		qlog_verbose(
		    "crypto backend cryptodev not chosen: %s", cd->describe());
	if (cryp_backend_available(CRYP_BACKEND_IPSECMB) &&
	    __builtin_cpu_supports("aes"))
		id = CRYP_BACKEND_IPSECMB;
	else
		id = CRYP_BACKEND_OPENSSL;
	default_be = id;
	qlog_verbose("crypto backend: %s (%s)", cryp_backend_name(id),
	    cryp_backend_ops(id)->describe());
}

enum cryp_backend_id
cryp_backend_default(void)
{
	pthread_once(&default_once, choose_default);
	return default_be;
}

static void (*free_hook)(const void *, size_t, void *);
static void *free_hook_ctx;

void
cryp_test_set_free_hook(
    void (*fn)(const void *p, size_t len, void *ctx), void *ctx)
{
	free_hook = fn;
	free_hook_ctx = ctx;
}

struct cryp_session *
cryp_session_new(
    enum cryp_backend_id be, const struct cryp_session_params *p, int *err)
{
	const struct cryp_backend_ops *ops = cryp_backend_ops(be);
	const struct cryp_cipher_info *ci;
	const struct cryp_mac_info *mi;
	struct cryp_session *s = NULL, *ret = NULL;
	int r = QSSH_ERR_INTERNAL;

	if (p == NULL || p->cipher == NULL) {
		r = QSSH_ERR_INVALID_ARGUMENT;
		goto out;
	}
	/* Use our own table entries whatever the caller passed. */
	if ((ci = cryp_cipher_by_id(p->cipher->id)) == NULL) {
		r = QSSH_ERR_ALG_UNSUPPORTED;
		goto out;
	}
	mi = ci->aead ? NULL : p->mac;
	if (mi != NULL && cryp_mac_by_id(mi->id) == NULL) {
		r = QSSH_ERR_ALG_UNSUPPORTED;
		goto out;
	}
	if (ops == NULL || !ops->available()) {
		r = QSSH_ERR_BACKEND_UNAVAILABLE;
		goto out;
	}
	if (!ops->supports(ci->id, mi != NULL ? mi->id : CRYP_MAC_NONE)) {
		r = QSSH_ERR_ALG_UNSUPPORTED;
		goto out;
	}
	if ((ci->key_len > 0 && p->key == NULL) ||
	    (ci->iv_len > 0 && p->iv == NULL) ||
	    (mi != NULL && p->mac_key == NULL) || ci->key_len > CRYP_KEY_MAX ||
	    ci->iv_len > sizeof(s->iv) ||
	    (mi != NULL && mi->key_len > CRYP_MAC_KEY_MAX)) {
		r = QSSH_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	s->be = be;
	s->cipher = ci;
	s->mac = mi;
	s->encrypt = p->encrypt;
	s->tag_len = ci->aead ? ci->tag_len : (mi != NULL ? mi->mac_len : 0);
	switch (ci->id) {
	case CRYP_CIPHER_AES128_CTR:
	case CRYP_CIPHER_AES192_CTR:
	case CRYP_CIPHER_AES256_CTR:
		s->first_len = cryp_is_etm(s) ? 4 : ci->block_len;
		break;
	default:
		s->first_len = 4;
		break;
	}
	if (ci->key_len > 0)
		memcpy(s->key, p->key, ci->key_len);
	if (ci->iv_len > 0)
		memcpy(s->iv, p->iv, ci->iv_len);
	if (mi != NULL)
		memcpy(s->mac_key, p->mac_key, mi->key_len);
	if ((r = ops->session_init(s)) != 0)
		goto out;
	ret = s;
	s = NULL;
	r = 0;
out:
	if (s != NULL) {
		qssh_wipe(s, sizeof(*s));
		free(s);
	}
	if (err != NULL)
		*err = r;
	return ret;
}

void
cryp_session_free(struct cryp_session *s)
{
	const struct cryp_backend_ops *ops;

	if (s == NULL)
		return;
	if ((ops = cryp_backend_ops(s->be)) != NULL)
		ops->session_cleanup(s);
	qssh_wipe(s, sizeof(*s));
	if (free_hook != NULL)
		free_hook(s, sizeof(*s), free_hook_ctx);
	free(s);
}

enum cryp_backend_id
cryp_session_backend(const struct cryp_session *s)
{
	return s->be;
}

uint32_t
cryp_session_tag_len(const struct cryp_session *s)
{
	return s->tag_len;
}

uint32_t
cryp_session_first_len(const struct cryp_session *s)
{
	return s->first_len;
}

int
cryp_session_peek_length(struct cryp_session *s, uint32_t seqnr,
    const uint8_t *first, size_t first_len, uint32_t *pkt_len)
{
	const struct cryp_backend_ops *ops;
	uint8_t blk[16];
	int r = QSSH_ERR_INTERNAL;

	if (s == NULL || first == NULL || pkt_len == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (first_len < s->first_len)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	ops = cryp_backend_ops(s->be);
	if (s->cipher->id == CRYP_CIPHER_CHACHA20_POLY1305 ||
	    s->first_len > 4) {
		if ((r = ops->peek(s, seqnr, first, blk, s->first_len)) != 0)
			goto out;
		*pkt_len = qssh_get_u32be(blk);
	} else {
		*pkt_len = qssh_get_u32be(first);
	}
	r = 0;
out:
	qssh_wipe(blk, sizeof(blk));
	return r;
}

/* Add n to a 128-bit big-endian counter. */
static void
ctr_add(uint8_t ctr[16], uint64_t n)
{
	int i;

	for (i = 15; i >= 0 && n != 0; i--) {
		n += ctr[i];
		ctr[i] = (uint8_t)n;
		n >>= 8;
	}
}

/*
 * Check an operation and take its nonce or counter from the session,
 * advancing the session.  Runs in enqueue order.
 */
static int
op_prepare(struct cryp_op *op, struct cryp_op_ctx *ctx)
{
	struct cryp_session *s = op->sess;
	uint32_t enc_len;
	int i;

	if (s == NULL || op->pkt == NULL || op->pkt_len < 4 ||
	    (s->tag_len > 0 && op->tag == NULL))
		return QSSH_ERR_INVALID_ARGUMENT;
	if (op->pkt_len - 4 > CRYP_MAX_PACKET_LEN)
		return QSSH_ERR_PACKET_TOO_LARGE;
	switch (s->cipher->id) {
	case CRYP_CIPHER_AES128_GCM:
	case CRYP_CIPHER_AES256_GCM:
		memcpy(ctx->iv, s->iv, 12);
		/* RFC 5647 7.1: the invocation counter is the last 8 bytes. */
		for (i = 11; i >= 4; i--) {
			if (++s->iv[i] != 0)
				break;
		}
		break;
	case CRYP_CIPHER_AES128_CTR:
	case CRYP_CIPHER_AES192_CTR:
	case CRYP_CIPHER_AES256_CTR:
		enc_len = cryp_is_etm(s) ? op->pkt_len - 4 : op->pkt_len;
		if (enc_len % 16 != 0)
			return QSSH_ERR_INVALID_ARGUMENT;
		memcpy(ctx->iv, s->iv, 16);
		ctr_add(s->iv, enc_len / 16);
		break;
	case CRYP_CIPHER_NONE:
	case CRYP_CIPHER_CHACHA20_POLY1305:
		break;
	}
	return 0;
}

int
cryp_op_process(struct cryp_op *op)
{
	const struct cryp_backend_ops *ops;
	struct cryp_op_ctx ctx;
	int r;

	if (op == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((r = op_prepare(op, &ctx)) != 0) {
		op->status = r;
		return r;
	}
	ops = cryp_backend_ops(op->sess->be);
	ops->process(NULL, &op, &ctx, 1);
	qssh_wipe(&ctx, sizeof(ctx));
	return op->status;
}

struct cryp_qp {
	enum cryp_backend_id be;
	const struct cryp_backend_ops *ops;
	void *engine;
	uint32_t depth;
	uint32_t head; /* next to dequeue */
	uint32_t count;
	struct cryp_op **ring;
	struct cryp_op *batch[CRYP_CHUNK];
	struct cryp_op_ctx ctx[CRYP_CHUNK];
};

struct cryp_qp *
cryp_qp_new(enum cryp_backend_id be, uint32_t depth)
{
	struct cryp_qp *qp = NULL, *ret = NULL;

	if (depth == 0 || !cryp_backend_available(be))
		goto out;
	if ((qp = calloc(1, sizeof(*qp))) == NULL)
		goto out;
	qp->be = be;
	qp->ops = cryp_backend_ops(be);
	if (qp->ops->max_depth > 0 && depth > qp->ops->max_depth)
		depth = qp->ops->max_depth;
	qp->depth = depth;
	if ((qp->ring = calloc(depth, sizeof(*qp->ring))) == NULL)
		goto out;
	if ((qp->engine = qp->ops->engine_new()) == NULL)
		goto out;
	ret = qp;
	qp = NULL;
out:
	cryp_qp_free(qp);
	return ret;
}

void
cryp_qp_free(struct cryp_qp *qp)
{
	if (qp == NULL)
		return;
	if (qp->engine != NULL)
		qp->ops->engine_free(qp->engine);
	free(qp->ring);
	qssh_wipe(qp->ctx, sizeof(qp->ctx));
	free(qp);
}

static void
qp_run(struct cryp_qp *qp, uint32_t nb)
{
	if (qp->ops->submit != NULL)
		qp->ops->submit(qp->engine, qp->batch, qp->ctx, nb);
	else
		qp->ops->process(qp->engine, qp->batch, qp->ctx, nb);
}

uint32_t
cryp_enqueue_burst(struct cryp_qp *qp, struct cryp_op **ops, uint32_t n)
{
	uint32_t accepted, i, nb = 0, tail;
	struct cryp_op *op;
	bool async;
	int r;

	if (qp == NULL || ops == NULL)
		return 0;
	async = qp->ops->submit != NULL;
	accepted = qp->depth - qp->count;
	if (n < accepted)
		accepted = n;
	for (i = 0; i < accepted; i++) {
		op = ops[i];
		if (async)
			op->status = CRYP_OP_PENDING;
		if (op->sess == NULL) {
			op->status = QSSH_ERR_INVALID_ARGUMENT;
		} else if (op->sess->be != qp->be) {
			/* Another backend's session: run it on its own. */
			(void)cryp_op_process(op);
		} else if ((r = op_prepare(op, &qp->ctx[nb])) != 0) {
			op->status = r;
		} else {
			qp->batch[nb++] = op;
			if (nb == CRYP_CHUNK) {
				qp_run(qp, nb);
				nb = 0;
			}
		}
		tail = qp->head + qp->count;
		if (tail >= qp->depth)
			tail -= qp->depth;
		qp->ring[tail] = op;
		qp->count++;
	}
	if (nb > 0)
		qp_run(qp, nb);
	return accepted;
}

uint32_t
cryp_dequeue_burst(struct cryp_qp *qp, struct cryp_op **ops, uint32_t n)
{
	uint32_t i, tail;

	if (qp == NULL || ops == NULL)
		return 0;
	if (n > qp->count)
		n = qp->count;
	if (qp->ops->poll != NULL) {
		/* Completed operations leave in enqueue order. */
		qp->ops->poll(qp->engine);
		for (i = 0; i < n; i++) {
			tail = qp->head + i;
			if (tail >= qp->depth)
				tail -= qp->depth;
			if (qp->ring[tail]->status == CRYP_OP_PENDING)
				break;
		}
		n = i;
	}
	for (i = 0; i < n; i++) {
		ops[i] = qp->ring[qp->head];
		if (++qp->head == qp->depth)
			qp->head = 0;
	}
	qp->count -= n;
	return n;
}
