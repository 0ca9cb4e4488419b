/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The post-quantum hybrid key exchanges mlkem768x25519-sha256 and
 * sntrup761x25519-sha512(@openssh.com): full in-memory exchanges for every
 * host key type, rekeys, tampered client and server values, an ML-KEM key
 * that fails the modulus check, an exchange hash recomputed independently
 * (K encoded as a string), reproducible runs, the default list and the
 * client's warning for a kex that is not post-quantum.
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

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/kex.h"
#include "control/key.h"
#include "control/mlkem768.h"
#include "control/sntrup761.h"
#include "dataplane/transport.h"

static const char *const pq_methods[] = {
	"mlkem768x25519-sha256",
	"sntrup761x25519-sha512",
	"sntrup761x25519-sha512@openssh.com",
};

static struct key *hostkeys[5];
static const char *const hostkey_algs[] = {
	"ssh-ed25519",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"rsa-sha2-512",
	"rsa-sha2-256",
};

/* ---- deterministic randomness ---- */

/* SHA-256(seed || counter) blocks; every byte handed out is logged. */
struct drbg {
	uint8_t seed;
	uint32_t ctr;
	struct qssh_buf *log;
};

static int
drbg_fill(void *ctx, uint8_t *out, size_t len)
{
	struct drbg *d = ctx;
	uint8_t in[5], blk[32];
	unsigned int n;
	size_t take;

	while (len > 0) {
		in[0] = d->seed;
		in[1] = (uint8_t)(d->ctr >> 24);
		in[2] = (uint8_t)(d->ctr >> 16);
		in[3] = (uint8_t)(d->ctr >> 8);
		in[4] = (uint8_t)d->ctr;
		d->ctr++;
		if (EVP_Digest(in, sizeof(in), blk, &n, EVP_sha256(), NULL) !=
		    1)
			return QSSH_ERR_LIBCRYPTO;
		take = len < sizeof(blk) ? len : sizeof(blk);
		memcpy(out, blk, take);
		if (d->log != NULL && qssh_buf_put(d->log, blk, take) != 0)
			return QSSH_ERR_ALLOC;
		out += take;
		len -= take;
	}
	return 0;
}

/* Hands out recorded bytes again. */
struct replay {
	struct qssh_view v;
};

static int
replay_fill(void *ctx, uint8_t *out, size_t len)
{
	struct replay *rp = ctx;

	return qssh_view_copy(&rp->v, out, len);
}

/* ---- in-memory pair ---- */

/*
 * Plain packets of one direction until NEWKEYS: a hook may replace the
 * payload of a packet (then the packet is framed anew), and the payloads
 * of KEXINIT and the method messages are kept.
 */
typedef void (*tamper_fn)(uint8_t type, struct qssh_buf *payload);

struct dir {
	bool vdone, encrypted;
	tamper_fn tamper;
	struct qssh_buf *kexinit, *method; /* payloads with the type byte */
};

struct side {
	struct tport *t;
	struct kex *kex;
	struct tctl *c;
	bool vdone;
	int err;
	uint8_t last_type;
	struct dir out;
};

struct pair {
	struct side cl, sv;
	int verify_calls;
};

static int
verify_cb(const struct key *k, const char *alg, void *ctx)
{
	struct pair *p = ctx;

	assert_true(key_alg_matches(k, alg));
	p->verify_calls++;
	return 0;
}

static void
put_packet(struct qssh_buf *b, const uint8_t *pl, size_t len)
{
	uint8_t pad[16] = { 0 };
	size_t padlen = 8 - (5 + len) % 8;

	if (padlen < 4)
		padlen += 8;
	assert_int_equal(qssh_buf_put_u32(b, (uint32_t)(1 + len + padlen)), 0);
	assert_int_equal(qssh_buf_put_u8(b, (uint8_t)padlen), 0);
	assert_int_equal(qssh_buf_put(b, pl, len), 0);
	assert_int_equal(qssh_buf_put(b, pad, padlen), 0);
}

/* Walk one chunk of output; the rewritten bytes go to out. */
static void
walk_chunk(struct dir *d, struct qssh_view in, struct qssh_buf *out)
{
	struct qssh_view pkt, body;
	struct qssh_buf *pl;
	uint32_t plen;
	uint8_t padlen, c;

	while (!d->vdone && in.len > 0) {
		assert_int_equal(qssh_view_get_u8(&in, &c), 0);
		assert_int_equal(qssh_buf_put_u8(out, c), 0);
		if (c == '\n')
			d->vdone = true;
	}
	while (!d->encrypted && in.len > 0) {
		assert_int_equal(qssh_view_get_u32(&in, &plen), 0);
		assert_int_equal(qssh_view_get_bytes(&in, plen, &pkt), 0);
		assert_int_equal(qssh_view_get_u8(&pkt, &padlen), 0);
		assert_true(padlen < pkt.len);
		assert_int_equal(
		    qssh_view_get_bytes(&pkt, pkt.len - padlen, &body), 0);
		assert_true(body.len > 0);
		pl = qssh_buf_new();
		assert_non_null(pl);
		assert_int_equal(qssh_buf_put_view(pl, body), 0);
		if (d->tamper != NULL)
			d->tamper(body.p[0], pl);
		if (body.p[0] == SSH_MSG_KEXINIT && d->kexinit == NULL)
			d->kexinit = qssh_buf_dup(pl);
		else if (body.p[0] >= 30 && body.p[0] <= 49 &&
		    d->method == NULL)
			d->method = qssh_buf_dup(pl);
		else if (body.p[0] == SSH_MSG_NEWKEYS)
			d->encrypted = true;
		put_packet(out, qssh_buf_ptr(pl), qssh_buf_len(pl));
		qssh_buf_free(pl);
	}
	assert_int_equal(qssh_buf_put_view(out, in), 0);
}

static void
shuttle(struct side *from, struct side *to, bool *moved)
{
	struct qssh_view v = tport_output(from->t);
	struct qssh_buf *b;

	if (v.len == 0)
		return;
	b = qssh_buf_new();
	assert_non_null(b);
	walk_chunk(&from->out, v, b);
	assert_int_equal(
	    tport_input(to->t, qssh_buf_ptr(b), qssh_buf_len(b)), 0);
	assert_int_equal(tport_output_consume(from->t, v.len), 0);
	qssh_buf_free(b);
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
		if (type == SSH_MSG_SERVICE_REQUEST)
			assert_int_equal(
			    tctl_send_service_accept(s->c, "ssh-userauth"), 0);
	}
}

static void
run(struct pair *p)
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
}

static void
server_config(struct kex_config *s)
{
	memset(s, 0, sizeof(*s));
	s->host_keys = hostkeys;
	s->num_host_keys = QSSH_ARRAY_LEN(hostkeys);
	s->moduli_path = "/nonexistent/moduli";
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
		qssh_buf_free(s[i]->out.kexinit);
		qssh_buf_free(s[i]->out.method);
	}
}

/* ---- full exchanges ---- */

static void
full_kex(const char *kexalg, const char *hk)
{
	struct kex_config cc, sc;
	struct pair p;
	const uint8_t *sid1, *sid2;
	size_t l1, l2;

	memset(&cc, 0, sizeof(cc));
	cc.kex_algs = kexalg;
	cc.hostkey_algs = hk;
	cc.warn_weak_kex = true;
	server_config(&sc);
	pair_init(&p, &cc, &sc);
	assert_int_equal(kex_start(p.cl.kex), 0);
	assert_int_equal(kex_start(p.sv.kex), 0);
	run(&p);
	if (p.cl.err != 0 || p.sv.err != 0)
		print_message("%s %s: client %s server %s\n", kexalg, hk,
		    qssh_errname(p.cl.err), qssh_errname(p.sv.err));
	assert_int_equal(p.cl.err, 0);
	assert_int_equal(p.sv.err, 0);
	assert_int_equal(kex_count(p.cl.kex), 1);
	assert_int_equal(kex_count(p.sv.kex), 1);
	assert_int_equal(p.verify_calls, 1);
	assert_string_equal(kex_get_result(p.cl.kex)->kex, kexalg);
	assert_string_equal(kex_get_result(p.sv.kex)->kex, kexalg);
	assert_string_equal(kex_get_result(p.cl.kex)->hostkey_alg, hk);
	assert_true(kex_result_is_pq(p.cl.kex));
	assert_true(kex_result_is_pq(p.sv.kex));
	assert_false(kex_pq_warning_due(p.cl.kex));
	assert_int_equal(kex_session_id(p.cl.kex, &sid1, &l1), 0);
	assert_int_equal(kex_session_id(p.sv.kex, &sid2, &l2), 0);
	assert_int_equal(l1, strstr(kexalg, "sha512") != NULL ? 64 : 32);
	assert_int_equal(l1, l2);
	assert_memory_equal(sid1, sid2, l1);
	/* Exact value sizes on the wire: string(KEM part || X25519). */
	assert_int_equal(qssh_buf_len(p.cl.out.method),
	    1 + 4 +
		(strncmp(kexalg, "mlkem", 5) == 0 ? MLKEM768_EK_LEN
						  : SNTRUP761_PUBLICKEY_SIZE) +
		32);
	/* Both sides derived the same keys: a message goes through. */
	assert_int_equal(tctl_send_service_request(p.cl.c, "ssh-userauth"), 0);
	run(&p);
	assert_int_equal(p.cl.err, 0);
	assert_int_equal(p.sv.err, 0);
	assert_int_equal(p.sv.last_type, SSH_MSG_SERVICE_REQUEST);
	assert_int_equal(p.cl.last_type, SSH_MSG_SERVICE_ACCEPT);
	pair_free(&p);
}

static void
test_pq_methods(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(pq_methods); i++)
		for (j = 0; j < QSSH_ARRAY_LEN(hostkey_algs); j++)
			full_kex(pq_methods[i], hostkey_algs[j]);
}

/* Defaults on both sides settle on ML-KEM; old-style peers on sntrup. */
static void
test_pq_negotiation(void **state)
{
	struct kex_config cc, sc;
	struct pair p;

	(void)state;
	memset(&cc, 0, sizeof(cc));
	server_config(&sc);
	pair_init(&p, &cc, &sc);
	assert_int_equal(kex_start(p.cl.kex), 0);
	run(&p);
	assert_int_equal(p.cl.err, 0);
	assert_string_equal(
	    kex_get_result(p.cl.kex)->kex, "mlkem768x25519-sha256");
	pair_free(&p);
	/* A server that knows only the OpenSSH 9.x set. */
	sc.kex_algs = "sntrup761x25519-sha512@openssh.com,curve25519-sha256";
	pair_init(&p, &cc, &sc);
	assert_int_equal(kex_start(p.cl.kex), 0);
	run(&p);
	assert_int_equal(p.cl.err, 0);
	assert_string_equal(kex_get_result(p.cl.kex)->kex,
	    "sntrup761x25519-sha512@openssh.com");
	pair_free(&p);
}

static void
test_pq_rekey(void **state)
{
	struct kex_config cc, sc;
	struct pair p;
	const uint8_t *sid;
	uint8_t sid1[64];
	size_t i, l1, l2;
	int round;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(pq_methods); i++) {
		memset(&cc, 0, sizeof(cc));
		cc.kex_algs = pq_methods[i];
		server_config(&sc);
		pair_init(&p, &cc, &sc);
		assert_int_equal(kex_start(p.cl.kex), 0);
		run(&p);
		assert_int_equal(p.cl.err, 0);
		assert_int_equal(p.sv.err, 0);
		assert_int_equal(kex_session_id(p.cl.kex, &sid, &l1), 0);
		memcpy(sid1, sid, l1);
		for (round = 0; round < 2; round++) {
			assert_int_equal(
			    tctl_rekey(round == 0 ? p.cl.c : p.sv.c), 0);
			assert_int_equal(
			    tctl_send_service_request(p.cl.c, "ssh-userauth"),
			    0);
			run(&p);
			assert_int_equal(p.cl.err, 0);
			assert_int_equal(p.sv.err, 0);
			assert_int_equal(kex_count(p.cl.kex), 2 + round);
			assert_int_equal(kex_count(p.sv.kex), 2 + round);
			assert_int_equal(
			    p.cl.last_type, SSH_MSG_SERVICE_ACCEPT);
			assert_string_equal(
			    kex_get_result(p.sv.kex)->kex, pq_methods[i]);
			assert_int_equal(
			    kex_session_id(p.sv.kex, &sid, &l2), 0);
			assert_int_equal(l1, l2);
			assert_memory_equal(sid, sid1, l1);
		}
		pair_free(&p);
	}
}

/* ---- tampered values ---- */

static int tamper_delta; /* bytes added to (or cut from) the value */
static bool tamper_modulus; /* make the first ML-KEM coefficient >= q */

/*
 * Rebuild a method message whose value is the string after skip_strings
 * leading strings (0 for ECDH_INIT, 1 for ECDH_REPLY).
 */
static void
tamper_value(struct qssh_buf *payload, int skip_strings)
{
	struct qssh_view v = qssh_buf_view(payload), s, rest;
	struct qssh_buf *nb = qssh_buf_new();
	uint8_t *val;
	size_t len;
	uint8_t type;
	int i;

	assert_non_null(nb);
	assert_int_equal(qssh_view_get_u8(&v, &type), 0);
	assert_int_equal(qssh_buf_put_u8(nb, type), 0);
	for (i = 0; i < skip_strings; i++) {
		assert_int_equal(qssh_view_get_string(&v, &s), 0);
		assert_int_equal(qssh_buf_put_string(nb, s.p, s.len), 0);
	}
	assert_int_equal(qssh_view_get_string(&v, &s), 0);
	rest = v;
	len = (size_t)((long)s.len + tamper_delta);
	val = calloc(1, len + 1);
	assert_non_null(val);
	memcpy(val, s.p, len < s.len ? len : s.len);
	if (tamper_modulus) {
		/* 12-bit little-endian coefficients: 0xfff > q = 3329. */
		val[0] = 0xff;
		val[1] |= 0x0f;
	}
	assert_int_equal(qssh_buf_put_string(nb, val, len), 0);
	assert_int_equal(qssh_buf_put_view(nb, rest), 0);
	qssh_buf_reset(payload);
	assert_int_equal(qssh_buf_put_view(payload, qssh_buf_view(nb)), 0);
	free(val);
	qssh_buf_free(nb);
}

static void
tamper_init(uint8_t type, struct qssh_buf *payload)
{
	if (type == SSH_MSG_KEX_ECDH_INIT)
		tamper_value(payload, 0);
}

static void
tamper_reply(uint8_t type, struct qssh_buf *payload)
{
	if (type == SSH_MSG_KEX_ECDH_REPLY)
		tamper_value(payload, 1);
}

/* One exchange with a tampered value; the side's error. */
static int
tampered_kex(const char *kexalg, bool client_value, int delta, bool modulus)
{
	struct kex_config cc, sc;
	struct pair p;
	int err;

	tamper_delta = delta;
	tamper_modulus = modulus;
	memset(&cc, 0, sizeof(cc));
	cc.kex_algs = kexalg;
	server_config(&sc);
	pair_init(&p, &cc, &sc);
	if (client_value)
		p.cl.out.tamper = tamper_init;
	else
		p.sv.out.tamper = tamper_reply;
	assert_int_equal(kex_start(p.cl.kex), 0);
	run(&p);
	err = client_value ? p.sv.err : p.cl.err;
	/* Nobody finished a kex on bad input. */
	assert_int_equal(kex_count(p.cl.kex), 0);
	if (client_value)
		assert_int_equal(kex_count(p.sv.kex), 0);
	pair_free(&p);
	return err;
}

static void
test_pq_bad_lengths(void **state)
{
	static const int deltas[] = { -1, 1, -32, 32 };
	size_t i, j;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(pq_methods); i++) {
		for (j = 0; j < QSSH_ARRAY_LEN(deltas); j++) {
			assert_int_equal(
			    tampered_kex(pq_methods[i], true, deltas[j], false),
			    QSSH_ERR_KEY_LENGTH);
			assert_int_equal(tampered_kex(pq_methods[i], false,
					     deltas[j], false),
			    QSSH_ERR_KEY_LENGTH);
		}
		/* The same length but other bytes: H differs, no verify. */
		assert_int_not_equal(
		    tampered_kex(pq_methods[i], false, 0, true), 0);
	}
}

static void
test_pq_mlkem_modulus(void **state)
{
	(void)state;
	assert_int_equal(tampered_kex("mlkem768x25519-sha256", true, 0, true),
	    QSSH_ERR_KEY_INVALID);
}

/* ---- the exchange hash, recomputed here ---- */

static void
put_string_view(EVP_MD_CTX *ctx, const uint8_t *p, size_t len)
{
	uint8_t l[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16),
		(uint8_t)(len >> 8), (uint8_t)len };

	assert_int_equal(EVP_DigestUpdate(ctx, l, 4), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, p, len), 1);
}

/*
 * The client drew cookie (16), X25519 private (32), then its KEM key pair:
 * replay those to find K, build H over the captured messages with K as a
 * string (or as an mpint), and compare with the session id.
 */
static void
check_hash(const char *kexalg, struct pair *p, const struct qssh_buf *log,
    const uint8_t *sid, size_t sid_len)
{
	const bool ml = strncmp(kexalg, "mlkem", 5) == 0;
	const EVP_MD *md = ml ? EVP_sha256() : EVP_sha512();
	struct replay rp;
	struct qssh_view v, qc, ks, qs, sig, ct, xs;
	uint8_t xpriv[32], ss[64], k[64], h[64];
	uint8_t sk[MLKEM768_DK_LEN], pk[MLKEM768_EK_LEN], seed[64];
	uint8_t kmp[4 + 1 + 64];
	unsigned int klen, hlen;
	struct key *hk = NULL;
	EVP_MD_CTX *ctx;
	int enc;

	rp.v = qssh_buf_view(log);
	assert_int_equal(qssh_view_skip(&rp.v, 16), 0);
	assert_int_equal(qssh_view_copy(&rp.v, xpriv, 32), 0);
	if (ml) {
		assert_int_equal(qssh_view_copy(&rp.v, seed, 64), 0);
		assert_int_equal(
		    mlkem768_keygen_seeded(pk, sk, seed, seed + 32), 0);
	} else {
		assert_int_equal(
		    sntrup761_keypair_rng(pk, sk, replay_fill, &rp), 0);
	}
	/* Q_C from the wire holds that public key. */
	v = qssh_buf_view(p->cl.out.method);
	assert_int_equal(qssh_view_skip(&v, 1), 0);
	assert_int_equal(qssh_view_get_string(&v, &qc), 0);
	assert_memory_equal(
	    qc.p, pk, ml ? MLKEM768_EK_LEN : SNTRUP761_PUBLICKEY_SIZE);
	/* K_S, Q_S, signature from the reply. */
	v = qssh_buf_view(p->sv.out.method);
	assert_int_equal(qssh_view_skip(&v, 1), 0);
	assert_int_equal(qssh_view_get_string(&v, &ks), 0);
	assert_int_equal(qssh_view_get_string(&v, &qs), 0);
	assert_int_equal(qssh_view_get_string(&v, &sig), 0);
	assert_int_equal(
	    qssh_view_get_bytes(
		&qs, ml ? MLKEM768_CT_LEN : SNTRUP761_CIPHERTEXT_SIZE, &ct),
	    0);
	assert_int_equal(qssh_view_get_bytes(&qs, 32, &xs), 0);
	if (ml)
		assert_int_equal(
		    mlkem768_decaps(ss, sk, sizeof(sk), ct.p, ct.len), 0);
	else
		assert_int_equal(sntrup761_decap(ss, ct.p, sk), 0);
	assert_int_equal(kex_x25519_shared(xpriv, xs.p, ss + 32), 0);
	assert_int_equal(EVP_Digest(ss, 64, k, &klen, md, NULL), 1);
	assert_int_equal(key_from_blob(ks.p, ks.len, &hk), 0);
	for (enc = 0; enc < 2; enc++) {
		size_t kmp_len;

		/*
		 * enc 0: string(K); enc 1: mpint(K), which differs from the
		 * string only when the top bit of K is set.
		 */
		if (enc == 1 && (k[0] & 0x80) == 0)
			continue;
		kmp[0] = kmp[1] = kmp[2] = 0;
		if (enc == 0) {
			kmp[3] = (uint8_t)klen;
			memcpy(kmp + 4, k, klen);
			kmp_len = 4 + klen;
		} else {
			kmp[3] = (uint8_t)(klen + 1);
			kmp[4] = 0;
			memcpy(kmp + 5, k, klen);
			kmp_len = 5 + klen;
		}
		ctx = EVP_MD_CTX_new();
		assert_non_null(ctx);
		assert_int_equal(EVP_DigestInit_ex(ctx, md, NULL), 1);
		put_string_view(
		    ctx, (const uint8_t *)"SSH-2.0-qssh_client", 19);
		put_string_view(
		    ctx, (const uint8_t *)"SSH-2.0-qssh_server", 19);
		put_string_view(ctx, qssh_buf_ptr(p->cl.out.kexinit),
		    qssh_buf_len(p->cl.out.kexinit));
		put_string_view(ctx, qssh_buf_ptr(p->sv.out.kexinit),
		    qssh_buf_len(p->sv.out.kexinit));
		put_string_view(ctx, ks.p, ks.len);
		put_string_view(ctx, qc.p, qc.len);
		/* Q_S: the ciphertext and X25519 value are contiguous. */
		put_string_view(ctx, ct.p, ct.len + xs.len);
		assert_int_equal(EVP_DigestUpdate(ctx, kmp, kmp_len), 1);
		assert_int_equal(EVP_DigestFinal_ex(ctx, h, &hlen), 1);
		EVP_MD_CTX_free(ctx);
		assert_int_equal(hlen, sid_len);
		if (enc == 0) {
			assert_memory_equal(h, sid, sid_len);
			assert_int_equal(key_verify(hk, "ssh-ed25519", sig.p,
					     sig.len, h, hlen),
			    0);
		} else {
			assert_memory_not_equal(h, sid, sid_len);
		}
	}
	key_free(hk);
	qssh_wipe(sk, sizeof(sk));
}

/* One first exchange with fixed randomness; session id copied out. */
static void
fixed_kex(const char *kexalg, uint8_t cseed, uint8_t sseed, uint8_t *sid_out,
    size_t *sid_len, bool check)
{
	struct kex_config cc, sc;
	struct drbg cd = { cseed, 0, NULL }, sd = { sseed, 0, NULL };
	struct pair p;
	const uint8_t *sid;
	size_t len;

	cd.log = qssh_buf_new();
	assert_non_null(cd.log);
	memset(&cc, 0, sizeof(cc));
	cc.kex_algs = kexalg;
	cc.hostkey_algs = "ssh-ed25519";
	cc.random = drbg_fill;
	cc.random_ctx = &cd;
	server_config(&sc);
	sc.random = drbg_fill;
	sc.random_ctx = &sd;
	pair_init(&p, &cc, &sc);
	assert_int_equal(kex_start(p.cl.kex), 0);
	run(&p);
	assert_int_equal(p.cl.err, 0);
	assert_int_equal(p.sv.err, 0);
	assert_int_equal(kex_session_id(p.cl.kex, &sid, &len), 0);
	memcpy(sid_out, sid, len);
	*sid_len = len;
	if (check)
		check_hash(kexalg, &p, cd.log, sid, len);
	pair_free(&p);
	qssh_buf_free(cd.log);
}

static void
test_pq_exchange_hash(void **state)
{
	uint8_t a[64], b[64], c[64];
	size_t i, la, lb, lc;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(pq_methods); i++) {
		fixed_kex(pq_methods[i], 1, 2, a, &la, true);
		/* The same randomness gives the same exchange. */
		fixed_kex(pq_methods[i], 1, 2, b, &lb, false);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		/* Other server randomness, another exchange. */
		fixed_kex(pq_methods[i], 1, 3, c, &lc, false);
		assert_int_equal(la, lc);
		assert_memory_not_equal(a, c, la);
	}
}

/* ---- lists and the warning ---- */

static void
test_pq_lists(void **state)
{
	static const char want[] =
	    "mlkem768x25519-sha256,sntrup761x25519-sha512,"
	    "sntrup761x25519-sha512@openssh.com,"
	    "curve25519-sha256,curve25519-sha256@libssh.org,"
	    "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
	    "diffie-hellman-group-exchange-sha256,"
	    "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
	    "diffie-hellman-group14-sha256";
	size_t i;

	(void)state;
	assert_string_equal(
	    kex_default_list(KEX_PROP_KEX, KEX_ROLE_CLIENT), want);
	assert_string_equal(
	    kex_default_list(KEX_PROP_KEX, KEX_ROLE_SERVER), want);
	for (i = 0; i < QSSH_ARRAY_LEN(pq_methods); i++) {
		assert_true(qssh_namelist_contains(
		    kex_supported_list(KEX_PROP_KEX), pq_methods[i]));
		assert_true(kex_alg_is_pq(pq_methods[i]));
	}
	assert_false(kex_alg_is_pq("curve25519-sha256"));
	assert_false(kex_alg_is_pq("diffie-hellman-group14-sha256"));
	assert_false(kex_alg_is_pq("mlkem768x25519-sha256@bogus"));
	assert_false(kex_alg_is_pq(NULL));
	assert_string_equal(KEX_PQ_WARNING,
	    "** WARNING: connection is not using a post-quantum key exchange "
	    "algorithm.\n"
	    "** This session may be vulnerable to \"store now, decrypt later\" "
	    "attacks.\n"
	    "** The server may need to be upgraded. See "
	    "https://openssh.com/pq.html\n");
}

static void
test_pq_warning(void **state)
{
	static const struct {
		const char *kex;
		bool warn_cfg, due;
	} cases[] = {
		{ "curve25519-sha256", true, true },
		{ "ecdh-sha2-nistp256", true, true },
		{ "curve25519-sha256", false, false },
		{ "mlkem768x25519-sha256", true, false },
		{ "sntrup761x25519-sha512@openssh.com", true, false },
	};
	struct kex_config cc, sc;
	struct pair p;
	size_t i;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(cases); i++) {
		memset(&cc, 0, sizeof(cc));
		cc.kex_algs = cases[i].kex;
		cc.warn_weak_kex = cases[i].warn_cfg;
		server_config(&sc);
		sc.warn_weak_kex = true;
		pair_init(&p, &cc, &sc);
		/* Nothing to say before a kex. */
		assert_false(kex_pq_warning_due(p.cl.kex));
		assert_int_equal(kex_start(p.cl.kex), 0);
		run(&p);
		assert_int_equal(p.cl.err, 0);
		assert_int_equal(kex_count(p.cl.kex), 1);
		assert_int_equal(kex_pq_warning_due(p.cl.kex), cases[i].due);
		assert_int_equal(
		    kex_result_is_pq(p.cl.kex), kex_alg_is_pq(cases[i].kex));
		/* The server never warns. */
		assert_false(kex_pq_warning_due(p.sv.kex));
		pair_free(&p);
	}
}

static int
setup(void **state)
{
	(void)state;
	qssh_log_init("test_kex_pq", QSSH_LOG_FATAL, QSSH_LOG_FAC_USER, true);
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
		cmocka_unit_test(test_pq_lists),
		cmocka_unit_test(test_pq_methods),
		cmocka_unit_test(test_pq_negotiation),
		cmocka_unit_test(test_pq_rekey),
		cmocka_unit_test(test_pq_bad_lengths),
		cmocka_unit_test(test_pq_mlkem_modulus),
		cmocka_unit_test(test_pq_exchange_hash),
		cmocka_unit_test(test_pq_warning),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
