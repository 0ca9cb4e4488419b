/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * OpenSSL EVP backend, the reference.  Contexts are created with the
 * session; per packet only the IV is set again.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/err.h"
#include "common/util.h"
#include "cryp_int.h"

struct ossl_state {
	EVP_CIPHER_CTX *cctx; /* GCM, CTR, or chacha K_2 */
	EVP_CIPHER_CTX *lctx; /* chacha K_1 (length) */
	EVP_MAC_CTX *mctx; /* HMAC, or Poly1305 for chacha */
};

static bool
ossl_available(void)
{
	return true;
}

static const char *
ossl_describe(void)
{
	return OPENSSL_VERSION_TEXT;
}

static bool
ossl_supports(enum cryp_cipher_id cipher, enum cryp_mac_id mac)
{
	(void)cipher;
	(void)mac;
	return true;
}

static const char *
digest_name(enum cryp_mac_id id)
{
	switch (id) {
	case CRYP_MAC_HMAC_SHA1:
		return "SHA1";
	case CRYP_MAC_HMAC_SHA2_256:
		return "SHA256";
	case CRYP_MAC_HMAC_SHA2_512:
		return "SHA512";
	case CRYP_MAC_NONE:
		break;
	}
	return NULL;
}

static const EVP_CIPHER *
evp_cipher(enum cryp_cipher_id id)
{
	switch (id) {
	case CRYP_CIPHER_AES128_GCM:
		return EVP_aes_128_gcm();
	case CRYP_CIPHER_AES256_GCM:
		return EVP_aes_256_gcm();
	case CRYP_CIPHER_AES128_CTR:
		return EVP_aes_128_ctr();
	case CRYP_CIPHER_AES192_CTR:
		return EVP_aes_192_ctr();
	case CRYP_CIPHER_AES256_CTR:
		return EVP_aes_256_ctr();
	case CRYP_CIPHER_CHACHA20_POLY1305:
		return EVP_chacha20();
	case CRYP_CIPHER_NONE:
		break;
	}
	return NULL;
}

static EVP_MAC_CTX *
hmac_ctx_new(enum cryp_mac_id id, const uint8_t *key, size_t key_len)
{
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL, *ret = NULL;
	OSSL_PARAM params[2];
	const char *md = digest_name(id);

	if (md == NULL)
		goto out;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		goto out;
	if ((ctx = EVP_MAC_CTX_new(mac)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_MAC_PARAM_DIGEST, (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, key_len, params) != 1)
		goto out;
	ret = ctx;
	ctx = NULL;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ret;
}

static EVP_MAC_CTX *
poly_ctx_new(void)
{
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;

	if ((mac = EVP_MAC_fetch(NULL, "POLY1305", NULL)) == NULL)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	return ctx;
}

static void
ossl_session_cleanup(struct cryp_session *s)
{
	struct ossl_state *st = s->be_state;

	if (st == NULL)
		return;
	EVP_CIPHER_CTX_free(st->cctx);
	EVP_CIPHER_CTX_free(st->lctx);
	EVP_MAC_CTX_free(st->mctx);
	free(st);
	s->be_state = NULL;
}

static int
ossl_session_init(struct cryp_session *s)
{
	struct ossl_state *st;
	const EVP_CIPHER *c = evp_cipher(s->cipher->id);
	int r = QSSH_ERR_LIBCRYPTO;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return QSSH_ERR_ALLOC;
	s->be_state = st;
	if (s->cipher->id == CRYP_CIPHER_CHACHA20_POLY1305) {
		if ((st->cctx = EVP_CIPHER_CTX_new()) == NULL ||
		    (st->lctx = EVP_CIPHER_CTX_new()) == NULL ||
		    (st->mctx = poly_ctx_new()) == NULL)
			goto out;
		/* PROTOCOL.chacha20poly1305: K_2 first, K_1 last. */
		if (EVP_CipherInit_ex(st->cctx, c, NULL, s->key, NULL, 1) !=
			1 ||
		    EVP_CipherInit_ex(
			st->lctx, c, NULL, s->key + 32, NULL, 1) != 1)
			goto out;
	} else if (c != NULL) {
		if ((st->cctx = EVP_CIPHER_CTX_new()) == NULL)
			goto out;
		if (EVP_CipherInit_ex(st->cctx, c, NULL, s->key, NULL,
			s->encrypt ? 1 : 0) != 1)
			goto out;
	}
	if (s->mac != NULL &&
	    (st->mctx = hmac_ctx_new(
		 s->mac->id, s->mac_key, s->mac->key_len)) == NULL)
		goto out;
	r = 0;
out:
	if (r != 0)
		ossl_session_cleanup(s);
	return r;
}

static void
chacha_iv(uint8_t iv[16], uint32_t seqnr)
{
	memset(iv, 0, 8); /* 64-bit little-endian block counter 0 */
	qssh_put_u64be(iv + 8, seqnr);
}

static int
ossl_peek(struct cryp_session *s, uint32_t seqnr, const uint8_t *in,
    uint8_t *out, size_t len)
{
	struct ossl_state *st = s->be_state;
	uint8_t iv[16];
	int outl;
	EVP_CIPHER_CTX *ctx;

	if (s->cipher->id == CRYP_CIPHER_CHACHA20_POLY1305) {
		chacha_iv(iv, seqnr);
		ctx = st->lctx;
	} else {
		memcpy(iv, s->iv, 16);
		ctx = st->cctx;
	}
	/* The IV is set again for every packet, so this changes nothing. */
	if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_CipherUpdate(ctx, out, &outl, in, (int)len) != 1)
		return QSSH_ERR_LIBCRYPTO;
	return 0;
}

static int
hmac_packet(struct ossl_state *st, uint32_t seqnr, const uint8_t *pkt,
    uint32_t len, uint8_t *out, size_t out_len)
{
	uint8_t seq[4];
	size_t outl;

	cryp_put_seqnr(seq, seqnr);
	if (EVP_MAC_init(st->mctx, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(st->mctx, seq, sizeof(seq)) != 1 ||
	    EVP_MAC_update(st->mctx, pkt, len) != 1 ||
	    EVP_MAC_final(st->mctx, out, &outl, out_len) != 1 ||
	    outl != out_len)
		return QSSH_ERR_LIBCRYPTO;
	return 0;
}

static int
op_gcm(struct cryp_session *s, struct cryp_op *op, const uint8_t *iv)
{
	struct ossl_state *st = s->be_state;
	EVP_CIPHER_CTX *ctx = st->cctx;
	int outl, len = (int)(op->pkt_len - 4);

	if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &outl, op->pkt, 4) != 1 ||
	    EVP_CipherUpdate(ctx, op->pkt + 4, &outl, op->pkt + 4, len) != 1)
		return QSSH_ERR_LIBCRYPTO;
	if (s->encrypt) {
		if (EVP_CipherFinal_ex(ctx, op->pkt + 4, &outl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(
			ctx, EVP_CTRL_GCM_GET_TAG, 16, op->tag) != 1)
			return QSSH_ERR_LIBCRYPTO;
		return 0;
	}
	/* EVP compares the tag in constant time in the final call. */
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, op->tag) != 1)
		return QSSH_ERR_LIBCRYPTO;
	if (EVP_CipherFinal_ex(ctx, op->pkt + 4, &outl) != 1) {
		qssh_wipe(op->pkt + 4, (size_t)len);
		return QSSH_ERR_MAC_INVALID;
	}
	return 0;
}

static int
op_chacha(struct cryp_session *s, struct cryp_op *op)
{
	static const uint8_t zero[64];
	struct ossl_state *st = s->be_state;
	uint8_t iv[16], block0[64], tag[16];
	size_t outl;
	int l, len = (int)(op->pkt_len - 4), r = QSSH_ERR_LIBCRYPTO;

	chacha_iv(iv, op->seqnr);
	/* Poly1305 key: the first 32 bytes of K_2's block 0. */
	if (EVP_CipherInit_ex(st->cctx, NULL, NULL, NULL, iv, 1) != 1 ||
	    EVP_CipherUpdate(st->cctx, block0, &l, zero, 64) != 1 ||
	    EVP_CipherInit_ex(st->lctx, NULL, NULL, NULL, iv, 1) != 1)
		goto out;
	if (s->encrypt) {
		if (EVP_CipherUpdate(st->lctx, op->pkt, &l, op->pkt, 4) != 1 ||
		    EVP_CipherUpdate(
			st->cctx, op->pkt + 4, &l, op->pkt + 4, len) != 1)
			goto out;
	}
	if (EVP_MAC_init(st->mctx, block0, 32, NULL) != 1 ||
	    EVP_MAC_update(st->mctx, op->pkt, op->pkt_len) != 1 ||
	    EVP_MAC_final(st->mctx, tag, &outl, sizeof(tag)) != 1)
		goto out;
	if (s->encrypt) {
		memcpy(op->tag, tag, 16);
	} else {
		if (!qssh_ct_eq(tag, op->tag, 16)) {
			r = QSSH_ERR_MAC_INVALID;
			goto out;
		}
		if (EVP_CipherUpdate(st->lctx, op->pkt, &l, op->pkt, 4) != 1 ||
		    EVP_CipherUpdate(
			st->cctx, op->pkt + 4, &l, op->pkt + 4, len) != 1)
			goto out;
	}
	r = 0;
out:
	qssh_wipe(block0, sizeof(block0));
	qssh_wipe(tag, sizeof(tag));
	return r;
}

static int
op_cipher_mac(struct cryp_session *s, struct cryp_op *op, const uint8_t *iv)
{
	struct ossl_state *st = s->be_state;
	uint8_t tag[CRYP_TAG_MAX];
	uint32_t off = cryp_is_etm(s) ? 4 : 0, mlen = s->tag_len;
	int l, r = QSSH_ERR_LIBCRYPTO;
	bool mac_first;

	if (st->cctx != NULL &&
	    EVP_CipherInit_ex(st->cctx, NULL, NULL, NULL, iv, -1) != 1)
		goto out;
	/* The MAC covers the plaintext (RFC 4253) or the ciphertext (ETM). */
	mac_first = s->encrypt != cryp_is_etm(s);
	if (s->mac != NULL && mac_first &&
	    (r = hmac_packet(st, op->seqnr, op->pkt, op->pkt_len, tag, mlen)) !=
		0)
		goto out;
	if (s->mac != NULL && mac_first && !s->encrypt &&
	    !qssh_ct_eq(tag, op->tag, mlen)) {
		r = QSSH_ERR_MAC_INVALID;
		goto out;
	}
	if (st->cctx != NULL &&
	    EVP_CipherUpdate(st->cctx, op->pkt + off, &l, op->pkt + off,
		(int)(op->pkt_len - off)) != 1) {
		r = QSSH_ERR_LIBCRYPTO;
		goto out;
	}
	if (s->mac != NULL && !mac_first &&
	    (r = hmac_packet(st, op->seqnr, op->pkt, op->pkt_len, tag, mlen)) !=
		0)
		goto out;
	if (s->mac != NULL && !mac_first && !s->encrypt &&
	    !qssh_ct_eq(tag, op->tag, mlen)) {
		qssh_wipe(op->pkt, op->pkt_len);
		r = QSSH_ERR_MAC_INVALID;
		goto out;
	}
	if (s->mac != NULL && s->encrypt)
		memcpy(op->tag, tag, mlen);
	r = 0;
out:
	qssh_wipe(tag, sizeof(tag));
	return r;
}

static void *
ossl_engine_new(void)
{
	static int dummy;

	return &dummy;
}

static void
ossl_engine_free(void *engine)
{
	(void)engine;
}

static void
ossl_process(void *engine, struct cryp_op **ops, const struct cryp_op_ctx *ctx,
    uint32_t n)
{
	struct cryp_session *s;
	uint32_t i;

	(void)engine;
	for (i = 0; i < n; i++) {
		s = ops[i]->sess;
		switch (s->cipher->id) {
		case CRYP_CIPHER_AES128_GCM:
		case CRYP_CIPHER_AES256_GCM:
			ops[i]->status = op_gcm(s, ops[i], ctx[i].iv);
			break;
		case CRYP_CIPHER_CHACHA20_POLY1305:
			ops[i]->status = op_chacha(s, ops[i]);
			break;
		default:
			ops[i]->status = op_cipher_mac(s, ops[i], ctx[i].iv);
			break;
		}
	}
}

/* Primitives for the test vectors. */

static int
t_gcm(bool encrypt, const uint8_t *key, size_t key_len, const uint8_t iv[12],
    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
    uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *ctx = NULL;
	const EVP_CIPHER *c;
	int l, r = QSSH_ERR_LIBCRYPTO;

	if (key_len == 16)
		c = EVP_aes_128_gcm();
	else if (key_len == 24)
		c = EVP_aes_192_gcm();
	else if (key_len == 32)
		c = EVP_aes_256_gcm();
	else
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_CipherInit_ex(ctx, c, NULL, key, iv, encrypt ? 1 : 0) != 1 ||
	    (aad_len > 0 &&
		EVP_CipherUpdate(ctx, NULL, &l, aad, (int)aad_len) != 1) ||
	    (len > 0 && EVP_CipherUpdate(ctx, out, &l, in, (int)len) != 1))
		goto out;
	if (!encrypt &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + len, &l) != 1) {
		r = encrypt ? QSSH_ERR_LIBCRYPTO : QSSH_ERR_MAC_INVALID;
		goto out;
	}
	if (encrypt &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

static int
t_chacha20(const uint8_t key[32], uint32_t counter, const uint8_t nonce[12],
    const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t iv[16];
	int l, r = QSSH_ERR_LIBCRYPTO;

	iv[0] = (uint8_t)counter;
	iv[1] = (uint8_t)(counter >> 8);
	iv[2] = (uint8_t)(counter >> 16);
	iv[3] = (uint8_t)(counter >> 24);
	memcpy(iv + 4, nonce, 12);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return r;
	if (EVP_EncryptInit_ex(ctx, EVP_chacha20(), NULL, key, iv) == 1 &&
	    EVP_EncryptUpdate(ctx, out, &l, in, (int)len) == 1)
		r = 0;
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

static int
t_poly1305(
    const uint8_t key[32], const uint8_t *msg, size_t len, uint8_t tag[16])
{
	EVP_MAC_CTX *ctx;
	size_t outl;
	int r = QSSH_ERR_LIBCRYPTO;

	if ((ctx = poly_ctx_new()) == NULL)
		return r;
	if (EVP_MAC_init(ctx, key, 32, NULL) == 1 &&
	    EVP_MAC_update(ctx, msg, len) == 1 &&
	    EVP_MAC_final(ctx, tag, &outl, 16) == 1)
		r = 0;
	EVP_MAC_CTX_free(ctx);
	return r;
}

static int
t_chacha20_poly1305(bool encrypt, const uint8_t key[32],
    const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
    const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *ctx;
	int l, r = QSSH_ERR_LIBCRYPTO;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return r;
	if (EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, nonce,
		encrypt ? 1 : 0) != 1 ||
	    (aad_len > 0 &&
		EVP_CipherUpdate(ctx, NULL, &l, aad, (int)aad_len) != 1) ||
	    (len > 0 && EVP_CipherUpdate(ctx, out, &l, in, (int)len) != 1))
		goto out;
	if (!encrypt &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + len, &l) != 1) {
		r = encrypt ? QSSH_ERR_LIBCRYPTO : QSSH_ERR_MAC_INVALID;
		goto out;
	}
	if (encrypt &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

static int
t_hmac(enum cryp_mac_id mac, const uint8_t *key, size_t key_len,
    const uint8_t *msg, size_t len, uint8_t *out)
{
	EVP_MAC_CTX *ctx;
	const struct cryp_mac_info *mi = cryp_mac_by_id(mac);
	size_t outl;
	int r = QSSH_ERR_LIBCRYPTO;

	if (mi == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((ctx = hmac_ctx_new(mac, key, key_len)) == NULL)
		return r;
	if (EVP_MAC_update(ctx, msg, len) == 1 &&
	    EVP_MAC_final(ctx, out, &outl, mi->mac_len) == 1)
		r = 0;
	EVP_MAC_CTX_free(ctx);
	return r;
}

static const struct cryp_test_ops ossl_test_ops = {
	t_gcm,
	t_chacha20,
	t_poly1305,
	t_chacha20_poly1305,
	t_hmac,
};

const struct cryp_backend_ops cryp_openssl_ops = {
	.name = "openssl",
	.available = ossl_available,
	.describe = ossl_describe,
	.supports = ossl_supports,
	.session_init = ossl_session_init,
	.session_cleanup = ossl_session_cleanup,
	.peek = ossl_peek,
	.engine_new = ossl_engine_new,
	.engine_free = ossl_engine_free,
	.process = ossl_process,
	.test = &ossl_test_ops,
};
