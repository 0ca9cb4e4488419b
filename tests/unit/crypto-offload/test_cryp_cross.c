/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cross-backend: every cipher/MAC combination, encrypted on one backend and
 * decrypted on the other, both ways, byte-identical ciphertexts and tags.
 * Every payload length 0..35000 is used (spread over the combinations, each
 * combination also gets 0..300 and random lengths), plus 256 KiB packets and
 * a tampered tag.  One side of each pair runs through a queue pair.
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
#include "cryp_testutil.h"

#define GROUP 8
#define BUF_LEN (4 + CRYP_MAX_PACKET_LEN + 64)

struct combo {
	const struct cryp_cipher_info *ci;
	const struct cryp_mac_info *mi;
	struct cryp_session *enc[2], *dec[2];
	uint32_t seq;
	uint64_t npkts;
};

struct group {
	uint32_t n;
	uint32_t len[GROUP];
	uint8_t *plain[GROUP], *ct[2][GROUP];
	uint8_t tag[2][GROUP][64];
	struct cryp_op op[GROUP];
	struct cryp_op *opp[GROUP];
};

static struct cryp_qp *qps[2];
static enum cryp_backend_id be_a = CRYP_BACKEND_OPENSSL;
static enum cryp_backend_id be_b = CRYP_BACKEND_IPSECMB;

static void
combo_open(struct combo *c, uint64_t *rs)
{
	uint8_t key[64], iv[16], mk[64];
	struct cryp_session_params p;
	enum cryp_backend_id be[2] = { be_a, be_b };
	int i, err;

	tu_fill(rs, key, sizeof(key));
	tu_fill(rs, iv, sizeof(iv));
	tu_fill(rs, mk, sizeof(mk));
	/* CTR: start near a 32-bit wrap of the counter's low word. */
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
		assert_non_null(c->enc[i]);
		p.encrypt = false;
		c->dec[i] = cryp_session_new(be[i], &p, &err);
		assert_non_null(c->dec[i]);
	}
	c->seq = 0xfffffff0;
}

static void
combo_close(struct combo *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		cryp_session_free(c->enc[i]);
		cryp_session_free(c->dec[i]);
	}
}

/* Run op i of g on session s, through the queue pair if qp != NULL. */
static void
run_ops(struct group *g, struct cryp_session *s, struct cryp_qp *qp,
    uint8_t **bufs, uint8_t (*tags)[64], uint32_t first_seq)
{
	struct cryp_op *out[GROUP];
	uint32_t i, n;

	for (i = 0; i < g->n; i++) {
		g->op[i] = (struct cryp_op){ .sess = s,
			.pkt = bufs[i],
			.pkt_len = g->len[i],
			.tag = tags[i],
			.seqnr = first_seq + i,
			.status = 1 };
		g->opp[i] = &g->op[i];
	}
	if (qp == NULL) {
		for (i = 0; i < g->n; i++)
			(void)cryp_op_process(&g->op[i]);
		return;
	}
	assert_int_equal(cryp_enqueue_burst(qp, g->opp, g->n), g->n);
	n = cryp_dequeue_burst(qp, out, GROUP);
	assert_int_equal(n, g->n);
	for (i = 0; i < n; i++)
		assert_ptr_equal(out[i], &g->op[i]);
}

static void
run_group(struct combo *c, struct group *g, bool tamper)
{
	uint32_t i, tl = cryp_session_tag_len(c->enc[0]), seq = c->seq;
	int side;

	for (side = 0; side < 2; side++)
		for (i = 0; i < g->n; i++)
			memcpy(g->ct[side][i], g->plain[i], g->len[i]);
	/* Encrypt: A directly, B through its queue pair. */
	run_ops(g, c->enc[0], NULL, g->ct[0], g->tag[0], seq);
	for (i = 0; i < g->n; i++)
		assert_int_equal(g->op[i].status, 0);
	run_ops(g, c->enc[1], qps[1], g->ct[1], g->tag[1], seq);
	for (i = 0; i < g->n; i++) {
		assert_int_equal(g->op[i].status, 0);
		assert_memory_equal(g->ct[0][i], g->ct[1][i], g->len[i]);
		if (tl > 0)
			assert_memory_equal(g->tag[0][i], g->tag[1][i], tl);
	}
	if (tamper && tl > 0) {
		g->tag[0][0][0] ^= 1;
		g->tag[1][0][tl - 1] ^= 0x40;
	}
	/* Decrypt A's output on B (queue pair), B's on A. */
	run_ops(g, c->dec[1], qps[1], g->ct[0], g->tag[0], seq);
	for (i = 0; i < g->n; i++) {
		if (g->op[i].status != 0 && !tamper)
			print_message("%s %s len %u\n", c->ci->name,
			    c->mi ? c->mi->name : "", g->len[i]);
		if (tamper && tl > 0 && i == 0) {
			assert_int_equal(g->op[i].status, QSSH_ERR_MAC_INVALID);
			continue;
		}
		assert_int_equal(g->op[i].status, 0);
		assert_memory_equal(g->ct[0][i], g->plain[i], g->len[i]);
	}
	run_ops(g, c->dec[0], NULL, g->ct[1], g->tag[1], seq);
	for (i = 0; i < g->n; i++) {
		if (tamper && tl > 0 && i == 0) {
			assert_int_equal(g->op[i].status, QSSH_ERR_MAC_INVALID);
			continue;
		}
		assert_int_equal(g->op[i].status, 0);
		assert_memory_equal(g->ct[1][i], g->plain[i], g->len[i]);
	}
	c->seq += g->n;
	c->npkts += g->n;
	g->n = 0;
}

static void
add_packet(struct combo *c, struct group *g, uint64_t *rs, uint32_t payload)
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
	static const char *names[][2] = {
		{ "aes128-gcm@openssh.com", NULL },
		{ "aes256-gcm@openssh.com", NULL },
		{ "chacha20-poly1305@openssh.com", NULL },
		{ "none", "hmac-sha2-256" },
		{ "none", "hmac-sha1-etm@openssh.com" },
	};
	const struct cryp_mac_info *const *ml = cryp_mac_list();
	static const char *ctrs[] = { "aes128-ctr", "aes192-ctr",
		"aes256-ctr" };
	struct combo combos[32];
	struct group *groups;
	uint64_t rs = 0x1234567890abcdefull;
	uint32_t nc = 0, i, j, len;

	(void)state;
	if (!cryp_backend_available(be_b)) {
		print_message("ipsec-mb not available; skipped\n");
		skip();
	}
	memset(combos, 0, sizeof(combos));
	for (i = 0; i < QSSH_ARRAY_LEN(names); i++) {
		combos[nc].ci = cryp_cipher_by_name(names[i][0]);
		combos[nc++].mi =
		    names[i][1] ? cryp_mac_by_name(names[i][1]) : NULL;
	}
	for (i = 0; i < QSSH_ARRAY_LEN(ctrs); i++)
		for (j = 0; ml[j] != NULL; j++) {
			combos[nc].ci = cryp_cipher_by_name(ctrs[i]);
			combos[nc++].mi = ml[j];
		}
	qps[0] = cryp_qp_new(be_a, GROUP);
	qps[1] = cryp_qp_new(be_b, GROUP);
	assert_non_null(qps[0]);
	assert_non_null(qps[1]);
	groups = calloc(nc, sizeof(*groups));
	assert_non_null(groups);
	for (i = 0; i < nc; i++) {
		combo_open(&combos[i], &rs);
		for (j = 0; j < GROUP; j++) {
			groups[i].plain[j] = malloc(BUF_LEN);
			groups[i].ct[0][j] = malloc(BUF_LEN);
			groups[i].ct[1][j] = malloc(BUF_LEN);
			assert_non_null(groups[i].ct[1][j]);
		}
	}
	/* Every payload length 0..35000, spread over the combinations. */
	for (len = 0; len <= 35000; len++)
		add_packet(&combos[len % nc], &groups[len % nc], &rs, len);
	for (i = 0; i < nc; i++) {
		for (len = 0; len <= 300; len++)
			add_packet(&combos[i], &groups[i], &rs, len);
		for (j = 0; j < 40; j++)
			add_packet(&combos[i], &groups[i], &rs,
			    (uint32_t)(tu_rand(&rs) % 35001));
		/* 256 KiB packets and the largest accepted one. */
		add_packet(&combos[i], &groups[i], &rs, 256 * 1024 - 64);
		add_packet(
		    &combos[i], &groups[i], &rs, CRYP_MAX_PACKET_LEN - 1 - 32);
		if (groups[i].n > 0)
			run_group(&combos[i], &groups[i], false);
		add_packet(&combos[i], &groups[i], &rs, 1000);
		add_packet(&combos[i], &groups[i], &rs, 2000);
		run_group(&combos[i], &groups[i], true);
		assert_true(combos[i].npkts > 350);
	}
	for (i = 0; i < nc; i++) {
		combo_close(&combos[i]);
		for (j = 0; j < GROUP; j++) {
			free(groups[i].plain[j]);
			free(groups[i].ct[0][j]);
			free(groups[i].ct[1][j]);
		}
	}
	free(groups);
	cryp_qp_free(qps[0]);
	cryp_qp_free(qps[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cross),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
