/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The userauth client's state machine, driven with hand-made server
 * messages on a transport that has no keys yet (its output is plain
 * packets that the test parses), and its helpers.
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
#include "common/util.h"
#include "control/auth_client.h"
#include "control/kex.h"
#include "control/key.h"
#include "dataplane/transport.h"

struct fixture {
	struct tport *t;
	struct kex *kex;
	struct tctl *c;
	struct auth_client *a;
	/* callback records */
	char prompts[4][128];
	bool echoes[4];
	unsigned num_prompts;
	const char *answers[4];
	char messages[512];
};

static char *
cb_prompt(void *ctx, const char *prompt, bool echo)
{
	struct fixture *f = ctx;
	unsigned i = f->num_prompts++;

	if (i >= 4)
		return NULL;
	snprintf(f->prompts[i], sizeof(f->prompts[i]), "%s", prompt);
	f->echoes[i] = echo;
	return f->answers[i] != NULL ? strdup(f->answers[i]) : NULL;
}

static void
cb_message(void *ctx, const char *text)
{
	struct fixture *f = ctx;

	strncat(
	    f->messages, text, sizeof(f->messages) - strlen(f->messages) - 1);
}

static void
fixture_init(struct fixture *f, const char *preferred)
{
	struct auth_client_callbacks cb = { cb_prompt, cb_message };
	struct auth_client_config cfg;
	struct kex_config kc;
	struct qssh_view out;
	const uint8_t *nl;
	int r;

	memset(f, 0, sizeof(*f));
	memset(&kc, 0, sizeof(kc));
	f->t = tport_new(false, cryp_backend_default());
	assert_non_null(f->t);
	assert_int_equal(tport_send_version(f->t, "SSH-2.0-test"), 0);
	/* Drop the identification line from the output. */
	out = tport_output(f->t);
	nl = memchr(out.p, '\n', out.len);
	assert_non_null(nl);
	assert_int_equal(
	    tport_output_consume(f->t, (size_t)(nl - out.p) + 1), 0);
	f->kex = kex_new(f->t, KEX_ROLE_CLIENT, &kc, &r);
	assert_non_null(f->kex);
	f->c = tctl_new(f->t, f->kex);
	assert_non_null(f->c);
	memset(&cfg, 0, sizeof(cfg));
	cfg.user = "alice";
	cfg.host = "example.org";
	cfg.preferred = preferred;
	cfg.password = true;
	cfg.kbdint = true;
	cfg.pubkey = false;
	cfg.password_prompts = 2;
	cfg.identity_agent = "none";
	f->a = auth_client_new(f->t, f->c, f->kex, &cfg, &cb, f, &r);
	assert_int_equal(r, 0);
	assert_non_null(f->a);
}

static void
fixture_cleanup(struct fixture *f)
{
	auth_client_free(f->a);
	tctl_free(f->c);
	kex_free(f->kex);
	tport_free(f->t);
}

/* Next plain packet the client queued: type and payload copied to b. */
static uint8_t
next_packet(struct fixture *f, struct qssh_buf *b)
{
	struct qssh_view out = tport_output(f->t);
	uint32_t plen;
	uint8_t padlen, type;

	qssh_buf_reset(b);
	assert_true(out.len >= 6);
	plen = qssh_get_u32be(out.p);
	padlen = out.p[4];
	assert_true(plen + 4 <= out.len);
	assert_true(padlen + 1u < plen);
	assert_int_equal(qssh_buf_put(b, out.p + 6, plen - padlen - 2), 0);
	type = out.p[5];

	assert_int_equal(tport_output_consume(f->t, plen + 4), 0);
	return type;
}

static void
expect_wire_string(struct qssh_buf *b, const char *s)
{
	char *got = NULL;

	assert_int_equal(qssh_buf_get_cstring(b, &got, NULL), 0);
	assert_string_equal(got, s);
	free(got);
}

static void
expect_request_head(struct qssh_buf *b, const char *method)
{
	expect_wire_string(b, "alice");
	expect_wire_string(b, "ssh-connection");
	expect_wire_string(b, method);
}

static int
feed(struct fixture *f, uint8_t type, struct qssh_buf *payload)
{
	return auth_client_handle_packet(f->a, type, qssh_buf_view(payload));
}

static int
feed_failure(struct fixture *f, const char *methods)
{
	struct qssh_buf *b = qssh_buf_new();
	int r;

	assert_int_equal(qssh_buf_put_cstring(b, methods), 0);
	assert_int_equal(qssh_buf_put_bool(b, false), 0);
	r = feed(f, SSH_MSG_USERAUTH_FAILURE, b);
	qssh_buf_free(b);
	return r;
}

/* Service request, accept, "none". */
static void
start(struct fixture *f, struct qssh_buf *b)
{
	struct qssh_buf *p = qssh_buf_new();

	assert_int_equal(auth_client_start(f->a), 0);
	assert_int_equal(next_packet(f, b), SSH_MSG_SERVICE_REQUEST);
	expect_wire_string(b, "ssh-userauth");
	assert_int_equal(qssh_buf_put_cstring(p, "ssh-userauth"), 0);
	assert_int_equal(feed(f, SSH_MSG_SERVICE_ACCEPT, p), 0);
	qssh_buf_free(p);
	assert_int_equal(next_packet(f, b), SSH_MSG_USERAUTH_REQUEST);
	expect_request_head(b, "none");
	assert_int_equal(qssh_buf_len(b), 0);
}

static void
test_password_retry_then_denied(void **state)
{
	struct fixture f;
	struct qssh_buf *b = qssh_buf_new();
	bool flag;

	(void)state;
	fixture_init(&f, "password");
	f.answers[0] = "first";
	f.answers[1] = "second";
	start(&f, b);
	assert_int_equal(feed_failure(&f, "publickey,password"), 0);
	assert_int_equal(f.num_prompts, 1);
	assert_string_equal(f.prompts[0], "alice@example.org's password: ");
	assert_false(f.echoes[0]);
	assert_int_equal(next_packet(&f, b), SSH_MSG_USERAUTH_REQUEST);
	expect_request_head(b, "password");
	assert_int_equal(qssh_buf_get_bool(b, &flag), 0);
	assert_false(flag);
	expect_wire_string(b, "first");
	assert_int_equal(feed_failure(&f, "publickey,password"), 0);
	assert_int_equal(next_packet(&f, b), SSH_MSG_USERAUTH_REQUEST);
	expect_request_head(b, "password");
	assert_int_equal(qssh_buf_get_bool(b, &flag), 0);
	expect_wire_string(b, "second");
	/* NumberOfPasswordPrompts 2: the third failure ends it. */
	assert_int_equal(
	    feed_failure(&f, "publickey,password"), QSSH_ERR_ACCESS);
	assert_string_equal(
	    auth_client_server_methods(f.a), "publickey,password");
	assert_false(auth_client_done(f.a));
	qssh_buf_free(b);
	fixture_cleanup(&f);
}

static void
test_password_success_and_banner(void **state)
{
	struct fixture f;
	struct qssh_buf *b = qssh_buf_new(), *p = qssh_buf_new();

	(void)state;
	fixture_init(&f, NULL);
	f.answers[0] = "pw";
	start(&f, b);
	assert_int_equal(
	    qssh_buf_put_cstring(p, "Hello\x01 there\x1b[1m\n"), 0);
	assert_int_equal(qssh_buf_put_cstring(p, ""), 0);
	assert_int_equal(feed(&f, SSH_MSG_USERAUTH_BANNER, p), 0);
	assert_string_equal(f.messages, "Hello there[1m\n");
	/* Only password is offered by the server. */
	assert_int_equal(feed_failure(&f, "password"), 0);
	assert_int_equal(next_packet(&f, b), SSH_MSG_USERAUTH_REQUEST);
	expect_request_head(b, "password");
	qssh_buf_reset(p);
	assert_int_equal(feed(&f, SSH_MSG_USERAUTH_SUCCESS, p), 0);
	assert_true(auth_client_done(f.a));
	assert_string_equal(auth_client_method(f.a), "password");
	/* Nothing is expected after success. */
	assert_int_equal(
	    feed(&f, SSH_MSG_USERAUTH_SUCCESS, p), QSSH_ERR_UNEXPECTED_MESSAGE);
	qssh_buf_free(p);
	qssh_buf_free(b);
	fixture_cleanup(&f);
}

static void
test_kbdint(void **state)
{
	struct fixture f;
	struct qssh_buf *b = qssh_buf_new(), *p = qssh_buf_new();
	uint32_t n;

	(void)state;
	fixture_init(&f, "keyboard-interactive,password");
	f.answers[0] = "secret";
	f.answers[1] = "visible";
	start(&f, b);
	assert_int_equal(feed_failure(&f, "keyboard-interactive"), 0);
	assert_int_equal(next_packet(&f, b), SSH_MSG_USERAUTH_REQUEST);
	expect_request_head(b, "keyboard-interactive");
	expect_wire_string(b, "");
	expect_wire_string(b, "");
	assert_int_equal(qssh_buf_put_cstring(p, "Name"), 0);
	assert_int_equal(qssh_buf_put_cstring(p, "Instruction"), 0);
	assert_int_equal(qssh_buf_put_cstring(p, ""), 0);
	assert_int_equal(qssh_buf_put_u32(p, 2), 0);
	assert_int_equal(qssh_buf_put_cstring(p, "Password: "), 0);
	assert_int_equal(qssh_buf_put_bool(p, false), 0);
	assert_int_equal(qssh_buf_put_cstring(p, "Code: "), 0);
	assert_int_equal(qssh_buf_put_bool(p, true), 0);
	assert_int_equal(feed(&f, SSH_MSG_USERAUTH_INFO_REQUEST, p), 0);
	assert_int_equal(f.num_prompts, 2);
	assert_string_equal(f.prompts[0], "(alice@example.org) Password: ");
	assert_false(f.echoes[0]);
	assert_string_equal(f.prompts[1], "(alice@example.org) Code: ");
	assert_true(f.echoes[1]);
	assert_string_equal(f.messages, "NameInstruction");
	assert_int_equal(next_packet(&f, b), SSH_MSG_USERAUTH_INFO_RESPONSE);
	assert_int_equal(qssh_buf_get_u32(b, &n), 0);
	assert_int_equal(n, 2);
	expect_wire_string(b, "secret");
	expect_wire_string(b, "visible");
	/* Trailing bytes after the prompts are refused. */
	qssh_buf_reset(p);
	assert_int_equal(qssh_buf_put_cstring(p, ""), 0);
	assert_int_equal(qssh_buf_put_cstring(p, ""), 0);
	assert_int_equal(qssh_buf_put_cstring(p, ""), 0);
	assert_int_equal(qssh_buf_put_u32(p, 0), 0);
	assert_int_equal(qssh_buf_put_u8(p, 7), 0);
	assert_int_equal(feed(&f, SSH_MSG_USERAUTH_INFO_REQUEST, p),
	    QSSH_ERR_INVALID_FORMAT);
	qssh_buf_free(p);
	qssh_buf_free(b);
	fixture_cleanup(&f);
}

static void
test_unexpected_and_truncated(void **state)
{
	struct fixture f;
	struct qssh_buf *b = qssh_buf_new(), *p = qssh_buf_new();

	(void)state;
	fixture_init(&f, NULL);
	/* SUCCESS before SERVICE_ACCEPT. */
	assert_int_equal(
	    feed(&f, SSH_MSG_USERAUTH_SUCCESS, p), QSSH_ERR_UNEXPECTED_MESSAGE);
	start(&f, b);
	assert_int_equal(
	    feed(&f, SSH_MSG_CHANNEL_DATA, p), QSSH_ERR_UNEXPECTED_MESSAGE);
	/* FAILURE without the partial-success flag. */
	assert_int_equal(qssh_buf_put_cstring(p, "password"), 0);
	assert_int_not_equal(feed(&f, SSH_MSG_USERAUTH_FAILURE, p), 0);
	/* No method in common. */
	assert_int_equal(feed_failure(&f, "hostbased"), QSSH_ERR_ACCESS);
	qssh_buf_free(p);
	qssh_buf_free(b);
	fixture_cleanup(&f);
}

static void
test_private_pubkey(void **state)
{
	struct key *k = NULL, *pub = NULL;
	struct qssh_buf *b = qssh_buf_new();

	(void)state;
	assert_int_equal(key_generate(KEY_ED25519, 0, &k), 0);
	assert_int_equal(key_serialize_private(
			     k, "passphrase", "c", KEY_FORMAT_OPENSSH, 4, b),
	    0);
	assert_true(key_private_is_encrypted(qssh_buf_ptr(b), qssh_buf_len(b)));
	assert_int_equal(
	    auth_client_private_pubkey(qssh_buf_ptr(b), qssh_buf_len(b), &pub),
	    0);
	assert_true(key_equal_public(k, pub));
	key_free(pub);
	pub = NULL;
	key_free(k);
	k = NULL;
	qssh_buf_reset(b);
	assert_int_equal(key_generate(KEY_ECDSA_P256, 256, &k), 0);
	assert_int_equal(
	    key_serialize_private(k, NULL, "c", KEY_FORMAT_PEM, 0, b), 0);
	assert_int_equal(
	    auth_client_private_pubkey(qssh_buf_ptr(b), qssh_buf_len(b), &pub),
	    QSSH_ERR_INVALID_FORMAT);
	assert_null(pub);
	assert_int_not_equal(auth_client_private_pubkey(
				 (const uint8_t *)"-----BEGIN OPENSSH PRIVATE "
						  "KEY-----\nAAAA\n-----END "
						  "OPENSSH PRIVATE KEY-----\n",
				 70, &pub),
	    0);
	key_free(k);
	qssh_buf_free(b);
}

static void
test_bad_perms_text(void **state)
{
	char *s = NULL;

	(void)state;
	assert_int_equal(auth_client_text_bad_perms("/k", 0100644, &s), 0);
	assert_string_equal(s,
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
	    "@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @\n"
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
	    "Permissions 0644 for '/k' are too open.\n"
	    "It is required that your private key files are NOT accessible "
	    "by others.\n"
	    "This private key will be ignored.\n");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_retry_then_denied),
		cmocka_unit_test(test_password_success_and_banner),
		cmocka_unit_test(test_kbdint),
		cmocka_unit_test(test_unexpected_and_truncated),
		cmocka_unit_test(test_private_pubkey),
		cmocka_unit_test(test_bad_perms_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
