/* SPDX-License-Identifier: BSD-2-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "control/auth_server.h"
#include "control/key.h"
#include "dataplane/transport.h"

static const uint8_t sid[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
	32 };

struct fake {
	uint8_t last_type;
	struct qssh_buf *last;
	int sent;
	char user[64];
	int set_user_calls;
	struct key *allowed;
	int verify_calls;
	int log_lines;
	int kbd_calls;
	int kbd_cancels;
};

static int
f_send(void *ctx, uint8_t type, const uint8_t *p, size_t len)
{
	struct fake *f = ctx;

	f->last_type = type;
	qssh_buf_reset(f->last);
	f->sent++;
	return len == 0 ? 0 : qssh_buf_put(f->last, p, len);
}

static int
f_set_user(void *ctx, const char *user)
{
	struct fake *f = ctx;

	snprintf(f->user, sizeof(f->user), "%s", user);
	f->set_user_calls++;
	return 0;
}

static int
f_password(void *ctx, const char *pw, bool *ok)
{
	(void)ctx;
	*ok = strcmp(pw, "secret") == 0;
	return 0;
}

static int
f_key_allowed(void *ctx, const uint8_t *blob, size_t len, bool *ok)
{
	struct fake *f = ctx;
	struct key *k = NULL;

	*ok = key_from_blob(blob, len, &k) == 0 && f->allowed != NULL &&
	    key_equal_public(k, f->allowed);
	key_free(k);
	return 0;
}

/* Checks the signed data against an independent construction. */
static int
f_key_verify(void *ctx, const uint8_t *blob, size_t bloblen, const uint8_t *sig,
    size_t siglen, const uint8_t *data, size_t datalen, bool *ok)
{
	struct fake *f = ctx;
	struct key *k = NULL;

	f->verify_calls++;
	*ok = key_from_blob(blob, bloblen, &k) == 0 &&
	    key_verify(k, NULL, sig, siglen, data, datalen) == 0;
	key_free(k);
	return 0;
}

static void
f_log_user(void *ctx, enum qssh_log_level level,
    enum auth_server_user_style style, const char *before, const char *after)
{
	struct fake *f = ctx;

	(void)level;
	(void)style;
	(void)before;
	(void)after;
	f->log_lines++;
}

/* One round: "Password:"; "secret" passes. */
static int
f_kbdint(void *ctx, bool start, bool cancel, uint32_t n, char *const *answers,
    uint32_t *status, struct qssh_buf *info)
{
	struct fake *f = ctx;

	f->kbd_calls++;
	if (cancel) {
		f->kbd_cancels++;
		*status = AUTH_KBDINT_FAILURE;
		return 0;
	}
	if (start) {
		*status = AUTH_KBDINT_PROMPT;
		assert_int_equal(qssh_buf_put_cstring(info, ""), 0);
		assert_int_equal(qssh_buf_put_cstring(info, "instr"), 0);
		assert_int_equal(qssh_buf_put_cstring(info, ""), 0);
		assert_int_equal(qssh_buf_put_u32(info, 1), 0);
		assert_int_equal(qssh_buf_put_cstring(info, "Password: "), 0);
		assert_int_equal(qssh_buf_put_bool(info, false), 0);
		return 0;
	}
	assert_int_equal(n, 1);
	*status = strcmp(answers[0], "secret") == 0 ? AUTH_KBDINT_SUCCESS
						    : AUTH_KBDINT_FAILURE;
	return 0;
}

static const struct auth_server_ops ops = { f_send, f_set_user, f_password,
	f_key_allowed, f_key_verify, f_log_user, f_kbdint };

static struct auth_server *
mk(struct fake *f, unsigned max_tries, const char *algs)
{
	struct auth_server_config cfg;

	memset(f, 0, sizeof(*f));
	f->last = qssh_buf_new();
	assert_non_null(f->last);
	memset(&cfg, 0, sizeof(cfg));
	cfg.pubkey = true;
	cfg.password = true;
	cfg.max_tries = max_tries;
	cfg.pubkey_algs = algs;
	cfg.addr = "192.0.2.1";
	cfg.port = 4242;
	cfg.session_id = sid;
	cfg.session_id_len = sizeof(sid);
	return auth_server_new(&cfg, &ops, f);
}

static void
done(struct fake *f, struct auth_server *a)
{
	auth_server_free(a);
	qssh_buf_free(f->last);
	key_free(f->allowed);
}

static struct qssh_buf *
req_head(const char *user, const char *method)
{
	struct qssh_buf *b = qssh_buf_new();

	assert_non_null(b);
	assert_int_equal(qssh_buf_put_cstring(b, user), 0);
	assert_int_equal(qssh_buf_put_cstring(b, "ssh-connection"), 0);
	assert_int_equal(qssh_buf_put_cstring(b, method), 0);
	return b;
}

static int
handle(struct auth_server *a, struct qssh_buf *b)
{
	int r = auth_server_handle(a, qssh_buf_view(b));

	qssh_buf_free(b);
	return r;
}

static int
password(struct auth_server *a, const char *user, const char *pw)
{
	struct qssh_buf *b = req_head(user, "password");

	assert_int_equal(qssh_buf_put_bool(b, false), 0);
	assert_int_equal(qssh_buf_put_cstring(b, pw), 0);
	return handle(a, b);
}

static void
assert_failure_partial(struct fake *f, const char *methods, bool want)
{
	char *m = NULL;
	bool partial = !want;

	assert_int_equal(f->last_type, SSH_MSG_USERAUTH_FAILURE);
	assert_int_equal(qssh_buf_get_cstring(f->last, &m, NULL), 0);
	assert_string_equal(m, methods);
	assert_int_equal(qssh_buf_get_bool(f->last, &partial), 0);
	assert_int_equal(partial, want);
	free(m);
}

static void
assert_failure_methods(struct fake *f, const char *methods)
{
	char *m = NULL;
	bool partial = true;

	assert_int_equal(f->last_type, SSH_MSG_USERAUTH_FAILURE);
	assert_int_equal(qssh_buf_get_cstring(f->last, &m, NULL), 0);
	assert_string_equal(m, methods);
	assert_int_equal(qssh_buf_get_bool(f->last, &partial), 0);
	assert_false(partial);
	free(m);
}

static void
test_none_lists_methods(void **state)
{
	struct fake f;
	struct auth_server *a = mk(&f, 0, NULL);

	(void)state;
	assert_int_equal(handle(a, req_head("alice", "none")), 0);
	assert_failure_methods(&f, "publickey,password");
	assert_string_equal(f.user, "alice");
	assert_int_equal(auth_server_failures(a), 0);
	assert_int_equal(handle(a, req_head("alice", "none")), 0);
	assert_int_equal(auth_server_failures(a), 1);
	assert_int_equal(f.set_user_calls, 1);
	done(&f, a);
}

static void
test_password(void **state)
{
	struct fake f;
	struct auth_server *a = mk(&f, 0, NULL);

	(void)state;
	assert_int_equal(password(a, "bob", "nope"), 0);
	assert_failure_methods(&f, "publickey,password");
	assert_int_equal(password(a, "bob", "secret"), AUTH_SERVER_DONE);
	assert_int_equal(f.last_type, SSH_MSG_USERAUTH_SUCCESS);
	assert_string_equal(auth_server_method(a), "password");
	/* Nothing after success. */
	assert_int_equal(
	    password(a, "bob", "secret"), QSSH_ERR_UNEXPECTED_MESSAGE);
	done(&f, a);
}

static void
test_max_tries(void **state)
{
	struct fake f;
	struct auth_server *a = mk(&f, 3, NULL);

	(void)state;
	assert_int_equal(password(a, "bob", "1"), 0);
	assert_int_equal(password(a, "bob", "2"), 0);
	assert_int_equal(f.log_lines, 0);
	assert_int_equal(password(a, "bob", "3"), QSSH_ERR_ACCESS);
	/* "maximum authentication attempts" and "Disconnecting" */
	assert_int_equal(f.log_lines, 2);
	done(&f, a);
}

static void
test_change_of_user(void **state)
{
	struct fake f;
	struct auth_server *a = mk(&f, 0, NULL);

	(void)state;
	assert_int_equal(handle(a, req_head("alice", "none")), 0);
	assert_int_equal(
	    handle(a, req_head("mallory", "none")), QSSH_ERR_PROTOCOL);
	done(&f, a);
}

static void
test_truncated(void **state)
{
	struct fake f;
	struct auth_server *a = mk(&f, 0, NULL);
	struct qssh_buf *b = req_head("alice", "password");

	(void)state;
	assert_true(handle(a, b) < 0);
	done(&f, a);
}

static struct qssh_buf *
pubkey_req(const char *user, const char *alg, const struct key *k, bool sign,
    const struct key *signer)
{
	struct qssh_buf *b = req_head(user, "publickey"), *blob, *d, *sig;

	blob = qssh_buf_new();
	assert_int_equal(key_to_blob(k, blob), 0);
	assert_int_equal(qssh_buf_put_bool(b, sign), 0);
	assert_int_equal(qssh_buf_put_cstring(b, alg), 0);
	assert_int_equal(qssh_buf_put_stringb(b, blob), 0);
	if (sign) {
		d = qssh_buf_new();
		sig = qssh_buf_new();
		assert_int_equal(qssh_buf_put_string(d, sid, sizeof(sid)), 0);
		assert_int_equal(qssh_buf_put_u8(d, 50), 0);
		assert_int_equal(qssh_buf_put_cstring(d, user), 0);
		assert_int_equal(qssh_buf_put_cstring(d, "ssh-connection"), 0);
		assert_int_equal(qssh_buf_put_cstring(d, "publickey"), 0);
		assert_int_equal(qssh_buf_put_bool(d, true), 0);
		assert_int_equal(qssh_buf_put_cstring(d, alg), 0);
		assert_int_equal(qssh_buf_put_stringb(d, blob), 0);
		assert_int_equal(key_sign(signer, alg, qssh_buf_ptr(d),
				     qssh_buf_len(d), sig),
		    0);
		assert_int_equal(qssh_buf_put_stringb(b, sig), 0);
		qssh_buf_free(d);
		qssh_buf_free(sig);
	}
	qssh_buf_free(blob);
	return b;
}

static void
test_pubkey_query_and_sign(void **state)
{
	struct fake f;
	struct auth_server *a = mk(&f, 0, NULL);
	struct key *k = NULL, *other = NULL;
	char *alg = NULL;

	(void)state;
	assert_int_equal(key_generate(KEY_ED25519, 0, &k), 0);
	assert_int_equal(key_generate(KEY_ED25519, 0, &other), 0);
	assert_int_equal(key_demote(k, &f.allowed), 0);
	/* A key that is not allowed. */
	assert_int_equal(
	    handle(a, pubkey_req("carol", "ssh-ed25519", other, false, NULL)),
	    0);
	assert_failure_methods(&f, "publickey,password");
	/* The query: PK_OK echoes algorithm and key. */
	assert_int_equal(
	    handle(a, pubkey_req("carol", "ssh-ed25519", k, false, NULL)), 0);
	assert_int_equal(f.last_type, SSH_MSG_USERAUTH_PK_OK);
	assert_int_equal(qssh_buf_get_cstring(f.last, &alg, NULL), 0);
	assert_string_equal(alg, "ssh-ed25519");
	free(alg);
	/* A signature by another key over the right data fails. */
	assert_int_equal(
	    handle(a, pubkey_req("carol", "ssh-ed25519", k, true, other)), 0);
	assert_failure_methods(&f, "publickey,password");
	assert_int_equal(
	    handle(a, pubkey_req("carol", "ssh-ed25519", k, true, k)),
	    AUTH_SERVER_DONE);
	assert_int_equal(f.last_type, SSH_MSG_USERAUTH_SUCCESS);
	assert_int_equal(f.verify_calls, 2);
	assert_string_equal(auth_server_method(a), "publickey");
	key_free(k);
	key_free(other);
	done(&f, a);
}

static void
test_pubkey_alg_not_accepted(void **state)
{
	struct fake f;
	struct auth_server *a = mk(&f, 0, "rsa-sha2-512,rsa-sha2-256");
	struct key *k = NULL;

	(void)state;
	assert_int_equal(key_generate(KEY_ED25519, 0, &k), 0);
	assert_int_equal(key_demote(k, &f.allowed), 0);
	assert_int_equal(
	    handle(a, pubkey_req("dave", "ssh-ed25519", k, true, k)), 0);
	assert_failure_methods(&f, "publickey,password");
	assert_int_equal(f.verify_calls, 0);
	/* An algorithm that does not fit the key. */
	assert_int_equal(
	    handle(a, pubkey_req("dave", "rsa-sha2-256", k, false, NULL)), 0);
	assert_int_equal(f.last_type, SSH_MSG_USERAUTH_FAILURE);
	key_free(k);
	done(&f, a);
}

static struct auth_server *
mk_full(struct fake *f, char *const *lists, size_t nlists)
{
	struct auth_server_config cfg;

	memset(f, 0, sizeof(*f));
	f->last = qssh_buf_new();
	assert_non_null(f->last);
	memset(&cfg, 0, sizeof(cfg));
	cfg.pubkey = true;
	cfg.password = true;
	cfg.kbdint = true;
	cfg.addr = "192.0.2.1";
	cfg.port = 4242;
	cfg.session_id = sid;
	cfg.session_id_len = sizeof(sid);
	cfg.auth_methods = lists;
	cfg.num_auth_methods = nlists;
	return auth_server_new(&cfg, &ops, f);
}

static struct qssh_buf *
kbd_req(const char *user)
{
	struct qssh_buf *b = req_head(user, "keyboard-interactive");

	assert_int_equal(qssh_buf_put_cstring(b, ""), 0);
	assert_int_equal(qssh_buf_put_cstring(b, ""), 0);
	return b;
}

static int
info_response(struct auth_server *a, uint32_t n, const char *answer)
{
	struct qssh_buf *b = qssh_buf_new();
	uint32_t i;
	int r;

	assert_int_equal(qssh_buf_put_u32(b, n), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(qssh_buf_put_cstring(b, answer), 0);
	r = auth_server_handle_info_response(a, qssh_buf_view(b));
	qssh_buf_free(b);
	return r;
}

static void
test_kbdint(void **state)
{
	struct fake f;
	struct auth_server *a = mk_full(&f, NULL, 0);
	char *s = NULL;
	uint32_t n;

	(void)state;
	assert_int_equal(
	    info_response(a, 1, "secret"), QSSH_ERR_UNEXPECTED_MESSAGE);
	assert_int_equal(handle(a, req_head("erin", "none")), 0);
	assert_failure_methods(&f, "publickey,password,keyboard-interactive");
	/* The round is relayed as it came. */
	assert_int_equal(handle(a, kbd_req("erin")), 0);
	assert_int_equal(f.last_type, SSH_MSG_USERAUTH_INFO_REQUEST);
	assert_int_equal(qssh_buf_get_cstring(f.last, &s, NULL), 0);
	free(s);
	assert_int_equal(qssh_buf_get_cstring(f.last, &s, NULL), 0);
	assert_string_equal(s, "instr");
	free(s);
	assert_int_equal(qssh_buf_get_cstring(f.last, &s, NULL), 0);
	free(s);
	assert_int_equal(qssh_buf_get_u32(f.last, &n), 0);
	assert_int_equal(n, 1);
	/* Wrong answer: a failure, and a new start is needed. */
	assert_int_equal(info_response(a, 1, "guess"), 0);
	assert_failure_methods(&f, "publickey,password,keyboard-interactive");
	assert_int_equal(auth_server_failures(a), 1);
	assert_int_equal(
	    info_response(a, 1, "secret"), QSSH_ERR_UNEXPECTED_MESSAGE);
	/* A new request abandons a pending round. */
	assert_int_equal(handle(a, kbd_req("erin")), 0);
	assert_int_equal(password(a, "erin", "nope"), 0);
	assert_int_equal(f.kbd_cancels, 1);
	/* Right answer. */
	assert_int_equal(handle(a, kbd_req("erin")), 0);
	assert_int_equal(info_response(a, 1, "secret"), AUTH_SERVER_DONE);
	assert_int_equal(f.last_type, SSH_MSG_USERAUTH_SUCCESS);
	assert_string_equal(auth_server_method(a), "keyboard-interactive");
	done(&f, a);

	/* The number of answers must match the prompts. */
	a = mk_full(&f, NULL, 0);
	assert_int_equal(handle(a, kbd_req("erin")), 0);
	assert_int_equal(info_response(a, 2, "secret"), QSSH_ERR_PROTOCOL);
	done(&f, a);
}

static void
test_auth_methods(void **state)
{
	char *lists[] = { (char *)"publickey,password",
		(char *)"publickey,keyboard-interactive:pam" };
	struct fake f;
	struct auth_server *a = mk_full(&f, lists, 2);
	struct key *k = NULL;

	(void)state;
	assert_int_equal(key_generate(KEY_ED25519, 0, &k), 0);
	assert_int_equal(key_demote(k, &f.allowed), 0);
	assert_int_equal(handle(a, req_head("frank", "none")), 0);
	assert_failure_methods(&f, "publickey");
	/* Not the first step of any list: refused without asking. */
	assert_int_equal(password(a, "frank", "secret"), 0);
	assert_failure_methods(&f, "publickey");
	assert_int_equal(handle(a, kbd_req("frank")), 0);
	assert_failure_methods(&f, "publickey");
	assert_int_equal(f.kbd_calls, 0);
	/* The key: partial success. */
	assert_int_equal(
	    handle(a, pubkey_req("frank", "ssh-ed25519", k, true, k)), 0);
	assert_failure_partial(&f, "password,keyboard-interactive", true);
	assert_null(auth_server_method(a));
	/* Later failures are not partial. */
	assert_int_equal(password(a, "frank", "nope"), 0);
	assert_failure_partial(&f, "password,keyboard-interactive", false);
	assert_int_equal(password(a, "frank", "secret"), AUTH_SERVER_DONE);
	assert_string_equal(auth_server_method(a), "password");
	key_free(k);
	done(&f, a);
}

static void
test_auth_methods_helpers(void **state)
{
	char *lists[] = { (char *)"publickey,password",
		(char *)"publickey,keyboard-interactive:pam",
		(char *)"password" };
	char *any[] = { (char *)"any" };
	char next[64];

	(void)state;
	assert_true(auth_methods_complete(NULL, 0, "password"));
	assert_true(auth_methods_complete(any, 1, "publickey"));
	assert_false(auth_methods_complete(lists, 2, "publickey"));
	assert_false(auth_methods_complete(lists, 2, "password"));
	assert_true(auth_methods_complete(lists, 2, "publickey,password"));
	assert_true(
	    auth_methods_complete(lists, 2, "publickey,keyboard-interactive"));
	assert_false(auth_methods_complete(lists, 2, "password,publickey"));
	assert_true(auth_methods_complete(lists, 3, "password"));
	auth_methods_next(lists, 3, "", next, sizeof(next));
	assert_string_equal(next, "publickey,password");
	auth_methods_next(lists, 3, "publickey", next, sizeof(next));
	assert_string_equal(next, "password,keyboard-interactive");
	auth_methods_next(lists, 3, "publickey,password", next, sizeof(next));
	assert_string_equal(next, "");
	auth_methods_next(lists, 3, "keyboard-interactive", next, sizeof(next));
	assert_string_equal(next, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_lists_methods),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_max_tries),
		cmocka_unit_test(test_change_of_user),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_pubkey_query_and_sign),
		cmocka_unit_test(test_pubkey_alg_not_accepted),
		cmocka_unit_test(test_kbdint),
		cmocka_unit_test(test_auth_methods),
		cmocka_unit_test(test_auth_methods_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
