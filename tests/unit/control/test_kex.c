/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Key exchange: list handling, KEXINIT parsing and negotiation, key
 * derivation, primitives against Wycheproof, moduli files, and full
 * client/server exchanges over two in-memory transports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/kex.h"
#include "control/key.h"
#include "dataplane/transport.h"
#include "testlib.h"

/* ---- lists ---- */

static void
test_assemble_list(void **state)
{
	const char *def = "a,b,c";
	const char *sup = "a,b,c,d,e-x,e-y";
	char *s = NULL;

	(void)state;
	assert_int_equal(kex_assemble_list(def, sup, NULL, &s), 0);
	assert_string_equal(s, "a,b,c");
	free(s);
	assert_int_equal(kex_assemble_list(def, sup, "d,a", &s), 0);
	assert_string_equal(s, "d,a");
	free(s);
	assert_int_equal(kex_assemble_list(def, sup, "+d,b", &s), 0);
	assert_string_equal(s, "a,b,c,d");
	free(s);
	assert_int_equal(kex_assemble_list(def, sup, "-b", &s), 0);
	assert_string_equal(s, "a,c");
	free(s);
	assert_int_equal(kex_assemble_list(def, sup, "^c,d", &s), 0);
	assert_string_equal(s, "c,d,a,b");
	free(s);
	assert_int_equal(kex_assemble_list(def, sup, "e-*", &s), 0);
	assert_string_equal(s, "e-x,e-y");
	free(s);
	assert_int_equal(
	    kex_assemble_list(def, sup, "-*", &s), QSSH_ERR_NO_MATCH);
	assert_null(s);
	assert_int_equal(kex_assemble_list(def, sup, "bogus", &s),
	    QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(kex_assemble_list(def, sup, "+bogus", &s),
	    QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(kex_assemble_list(def, sup, "-bogus", &s),
	    QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(
	    kex_assemble_list(def, sup, "a,,b", &s), QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(
	    kex_assemble_list(def, sup, "a,", &s), QSSH_ERR_INVALID_ARGUMENT);
	/* The real tables. */
	assert_int_equal(
	    kex_assemble_list(kex_default_list(KEX_PROP_KEX, KEX_ROLE_CLIENT),
		kex_supported_list(KEX_PROP_KEX), "+diffie-hellman-group1-sha1",
		&s),
	    0);
	assert_true(qssh_namelist_contains(s, "diffie-hellman-group1-sha1"));
	assert_false(qssh_namelist_contains(
	    kex_default_list(KEX_PROP_KEX, KEX_ROLE_CLIENT),
	    "diffie-hellman-group14-sha1"));
	free(s);
	assert_true(kex_is_pseudo_alg(KEX_STRICT_C));
	assert_true(kex_is_pseudo_alg("ext-info-c"));
	assert_false(kex_is_pseudo_alg("curve25519-sha256"));
}

/* ---- KEXINIT ---- */

static void
set_props(struct kex_proposal_set *p, const char *kex, const char *hk,
    const char *enc, const char *mac, const char *comp)
{
	memset(p, 0, sizeof(*p));
	p->names[KEX_PROP_KEX] = strdup(kex);
	p->names[KEX_PROP_HOSTKEY] = strdup(hk);
	p->names[KEX_PROP_ENC_C2S] = strdup(enc);
	p->names[KEX_PROP_ENC_S2C] = strdup(enc);
	p->names[KEX_PROP_MAC_C2S] = strdup(mac);
	p->names[KEX_PROP_MAC_S2C] = strdup(mac);
	p->names[KEX_PROP_COMP_C2S] = strdup(comp);
	p->names[KEX_PROP_COMP_S2C] = strdup(comp);
	p->names[KEX_PROP_LANG_C2S] = strdup("");
	p->names[KEX_PROP_LANG_S2C] = strdup("");
}

static void
test_proposal_roundtrip(void **state)
{
	struct kex_proposal_set a, b;
	struct qssh_buf *buf = qssh_buf_new();
	struct qssh_view v;
	size_t i;

	(void)state;
	set_props(&a, "curve25519-sha256,ext-info-c", "ssh-ed25519",
	    "aes128-ctr", "hmac-sha1", "none");
	a.cookie[0] = 7;
	a.first_kex_follows = true;
	assert_int_equal(kex_proposal_build(&a, buf), 0);
	assert_int_equal(kex_proposal_parse(qssh_buf_view(buf), &b), 0);
	assert_memory_equal(a.cookie, b.cookie, 16);
	for (i = 0; i < KEX_PROP_MAX; i++)
		assert_string_equal(a.names[i], b.names[i]);
	assert_true(b.first_kex_follows);
	kex_proposal_cleanup(&b);
	/* Truncated anywhere: an error, never a crash. */
	for (i = 0; i < qssh_buf_len(buf); i++) {
		v = qssh_view_make(qssh_buf_ptr(buf), i);
		assert_int_not_equal(kex_proposal_parse(v, &b), 0);
	}
	kex_proposal_cleanup(&a);
	/* Empty names inside a list are refused. */
	set_props(&a, "curve25519-sha256,,x", "ssh-ed25519", "aes128-ctr",
	    "hmac-sha1", "none");
	qssh_buf_reset(buf);
	assert_int_equal(kex_proposal_build(&a, buf), 0);
	assert_int_equal(kex_proposal_parse(qssh_buf_view(buf), &b),
	    QSSH_ERR_INVALID_FORMAT);
	kex_proposal_cleanup(&a);
	qssh_buf_free(buf);
}

static void
test_negotiate(void **state)
{
	struct kex_proposal_set c, s;
	struct kex_choice ch;
	char *detail = NULL;

	(void)state;
	set_props(&c,
	    "ext-info-c,curve25519-sha256,ecdh-sha2-nistp256," KEX_STRICT_C,
	    "ssh-ed25519,rsa-sha2-512", "aes256-gcm@openssh.com,aes128-ctr",
	    "hmac-sha2-256,hmac-sha1", "none");
	set_props(&s,
	    "ecdh-sha2-nistp256,curve25519-sha256,ext-info-c," KEX_STRICT_S,
	    "rsa-sha2-512,ssh-ed25519", "aes128-ctr,aes256-gcm@openssh.com",
	    "hmac-sha1,hmac-sha2-256", "none,zlib@openssh.com");
	assert_int_equal(
	    kex_negotiate(&c, &s, KEX_ROLE_SERVER, true, &ch, &detail), 0);
	/* Pseudo-algorithms are never chosen. */
	assert_string_equal(ch.names[KEX_PROP_KEX], "curve25519-sha256");
	assert_string_equal(ch.names[KEX_PROP_HOSTKEY], "ssh-ed25519");
	assert_string_equal(
	    ch.names[KEX_PROP_ENC_C2S], "aes256-gcm@openssh.com");
	/* AEAD: no MAC. */
	assert_null(ch.names[KEX_PROP_MAC_C2S]);
	assert_string_equal(ch.names[KEX_PROP_COMP_C2S], "none");
	assert_true(ch.strict);
	assert_true(ch.peer_ext_info);
	assert_false(ch.peer_guess_wrong);
	kex_choice_cleanup(&ch);
	/* Not the first kex: pseudo-algorithms don't count. */
	assert_int_equal(
	    kex_negotiate(&c, &s, KEX_ROLE_SERVER, false, &ch, NULL), 0);
	assert_false(ch.strict);
	assert_false(ch.peer_ext_info);
	kex_choice_cleanup(&ch);

	/*
	 * RFC 4253 7: the client guessed curve25519 / ssh-ed25519, the server
	 * prefers ecdh-sha2-nistp256 / rsa-sha2-512: a wrong guess, even though
	 * curve25519 is what negotiation picks.
	 */
	c.first_kex_follows = true;
	free(c.names[KEX_PROP_KEX]);
	c.names[KEX_PROP_KEX] = strdup("curve25519-sha256,ext-info-c");
	assert_int_equal(
	    kex_negotiate(&c, &s, KEX_ROLE_SERVER, true, &ch, NULL), 0);
	assert_string_equal(ch.names[KEX_PROP_KEX], "curve25519-sha256");
	assert_true(ch.peer_guess_wrong);
	kex_choice_cleanup(&ch);
	/* Same first kex and host key algorithm on both sides: right guess. */
	free(c.names[KEX_PROP_KEX]);
	c.names[KEX_PROP_KEX] = strdup("ecdh-sha2-nistp256,ext-info-c");
	free(c.names[KEX_PROP_HOSTKEY]);
	c.names[KEX_PROP_HOSTKEY] = strdup("rsa-sha2-512,ssh-ed25519");
	assert_int_equal(
	    kex_negotiate(&c, &s, KEX_ROLE_SERVER, true, &ch, NULL), 0);
	assert_false(ch.peer_guess_wrong);
	kex_choice_cleanup(&ch);
	/* Wrong host key guess. */
	free(c.names[KEX_PROP_HOSTKEY]);
	c.names[KEX_PROP_HOSTKEY] = strdup("ecdsa-sha2-nistp256,rsa-sha2-512");
	assert_int_equal(
	    kex_negotiate(&c, &s, KEX_ROLE_SERVER, true, &ch, NULL), 0);
	assert_string_equal(ch.names[KEX_PROP_HOSTKEY], "rsa-sha2-512");
	assert_true(ch.peer_guess_wrong);
	kex_choice_cleanup(&ch);
	/* Only the peer's guess matters. */
	assert_int_equal(
	    kex_negotiate(&c, &s, KEX_ROLE_CLIENT, true, &ch, NULL), 0);
	assert_false(ch.peer_guess_wrong);
	kex_choice_cleanup(&ch);

	/* No common kex. */
	free(c.names[KEX_PROP_KEX]);
	c.names[KEX_PROP_KEX] = strdup("diffie-hellman-group1-sha1,ext-info-c");
	assert_int_equal(
	    kex_negotiate(&c, &s, KEX_ROLE_SERVER, true, &ch, &detail),
	    QSSH_ERR_NO_MATCH);
	assert_string_equal(detail,
	    "no matching key exchange method found. "
	    "Their offer: diffie-hellman-group1-sha1,ext-info-c");
	free(detail);
	/* Only pseudo-algorithms in common is no match either. */
	free(c.names[KEX_PROP_KEX]);
	c.names[KEX_PROP_KEX] = strdup("ext-info-c");
	assert_int_equal(
	    kex_negotiate(&c, &s, KEX_ROLE_SERVER, true, &ch, NULL),
	    QSSH_ERR_NO_MATCH);
	free(c.names[KEX_PROP_KEX]);
	c.names[KEX_PROP_KEX] = strdup("curve25519-sha256");
	/* No common host key. */
	free(c.names[KEX_PROP_HOSTKEY]);
	c.names[KEX_PROP_HOSTKEY] = strdup("ecdsa-sha2-nistp521");
	assert_int_equal(
	    kex_negotiate(&c, &s, KEX_ROLE_CLIENT, true, &ch, &detail),
	    QSSH_ERR_NO_MATCH);
	assert_string_equal(detail,
	    "no matching host key type found. "
	    "Their offer: rsa-sha2-512,ssh-ed25519");
	free(detail);
	free(c.names[KEX_PROP_HOSTKEY]);
	c.names[KEX_PROP_HOSTKEY] = strdup("ssh-ed25519");
	/* No common cipher / MAC. */
	free(c.names[KEX_PROP_ENC_S2C]);
	c.names[KEX_PROP_ENC_S2C] = strdup("aes192-ctr");
	assert_int_equal(
	    kex_negotiate(&c, &s, KEX_ROLE_SERVER, true, &ch, &detail),
	    QSSH_ERR_NO_MATCH);
	assert_string_equal(detail,
	    "no matching cipher found. "
	    "Their offer: aes192-ctr");
	free(detail);
	free(c.names[KEX_PROP_ENC_S2C]);
	c.names[KEX_PROP_ENC_S2C] = strdup("aes128-ctr");
	free(c.names[KEX_PROP_MAC_S2C]);
	c.names[KEX_PROP_MAC_S2C] = strdup("hmac-sha2-512");
	assert_int_equal(
	    kex_negotiate(&c, &s, KEX_ROLE_SERVER, true, &ch, &detail),
	    QSSH_ERR_NO_MATCH);
	assert_string_equal(detail,
	    "no matching MAC found. "
	    "Their offer: hmac-sha2-512");
	free(detail);
	/* With an AEAD cipher the MAC lists don't matter. */
	free(c.names[KEX_PROP_ENC_S2C]);
	c.names[KEX_PROP_ENC_S2C] = strdup("aes256-gcm@openssh.com");
	assert_int_equal(
	    kex_negotiate(&c, &s, KEX_ROLE_SERVER, true, &ch, NULL), 0);
	kex_choice_cleanup(&ch);
	free(c.names[KEX_PROP_COMP_C2S]);
	c.names[KEX_PROP_COMP_C2S] = strdup("zlib");
	assert_int_equal(
	    kex_negotiate(&c, &s, KEX_ROLE_SERVER, true, &ch, &detail),
	    QSSH_ERR_NO_MATCH);
	assert_string_equal(detail,
	    "no matching compression method found. "
	    "Their offer: zlib");
	free(detail);
	kex_proposal_cleanup(&c);
	kex_proposal_cleanup(&s);
}

/* ---- key derivation ---- */

static void
sha256_parts(const void *a, size_t al, const void *b, size_t bl, const void *c,
    size_t cl, const void *d, size_t dl, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	EVP_DigestUpdate(ctx, a, al);
	EVP_DigestUpdate(ctx, b, bl);
	EVP_DigestUpdate(ctx, c, cl);
	EVP_DigestUpdate(ctx, d, dl);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &len), 1);
	EVP_MD_CTX_free(ctx);
}

static void
test_derive_kat(void **state)
{
	uint8_t k[1 + 4 + 33], h[32], sid[32], out[80], exp[96], t[32];
	struct qssh_buf *kb = qssh_buf_new();
	uint8_t raw[32];
	size_t i, klen;

	(void)state;
	for (i = 0; i < 32; i++) {
		raw[i] = (uint8_t)(0x80 + i); /* high bit: mpint gets 0x00 */
		h[i] = (uint8_t)i;
		sid[i] = (uint8_t)(0xff - i);
	}
	assert_int_equal(qssh_buf_put_mpint_bytes(kb, raw, 32), 0);
	klen = qssh_buf_len(kb);
	assert_int_equal(klen, 4 + 33);
	memcpy(k, qssh_buf_ptr(kb), klen);
	/* Expected: K1 = H(K||H||'C'||sid), K2 = H(K||H||K1), K3 likewise. */
	sha256_parts(k, klen, h, 32, "C", 1, sid, 32, exp);
	sha256_parts(k, klen, h, 32, exp, 32, "", 0, exp + 32);
	sha256_parts(k, klen, h, 32, exp, 64, "", 0, exp + 64);
	assert_int_equal(kex_derive_key("SHA256", k, klen, h, 32, 'C', sid, 32,
			     out, sizeof(out)),
	    0);
	assert_memory_equal(out, exp, sizeof(out));
	/* Short key: a prefix of K1. */
	sha256_parts(k, klen, h, 32, "A", 1, sid, 32, t);
	assert_int_equal(
	    kex_derive_key("SHA256", k, klen, h, 32, 'A', sid, 32, out, 16), 0);
	assert_memory_equal(out, t, 16);
	assert_int_equal(
	    kex_derive_key("NOPE", k, klen, h, 32, 'A', sid, 32, out, 16),
	    QSSH_ERR_INVALID_ARGUMENT);
	qssh_buf_free(kb);
}

/* ---- Wycheproof ---- */

static void
test_x25519_wycheproof(void **state)
{
	struct tj *root;
	const struct tj *groups, *tests, *tc;
	uint8_t *pub, *priv, *shared, out[32];
	size_t pl, vl, sl, g, i, n_ok = 0, n_skip = 0;
	const char *res;
	int r;

	(void)state;
	root = tj_parse_file(test_vector_path("wycheproof/x25519_test.json"));
	assert_non_null(root);
	groups = tj_get(root, "testGroups");
	assert_non_null(groups);
	for (g = 0; g < groups->n; g++) {
		tests = tj_get(groups->items[g], "tests");
		for (i = 0; i < tests->n; i++) {
			tc = tests->items[i];
			res = tj_str(tc, "result");
			assert_int_equal(
			    test_unhex(tj_str(tc, "public"), &pub, &pl), 0);
			assert_int_equal(
			    test_unhex(tj_str(tc, "private"), &priv, &vl), 0);
			assert_int_equal(
			    test_unhex(tj_str(tc, "shared"), &shared, &sl), 0);
			if (pl != 32 || vl != 32) {
				n_skip++;
			} else {
				r = kex_x25519_shared(priv, pub, out);
				if (strcmp(res, "valid") == 0) {
					assert_int_equal(r, 0);
					assert_memory_equal(out, shared, 32);
				} else if (r == 0) {
					/* Acceptable: if used, correct. */
					assert_memory_equal(out, shared, 32);
				} else
					assert_int_equal(
					    r, QSSH_ERR_KEY_INVALID);
				n_ok++;
			}
			free(pub);
			free(priv);
			free(shared);
		}
	}
	assert_true(n_ok > 400);
	print_message("x25519: %zu vectors, %zu skipped\n", n_ok, n_skip);
	tj_free(root);
}

static bool
has_flag(const struct tj *tc, const char *flag)
{
	const struct tj *f = tj_get(tc, "flags");
	size_t i;

	for (i = 0; f != NULL && i < f->n; i++)
		if (f->items[i]->type == TJ_STR &&
		    strcmp(f->items[i]->str, flag) == 0)
			return true;
	return false;
}

static void
run_ecdh_file(const char *file, unsigned bits, size_t flen)
{
	struct tj *root;
	const struct tj *groups, *tests, *tc;
	struct kex_ecdh *e;
	uint8_t *pub, *priv, *shared, out[66];
	size_t pl, vl, sl, ol, g, i, n_ok = 0, n_skip = 0, plen = 1 + 2 * flen;
	const char *res;
	int r;

	root = tj_parse_file(test_vector_path(file));
	assert_non_null(root);
	groups = tj_get(root, "testGroups");
	for (g = 0; g < groups->n; g++) {
		tests = tj_get(groups->items[g], "tests");
		for (i = 0; i < tests->n; i++) {
			tc = tests->items[i];
			res = tj_str(tc, "result");
			assert_int_equal(
			    test_unhex(tj_str(tc, "public"), &pub, &pl), 0);
			assert_int_equal(
			    test_unhex(tj_str(tc, "private"), &priv, &vl), 0);
			assert_int_equal(
			    test_unhex(tj_str(tc, "shared"), &shared, &sl), 0);
			/*
			 * SubjectPublicKeyInfo ends with BIT STRING { 0x00,
			 * 0x04 || X || Y } for uncompressed points.
			 */
			if (pl < plen + 1 || pub[pl - plen] != 0x04 ||
			    pub[pl - plen - 1] != 0x00) {
				n_skip++;
				goto next;
			}
			assert_int_equal(
			    kex_ecdh_from_private(bits, priv, vl, &e), 0);
			r = kex_ecdh_shared(
			    e, pub + pl - plen, plen, out, sizeof(out), &ol);
			kex_ecdh_free(e);
			if (strcmp(res, "valid") == 0) {
				assert_int_equal(r, 0);
				assert_int_equal(ol, sl);
				assert_memory_equal(out, shared, sl);
				n_ok++;
			} else if (strcmp(res, "acceptable") == 0) {
				if (r == 0) {
					assert_memory_equal(out, shared, sl);
				}
				n_ok++;
			} else if (r == 0) {
				/* The point is fine; the ASN.1 parameters are
				 * what is wrong, and SSH carries none. */
				assert_true(has_flag(tc, "UnnamedCurve") ||
				    has_flag(tc, "ModifiedGroup") ||
				    has_flag(tc, "InvalidAsn") ||
				    has_flag(tc, "InvalidEncoding"));
				n_skip++;
			} else {
				assert_int_equal(r, QSSH_ERR_KEY_INVALID);
				n_ok++;
			}
next:
			free(pub);
			free(priv);
			free(shared);
		}
	}
	print_message("%s: %zu vectors, %zu skipped\n", file, n_ok, n_skip);
	assert_true(n_ok > 100);
	tj_free(root);
}

static void
test_ecdh_wycheproof(void **state)
{
	(void)state;
	run_ecdh_file("wycheproof/ecdh_secp256r1_test.json", 256, 32);
	run_ecdh_file("wycheproof/ecdh_secp384r1_test.json", 384, 48);
	run_ecdh_file("wycheproof/ecdh_secp521r1_test.json", 521, 66);
}

static void
test_ecdh_roundtrip(void **state)
{
	static const unsigned curves[] = { 256, 384, 521 };
	struct kex_ecdh *a, *b;
	struct qssh_buf *pa = qssh_buf_new(), *pb = qssh_buf_new();
	uint8_t sa[66], sb[66];
	size_t la, lb, i;

	(void)state;
	for (i = 0; i < 3; i++) {
		qssh_buf_reset(pa);
		qssh_buf_reset(pb);
		assert_int_equal(kex_ecdh_new(curves[i], &a), 0);
		assert_int_equal(kex_ecdh_new(curves[i], &b), 0);
		assert_int_equal(kex_ecdh_public(a, pa), 0);
		assert_int_equal(kex_ecdh_public(b, pb), 0);
		assert_int_equal(kex_ecdh_shared(a, qssh_buf_ptr(pb),
				     qssh_buf_len(pb), sa, sizeof(sa), &la),
		    0);
		assert_int_equal(kex_ecdh_shared(b, qssh_buf_ptr(pa),
				     qssh_buf_len(pa), sb, sizeof(sb), &lb),
		    0);
		assert_int_equal(la, lb);
		assert_memory_equal(sa, sb, la);
		/* Corrupted point: off the curve. */
		qssh_buf_mutable_ptr(pb)[5] ^= 1;
		assert_int_equal(kex_ecdh_shared(a, qssh_buf_ptr(pb),
				     qssh_buf_len(pb), sa, sizeof(sa), &la),
		    QSSH_ERR_KEY_INVALID);
		/* Compressed form is refused. */
		assert_int_equal(
		    kex_ecdh_shared(a, qssh_buf_ptr(pa),
			1 + (qssh_buf_len(pa) - 1) / 2, sa, sizeof(sa), &la),
		    QSSH_ERR_KEY_INVALID);
		kex_ecdh_free(a);
		kex_ecdh_free(b);
	}
	qssh_buf_free(pa);
	qssh_buf_free(pb);
}

static void
test_x25519_zero(void **state)
{
	uint8_t priv[32], pub[32], zero[32] = { 0 }, out[32];

	(void)state;
	assert_int_equal(kex_x25519_keypair(priv, pub), 0);
	/* The identity (all zero) gives an all-zero secret. */
	assert_int_equal(
	    kex_x25519_shared(priv, zero, out), QSSH_ERR_KEY_INVALID);
}

/* ---- moduli ---- */

static char *
moduli_line(BIGNUM *(*get)(BIGNUM *), const char *fmt_prefix)
{
	BIGNUM *p = get(NULL);
	char *hex = BN_bn2hex(p), *line = NULL;

	assert_true(asprintf(&line, "%s %d 2 %s\n", fmt_prefix,
			BN_num_bits(p) - 1, hex) > 0);
	OPENSSL_free(hex);
	BN_free(p);
	return line;
}

static void
test_moduli(void **state)
{
	char path[] = "/tmp/qssh_moduli_XXXXXX";
	struct kex_dh_group grp;
	char *l2048, *l4096;
	FILE *f;
	int fd;

	(void)state;
	l2048 =
	    moduli_line(BN_get_rfc3526_prime_2048, "20220714110357 2 6 100");
	l4096 =
	    moduli_line(BN_get_rfc3526_prime_4096, "20220714110357 2 6 100");
	assert_int_equal(kex_moduli_parse_line(l2048, &grp), 0);
	assert_int_equal(grp.bits, 2048);
	assert_int_equal(grp.g, 2);
	assert_int_equal(grp.p_len, 256);
	kex_dh_group_cleanup(&grp);
	assert_int_equal(
	    kex_moduli_parse_line("# comment\n", &grp), QSSH_ERR_NOT_FOUND);
	assert_int_equal(
	    kex_moduli_parse_line("   \n", &grp), QSSH_ERR_NOT_FOUND);
	/* Wrong size field, composite flag, other types, bad hex. */
	assert_int_equal(
	    kex_moduli_parse_line("20220714110357 2 6 100 2047 2 FFFF", &grp),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    kex_moduli_parse_line("20220714110357 2 1 100 15 2 FFFF", &grp),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    kex_moduli_parse_line("20220714110357 4 6 100 15 2 FFFF", &grp),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    kex_moduli_parse_line("20220714110357 2 6 100 2047 2 XYZ", &grp),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    kex_moduli_parse_line("1 2 3", &grp), QSSH_ERR_INVALID_FORMAT);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f,
	    "# Time Type Tests Tries Size Generator Modulus\n%s"
	    "garbage line\n%s",
	    l2048, l4096);
	fclose(f);
	assert_int_equal(kex_moduli_choose(path, 2048, 3072, 8192, &grp), 0);
	assert_int_equal(grp.bits, 4096);
	kex_dh_group_cleanup(&grp);
	assert_int_equal(kex_moduli_choose(path, 2048, 2048, 8192, &grp), 0);
	assert_int_equal(grp.bits, 2048);
	kex_dh_group_cleanup(&grp);
	/* Nothing big enough: the largest below. */
	assert_int_equal(kex_moduli_choose(path, 2048, 8192, 8192, &grp), 0);
	assert_int_equal(grp.bits, 4096);
	kex_dh_group_cleanup(&grp);
	/* Nothing in range: built-in fallback. */
	assert_int_equal(kex_moduli_choose(path, 6000, 8192, 8192, &grp), 0);
	assert_int_equal(grp.bits, 8192);
	kex_dh_group_cleanup(&grp);
	unlink(path);
	assert_int_equal(kex_moduli_choose(path, 2048, 3072, 8192, &grp), 0);
	assert_int_equal(grp.bits, 4096);
	kex_dh_group_cleanup(&grp);
	assert_int_equal(
	    kex_moduli_choose(path, 9000, 9000, 9000, &grp), QSSH_ERR_NO_MATCH);
	assert_int_equal(kex_moduli_choose(path, 4000, 3000, 8192, &grp),
	    QSSH_ERR_INVALID_ARGUMENT);
	free(l2048);
	free(l4096);
}

/* ---- full exchanges ---- */

static struct key *hostkeys[5];
static const char *const hostkey_algs[] = {
	"ssh-ed25519",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"rsa-sha2-512",
	"rsa-sha2-256",
};

struct side {
	struct tport *t;
	struct kex *kex;
	struct tctl *c;
	bool vdone;
	int err;
	uint8_t last_type; /* last packet handed to the caller */
	unsigned napp;
};

struct pair {
	struct side cl, sv;
	int verify_calls;
	int verify_result; /* what the host key callback returns */
};

static int
verify_cb(const struct key *k, const char *alg, void *ctx)
{
	struct pair *p = ctx;

	assert_non_null(k);
	assert_true(key_alg_matches(k, alg));
	p->verify_calls++;
	return p->verify_result;
}

static void
shuttle(struct side *from, struct side *to, bool *moved)
{
	struct qssh_view v = tport_output(from->t);

	if (v.len == 0)
		return;
	assert_int_equal(tport_input(to->t, v.p, v.len), 0);
	assert_int_equal(tport_output_consume(from->t, v.len), 0);
	*moved = true;
}

static void
process(struct side *s)
{
	const char *id;
	struct qssh_view pl;
	uint8_t type;
	int r;

	if (s->err != 0)
		return;
	if (!s->vdone) {
		r = tport_read_version(s->t, &id);
		if (r == QSSH_ERR_AGAIN)
			return;
		if (r != 0) {
			s->err = r;
			return;
		}
		s->vdone = true;
	}
	for (;;) {
		r = tctl_next_packet(s->c, &type, &pl);
		if (r == QSSH_ERR_AGAIN)
			return;
		if (r != 0) {
			s->err = r;
			return;
		}
		s->last_type = type;
		s->napp++;
		if (type == SSH_MSG_SERVICE_REQUEST)
			assert_int_equal(
			    tctl_send_service_accept(s->c, "ssh-userauth"), 0);
	}
}

/* Run until both sides finished `want` key exchanges or stalled. */
static void
run(struct pair *p, unsigned want)
{
	bool moved;
	int i;

	for (i = 0; i < 10000; i++) {
		moved = false;
		shuttle(&p->cl, &p->sv, &moved);
		shuttle(&p->sv, &p->cl, &moved);
		process(&p->sv);
		process(&p->cl);
		if (p->cl.err != 0 || p->sv.err != 0)
			return;
		if (!moved && tport_output_len(p->cl.t) == 0 &&
		    tport_output_len(p->sv.t) == 0)
			return;
	}
	(void)want;
}

static void
pair_init(struct pair *p, const struct kex_config *ccfg,
    const struct kex_config *scfg)
{
	struct kex_config cc = *ccfg;
	int err;

	memset(p, 0, sizeof(*p));
	cc.verify_host_key = verify_cb;
	cc.verify_ctx = p;
	p->cl.t = tport_new(false, CRYP_BACKEND_OPENSSL);
	p->sv.t = tport_new(true, CRYP_BACKEND_OPENSSL);
	assert_non_null(p->cl.t);
	assert_non_null(p->sv.t);
	assert_int_equal(tport_send_version(p->cl.t, "SSH-2.0-qssh_client"), 0);
	assert_int_equal(tport_send_version(p->sv.t, "SSH-2.0-qssh_server"), 0);
	p->cl.kex = kex_new(p->cl.t, KEX_ROLE_CLIENT, &cc, &err);
	assert_int_equal(err, 0);
	p->sv.kex = kex_new(p->sv.t, KEX_ROLE_SERVER, scfg, &err);
	assert_int_equal(err, 0);
	p->cl.c = tctl_new(p->cl.t, p->cl.kex);
	p->sv.c = tctl_new(p->sv.t, p->sv.kex);
	assert_non_null(p->cl.c);
	assert_non_null(p->sv.c);
}

static void
pair_free(struct pair *p)
{
	struct side *s[2] = { &p->cl, &p->sv };
	int i;

	for (i = 0; i < 2; i++) {
		tctl_free(s[i]->c);
		kex_free(s[i]->kex);
		tport_free(s[i]->t);
	}
}

static void
server_config(struct kex_config *s)
{
	memset(s, 0, sizeof(*s));
	s->host_keys = hostkeys;
	s->num_host_keys = QSSH_ARRAY_LEN(hostkeys);
	s->moduli_path = "/nonexistent/moduli";
}

/* Kex, then SERVICE_REQUEST/ACCEPT through the new keys. */
static void
full_kex(
    const char *kexalg, const char *hk, const char *cipher, const char *mac)
{
	struct kex_config cc, sc;
	struct pair p;
	const struct kex_result *rc, *rs;
	const uint8_t *sid1, *sid2;
	size_t l1, l2;

	memset(&cc, 0, sizeof(cc));
	cc.kex_algs = kexalg;
	cc.hostkey_algs = hk;
	cc.ciphers = cipher;
	cc.macs = mac;
	server_config(&sc);
	sc.kex_algs = "+diffie-hellman-group14-sha1,diffie-hellman-group1-sha1";
	pair_init(&p, &cc, &sc);
	assert_int_equal(kex_start(p.cl.kex), 0);
	assert_int_equal(kex_start(p.sv.kex), 0);
	run(&p, 1);
	if (p.cl.err != 0 || p.sv.err != 0)
		print_message("%s %s %s %s: client %s server %s\n", kexalg, hk,
		    cipher, mac != NULL ? mac : "-", qssh_errname(p.cl.err),
		    qssh_errname(p.sv.err));
	assert_int_equal(p.cl.err, 0);
	assert_int_equal(p.sv.err, 0);
	assert_int_equal(kex_count(p.cl.kex), 1);
	assert_int_equal(kex_count(p.sv.kex), 1);
	assert_int_equal(p.verify_calls, 1);
	assert_true(kex_is_strict(p.cl.kex));
	assert_true(kex_is_strict(p.sv.kex));
	rc = kex_get_result(p.cl.kex);
	rs = kex_get_result(p.sv.kex);
	assert_non_null(rc);
	assert_non_null(rs);
	assert_string_equal(rc->kex, kexalg);
	assert_string_equal(rs->kex, kexalg);
	assert_string_equal(rc->hostkey_alg, hk);
	assert_string_equal(rc->enc[0], cipher);
	assert_int_equal(kex_session_id(p.cl.kex, &sid1, &l1), 0);
	assert_int_equal(kex_session_id(p.sv.kex, &sid2, &l2), 0);
	assert_int_equal(l1, l2);
	assert_memory_equal(sid1, sid2, l1);
	/* EXT_INFO arrived with server-sig-algs. */
	assert_true(tctl_ext_info_received(p.cl.c));
	assert_non_null(tctl_server_sig_algs(p.cl.c));
	assert_true(qssh_namelist_contains(
	    tctl_server_sig_algs(p.cl.c), "rsa-sha2-256"));
	/* Application messages flow with the new keys. */
	assert_int_equal(tctl_send_service_request(p.cl.c, "ssh-userauth"), 0);
	run(&p, 1);
	assert_int_equal(p.cl.err, 0);
	assert_int_equal(p.sv.err, 0);
	assert_int_equal(p.sv.last_type, SSH_MSG_SERVICE_REQUEST);
	assert_int_equal(p.cl.last_type, SSH_MSG_SERVICE_ACCEPT);
	pair_free(&p);
}

static void
test_kex_methods(void **state)
{
	const char *methods = kex_supported_list(KEX_PROP_KEX);
	char *copy = strdup(methods), *save = NULL, *m;
	size_t i;

	(void)state;
	for (m = strtok_r(copy, ",", &save); m != NULL;
	     m = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < QSSH_ARRAY_LEN(hostkey_algs); i++)
			full_kex(m, hostkey_algs[i], "aes128-ctr",
			    "hmac-sha2-256-etm@openssh.com");
	}
	free(copy);
}

static void
test_kex_ciphers(void **state)
{
	const char *ciphers =
	    kex_default_list(KEX_PROP_ENC_C2S, KEX_ROLE_CLIENT);
	const char *macs = kex_default_list(KEX_PROP_MAC_C2S, KEX_ROLE_CLIENT);
	char *copy = strdup(ciphers), *save = NULL, *c, *mc, *ms = NULL, *m;

	(void)state;
	for (c = strtok_r(copy, ",", &save); c != NULL;
	     c = strtok_r(NULL, ",", &save))
		full_kex("curve25519-sha256", "ssh-ed25519", c, NULL);
	free(copy);
	mc = strdup(macs);
	for (m = strtok_r(mc, ",", &ms); m != NULL;
	     m = strtok_r(NULL, ",", &ms))
		full_kex("ecdh-sha2-nistp256", "ecdsa-sha2-nistp256",
		    "aes256-ctr", m);
	free(mc);
}

static void
do_rekey(bool client_initiates)
{
	struct kex_config cc, sc;
	struct pair p;
	const uint8_t *sid;
	uint8_t sid1[64];
	size_t l1, l2;
	int round;

	memset(&cc, 0, sizeof(cc));
	server_config(&sc);
	pair_init(&p, &cc, &sc);
	assert_int_equal(kex_start(p.cl.kex), 0);
	run(&p, 1);
	assert_int_equal(p.cl.err, 0);
	assert_int_equal(p.sv.err, 0);
	assert_int_equal(kex_count(p.cl.kex), 1);
	assert_int_equal(kex_session_id(p.cl.kex, &sid, &l1), 0);
	memcpy(sid1, sid, l1);
	for (round = 0; round < 3; round++) {
		/* Application data queued during the rekey follows it. */
		assert_int_equal(
		    tctl_rekey(client_initiates ? p.cl.c : p.sv.c), 0);
		assert_int_equal(
		    tctl_send_service_request(p.cl.c, "ssh-userauth"), 0);
		run(&p, 2);
		assert_int_equal(p.cl.err, 0);
		assert_int_equal(p.sv.err, 0);
		assert_int_equal(kex_count(p.cl.kex), 2 + round);
		assert_int_equal(kex_count(p.sv.kex), 2 + round);
		assert_int_equal(p.cl.last_type, SSH_MSG_SERVICE_ACCEPT);
		assert_int_equal(kex_session_id(p.sv.kex, &sid, &l2), 0);
		assert_int_equal(l1, l2);
		assert_memory_equal(sid, sid1, l1);
	}
	assert_int_equal(p.verify_calls, 4);
	pair_free(&p);
}

static void
test_rekey(void **state)
{
	(void)state;
	do_rekey(true);
	do_rekey(false);
}

static void
test_no_match(void **state)
{
	struct kex_config cc, sc;
	struct pair p;

	(void)state;
	memset(&cc, 0, sizeof(cc));
	cc.kex_algs = "diffie-hellman-group1-sha1";
	server_config(&sc);
	pair_init(&p, &cc, &sc);
	kex_set_peer_name(p.sv.kex, "192.0.2.1", 2222);
	assert_int_equal(kex_start(p.cl.kex), 0);
	run(&p, 1);
	assert_int_equal(p.sv.err, QSSH_ERR_NO_MATCH);
	/* The client sees the server's KEXINIT and fails the same way. */
	{
		bool moved = false;

		shuttle(&p.sv, &p.cl, &moved);
		process(&p.cl);
	}
	assert_int_equal(p.cl.err, QSSH_ERR_NO_MATCH);
	assert_string_equal(kex_failure_detail(p.sv.kex),
	    "no matching key exchange method found. Their offer: "
	    "diffie-hellman-group1-sha1,ext-info-c,"
	    "kex-strict-c-v00@openssh.com");
	pair_free(&p);
}

static void
test_server_without_keys(void **state)
{
	struct kex_config sc;
	struct tport *t = tport_new(true, CRYP_BACKEND_OPENSSL);
	int err;

	(void)state;
	memset(&sc, 0, sizeof(sc));
	assert_null(kex_new(t, KEX_ROLE_SERVER, &sc, &err));
	assert_int_equal(err, QSSH_ERR_KEY_NOT_FOUND);
	sc.ciphers = "3des-cbc";
	assert_null(kex_new(t, KEX_ROLE_CLIENT, &sc, &err));
	assert_int_equal(err, QSSH_ERR_INVALID_ARGUMENT);
	tport_free(t);
}

/* Strict kex: IGNORE after KEXINIT, before NEWKEYS. */
static void
test_strict_ignore_during_kex(void **state)
{
	struct kex_config cc, sc;
	struct pair p;

	(void)state;
	memset(&cc, 0, sizeof(cc));
	server_config(&sc);
	pair_init(&p, &cc, &sc);
	assert_int_equal(kex_start(p.cl.kex), 0);
	assert_int_equal(tport_send(p.cl.t, SSH_MSG_IGNORE, "\0\0\0\0", 4), 0);
	run(&p, 1);
	assert_int_equal(p.sv.err, QSSH_ERR_PROTOCOL);
	pair_free(&p);

	/* Without strict kex the same is harmless. */
	cc.no_strict = true;
	pair_init(&p, &cc, &sc);
	assert_int_equal(kex_start(p.cl.kex), 0);
	assert_int_equal(tport_send(p.cl.t, SSH_MSG_IGNORE, "\0\0\0\0", 4), 0);
	run(&p, 1);
	assert_int_equal(p.sv.err, 0);
	assert_int_equal(p.cl.err, 0);
	assert_int_equal(kex_count(p.sv.kex), 1);
	assert_false(kex_is_strict(p.sv.kex));
	pair_free(&p);
}

/*
 * Terrapin (CVE-2023-48795): an attacker adds a message before the server's
 * KEXINIT so that the client's receive sequence number runs one ahead, then
 * deletes the first protected message (EXT_INFO).  With strict kex the
 * client refuses the stream at once, and the sequence number reset at
 * NEWKEYS would undo the shift anyway.
 */
static void
test_terrapin(void **state)
{
	struct kex_config cc, sc;
	struct pair p;

	(void)state;
	memset(&cc, 0, sizeof(cc));
	server_config(&sc);
	pair_init(&p, &cc, &sc);
	/* The injected packet sits before the server's KEXINIT. */
	assert_int_equal(tport_send(p.sv.t, SSH_MSG_IGNORE, "\0\0\0\0", 4), 0);
	assert_int_equal(kex_start(p.cl.kex), 0);
	run(&p, 1);
	assert_int_equal(p.cl.err, QSSH_ERR_PROTOCOL);
	assert_int_equal(kex_count(p.cl.kex), 0);
	pair_free(&p);

	/* Injected between KEXINIT and NEWKEYS (the sequence shift). */
	pair_init(&p, &cc, &sc);
	assert_int_equal(kex_start(p.cl.kex), 0);
	assert_int_equal(kex_start(p.sv.kex), 0);
	assert_int_equal(
	    tport_send(p.sv.t, SSH_MSG_UNIMPLEMENTED, "\0\0\0\x05", 4), 0);
	run(&p, 1);
	assert_int_equal(p.cl.err, QSSH_ERR_PROTOCOL);
	pair_free(&p);
}

/* A peer KEXINIT with a wrong guess: the guessed packet is skipped. */
static void
test_wrong_guess(void **state)
{
	struct kex_config cc, sc;
	struct kex_proposal_set prop;
	struct qssh_buf *b = qssh_buf_new();
	struct pair p;
	const char *id;

	(void)state;
	memset(&cc, 0, sizeof(cc));
	server_config(&sc);
	pair_init(&p, &cc, &sc);
	/* Hand-made client KEXINIT guessing ecdh-sha2-nistp521 wrongly. */
	set_props(&prop, "ecdh-sha2-nistp521-bogus,curve25519-sha256",
	    "ssh-ed25519", "aes128-ctr", "hmac-sha1", "none");
	prop.first_kex_follows = true;
	assert_int_equal(kex_proposal_build(&prop, b), 0);
	kex_proposal_cleanup(&prop);
	/* Deliver versions, then the raw packets from the client's tport. */
	assert_int_equal(tport_send(p.cl.t, SSH_MSG_KEXINIT, qssh_buf_ptr(b),
			     qssh_buf_len(b)),
	    0);
	assert_int_equal(
	    tport_send(p.cl.t, SSH_MSG_KEX_ECDH_INIT, "\0\0\0\x01x", 5), 0);
	{
		bool moved = false;

		shuttle(&p.cl, &p.sv, &moved);
		shuttle(&p.sv, &p.cl, &moved);
	}
	assert_int_equal(tport_read_version(p.cl.t, &id), 0);
	p.cl.vdone = true;
	process(&p.sv);
	/* The bogus guessed packet was ignored, the server waits. */
	assert_int_equal(p.sv.err, 0);
	assert_true(kex_in_progress(p.sv.kex));
	pair_free(&p);
	qssh_buf_free(b);
}

static void
test_unimplemented_reply(void **state)
{
	struct kex_config cc, sc;
	struct pair p;

	(void)state;
	memset(&cc, 0, sizeof(cc));
	server_config(&sc);
	pair_init(&p, &cc, &sc);
	assert_int_equal(kex_start(p.cl.kex), 0);
	run(&p, 1);
	assert_int_equal(kex_count(p.cl.kex), 1);
	/* Unknown number 150: the server answers UNIMPLEMENTED. */
	assert_int_equal(tport_send(p.cl.t, 150, "x", 1), 0);
	assert_int_equal(
	    tport_send(p.cl.t, SSH_MSG_PING, "\0\0\0\x02hi", 6), 0);
	run(&p, 1);
	assert_int_equal(p.cl.err, 0);
	assert_int_equal(p.sv.err, 0);
	assert_int_equal(p.sv.napp, 0);
	/* Disconnect is reported. */
	assert_int_equal(tport_send_disconnect(p.sv.t, 11, "bye"), 0);
	run(&p, 1);
	assert_int_equal(p.cl.err, QSSH_ERR_DISCONNECTED);
	assert_string_equal(tctl_disconnect_message(p.cl.c), "bye");
	assert_int_equal(tctl_disconnect_code(p.cl.c), 11);
	pair_free(&p);
}

/* The client's host key callback can refuse; no NEWKEYS follows. */
static void
test_host_key_refused(void **state)
{
	struct kex_config cc, sc;
	struct pair p;

	(void)state;
	memset(&cc, 0, sizeof(cc));
	server_config(&sc);
	pair_init(&p, &cc, &sc);
	p.verify_result = QSSH_ERR_HOST_KEY_MISMATCH;
	assert_int_equal(kex_start(p.cl.kex), 0);
	run(&p, 1);
	assert_int_equal(p.cl.err, QSSH_ERR_HOST_KEY_MISMATCH);
	assert_int_equal(p.verify_calls, 1);
	assert_int_equal(kex_count(p.cl.kex), 0);
	assert_false(tport_first_kex_done(p.cl.t));
	pair_free(&p);
}

/* Group exchange with a moduli file: the best fitting group is used. */
static void
test_gex_moduli_file(void **state)
{
	char path[] = "/tmp/qssh_moduli_gex_XXXXXX";
	struct kex_config cc, sc;
	struct pair p;
	char *l;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	l = moduli_line(BN_get_rfc3526_prime_2048, "20220714110357 2 6 100");
	fputs(l, f);
	free(l);
	l = moduli_line(BN_get_rfc3526_prime_3072, "20220714110357 2 6 100");
	fputs(l, f);
	free(l);
	fclose(f);
	memset(&cc, 0, sizeof(cc));
	cc.kex_algs = "diffie-hellman-group-exchange-sha256";
	/* 128-bit cipher and a SHA-1 MAC: OpenSSH asks for 7680 bits. */
	cc.ciphers = "aes128-ctr";
	cc.macs = "hmac-sha1";
	server_config(&sc);
	sc.moduli_path = path;
	pair_init(&p, &cc, &sc);
	assert_int_equal(kex_start(p.cl.kex), 0);
	run(&p, 1);
	assert_int_equal(p.cl.err, 0);
	assert_int_equal(p.sv.err, 0);
	assert_int_equal(kex_count(p.cl.kex), 1);
	pair_free(&p);
	unlink(path);
}

/* Raw client packets to a server kex (after the version exchange). */
static void
raw_client_setup(struct pair *p, const char *kexalg)
{
	struct kex_config cc, sc;
	struct kex_proposal_set prop;
	struct qssh_buf *b = qssh_buf_new();
	bool moved = false;
	const char *id;

	memset(&cc, 0, sizeof(cc));
	server_config(&sc);
	sc.kex_algs = "+diffie-hellman-group14-sha1";
	pair_init(p, &cc, &sc);
	set_props(
	    &prop, kexalg, "ssh-ed25519", "aes128-ctr", "hmac-sha1", "none");
	assert_int_equal(kex_proposal_build(&prop, b), 0);
	kex_proposal_cleanup(&prop);
	assert_int_equal(tport_send(p->cl.t, SSH_MSG_KEXINIT, qssh_buf_ptr(b),
			     qssh_buf_len(b)),
	    0);
	shuttle(&p->cl, &p->sv, &moved);
	shuttle(&p->sv, &p->cl, &moved);
	assert_int_equal(tport_read_version(p->cl.t, &id), 0);
	p->cl.vdone = true;
	process(&p->sv);
	assert_int_equal(p->sv.err, 0);
	qssh_buf_free(b);
}

/* DH public values outside 1 < e < p-1 are refused. */
static void
test_dh_bad_public(void **state)
{
	static const uint8_t one[] = { 0, 0, 0, 1, 1 };
	static const uint8_t zero[] = { 0, 0, 0, 0 };
	const uint8_t *vals[] = { one, zero };
	size_t lens[] = { sizeof(one), sizeof(zero) };
	struct qssh_buf *b = qssh_buf_new();
	BIGNUM *pm1 = BN_get_rfc3526_prime_2048(NULL);
	uint8_t raw[256];
	struct pair p;
	bool moved;
	size_t i;

	(void)state;
	BN_sub_word(pm1, 1);
	assert_int_equal(BN_bn2bin(pm1, raw), 256);
	BN_free(pm1);
	assert_int_equal(qssh_buf_put_mpint_bytes(b, raw, sizeof(raw)), 0);
	for (i = 0; i < 3; i++) {
		raw_client_setup(&p, "diffie-hellman-group14-sha256");
		if (i < 2)
			assert_int_equal(tport_send(p.cl.t, SSH_MSG_KEXDH_INIT,
					     vals[i], lens[i]),
			    0);
		else
			assert_int_equal(
			    tport_send_buf(p.cl.t, SSH_MSG_KEXDH_INIT, b), 0);
		moved = false;
		shuttle(&p.cl, &p.sv, &moved);
		process(&p.sv);
		assert_int_equal(p.sv.err, QSSH_ERR_KEY_INVALID);
		pair_free(&p);
	}
	/* A curve25519 value of the wrong size. */
	raw_client_setup(&p, "curve25519-sha256");
	assert_int_equal(
	    tport_send(p.cl.t, SSH_MSG_KEX_ECDH_INIT, "\0\0\0\x03xyz", 7), 0);
	moved = false;
	shuttle(&p.cl, &p.sv, &moved);
	process(&p.sv);
	assert_int_equal(p.sv.err, QSSH_ERR_KEY_INVALID);
	pair_free(&p);
	/* A kex message of the wrong number. */
	raw_client_setup(&p, "curve25519-sha256");
	assert_int_equal(
	    tport_send(p.cl.t, SSH_MSG_KEX_DH_GEX_INIT, "\0\0\0\x01\x05", 5),
	    0);
	moved = false;
	shuttle(&p.cl, &p.sv, &moved);
	process(&p.sv);
	assert_int_equal(p.sv.err, QSSH_ERR_UNEXPECTED_MESSAGE);
	pair_free(&p);
	qssh_buf_free(b);
}

/* The debug lines people grep for, in OpenSSH's wording. */
static char logbuf[16384];

static void
log_hook(enum qssh_log_level level, const char *line, void *ctx)
{
	(void)level;
	(void)ctx;
	if (strlen(logbuf) + strlen(line) + 2 < sizeof(logbuf)) {
		strcat(logbuf, line);
		strcat(logbuf, "\n");
	}
}

static void
test_log_lines(void **state)
{
	struct kex_config cc, sc;
	struct pair p;
	const char *s2c, *c2s;

	(void)state;
	memset(&cc, 0, sizeof(cc));
	cc.ciphers = "aes128-ctr";
	cc.macs = "hmac-sha1";
	server_config(&sc);
	pair_init(&p, &cc, &sc);
	logbuf[0] = '\0';
	qssh_log_set_level(QSSH_LOG_DEBUG1);
	qssh_log_set_hook(log_hook, NULL);
	/* Keep stderr quiet; the hook still sees every line. */
	assert_int_equal(qssh_log_set_file("/dev/null"), 0);
	assert_int_equal(kex_start(p.cl.kex), 0);
	/* Only the client's lines. */
	process(&p.cl);
	{
		bool moved = false;

		shuttle(&p.cl, &p.sv, &moved);
		qssh_log_set_level(QSSH_LOG_ERROR);
		process(&p.sv);
		shuttle(&p.sv, &p.cl, &moved);
		qssh_log_set_level(QSSH_LOG_DEBUG1);
		process(&p.cl);
		qssh_log_set_level(QSSH_LOG_ERROR);
		shuttle(&p.cl, &p.sv, &moved);
		process(&p.sv);
		shuttle(&p.sv, &p.cl, &moved);
		qssh_log_set_level(QSSH_LOG_DEBUG1);
		process(&p.cl);
	}
	qssh_log_set_hook(NULL, NULL);
	qssh_log_set_level(QSSH_LOG_ERROR);
	assert_int_equal(p.cl.err, 0);
	assert_int_equal(kex_count(p.cl.kex), 1);
	assert_non_null(strstr(logbuf, "SSH2_MSG_KEXINIT sent\n"));
	assert_non_null(strstr(logbuf, "SSH2_MSG_KEXINIT received\n"));
	assert_non_null(
	    strstr(logbuf, "kex: algorithm: mlkem768x25519-sha256\n"));
	assert_non_null(
	    strstr(logbuf, "kex: host key algorithm: ssh-ed25519\n"));
	/* The client prints the incoming direction first. */
	s2c = strstr(logbuf,
	    "kex: server->client cipher: aes128-ctr MAC: "
	    "hmac-sha1 compression: none\n");
	c2s = strstr(logbuf,
	    "kex: client->server cipher: aes128-ctr MAC: "
	    "hmac-sha1 compression: none\n");
	assert_non_null(s2c);
	assert_non_null(c2s);
	assert_true(s2c < c2s);
	assert_non_null(strstr(logbuf, "expecting SSH2_MSG_KEX_ECDH_REPLY\n"));
	assert_non_null(strstr(logbuf, "SSH2_MSG_NEWKEYS sent\n"));
	assert_non_null(strstr(logbuf, "SSH2_MSG_NEWKEYS received\n"));
	pair_free(&p);
}

static int
setup(void **state)
{
	(void)state;
	qssh_log_init("test_kex", QSSH_LOG_ERROR, QSSH_LOG_FAC_USER, true);
	if (key_generate(KEY_ED25519, 0, &hostkeys[0]) != 0 ||
	    key_generate(KEY_ECDSA_P256, 256, &hostkeys[1]) != 0 ||
	    key_generate(KEY_ECDSA_P384, 384, &hostkeys[2]) != 0 ||
	    key_generate(KEY_ECDSA_P521, 521, &hostkeys[3]) != 0 ||
	    key_generate(KEY_RSA, 2048, &hostkeys[4]) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(hostkeys); i++)
		key_free(hostkeys[i]);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assemble_list),
		cmocka_unit_test(test_proposal_roundtrip),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_derive_kat),
		cmocka_unit_test(test_x25519_wycheproof),
		cmocka_unit_test(test_x25519_zero),
		cmocka_unit_test(test_ecdh_wycheproof),
		cmocka_unit_test(test_ecdh_roundtrip),
		cmocka_unit_test(test_moduli),
		cmocka_unit_test(test_server_without_keys),
		cmocka_unit_test(test_kex_ciphers),
		cmocka_unit_test(test_kex_methods),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_no_match),
		cmocka_unit_test(test_strict_ignore_during_kex),
		cmocka_unit_test(test_terrapin),
		cmocka_unit_test(test_wrong_guess),
		cmocka_unit_test(test_unimplemented_reply),
		cmocka_unit_test(test_host_key_refused),
		cmocka_unit_test(test_gex_moduli_file),
		cmocka_unit_test(test_dh_bad_public),
		cmocka_unit_test(test_log_lines),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
