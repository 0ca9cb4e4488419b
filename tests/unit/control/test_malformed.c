/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Malformed input on a live connection.  A client and a server (tport + kex
 * + tctl, in memory) finish the version exchange and a key exchange with
 * real keys, then the server's input gets a truncated packet followed by
 * EOF, an oversized or undersized packet_length, bad padding (too short,
 * longer than the packet, not a block multiple), a flipped MAC/tag byte, a
 * bad identification line, or an out-of-order message during strict kex.
 * The server's connection driver ends each with tctl_fatal(): exactly one
 * log line and exactly one SSH_MSG_DISCONNECT with the right reason, which
 * the client reads and parses; EOF ends without a DISCONNECT.
 *
 * Packets with valid MACs but bad framing are built with the client's real
 * outgoing keys: the kex hands them to the transport via
 * tport_set_keys_out(), which this test wraps (-Wl,--wrap) to keep a copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/kex.h"
#include "control/key.h"
#include "crypto-offload/cryp.h"
#include "dataplane/transport.h"

#define PEER_ADDR "127.0.0.1"
#define PEER_PORT 50022
#define PEER "127.0.0.1 port 50022"
#define SUFFIX " [preauth]"

/* ---- captured keys ---- */

int __real_tport_set_keys_out(struct tport *t, const struct tport_keys *keys);
int __wrap_tport_set_keys_out(struct tport *t, const struct tport_keys *keys);

static struct {
	const struct tport *t;
	struct tport_keys keys;
} captured[4];

int
__wrap_tport_set_keys_out(struct tport *t, const struct tport_keys *keys)
{
	size_t i;

	for (i = 0; i < QSSH_ARRAY_LEN(captured); i++) {
		if (captured[i].t == NULL || captured[i].t == t) {
			captured[i].t = t;
			captured[i].keys = *keys;
			break;
		}
	}
	return __real_tport_set_keys_out(t, keys);
}

static const struct tport_keys *
keys_of(const struct tport *t)
{
	size_t i;

	for (i = 0; i < QSSH_ARRAY_LEN(captured); i++)
		if (captured[i].t == t)
			return &captured[i].keys;
	return NULL;
}

static void
forget_keys(void)
{
	qssh_wipe(captured, sizeof(captured));
}

/* ---- log capture ---- */

static char loglines[8][512];
static unsigned nlines;

static void
log_hook(enum qssh_log_level level, const char *line, void *ctx)
{
	(void)ctx;
	if (level > QSSH_LOG_INFO)
		return;
	if (nlines < QSSH_ARRAY_LEN(loglines))
		snprintf(loglines[nlines], sizeof(loglines[0]), "%s", line);
	nlines++;
}

static void
capture_start(void)
{
	nlines = 0;
	memset(loglines, 0, sizeof(loglines));
	qssh_log_set_suffix(SUFFIX);
	qssh_log_set_hook(log_hook, NULL);
}

static void
capture_stop(void)
{
	qssh_log_set_hook(NULL, NULL);
	qssh_log_set_suffix(NULL);
}

/* ---- the two sides ---- */

static struct key *hostkey;

struct side {
	struct tport *t;
	struct kex *kex;
	struct tctl *c;
	bool vdone;
	int err;
	uint32_t reason; /* what tctl_fatal() sent */
};

struct pair {
	struct side cl, sv;
};

struct mode {
	const char *cipher; /* NULL: no kex, plaintext packets */
	const char *mac;
};

static const struct mode modes[] = {
	{ NULL, NULL },
	{ "chacha20-poly1305@openssh.com", NULL },
	{ "aes128-gcm@openssh.com", NULL },
	{ "aes128-ctr", "hmac-sha2-256" },
	{ "aes256-ctr", "hmac-sha2-512-etm@openssh.com" },
};

static void
shuttle(struct side *from, struct side *to)
{
	struct qssh_view v = tport_output(from->t);

	if (v.len == 0)
		return;
	assert_int_equal(tport_input(to->t, v.p, v.len), 0);
	assert_int_equal(tport_output_consume(from->t, v.len), 0);
}

/*
 * The connection driver: what the daemon does with the bytes it read.  A
 * fatal error ends in tctl_fatal(); eof says the socket read returned 0.
 */
static void
drive(struct side *s, bool is_server, bool eof)
{
	struct qssh_view pl;
	const char *id;
	uint8_t type;
	int r;

	if (s->err != 0)
		return;
	for (;;) {
		if (!s->vdone) {
			r = tport_read_version(s->t, &id);
			if (r == 0) {
				s->vdone = true;
				continue;
			}
		} else {
			r = tctl_next_packet(s->c, &type, &pl);
			if (r == 0) {
				if (type == SSH_MSG_SERVICE_REQUEST)
					assert_int_equal(
					    tctl_send_service_accept(
						s->c, "ssh-userauth"),
					    0);
				continue;
			}
		}
		if (r == QSSH_ERR_AGAIN && eof)
			r = QSSH_ERR_CONN_CLOSED;
		if (r == QSSH_ERR_AGAIN)
			return;
		s->err = r;
		if (is_server)
			s->reason = tctl_fatal(s->c, r);
		return;
	}
}

static void
run(struct pair *p)
{
	int i;

	for (i = 0; i < 100; i++) {
		shuttle(&p->cl, &p->sv);
		shuttle(&p->sv, &p->cl);
		drive(&p->sv, true, false);
		drive(&p->cl, false, false);
		if (p->cl.err != 0 || p->sv.err != 0)
			return;
		if (tport_output_len(p->cl.t) == 0 &&
		    tport_output_len(p->sv.t) == 0)
			return;
	}
}

/* Both sides with the mode's algorithms; the server may differ in ciphers. */
static void
pair_init2(struct pair *p, const struct mode *m, const char *sv_ciphers)
{
	struct kex_config cc, sc;
	int err;

	memset(p, 0, sizeof(*p));
	memset(&cc, 0, sizeof(cc));
	cc.kex_algs = "curve25519-sha256";
	cc.hostkey_algs = "ssh-ed25519";
	cc.ciphers = m->cipher;
	cc.macs = m->mac;
	sc = cc;
	if (sv_ciphers != NULL)
		sc.ciphers = sv_ciphers;
	sc.host_keys = &hostkey;
	sc.num_host_keys = 1;
	p->cl.t = tport_new(false, CRYP_BACKEND_OPENSSL);
	p->sv.t = tport_new(true, CRYP_BACKEND_OPENSSL);
	assert_non_null(p->cl.t);
	assert_non_null(p->sv.t);
	assert_int_equal(tport_send_version(p->cl.t, "SSH-2.0-qssh_client"), 0);
	assert_int_equal(tport_send_version(p->sv.t, "SSH-2.0-qssh_server"), 0);
	p->cl.kex = kex_new(p->cl.t, KEX_ROLE_CLIENT, &cc, &err);
	assert_int_equal(err, 0);
	p->sv.kex = kex_new(p->sv.t, KEX_ROLE_SERVER, &sc, &err);
	assert_int_equal(err, 0);
	p->cl.c = tctl_new(p->cl.t, p->cl.kex);
	p->sv.c = tctl_new(p->sv.t, p->sv.kex);
	assert_non_null(p->cl.c);
	assert_non_null(p->sv.c);
	tctl_set_peer_name(p->sv.c, PEER_ADDR, PEER_PORT);
	assert_int_equal(kex_start(p->sv.kex), 0);
}

static void
pair_init(struct pair *p, const struct mode *m)
{
	pair_init2(p, m, NULL);
}

/*
 * A connection in the state the mode asks for: after the first kex, or
 * (plaintext mode) right after the version exchange.
 */
static void
pair_ready(struct pair *p, const struct mode *m)
{
	const struct kex_result *res;

	pair_init(p, m);
	if (m->cipher == NULL) {
		shuttle(&p->cl, &p->sv);
		shuttle(&p->sv, &p->cl);
		drive(&p->sv, true, false);
		assert_true(p->sv.vdone);
		/* The server's KEXINIT stays with the client unread. */
		assert_int_equal(tport_output_len(p->sv.t), 0);
		return;
	}
	assert_int_equal(kex_start(p->cl.kex), 0);
	run(p);
	assert_int_equal(p->cl.err, 0);
	assert_int_equal(p->sv.err, 0);
	assert_int_equal(kex_count(p->cl.kex), 1);
	assert_int_equal(kex_count(p->sv.kex), 1);
	assert_true(kex_is_strict(p->sv.kex));
	res = kex_get_result(p->sv.kex);
	assert_string_equal(res->enc[0], m->cipher);
	if (m->mac != NULL)
		assert_string_equal(res->mac[0], m->mac);
	assert_non_null(keys_of(p->cl.t));
	assert_int_equal(tport_output_len(p->cl.t), 0);
	assert_int_equal(tport_output_len(p->sv.t), 0);
}

static void
pair_free(struct pair *p)
{
	struct side *s[2] = { &p->cl, &p->sv };
	size_t i;

	for (i = 0; i < 2; i++) {
		tctl_free(s[i]->c);
		kex_free(s[i]->kex);
		tport_free(s[i]->t);
	}
	forget_keys();
}

/* ---- packets built by hand ---- */

struct wire {
	uint8_t b[1024];
	size_t len; /* whole packet with MAC/tag */
	uint32_t plen; /* packet_length as built */
	size_t first_len; /* bytes needed to learn packet_length */
};

/*
 * One packet of payload (type byte first) as the client would send it next,
 * protected with the client's real keys.  padlen >= 0 overrides the
 * padding_length byte (the packet keeps its size).
 */
static void
craft(struct pair *p, const struct mode *m, const uint8_t *payload, size_t len,
    int padlen, struct wire *w)
{
	const struct tport_keys *k = keys_of(p->cl.t);
	struct cryp_session_params sp;
	struct cryp_session *s = NULL;
	struct cryp_op op;
	size_t block = 8, base, pad, plen, tag = 0;
	bool excl = false;
	int err;

	memset(w, 0, sizeof(*w));
	w->first_len = 4;
	if (m->cipher != NULL) {
		assert_non_null(k);
		memset(&sp, 0, sizeof(sp));
		sp.cipher = k->cipher;
		sp.mac = k->cipher->aead ? NULL : k->mac;
		sp.key = k->key;
		sp.iv = k->iv;
		sp.mac_key = k->mac_key;
		sp.encrypt = true;
		s = cryp_session_new(CRYP_BACKEND_OPENSSL, &sp, &err);
		assert_non_null(s);
		tag = cryp_session_tag_len(s);
		w->first_len = cryp_session_first_len(s);
		if (k->cipher->block_len > block)
			block = k->cipher->block_len;
		excl = k->cipher->aead || (sp.mac != NULL && sp.mac->etm);
	}
	base = (excl ? 0 : 4) + 1 + len;
	pad = block - base % block;
	if (pad < 4)
		pad += block;
	plen = 1 + len + pad;
	assert_true(4 + plen + tag <= sizeof(w->b));
	qssh_put_u32be(w->b, (uint32_t)plen);
	w->b[4] = padlen >= 0 ? (uint8_t)padlen : (uint8_t)pad;
	memcpy(w->b + 5, payload, len);
	memset(w->b + 5 + len, 0x5a, pad);
	if (s != NULL) {
		memset(&op, 0, sizeof(op));
		op.sess = s;
		op.pkt = w->b;
		op.pkt_len = (uint32_t)(4 + plen);
		op.tag = w->b + 4 + plen;
		op.seqnr = tport_seqnr_out(p->cl.t);
		assert_int_equal(cryp_op_process(&op), 0);
		assert_int_equal(op.status, 0);
	}
	w->len = 4 + plen + tag;
	w->plen = (uint32_t)plen;
	cryp_session_free(s);
}

/*
 * Make packet_length read as want.  The length field is either clear text
 * or encrypted with a stream (CTR, chacha20's K_1), so XOR-ing the
 * difference into the wire bytes sets the value the receiver decrypts.
 */
static void
set_length(struct wire *w, uint32_t want)
{
	uint32_t diff = w->plen ^ want;

	qssh_put_u32be(w->b, qssh_get_u32be(w->b) ^ diff);
}

static const uint8_t ignore_payload[] = { SSH_MSG_IGNORE, 0, 0, 0, 3, 'a', 'b',
	'c' };

/* ---- checks ---- */

/*
 * Run the server on what it has, then let the client read the server's
 * output: exactly one DISCONNECT with the given reason (0: none at all),
 * and exactly one log line from the server, equal to line.
 */
static void
expect_end(struct pair *p, bool eof, uint32_t reason, const char *line)
{
	struct qssh_view pl, msg;
	const char *id;
	uint32_t code;
	uint8_t type;
	unsigned ndisc = 0;
	bool consumed;
	int r;

	capture_start();
	drive(&p->sv, true, eof);
	capture_stop();
	assert_int_not_equal(p->sv.err, 0);
	assert_int_equal(p->sv.reason, reason);
	if (nlines != 1 || strcmp(loglines[0], line) != 0)
		print_message("%u line(s), first \"%s\", want \"%s\"\n", nlines,
		    loglines[0], line);
	assert_int_equal(nlines, 1);
	assert_string_equal(loglines[0], line);

	/* The client reads every packet the server wrote after that. */
	shuttle(&p->sv, &p->cl);
	if (!p->cl.vdone) {
		assert_int_equal(tport_read_version(p->cl.t, &id), 0);
		p->cl.vdone = true;
	}
	for (;;) {
		r = tport_read_packet(p->cl.t, &type, &pl);
		if (r == QSSH_ERR_AGAIN)
			break;
		assert_int_equal(r, 0);
		if (type != SSH_MSG_DISCONNECT) {
			/*
			 * What the server sent before failing (kex messages,
			 * EXT_INFO): the client's kex takes them so that it
			 * switches keys at NEWKEYS as usual.
			 */
			r = tctl_handle_packet(p->cl.c, type, pl, &consumed);
			/* Its own negotiation may fail the same way. */
			assert_true(r == 0 || r == QSSH_ERR_NO_MATCH);
			continue;
		}
		ndisc++;
		/* Parse it by hand, then through the dispatcher. */
		msg = pl;
		assert_int_equal(qssh_view_get_u32(&msg, &code), 0);
		assert_int_equal(code, reason);
		assert_int_equal(
		    tctl_handle_packet(p->cl.c, type, pl, &consumed),
		    QSSH_ERR_DISCONNECTED);
		assert_int_equal(tctl_disconnect_code(p->cl.c), reason);
		assert_non_null(tctl_disconnect_message(p->cl.c));
		assert_true(strlen(tctl_disconnect_message(p->cl.c)) > 0);
	}
	assert_int_equal(ndisc, reason != 0 ? 1 : 0);
	assert_int_equal(tport_output_len(p->sv.t), 0);
	/* Nothing more can be queued after the DISCONNECT. */
	if (reason != 0)
		assert_int_equal(
		    tport_send(p->sv.t, SSH_MSG_IGNORE, "\0\0\0\0", 4),
		    QSSH_ERR_CONN_CLOSED);
}

static void
inject(struct pair *p, const void *b, size_t len)
{
	assert_int_equal(tport_input(p->sv.t, b, len), 0);
}

#define FATAL(what) \
	"ssh_dispatch_run_fatal: Connection from " PEER ": " what SUFFIX

/* ---- the cases, for every mode ---- */

/* Connection closed mid-packet: no DISCONNECT, one line. */
static void
case_truncated(const struct mode *m)
{
	struct pair p;
	struct wire w;
	size_t cuts[4], i;

	for (i = 0; i < QSSH_ARRAY_LEN(cuts); i++) {
		pair_ready(&p, m);
		craft(&p, m, ignore_payload, sizeof(ignore_payload), -1, &w);
		cuts[0] = 1;
		cuts[1] = w.first_len - 1;
		cuts[2] = w.first_len;
		cuts[3] = w.len - 1;
		inject(&p, w.b, cuts[i]);
		drive(&p.sv, true, false);
		assert_int_equal(p.sv.err, 0);
		expect_end(&p, true, 0, "Connection closed by " PEER SUFFIX);
		assert_int_equal(p.sv.err, QSSH_ERR_CONN_CLOSED);
		pair_free(&p);
	}
}

/* packet_length out of range, whole packet present or not. */
static void
case_length(const struct mode *m)
{
	static const uint32_t lens[] = { TPORT_PACKET_MAX + 1, 0xffffffffU,
		0x00100000U };
	static const uint32_t small[] = { 0, 1, 4 };
	struct pair p;
	struct wire w;
	size_t i;

	for (i = 0; i < QSSH_ARRAY_LEN(lens); i++) {
		pair_ready(&p, m);
		craft(&p, m, ignore_payload, sizeof(ignore_payload), -1, &w);
		set_length(&w, lens[i]);
		inject(&p, w.b, w.len);
		expect_end(&p, false, SSH_DISCONNECT_PROTOCOL_ERROR,
		    FATAL("packet too large"));
		pair_free(&p);
	}
	for (i = 0; i < QSSH_ARRAY_LEN(small); i++) {
		pair_ready(&p, m);
		craft(&p, m, ignore_payload, sizeof(ignore_payload), -1, &w);
		set_length(&w, small[i]);
		inject(&p, w.b, w.len);
		expect_end(&p, false, SSH_DISCONNECT_PROTOCOL_ERROR,
		    FATAL("bad packet padding"));
		pair_free(&p);
	}
}

/* Framing that is wrong inside a correctly protected packet. */
static void
case_padding(const struct mode *m)
{
	struct pair p;
	struct wire w;
	int pads[3];
	size_t i;

	/* padding_length < 4, > what is left, and leaving no type byte. */
	for (i = 0; i < QSSH_ARRAY_LEN(pads); i++) {
		pair_ready(&p, m);
		craft(&p, m, ignore_payload, sizeof(ignore_payload), -1, &w);
		pads[0] = 3;
		pads[1] = 255;
		pads[2] = (int)w.plen - 1;
		craft(
		    &p, m, ignore_payload, sizeof(ignore_payload), pads[i], &w);
		inject(&p, w.b, w.len);
		expect_end(&p, false, SSH_DISCONNECT_PROTOCOL_ERROR,
		    i < 2 ? FATAL("bad packet padding")
			  : FATAL("protocol error"));
		pair_free(&p);
	}
	/* A length that is not a multiple of the block size. */
	for (i = 1; i <= 3; i++) {
		pair_ready(&p, m);
		craft(&p, m, ignore_payload, sizeof(ignore_payload), -1, &w);
		set_length(&w, w.plen + (uint32_t)i);
		inject(&p, w.b, w.len);
		expect_end(&p, false, SSH_DISCONNECT_PROTOCOL_ERROR,
		    FATAL("bad packet padding"));
		pair_free(&p);
	}
}

/* One flipped bit in the tag, the ciphertext or the clear length. */
static void
case_mac(const struct mode *m)
{
	struct pair p;
	struct wire w;
	size_t where[3], i;

	if (m->cipher == NULL)
		return;
	for (i = 0; i < QSSH_ARRAY_LEN(where); i++) {
		pair_ready(&p, m);
		craft(&p, m, ignore_payload, sizeof(ignore_payload), -1, &w);
		where[0] = w.len - 1; /* last tag byte */
		where[1] = 4 + w.plen - 1; /* last padding byte */
		where[2] = w.first_len < 8 ? 6 : w.first_len; /* payload */
		w.b[where[i]] ^= 0x01;
		inject(&p, w.b, w.len);
		expect_end(&p, false, SSH_DISCONNECT_MAC_ERROR,
		    FATAL("message authentication code incorrect"));
		pair_free(&p);
	}
}

static void
test_modes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(modes); i++) {
		case_truncated(&modes[i]);
		case_length(&modes[i]);
		case_padding(&modes[i]);
		case_mac(&modes[i]);
	}
}

/* A good packet still goes through after all this machinery. */
static void
test_crafted_packet_ok(void **state)
{
	struct pair p;
	struct wire w;
	size_t i;
	static const uint8_t req[] = { SSH_MSG_SERVICE_REQUEST, 0, 0, 0, 12,
		's', 's', 'h', '-', 'u', 's', 'e', 'r', 'a', 'u', 't', 'h' };

	(void)state;
	for (i = 1; i < QSSH_ARRAY_LEN(modes); i++) {
		pair_ready(&p, &modes[i]);
		craft(&p, &modes[i], req, sizeof(req), -1, &w);
		inject(&p, w.b, w.len);
		drive(&p.sv, true, false);
		assert_int_equal(p.sv.err, 0);
		/* The server answered SERVICE_ACCEPT. */
		assert_true(tport_output_len(p.sv.t) > 0);
		pair_free(&p);
	}
}

/* ---- identification lines ---- */

static void
bad_version(const char *line, size_t len)
{
	static const struct mode plain = { NULL, NULL };
	struct pair p;

	pair_init(&p, &plain);
	inject(&p, line, len);
	expect_end(&p, false, SSH_DISCONNECT_PROTOCOL_VERSION_NOT_SUPPORTED,
	    "banner exchange: Connection from " PEER
	    ": protocol version mismatch" SUFFIX);
	assert_int_equal(p.sv.err, QSSH_ERR_PROTOCOL_VERSION);
	assert_false(p.sv.vdone);
	pair_free(&p);
}

static void
test_bad_version(void **state)
{
	char line[400];

	(void)state;
	bad_version("SSH-1.5-x\r\n", 11);
	bad_version("SSH-2.0-a\0b\r\n", 13);
	bad_version("SSH-2.0-\r\n", 10);
	bad_version("GET / HTTP/1.1\r\n", 16);
	/* Over-long, with and without a line end. */
	memset(line, 'a', sizeof(line));
	memcpy(line, "SSH-2.0-", 8);
	bad_version(line, 300);
	line[298] = '\r';
	line[299] = '\n';
	bad_version(line, 300);
}

/* EOF before or inside the identification line. */
static void
test_version_eof(void **state)
{
	static const struct mode plain = { NULL, NULL };
	struct pair p;

	(void)state;
	pair_init(&p, &plain);
	inject(&p, "SSH-2.0-abc", 11);
	drive(&p.sv, true, false);
	assert_int_equal(p.sv.err, 0);
	expect_end(&p, true, 0, "Connection closed by " PEER SUFFIX);
	pair_free(&p);
}

/* ---- strict kex ---- */

/* A message that is not part of the kex before the first NEWKEYS. */
static void
strict_violation(const struct mode *m, uint8_t type, const void *pl, size_t len,
    bool after_init, const char *line)
{
	struct pair p;

	pair_init(&p, m);
	assert_int_equal(kex_start(p.cl.kex), 0);
	if (after_init) {
		/* Let the client's KEX_ECDH_INIT out first. */
		shuttle(&p.sv, &p.cl);
		drive(&p.cl, false, false);
		assert_int_equal(p.cl.err, 0);
	}
	assert_int_equal(tport_send(p.cl.t, type, pl, len), 0);
	shuttle(&p.cl, &p.sv);
	expect_end(&p, false, SSH_DISCONNECT_PROTOCOL_ERROR, line);
	assert_int_equal(kex_count(p.sv.kex), 0);
	pair_free(&p);
}

static void
test_strict_kex(void **state)
{
	static const uint8_t svc[] = { 0, 0, 0, 12, 's', 's', 'h', '-', 'u',
		's', 'e', 'r', 'a', 'u', 't', 'h' };
	size_t i;

	(void)state;
	for (i = 1; i < QSSH_ARRAY_LEN(modes); i++) {
		strict_violation(&modes[i], SSH_MSG_IGNORE, "\0\0\0\0", 4,
		    false,
		    "Disconnecting " PEER ": strict KEX violation: unexpected "
		    "packet type 2 (seqnr 1)" SUFFIX);
		strict_violation(&modes[i], SSH_MSG_SERVICE_REQUEST, svc,
		    sizeof(svc), true,
		    "Disconnecting " PEER ": strict KEX violation: unexpected "
		    "packet type 5 (seqnr 2)" SUFFIX);
	}
	/* NEWKEYS before the kex reply: out of order for the kex itself. */
	strict_violation(&modes[1], SSH_MSG_NEWKEYS, NULL, 0, false,
	    FATAL("unexpected message"));
}

/* An IGNORE before the client's KEXINIT breaks strict kex as well. */
static void
test_strict_not_first(void **state)
{
	struct pair p;

	(void)state;
	pair_init(&p, &modes[1]);
	assert_int_equal(tport_send(p.cl.t, SSH_MSG_IGNORE, "\0\0\0\0", 4), 0);
	assert_int_equal(kex_start(p.cl.kex), 0);
	shuttle(&p.cl, &p.sv);
	expect_end(&p, false, SSH_DISCONNECT_PROTOCOL_ERROR,
	    "Disconnecting " PEER ": strict KEX violation: KEXINIT was not "
	    "the first packet" SUFFIX);
	pair_free(&p);
}

/* ---- negotiation failure and the peer's own DISCONNECT ---- */

static void
test_no_match(void **state)
{
	static const struct mode gcm = { "aes256-gcm@openssh.com", NULL };
	struct pair p;

	(void)state;
	/* The client only has a cipher the server does not offer. */
	pair_init2(&p, &gcm, "aes128-ctr");
	assert_int_equal(kex_start(p.cl.kex), 0);
	shuttle(&p.cl, &p.sv);
	expect_end(&p, false, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
	    "Unable to negotiate with " PEER ": no matching cipher found. "
	    "Their offer: aes256-gcm@openssh.com" SUFFIX);
	assert_string_equal(tctl_disconnect_message(p.cl.c),
	    "no matching cipher found. Their offer: aes256-gcm@openssh.com");
	pair_free(&p);
}

static void
test_peer_disconnect(void **state)
{
	struct pair p;

	(void)state;
	pair_ready(&p, &modes[1]);
	assert_int_equal(
	    tport_send_disconnect(p.cl.t, SSH_DISCONNECT_BY_APPLICATION, "bye"),
	    0);
	shuttle(&p.cl, &p.sv);
	/* Logged once by the dispatcher; tctl_fatal() adds nothing. */
	expect_end(
	    &p, false, 0, "Received disconnect from " PEER ":11: bye" SUFFIX);
	assert_int_equal(p.sv.err, QSSH_ERR_DISCONNECTED);
	pair_free(&p);
}

static int
setup(void **state)
{
	(void)state;
	qssh_log_init("test_malformed", QSSH_LOG_INFO, QSSH_LOG_FAC_USER, true);
	/* Keep stderr quiet; the hook still sees every line. */
	if (qssh_log_set_file("/dev/null") != 0)
		return -1;
	return key_generate(KEY_ED25519, 0, &hostkey) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	key_free(hostkey);
	forget_keys();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crafted_packet_ok),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_version_eof),
		cmocka_unit_test(test_strict_kex),
		cmocka_unit_test(test_strict_not_first),
		cmocka_unit_test(test_no_match),
		cmocka_unit_test(test_peer_disconnect),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
