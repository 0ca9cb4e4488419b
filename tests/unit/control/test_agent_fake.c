/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent client against a fake agent on a socketpair: the exact bytes of
 * each request, and the error code for each kind of malformed reply.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "control/agent.h"
#include "control/key.h"
#include "key_private.h"

static struct key *ed, *p256, *rsa;

static int
group_setup(void **state)
{
	(void)state;
	if (key_generate(KEY_ED25519, 0, &ed) != 0 ||
	    key_generate(KEY_ECDSA_P256, 256, &p256) != 0 ||
	    key_generate(KEY_RSA, 2048, &rsa) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	key_free(ed);
	key_free(p256);
	key_free(rsa);
	return 0;
}

struct fake {
	struct agent_conn *c;
	int peer;
};

static void
fake_open(struct fake *f)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(agent_conn_from_fd(sv[0], &f->c), 0);
	agent_set_timeout(f->c, 10000);
	f->peer = sv[1];
}

static void
fake_close(struct fake *f)
{
	agent_close(f->c);
	if (f->peer >= 0)
		close(f->peer);
	f->c = NULL;
	f->peer = -1;
}

static void
write_raw(struct fake *f, const void *p, size_t len)
{
	assert_int_equal(write(f->peer, p, len), (ssize_t)len);
}

/* Queues one framed reply message. */
static void
reply_msg(struct fake *f, const uint8_t *msg, size_t len)
{
	uint8_t hdr[4];

	qssh_put_u32be(hdr, (uint32_t)len);
	write_raw(f, hdr, sizeof(hdr));
	if (len > 0)
		write_raw(f, msg, len);
}

static void
reply_buf(struct fake *f, const struct qssh_buf *b)
{
	reply_msg(f, qssh_buf_ptr(b), qssh_buf_len(b));
}

static void
reply_byte(struct fake *f, uint8_t type)
{
	reply_msg(f, &type, 1);
}

/* Reads the request the client sent (without the length). */
static struct qssh_buf *
read_request(struct fake *f)
{
	struct qssh_buf *b = qssh_buf_new();
	uint8_t hdr[4], *dst;
	uint32_t len;

	assert_non_null(b);
	assert_int_equal(read(f->peer, hdr, 4), 4);
	len = qssh_get_u32be(hdr);
	assert_true(len > 0 && len <= AGENT_MSG_MAX);
	assert_int_equal(qssh_buf_reserve(b, len, &dst), 0);
	assert_int_equal(recv(f->peer, dst, len, MSG_WAITALL), (ssize_t)len);
	return b;
}

static void
expect_request(struct fake *f, const struct qssh_buf *want)
{
	struct qssh_buf *got = read_request(f);

	assert_int_equal(qssh_buf_len(got), qssh_buf_len(want));
	assert_memory_equal(
	    qssh_buf_ptr(got), qssh_buf_ptr(want), qssh_buf_len(want));
	qssh_buf_free(got);
}

static struct qssh_buf *
blob_of(const struct key *k)
{
	struct qssh_buf *b = qssh_buf_new();

	assert_non_null(b);
	assert_int_equal(key_to_blob(k, b), 0);
	return b;
}

static void
test_status_replies(void **state)
{
	static const uint8_t succ_trailing[] = { AGENT_MSG_SUCCESS, 0 };
	static const uint8_t answer[] = { AGENT_IDENTITIES_ANSWER, 0, 0, 0, 0 };
	struct qssh_buf *want = qssh_buf_new();
	struct fake f;

	(void)state;
	fake_open(&f);
	reply_byte(&f, AGENT_MSG_SUCCESS);
	assert_int_equal(agent_remove_all_identities(f.c), 0);
	reply_byte(&f, AGENT_MSG_FAILURE);
	assert_int_equal(agent_remove_all_identities(f.c), AGENT_ERR_REFUSED);
	reply_byte(&f, AGENT_EXTENSION_FAILURE);
	assert_int_equal(agent_remove_all_identities(f.c), AGENT_ERR_EXTENSION);
	reply_byte(&f, AGENT_SIGN_RESPONSE);
	assert_int_equal(
	    agent_remove_all_identities(f.c), QSSH_ERR_UNEXPECTED_MESSAGE);
	reply_msg(&f, answer, sizeof(answer));
	assert_int_equal(
	    agent_remove_all_identities(f.c), QSSH_ERR_UNEXPECTED_MESSAGE);
	reply_msg(&f, succ_trailing, sizeof(succ_trailing));
	assert_int_equal(
	    agent_remove_all_identities(f.c), QSSH_ERR_INVALID_FORMAT);
	/* An empty message is wrong but keeps the stream in step. */
	reply_msg(&f, NULL, 0);
	assert_int_equal(
	    agent_remove_all_identities(f.c), QSSH_ERR_INVALID_FORMAT);
	reply_byte(&f, AGENT_MSG_SUCCESS);
	assert_int_equal(agent_remove_all_identities(f.c), 0);
	/* Every request was one byte: REMOVE_ALL_IDENTITIES. */
	assert_int_equal(
	    qssh_buf_put_u8(want, AGENTC_REMOVE_ALL_IDENTITIES), 0);
	for (int i = 0; i < 8; i++)
		expect_request(&f, want);
	qssh_buf_free(want);
	fake_close(&f);

	assert_int_equal(agent_parse_status(NULL, 0), QSSH_ERR_INVALID_FORMAT);
}

static void
test_framing(void **state)
{
	static const uint8_t big[] = { 0x00, 0x04, 0x00, 0x01 };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff };
	static const uint8_t part[] = { 0, 0, 0, 10, AGENT_MSG_SUCCESS, 1, 2 };
	static const uint8_t half_hdr[] = { 0, 0 };
	struct agent_identities *ids = NULL;
	struct fake f;

	(void)state;
	/* Longer than the 256 KiB limit: refused without reading it. */
	fake_open(&f);
	write_raw(&f, big, sizeof(big));
	assert_int_equal(
	    agent_list_identities(f.c, &ids), QSSH_ERR_PACKET_TOO_LARGE);
	assert_null(ids);
	reply_byte(&f, AGENT_MSG_SUCCESS);
	/* The stream is out of step now. */
	assert_int_equal(
	    agent_remove_all_identities(f.c), QSSH_ERR_CONN_CORRUPT);
	fake_close(&f);

	fake_open(&f);
	write_raw(&f, huge, sizeof(huge));
	assert_int_equal(agent_lock(f.c, "pw"), QSSH_ERR_PACKET_TOO_LARGE);
	fake_close(&f);

	/* Truncated body, then EOF. */
	fake_open(&f);
	write_raw(&f, part, sizeof(part));
	shutdown(f.peer, SHUT_WR);
	assert_int_equal(agent_unlock(f.c, "pw"), QSSH_ERR_CONN_CLOSED);
	assert_int_equal(agent_unlock(f.c, "pw"), QSSH_ERR_CONN_CORRUPT);
	fake_close(&f);

	/* Truncated length. */
	fake_open(&f);
	write_raw(&f, half_hdr, sizeof(half_hdr));
	shutdown(f.peer, SHUT_WR);
	assert_int_equal(
	    agent_list_identities(f.c, &ids), QSSH_ERR_CONN_CLOSED);
	fake_close(&f);

	/* No reply at all. */
	fake_open(&f);
	shutdown(f.peer, SHUT_WR);
	assert_int_equal(
	    agent_remove_all_identities(f.c), QSSH_ERR_CONN_CLOSED);
	fake_close(&f);

	/* The agent went away before the request (no SIGPIPE either). */
	fake_open(&f);
	close(f.peer);
	f.peer = -1;
	assert_int_equal(
	    agent_remove_all_identities(f.c), QSSH_ERR_CONN_CLOSED);
	fake_close(&f);

	/* The agent never answers. */
	fake_open(&f);
	agent_set_timeout(f.c, 50);
	write_raw(&f, part, 3);
	assert_int_equal(agent_remove_all_identities(f.c), QSSH_ERR_TIMEOUT);
	assert_int_equal(
	    agent_remove_all_identities(f.c), QSSH_ERR_CONN_CORRUPT);
	fake_close(&f);

	assert_int_equal(
	    agent_conn_from_fd(-1, &f.c), QSSH_ERR_INVALID_ARGUMENT);
}

/* An identity entry: string blob, string comment. */
static void
put_identity(
    struct qssh_buf *m, const struct qssh_buf *blob, const char *comment)
{
	assert_int_equal(qssh_buf_put_stringb(m, blob), 0);
	assert_int_equal(qssh_buf_put_cstring(m, comment), 0);
}

static struct qssh_buf *
answer_header(uint32_t n)
{
	struct qssh_buf *m = qssh_buf_new();

	assert_non_null(m);
	assert_int_equal(qssh_buf_put_u8(m, AGENT_IDENTITIES_ANSWER), 0);
	assert_int_equal(qssh_buf_put_u32(m, n), 0);
	return m;
}

static int
parse_ids(const struct qssh_buf *m, struct agent_identities **ids)
{
	return agent_parse_identities(qssh_buf_ptr(m), qssh_buf_len(m), ids);
}

static void
test_identities(void **state)
{
	static const uint8_t nul_comment[] = { 'a', 0, 'b' };
	struct qssh_buf *m, *bed, *bp256, *dss, *cert, *badlen, *bad;
	struct agent_identities *ids = NULL;
	struct qssh_buf *want = qssh_buf_new();
	struct key *tmp = NULL;
	struct fake f;
	int r;

	(void)state;
	bed = blob_of(ed);
	bp256 = blob_of(p256);
	dss = qssh_buf_new();
	assert_int_equal(qssh_buf_put_cstring(dss, "ssh-dss"), 0);
	assert_int_equal(qssh_buf_put_cstring(dss, "p q g y"), 0);
	cert = qssh_buf_new();
	assert_int_equal(
	    qssh_buf_put_cstring(cert, "ssh-ed25519-cert-v01@openssh.com"), 0);
	assert_int_equal(qssh_buf_put_cstring(cert, "nonce"), 0);
	/* Known type, corrupt key: the listing fails with the key's error. */
	badlen = qssh_buf_new();
	assert_int_equal(qssh_buf_put_cstring(badlen, "ssh-ed25519"), 0);
	assert_int_equal(qssh_buf_put_string(badlen, "short", 5), 0);
	r = key_from_blob(qssh_buf_ptr(badlen), qssh_buf_len(badlen), &tmp);
	assert_int_not_equal(r, 0);

	/* Through the socket: the unknown types are skipped. */
	m = answer_header(4);
	put_identity(m, bed, "first");
	put_identity(m, dss, "a dss key");
	put_identity(m, cert, "a certificate");
	put_identity(m, bp256, "");
	fake_open(&f);
	reply_buf(&f, m);
	assert_int_equal(agent_list_identities(f.c, &ids), 0);
	assert_int_equal(qssh_buf_put_u8(want, AGENTC_REQUEST_IDENTITIES), 0);
	expect_request(&f, want);
	fake_close(&f);
	assert_int_equal(ids->num_ids, 2);
	assert_int_equal(ids->num_skipped, 2);
	assert_true(key_equal_public(ids->ids[0].key, ed));
	assert_string_equal(ids->ids[0].comment, "first");
	assert_int_equal(ids->ids[0].blob_len, qssh_buf_len(bed));
	assert_memory_equal(
	    ids->ids[0].blob, qssh_buf_ptr(bed), qssh_buf_len(bed));
	assert_true(key_equal_public(ids->ids[1].key, p256));
	assert_string_equal(ids->ids[1].comment, "");
	agent_identities_free(ids);
	ids = NULL;

	/* Trailing byte. */
	assert_int_equal(qssh_buf_put_u8(m, 0), 0);
	assert_int_equal(parse_ids(m, &ids), QSSH_ERR_INVALID_FORMAT);
	assert_null(ids);
	qssh_buf_free(m);

	/* More entries announced than present. */
	m = answer_header(2);
	put_identity(m, bed, "only one");
	assert_int_equal(parse_ids(m, &ids), QSSH_ERR_MESSAGE_INCOMPLETE);
	qssh_buf_free(m);
	m = answer_header(0xffffffffU);
	assert_int_equal(parse_ids(m, &ids), QSSH_ERR_MESSAGE_INCOMPLETE);
	qssh_buf_free(m);
	/* No count. */
	m = qssh_buf_new();
	assert_int_equal(qssh_buf_put_u8(m, AGENT_IDENTITIES_ANSWER), 0);
	assert_int_equal(parse_ids(m, &ids), QSSH_ERR_MESSAGE_INCOMPLETE);
	qssh_buf_free(m);
	/* A comment cut short. */
	m = answer_header(1);
	assert_int_equal(qssh_buf_put_stringb(m, bed), 0);
	assert_int_equal(qssh_buf_put_u32(m, 10), 0);
	assert_int_equal(qssh_buf_put(m, "abc", 3), 0);
	assert_int_equal(parse_ids(m, &ids), QSSH_ERR_MESSAGE_INCOMPLETE);
	qssh_buf_free(m);
	/* A comment with a NUL. */
	m = answer_header(1);
	assert_int_equal(qssh_buf_put_stringb(m, bed), 0);
	assert_int_equal(
	    qssh_buf_put_string(m, nul_comment, sizeof(nul_comment)), 0);
	assert_int_equal(parse_ids(m, &ids), QSSH_ERR_INVALID_FORMAT);
	qssh_buf_free(m);
	/* A broken ed25519 key. */
	m = answer_header(2);
	put_identity(m, bed, "good");
	put_identity(m, badlen, "bad");
	assert_int_equal(parse_ids(m, &ids), r);
	assert_null(ids);
	qssh_buf_free(m);
	/* Empty list; FAILURE; wrong type. */
	m = answer_header(0);
	assert_int_equal(parse_ids(m, &ids), 0);
	assert_int_equal(ids->num_ids, 0);
	agent_identities_free(ids);
	ids = NULL;
	qssh_buf_free(m);
	bad = qssh_buf_new();
	assert_int_equal(qssh_buf_put_u8(bad, AGENT_MSG_FAILURE), 0);
	assert_int_equal(parse_ids(bad, &ids), AGENT_ERR_REFUSED);
	qssh_buf_reset(bad);
	assert_int_equal(qssh_buf_put_u8(bad, AGENT_SIGN_RESPONSE), 0);
	assert_int_equal(parse_ids(bad, &ids), QSSH_ERR_UNEXPECTED_MESSAGE);
	assert_int_equal(
	    agent_parse_identities(NULL, 0, &ids), QSSH_ERR_INVALID_FORMAT);

	agent_identities_free(NULL);
	qssh_buf_free(bad);
	qssh_buf_free(want);
	qssh_buf_free(bed);
	qssh_buf_free(bp256);
	qssh_buf_free(dss);
	qssh_buf_free(cert);
	qssh_buf_free(badlen);
}

/* SIGN_RESPONSE carrying blob. */
static struct qssh_buf *
sign_response(const uint8_t *blob, size_t len)
{
	struct qssh_buf *m = qssh_buf_new();

	assert_non_null(m);
	assert_int_equal(qssh_buf_put_u8(m, AGENT_SIGN_RESPONSE), 0);
	assert_int_equal(qssh_buf_put_string(m, blob, len), 0);
	return m;
}

static void
test_sign(void **state)
{
	static const uint8_t data[] = "session id and userauth request";
	struct qssh_buf *sig = qssh_buf_new(), *out = qssh_buf_new();
	struct qssh_buf *want = qssh_buf_new(), *m, *blob, *fake_sig;
	struct fake f;

	(void)state;
	/* A good signature passes through unchanged. */
	assert_int_equal(
	    key_sign(rsa, "rsa-sha2-256", data, sizeof(data), sig), 0);
	blob = blob_of(rsa);
	m = sign_response(qssh_buf_ptr(sig), qssh_buf_len(sig));
	fake_open(&f);
	reply_buf(&f, m);
	assert_int_equal(agent_sign(f.c, rsa, data, sizeof(data),
			     AGENT_SIGN_RSA_SHA2_256, out),
	    0);
	assert_int_equal(qssh_buf_len(out), qssh_buf_len(sig));
	assert_memory_equal(
	    qssh_buf_ptr(out), qssh_buf_ptr(sig), qssh_buf_len(sig));
	assert_int_equal(qssh_buf_put_u8(want, AGENTC_SIGN_REQUEST), 0);
	assert_int_equal(qssh_buf_put_stringb(want, blob), 0);
	assert_int_equal(qssh_buf_put_string(want, data, sizeof(data)), 0);
	assert_int_equal(qssh_buf_put_u32(want, AGENT_SIGN_RSA_SHA2_256), 0);
	expect_request(&f, want);

	/* The agent used another hash than the one asked for. */
	reply_buf(&f, m);
	qssh_buf_reset(out);
	assert_int_equal(agent_sign(f.c, rsa, data, sizeof(data),
			     AGENT_SIGN_RSA_SHA2_512, out),
	    QSSH_ERR_SIGNATURE_INVALID);
	assert_int_equal(qssh_buf_len(out), 0);
	reply_buf(&f, m);
	assert_int_equal(agent_sign(f.c, rsa, data, sizeof(data), 0, out),
	    QSSH_ERR_SIGNATURE_INVALID);
	qssh_buf_free(m);

	/* Refused; wrong reply type. */
	reply_byte(&f, AGENT_MSG_FAILURE);
	assert_int_equal(
	    agent_sign(f.c, ed, data, sizeof(data), 0, out), AGENT_ERR_REFUSED);
	reply_byte(&f, AGENT_MSG_SUCCESS);
	assert_int_equal(agent_sign(f.c, ed, data, sizeof(data), 0, out),
	    QSSH_ERR_UNEXPECTED_MESSAGE);
	fake_close(&f);

	/* Malformed sign responses. */
	m = sign_response(qssh_buf_ptr(sig), qssh_buf_len(sig));
	assert_int_equal(qssh_buf_put_u8(m, 7), 0);
	assert_int_equal(
	    agent_parse_sign_response(qssh_buf_ptr(m), qssh_buf_len(m), out),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(qssh_buf_consume_end(m, 2), 0);
	assert_int_equal(
	    agent_parse_sign_response(qssh_buf_ptr(m), qssh_buf_len(m), out),
	    QSSH_ERR_MESSAGE_INCOMPLETE);
	qssh_buf_free(m);
	m = sign_response((const uint8_t *)"abc", 3);
	assert_int_equal(
	    agent_parse_sign_response(qssh_buf_ptr(m), qssh_buf_len(m), out),
	    QSSH_ERR_MESSAGE_INCOMPLETE);
	qssh_buf_free(m);
	m = sign_response(NULL, 0);
	assert_int_equal(
	    agent_parse_sign_response(qssh_buf_ptr(m), qssh_buf_len(m), out),
	    QSSH_ERR_MESSAGE_INCOMPLETE);
	qssh_buf_free(m);
	/* Blob with bytes after the signature, or an empty algorithm. */
	fake_sig = qssh_buf_new();
	assert_int_equal(qssh_buf_put_cstring(fake_sig, "ssh-ed25519"), 0);
	assert_int_equal(qssh_buf_put_string(fake_sig, "sig", 3), 0);
	assert_int_equal(qssh_buf_put_u8(fake_sig, 0), 0);
	m = sign_response(qssh_buf_ptr(fake_sig), qssh_buf_len(fake_sig));
	assert_int_equal(
	    agent_parse_sign_response(qssh_buf_ptr(m), qssh_buf_len(m), out),
	    QSSH_ERR_INVALID_FORMAT);
	qssh_buf_free(m);
	qssh_buf_reset(fake_sig);
	assert_int_equal(qssh_buf_put_cstring(fake_sig, ""), 0);
	assert_int_equal(qssh_buf_put_string(fake_sig, "sig", 3), 0);
	m = sign_response(qssh_buf_ptr(fake_sig), qssh_buf_len(fake_sig));
	assert_int_equal(
	    agent_parse_sign_response(qssh_buf_ptr(m), qssh_buf_len(m), out),
	    QSSH_ERR_INVALID_FORMAT);
	qssh_buf_free(m);
	assert_int_equal(qssh_buf_len(out), 0);

	qssh_buf_free(fake_sig);
	qssh_buf_free(blob);
	qssh_buf_free(sig);
	qssh_buf_free(out);
	qssh_buf_free(want);
}

static void
test_add_encoding(void **state)
{
	struct agent_constraints cons = { 60, true };
	struct agent_constraints life = { 5, false };
	struct qssh_buf *want = qssh_buf_new(), *blob;
	struct fake f;

	(void)state;
	fake_open(&f);
	/* Constrained: lifetime then confirm after the comment. */
	reply_byte(&f, AGENT_MSG_SUCCESS);
	assert_int_equal(agent_add_identity(f.c, ed, "c", &cons), 0);
	assert_int_equal(qssh_buf_put_u8(want, AGENTC_ADD_ID_CONSTRAINED), 0);
	assert_int_equal(key_put_private(ed, want), 0);
	assert_int_equal(qssh_buf_put_cstring(want, "c"), 0);
	assert_int_equal(qssh_buf_put_u8(want, AGENT_CONSTRAIN_LIFETIME), 0);
	assert_int_equal(qssh_buf_put_u32(want, 60), 0);
	assert_int_equal(qssh_buf_put_u8(want, AGENT_CONSTRAIN_CONFIRM), 0);
	expect_request(&f, want);

	reply_byte(&f, AGENT_MSG_SUCCESS);
	assert_int_equal(agent_add_identity(f.c, p256, "l", &life), 0);
	qssh_buf_reset(want);
	assert_int_equal(qssh_buf_put_u8(want, AGENTC_ADD_ID_CONSTRAINED), 0);
	assert_int_equal(key_put_private(p256, want), 0);
	assert_int_equal(qssh_buf_put_cstring(want, "l"), 0);
	assert_int_equal(qssh_buf_put_u8(want, AGENT_CONSTRAIN_LIFETIME), 0);
	assert_int_equal(qssh_buf_put_u32(want, 5), 0);
	expect_request(&f, want);

	/* No constraints: plain ADD_IDENTITY, empty comment. */
	reply_byte(&f, AGENT_MSG_FAILURE);
	assert_int_equal(
	    agent_add_identity(f.c, rsa, NULL, NULL), AGENT_ERR_REFUSED);
	qssh_buf_reset(want);
	assert_int_equal(qssh_buf_put_u8(want, AGENTC_ADD_IDENTITY), 0);
	assert_int_equal(key_put_private(rsa, want), 0);
	assert_int_equal(qssh_buf_put_cstring(want, ""), 0);
	expect_request(&f, want);

	/* REMOVE_IDENTITY, LOCK, UNLOCK. */
	reply_byte(&f, AGENT_MSG_SUCCESS);
	assert_int_equal(agent_remove_identity(f.c, p256), 0);
	qssh_buf_reset(want);
	blob = blob_of(p256);
	assert_int_equal(qssh_buf_put_u8(want, AGENTC_REMOVE_IDENTITY), 0);
	assert_int_equal(qssh_buf_put_stringb(want, blob), 0);
	expect_request(&f, want);
	reply_byte(&f, AGENT_MSG_SUCCESS);
	assert_int_equal(agent_lock(f.c, "secret"), 0);
	qssh_buf_reset(want);
	assert_int_equal(qssh_buf_put_u8(want, AGENTC_LOCK), 0);
	assert_int_equal(qssh_buf_put_cstring(want, "secret"), 0);
	expect_request(&f, want);
	reply_byte(&f, AGENT_MSG_SUCCESS);
	assert_int_equal(agent_unlock(f.c, "secret"), 0);
	qssh_buf_reset(want);
	assert_int_equal(qssh_buf_put_u8(want, AGENTC_UNLOCK), 0);
	assert_int_equal(qssh_buf_put_cstring(want, "secret"), 0);
	expect_request(&f, want);
	assert_int_equal(agent_lock(f.c, NULL), QSSH_ERR_INVALID_ARGUMENT);
	fake_close(&f);
	qssh_buf_free(blob);
	qssh_buf_free(want);
}

static struct qssh_buf *
msg_names(uint8_t type, const char *first, ...)
{
	struct qssh_buf *m = qssh_buf_new();
	const char *s;
	va_list ap;

	assert_non_null(m);
	assert_int_equal(qssh_buf_put_u8(m, type), 0);
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		assert_int_equal(qssh_buf_put_cstring(m, s), 0);
	va_end(ap);
	return m;
}

static void
test_extensions(void **state)
{
	static const uint8_t sid[20] = { 1, 2, 3 };
	static const uint8_t body[] = { 9, 8, 7 };
	struct qssh_buf *want = qssh_buf_new(), *reply = qssh_buf_new();
	struct qssh_buf *m, *blob;
	char **names = NULL;
	size_t num = 0;
	struct fake f;

	(void)state;
	fake_open(&f);
	/* session-bind@openssh.com */
	reply_byte(&f, AGENT_MSG_SUCCESS);
	assert_int_equal(agent_session_bind(f.c, ed, sid, sizeof(sid),
			     (const uint8_t *)"SIG", 3, true),
	    0);
	blob = blob_of(ed);
	assert_int_equal(qssh_buf_put_u8(want, AGENTC_EXTENSION), 0);
	assert_int_equal(
	    qssh_buf_put_cstring(want, "session-bind@openssh.com"), 0);
	assert_int_equal(qssh_buf_put_stringb(want, blob), 0);
	assert_int_equal(qssh_buf_put_string(want, sid, sizeof(sid)), 0);
	assert_int_equal(qssh_buf_put_string(want, "SIG", 3), 0);
	assert_int_equal(qssh_buf_put_bool(want, true), 0);
	expect_request(&f, want);
	reply_byte(&f, AGENT_MSG_FAILURE);
	assert_int_equal(agent_session_bind(f.c, ed, sid, sizeof(sid),
			     (const uint8_t *)"SIG", 3, false),
	    AGENT_ERR_REFUSED);
	reply_byte(&f, AGENT_EXTENSION_FAILURE);
	assert_int_equal(agent_session_bind(f.c, ed, sid, sizeof(sid),
			     (const uint8_t *)"SIG", 3, false),
	    AGENT_ERR_EXTENSION);
	reply_byte(&f, AGENT_IDENTITIES_ANSWER);
	assert_int_equal(agent_session_bind(f.c, ed, sid, sizeof(sid),
			     (const uint8_t *)"SIG", 3, false),
	    QSSH_ERR_UNEXPECTED_MESSAGE);

	/* Generic extension with a response body. */
	m = msg_names(AGENT_EXTENSION_RESPONSE, "x", NULL);
	reply_buf(&f, m);
	qssh_buf_free(m);
	assert_int_equal(
	    agent_extension(f.c, "x@qssh", body, sizeof(body), reply), 0);
	assert_int_equal(qssh_buf_len(reply), 5);
	assert_memory_equal(qssh_buf_ptr(reply), "\0\0\0\1x", 5);

	/* query: both reply forms. */
	m = msg_names(
	    AGENT_MSG_SUCCESS, "query", "session-bind@openssh.com", NULL);
	reply_buf(&f, m);
	qssh_buf_free(m);
	assert_int_equal(agent_query_extensions(f.c, &names, &num), 0);
	assert_int_equal(num, 2);
	assert_string_equal(names[0], "query");
	assert_string_equal(names[1], "session-bind@openssh.com");
	assert_null(names[2]);
	agent_names_free(names);
	m = msg_names(AGENT_EXTENSION_RESPONSE, "query", "a", "b", "c", NULL);
	reply_buf(&f, m);
	qssh_buf_free(m);
	assert_int_equal(agent_query_extensions(f.c, &names, &num), 0);
	assert_int_equal(num, 3);
	assert_string_equal(names[2], "c");
	agent_names_free(names);
	m = msg_names(AGENT_MSG_SUCCESS, NULL);
	reply_buf(&f, m);
	qssh_buf_free(m);
	assert_int_equal(agent_query_extensions(f.c, &names, &num), 0);
	assert_int_equal(num, 0);
	assert_null(names[0]);
	agent_names_free(names);
	reply_byte(&f, AGENT_MSG_FAILURE);
	assert_int_equal(
	    agent_query_extensions(f.c, &names, &num), AGENT_ERR_EXTENSION);
	assert_null(names);
	reply_byte(&f, AGENT_EXTENSION_FAILURE);
	assert_int_equal(
	    agent_query_extensions(f.c, &names, &num), AGENT_ERR_EXTENSION);
	m = msg_names(AGENT_EXTENSION_RESPONSE, "other", "a", NULL);
	reply_buf(&f, m);
	qssh_buf_free(m);
	assert_int_equal(
	    agent_query_extensions(f.c, &names, &num), QSSH_ERR_INVALID_FORMAT);
	m = msg_names(AGENT_MSG_SUCCESS, "abc", NULL);
	assert_int_equal(qssh_buf_consume_end(m, 1), 0);
	reply_buf(&f, m);
	qssh_buf_free(m);
	assert_int_equal(agent_query_extensions(f.c, &names, &num),
	    QSSH_ERR_MESSAGE_INCOMPLETE);
	reply_byte(&f, AGENT_SIGN_RESPONSE);
	assert_int_equal(agent_query_extensions(f.c, &names, &num),
	    QSSH_ERR_UNEXPECTED_MESSAGE);
	assert_null(names);
	assert_int_equal(num, 0);
	fake_close(&f);
	agent_names_free(NULL);
	qssh_buf_free(blob);
	qssh_buf_free(want);
	qssh_buf_free(reply);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_replies),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_identities),
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_add_encoding),
		cmocka_unit_test(test_extensions),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
