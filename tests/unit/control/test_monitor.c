/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The monitor: request table and state machine (in memory), and the wire
 * (a forked monitor serving the test process over a socketpair).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/key.h"
#include "control/monitor.h"

#define BAD_USER "qssh-no-such-user-zz"

static struct key *host_ed, *host_ec, *user_key, *other_key;
static int password_calls;
static bool last_valid;
static const uint8_t secret[MONITOR_FAKE_SECRET_LEN] = { 7, 7, 7 };

static int
stub_password(
    void *ctx, const struct monitor_pw *pw, bool valid, const char *password)
{
	(void)ctx;
	(void)pw;
	password_calls++;
	last_valid = valid;
	return strcmp(password, "secret") == 0 ? 0 : QSSH_ERR_ACCESS;
}

static int
stub_key_allowed(void *ctx, const struct monitor_pw *pw, const struct key *k)
{
	(void)ctx;
	(void)pw;
	return key_equal_public(k, user_key) ? 0 : QSSH_ERR_NOT_FOUND;
}

static int
stub_session(void *ctx, const struct monitor_pw *pw)
{
	(void)ctx;
	return pw != NULL ? 0 : QSSH_ERR_INTERNAL;
}

static int
stub_pty(void *ctx, const struct monitor_pw *pw, int *fd, char *tty, size_t len)
{
	(void)ctx;
	(void)pw;
	*fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	snprintf(tty, len, "/dev/pts/42");
	return *fd >= 0 ? 0 : QSSH_ERR_SYSTEM;
}

static const struct monitor_callbacks stubs = { stub_password, stub_key_allowed,
	stub_session, stub_pty };

static int
setup(void **state)
{
	(void)state;
	if (key_generate(KEY_ED25519, 0, &host_ed) != 0 ||
	    key_generate(KEY_ECDSA_P256, 256, &host_ec) != 0 ||
	    key_generate(KEY_ED25519, 0, &user_key) != 0 ||
	    key_generate(KEY_ED25519, 0, &other_key) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	key_free(host_ed);
	key_free(host_ec);
	key_free(user_key);
	key_free(other_key);
	return 0;
}

static struct monitor *
new_monitor(int fd)
{
	static struct key *keys[2];
	struct monitor_config cfg;

	keys[0] = host_ed;
	keys[1] = host_ec;
	memset(&cfg, 0, sizeof(cfg));
	cfg.host_keys = keys;
	cfg.num_host_keys = 2;
	cfg.cb = &stubs;
	cfg.fake_secret = secret;
	return monitor_new(fd, &cfg);
}

/* In memory: send req (type + payload) and return the result. */
static int
call(struct monitor *m, const struct qssh_buf *req, struct qssh_buf *ans)
{
	int fd = -1, r;

	qssh_buf_reset(ans);
	r = monitor_handle_msg(
	    m, qssh_buf_ptr(req), qssh_buf_len(req), ans, &fd);
	if (fd >= 0)
		close(fd);
	return r;
}

static struct qssh_buf *
req(uint8_t type)
{
	struct qssh_buf *b = qssh_buf_new();

	assert_non_null(b);
	assert_int_equal(qssh_buf_put_u8(b, type), 0);
	return b;
}

static int
call_getpw(struct monitor *m, const char *user)
{
	struct qssh_buf *q = req(MONITOR_REQ_GETPW), *a = qssh_buf_new();
	int r;

	assert_int_equal(qssh_buf_put_cstring(q, user), 0);
	r = call(m, q, a);
	qssh_buf_free(q);
	qssh_buf_free(a);
	return r;
}

static int
call_password(struct monitor *m, const char *pass, bool *ok)
{
	struct qssh_buf *q = req(MONITOR_REQ_AUTH_PASSWORD);
	struct qssh_buf *a = qssh_buf_new();
	uint8_t t;
	int r;

	assert_int_equal(qssh_buf_put_cstring(q, pass), 0);
	r = call(m, q, a);
	if (r == 0) {
		assert_int_equal(qssh_buf_get_u8(a, &t), 0);
		assert_int_equal(t, MONITOR_ANS_AUTH_PASSWORD);
		assert_int_equal(qssh_buf_get_bool(a, ok), 0);
	}
	qssh_buf_free(q);
	qssh_buf_free(a);
	return r;
}

static int
call_sign(struct monitor *m, const uint8_t *h, size_t hlen)
{
	struct qssh_buf *q = req(MONITOR_REQ_SIGN), *a = qssh_buf_new();
	int r;

	assert_int_equal(qssh_buf_put_u32(q, 0), 0);
	assert_int_equal(qssh_buf_put_cstring(q, ""), 0);
	assert_int_equal(qssh_buf_put_string(q, h, hlen), 0);
	r = call(m, q, a);
	qssh_buf_free(q);
	qssh_buf_free(a);
	return r;
}

static int
call_empty(struct monitor *m, uint8_t type)
{
	struct qssh_buf *q = req(type), *a = qssh_buf_new();
	int r = call(m, q, a);

	qssh_buf_free(q);
	qssh_buf_free(a);
	return r;
}

/* ---- state machine ---- */

static void
test_wrong_state_kills(void **state)
{
	struct monitor *m;
	bool ok;

	(void)state;
	/* post-auth requests before authentication */
	m = new_monitor(-1);
	assert_int_equal(
	    call_empty(m, MONITOR_REQ_SESSION_START), QSSH_ERR_ACCESS);
	assert_int_equal(monitor_get_state(m), MONITOR_STATE_DEAD);
	/* dead stays dead, even for requests that are otherwise fine */
	assert_int_equal(call_getpw(m, "root"), QSSH_ERR_CONN_CLOSED);
	monitor_free(m);

	m = new_monitor(-1);
	assert_int_equal(call_empty(m, MONITOR_REQ_PTY), QSSH_ERR_ACCESS);
	monitor_free(m);

	/* authentication before the user is known */
	m = new_monitor(-1);
	assert_int_equal(call_password(m, "secret", &ok), QSSH_ERR_ACCESS);
	assert_int_equal(monitor_get_state(m), MONITOR_STATE_DEAD);
	monitor_free(m);

	/* getpw is one-shot */
	m = new_monitor(-1);
	assert_int_equal(call_getpw(m, "root"), 0);
	assert_int_equal(call_getpw(m, "root"), QSSH_ERR_ACCESS);
	monitor_free(m);

	/* pre-auth requests after authentication */
	m = new_monitor(-1);
	assert_int_equal(call_getpw(m, "root"), 0);
	assert_int_equal(call_password(m, "secret", &ok), 0);
	assert_true(ok);
	assert_int_equal(monitor_get_state(m), MONITOR_STATE_AUTHENTICATED);
	assert_int_equal(call_password(m, "secret", &ok), QSSH_ERR_ACCESS);
	monitor_free(m);

	/* pty only in a session; session start only once */
	m = new_monitor(-1);
	assert_int_equal(call_getpw(m, "root"), 0);
	assert_int_equal(call_password(m, "secret", &ok), 0);
	assert_int_equal(call_empty(m, MONITOR_REQ_PTY), QSSH_ERR_ACCESS);
	monitor_free(m);
	m = new_monitor(-1);
	assert_int_equal(call_getpw(m, "root"), 0);
	assert_int_equal(call_password(m, "secret", &ok), 0);
	assert_int_equal(call_empty(m, MONITOR_REQ_SESSION_START), 0);
	assert_int_equal(monitor_get_state(m), MONITOR_STATE_SESSION);
	assert_int_equal(call_empty(m, MONITOR_REQ_PTY), 0);
	assert_int_equal(
	    call_empty(m, MONITOR_REQ_SESSION_START), QSSH_ERR_ACCESS);
	monitor_free(m);
}

static void
test_unknown_and_malformed_kill(void **state)
{
	uint8_t h[32] = { 0 };
	struct qssh_buf *q, *a = qssh_buf_new();
	struct monitor *m;
	uint8_t *big;
	int fd;

	(void)state;
	m = new_monitor(-1);
	q = req(0x55);
	assert_int_equal(call(m, q, a), QSSH_ERR_UNEXPECTED_MESSAGE);
	assert_int_equal(monitor_get_state(m), MONITOR_STATE_DEAD);
	qssh_buf_free(q);
	monitor_free(m);

	m = new_monitor(-1);
	q = req(MONITOR_ANS_SIGN); /* an answer type as a request */
	assert_int_equal(call(m, q, a), QSSH_ERR_UNEXPECTED_MESSAGE);
	qssh_buf_free(q);
	monitor_free(m);

	/* trailing bytes */
	m = new_monitor(-1);
	q = req(MONITOR_REQ_GETPW);
	assert_int_equal(qssh_buf_put_cstring(q, "root"), 0);
	assert_int_equal(qssh_buf_put_u8(q, 0), 0);
	assert_int_equal(call(m, q, a), QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(qssh_buf_len(a), 0);
	qssh_buf_free(q);
	monitor_free(m);

	/* truncated */
	m = new_monitor(-1);
	q = req(MONITOR_REQ_SIGN);
	assert_int_equal(qssh_buf_put_u8(q, 0), 0);
	assert_int_equal(call(m, q, a), QSSH_ERR_MESSAGE_INCOMPLETE);
	qssh_buf_free(q);
	monitor_free(m);

	/* empty and oversized */
	m = new_monitor(-1);
	assert_int_equal(
	    monitor_handle_msg(m, h, 0, a, &fd), QSSH_ERR_INVALID_FORMAT);
	monitor_free(m);
	big = calloc(1, MONITOR_MSG_MAX + 1);
	assert_non_null(big);
	big[0] = MONITOR_REQ_LOG;
	m = new_monitor(-1);
	assert_int_equal(
	    monitor_handle_msg(m, big, MONITOR_MSG_MAX + 1, a, &fd),
	    QSSH_ERR_PACKET_TOO_LARGE);
	monitor_free(m);
	free(big);

	/* signing anything but an exchange hash; an unknown key index */
	m = new_monitor(-1);
	assert_int_equal(call_sign(m, h, 31), QSSH_ERR_ACCESS);
	monitor_free(m);
	m = new_monitor(-1);
	q = req(MONITOR_REQ_SIGN);
	assert_int_equal(qssh_buf_put_u32(q, 2), 0);
	assert_int_equal(qssh_buf_put_cstring(q, ""), 0);
	assert_int_equal(qssh_buf_put_string(q, h, 32), 0);
	assert_int_equal(call(m, q, a), QSSH_ERR_ACCESS);
	qssh_buf_free(q);
	monitor_free(m);
	/* an algorithm that does not fit the key */
	m = new_monitor(-1);
	q = req(MONITOR_REQ_SIGN);
	assert_int_equal(qssh_buf_put_u32(q, 0), 0);
	assert_int_equal(qssh_buf_put_cstring(q, "rsa-sha2-256"), 0);
	assert_int_equal(qssh_buf_put_string(q, h, 32), 0);
	assert_int_equal(call(m, q, a), QSSH_ERR_ACCESS);
	qssh_buf_free(q);
	monitor_free(m);
	qssh_buf_free(a);
}

static void
test_password(void **state)
{
	struct monitor *m;
	bool ok = true, valid;

	(void)state;
	m = new_monitor(-1);
	assert_int_equal(call_getpw(m, "root"), 0);
	assert_int_equal(call_password(m, "wrong", &ok), 0);
	assert_false(ok);
	assert_int_equal(monitor_get_state(m), MONITOR_STATE_PREAUTH);
	assert_int_equal(call_password(m, "secret", &ok), 0);
	assert_true(ok);
	assert_int_equal(monitor_get_state(m), MONITOR_STATE_AUTHENTICATED);
	monitor_free(m);

	/* an invalid user never authenticates; the check still runs */
	m = new_monitor(-1);
	assert_int_equal(call_getpw(m, BAD_USER), 0);
	assert_non_null(monitor_get_user(m, &valid));
	assert_false(valid);
	password_calls = 0;
	last_valid = true;
	assert_int_equal(call_password(m, "secret", &ok), 0);
	assert_false(ok);
	assert_int_equal(password_calls, 1);
	assert_false(last_valid);
	assert_int_equal(monitor_get_state(m), MONITOR_STATE_PREAUTH);
	monitor_free(m);
}

/* Signed data of a publickey request (RFC 4252 section 7). */
static struct qssh_buf *
userauth_data(
    const uint8_t *sid, size_t sidlen, const char *user, const struct key *k)
{
	struct qssh_buf *d = qssh_buf_new(), *blob = qssh_buf_new();

	assert_non_null(d);
	assert_int_equal(key_to_blob(k, blob), 0);
	assert_int_equal(qssh_buf_put_string(d, sid, sidlen), 0);
	assert_int_equal(qssh_buf_put_u8(d, 50), 0);
	assert_int_equal(qssh_buf_put_cstring(d, user), 0);
	assert_int_equal(qssh_buf_put_cstring(d, "ssh-connection"), 0);
	assert_int_equal(qssh_buf_put_cstring(d, "publickey"), 0);
	assert_int_equal(qssh_buf_put_bool(d, true), 0);
	assert_int_equal(qssh_buf_put_cstring(d, "ssh-ed25519"), 0);
	assert_int_equal(qssh_buf_put_stringb(d, blob), 0);
	qssh_buf_free(blob);
	return d;
}

static int
call_key(struct monitor *m, uint8_t type, const struct key *k,
    const struct qssh_buf *sig, const struct qssh_buf *data, bool *ok)
{
	struct qssh_buf *q = req(type), *a = qssh_buf_new(),
			*blob = qssh_buf_new();
	uint8_t t;
	int r;

	assert_int_equal(key_to_blob(k, blob), 0);
	assert_int_equal(qssh_buf_put_stringb(q, blob), 0);
	if (type == MONITOR_REQ_KEY_VERIFY) {
		assert_int_equal(qssh_buf_put_stringb(q, sig), 0);
		assert_int_equal(qssh_buf_put_stringb(q, data), 0);
	}
	r = call(m, q, a);
	if (r == 0) {
		assert_int_equal(qssh_buf_get_u8(a, &t), 0);
		assert_int_equal(t, type | MONITOR_ANS_FLAG);
		assert_int_equal(qssh_buf_get_bool(a, ok), 0);
	}
	qssh_buf_free(q);
	qssh_buf_free(a);
	qssh_buf_free(blob);
	return r;
}

static void
test_publickey(void **state)
{
	uint8_t sid[32] = { 1, 2, 3, 4 };
	struct qssh_buf *data, *sig = qssh_buf_new(), *badsig = qssh_buf_new();
	struct monitor *m;
	bool ok;

	(void)state;
	data = userauth_data(sid, sizeof(sid), "root", user_key);
	assert_int_equal(key_sign(user_key, NULL, qssh_buf_ptr(data),
			     qssh_buf_len(data), sig),
	    0);
	assert_int_equal(key_sign(other_key, NULL, qssh_buf_ptr(data),
			     qssh_buf_len(data), badsig),
	    0);

	m = new_monitor(-1);
	assert_int_equal(call_sign(m, sid, sizeof(sid)), 0); /* session id */
	assert_int_equal(call_getpw(m, "root"), 0);
	assert_int_equal(
	    call_key(m, MONITOR_REQ_KEY_ALLOWED, other_key, NULL, NULL, &ok),
	    0);
	assert_false(ok);
	assert_int_equal(
	    call_key(m, MONITOR_REQ_KEY_ALLOWED, user_key, NULL, NULL, &ok), 0);
	assert_true(ok);
	/* a signature by another key: no */
	assert_int_equal(
	    call_key(m, MONITOR_REQ_KEY_VERIFY, user_key, badsig, data, &ok),
	    0);
	assert_false(ok);
	assert_int_equal(monitor_get_state(m), MONITOR_STATE_PREAUTH);
	assert_int_equal(
	    call_key(m, MONITOR_REQ_KEY_VERIFY, user_key, sig, data, &ok), 0);
	assert_true(ok);
	assert_int_equal(monitor_get_state(m), MONITOR_STATE_AUTHENTICATED);
	monitor_free(m);

	/* verifying a key that was never allowed kills */
	m = new_monitor(-1);
	assert_int_equal(call_sign(m, sid, sizeof(sid)), 0);
	assert_int_equal(call_getpw(m, "root"), 0);
	assert_int_equal(
	    call_key(m, MONITOR_REQ_KEY_VERIFY, user_key, sig, data, &ok),
	    QSSH_ERR_ACCESS);
	monitor_free(m);

	/* signed data for another session kills */
	m = new_monitor(-1);
	sid[0] ^= 1;
	assert_int_equal(call_sign(m, sid, sizeof(sid)), 0);
	assert_int_equal(call_getpw(m, "root"), 0);
	assert_int_equal(
	    call_key(m, MONITOR_REQ_KEY_ALLOWED, user_key, NULL, NULL, &ok), 0);
	assert_true(ok);
	assert_int_equal(
	    call_key(m, MONITOR_REQ_KEY_VERIFY, user_key, sig, data, &ok),
	    QSSH_ERR_ACCESS);
	monitor_free(m);

	/* an invalid user's keys are never allowed */
	m = new_monitor(-1);
	assert_int_equal(call_getpw(m, BAD_USER), 0);
	assert_int_equal(
	    call_key(m, MONITOR_REQ_KEY_ALLOWED, user_key, NULL, NULL, &ok), 0);
	assert_false(ok);
	monitor_free(m);

	qssh_buf_free(data);
	qssh_buf_free(sig);
	qssh_buf_free(badsig);
}

/* ---- over the wire ---- */

static pid_t
start_monitor(int *child_fd)
{
	struct monitor *m;
	int fds[2], r;
	pid_t pid;

	assert_int_equal(monitor_socketpair(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[1]);
		if ((m = new_monitor(fds[0])) == NULL)
			_exit(100);
		r = monitor_serve(m);
		monitor_free(m);
		_exit(-r);
	}
	close(fds[0]);
	*child_fd = fds[1];
	return pid;
}

/* Close our end and return the monitor's result (0 or -QSSH_ERR_*). */
static int
end_monitor(pid_t pid, int fd)
{
	int wst;

	close(fd);
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_true(WIFEXITED(wst));
	return -WEXITSTATUS(wst);
}

static void
test_wire_sign_roundtrip(void **state)
{
	uint8_t h[48];
	struct qssh_buf *sig = qssh_buf_new();
	pid_t pid;
	int fd;

	(void)state;
	for (size_t i = 0; i < sizeof(h); i++)
		h[i] = (uint8_t)i;
	pid = start_monitor(&fd);
	assert_int_equal(monitor_req_sign(fd, 0, "ssh-ed25519", h, 32, sig), 0);
	assert_int_equal(key_verify(host_ed, "ssh-ed25519", qssh_buf_ptr(sig),
			     qssh_buf_len(sig), h, 32),
	    0);
	qssh_buf_reset(sig);
	assert_int_equal(monitor_req_sign(fd, 1, NULL, h, 48, sig), 0);
	assert_int_equal(key_verify(host_ec, "ecdsa-sha2-nistp256",
			     qssh_buf_ptr(sig), qssh_buf_len(sig), h, 48),
	    0);
	assert_int_not_equal(key_verify(host_ed, NULL, qssh_buf_ptr(sig),
				 qssh_buf_len(sig), h, 48),
	    0);
	assert_int_equal(end_monitor(pid, fd), 0);
	qssh_buf_free(sig);
}

static void
test_wire_kills(void **state)
{
	uint8_t hdr[5], t = 0x55;
	struct qssh_buf *sig = qssh_buf_new();
	pid_t pid;
	int fd;

	(void)state;
	/* unknown type */
	pid = start_monitor(&fd);
	assert_int_equal(monitor_msg_send(fd, &t, 1, -1), 0);
	assert_int_equal(monitor_msg_recv(fd, sig, NULL), QSSH_ERR_CONN_CLOSED);
	assert_int_equal(end_monitor(pid, fd), QSSH_ERR_UNEXPECTED_MESSAGE);

	/* wrong state: the child sees the connection closed */
	pid = start_monitor(&fd);
	assert_int_equal(monitor_req_session_start(fd), QSSH_ERR_CONN_CLOSED);
	assert_int_equal(end_monitor(pid, fd), QSSH_ERR_ACCESS);

	/* oversized frame, refused from the length field alone */
	pid = start_monitor(&fd);
	qssh_put_u32be(hdr, MONITOR_MSG_MAX + 1);
	hdr[4] = MONITOR_REQ_LOG;
	assert_int_equal(write(fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	assert_int_equal(monitor_msg_recv(fd, sig, NULL), QSSH_ERR_CONN_CLOSED);
	assert_int_equal(end_monitor(pid, fd), QSSH_ERR_PACKET_TOO_LARGE);

	/* a descriptor sent to the monitor is refused */
	pid = start_monitor(&fd);
	t = MONITOR_REQ_PTY;
	assert_int_equal(monitor_msg_send(fd, &t, 1, 0), 0);
	assert_int_equal(monitor_msg_recv(fd, sig, NULL), QSSH_ERR_CONN_CLOSED);
	assert_int_equal(end_monitor(pid, fd), QSSH_ERR_INVALID_FORMAT);
	qssh_buf_free(sig);
}

static void
test_wire_getpw(void **state)
{
	struct monitor_pw *a = NULL, *b = NULL;
	pid_t pid;
	int fd;

	(void)state;
	pid = start_monitor(&fd);
	assert_int_equal(monitor_req_getpw(fd, "root", &a), 0);
	assert_string_equal(a->name, "root");
	assert_int_equal(a->uid, 0);
	assert_int_equal(a->gid, 0);
	assert_string_equal(a->home, "/root");
	assert_int_equal(end_monitor(pid, fd), 0);
	monitor_pw_free(a);

	/* invalid: a plausible entry, the same in every connection */
	pid = start_monitor(&fd);
	assert_int_equal(monitor_req_getpw(fd, BAD_USER, &a), 0);
	assert_int_equal(end_monitor(pid, fd), 0);
	pid = start_monitor(&fd);
	assert_int_equal(monitor_req_getpw(fd, BAD_USER, &b), 0);
	assert_int_equal(end_monitor(pid, fd), 0);
	assert_string_equal(a->name, BAD_USER);
	assert_true(a->uid >= 1000 && a->uid < 60000);
	assert_int_equal(a->gid, a->uid);
	assert_string_equal(a->home, "/home/" BAD_USER);
	assert_string_equal(a->shell, "/bin/bash");
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->uid, b->uid);
	assert_int_equal(a->gid, b->gid);
	assert_string_equal(a->home, b->home);
	assert_string_equal(a->shell, b->shell);
	monitor_pw_free(a);
	monitor_pw_free(b);
}

static void
test_wire_session_pty(void **state)
{
	struct monitor_pw *pw = NULL;
	struct stat st;
	char *tty = NULL;
	bool ok = false;
	pid_t pid;
	int fd, pty = -1;

	(void)state;
	pid = start_monitor(&fd);
	assert_int_equal(monitor_req_log(fd, QSSH_LOG_DEBUG3, "a\nb"), 0);
	assert_int_equal(monitor_req_getpw(fd, "root", &pw), 0);
	assert_int_equal(monitor_req_auth_password(fd, "wrong", &ok), 0);
	assert_false(ok);
	assert_int_equal(monitor_req_auth_password(fd, "secret", &ok), 0);
	assert_true(ok);
	assert_int_equal(monitor_req_session_start(fd), 0);
	assert_int_equal(monitor_req_pty(fd, &pty, &tty), 0);
	assert_true(pty >= 0);
	assert_int_equal(fstat(pty, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_string_equal(tty, "/dev/pts/42");
	close(pty);
	free(tty);
	assert_int_equal(end_monitor(pid, fd), 0);
	monitor_pw_free(pw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrong_state_kills),
		cmocka_unit_test(test_unknown_and_malformed_kill),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_publickey),
		cmocka_unit_test(test_wire_sign_roundtrip),
		cmocka_unit_test(test_wire_kills),
		cmocka_unit_test(test_wire_getpw),
		cmocka_unit_test(test_wire_session_pty),
	};

	qssh_log_init("test_monitor", QSSH_LOG_QUIET, QSSH_LOG_FAC_USER, true);
	return cmocka_run_group_tests(tests, setup, teardown);
}
