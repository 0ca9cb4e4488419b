/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ML-KEM-768: the internal SHA-3/SHAKE against OpenSSL, every Wycheproof
 * ML-KEM-768 vector (key generation from seeds, encapsulation with the
 * modulus check, decapsulation with the key and length checks and implicit
 * rejection), round trips and the error paths of the API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "common/err.h"
#include "common/util.h"
#include "control/mlkem768.h"
#include "mlkem768_int.h"
#include "testlib.h"

struct tally {
	unsigned valid, invalid, rejected; /* rejected: implicit rejection */
};

typedef void (*vector_fn)(const struct tj *t, struct tally *tl);

static uint8_t *
unhex(const struct tj *t, const char *key, size_t *len)
{
	uint8_t *p = NULL;
	const char *s = tj_str(t, key);

	assert_non_null(s);
	assert_int_equal(test_unhex(s, &p, len), 0);
	return p;
}

static int
tc_id(const struct tj *t)
{
	return (int)tj_num(t, "tcId", -1);
}

static bool
is_valid(const struct tj *t)
{
	const char *r = tj_str(t, "result");

	assert_non_null(r);
	if (strcmp(r, "valid") == 0)
		return true;
	assert_string_equal(r, "invalid");
	return false;
}

static bool
has_flag(const struct tj *t, const char *flag)
{
	const struct tj *f = tj_get(t, "flags");
	size_t i;

	if (f == NULL || f->type != TJ_ARR)
		return false;
	for (i = 0; i < f->n; i++)
		if (f->items[i]->type == TJ_STR &&
		    strcmp(f->items[i]->str, flag) == 0)
			return true;
	return false;
}

/* Runs fn on every test of a vector file; returns the number run. */
static unsigned
run_file(const char *name, vector_fn fn, struct tally *tl)
{
	struct tj *root = tj_parse_file(test_vector_path(name));
	const struct tj *groups, *tests;
	unsigned n = 0;
	size_t g, i;

	assert_non_null(root);
	groups = tj_get(root, "testGroups");
	assert_non_null(groups);
	for (g = 0; g < groups->n; g++) {
		assert_string_equal(
		    tj_str(groups->items[g], "parameterSet"), "ML-KEM-768");
		tests = tj_get(groups->items[g], "tests");
		assert_non_null(tests);
		for (i = 0; i < tests->n; i++) {
			fn(tests->items[i], tl);
			n++;
		}
	}
	assert_int_equal(n, (unsigned)tj_num(root, "numberOfTests", -1));
	tj_free(root);
	printf("%s: %u/%u vectors passed (%u valid, %u invalid, %u of the "
	       "valid by implicit rejection)\n",
	    name, n, n, tl->valid, tl->invalid, tl->rejected);
	return n;
}

/* J(z || c) through OpenSSL, to tell implicit rejections apart. */
static void
ref_j(uint8_t out[32], const uint8_t *z, const uint8_t *c, size_t clen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_shake256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, z, 32), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, c, clen), 1);
	assert_int_equal(EVP_DigestFinalXOF(ctx, out, 32), 1);
	EVP_MD_CTX_free(ctx);
}

static void
ref_digest(const EVP_MD *md, uint8_t *out, size_t outlen, const uint8_t *in,
    size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, md, NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, in, len), 1);
	if (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF)
		assert_int_equal(EVP_DigestFinalXOF(ctx, out, outlen), 1);
	else
		assert_int_equal(EVP_DigestFinal_ex(ctx, out, NULL), 1);
	EVP_MD_CTX_free(ctx);
}

static void
test_keccak_vs_openssl(void **state)
{
	uint8_t in[600], a[700], b[700];
	size_t len, olen;
	struct mlkem_keccak k;

	(void)state;
	for (len = 0; len < sizeof(in); len++)
		in[len] = (uint8_t)(len * 131 + 7);
	/* lengths around every rate boundary */
	for (len = 0; len < sizeof(in); len += (len < 300 ? 1 : 37)) {
		mlkem_sha3_256(a, in, len);
		ref_digest(EVP_sha3_256(), b, 32, in, len);
		assert_memory_equal(a, b, 32);
		mlkem_sha3_512(a, in, len);
		ref_digest(EVP_sha3_512(), b, 64, in, len);
		assert_memory_equal(a, b, 64);
		olen = (len * 7) % sizeof(a);
		mlkem_shake128(a, olen, in, len);
		ref_digest(EVP_shake128(), b, olen, in, len);
		assert_memory_equal(a, b, olen);
		mlkem_shake256(a, olen, in, len);
		ref_digest(EVP_shake256(), b, olen, in, len);
		assert_memory_equal(a, b, olen);
	}
	/* incremental absorb and squeeze give the one-shot result */
	mlkem_keccak_init(&k, MLKEM_SHAKE128_RATE);
	mlkem_keccak_absorb(&k, in, 100);
	mlkem_keccak_absorb(&k, in + 100, 250);
	mlkem_keccak_finish(&k, 0x1f);
	mlkem_keccak_squeeze(&k, a, 1);
	mlkem_keccak_squeeze(&k, a + 1, 200);
	mlkem_keccak_squeeze(&k, a + 201, 499);
	ref_digest(EVP_shake128(), b, 700, in, 350);
	assert_memory_equal(a, b, 700);
}

static void
keygen_vector(const struct tj *t, struct tally *tl)
{
	size_t slen, eklen, dklen;
	uint8_t *seed = unhex(t, "seed", &slen);
	uint8_t *ek = unhex(t, "ek", &eklen);
	uint8_t *dk = unhex(t, "dk", &dklen);
	uint8_t gek[MLKEM768_EK_LEN], gdk[MLKEM768_DK_LEN];

	assert_true(is_valid(t));
	assert_int_equal(slen, 64);
	assert_int_equal(eklen, MLKEM768_EK_LEN);
	assert_int_equal(dklen, MLKEM768_DK_LEN);
	if (mlkem768_keygen_seeded(gek, gdk, seed, seed + 32) != 0)
		fail_msg("tcId %d: keygen failed", tc_id(t));
	assert_memory_equal(gek, ek, eklen);
	assert_memory_equal(gdk, dk, dklen);
	assert_int_equal(mlkem768_check_ek(gek, sizeof(gek)), 0);
	assert_int_equal(mlkem768_check_dk(gdk, sizeof(gdk)), 0);
	tl->valid++;
	free(seed);
	free(ek);
	free(dk);
}

static void
test_wycheproof_keygen(void **state)
{
	struct tally tl = { 0, 0, 0 };

	(void)state;
	assert_int_equal(run_file("wycheproof/mlkem_768_keygen_seed_test.json",
			     keygen_vector, &tl),
	    100);
}

static void
encaps_vector(const struct tj *t, struct tally *tl)
{
	size_t mlen, eklen, clen, klen;
	uint8_t *m = unhex(t, "m", &mlen);
	uint8_t *ek = unhex(t, "ek", &eklen);
	uint8_t *c = unhex(t, "c", &clen);
	uint8_t *k = unhex(t, "K", &klen);
	uint8_t ct[MLKEM768_CT_LEN], ss[MLKEM768_SS_LEN];
	int r, want;

	assert_int_equal(mlen, 32);
	r = mlkem768_encaps_seeded(ct, ss, ek, eklen, m);
	if (is_valid(t)) {
		if (r != 0)
			fail_msg("tcId %d: valid ek rejected: %s", tc_id(t),
			    qssh_errname(r));
		assert_int_equal(clen, sizeof(ct));
		assert_int_equal(klen, sizeof(ss));
		assert_memory_equal(ct, c, clen);
		assert_memory_equal(ss, k, klen);
		tl->valid++;
	} else {
		/* wrong length, or a coefficient >= q (modulus check) */
		want = eklen != MLKEM768_EK_LEN ? QSSH_ERR_KEY_LENGTH
						: QSSH_ERR_KEY_INVALID;
		if (r != want)
			fail_msg("tcId %d: got %s, want %s", tc_id(t),
			    qssh_errname(r), qssh_errname(want));
		assert_int_equal(mlkem768_check_ek(ek, eklen), want);
		tl->invalid++;
	}
	free(m);
	free(ek);
	free(c);
	free(k);
}

static void
test_wycheproof_encaps(void **state)
{
	struct tally tl = { 0, 0, 0 };

	(void)state;
	assert_int_equal(run_file("wycheproof/mlkem_768_encaps_test.json",
			     encaps_vector, &tl),
	    265);
}

/* The decapsulation checks of FIPS 203 section 7.3, by Wycheproof flag. */
static int
decaps_error_for(const struct tj *t)
{
	if (has_flag(t, "IncorrectCiphertextLength"))
		return QSSH_ERR_INVALID_FORMAT;
	if (has_flag(t, "IncorrectDecapsulationKeyLength"))
		return QSSH_ERR_KEY_LENGTH;
	if (has_flag(t, "InvalidDecapsulationKey"))
		return QSSH_ERR_KEY_INVALID;
	fail_msg("tcId %d: invalid vector without a known flag", tc_id(t));
	return 0;
}

static void
semi_expanded_vector(const struct tj *t, struct tally *tl)
{
	size_t dklen, clen, eklen, klen;
	uint8_t *dk = unhex(t, "dk", &dklen);
	uint8_t *c = unhex(t, "c", &clen);
	uint8_t *ek = unhex(t, "ek", &eklen);
	uint8_t ss[MLKEM768_SS_LEN], j[32], *k;
	int r, want;

	r = mlkem768_decaps(ss, dk, dklen, c, clen);
	if (is_valid(t)) {
		k = unhex(t, "K", &klen);
		if (r != 0)
			fail_msg("tcId %d: valid decaps failed: %s", tc_id(t),
			    qssh_errname(r));
		assert_int_equal(klen, sizeof(ss));
		assert_memory_equal(ss, k, klen);
		/* the public key inside dk is the vector's ek */
		assert_int_equal(eklen, MLKEM768_EK_LEN);
		assert_memory_equal(dk + 1152, ek, eklen);
		ref_j(j, dk + 2368, c, clen);
		if (memcmp(j, ss, sizeof(j)) == 0)
			tl->rejected++;
		tl->valid++;
		free(k);
	} else {
		want = decaps_error_for(t);
		if (r != want)
			fail_msg("tcId %d: got %s, want %s", tc_id(t),
			    qssh_errname(r), qssh_errname(want));
		tl->invalid++;
	}
	free(dk);
	free(c);
	free(ek);
}

static void
test_wycheproof_semi_expanded_decaps(void **state)
{
	struct tally tl = { 0, 0, 0 };

	(void)state;
	assert_int_equal(
	    run_file("wycheproof/mlkem_768_semi_expanded_decaps_test.json",
		semi_expanded_vector, &tl),
	    9);
}

/* Seed-form private key: key generation, then decapsulation. */
static void
full_vector(const struct tj *t, struct tally *tl)
{
	size_t slen, clen, eklen, klen;
	uint8_t *seed = unhex(t, "seed", &slen);
	uint8_t *c = unhex(t, "c", &clen);
	uint8_t *k = unhex(t, "K", &klen);
	uint8_t *ek = NULL;
	uint8_t gek[MLKEM768_EK_LEN], gdk[MLKEM768_DK_LEN];
	uint8_t ss[MLKEM768_SS_LEN], j[32];
	int r, want;

	if (tj_get(t, "ek") != NULL)
		ek = unhex(t, "ek", &eklen);
	r = mlkem768_keygen_from_seed(gek, gdk, seed, slen);
	if (r == 0) {
		if (ek != NULL) {
			assert_int_equal(eklen, sizeof(gek));
			assert_memory_equal(gek, ek, eklen);
		}
		r = mlkem768_decaps(ss, gdk, sizeof(gdk), c, clen);
	}
	if (is_valid(t)) {
		if (r != 0)
			fail_msg("tcId %d: valid vector failed: %s", tc_id(t),
			    qssh_errname(r));
		assert_int_equal(klen, sizeof(ss));
		assert_memory_equal(ss, k, klen);
		ref_j(j, seed + 32, c, clen);
		if (memcmp(j, ss, sizeof(j)) == 0)
			tl->rejected++;
		tl->valid++;
	} else {
		want =
		    slen != 64 ? QSSH_ERR_KEY_LENGTH : QSSH_ERR_INVALID_FORMAT;
		if (r != want)
			fail_msg("tcId %d: got %s, want %s", tc_id(t),
			    qssh_errname(r), qssh_errname(want));
		tl->invalid++;
	}
	free(seed);
	free(c);
	free(k);
	free(ek);
}

static void
test_wycheproof_full(void **state)
{
	struct tally tl = { 0, 0, 0 };

	(void)state;
	assert_int_equal(
	    run_file("wycheproof/mlkem_768_test.json", full_vector, &tl), 193);
	/* the bit-flipped, random and strcmp ciphertexts are rejected */
	assert_true(tl.rejected >= 21);
}

static void
test_roundtrip(void **state)
{
	uint8_t ek[MLKEM768_EK_LEN], dk[MLKEM768_DK_LEN];
	uint8_t ct[MLKEM768_CT_LEN], ss1[32], ss2[32], j[32];
	int i;

	(void)state;
	for (i = 0; i < 20; i++) {
		assert_int_equal(mlkem768_keygen(ek, dk), 0);
		assert_int_equal(mlkem768_encaps(ct, ss1, ek, sizeof(ek)), 0);
		assert_int_equal(
		    mlkem768_decaps(ss2, dk, sizeof(dk), ct, sizeof(ct)), 0);
		assert_memory_equal(ss1, ss2, 32);
		/* any change of the ciphertext gives J(z || c') */
		ct[(size_t)i * 53 % sizeof(ct)] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(
		    mlkem768_decaps(ss2, dk, sizeof(dk), ct, sizeof(ct)), 0);
		ref_j(j, dk + 2368, ct, sizeof(ct));
		assert_memory_equal(ss2, j, 32);
		assert_memory_not_equal(ss1, ss2, 32);
	}
}

static void
test_checks(void **state)
{
	uint8_t ek[MLKEM768_EK_LEN], dk[MLKEM768_DK_LEN], big[2500];
	uint8_t ct[MLKEM768_CT_LEN], ss[32], d[32], z[32], m[32];
	size_t i;

	(void)state;
	for (i = 0; i < 32; i++) {
		d[i] = (uint8_t)i;
		z[i] = (uint8_t)(i + 32);
		m[i] = (uint8_t)(i + 64);
	}
	assert_int_equal(mlkem768_keygen_seeded(ek, dk, d, z), 0);
	assert_int_equal(mlkem768_check_ek(ek, sizeof(ek)), 0);

	/* first coefficient = q fails the modulus check, q - 1 passes */
	ek[0] = 3329 & 0xff;
	ek[1] = (uint8_t)((ek[1] & 0xf0) | (3329 >> 8));
	assert_int_equal(
	    mlkem768_check_ek(ek, sizeof(ek)), QSSH_ERR_KEY_INVALID);
	assert_int_equal(mlkem768_encaps_seeded(ct, ss, ek, sizeof(ek), m),
	    QSSH_ERR_KEY_INVALID);
	for (i = 0; i < sizeof(ss); i++)
		assert_int_equal(ss[i], 0);
	ek[0] = 3328 & 0xff;
	assert_int_equal(mlkem768_check_ek(ek, sizeof(ek)), 0);
	/* last coefficient 0xfff */
	memcpy(ek, dk + 1152, sizeof(ek));
	ek[1151] = 0xff;
	ek[1150] |= 0xf0;
	assert_int_equal(
	    mlkem768_check_ek(ek, sizeof(ek)), QSSH_ERR_KEY_INVALID);
	memcpy(ek, dk + 1152, sizeof(ek));
	/* rho is not checked */
	ek[1183] ^= 0xff;
	assert_int_equal(mlkem768_check_ek(ek, sizeof(ek)), 0);
	memcpy(ek, dk + 1152, sizeof(ek));

	assert_int_equal(mlkem768_encaps_seeded(ct, ss, ek, sizeof(ek), m), 0);
	assert_int_equal(mlkem768_check_dk(dk, sizeof(dk)), 0);
	memcpy(big, dk, sizeof(dk));
	assert_int_equal(
	    mlkem768_decaps(ss, big, sizeof(dk) - 1, ct, sizeof(ct)),
	    QSSH_ERR_KEY_LENGTH);
	assert_int_equal(
	    mlkem768_decaps(ss, big, sizeof(dk) + 1, ct, sizeof(ct)),
	    QSSH_ERR_KEY_LENGTH);
	assert_int_equal(
	    mlkem768_decaps(ss, dk, sizeof(dk), ct, sizeof(ct) - 1),
	    QSSH_ERR_INVALID_FORMAT);
	/* any change of the embedded ek or its hash fails the hash check */
	for (i = 1152; i < 2368; i += 61) {
		big[i] ^= 0x10;
		assert_int_equal(
		    mlkem768_check_dk(big, sizeof(dk)), QSSH_ERR_KEY_INVALID);
		assert_int_equal(
		    mlkem768_decaps(ss, big, sizeof(dk), ct, sizeof(ct)),
		    QSSH_ERR_KEY_INVALID);
		big[i] ^= 0x10;
	}
	/* changes of s or z are not detectable and not errors */
	big[0] ^= 1;
	big[2399] ^= 1;
	assert_int_equal(
	    mlkem768_decaps(ss, big, sizeof(dk), ct, sizeof(ct)), 0);

	assert_int_equal(
	    mlkem768_keygen_from_seed(ek, dk, big, 63), QSSH_ERR_KEY_LENGTH);
	assert_int_equal(
	    mlkem768_encaps(ct, ss, ek, sizeof(ek) + 1), QSSH_ERR_KEY_LENGTH);
	assert_int_equal(mlkem768_encaps(ct, ss, NULL, sizeof(ek)),
	    QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(mlkem768_decaps(ss, NULL, sizeof(dk), ct, sizeof(ct)),
	    QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(mlkem768_decaps(NULL, dk, sizeof(dk), ct, sizeof(ct)),
	    QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(
	    mlkem768_keygen_seeded(ek, dk, NULL, z), QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(mlkem768_keygen(NULL, dk), QSSH_ERR_INVALID_ARGUMENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keccak_vs_openssl),
		cmocka_unit_test(test_wycheproof_keygen),
		cmocka_unit_test(test_wycheproof_encaps),
		cmocka_unit_test(test_wycheproof_semi_expanded_decaps),
		cmocka_unit_test(test_wycheproof_full),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
