/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Wycheproof signature vectors driven through key_verify(): the keys are
 * turned into SSH blobs and the signatures into SSH signature blobs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "control/key.h"
#include "testlib.h"

struct tally {
	unsigned ok, skipped;
};

static uint8_t *
unhex(const char *s, size_t *len)
{
	uint8_t *p = NULL;

	assert_non_null(s);
	assert_int_equal(test_unhex(s, &p, len), 0);
	return p;
}

/* Checks one vector; "acceptable" may go either way. */
static void
check_result(const struct tj *t, int r, struct tally *tl)
{
	const char *result = tj_str(t, "result");
	int id = (int)tj_num(t, "tcId", -1);

	if (strcmp(result, "valid") == 0 && r != 0)
		fail_msg("tcId %d: valid signature rejected: %s", id,
		    qssh_errname(r));
	if (strcmp(result, "invalid") == 0 && r == 0)
		fail_msg("tcId %d: invalid signature accepted", id);
	tl->ok++;
}

static struct key *
key_from_buf(struct qssh_buf *b)
{
	struct key *k = NULL;
	int r;

	r = key_from_blob(qssh_buf_ptr(b), qssh_buf_len(b), &k);
	if (r != 0)
		return NULL;
	return k;
}

static void
sig_blob(struct qssh_buf *out, const char *alg, const uint8_t *s, size_t len)
{
	qssh_buf_reset(out);
	assert_int_equal(qssh_buf_put_cstring(out, alg), 0);
	assert_int_equal(qssh_buf_put_string(out, s, len), 0);
}

static void
test_ed25519(void **state)
{
	struct tj *root =
	    tj_parse_file(test_vector_path("wycheproof/ed25519_test.json"));
	const struct tj *groups;
	struct qssh_buf *b = qssh_buf_new(), *sig = qssh_buf_new();
	struct tally tl = { 0, 0 };
	size_t g, i;

	(void)state;
	assert_non_null(root);
	groups = tj_get(root, "testGroups");
	for (g = 0; g < groups->n; g++) {
		const struct tj *grp = groups->items[g];
		const struct tj *tests = tj_get(grp, "tests");
		uint8_t *pk;
		size_t pklen;
		struct key *k;

		pk = unhex(tj_str(tj_get(grp, "publicKey"), "pk"), &pklen);
		qssh_buf_reset(b);
		assert_int_equal(qssh_buf_put_cstring(b, "ssh-ed25519"), 0);
		assert_int_equal(qssh_buf_put_string(b, pk, pklen), 0);
		free(pk);
		k = key_from_buf(b);
		assert_non_null(k);
		for (i = 0; i < tests->n; i++) {
			const struct tj *t = tests->items[i];
			uint8_t *m, *s;
			size_t mlen, slen;
			int r;

			m = unhex(tj_str(t, "msg"), &mlen);
			s = unhex(tj_str(t, "sig"), &slen);
			sig_blob(sig, "ssh-ed25519", s, slen);
			r = key_verify(k, "ssh-ed25519", qssh_buf_ptr(sig),
			    qssh_buf_len(sig), m, mlen);
			check_result(t, r, &tl);
			free(m);
			free(s);
		}
		key_free(k);
	}
	print_message("ed25519: %u vectors\n", tl.ok);
	assert_true(tl.ok > 100);
	qssh_buf_free(b);
	qssh_buf_free(sig);
	tj_free(root);
}

/*
 * DER (r, s) to the SSH form; false if the DER is not strictly valid (such
 * vectors must be "invalid", and are counted as skipped).
 */
static bool
der_to_ssh(const uint8_t *der, size_t len, struct qssh_buf *out)
{
	const unsigned char *p = der;
	unsigned char *re = NULL;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	uint8_t tmp[256];
	int n;
	bool ok = false;

	qssh_buf_reset(out);
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		return false;
	if (p != der + len)
		goto out;
	n = i2d_ECDSA_SIG(es, &re);
	if (n <= 0 || (size_t)n != len || memcmp(re, der, len) != 0)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_is_negative(r) || BN_is_negative(s) ||
	    BN_num_bytes(r) > (int)sizeof(tmp) ||
	    BN_num_bytes(s) > (int)sizeof(tmp))
		goto out;
	n = BN_bn2bin(r, tmp);
	assert_int_equal(qssh_buf_put_mpint_bytes(out, tmp, (size_t)n), 0);
	n = BN_bn2bin(s, tmp);
	assert_int_equal(qssh_buf_put_mpint_bytes(out, tmp, (size_t)n), 0);
	ok = true;
out:
	OPENSSL_free(re);
	ECDSA_SIG_free(es);
	return ok;
}

static void
run_ecdsa(const char *file, const char *alg, const char *curve)
{
	struct tj *root = tj_parse_file(test_vector_path(file));
	const struct tj *groups;
	struct qssh_buf *b = qssh_buf_new(), *sig = qssh_buf_new();
	struct qssh_buf *rs = qssh_buf_new();
	struct tally tl = { 0, 0 };
	size_t g, i;

	assert_non_null(root);
	groups = tj_get(root, "testGroups");
	for (g = 0; g < groups->n; g++) {
		const struct tj *grp = groups->items[g];
		const struct tj *tests = tj_get(grp, "tests");
		uint8_t *q;
		size_t qlen;
		struct key *k;

		q = unhex(
		    tj_str(tj_get(grp, "publicKey"), "uncompressed"), &qlen);
		qssh_buf_reset(b);
		assert_int_equal(qssh_buf_put_cstring(b, alg), 0);
		assert_int_equal(qssh_buf_put_cstring(b, curve), 0);
		assert_int_equal(qssh_buf_put_string(b, q, qlen), 0);
		free(q);
		k = key_from_buf(b);
		assert_non_null(k);
		for (i = 0; i < tests->n; i++) {
			const struct tj *t = tests->items[i];
			uint8_t *m, *s;
			size_t mlen, slen;
			int r;

			m = unhex(tj_str(t, "msg"), &mlen);
			s = unhex(tj_str(t, "sig"), &slen);
			if (!der_to_ssh(s, slen, rs)) {
				assert_string_not_equal(
				    tj_str(t, "result"), "valid");
				tl.skipped++;
			} else {
				qssh_buf_reset(sig);
				assert_int_equal(
				    qssh_buf_put_cstring(sig, alg), 0);
				assert_int_equal(
				    qssh_buf_put_stringb(sig, rs), 0);
				r = key_verify(k, alg, qssh_buf_ptr(sig),
				    qssh_buf_len(sig), m, mlen);
				check_result(t, r, &tl);
			}
			free(m);
			free(s);
		}
		key_free(k);
	}
	print_message("%s: %u vectors, %u DER-invalid skipped\n", curve, tl.ok,
	    tl.skipped);
	assert_true(tl.ok > 100);
	qssh_buf_free(b);
	qssh_buf_free(sig);
	qssh_buf_free(rs);
	tj_free(root);
}

static void
test_ecdsa_p256(void **state)
{
	(void)state;
	run_ecdsa("wycheproof/ecdsa_secp256r1_sha256_test.json",
	    "ecdsa-sha2-nistp256", "nistp256");
}

static void
test_ecdsa_p384(void **state)
{
	(void)state;
	run_ecdsa("wycheproof/ecdsa_secp384r1_sha384_test.json",
	    "ecdsa-sha2-nistp384", "nistp384");
}

static void
test_ecdsa_p521(void **state)
{
	(void)state;
	run_ecdsa("wycheproof/ecdsa_secp521r1_sha512_test.json",
	    "ecdsa-sha2-nistp521", "nistp521");
}

static void
run_rsa(const char *file, const char *alg)
{
	struct tj *root = tj_parse_file(test_vector_path(file));
	const struct tj *groups;
	struct qssh_buf *b = qssh_buf_new(), *sig = qssh_buf_new();
	struct tally tl = { 0, 0 };
	size_t g, i;

	assert_non_null(root);
	groups = tj_get(root, "testGroups");
	for (g = 0; g < groups->n; g++) {
		const struct tj *grp = groups->items[g];
		const struct tj *pkj = tj_get(grp, "publicKey");
		const struct tj *tests = tj_get(grp, "tests");
		uint8_t *n, *e;
		size_t nlen, elen;
		struct key *k;

		n = unhex(tj_str(pkj, "modulus"), &nlen);
		e = unhex(tj_str(pkj, "publicExponent"), &elen);
		qssh_buf_reset(b);
		assert_int_equal(qssh_buf_put_cstring(b, "ssh-rsa"), 0);
		assert_int_equal(qssh_buf_put_mpint_bytes(b, e, elen), 0);
		assert_int_equal(qssh_buf_put_mpint_bytes(b, n, nlen), 0);
		free(n);
		free(e);
		k = key_from_buf(b);
		assert_non_null(k);
		for (i = 0; i < tests->n; i++) {
			const struct tj *t = tests->items[i];
			uint8_t *m, *s;
			size_t mlen, slen;
			int r;

			m = unhex(tj_str(t, "msg"), &mlen);
			s = unhex(tj_str(t, "sig"), &slen);
			sig_blob(sig, alg, s, slen);
			r = key_verify(k, alg, qssh_buf_ptr(sig),
			    qssh_buf_len(sig), m, mlen);
			check_result(t, r, &tl);
			free(m);
			free(s);
		}
		key_free(k);
	}
	print_message("%s: %u vectors\n", file, tl.ok);
	assert_true(tl.ok > 100);
	qssh_buf_free(b);
	qssh_buf_free(sig);
	tj_free(root);
}

static void
test_rsa_2048_sha256(void **state)
{
	(void)state;
	run_rsa(
	    "wycheproof/rsa_signature_2048_sha256_test.json", "rsa-sha2-256");
}

static void
test_rsa_4096_sha512(void **state)
{
	(void)state;
	run_rsa(
	    "wycheproof/rsa_signature_4096_sha512_test.json", "rsa-sha2-512");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ed25519),
		cmocka_unit_test(test_ecdsa_p256),
		cmocka_unit_test(test_ecdsa_p384),
		cmocka_unit_test(test_ecdsa_p521),
		cmocka_unit_test(test_rsa_2048_sha256),
		cmocka_unit_test(test_rsa_4096_sha512),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
