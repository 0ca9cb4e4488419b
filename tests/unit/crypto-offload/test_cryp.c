/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * crypto-offload: algorithm tables, primitive vectors (Wycheproof, RFC 8439)
 * on every available backend, SSH-level known answers against constructions
 * written here with plain EVP calls, peeking, queue pairs, wiping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/err.h"
#include "common/util.h"
#include "crypto-offload/cryp.h"
#include "cryp_test.h"
#include "cryp_testutil.h"
#include "testlib.h"

static const enum cryp_backend_id backends[] = {
	CRYP_BACKEND_OPENSSL,
	CRYP_BACKEND_IPSECMB,
};

static void
test_names(void **state)
{
	const struct cryp_cipher_info *const *cl = cryp_cipher_list();
	const struct cryp_mac_info *const *ml = cryp_mac_list();
	const struct cryp_cipher_info *ci;
	const struct cryp_mac_info *mi;
	enum cryp_backend_id be;
	size_t i, n = 0;

	(void)state;
	for (i = 0; cl[i] != NULL; i++, n++) {
		assert_ptr_equal(cryp_cipher_by_name(cl[i]->name), cl[i]);
		assert_ptr_equal(cryp_cipher_by_id(cl[i]->id), cl[i]);
	}
	assert_int_equal(n, 7);
	for (i = 0, n = 0; ml[i] != NULL; i++, n++)
		assert_ptr_equal(cryp_mac_by_name(ml[i]->name), ml[i]);
	assert_int_equal(n, 6);
	ci = cryp_cipher_by_name("none");
	assert_non_null(ci);
	assert_int_equal(ci->id, CRYP_CIPHER_NONE);
	assert_int_equal(ci->block_len, 8);
	ci = cryp_cipher_by_name("chacha20-poly1305@openssh.com");
	assert_non_null(ci);
	assert_int_equal(ci->key_len, 64);
	assert_int_equal(ci->block_len, 8);
	assert_true(ci->aead);
	ci = cryp_cipher_by_name("aes256-gcm@openssh.com");
	assert_int_equal(ci->key_len, 32);
	assert_int_equal(ci->iv_len, 12);
	assert_int_equal(ci->tag_len, 16);
	mi = cryp_mac_by_name("hmac-sha2-512-etm@openssh.com");
	assert_non_null(mi);
	assert_true(mi->etm);
	assert_int_equal(mi->mac_len, 64);
	mi = cryp_mac_by_name("hmac-sha1");
	assert_false(mi->etm);
	assert_int_equal(mi->key_len, 20);
	assert_null(cryp_cipher_by_name("aes128-cbc"));
	assert_null(cryp_cipher_by_name(NULL));
	assert_null(cryp_mac_by_name("hmac-md5"));
	assert_int_equal(cryp_backend_from_name("ipsec-mb", &be), 0);
	assert_int_equal(be, CRYP_BACKEND_IPSECMB);
	assert_int_equal(
	    cryp_backend_from_name("qat", &be), QSSH_ERR_NOT_FOUND);
	assert_string_equal(cryp_backend_name(CRYP_BACKEND_OPENSSL), "openssl");
	assert_true(cryp_backend_available(CRYP_BACKEND_OPENSSL));
	assert_false(cryp_backend_available(CRYP_BACKEND_CRYPTODEV));
	be = cryp_backend_default();
	assert_true(cryp_backend_available(be));
}

static void
test_session_errors(void **state)
{
	struct cryp_session_params p;
	uint8_t key[64] = { 0 };
	int err = 0;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_null(cryp_session_new(CRYP_BACKEND_OPENSSL, NULL, &err));
	assert_int_equal(err, QSSH_ERR_INVALID_ARGUMENT);
	p.cipher = cryp_cipher_by_name("aes128-gcm@openssh.com");
	p.key = key;
	p.iv = key;
	assert_null(cryp_session_new(CRYP_BACKEND_CRYPTODEV, &p, &err));
	assert_int_equal(err, QSSH_ERR_BACKEND_UNAVAILABLE);
	p.key = NULL;
	assert_null(cryp_session_new(CRYP_BACKEND_OPENSSL, &p, &err));
	assert_int_equal(err, QSSH_ERR_INVALID_ARGUMENT);
	assert_false(cryp_backend_supports(
	    CRYP_BACKEND_CRYPTODEV, CRYP_CIPHER_AES128_GCM, CRYP_MAC_NONE));
	assert_true(cryp_backend_supports(CRYP_BACKEND_OPENSSL,
	    CRYP_CIPHER_AES128_CTR, CRYP_MAC_HMAC_SHA2_256));
}

/* Wycheproof */

static int
unhex_member(const struct tj *t, const char *name, uint8_t **out, size_t *len)
{
	const char *h = tj_str(t, name);

	if (h == NULL)
		return -1;
	return test_unhex(h, out, len);
}

static void
test_wycheproof_gcm(void **state)
{
	struct tj *root =
	    tj_parse_file(test_vector_path("wycheproof/aes_gcm_test.json"));
	const struct tj *groups, *g, *tests, *t;
	uint8_t *key, *iv, *aad, *msg, *ct, *tag, *out, otag[16];
	size_t kl, ivl, al, ml, cl, tl, gi, ti, bi, nrun = 0;
	const struct cryp_test_ops *ops;
	bool valid;
	int r;

	(void)state;
	assert_non_null(root);
	groups = tj_get(root, "testGroups");
	assert_non_null(groups);
	for (bi = 0; bi < QSSH_ARRAY_LEN(backends); bi++) {
		if ((ops = cryp_test_ops(backends[bi])) == NULL)
			continue;
		for (gi = 0; gi < groups->n; gi++) {
			g = groups->items[gi];
			if (tj_num(g, "ivSize", 0) != 96 ||
			    tj_num(g, "tagSize", 0) != 128)
				continue;
			tests = tj_get(g, "tests");
			for (ti = 0; ti < tests->n; ti++) {
				t = tests->items[ti];
				assert_int_equal(
				    unhex_member(t, "key", &key, &kl), 0);
				assert_int_equal(
				    unhex_member(t, "iv", &iv, &ivl), 0);
				assert_int_equal(
				    unhex_member(t, "aad", &aad, &al), 0);
				assert_int_equal(
				    unhex_member(t, "msg", &msg, &ml), 0);
				assert_int_equal(
				    unhex_member(t, "ct", &ct, &cl), 0);
				assert_int_equal(
				    unhex_member(t, "tag", &tag, &tl), 0);
				valid =
				    strcmp(tj_str(t, "result"), "invalid") != 0;
				out = malloc(ml + cl + 1);
				assert_non_null(out);
				if (valid) {
					assert_int_equal(
					    ops->gcm(true, key, kl, iv, aad, al,
						msg, ml, out, otag),
					    0);
					assert_memory_equal(out, ct, cl);
					assert_memory_equal(otag, tag, 16);
				}
				r = ops->gcm(false, key, kl, iv, aad, al, ct,
				    cl, out, tag);
				if (valid) {
					assert_int_equal(r, 0);
					assert_memory_equal(out, msg, ml);
				} else {
					assert_int_equal(
					    r, QSSH_ERR_MAC_INVALID);
				}
				nrun++;
				free(out);
				free(key);
				free(iv);
				free(aad);
				free(msg);
				free(ct);
				free(tag);
			}
		}
	}
	assert_true(nrun > 100);
	tj_free(root);
}

static void
test_wycheproof_hmac(void **state)
{
	static const struct {
		const char *file;
		enum cryp_mac_id id;
	} files[] = {
		{ "wycheproof/hmac_sha1_test.json", CRYP_MAC_HMAC_SHA1 },
		{ "wycheproof/hmac_sha256_test.json", CRYP_MAC_HMAC_SHA2_256 },
		{ "wycheproof/hmac_sha512_test.json", CRYP_MAC_HMAC_SHA2_512 },
	};
	const struct cryp_test_ops *ops;
	const struct tj *groups, *g, *tests, *t;
	struct tj *root;
	uint8_t *key, *msg, *tag, out[64];
	size_t kl, ml, tl, fi, gi, ti, bi, nrun, full;
	int r;

	(void)state;
	for (fi = 0; fi < QSSH_ARRAY_LEN(files); fi++) {
		root = tj_parse_file(test_vector_path(files[fi].file));
		assert_non_null(root);
		groups = tj_get(root, "testGroups");
		full = cryp_mac_by_id(files[fi].id)->mac_len;
		nrun = 0;
		for (bi = 0; bi < QSSH_ARRAY_LEN(backends); bi++) {
			if ((ops = cryp_test_ops(backends[bi])) == NULL)
				continue;
			for (gi = 0; gi < groups->n; gi++) {
				g = groups->items[gi];
				if (tj_num(g, "tagSize", 0) != (double)full * 8)
					continue;
				tests = tj_get(g, "tests");
				for (ti = 0; ti < tests->n; ti++) {
					t = tests->items[ti];
					assert_int_equal(
					    unhex_member(t, "key", &key, &kl),
					    0);
					assert_int_equal(
					    unhex_member(t, "msg", &msg, &ml),
					    0);
					assert_int_equal(
					    unhex_member(t, "tag", &tag, &tl),
					    0);
					r = ops->hmac(files[fi].id, key, kl,
					    msg, ml, out);
					if (r == QSSH_ERR_NOT_SUPPORTED &&
					    ml == 0) {
						/* ipsec-mb: no empty input */
						free(key);
						free(msg);
						free(tag);
						continue;
					}
					assert_int_equal(r, 0);
					if (strcmp(tj_str(t, "result"),
						"invalid") == 0)
						assert_false(
						    qssh_ct_eq(out, tag, full));
					else
						assert_memory_equal(
						    out, tag, full);
					nrun++;
					free(key);
					free(msg);
					free(tag);
				}
			}
		}
		assert_true(nrun > 50);
		tj_free(root);
	}
}

/* RFC 8439 */

static uint8_t *
rfc_get(const char *name, size_t *len)
{
	static char line[2048];
	FILE *f = fopen(test_vector_path("rfc8439/vectors.txt"), "r");
	size_t nl = strlen(name);
	uint8_t *out = NULL;
	char *p;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, nl) != 0 || line[nl] != ' ')
			continue;
		p = strchr(line, '=');
		assert_non_null(p);
		p++;
		while (*p == ' ')
			p++;
		p[strcspn(p, "\r\n")] = '\0';
		assert_int_equal(test_unhex(p, &out, len), 0);
		break;
	}
	fclose(f);
	assert_non_null(out);
	return out;
}

static uint32_t
rfc_counter(const char *name)
{
	size_t l;
	uint8_t *c = rfc_get(name, &l);
	uint32_t v;

	assert_int_equal(l, 4);
	v = qssh_get_u32be(c);
	free(c);
	return v;
}

static void
test_rfc8439(void **state)
{
	const struct cryp_test_ops *ops;
	uint8_t *k, *n, *ks, *pt, *ct, *tag, *aad, *msg, out[256], otag[16];
	uint8_t zero[64] = { 0 };
	size_t kl, nl, ksl, ptl, ctl, tl, al, ml, bi;

	(void)state;
	for (bi = 0; bi < QSSH_ARRAY_LEN(backends); bi++) {
		if ((ops = cryp_test_ops(backends[bi])) == NULL)
			continue;
		/* 2.3.2: the block is the keystream of zeros. */
		k = rfc_get("block.key", &kl);
		n = rfc_get("block.nonce", &nl);
		ks = rfc_get("block.keystream", &ksl);
		assert_int_equal(ops->chacha20(k, rfc_counter("block.counter"),
				     n, zero, 64, out),
		    0);
		assert_memory_equal(out, ks, 64);
		free(k);
		free(n);
		free(ks);
		/* 2.4.2 */
		k = rfc_get("enc.key", &kl);
		n = rfc_get("enc.nonce", &nl);
		pt = rfc_get("enc.plaintext", &ptl);
		ct = rfc_get("enc.ciphertext", &ctl);
		assert_int_equal(ops->chacha20(k, rfc_counter("enc.counter"), n,
				     pt, ptl, out),
		    0);
		assert_memory_equal(out, ct, ctl);
		/* Counter 0 is the 2.4.2 keystream shifted by one block. */
		memset(out, 0, sizeof(out));
		assert_int_equal(ops->chacha20(k, 0, n, out, 64 + ptl, out), 0);
		{
			size_t i;

			for (i = 0; i < ptl; i++)
				assert_int_equal(out[64 + i] ^ pt[i], ct[i]);
		}
		free(k);
		free(n);
		free(pt);
		free(ct);
		/* 2.5.2 */
		k = rfc_get("poly.key", &kl);
		msg = rfc_get("poly.msg", &ml);
		tag = rfc_get("poly.tag", &tl);
		assert_int_equal(ops->poly1305(k, msg, ml, otag), 0);
		assert_memory_equal(otag, tag, 16);
		free(k);
		free(msg);
		free(tag);
		/* 2.8.2 */
		k = rfc_get("aead.key", &kl);
		n = rfc_get("aead.nonce", &nl);
		aad = rfc_get("aead.aad", &al);
		pt = rfc_get("aead.plaintext", &ptl);
		ct = rfc_get("aead.ciphertext", &ctl);
		tag = rfc_get("aead.tag", &tl);
		assert_int_equal(ops->chacha20_poly1305(
				     true, k, n, aad, al, pt, ptl, out, otag),
		    0);
		assert_memory_equal(out, ct, ctl);
		assert_memory_equal(otag, tag, 16);
		assert_int_equal(ops->chacha20_poly1305(
				     false, k, n, aad, al, ct, ctl, out, tag),
		    0);
		assert_memory_equal(out, pt, ptl);
		tag[0] ^= 1;
		assert_int_equal(ops->chacha20_poly1305(
				     false, k, n, aad, al, ct, ctl, out, tag),
		    QSSH_ERR_MAC_INVALID);
		free(k);
		free(n);
		free(aad);
		free(pt);
		free(ct);
		free(tag);
	}
}

/*
 * SSH-level known answers.  The expected bytes come from a construction
 * written here from the protocol documents with one-shot EVP calls.
 */

struct ref_ctx {
	const struct cryp_cipher_info *ci;
	const struct cryp_mac_info *mi;
	uint8_t key[64], iv[16], mkey[64];
	EVP_CIPHER_CTX *ctr; /* one stream across all packets */
};

static void
ref_chacha(struct ref_ctx *rc, uint32_t seqnr, uint8_t *pkt, uint32_t len,
    uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	EVP_MAC *m = EVP_MAC_fetch(NULL, "POLY1305", NULL);
	EVP_MAC_CTX *mc = EVP_MAC_CTX_new(m);
	uint8_t iv[16] = { 0 }, polykey[64] = { 0 };
	size_t tl;
	int l;

	qssh_put_u64be(iv + 8, seqnr);
	/* Length under K_1 (the second half of the key), block counter 0. */
	assert_int_equal(
	    EVP_EncryptInit_ex(c, EVP_chacha20(), NULL, rc->key + 32, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(c, pkt, &l, pkt, 4), 1);
	/* Poly1305 key: K_2 block 0; the payload starts at block 1. */
	assert_int_equal(
	    EVP_EncryptInit_ex(c, EVP_chacha20(), NULL, rc->key, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(c, polykey, &l, polykey, 64), 1);
	iv[0] = 1;
	assert_int_equal(
	    EVP_EncryptInit_ex(c, EVP_chacha20(), NULL, rc->key, iv), 1);
	assert_int_equal(
	    EVP_EncryptUpdate(c, pkt + 4, &l, pkt + 4, (int)len - 4), 1);
	assert_int_equal(EVP_MAC_init(mc, polykey, 32, NULL), 1);
	assert_int_equal(EVP_MAC_update(mc, pkt, len), 1);
	assert_int_equal(EVP_MAC_final(mc, tag, &tl, 16), 1);
	EVP_MAC_CTX_free(mc);
	EVP_MAC_free(m);
	EVP_CIPHER_CTX_free(c);
}

static void
ref_gcm(struct ref_ctx *rc, uint8_t *pkt, uint32_t len, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l, i;

	assert_int_equal(
	    EVP_EncryptInit_ex(c,
		rc->ci->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(),
		NULL, rc->key, rc->iv),
	    1);
	assert_int_equal(EVP_EncryptUpdate(c, NULL, &l, pkt, 4), 1);
	assert_int_equal(
	    EVP_EncryptUpdate(c, pkt + 4, &l, pkt + 4, (int)len - 4), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, pkt + len, &l), 1);
	assert_int_equal(
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
	EVP_CIPHER_CTX_free(c);
	for (i = 11; i >= 4; i--)
		if (++rc->iv[i] != 0)
			break;
}

static const EVP_MD *
ref_md(enum cryp_mac_id id)
{
	return id == CRYP_MAC_HMAC_SHA1	   ? EVP_sha1()
	    : id == CRYP_MAC_HMAC_SHA2_256 ? EVP_sha256()
					   : EVP_sha512();
}

static void
ref_ctr_mac(struct ref_ctx *rc, uint32_t seqnr, uint8_t *pkt, uint32_t len,
    uint8_t *tag)
{
	uint8_t *buf = malloc(4 + (size_t)len);
	unsigned int ml;
	int l;
	uint32_t off = rc->mi->etm ? 4 : 0;

	assert_non_null(buf);
	qssh_put_u32be(buf, seqnr);
	if (!rc->mi->etm) {
		memcpy(buf + 4, pkt, len);
		assert_non_null(HMAC(ref_md(rc->mi->id), rc->mkey,
		    (int)rc->mi->key_len, buf, 4 + (size_t)len, tag, &ml));
	}
	assert_int_equal(EVP_EncryptUpdate(rc->ctr, pkt + off, &l, pkt + off,
			     (int)(len - off)),
	    1);
	if (rc->mi->etm) {
		memcpy(buf + 4, pkt, len);
		assert_non_null(HMAC(ref_md(rc->mi->id), rc->mkey,
		    (int)rc->mi->key_len, buf, 4 + (size_t)len, tag, &ml));
	}
	free(buf);
}

static void
test_ssh_known_answers(void **state)
{
	static const char *combos[][2] = {
		{ "aes128-gcm@openssh.com", NULL },
		{ "aes256-gcm@openssh.com", NULL },
		{ "chacha20-poly1305@openssh.com", NULL },
		{ "aes128-ctr", "hmac-sha1" },
		{ "aes192-ctr", "hmac-sha2-256" },
		{ "aes256-ctr", "hmac-sha2-512" },
		{ "aes128-ctr", "hmac-sha2-256-etm@openssh.com" },
		{ "aes192-ctr", "hmac-sha1-etm@openssh.com" },
		{ "aes256-ctr", "hmac-sha2-512-etm@openssh.com" },
	};
	uint8_t pkt[2048], ref[2048], tag[64], rtag[64];
	struct cryp_session_params p;
	struct cryp_session *s;
	struct ref_ctx rc;
	struct cryp_op op;
	uint64_t rs;
	uint32_t len, seq, payload;
	size_t ci, bi;
	int err;

	(void)state;
	for (bi = 0; bi < QSSH_ARRAY_LEN(backends); bi++) {
		if (!cryp_backend_available(backends[bi]))
			continue;
		for (ci = 0; ci < QSSH_ARRAY_LEN(combos); ci++) {
			memset(&rc, 0, sizeof(rc));
			rc.ci = cryp_cipher_by_name(combos[ci][0]);
			rc.mi = combos[ci][1] ? cryp_mac_by_name(combos[ci][1])
					      : NULL;
			rs = 0x9e3779b97f4a7c15ull + ci;
			tu_fill(&rs, rc.key, sizeof(rc.key));
			tu_fill(&rs, rc.iv, sizeof(rc.iv));
			tu_fill(&rs, rc.mkey, sizeof(rc.mkey));
			/* Exercise the 32-bit counter carry. */
			memset(rc.iv + 12, 0xff, 4);
			rc.iv[11] = 0xff;
			memset(&p, 0, sizeof(p));
			p.cipher = rc.ci;
			p.mac = rc.mi;
			p.key = rc.key;
			p.iv = rc.iv;
			p.mac_key = rc.mkey;
			p.encrypt = true;
			s = cryp_session_new(backends[bi], &p, &err);
			assert_non_null(s);
			if (rc.mi != NULL) {
				rc.ctr = EVP_CIPHER_CTX_new();
				assert_int_equal(
				    EVP_EncryptInit_ex(rc.ctr,
					rc.ci->key_len == 16 ? EVP_aes_128_ctr()
					    : rc.ci->key_len == 24
					    ? EVP_aes_192_ctr()
					    : EVP_aes_256_ctr(),
					NULL, rc.key, rc.iv),
				    1);
			}
			for (seq = 0xfffffffe, payload = 0; payload < 1200;
			     seq++, payload += 97) {
				len = tu_make_packet(&rs, pkt, payload,
				    rc.ci->block_len,
				    tu_len_excluded(rc.ci, rc.mi));
				memcpy(ref, pkt, len);
				memset(&op, 0, sizeof(op));
				op.sess = s;
				op.pkt = pkt;
				op.pkt_len = len;
				op.tag = tag;
				op.seqnr = seq;
				assert_int_equal(cryp_op_process(&op), 0);
				if (rc.ci->id == CRYP_CIPHER_CHACHA20_POLY1305)
					ref_chacha(&rc, seq, ref, len, rtag);
				else if (rc.ci->aead)
					ref_gcm(&rc, ref, len, rtag);
				else
					ref_ctr_mac(&rc, seq, ref, len, rtag);
				assert_memory_equal(pkt, ref, len);
				assert_memory_equal(
				    tag, rtag, cryp_session_tag_len(s));
			}
			EVP_CIPHER_CTX_free(rc.ctr);
			cryp_session_free(s);
		}
	}
}

/* Decrypt side: peek, first_len, tamper. */
static void
test_peek_and_tamper(void **state)
{
	const struct cryp_cipher_info *const *cl = cryp_cipher_list();
	static const char *macs[] = { NULL, "hmac-sha2-256",
		"hmac-sha2-256-etm@openssh.com" };
	uint8_t key[64], iv[16], mkey[64], pkt[600], orig[600], tag[64];
	struct cryp_session_params p;
	struct cryp_session *enc, *dec;
	struct cryp_op op;
	uint64_t rs = 42;
	uint32_t len, plen, seq;
	size_t ci, mi, bi;
	int err;

	(void)state;
	tu_fill(&rs, key, sizeof(key));
	tu_fill(&rs, iv, sizeof(iv));
	tu_fill(&rs, mkey, sizeof(mkey));
	for (bi = 0; bi < QSSH_ARRAY_LEN(backends); bi++) {
		if (!cryp_backend_available(backends[bi]))
			continue;
		for (ci = 0; cl[ci] != NULL; ci++)
			for (mi = 0; mi < QSSH_ARRAY_LEN(macs); mi++) {
				if (cl[ci]->aead && mi > 0)
					continue;
				if (!cl[ci]->aead &&
				    cl[ci]->id != CRYP_CIPHER_NONE && mi == 0)
					continue;
				memset(&p, 0, sizeof(p));
				p.cipher = cl[ci];
				p.mac = macs[mi] ? cryp_mac_by_name(macs[mi])
						 : NULL;
				p.key = key;
				p.iv = iv;
				p.mac_key = mkey;
				p.encrypt = true;
				enc = cryp_session_new(backends[bi], &p, &err);
				assert_non_null(enc);
				p.encrypt = false;
				dec = cryp_session_new(backends[bi], &p, &err);
				assert_non_null(dec);
				if (cl[ci]->id >= CRYP_CIPHER_AES128_CTR &&
				    (p.mac == NULL || !p.mac->etm))
					assert_int_equal(
					    cryp_session_first_len(dec), 16);
				else
					assert_int_equal(
					    cryp_session_first_len(dec), 4);
				for (seq = 7; seq < 10; seq++) {
					len = tu_make_packet(&rs, pkt,
					    100 + seq, cl[ci]->block_len,
					    tu_len_excluded(cl[ci], p.mac));
					memcpy(orig, pkt, len);
					op = (struct cryp_op){ .sess = enc,
						.pkt = pkt,
						.pkt_len = len,
						.tag = tag,
						.seqnr = seq };
					assert_int_equal(
					    cryp_op_process(&op), 0);
					assert_int_equal(
					    cryp_session_peek_length(
						dec, seq, pkt, 3, &plen),
					    QSSH_ERR_MESSAGE_INCOMPLETE);
					/* Peeking twice gives the same answer. */
					assert_int_equal(
					    cryp_session_peek_length(dec, seq,
						pkt,
						cryp_session_first_len(dec),
						&plen),
					    0);
					assert_int_equal(plen, len - 4);
					assert_int_equal(
					    cryp_session_peek_length(dec, seq,
						pkt,
						cryp_session_first_len(dec),
						&plen),
					    0);
					assert_int_equal(plen, len - 4);
					op.sess = dec;
					if (seq == 9 &&
					    cryp_session_tag_len(dec) > 0) {
						tag[cryp_session_tag_len(dec) -
						    1] ^= 0x80;
						assert_int_equal(
						    cryp_op_process(&op),
						    QSSH_ERR_MAC_INVALID);
						assert_int_equal(op.status,
						    QSSH_ERR_MAC_INVALID);
						if (cl[ci]->id !=
						    CRYP_CIPHER_NONE)
							assert_memory_not_equal(
							    pkt + 5, orig + 5,
							    len - 5);
						continue;
					}
					assert_int_equal(
					    cryp_op_process(&op), 0);
					assert_memory_equal(pkt, orig, len);
				}
				cryp_session_free(enc);
				cryp_session_free(dec);
			}
	}
}

static void
test_op_errors(void **state)
{
	uint8_t key[32] = { 1 }, iv[16] = { 2 }, mk[32] = { 3 }, pkt[64];
	uint8_t tag[32];
	struct cryp_session_params p = {
		.cipher = cryp_cipher_by_name("aes128-ctr"),
		.mac = cryp_mac_by_name("hmac-sha2-256"),
		.key = key,
		.iv = iv,
		.mac_key = mk,
		.encrypt = true,
	};
	struct cryp_session *s;
	struct cryp_op op;
	int err;

	(void)state;
	s = cryp_session_new(CRYP_BACKEND_OPENSSL, &p, &err);
	assert_non_null(s);
	memset(pkt, 0, sizeof(pkt));
	op = (struct cryp_op){
		.sess = s, .pkt = pkt, .pkt_len = 20, .tag = tag
	};
	assert_int_equal(cryp_op_process(&op), QSSH_ERR_INVALID_ARGUMENT);
	op.pkt_len = 4 + CRYP_MAX_PACKET_LEN + 16;
	assert_int_equal(cryp_op_process(&op), QSSH_ERR_PACKET_TOO_LARGE);
	op.pkt_len = 32;
	op.tag = NULL;
	assert_int_equal(cryp_op_process(&op), QSSH_ERR_INVALID_ARGUMENT);
	cryp_session_free(s);
}

static void
test_qp(void **state)
{
	uint8_t key[32] = { 1 }, iv[12] = { 2 };
	struct cryp_session_params p = {
		.cipher = cryp_cipher_by_name("aes256-gcm@openssh.com"),
		.key = key,
		.iv = iv,
		.encrypt = true,
	};
	struct cryp_session *s, *s2;
	struct cryp_op ops[10], ref[10], *in[10], *out[10];
	uint8_t pkts[10][64], rpkts[10][64], tags[10][16], rtags[10][16];
	uint32_t i, n;
	size_t bi;
	struct cryp_qp *qp;
	int err;

	(void)state;
	for (bi = 0; bi < QSSH_ARRAY_LEN(backends); bi++) {
		if (!cryp_backend_available(backends[bi]))
			continue;
		assert_null(cryp_qp_new(backends[bi], 0));
		qp = cryp_qp_new(backends[bi], 4);
		assert_non_null(qp);
		s = cryp_session_new(backends[bi], &p, &err);
		s2 = cryp_session_new(backends[bi], &p, &err);
		assert_non_null(s);
		assert_non_null(s2);
		for (i = 0; i < 10; i++) {
			memset(pkts[i], (int)i, sizeof(pkts[i]));
			qssh_put_u32be(pkts[i], 60);
			memcpy(rpkts[i], pkts[i], sizeof(pkts[i]));
			ops[i] = (struct cryp_op){ .sess = s,
				.pkt = pkts[i],
				.pkt_len = 64,
				.tag = tags[i],
				.seqnr = i,
				.user = &ops[i] };
			ref[i] = (struct cryp_op){ .sess = s2,
				.pkt = rpkts[i],
				.pkt_len = 64,
				.tag = rtags[i],
				.seqnr = i };
			/* Op 2 fails below and must not use up a nonce. */
			if (i != 2)
				assert_int_equal(cryp_op_process(&ref[i]), 0);
			in[i] = &ops[i];
		}
		/* One bad operation fails alone. */
		ops[2].pkt = NULL;
		assert_int_equal(cryp_enqueue_burst(qp, in, 3), 3);
		assert_int_equal(cryp_enqueue_burst(qp, in + 3, 7), 1);
		assert_int_equal(cryp_enqueue_burst(qp, in + 4, 6), 0);
		n = cryp_dequeue_burst(qp, out, 2);
		assert_int_equal(n, 2);
		assert_ptr_equal(out[0], &ops[0]);
		assert_ptr_equal(out[1], &ops[1]);
		assert_int_equal(cryp_enqueue_burst(qp, in + 4, 6), 2);
		n = cryp_dequeue_burst(qp, out, 10);
		assert_int_equal(n, 4);
		for (i = 0; i < 4; i++)
			assert_ptr_equal(out[i], &ops[2 + i]);
		assert_int_equal(ops[2].status, QSSH_ERR_INVALID_ARGUMENT);
		assert_int_equal(cryp_enqueue_burst(qp, in + 6, 4), 4);
		assert_int_equal(cryp_dequeue_burst(qp, out, 10), 4);
		assert_int_equal(cryp_dequeue_burst(qp, out, 10), 0);
		for (i = 0; i < 10; i++) {
			if (i == 2)
				continue;
			assert_int_equal(ops[i].status, 0);
			assert_memory_equal(pkts[i], rpkts[i], 64);
			assert_memory_equal(tags[i], rtags[i], 16);
		}
		cryp_qp_free(qp);
		cryp_session_free(s);
		cryp_session_free(s2);
	}
}

static int wiped_ok = -1;

static void
free_hook(const void *p, size_t len, void *ctx)
{
	const uint8_t *b = p;
	size_t i;

	(void)ctx;
	wiped_ok = 1;
	for (i = 0; i < len; i++)
		if (b[i] != 0)
			wiped_ok = 0;
}

static void
test_free_wipes(void **state)
{
	uint8_t key[64], iv[16], mk[64];
	struct cryp_session_params p = {
		.cipher = cryp_cipher_by_name("aes256-ctr"),
		.mac = cryp_mac_by_name("hmac-sha2-512"),
		.key = key,
		.iv = iv,
		.mac_key = mk,
		.encrypt = true,
	};
	struct cryp_session *s;
	size_t bi;
	int err;

	(void)state;
	memset(key, 0xa5, sizeof(key));
	memset(iv, 0x5a, sizeof(iv));
	memset(mk, 0xc3, sizeof(mk));
	cryp_test_set_free_hook(free_hook, NULL);
	for (bi = 0; bi < QSSH_ARRAY_LEN(backends); bi++) {
		if (!cryp_backend_available(backends[bi]))
			continue;
		s = cryp_session_new(backends[bi], &p, &err);
		assert_non_null(s);
		wiped_ok = -1;
		cryp_session_free(s);
		assert_int_equal(wiped_ok, 1);
	}
	cryp_test_set_free_hook(NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_session_errors),
		cmocka_unit_test(test_wycheproof_gcm),
		cmocka_unit_test(test_wycheproof_hmac),
		cmocka_unit_test(test_rfc8439),
		cmocka_unit_test(test_ssh_known_answers),
		cmocka_unit_test(test_peek_and_tamper),
		cmocka_unit_test(test_op_errors),
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_free_wipes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
