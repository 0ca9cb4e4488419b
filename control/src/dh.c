/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Key agreement primitives for the kex: X25519 (RFC 7748, RFC 8731), ECDH on
 * the NIST curves (RFC 5656) and finite-field Diffie-Hellman (RFC 4253 8,
 * RFC 4419, RFC 3526 / RFC 8268 groups).  All through OpenSSL.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "common/err.h"
#include "common/util.h"
#include "control/kex.h"
#include "kex_int.h"

/* ---- X25519 ---- */

int
kex_x25519_keypair(uint8_t priv[32], uint8_t pub[32])
{
	EVP_PKEY *pk = NULL;
	size_t len = 32;
	int r = QSSH_ERR_LIBCRYPTO;

	if ((r = qssh_random_bytes(priv, 32)) != 0)
		goto out;
	r = QSSH_ERR_LIBCRYPTO;
	if ((pk = EVP_PKEY_new_raw_private_key(
		 EVP_PKEY_X25519, NULL, priv, 32)) == NULL)
		goto out;
	if (EVP_PKEY_get_raw_public_key(pk, pub, &len) != 1 || len != 32)
		goto out;
	r = 0;
out:
	EVP_PKEY_free(pk);
	return r;
}

int
kex_x25519_shared(
    const uint8_t priv[32], const uint8_t peer[32], uint8_t out[32])
{
	static const uint8_t zero[32];
	EVP_PKEY *pk = NULL, *pp = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = 32;
	int r = QSSH_ERR_LIBCRYPTO;

	if ((pk = EVP_PKEY_new_raw_private_key(
		 EVP_PKEY_X25519, NULL, priv, 32)) == NULL)
		goto out;
	if ((pp = EVP_PKEY_new_raw_public_key(
		 EVP_PKEY_X25519, NULL, peer, 32)) == NULL) {
		r = QSSH_ERR_KEY_INVALID;
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new(pk, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1)
		goto out;
	if (EVP_PKEY_derive_set_peer(ctx, pp) != 1) {
		r = QSSH_ERR_KEY_INVALID;
		goto out;
	}
	/* OpenSSL refuses an all-zero result itself; check anyway. */
	if (EVP_PKEY_derive(ctx, out, &len) != 1 || len != 32) {
		qssh_wipe(out, 32);
		r = QSSH_ERR_KEY_INVALID;
		goto out;
	}
	if (qssh_ct_eq(out, zero, 32)) {
		qssh_wipe(out, 32);
		r = QSSH_ERR_KEY_INVALID;
		goto out;
	}
	r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pp);
	EVP_PKEY_free(pk);
	return r;
}

/* ---- ECDH on NIST curves ---- */

struct kex_ecdh {
	EVP_PKEY *pkey;
	const char *group;
	size_t field_len;
};

static int
ecdh_curve(unsigned bits, const char **group, size_t *field_len)
{
	switch (bits) {
	case 256:
		*group = "P-256";
		*field_len = 32;
		return 0;
	case 384:
		*group = "P-384";
		*field_len = 48;
		return 0;
	case 521:
		*group = "P-521";
		*field_len = 66;
		return 0;
	default:
		return QSSH_ERR_INVALID_ARGUMENT;
	}
}

int
kex_ecdh_new(unsigned curve_bits, struct kex_ecdh **out)
{
	struct kex_ecdh *e = NULL;
	const char *group;
	size_t flen;
	int r;

	*out = NULL;
	if ((r = ecdh_curve(curve_bits, &group, &flen)) != 0)
		return r;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return QSSH_ERR_ALLOC;
	e->group = group;
	e->field_len = flen;
	if ((e->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group)) == NULL) {
		free(e);
		return QSSH_ERR_LIBCRYPTO;
	}
	*out = e;
	return 0;
}

int
kex_ecdh_from_private(
    unsigned curve_bits, const uint8_t *d, size_t dlen, struct kex_ecdh **out)
{
	struct kex_ecdh *e = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *priv = NULL;
	const char *group;
	size_t flen;
	int r;

	*out = NULL;
	if ((r = ecdh_curve(curve_bits, &group, &flen)) != 0)
		return r;
	r = QSSH_ERR_LIBCRYPTO;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	e->group = group;
	e->field_len = flen;
	if ((priv = BN_bin2bn(d, (int)dlen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(
		bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &e->pkey, EVP_PKEY_KEYPAIR, params) != 1)
		goto out;
	*out = e;
	e = NULL;
	r = 0;
out:
	kex_ecdh_free(e);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	return r;
}

void
kex_ecdh_free(struct kex_ecdh *e)
{
	if (e == NULL)
		return;
	EVP_PKEY_free(e->pkey);
	free(e);
}

int
kex_ecdh_public(const struct kex_ecdh *e, struct qssh_buf *out)
{
	uint8_t pt[1 + 2 * 66];
	size_t len = 0;

	if (EVP_PKEY_get_octet_string_param(e->pkey,
		OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &len) != 1)
		return QSSH_ERR_LIBCRYPTO;
	if (len != 1 + 2 * e->field_len || pt[0] != 0x04)
		return QSSH_ERR_INTERNAL;
	return qssh_buf_put(out, pt, len);
}

int
kex_ecdh_shared(const struct kex_ecdh *e, const uint8_t *peer, size_t peer_len,
    uint8_t *out, size_t out_cap, size_t *out_len)
{
	EVP_PKEY_CTX *pctx = NULL, *dctx = NULL;
	EVP_PKEY *pp = NULL;
	OSSL_PARAM params[3];
	size_t len;
	int r = QSSH_ERR_KEY_INVALID;

	*out_len = 0;
	/* RFC 5656 3.1: uncompressed points only. */
	if (peer_len != 1 + 2 * e->field_len || peer[0] != 0x04)
		goto out;
	if (out_cap < e->field_len) {
		r = QSSH_ERR_NO_BUFFER_SPACE;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, (char *)e->group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(
	    OSSL_PKEY_PARAM_PUB_KEY, (void *)peer, peer_len);
	params[2] = OSSL_PARAM_construct_end();
	if ((pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) != 1) {
		r = QSSH_ERR_LIBCRYPTO;
		goto out;
	}
	/* Decoding checks that the point is on the curve. */
	if (EVP_PKEY_fromdata(pctx, &pp, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	EVP_PKEY_CTX_free(pctx);
	if ((pctx = EVP_PKEY_CTX_new(pp, NULL)) == NULL) {
		r = QSSH_ERR_LIBCRYPTO;
		goto out;
	}
	if (EVP_PKEY_public_check(pctx) != 1)
		goto out;
	if ((dctx = EVP_PKEY_CTX_new(e->pkey, NULL)) == NULL ||
	    EVP_PKEY_derive_init(dctx) != 1) {
		r = QSSH_ERR_LIBCRYPTO;
		goto out;
	}
	if (EVP_PKEY_derive_set_peer(dctx, pp) != 1)
		goto out;
	len = out_cap;
	if (EVP_PKEY_derive(dctx, out, &len) != 1 || len != e->field_len) {
		qssh_wipe(out, out_cap);
		r = QSSH_ERR_LIBCRYPTO;
		goto out;
	}
	*out_len = len;
	r = 0;
out:
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(pp);
	return r;
}

/* ---- finite-field Diffie-Hellman ---- */

struct kex_dh {
	BIGNUM *p, *g, *x, *y;
};

static BIGNUM *
builtin_prime(unsigned bits)
{
	switch (bits) {
	case 1024:
		return BN_get_rfc2409_prime_1024(NULL);
	case 2048:
		return BN_get_rfc3526_prime_2048(NULL);
	case 4096:
		return BN_get_rfc3526_prime_4096(NULL);
	case 8192:
		return BN_get_rfc3526_prime_8192(NULL);
	default:
		return NULL;
	}
}

int
kex_dh_builtin_prime(unsigned bits, uint8_t **p, size_t *p_len)
{
	BIGNUM *bn = NULL;
	uint8_t *b = NULL;
	int n, r = QSSH_ERR_INVALID_ARGUMENT;

	*p = NULL;
	*p_len = 0;
	if ((bn = builtin_prime(bits)) == NULL)
		goto out;
	n = BN_num_bytes(bn);
	if ((b = malloc((size_t)n)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	BN_bn2bin(bn, b);
	*p = b;
	*p_len = (size_t)n;
	r = 0;
out:
	BN_free(bn);
	return r;
}

static int
dh_alloc(BIGNUM *p, uint32_t g, struct kex_dh **out)
{
	struct kex_dh *dh;

	*out = NULL;
	if ((dh = calloc(1, sizeof(*dh))) == NULL) {
		BN_free(p);
		return QSSH_ERR_ALLOC;
	}
	dh->p = p;
	if ((dh->g = BN_new()) == NULL || !BN_set_word(dh->g, g)) {
		kex_dh_free(dh);
		return QSSH_ERR_LIBCRYPTO;
	}
	*out = dh;
	return 0;
}

int
kex_dh_new_builtin(unsigned bits, struct kex_dh **out)
{
	BIGNUM *p;

	*out = NULL;
	if ((p = builtin_prime(bits)) == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	return dh_alloc(p, 2, out);
}

int
kex_dh_new_group(
    const uint8_t *p, size_t p_len, uint32_t g, struct kex_dh **out)
{
	BIGNUM *bp;
	int bits;

	*out = NULL;
	if (p_len == 0 || p_len > KEX_DH_GEX_MAX / 8 + 1 || g < 2)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((bp = BN_bin2bn(p, (int)p_len, NULL)) == NULL)
		return QSSH_ERR_LIBCRYPTO;
	bits = BN_num_bits(bp);
	/* An odd modulus of a sensible size (g < 2^32 is far below it). */
	if (bits < 1024 || bits > KEX_DH_GEX_MAX || !BN_is_odd(bp)) {
		BN_free(bp);
		return QSSH_ERR_INVALID_ARGUMENT;
	}
	return dh_alloc(bp, g, out);
}

void
kex_dh_free(struct kex_dh *dh)
{
	if (dh == NULL)
		return;
	BN_free(dh->p);
	BN_free(dh->g);
	BN_clear_free(dh->x);
	BN_free(dh->y);
	free(dh);
}

unsigned
kex_dh_bits(const struct kex_dh *dh)
{
	return (unsigned)BN_num_bits(dh->p);
}

int
kex_dh_generate(struct kex_dh *dh, unsigned need_bits)
{
	BN_CTX *ctx = NULL;
	unsigned pbits = kex_dh_bits(dh), xbits;
	int r = QSSH_ERR_LIBCRYPTO;

	xbits = need_bits * 2;
	if (xbits < 256)
		xbits = 256;
	if (xbits > pbits - 1)
		xbits = pbits - 1;
	BN_clear_free(dh->x);
	BN_free(dh->y);
	dh->x = dh->y = NULL;
	if ((ctx = BN_CTX_new()) == NULL || (dh->x = BN_secure_new()) == NULL ||
	    (dh->y = BN_new()) == NULL)
		goto out;
	for (;;) {
		if (!BN_priv_rand(
			dh->x, (int)xbits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY))
			goto out;
		BN_set_flags(dh->x, BN_FLG_CONSTTIME);
		if (!BN_mod_exp_mont_consttime(
			dh->y, dh->g, dh->x, dh->p, ctx, NULL))
			goto out;
		if ((r = kex_dh_check_public(dh, NULL, 0)) == 0)
			break;
		r = QSSH_ERR_LIBCRYPTO;
	}
	r = 0;
out:
	BN_CTX_free(ctx);
	return r;
}

static int
dh_check_bn(const struct kex_dh *dh, const BIGNUM *y)
{
	BIGNUM *pm1 = NULL;
	int r = QSSH_ERR_KEY_INVALID;

	if ((pm1 = BN_dup(dh->p)) == NULL || !BN_sub_word(pm1, 1)) {
		r = QSSH_ERR_LIBCRYPTO;
		goto out;
	}
	/* 1 < y < p-1 */
	if (BN_is_negative(y) || BN_cmp(y, BN_value_one()) <= 0 ||
	    BN_cmp(y, pm1) >= 0)
		goto out;
	r = 0;
out:
	BN_free(pm1);
	return r;
}

int
kex_dh_check_public(const struct kex_dh *dh, const uint8_t *y, size_t y_len)
{
	BIGNUM *b;
	int r;

	if (y == NULL)
		return dh->y == NULL ? QSSH_ERR_INTERNAL
				     : dh_check_bn(dh, dh->y);
	if (y_len > QSSH_MPINT_MAX_BYTES)
		return QSSH_ERR_KEY_INVALID;
	if ((b = BN_bin2bn(y, (int)y_len, NULL)) == NULL)
		return QSSH_ERR_LIBCRYPTO;
	r = dh_check_bn(dh, b);
	BN_free(b);
	return r;
}

static int
put_bn(struct qssh_buf *b, const BIGNUM *bn)
{
	uint8_t *tmp;
	int n = BN_num_bytes(bn), r;

	if ((tmp = malloc((size_t)n + 1)) == NULL)
		return QSSH_ERR_ALLOC;
	BN_bn2bin(bn, tmp);
	r = qssh_buf_put_mpint_bytes(b, tmp, (size_t)n);
	qssh_wipe_free(tmp, (size_t)n + 1);
	return r;
}

int
kex_dh_put_public(const struct kex_dh *dh, struct qssh_buf *b)
{
	if (dh->y == NULL)
		return QSSH_ERR_INTERNAL;
	return put_bn(b, dh->y);
}

int
kex_dh_put_group(const struct kex_dh *dh, struct qssh_buf *b)
{
	int r;

	if ((r = put_bn(b, dh->p)) != 0)
		return r;
	return put_bn(b, dh->g);
}

int
kex_dh_shared(const struct kex_dh *dh, const uint8_t *peer, size_t peer_len,
    struct qssh_buf *kmp)
{
	BN_CTX *ctx = NULL;
	BIGNUM *py = NULL, *k = NULL;
	uint8_t *kb = NULL;
	size_t klen = 0;
	int r;

	if (dh->x == NULL)
		return QSSH_ERR_INTERNAL;
	if ((r = kex_dh_check_public(dh, peer, peer_len)) != 0)
		return r;
	r = QSSH_ERR_LIBCRYPTO;
	if ((ctx = BN_CTX_new()) == NULL ||
	    (py = BN_bin2bn(peer, (int)peer_len, NULL)) == NULL ||
	    (k = BN_secure_new()) == NULL)
		goto out;
	if (!BN_mod_exp_mont_consttime(k, py, dh->x, dh->p, ctx, NULL))
		goto out;
	klen = (size_t)BN_num_bytes(k);
	if ((kb = malloc(klen + 1)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	BN_bn2bin(k, kb);
	r = qssh_buf_put_mpint_bytes(kmp, kb, klen);
out:
	qssh_wipe_free(kb, klen + 1);
	BN_clear_free(k);
	BN_free(py);
	BN_CTX_free(ctx);
	return r;
}
