/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keys in memory: generation, the SSH public key blob, signatures,
 * fingerprints and the randomart picture.  OpenSSL does the arithmetic;
 * every byte that arrives from outside is parsed through qssh_view.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "control/key.h"
#include "key_private.h"

struct key_info {
	enum key_type type;
	const char *name; /* blob / host key algorithm name */
	const char *shortname; /* for fingerprints and randomart */
	const char *curve; /* RFC 5656 curve identifier */
	const char *group; /* OpenSSL group name */
	const char *md; /* signature hash */
	unsigned bits;
	size_t field_len; /* ECDSA coordinate length */
};

static const struct key_info key_infos[] = {
	{ KEY_ED25519, "ssh-ed25519", "ED25519", NULL, NULL, NULL, 256, 0 },
	{ KEY_ECDSA_P256, "ecdsa-sha2-nistp256", "ECDSA", "nistp256",
	    "prime256v1", "SHA256", 256, 32 },
	{ KEY_ECDSA_P384, "ecdsa-sha2-nistp384", "ECDSA", "nistp384",
	    "secp384r1", "SHA384", 384, 48 },
	{ KEY_ECDSA_P521, "ecdsa-sha2-nistp521", "ECDSA", "nistp521",
	    "secp521r1", "SHA512", 521, 66 },
	{ KEY_RSA, "ssh-rsa", "RSA", NULL, NULL, NULL, 0, 0 },
};

struct sig_alg {
	const char *name;
	enum key_type type;
	const char *md; /* NULL: the key type's own */
};

static const struct sig_alg sig_algs[] = {
	{ "ssh-ed25519", KEY_ED25519, NULL },
	{ "ecdsa-sha2-nistp256", KEY_ECDSA_P256, NULL },
	{ "ecdsa-sha2-nistp384", KEY_ECDSA_P384, NULL },
	{ "ecdsa-sha2-nistp521", KEY_ECDSA_P521, NULL },
	{ "rsa-sha2-512", KEY_RSA, "SHA512" },
	{ "rsa-sha2-256", KEY_RSA, "SHA256" },
	{ "ssh-rsa", KEY_RSA, "SHA1" },
};

static const struct key_info *
key_info_by_type(enum key_type type)
{
	size_t i;

	for (i = 0; i < QSSH_ARRAY_LEN(key_infos); i++)
		if (key_infos[i].type == type)
			return &key_infos[i];
	return NULL;
}

static const struct key_info *
key_info_by_view(struct qssh_view name)
{
	size_t i;

	for (i = 0; i < QSSH_ARRAY_LEN(key_infos); i++)
		if (qssh_view_eq_str(name, key_infos[i].name))
			return &key_infos[i];
	return NULL;
}

static const struct sig_alg *
sig_alg_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < QSSH_ARRAY_LEN(sig_algs); i++)
		if (strcmp(sig_algs[i].name, name) == 0)
			return &sig_algs[i];
	return NULL;
}

static const struct sig_alg *
sig_alg_by_view(struct qssh_view name)
{
	size_t i;

	for (i = 0; i < QSSH_ARRAY_LEN(sig_algs); i++)
		if (qssh_view_eq_str(name, sig_algs[i].name))
			return &sig_algs[i];
	return NULL;
}

/* ---- construction ---- */

static struct key *
key_alloc(enum key_type type)
{
	struct key *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->type = type;
	return k;
}

void
key_cleanup(struct key *k)
{
	if (k == NULL)
		return;
	/* EVP_PKEY_free() cleanses OpenSSL's copy of the private key. */
	EVP_PKEY_free(k->pkey);
	qssh_wipe(k, sizeof(*k));
}

void
key_free(struct key *k)
{
	if (k == NULL)
		return;
	key_cleanup(k);
	free(k);
}

static enum key_type
ec_type_from_group(const char *group)
{
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0 ||
	    strcmp(group, "secp256r1") == 0)
		return KEY_ECDSA_P256;
	if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
		return KEY_ECDSA_P384;
	if (strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0)
		return KEY_ECDSA_P521;
	return KEY_UNSPEC;
}

int
key_from_pkey(EVP_PKEY *pk, bool priv, struct key **out)
{
	struct key *k = NULL;
	char group[64];
	size_t len;
	int bits, r = QSSH_ERR_INTERNAL;

	*out = NULL;
	if ((k = key_alloc(KEY_UNSPEC)) == NULL)
		return QSSH_ERR_ALLOC;
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_ED25519:
		k->type = KEY_ED25519;
		len = sizeof(k->ed_pk);
		if (EVP_PKEY_get_raw_public_key(pk, k->ed_pk, &len) != 1 ||
		    len != sizeof(k->ed_pk)) {
			r = QSSH_ERR_LIBCRYPTO;
			goto out;
		}
		if (priv) {
			len = 32;
			if (EVP_PKEY_get_raw_private_key(pk, k->ed_sk, &len) !=
				1 ||
			    len != 32) {
				r = QSSH_ERR_LIBCRYPTO;
				goto out;
			}
			memcpy(k->ed_sk + 32, k->ed_pk, 32);
		}
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &len) !=
		    1) {
			r = QSSH_ERR_KEY_TYPE_UNKNOWN;
			goto out;
		}
		if ((k->type = ec_type_from_group(group)) == KEY_UNSPEC) {
			r = QSSH_ERR_KEY_TYPE_UNKNOWN;
			goto out;
		}
		/* Blobs carry uncompressed points (RFC 5656 3.1). */
		if (EVP_PKEY_set_utf8_string_param(pk,
			OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
			"uncompressed") != 1) {
			r = QSSH_ERR_LIBCRYPTO;
			goto out;
		}
		break;
	case EVP_PKEY_RSA:
		k->type = KEY_RSA;
		bits = EVP_PKEY_get_bits(pk);
		if (bits < KEY_RSA_MIN_BITS || bits > KEY_RSA_MAX_BITS) {
			r = QSSH_ERR_KEY_LENGTH;
			goto out;
		}
		break;
	default:
		r = QSSH_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	k->pkey = pk;
	k->has_private = priv;
	*out = k;
	k = NULL;
	r = 0;
out:
	if (k != NULL) {
		k->pkey = NULL; /* still the caller's on failure */
		key_free(k);
	}
	return r;
}

int
key_generate(enum key_type type, unsigned bits, struct key **out)
{
	EVP_PKEY *pk = NULL;
	const struct key_info *ki;
	int r = QSSH_ERR_INTERNAL;

	*out = NULL;
	switch (type) {
	case KEY_ED25519:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		if (bits == 256)
			type = KEY_ECDSA_P256;
		else if (bits == 384)
			type = KEY_ECDSA_P384;
		else if (bits == 521)
			type = KEY_ECDSA_P521;
		else if (bits != 0)
			return QSSH_ERR_KEY_LENGTH;
		ki = key_info_by_type(type);
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", ki->group);
		break;
	case KEY_RSA:
		if (bits == 0)
			bits = KEY_RSA_DEFAULT_BITS;
		if (bits < KEY_RSA_MIN_BITS || bits > KEY_RSA_MAX_BITS)
			return QSSH_ERR_KEY_LENGTH;
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
		break;
	default:
		return QSSH_ERR_KEY_TYPE_UNKNOWN;
	}
	if (pk == NULL)
		return QSSH_ERR_LIBCRYPTO;
	if ((r = key_from_pkey(pk, true, out)) != 0)
		goto out;
	pk = NULL;
	r = 0;
out:
	EVP_PKEY_free(pk);
	return r;
}

/* ---- properties ---- */

enum key_type
key_get_type(const struct key *k)
{
	return k == NULL ? KEY_UNSPEC : k->type;
}

bool
key_is_private(const struct key *k)
{
	return k != NULL && k->has_private;
}

unsigned
key_bits(const struct key *k)
{
	const struct key_info *ki;
	int bits;

	if (k == NULL || (ki = key_info_by_type(k->type)) == NULL)
		return 0;
	if (k->type != KEY_RSA)
		return ki->bits;
	bits = EVP_PKEY_get_bits(k->pkey);
	return bits > 0 ? (unsigned)bits : 0;
}

const char *
key_type_name(const struct key *k)
{
	const struct key_info *ki;

	if (k == NULL || (ki = key_info_by_type(k->type)) == NULL)
		return "unknown";
	return ki->name;
}

const char *
key_type_short(const struct key *k)
{
	const struct key_info *ki;

	if (k == NULL || (ki = key_info_by_type(k->type)) == NULL)
		return "UNKNOWN";
	return ki->shortname;
}

enum key_type
key_type_from_name(const char *name)
{
	static const struct {
		const char *name;
		enum key_type type;
	} aliases[] = {
		{ "ed25519", KEY_ED25519 },
		{ "ecdsa", KEY_ECDSA_P256 },
		{ "rsa", KEY_RSA },
	};
	size_t i;

	if (name == NULL)
		return KEY_UNSPEC;
	for (i = 0; i < QSSH_ARRAY_LEN(key_infos); i++)
		if (strcmp(key_infos[i].name, name) == 0)
			return key_infos[i].type;
	for (i = 0; i < QSSH_ARRAY_LEN(aliases); i++)
		if (strcasecmp(aliases[i].name, name) == 0)
			return aliases[i].type;
	return KEY_UNSPEC;
}

enum key_type
key_type_from_alg(const char *alg)
{
	const struct sig_alg *sa = sig_alg_by_name(alg);

	return sa == NULL ? KEY_UNSPEC : sa->type;
}

bool
key_alg_matches(const struct key *k, const char *alg)
{
	const struct sig_alg *sa = sig_alg_by_name(alg);

	return k != NULL && sa != NULL && sa->type == k->type;
}

/* ---- bignums ---- */

int
key_put_bn(struct qssh_buf *b, const BIGNUM *bn)
{
	uint8_t *p = NULL;
	size_t len;
	int n, r;

	if (BN_is_negative(bn))
		return QSSH_ERR_BIGNUM_NEGATIVE;
	if ((n = BN_num_bytes(bn)) > (int)QSSH_MPINT_MAX_BYTES)
		return QSSH_ERR_BIGNUM_TOO_LARGE;
	len = (size_t)n;
	if ((p = malloc(len + 1)) == NULL)
		return QSSH_ERR_ALLOC;
	if (BN_bn2bin(bn, p) != n) {
		r = QSSH_ERR_LIBCRYPTO;
		goto out;
	}
	r = qssh_buf_put_mpint_bytes(b, p, len);
out:
	qssh_wipe_free(p, len + 1);
	return r;
}

int
key_get_bn(struct qssh_view *v, BIGNUM **out)
{
	struct qssh_view c = *v, m;
	BIGNUM *bn;
	int r;

	*out = NULL;
	if ((r = qssh_view_get_mpint(&c, &m)) != 0)
		return r;
	/* Secure flag: BN_clear_free() and parameter building wipe it. */
	if ((bn = BN_secure_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if (BN_bin2bn(m.p, (int)m.len, bn) == NULL) {
		BN_clear_free(bn);
		return QSSH_ERR_LIBCRYPTO;
	}
	*out = bn;
	*v = c;
	return 0;
}

static int
get_bn_param(const EVP_PKEY *pk, const char *name, BIGNUM **out)
{
	*out = NULL;
	if (EVP_PKEY_get_bn_param(pk, name, out) != 1)
		return QSSH_ERR_LIBCRYPTO;
	return 0;
}

static int
put_bn_param(struct qssh_buf *b, const EVP_PKEY *pk, const char *name)
{
	BIGNUM *bn = NULL;
	int r;

	if ((r = get_bn_param(pk, name, &bn)) != 0)
		return r;
	r = key_put_bn(b, bn);
	BN_clear_free(bn);
	return r;
}

/* ---- EVP_PKEY from parts ---- */

static int
pkey_fromdata(const char *alg, OSSL_PARAM_BLD *bld, bool priv, EVP_PKEY **out)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int r = QSSH_ERR_LIBCRYPTO;

	*out = NULL;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL)) == NULL)
		goto out;
	if (EVP_PKEY_fromdata_init(ctx) != 1)
		goto out;
	if (EVP_PKEY_fromdata(ctx, out,
		priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1) {
		*out = NULL;
		r = QSSH_ERR_KEY_INVALID;
		goto out;
	}
	r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return r;
}

static int
ec_pkey_new(const struct key_info *ki, struct qssh_view q, const BIGNUM *d,
    EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	int r = QSSH_ERR_LIBCRYPTO;

	*out = NULL;
	/* Uncompressed points only; this also rules out infinity. */
	if (q.len != 1 + 2 * ki->field_len || q.p[0] != 0x04)
		return QSSH_ERR_KEY_INVALID;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if (OSSL_PARAM_BLD_push_utf8_string(
		bld, OSSL_PKEY_PARAM_GROUP_NAME, ki->group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(
		bld, OSSL_PKEY_PARAM_PUB_KEY, q.p, q.len) != 1)
		goto out;
	if (d != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1)
		goto out;
	if ((r = pkey_fromdata("EC", bld, d != NULL, &pk)) != 0)
		goto out;
	/* The point must lie on the curve and not be of small order. */
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL) {
		r = QSSH_ERR_LIBCRYPTO;
		goto out;
	}
	if (EVP_PKEY_public_check(ctx) != 1) {
		r = QSSH_ERR_KEY_INVALID;
		goto out;
	}
	*out = pk;
	pk = NULL;
	r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

static int
rsa_check_public(const BIGNUM *n, const BIGNUM *e)
{
	int bits = BN_num_bits(n);

	if (bits < KEY_RSA_MIN_BITS || bits > KEY_RSA_MAX_BITS)
		return QSSH_ERR_KEY_LENGTH;
	if (!BN_is_odd(n) || !BN_is_odd(e) || BN_is_one(e) || BN_cmp(e, n) >= 0)
		return QSSH_ERR_KEY_INVALID;
	return 0;
}

/*
 * RSA key from n, e and optionally d, p, q, iqmp (the CRT exponents are
 * derived here, as openssh-key-v1 does not store them).
 */
static int
rsa_pkey_new(const BIGNUM *n, const BIGNUM *e, const BIGNUM *d, const BIGNUM *p,
    const BIGNUM *q, const BIGNUM *iqmp, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	BN_CTX *bnctx = NULL;
	BIGNUM *t = NULL, *dmp1 = NULL, *dmq1 = NULL;
	int r;

	*out = NULL;
	if ((r = rsa_check_public(n, e)) != 0)
		return r;
	r = QSSH_ERR_LIBCRYPTO;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
		goto out;
	if (d != NULL) {
		if (BN_is_zero(p) || BN_is_zero(q) || BN_is_zero(d)) {
			r = QSSH_ERR_KEY_INVALID;
			goto out;
		}
		if ((bnctx = BN_CTX_secure_new()) == NULL ||
		    (t = BN_secure_new()) == NULL ||
		    (dmp1 = BN_secure_new()) == NULL ||
		    (dmq1 = BN_secure_new()) == NULL)
			goto out;
		if (BN_sub(t, p, BN_value_one()) != 1 ||
		    BN_mod(dmp1, d, t, bnctx) != 1 ||
		    BN_sub(t, q, BN_value_one()) != 1 ||
		    BN_mod(dmq1, d, t, bnctx) != 1)
			goto out;
		if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) !=
			1 ||
		    OSSL_PARAM_BLD_push_BN(
			bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) != 1 ||
		    OSSL_PARAM_BLD_push_BN(
			bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) != 1 ||
		    OSSL_PARAM_BLD_push_BN(
			bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1) != 1 ||
		    OSSL_PARAM_BLD_push_BN(
			bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1) != 1 ||
		    OSSL_PARAM_BLD_push_BN(
			bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, iqmp) != 1)
			goto out;
	}
	r = pkey_fromdata("RSA", bld, d != NULL, out);
out:
	BN_clear_free(t);
	BN_clear_free(dmp1);
	BN_clear_free(dmq1);
	BN_CTX_free(bnctx);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

static int
ed25519_key_new(const uint8_t *pk, const uint8_t *seed, struct key **out)
{
	EVP_PKEY *p = NULL;
	int r;

	*out = NULL;
	if (seed != NULL)
		p = EVP_PKEY_new_raw_private_key(
		    EVP_PKEY_ED25519, NULL, seed, 32);
	else
		p = EVP_PKEY_new_raw_public_key(
		    EVP_PKEY_ED25519, NULL, pk, KEY_ED25519_PK_LEN);
	if (p == NULL)
		return QSSH_ERR_KEY_INVALID;
	if ((r = key_from_pkey(p, seed != NULL, out)) != 0) {
		EVP_PKEY_free(p);
		return r;
	}
	/* The stored public half must be the one the seed gives. */
	if (seed != NULL &&
	    !qssh_ct_eq((*out)->ed_pk, pk, KEY_ED25519_PK_LEN)) {
		key_free(*out);
		*out = NULL;
		return QSSH_ERR_KEY_INVALID;
	}
	return 0;
}

/* ---- blobs ---- */

static int
ec_put_point(struct qssh_buf *b, const struct key *k)
{
	uint8_t q[1 + 2 * 66];
	size_t len = 0;

	if (EVP_PKEY_get_octet_string_param(
		k->pkey, OSSL_PKEY_PARAM_PUB_KEY, q, sizeof(q), &len) != 1)
		return QSSH_ERR_LIBCRYPTO;
	if (len == 0 || q[0] != 0x04)
		return QSSH_ERR_KEY_INVALID;
	return qssh_buf_put_string(b, q, len);
}

/* The fields after the type name, shared by blobs and private keys. */
static int
key_put_public_fields(const struct key *k, struct qssh_buf *b, bool rsa_ne)
{
	const struct key_info *ki = key_info_by_type(k->type);
	int r;

	if (ki == NULL)
		return QSSH_ERR_KEY_TYPE_UNKNOWN;
	switch (k->type) {
	case KEY_ED25519:
		return qssh_buf_put_string(b, k->ed_pk, sizeof(k->ed_pk));
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		if ((r = qssh_buf_put_cstring(b, ki->curve)) != 0)
			return r;
		return ec_put_point(b, k);
	case KEY_RSA:
		/* The blob has e, n; the private key format n, e. */
		if ((r = put_bn_param(b, k->pkey,
			 rsa_ne ? OSSL_PKEY_PARAM_RSA_N
				: OSSL_PKEY_PARAM_RSA_E)) != 0)
			return r;
		return put_bn_param(b, k->pkey,
		    rsa_ne ? OSSL_PKEY_PARAM_RSA_E : OSSL_PKEY_PARAM_RSA_N);
	default:
		return QSSH_ERR_KEY_TYPE_UNKNOWN;
	}
}

int
key_to_blob(const struct key *k, struct qssh_buf *b)
{
	struct qssh_buf *t = NULL;
	int r;

	if (k == NULL || b == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((t = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put_cstring(t, key_type_name(k))) != 0 ||
	    (r = key_put_public_fields(k, t, false)) != 0)
		goto out;
	r = qssh_buf_put(b, qssh_buf_ptr(t), qssh_buf_len(t));
out:
	qssh_buf_free(t);
	return r;
}

static int
ec_get_curve(struct qssh_view *v, const struct key_info *ki)
{
	struct qssh_view curve;
	int r;

	if ((r = qssh_view_get_string(v, &curve)) != 0)
		return r;
	if (!qssh_view_eq_str(curve, ki->curve))
		return QSSH_ERR_KEY_TYPE_MISMATCH;
	return 0;
}

static int
key_get_public_fields(
    struct qssh_view *v, const struct key_info *ki, struct key **out)
{
	struct qssh_view pk, q;
	BIGNUM *e = NULL, *n = NULL;
	EVP_PKEY *p = NULL;
	int r;

	*out = NULL;
	switch (ki->type) {
	case KEY_ED25519:
		if ((r = qssh_view_get_string(v, &pk)) != 0)
			return r;
		if (pk.len != KEY_ED25519_PK_LEN)
			return QSSH_ERR_INVALID_FORMAT;
		return ed25519_key_new(pk.p, NULL, out);
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		if ((r = ec_get_curve(v, ki)) != 0 ||
		    (r = qssh_view_get_string(v, &q)) != 0)
			return r;
		if ((r = ec_pkey_new(ki, q, NULL, &p)) != 0)
			return r;
		break;
	case KEY_RSA:
		if ((r = key_get_bn(v, &e)) != 0 ||
		    (r = key_get_bn(v, &n)) != 0 ||
		    (r = rsa_pkey_new(n, e, NULL, NULL, NULL, NULL, &p)) != 0)
			goto out;
		break;
	default:
		return QSSH_ERR_KEY_TYPE_UNKNOWN;
	}
	if ((r = key_from_pkey(p, false, out)) != 0)
		goto out;
	p = NULL;
out:
	EVP_PKEY_free(p);
	BN_free(e);
	BN_free(n);
	return r;
}

int
key_from_blob(const uint8_t *blob, size_t len, struct key **out)
{
	struct qssh_view v, name;
	const struct key_info *ki;
	struct key *k = NULL;
	int r;

	if (out == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (blob == NULL && len != 0)
		return QSSH_ERR_INVALID_ARGUMENT;
	qssh_view_init(&v, blob, len);
	if ((r = qssh_view_get_string(&v, &name)) != 0)
		return r;
	if ((ki = key_info_by_view(name)) == NULL)
		return QSSH_ERR_KEY_TYPE_UNKNOWN;
	if ((r = key_get_public_fields(&v, ki, &k)) != 0)
		return r;
	if (v.len != 0) {
		key_free(k);
		return QSSH_ERR_INVALID_FORMAT;
	}
	*out = k;
	return 0;
}

int
key_demote(const struct key *k, struct key **out)
{
	struct qssh_buf *b = NULL;
	int r;

	*out = NULL;
	if (k == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = key_to_blob(k, b)) == 0)
		r = key_from_blob(qssh_buf_ptr(b), qssh_buf_len(b), out);
	qssh_buf_free(b);
	return r;
}

bool
key_equal_public(const struct key *a, const struct key *b)
{
	struct qssh_buf *ba = NULL, *bb = NULL;
	bool eq = false;

	if (a == NULL || b == NULL || a->type != b->type)
		return false;
	if ((ba = qssh_buf_new()) == NULL || (bb = qssh_buf_new()) == NULL)
		goto out;
	if (key_to_blob(a, ba) != 0 || key_to_blob(b, bb) != 0)
		goto out;
	eq = qssh_buf_len(ba) == qssh_buf_len(bb) &&
	    memcmp(qssh_buf_ptr(ba), qssh_buf_ptr(bb), qssh_buf_len(ba)) == 0;
out:
	qssh_buf_free(ba);
	qssh_buf_free(bb);
	return eq;
}

/* ---- private fields (openssh-key-v1) ---- */

int
key_put_private(const struct key *k, struct qssh_buf *b)
{
	const struct key_info *ki;
	BIGNUM *d = NULL;
	int r;

	if (k == NULL || !k->has_private ||
	    (ki = key_info_by_type(k->type)) == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((r = qssh_buf_put_cstring(b, ki->name)) != 0)
		return r;
	switch (k->type) {
	case KEY_ED25519:
		if ((r = qssh_buf_put_string(b, k->ed_pk, sizeof(k->ed_pk))) !=
		    0)
			return r;
		return qssh_buf_put_string(b, k->ed_sk, sizeof(k->ed_sk));
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		if ((r = key_put_public_fields(k, b, false)) != 0)
			return r;
		if ((r = get_bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d)) !=
		    0)
			return r;
		r = key_put_bn(b, d);
		BN_clear_free(d);
		return r;
	case KEY_RSA:
		if ((r = key_put_public_fields(k, b, true)) != 0 ||
		    (r = put_bn_param(b, k->pkey, OSSL_PKEY_PARAM_RSA_D)) !=
			0 ||
		    (r = put_bn_param(
			 b, k->pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1)) != 0 ||
		    (r = put_bn_param(
			 b, k->pkey, OSSL_PKEY_PARAM_RSA_FACTOR1)) != 0 ||
		    (r = put_bn_param(
			 b, k->pkey, OSSL_PKEY_PARAM_RSA_FACTOR2)) != 0)
			return r;
		return 0;
	default:
		return QSSH_ERR_KEY_TYPE_UNKNOWN;
	}
}

int
key_get_private(struct qssh_view *v, struct key **out)
{
	struct qssh_view name, pk, sk, q;
	const struct key_info *ki;
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *iqmp = NULL, *p = NULL;
	BIGNUM *qq = NULL;
	EVP_PKEY *pkey = NULL;
	int r;

	*out = NULL;
	if ((r = qssh_view_get_string(v, &name)) != 0)
		return r;
	if ((ki = key_info_by_view(name)) == NULL)
		return QSSH_ERR_KEY_TYPE_UNKNOWN;
	switch (ki->type) {
	case KEY_ED25519:
		if ((r = qssh_view_get_string(v, &pk)) != 0 ||
		    (r = qssh_view_get_string(v, &sk)) != 0)
			return r;
		if (pk.len != KEY_ED25519_PK_LEN ||
		    sk.len != KEY_ED25519_SK_LEN)
			return QSSH_ERR_INVALID_FORMAT;
		if (!qssh_ct_eq(sk.p + 32, pk.p, KEY_ED25519_PK_LEN))
			return QSSH_ERR_KEY_INVALID;
		return ed25519_key_new(pk.p, sk.p, out);
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		if ((r = ec_get_curve(v, ki)) != 0 ||
		    (r = qssh_view_get_string(v, &q)) != 0 ||
		    (r = key_get_bn(v, &d)) != 0)
			goto out;
		if ((r = ec_pkey_new(ki, q, d, &pkey)) != 0)
			goto out;
		break;
	case KEY_RSA:
		if ((r = key_get_bn(v, &n)) != 0 ||
		    (r = key_get_bn(v, &e)) != 0 ||
		    (r = key_get_bn(v, &d)) != 0 ||
		    (r = key_get_bn(v, &iqmp)) != 0 ||
		    (r = key_get_bn(v, &p)) != 0 ||
		    (r = key_get_bn(v, &qq)) != 0)
			goto out;
		if ((r = rsa_pkey_new(n, e, d, p, qq, iqmp, &pkey)) != 0)
			goto out;
		break;
	default:
		return QSSH_ERR_KEY_TYPE_UNKNOWN;
	}
	if ((r = key_from_pkey(pkey, true, out)) != 0)
		goto out;
	pkey = NULL;
	if ((r = key_check_pair(*out)) != 0) {
		key_free(*out);
		*out = NULL;
	}
out:
	EVP_PKEY_free(pkey);
	BN_clear_free(n);
	BN_clear_free(e);
	BN_clear_free(d);
	BN_clear_free(iqmp);
	BN_clear_free(p);
	BN_clear_free(qq);
	return r;
}

int
key_check_pair(const struct key *k)
{
	EVP_PKEY_CTX *ctx = NULL;
	int r = QSSH_ERR_KEY_INVALID;

	if (k == NULL || !k->has_private)
		return QSSH_ERR_INVALID_ARGUMENT;
	/* Ed25519: key_from_pkey() derived the public half from the seed. */
	if (k->type == KEY_ED25519)
		return 0;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL)) == NULL)
		return QSSH_ERR_LIBCRYPTO;
	if (EVP_PKEY_pairwise_check(ctx) == 1)
		r = 0;
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* ---- signatures ---- */

static const EVP_MD *
sig_md(const struct key *k, const struct sig_alg *sa)
{
	const struct key_info *ki = key_info_by_type(k->type);
	const char *md = sa->md != NULL ? sa->md : ki->md;

	return md == NULL ? NULL : EVP_get_digestbyname(md);
}

static int
raw_sign(const struct key *k, const EVP_MD *md, const uint8_t *data, size_t len,
    uint8_t **sigp, size_t *siglenp)
{
	EVP_MD_CTX *mdctx = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0, cap = 0;
	int r = QSSH_ERR_LIBCRYPTO;

	*sigp = NULL;
	*siglenp = 0;
	if ((mdctx = EVP_MD_CTX_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if (EVP_DigestSignInit(mdctx, NULL, md, NULL, k->pkey) != 1)
		goto out;
	if (EVP_DigestSign(mdctx, NULL, &cap, data, len) != 1)
		goto out;
	if ((sig = malloc(cap)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	siglen = cap;
	if (EVP_DigestSign(mdctx, sig, &siglen, data, len) != 1)
		goto out;
	*sigp = sig;
	*siglenp = siglen;
	sig = NULL;
	r = 0;
out:
	free(sig);
	EVP_MD_CTX_free(mdctx);
	return r;
}

static int
raw_verify(const struct key *k, const EVP_MD *md, const uint8_t *sig,
    size_t siglen, const uint8_t *data, size_t len)
{
	EVP_MD_CTX *mdctx = NULL;
	int r = QSSH_ERR_LIBCRYPTO;

	if ((mdctx = EVP_MD_CTX_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if (EVP_DigestVerifyInit(mdctx, NULL, md, NULL, k->pkey) != 1)
		goto out;
	if (EVP_DigestVerify(mdctx, sig, siglen, data, len) != 1) {
		r = QSSH_ERR_SIGNATURE_INVALID;
		goto out;
	}
	r = 0;
out:
	EVP_MD_CTX_free(mdctx);
	ERR_clear_error();
	return r;
}

static int
ecdsa_der_to_ssh(const uint8_t *der, size_t len, struct qssh_buf *out)
{
	const unsigned char *p = der;
	const BIGNUM *br, *bs;
	ECDSA_SIG *es;
	int r;

	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		return QSSH_ERR_LIBCRYPTO;
	ECDSA_SIG_get0(es, &br, &bs);
	if ((r = key_put_bn(out, br)) == 0)
		r = key_put_bn(out, bs);
	ECDSA_SIG_free(es);
	return r;
}

/* mpint r, mpint s (RFC 5656 3.1.2) to DER for OpenSSL. */
static int
ecdsa_ssh_to_der(
    const struct key *k, struct qssh_view sig, uint8_t **derp, size_t *derlen)
{
	const struct key_info *ki = key_info_by_type(k->type);
	struct qssh_view vr, vs;
	BIGNUM *br = NULL, *bs = NULL;
	ECDSA_SIG *es = NULL;
	unsigned char *der = NULL;
	int n, r;

	*derp = NULL;
	*derlen = 0;
	if ((r = qssh_view_get_mpint(&sig, &vr)) != 0 ||
	    (r = qssh_view_get_mpint(&sig, &vs)) != 0)
		return r;
	if (sig.len != 0)
		return QSSH_ERR_INVALID_FORMAT;
	/* Neither can be larger than the group order. */
	if (vr.len > ki->field_len || vs.len > ki->field_len)
		return QSSH_ERR_SIGNATURE_INVALID;
	if ((br = BN_bin2bn(vr.p, (int)vr.len, NULL)) == NULL ||
	    (bs = BN_bin2bn(vs.p, (int)vs.len, NULL)) == NULL ||
	    (es = ECDSA_SIG_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if (ECDSA_SIG_set0(es, br, bs) != 1) {
		r = QSSH_ERR_LIBCRYPTO;
		goto out;
	}
	br = bs = NULL;
	if ((n = i2d_ECDSA_SIG(es, &der)) <= 0) {
		r = QSSH_ERR_LIBCRYPTO;
		goto out;
	}
	*derp = der;
	*derlen = (size_t)n;
	r = 0;
out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return r;
}

int
key_sign(const struct key *k, const char *alg, const uint8_t *data, size_t len,
    struct qssh_buf *sig)
{
	const struct sig_alg *sa;
	struct qssh_buf *inner = NULL;
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	int r;

	if (k == NULL || sig == NULL || (data == NULL && len != 0))
		return QSSH_ERR_INVALID_ARGUMENT;
	if (!k->has_private)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (alg == NULL)
		alg = k->type == KEY_RSA ? "rsa-sha2-512" : key_type_name(k);
	if ((sa = sig_alg_by_name(alg)) == NULL)
		return QSSH_ERR_ALG_UNSUPPORTED;
	if (sa->type != k->type)
		return QSSH_ERR_KEY_TYPE_MISMATCH;
	if ((r = raw_sign(k, sig_md(k, sa), data, len, &raw, &rawlen)) != 0)
		goto out;
	if ((inner = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_cstring(inner, sa->name)) != 0)
		goto out;
	if (k->type == KEY_ECDSA_P256 || k->type == KEY_ECDSA_P384 ||
	    k->type == KEY_ECDSA_P521) {
		struct qssh_buf *rs = qssh_buf_new();

		if (rs == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		if ((r = ecdsa_der_to_ssh(raw, rawlen, rs)) == 0)
			r = qssh_buf_put_stringb(inner, rs);
		qssh_buf_free(rs);
		if (r != 0)
			goto out;
	} else if ((r = qssh_buf_put_string(inner, raw, rawlen)) != 0)
		goto out;
	r = qssh_buf_put(sig, qssh_buf_ptr(inner), qssh_buf_len(inner));
out:
	free(raw);
	qssh_buf_free(inner);
	return r;
}

static int
rsa_verify(const struct key *k, const EVP_MD *md, struct qssh_view s,
    const uint8_t *data, size_t len)
{
	uint8_t *padded = NULL;
	size_t modlen;
	int size, r;

	if ((size = EVP_PKEY_get_size(k->pkey)) <= 0)
		return QSSH_ERR_LIBCRYPTO;
	modlen = (size_t)size;
	if (s.len > modlen)
		return QSSH_ERR_INVALID_FORMAT;
	/* Like OpenSSH, accept a signature with its leading zeros dropped. */
	if ((padded = calloc(1, modlen)) == NULL)
		return QSSH_ERR_ALLOC;
	if (s.len > 0)
		memcpy(padded + (modlen - s.len), s.p, s.len);
	r = raw_verify(k, md, padded, modlen, data, len);
	free(padded);
	return r;
}

int
key_verify(const struct key *k, const char *alg, const uint8_t *sig,
    size_t siglen, const uint8_t *data, size_t len)
{
	const struct sig_alg *sa;
	struct qssh_view v, name, s;
	uint8_t *der = NULL;
	size_t derlen = 0;
	int r;

	if (k == NULL || (sig == NULL && siglen != 0) ||
	    (data == NULL && len != 0))
		return QSSH_ERR_INVALID_ARGUMENT;
	qssh_view_init(&v, sig, siglen);
	if ((r = qssh_view_get_string(&v, &name)) != 0 ||
	    (r = qssh_view_get_string(&v, &s)) != 0)
		return r;
	if (v.len != 0)
		return QSSH_ERR_INVALID_FORMAT;
	if ((sa = sig_alg_by_view(name)) == NULL)
		return QSSH_ERR_KEY_TYPE_MISMATCH;
	if (sa->type != k->type)
		return QSSH_ERR_KEY_TYPE_MISMATCH;
	if (alg != NULL && strcmp(alg, sa->name) != 0)
		return QSSH_ERR_KEY_TYPE_MISMATCH;
	switch (k->type) {
	case KEY_ED25519:
		if (s.len != KEY_ED25519_SIG_LEN)
			return QSSH_ERR_INVALID_FORMAT;
		return raw_verify(k, NULL, s.p, s.len, data, len);
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		if ((r = ecdsa_ssh_to_der(k, s, &der, &derlen)) != 0)
			return r;
		r = raw_verify(k, sig_md(k, sa), der, derlen, data, len);
		OPENSSL_free(der);
		return r;
	case KEY_RSA:
		return rsa_verify(k, sig_md(k, sa), s, data, len);
	default:
		return QSSH_ERR_KEY_TYPE_UNKNOWN;
	}
}

/* ---- fingerprints ---- */

static int
key_digest(
    const struct key *k, enum key_fp_hash hash, uint8_t *md, size_t *mdlen)
{
	struct qssh_buf *b = NULL;
	unsigned int n = 0;
	int r;

	if (k == NULL || (hash != KEY_FP_SHA256 && hash != KEY_FP_MD5))
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = key_to_blob(k, b)) != 0)
		goto out;
	if (EVP_Digest(qssh_buf_ptr(b), qssh_buf_len(b), md, &n,
		hash == KEY_FP_SHA256 ? EVP_sha256() : EVP_md5(), NULL) != 1) {
		r = QSSH_ERR_LIBCRYPTO;
		goto out;
	}
	*mdlen = n;
	r = 0;
out:
	qssh_buf_free(b);
	return r;
}

int
key_fingerprint(const struct key *k, enum key_fp_hash hash, char **out)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	char *s = NULL;
	size_t mdlen = 0, cap, i, o;
	int r;

	*out = NULL;
	if ((r = key_digest(k, hash, md, &mdlen)) != 0)
		return r;
	if (hash == KEY_FP_SHA256) {
		cap = 7 + qssh_b64_encoded_len(mdlen);
		if ((s = malloc(cap)) == NULL)
			return QSSH_ERR_ALLOC;
		memcpy(s, "SHA256:", 7);
		if ((r = qssh_b64_encode(md, mdlen, s + 7, cap - 7)) < 0) {
			free(s);
			return r;
		}
		/* OpenSSH drops the padding. */
		for (i = strlen(s); i > 7 && s[i - 1] == '='; i--)
			s[i - 1] = '\0';
	} else {
		cap = 4 + 3 * mdlen + 1;
		if ((s = malloc(cap)) == NULL)
			return QSSH_ERR_ALLOC;
		memcpy(s, "MD5:", 4);
		o = 4;
		for (i = 0; i < mdlen; i++) {
			qssh_hex_encode(md + i, 1, s + o);
			o += 2;
			if (i + 1 < mdlen)
				s[o++] = ':';
		}
		s[o] = '\0';
	}
	*out = s;
	return 0;
}

#define RA_W 17
#define RA_H 9

static void
ra_border(char *dst, const char *label)
{
	size_t llen = strlen(label), left, i, o = 0;

	if (llen > RA_W)
		llen = RA_W;
	left = (RA_W - llen) / 2;
	dst[o++] = '+';
	for (i = 0; i < left; i++)
		dst[o++] = '-';
	memcpy(dst + o, label, llen);
	o += llen;
	for (i = left + llen; i < RA_W; i++)
		dst[o++] = '-';
	dst[o++] = '+';
	dst[o] = '\0';
}

/*
 * The "drunken bishop" walk: every two bits of the digest (low bits of each
 * byte first) move a bishop diagonally across a 17x9 board; how often a
 * square was visited picks its symbol, S and E mark the start and the end.
 */
int
key_randomart(const struct key *k, enum key_fp_hash hash, char **out)
{
	static const char sym[] = " .o+=*BOX@%&#/^SE";
	const size_t nsym = sizeof(sym) - 1;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned char field[RA_W][RA_H];
	char title[RA_W + 3], label[64], *s = NULL;
	size_t mdlen = 0, i, j, o;
	int x = RA_W / 2, y = RA_H / 2, r;

	*out = NULL;
	if ((r = key_digest(k, hash, md, &mdlen)) != 0)
		return r;
	memset(field, 0, sizeof(field));
	for (i = 0; i < mdlen; i++) {
		unsigned int bits = md[i];

		for (j = 0; j < 4; j++) {
			x += (bits & 1) ? 1 : -1;
			y += (bits & 2) ? 1 : -1;
			x = x < 0 ? 0 : (x > RA_W - 1 ? RA_W - 1 : x);
			y = y < 0 ? 0 : (y > RA_H - 1 ? RA_H - 1 : y);
			/* Counts stop below the S and E symbols. */
			if (field[x][y] < nsym - 3)
				field[x][y]++;
			bits >>= 2;
		}
	}
	field[RA_W / 2][RA_H / 2] = (unsigned char)(nsym - 2);
	field[x][y] = (unsigned char)(nsym - 1);

	/* 2 border lines + RA_H rows, each RA_W + 2 wide plus newline. */
	if ((s = malloc((RA_H + 2) * (RA_W + 3) + 1)) == NULL)
		return QSSH_ERR_ALLOC;
	snprintf(
	    label, sizeof(label), "[%s %u]", key_type_short(k), key_bits(k));
	ra_border(title, label);
	o = 0;
	memcpy(s + o, title, RA_W + 2);
	o += RA_W + 2;
	s[o++] = '\n';
	for (j = 0; j < RA_H; j++) {
		s[o++] = '|';
		for (i = 0; i < RA_W; i++)
			s[o++] = sym[field[i][j]];
		s[o++] = '|';
		s[o++] = '\n';
	}
	ra_border(title, hash == KEY_FP_SHA256 ? "[SHA256]" : "[MD5]");
	memcpy(s + o, title, RA_W + 2);
	o += RA_W + 2;
	s[o] = '\0';
	*out = s;
	return 0;
}
