/* SPDX-License-Identifier: BSD-2-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "control/key.h"
#include "key_private.h"

static const struct {
	enum key_type type;
	unsigned bits;
} gen_types[] = {
	{ KEY_ED25519, 0 },
	{ KEY_ECDSA_P256, 0 },
	{ KEY_ECDSA_P384, 0 },
	{ KEY_ECDSA_P521, 0 },
	{ KEY_RSA, 2048 },
};

static const uint8_t msg[] = "the quick brown fox";

static struct key *
gen(enum key_type type, unsigned bits)
{
	struct key *k = NULL;

	assert_int_equal(key_generate(type, bits, &k), 0);
	assert_non_null(k);
	assert_true(key_is_private(k));
	return k;
}

static void
check_sign_verify(struct key *k, const char *alg)
{
	struct qssh_buf *sig = qssh_buf_new();
	uint8_t *copy;
	size_t len;

	assert_int_equal(key_sign(k, alg, msg, sizeof(msg), sig), 0);
	len = qssh_buf_len(sig);
	assert_int_equal(
	    key_verify(k, alg, qssh_buf_ptr(sig), len, msg, sizeof(msg)), 0);
	assert_int_equal(
	    key_verify(k, NULL, qssh_buf_ptr(sig), len, msg, sizeof(msg)), 0);
	/* Other data. */
	assert_int_equal(
	    key_verify(k, NULL, qssh_buf_ptr(sig), len, msg, sizeof(msg) - 1),
	    QSSH_ERR_SIGNATURE_INVALID);
	/* Truncated and trailing bytes. */
	assert_int_equal(
	    key_verify(k, NULL, qssh_buf_ptr(sig), len - 1, msg, sizeof(msg)),
	    QSSH_ERR_MESSAGE_INCOMPLETE);
	copy = malloc(len + 1);
	memcpy(copy, qssh_buf_ptr(sig), len);
	copy[len] = 0;
	assert_int_equal(key_verify(k, NULL, copy, len + 1, msg, sizeof(msg)),
	    QSSH_ERR_INVALID_FORMAT);
	/* A flipped bit in the last byte of the signature. */
	copy[len - 1] ^= 1;
	assert_int_not_equal(
	    key_verify(k, NULL, copy, len, msg, sizeof(msg)), 0);
	free(copy);
	/* Wrong expected algorithm. */
	assert_int_equal(
	    key_verify(k, "ssh-dss", qssh_buf_ptr(sig), len, msg, sizeof(msg)),
	    QSSH_ERR_KEY_TYPE_MISMATCH);
	qssh_buf_free(sig);
}

static void
test_generate_sign_verify(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(gen_types); i++) {
		struct key *k = gen(gen_types[i].type, gen_types[i].bits);
		struct key *pub = NULL;

		assert_int_equal(key_get_type(k), gen_types[i].type);
		check_sign_verify(k, NULL);
		if (gen_types[i].type == KEY_RSA) {
			assert_int_equal(key_bits(k), 2048);
			check_sign_verify(k, "rsa-sha2-256");
			check_sign_verify(k, "rsa-sha2-512");
			check_sign_verify(k, "ssh-rsa");
		}
		/* The public half verifies and cannot sign. */
		assert_int_equal(key_demote(k, &pub), 0);
		assert_false(key_is_private(pub));
		assert_true(key_equal_public(k, pub));
		{
			struct qssh_buf *sig = qssh_buf_new();

			assert_int_equal(key_sign(k, NULL, msg, 3, sig), 0);
			assert_int_equal(
			    key_verify(pub, NULL, qssh_buf_ptr(sig),
				qssh_buf_len(sig), msg, 3),
			    0);
			qssh_buf_reset(sig);
			assert_int_equal(key_sign(pub, NULL, msg, 3, sig),
			    QSSH_ERR_INVALID_ARGUMENT);
			qssh_buf_free(sig);
		}
		key_free(pub);
		key_free(k);
	}
}

static void
test_sign_alg_mismatch(void **state)
{
	struct key *ed = gen(KEY_ED25519, 0), *ec = gen(KEY_ECDSA_P256, 0);
	struct qssh_buf *sig = qssh_buf_new();

	(void)state;
	assert_int_equal(key_sign(ed, "rsa-sha2-256", msg, 3, sig),
	    QSSH_ERR_KEY_TYPE_MISMATCH);
	assert_int_equal(
	    key_sign(ed, "nonsense", msg, 3, sig), QSSH_ERR_ALG_UNSUPPORTED);
	assert_int_equal(key_sign(ed, NULL, msg, 3, sig), 0);
	/* An Ed25519 signature offered for an ECDSA key. */
	assert_int_equal(
	    key_verify(ec, NULL, qssh_buf_ptr(sig), qssh_buf_len(sig), msg, 3),
	    QSSH_ERR_KEY_TYPE_MISMATCH);
	assert_true(key_alg_matches(ed, "ssh-ed25519"));
	assert_false(key_alg_matches(ed, "ecdsa-sha2-nistp256"));
	assert_int_equal(key_type_from_alg("rsa-sha2-512"), KEY_RSA);
	assert_int_equal(key_type_from_alg("ssh-dss"), KEY_UNSPEC);
	assert_int_equal(
	    key_type_from_name("ecdsa-sha2-nistp384"), KEY_ECDSA_P384);
	assert_int_equal(key_type_from_name("ed25519"), KEY_ED25519);
	assert_string_equal(key_type_name(ec), "ecdsa-sha2-nistp256");
	assert_string_equal(key_type_short(ec), "ECDSA");
	qssh_buf_free(sig);
	key_free(ed);
	key_free(ec);
}

static void
test_blob_roundtrip_truncation(void **state)
{
	size_t i, n;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(gen_types); i++) {
		struct key *k = gen(gen_types[i].type, gen_types[i].bits);
		struct key *p = NULL;
		struct qssh_buf *b = qssh_buf_new(), *b2 = qssh_buf_new();
		uint8_t *copy;

		assert_int_equal(key_to_blob(k, b), 0);
		assert_int_equal(
		    key_from_blob(qssh_buf_ptr(b), qssh_buf_len(b), &p), 0);
		assert_int_equal(key_to_blob(p, b2), 0);
		assert_int_equal(qssh_buf_len(b), qssh_buf_len(b2));
		assert_memory_equal(
		    qssh_buf_ptr(b), qssh_buf_ptr(b2), qssh_buf_len(b));
		key_free(p);
		for (n = 0; n < qssh_buf_len(b); n++) {
			p = NULL;
			assert_int_equal(key_from_blob(qssh_buf_ptr(b), n, &p),
			    QSSH_ERR_MESSAGE_INCOMPLETE);
			assert_null(p);
		}
		n = qssh_buf_len(b);
		copy = calloc(1, n + 1);
		memcpy(copy, qssh_buf_ptr(b), n);
		assert_int_equal(
		    key_from_blob(copy, n + 1, &p), QSSH_ERR_INVALID_FORMAT);
		/* Unknown type name. */
		copy[4] = 'X';
		assert_int_equal(
		    key_from_blob(copy, n, &p), QSSH_ERR_KEY_TYPE_UNKNOWN);
		free(copy);
		qssh_buf_free(b);
		qssh_buf_free(b2);
		key_free(k);
	}
}

static void
test_blob_malformed(void **state)
{
	struct key *k = gen(KEY_ECDSA_P256, 0), *p = NULL;
	struct qssh_buf *b = qssh_buf_new(), *r = qssh_buf_new();
	uint8_t *c;
	size_t n;
	uint8_t big[64];

	(void)state;
	assert_int_equal(key_to_blob(k, b), 0);
	n = qssh_buf_len(b);
	c = malloc(n);
	/* A point not on the curve. */
	memcpy(c, qssh_buf_ptr(b), n);
	c[n - 1] ^= 1;
	assert_int_equal(key_from_blob(c, n, &p), QSSH_ERR_KEY_INVALID);
	/* A compressed-point prefix byte. */
	memcpy(c, qssh_buf_ptr(b), n);
	c[n - 65] = 0x02;
	assert_int_equal(key_from_blob(c, n, &p), QSSH_ERR_KEY_INVALID);
	/* Curve id of another curve. */
	memcpy(c, qssh_buf_ptr(b), n);
	c[4 + 19 + 4 + 7] = '4';
	assert_int_equal(key_from_blob(c, n, &p), QSSH_ERR_KEY_TYPE_MISMATCH);
	free(c);

	/* Oversized string length. */
	assert_int_equal(key_from_blob((const uint8_t *)"\xff\xff\xff\xff"
							"ssh",
			     7, &p),
	    QSSH_ERR_STRING_TOO_LARGE);
	/* Ed25519 key of 31 bytes. */
	assert_int_equal(qssh_buf_put_cstring(r, "ssh-ed25519"), 0);
	assert_int_equal(qssh_buf_put_string(r, big, 31), 0);
	assert_int_equal(key_from_blob(qssh_buf_ptr(r), qssh_buf_len(r), &p),
	    QSSH_ERR_INVALID_FORMAT);
	/* RSA modulus of 512 bits. */
	qssh_buf_reset(r);
	memset(big, 0xc5, sizeof(big));
	assert_int_equal(qssh_buf_put_cstring(r, "ssh-rsa"), 0);
	assert_int_equal(
	    qssh_buf_put_mpint_bytes(r, (const uint8_t *)"\x01\x00\x01", 3), 0);
	assert_int_equal(qssh_buf_put_mpint_bytes(r, big, 64), 0);
	assert_int_equal(key_from_blob(qssh_buf_ptr(r), qssh_buf_len(r), &p),
	    QSSH_ERR_KEY_LENGTH);
	/* Negative mpint. */
	qssh_buf_reset(r);
	assert_int_equal(qssh_buf_put_cstring(r, "ssh-rsa"), 0);
	assert_int_equal(qssh_buf_put_string(r, "\x81", 1), 0);
	assert_int_equal(key_from_blob(qssh_buf_ptr(r), qssh_buf_len(r), &p),
	    QSSH_ERR_BIGNUM_NEGATIVE);
	assert_null(p);
	qssh_buf_free(b);
	qssh_buf_free(r);
	key_free(k);
}

/* An RSA signature with its leading zero byte dropped still verifies. */
static void
test_rsa_short_signature(void **state)
{
	struct key *k = gen(KEY_RSA, 1024);
	struct qssh_buf *sig = qssh_buf_new(), *s2 = qssh_buf_new();
	struct qssh_view v, name, s;
	int i, found = 0;

	(void)state;
	for (i = 0; i < 2000 && !found; i++) {
		uint8_t d[4];

		qssh_put_u32be(d, (uint32_t)i);
		qssh_buf_reset(sig);
		assert_int_equal(key_sign(k, "rsa-sha2-256", d, 4, sig), 0);
		v = qssh_buf_view(sig);
		assert_int_equal(qssh_view_get_string(&v, &name), 0);
		assert_int_equal(qssh_view_get_string(&v, &s), 0);
		assert_int_equal(s.len, 128);
		if (s.p[0] != 0)
			continue;
		found = 1;
		qssh_buf_reset(s2);
		assert_int_equal(qssh_buf_put_cstring(s2, "rsa-sha2-256"), 0);
		assert_int_equal(
		    qssh_buf_put_string(s2, s.p + 1, s.len - 1), 0);
		assert_int_equal(key_verify(k, NULL, qssh_buf_ptr(s2),
				     qssh_buf_len(s2), d, 4),
		    0);
	}
	assert_true(found);
	/* Longer than the modulus. */
	qssh_buf_reset(s2);
	assert_int_equal(qssh_buf_put_cstring(s2, "rsa-sha2-256"), 0);
	{
		uint8_t longsig[129] = { 0 };

		assert_int_equal(qssh_buf_put_string(s2, longsig, 129), 0);
	}
	assert_int_equal(
	    key_verify(k, NULL, qssh_buf_ptr(s2), qssh_buf_len(s2), msg, 3),
	    QSSH_ERR_INVALID_FORMAT);
	qssh_buf_free(sig);
	qssh_buf_free(s2);
	key_free(k);
}

static void
test_fingerprint_format(void **state)
{
	struct key *k = gen(KEY_ED25519, 0);
	char *fp = NULL, *ra = NULL;

	(void)state;
	assert_int_equal(key_fingerprint(k, KEY_FP_SHA256, &fp), 0);
	assert_int_equal(strncmp(fp, "SHA256:", 7), 0);
	assert_int_equal(strlen(fp), 7 + 43);
	free(fp);
	assert_int_equal(key_fingerprint(k, KEY_FP_MD5, &fp), 0);
	assert_int_equal(strncmp(fp, "MD5:", 4), 0);
	assert_int_equal(strlen(fp), 4 + 47);
	free(fp);
	assert_int_equal(key_randomart(k, KEY_FP_SHA256, &ra), 0);
	assert_int_equal(strncmp(ra, "+--[ED25519 256]--+\n", 20), 0);
	assert_non_null(strstr(ra, "\n+----[SHA256]-----+"));
	assert_non_null(strchr(ra, 'S'));
	assert_non_null(strchr(ra, 'E'));
	free(ra);
	key_free(k);
}

static void
test_public_line(void **state)
{
	struct key *k = gen(KEY_ECDSA_P384, 0), *p = NULL;
	char *line = NULL, *cmt = NULL, *ed;
	char buf[1024];

	(void)state;
	assert_int_equal(key_format_public(k, "user@host x", &line), 0);
	assert_int_equal(strncmp(line, "ecdsa-sha2-nistp384 AAAA", 24), 0);
	snprintf(buf, sizeof(buf), "  %s \t \r\n", line);
	assert_int_equal(key_parse_public(buf, &p, &cmt), 0);
	assert_true(key_equal_public(k, p));
	assert_string_equal(cmt, "user@host x");
	free(cmt);
	key_free(p);
	/* No comment. */
	free(line);
	assert_int_equal(key_format_public(k, NULL, &line), 0);
	assert_null(strchr(strchr(line, ' ') + 1, ' '));
	assert_int_equal(key_parse_public(line, &p, &cmt), 0);
	assert_null(cmt);
	key_free(p);
	/* Bad base64. */
	snprintf(buf, sizeof(buf), "%s", line);
	buf[30] = '!';
	assert_int_equal(
	    key_parse_public(buf, &p, NULL), QSSH_ERR_INVALID_FORMAT);
	/* Type word disagrees with the blob. */
	ed = strchr(line, ' ');
	snprintf(buf, sizeof(buf), "ssh-ed25519%s", ed);
	assert_int_equal(
	    key_parse_public(buf, &p, NULL), QSSH_ERR_KEY_TYPE_MISMATCH);
	snprintf(buf, sizeof(buf), "ssh-foo%s", ed);
	assert_int_equal(
	    key_parse_public(buf, &p, NULL), QSSH_ERR_KEY_TYPE_UNKNOWN);
	assert_int_equal(
	    key_parse_public("ssh-ed25519", &p, NULL), QSSH_ERR_INVALID_FORMAT);
	assert_null(p);
	free(line);
	key_free(k);
}

static void
test_rfc4716(void **state)
{
	struct key *k = gen(KEY_RSA, 1024), *p = NULL;
	char *text = NULL, *cmt = NULL;
	char longc[200], path[] = "/tmp/qssh-key-XXXXXX";
	FILE *f;
	int fd;

	(void)state;
	memset(longc, 'c', sizeof(longc) - 1);
	longc[sizeof(longc) - 1] = '\0';
	assert_int_equal(key_format_rfc4716(k, longc, &text), 0);
	assert_int_equal(
	    strncmp(text, "---- BEGIN SSH2 PUBLIC KEY ----\n", 32), 0);
	assert_non_null(strstr(text, "\\\n"));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	assert_int_equal(key_load_public(path, &p, &cmt), 0);
	assert_true(key_equal_public(k, p));
	assert_string_equal(cmt, longc);
	free(cmt);
	key_free(p);
	free(text);
	/* Hand-written: unquoted comment, another header, CRLF. */
	assert_int_equal(key_format_public(k, NULL, &text), 0);
	f = fopen(path, "w");
	fprintf(f,
	    "---- BEGIN SSH2 PUBLIC KEY ----\r\nSubject: me\r\n"
	    "Comment: a b\\\r\n c\r\n%s\r\n---- END SSH2 PUBLIC KEY ----\r\n",
	    strchr(text, ' ') + 1);
	fclose(f);
	assert_int_equal(key_load_public(path, &p, &cmt), 0);
	assert_true(key_equal_public(k, p));
	assert_string_equal(cmt, "a b c");
	free(cmt);
	key_free(p);
	/* Missing END line. */
	f = fopen(path, "w");
	fprintf(
	    f, "---- BEGIN SSH2 PUBLIC KEY ----\n%s\n", strchr(text, ' ') + 1);
	fclose(f);
	assert_int_equal(
	    key_load_public(path, &p, &cmt), QSSH_ERR_INVALID_FORMAT);
	unlink(path);
	free(text);
	key_free(k);
}

/* Finds the checkints of an unencrypted openssh-key-v1 file and breaks them. */
static void
test_private_malformed(void **state)
{
	struct key *k = gen(KEY_ED25519, 0), *p = NULL;
	struct qssh_buf *o = qssh_buf_new(), *raw = qssh_buf_new();
	struct qssh_buf *re = qssh_buf_new();
	struct qssh_view v, s;
	char *text, *b, *e, *enc;
	uint8_t dec[4096];
	size_t declen = 0, off, elen;

	(void)state;
	assert_int_equal(
	    key_serialize_private(k, NULL, "c", KEY_FORMAT_OPENSSH, 0, o), 0);
	text = strndup((const char *)qssh_buf_ptr(o), qssh_buf_len(o));
	assert_false(
	    key_private_is_encrypted((const uint8_t *)text, strlen(text)));
	b = strchr(text, '\n') + 1;
	e = strstr(text, "-----END");
	*e = '\0';
	assert_int_equal(qssh_b64_decode(b, dec, sizeof(dec), &declen), 0);
	/* magic, cipher, kdf, kdfoptions, nkeys, pubkey, then the section. */
	v = qssh_view_make(dec, declen);
	assert_int_equal(qssh_view_skip(&v, 15), 0);
	assert_int_equal(qssh_view_get_string(&v, &s), 0);
	assert_int_equal(qssh_view_get_string(&v, &s), 0);
	assert_int_equal(qssh_view_get_string(&v, &s), 0);
	assert_int_equal(qssh_view_skip(&v, 4), 0);
	assert_int_equal(qssh_view_get_string(&v, &s), 0);
	off = (size_t)(v.p - dec) + 4;
	dec[off] ^= 0x55; /* first checkint */
	elen = qssh_b64_encoded_len(declen);
	enc = malloc(elen);
	assert_true(qssh_b64_encode(dec, declen, enc, elen) >= 0);
	assert_int_equal(qssh_buf_putf(re,
			     "-----BEGIN OPENSSH PRIVATE KEY-----"
			     "\n%s\n-----END OPENSSH PRIVATE KEY-----\n",
			     enc),
	    0);
	assert_int_equal(key_parse_private(qssh_buf_ptr(re), qssh_buf_len(re),
			     NULL, &p, NULL),
	    QSSH_ERR_KEY_WRONG_PASSPHRASE);
	/* Broken padding (last byte). */
	dec[off] ^= 0x55;
	dec[declen - 1] ^= 0x40;
	assert_true(qssh_b64_encode(dec, declen, enc, elen) >= 0);
	qssh_buf_reset(re);
	assert_int_equal(qssh_buf_putf(re,
			     "-----BEGIN OPENSSH PRIVATE KEY-----"
			     "\n%s\n-----END OPENSSH PRIVATE KEY-----\n",
			     enc),
	    0);
	assert_int_equal(key_parse_private(qssh_buf_ptr(re), qssh_buf_len(re),
			     NULL, &p, NULL),
	    QSSH_ERR_INVALID_FORMAT);
	/* Truncated: the outer string runs past the end. */
	assert_true(qssh_b64_encode(dec, declen - 8, enc, elen) >= 0);
	qssh_buf_reset(re);
	assert_int_equal(qssh_buf_putf(re,
			     "-----BEGIN OPENSSH PRIVATE KEY-----"
			     "\n%s\n-----END OPENSSH PRIVATE KEY-----\n",
			     enc),
	    0);
	assert_int_equal(key_parse_private(qssh_buf_ptr(re), qssh_buf_len(re),
			     NULL, &p, NULL),
	    QSSH_ERR_MESSAGE_INCOMPLETE);
	/* Bad base64 and wrong armour. */
	qssh_buf_reset(re);
	assert_int_equal(qssh_buf_putf(re,
			     "-----BEGIN OPENSSH PRIVATE KEY-----"
			     "\nAAA*\n-----END OPENSSH PRIVATE KEY-----\n"),
	    0);
	assert_int_equal(key_parse_private(qssh_buf_ptr(re), qssh_buf_len(re),
			     NULL, &p, NULL),
	    QSSH_ERR_INVALID_FORMAT);
	qssh_buf_reset(re);
	assert_int_equal(qssh_buf_putf(re,
			     "-----BEGIN OPENSSH PRIVATE KEY-----"
			     "\n%s\n-----END OPENSSH PRIVATE KEX-----\n",
			     enc),
	    0);
	assert_int_equal(key_parse_private(qssh_buf_ptr(re), qssh_buf_len(re),
			     NULL, &p, NULL),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    key_parse_private((const uint8_t *)"hello", 5, NULL, &p, NULL),
	    QSSH_ERR_INVALID_FORMAT);
	assert_null(p);
	free(enc);
	free(text);
	qssh_buf_free(o);
	qssh_buf_free(raw);
	qssh_buf_free(re);
	key_free(k);
}

static void
test_private_roundtrip(void **state)
{
	static const enum key_format fmts[] = { KEY_FORMAT_OPENSSH,
		KEY_FORMAT_PEM, KEY_FORMAT_PKCS8 };
	size_t i, f;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(gen_types); i++) {
		struct key *k = gen(gen_types[i].type, gen_types[i].bits);

		for (f = 0; f < QSSH_ARRAY_LEN(fmts); f++) {
			int enc;

			for (enc = 0; enc < 2; enc++) {
				struct qssh_buf *o = qssh_buf_new();
				struct key *p = NULL;
				char *cmt = NULL;
				const char *pass = enc ? "sekrit" : NULL;
				struct qssh_buf *sig = qssh_buf_new();

				assert_int_equal(key_serialize_private(k, pass,
						     "cmt", fmts[f], 1, o),
				    0);
				assert_int_equal(
				    key_private_is_encrypted(
					qssh_buf_ptr(o), qssh_buf_len(o)),
				    enc != 0);
				assert_int_equal(
				    key_parse_private(qssh_buf_ptr(o),
					qssh_buf_len(o), pass, &p, &cmt),
				    0);
				assert_true(key_is_private(p));
				assert_true(key_equal_public(k, p));
				if (fmts[f] == KEY_FORMAT_OPENSSH)
					assert_string_equal(cmt, "cmt");
				free(cmt);
				/* The loaded key signs for the original. */
				assert_int_equal(
				    key_sign(p, NULL, msg, 5, sig), 0);
				assert_int_equal(
				    key_verify(k, NULL, qssh_buf_ptr(sig),
					qssh_buf_len(sig), msg, 5),
				    0);
				key_free(p);
				p = NULL;
				if (enc) {
					assert_int_equal(
					    key_parse_private(qssh_buf_ptr(o),
						qssh_buf_len(o), "wrong", &p,
						NULL),
					    QSSH_ERR_KEY_WRONG_PASSPHRASE);
					assert_int_equal(
					    key_parse_private(qssh_buf_ptr(o),
						qssh_buf_len(o), NULL, &p,
						NULL),
					    QSSH_ERR_KEY_WRONG_PASSPHRASE);
					assert_null(p);
				}
				qssh_buf_free(sig);
				qssh_buf_free(o);
			}
		}
		key_free(k);
	}
}

static void
test_save_load_perms(void **state)
{
	struct key *k = gen(KEY_ED25519, 0), *p = NULL;
	char dir[] = "/tmp/qssh-keyperm-XXXXXX", path[256], pub[300];
	char *cmt = NULL;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/id", dir);
	snprintf(pub, sizeof(pub), "%s/id.pub", dir);
	assert_int_equal(
	    key_save_private(k, path, NULL, "me@here", KEY_FORMAT_OPENSSH, 0),
	    0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(pub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(key_load_private(path, NULL, true, &p, &cmt), 0);
	assert_string_equal(cmt, "me@here");
	free(cmt);
	key_free(p);
	assert_int_equal(key_load_public(pub, &p, &cmt), 0);
	assert_true(key_equal_public(k, p));
	assert_string_equal(cmt, "me@here");
	free(cmt);
	key_free(p);
	p = NULL;
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(key_load_private(path, NULL, true, &p, NULL),
	    QSSH_ERR_KEY_BAD_PERMISSIONS);
	assert_int_equal(key_load_private(path, NULL, false, &p, NULL), 0);
	key_free(p);
	unlink(path);
	assert_int_equal(
	    key_load_private(path, NULL, true, &p, NULL), QSSH_ERR_NOT_FOUND);
	unlink(pub);
	rmdir(dir);
	key_free(k);
}

static bool
all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* key_free() = key_cleanup() + free(); the cleanup leaves nothing behind. */
static void
test_free_wipes(void **state)
{
	struct key *k = gen(KEY_ED25519, 0);

	(void)state;
	assert_false(all_zero(k->ed_sk, 32));
	key_cleanup(k);
	assert_true(all_zero(k, sizeof(*k)));
	free(k);
	key_free(NULL);
}

/*
 * A NUL inside base64 text used to end the decoding early, so whatever
 * followed it was dropped and the key still loaded.
 */
static void
test_b64_embedded_nul(void **state)
{
	struct key *k = gen(KEY_ED25519, 0), *p = NULL;
	struct qssh_buf *o = NULL;
	char *text = NULL, *cmt = NULL, *b64, *t;
	const char *end;
	size_t blen, tlen, pre;
	uint8_t *d;

	(void)state;
	/* RFC 4716: the body line "BASE64\0AAAA". */
	assert_int_equal(key_format_public(k, NULL, &text), 0);
	b64 = strchr(text, ' ') + 1;
	blen = strlen(b64);
	tlen = 32 + blen + 5 + 1 + 30;
	assert_non_null(t = malloc(tlen));
	memcpy(t, "---- BEGIN SSH2 PUBLIC KEY ----\n", 32);
	memcpy(t + 32, b64, blen);
	memcpy(t + 32 + blen, "\0AAAA\n", 6);
	memcpy(t + 32 + blen + 6, "---- END SSH2 PUBLIC KEY ----\n", 30);
	assert_int_equal(
	    key_parse_rfc4716(t, tlen, &p, &cmt), QSSH_ERR_INVALID_FORMAT);
	assert_null(p);
	/* Without the NUL and what follows it, the same text loads. */
	memcpy(t + 32 + blen, "\n", 1);
	memmove(t + 32 + blen + 1, "---- END SSH2 PUBLIC KEY ----\n", 30);
	assert_int_equal(key_parse_rfc4716(t, 32 + blen + 1 + 30, &p, &cmt), 0);
	assert_true(key_equal_public(k, p));
	key_free(p);
	p = NULL;
	free(cmt);
	cmt = NULL;
	free(t);
	free(text);

	/* openssh-key-v1: "\0AAAA" just before the END line. */
	assert_non_null(o = qssh_buf_new());
	assert_int_equal(
	    key_serialize_private(k, NULL, "c", KEY_FORMAT_OPENSSH, 0, o), 0);
	d = qssh_buf_mutable_ptr(o);
	tlen = qssh_buf_len(o);
	end = memmem(d, tlen, "-----END OPENSSH PRIVATE KEY-----", 33);
	assert_non_null(end);
	pre = (size_t)(end - (const char *)d);
	assert_non_null(t = malloc(tlen + 6));
	memcpy(t, d, pre);
	memcpy(t + pre, "\0AAAA\n", 6);
	memcpy(t + pre + 6, d + pre, tlen - pre);
	assert_int_equal(
	    key_parse_private((const uint8_t *)t, tlen + 6, NULL, &p, &cmt),
	    QSSH_ERR_INVALID_FORMAT);
	assert_null(p);
	assert_int_equal(key_parse_private(d, tlen, NULL, &p, &cmt), 0);
	assert_true(key_equal_public(k, p));
	key_free(p);
	free(cmt);
	free(t);
	qssh_buf_free(o);
	key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_sign_verify),
		cmocka_unit_test(test_sign_alg_mismatch),
		cmocka_unit_test(test_blob_roundtrip_truncation),
		cmocka_unit_test(test_blob_malformed),
		cmocka_unit_test(test_rsa_short_signature),
		cmocka_unit_test(test_fingerprint_format),
		cmocka_unit_test(test_public_line),
		cmocka_unit_test(test_rfc4716),
		cmocka_unit_test(test_private_malformed),
		cmocka_unit_test(test_private_roundtrip),
		cmocka_unit_test(test_save_load_perms),
		cmocka_unit_test(test_free_wipes),
		cmocka_unit_test(test_b64_embedded_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
