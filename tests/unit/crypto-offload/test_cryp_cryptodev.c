/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The DPDK cryptodev backend against OpenSSL: every combination the device
 * offers, encrypted on one and decrypted on the other both ways, through a
 * cryptodev queue pair and through cryp_op_process(), byte-identical
 * ciphertexts and tags, lengths 0..300, random ones, 256 KiB packets, a
 * CTR counter across a 32-bit wrap, tampered tags.  Starts the EAL without
 * hugepages; skipped when it cannot start here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/util.h"
#include "crypto-offload/cryp.h"
#include "crypto-offload/cryptodev.h"
#include "cryp_testutil.h"
#include "dataplane/eal.h"

#define GROUP 16
#define BUF_LEN (4 + CRYP_MAX_PACKET_LEN + 64)
#define CD CRYP_BACKEND_CRYPTODEV
#define OS CRYP_BACKEND_OPENSSL

static bool eal_ok;

struct pair {
	const struct cryp_cipher_info *ci;
	const struct cryp_mac_info *mi;
	/* [0] cryptodev, [1] openssl */
	struct cryp_session *enc[2], *dec[2];
	uint32_t seq;
};

struct group {
	uint32_t n;
	uint32_t len[GROUP];
	uint8_t *plain[GROUP], *ct[2][GROUP];
	uint8_t tag[2][GROUP][64];
	struct cryp_op op[GROUP];
	struct cryp_op *opp[GROUP];
};

static struct cryp_qp *qp;

static int
setup(void **state)
{
	(void)state;
	eal_ok = dp_eal_start(NULL) == 0 && cryp_backend_available(CD);
	if (!eal_ok)
		print_message(
		    "cryptodev unavailable: %s\n", cryp_cryptodev_describe());
	return 0;
}

static void
need_cryptodev(void)
{
	if (!eal_ok)
		skip();
}

static void
pair_open(struct pair *c, uint64_t *rs)
{
	uint8_t key[64], iv[16], mk[64];
	struct cryp_session_params p;
	enum cryp_backend_id be[2] = { CD, OS };
	int i, err;

	tu_fill(rs, key, sizeof(key));
	tu_fill(rs, iv, sizeof(iv));
	tu_fill(rs, mk, sizeof(mk));
	/* CTR: start just below a wrap of the counter's low 32 bits. */
	memset(iv + 12, 0xff, 3);
	iv[15] = 0xf0;
	memset(&p, 0, sizeof(p));
	p.cipher = c->ci;
	p.mac = c->mi;
	p.key = key;
	p.iv = iv;
	p.mac_key = mk;
	for (i = 0; i < 2; i++) {
		p.encrypt = true;
		c->enc[i] = cryp_session_new(be[i], &p, &err);
		assert_int_equal(err, 0);
		p.encrypt = false;
		c->dec[i] = cryp_session_new(be[i], &p, &err);
		assert_int_equal(err, 0);
	}
	c->seq = 0xfffffff8;
}

static void
pair_close(struct pair *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		cryp_session_free(c->enc[i]);
		cryp_session_free(c->dec[i]);
	}
}

/* All of g on s: through the cryptodev queue pair or one by one. */
static void
run_ops(struct group *g, struct cryp_session *s, bool use_qp, uint8_t **bufs,
    uint8_t (*tags)[64], uint32_t first_seq)
{
	struct cryp_op *out[GROUP];
	uint32_t i, n, got = 0, sent = 0;
	int r;

	for (i = 0; i < g->n; i++) {
		g->op[i] = (struct cryp_op){ .sess = s,
			.pkt = bufs[i],
			.pkt_len = g->len[i],
			.tag = tags[i],
			.seqnr = first_seq + i,
			.status = -999 };
		g->opp[i] = &g->op[i];
	}
	if (!use_qp) {
		for (i = 0; i < g->n; i++) {
			r = cryp_op_process(&g->op[i]);
			assert_int_equal(r, g->op[i].status);
		}
		return;
	}
	/* Completions may lag: poll until all are back, in order. */
	while (got < g->n) {
		if (sent < g->n)
			sent +=
			    cryp_enqueue_burst(qp, g->opp + sent, g->n - sent);
		n = cryp_dequeue_burst(qp, out, GROUP);
		for (i = 0; i < n; i++) {
			assert_ptr_equal(out[i], &g->op[got + i]);
			assert_true(out[i]->status <= 0);
		}
		got += n;
	}
}

static void
check_status(struct group *g, bool tamper, uint32_t tl)
{
	uint32_t i;

	for (i = 0; i < g->n; i++) {
		if (tamper && tl > 0 && i == 0)
			assert_int_equal(g->op[i].status, QSSH_ERR_MAC_INVALID);
		else
			assert_int_equal(g->op[i].status, 0);
	}
}

static void
run_group(struct pair *c, struct group *g, bool tamper)
{
	uint32_t i, tl = cryp_session_tag_len(c->enc[0]), seq = c->seq;
	uint32_t plen[2];
	int side;

	for (side = 0; side < 2; side++)
		for (i = 0; i < g->n; i++)
			memcpy(g->ct[side][i], g->plain[i], g->len[i]);
	run_ops(g, c->enc[0], true, g->ct[0], g->tag[0], seq);
	check_status(g, false, tl);
	run_ops(g, c->enc[1], false, g->ct[1], g->tag[1], seq);
	check_status(g, false, tl);
	for (i = 0; i < g->n; i++) {
		if (memcmp(g->ct[0][i], g->ct[1][i], g->len[i]) != 0 ||
		    (tl > 0 && memcmp(g->tag[0][i], g->tag[1][i], tl) != 0))
			print_message("%s %s: packet length %u differs\n",
			    c->ci->name, c->mi != NULL ? c->mi->name : "",
			    g->len[i]);
		assert_memory_equal(g->ct[0][i], g->ct[1][i], g->len[i]);
		if (tl > 0)
			assert_memory_equal(g->tag[0][i], g->tag[1][i], tl);
	}
	if (g->n > 0 && g->len[0] >= 16) {
		assert_int_equal(cryp_session_peek_length(c->dec[0], seq,
				     g->ct[0][0], g->len[0], &plen[0]),
		    0);
		assert_int_equal(cryp_session_peek_length(c->dec[1], seq,
				     g->ct[0][0], g->len[0], &plen[1]),
		    0);
		assert_int_equal(plen[0], plen[1]);
		assert_int_equal(plen[0], g->len[0] - 4);
	}
	if (tamper && tl > 0) {
		g->tag[0][0][0] ^= 1;
		g->tag[1][0][tl - 1] ^= 0x40;
	}
	/* OpenSSL's output on cryptodev (one by one), and the reverse. */
	run_ops(g, c->dec[0], false, g->ct[1], g->tag[1], seq);
	check_status(g, tamper, tl);
	run_ops(g, c->dec[1], false, g->ct[0], g->tag[0], seq);
	check_status(g, tamper, tl);
	for (i = tamper && tl > 0 ? 1 : 0; i < g->n; i++) {
		assert_memory_equal(g->ct[0][i], g->plain[i], g->len[i]);
		assert_memory_equal(g->ct[1][i], g->plain[i], g->len[i]);
	}
	c->seq += g->n;
	g->n = 0;
}

static void
add_packet(struct pair *c, struct group *g, uint64_t *rs, uint32_t payload)
{
	g->len[g->n] = tu_make_packet(rs, g->plain[g->n], payload,
	    c->ci->block_len, tu_len_excluded(c->ci, c->mi));
	g->n++;
	if (g->n == GROUP)
		run_group(c, g, false);
}

static void
test_cross(void **state)
{
	const struct cryp_cipher_info *const *cl = cryp_cipher_list();
	const struct cryp_mac_info *const *ml = cryp_mac_list();
	struct group *g;
	struct pair c;
	uint64_t rs = 0x0123456789abcdefull;
	uint32_t i, j, k, len, ncombo = 0;

	(void)state;
	need_cryptodev();
	qp = cryp_qp_new(CD, 4096);
	assert_non_null(qp);
	g = calloc(1, sizeof(*g));
	assert_non_null(g);
	for (k = 0; k < GROUP; k++) {
		g->plain[k] = malloc(BUF_LEN);
		g->ct[0][k] = malloc(BUF_LEN);
		g->ct[1][k] = malloc(BUF_LEN);
		assert_non_null(g->ct[1][k]);
	}
	for (i = 0; cl[i] != NULL; i++) {
		for (j = 0; j == 0 || (!cl[i]->aead && ml[j - 1] != NULL);
		     j++) {
			memset(&c, 0, sizeof(c));
			c.ci = cl[i];
			c.mi = j == 0 ? NULL : ml[j - 1];
			if (c.mi == NULL && j > 0)
				break;
			if (!cryp_backend_supports(CD, c.ci->id,
				c.mi != NULL ? c.mi->id : CRYP_MAC_NONE))
				continue;
			ncombo++;
			pair_open(&c, &rs);
			for (len = 0; len <= 300; len += 1 + len / 40)
				add_packet(&c, g, &rs, len);
			for (k = 0; k < 12; k++)
				add_packet(&c, g, &rs,
				    (uint32_t)(tu_rand(&rs) % 70000));
			add_packet(&c, g, &rs, 65535 - 64);
			add_packet(&c, g, &rs, 256 * 1024 - 64);
			add_packet(&c, g, &rs, CRYP_MAX_PACKET_LEN - 1 - 32);
			if (g->n > 0)
				run_group(&c, g, false);
			add_packet(&c, g, &rs, 1000);
			add_packet(&c, g, &rs, 70000);
			run_group(&c, g, true);
			pair_close(&c);
		}
	}
	print_message(
	    "%u combinations on %s\n", ncombo, cryp_cryptodev_describe());
	/* GCM, CTR with and without each MAC and ETM, MAC without cipher. */
	assert_true(ncombo >= 20);
	for (k = 0; k < GROUP; k++) {
		free(g->plain[k]);
		free(g->ct[0][k]);
		free(g->ct[1][k]);
	}
	free(g);
	cryp_qp_free(qp);
	qp = NULL;
}

static void
test_chacha_not_offered(void **state)
{
	struct cryp_session_params p;
	uint8_t key[64] = { 0 };
	int err = 0;

	(void)state;
	need_cryptodev();
	assert_false(cryp_backend_supports(
	    CD, CRYP_CIPHER_CHACHA20_POLY1305, CRYP_MAC_NONE));
	memset(&p, 0, sizeof(p));
	p.cipher = cryp_cipher_by_id(CRYP_CIPHER_CHACHA20_POLY1305);
	p.key = key;
	p.encrypt = true;
	assert_null(cryp_session_new(CD, &p, &err));
	assert_int_equal(err, QSSH_ERR_ALG_UNSUPPORTED);
}

/* Invalid operations fail alone; the others of the burst complete. */
static void
test_bad_op_alone(void **state)
{
	struct cryp_session_params p;
	struct cryp_session *s;
	struct cryp_qp *q;
	struct cryp_op op[3], *opp[3], *out[3];
	uint8_t key[16] = { 1 }, iv[12] = { 2 }, pkt[3][64], tag[3][16];
	uint32_t i, n = 0;
	int err;

	(void)state;
	need_cryptodev();
	memset(&p, 0, sizeof(p));
	p.cipher = cryp_cipher_by_name("aes128-gcm@openssh.com");
	p.key = key;
	p.iv = iv;
	p.encrypt = true;
	assert_non_null(s = cryp_session_new(CD, &p, &err));
	assert_non_null(q = cryp_qp_new(CD, 2));
	memset(pkt, 0, sizeof(pkt));
	for (i = 0; i < 3; i++) {
		qssh_put_u32be(pkt[i], 28);
		op[i] = (struct cryp_op){
			.sess = s, .pkt = pkt[i], .pkt_len = 32, .tag = tag[i]
		};
		opp[i] = &op[i];
	}
	op[1].pkt_len = 2;
	/* Depth 2: the third is not accepted and stays the caller's. */
	assert_int_equal(cryp_enqueue_burst(q, opp, 3), 2);
	while (n < 2)
		n += cryp_dequeue_burst(q, out + n, 3);
	assert_int_equal(op[0].status, 0);
	assert_int_equal(op[1].status, QSSH_ERR_INVALID_ARGUMENT);
	cryp_qp_free(q);
	cryp_session_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chacha_not_offered),
		cmocka_unit_test(test_bad_op_alone),
		cmocka_unit_test(test_cross),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
