/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The monitor's side of user authentication: keyboard-interactive
 * conversations relayed through KBDINT_START/KBDINT_RESPOND (with other
 * requests served in between) and partial success under
 * AuthenticationMethods (the auth_complete callback), over a socketpair
 * with a forked monitor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "control/auth_server.h"
#include "control/monitor.h"

static int
cb_password(
    void *ctx, const struct monitor_pw *pw, bool valid, const char *password)
{
	(void)ctx;
	(void)pw;
	(void)valid;
	return strcmp(password, "pw") == 0 ? 0 : QSSH_ERR_ACCESS;
}

static int
cb_session_start(void *ctx, const struct monitor_pw *pw)
{
	(void)ctx;
	(void)pw;
	return 0;
}

/* Two prompts; "a" and "b" pass. */
static int
cb_kbdint(void *ctx, const struct monitor_pw *pw, bool valid,
    struct monitor_kbdint *q)
{
	const char *prompts[2] = { "One: ", "Two: " };
	const bool echo[2] = { true, false };
	char **ans = NULL;
	int r;

	(void)ctx;
	(void)pw;
	(void)valid;
	if ((r = monitor_kbdint_query(q, "n", "i", 2, prompts, echo, &ans)) !=
	    0)
		return r;
	r = strcmp(ans[0], "a") == 0 && strcmp(ans[1], "b") == 0
	    ? 0
	    : QSSH_ERR_ACCESS;
	monitor_kbdint_answers_free(ans, 2);
	return r;
}

/* Two methods, as "password,keyboard-interactive". */
static bool
cb_complete(void *ctx, const char *done)
{
	char *lists[] = { (char *)"password,keyboard-interactive" };

	(void)ctx;
	return auth_methods_complete(lists, 1, done);
}

static const struct monitor_callbacks mcb = {
	cb_password,
	NULL,
	cb_session_start,
	NULL,
	cb_kbdint,
};

static int
cb_policy(void *ctx, struct monitor_auth_policy *out)
{
	(void)ctx;
	out->pubkey = true;
	out->password = false;
	out->kbdint = true;
	out->max_tries = 4;
	out->auth_methods = strdup("publickey,password any");
	out->pubkey_algs = strdup("ssh-ed25519");
	return out->auth_methods == NULL || out->pubkey_algs == NULL
	    ? QSSH_ERR_ALLOC
	    : 0;
}

static const struct monitor_session_callbacks scb = {
	NULL,
	NULL,
	NULL,
	NULL,
	cb_complete,
	cb_policy,
};

static pid_t
start_monitor(int *child_fd)
{
	struct monitor_config cfg;
	struct monitor *m;
	int fds[2], r;
	pid_t pid;

	assert_int_equal(monitor_socketpair(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[1]);
		qssh_log_set_level(QSSH_LOG_QUIET);
		memset(&cfg, 0, sizeof(cfg));
		cfg.cb = &mcb;
		if ((m = monitor_new(fds[0], &cfg)) == NULL)
			_exit(100);
		monitor_set_session_callbacks(m, &scb, NULL);
		r = monitor_serve(m);
		monitor_free(m);
		_exit(-r);
	}
	close(fds[0]);
	*child_fd = fds[1];
	return pid;
}

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
getpw(int fd)
{
	struct monitor_pw *pw = NULL;

	assert_int_equal(monitor_req_getpw(fd, "root", &pw), 0);
	monitor_pw_free(pw);
}

/* Start a conversation and check the round of prompts. */
static void
start_round(int fd)
{
	struct qssh_buf *info = qssh_buf_new();
	struct qssh_view v, s;
	uint32_t status, n;
	bool echo;

	assert_int_equal(
	    monitor_req_kbdint(fd, true, false, 0, NULL, &status, info), 0);
	assert_int_equal(status, MONITOR_KBDINT_PROMPT);
	v = qssh_buf_view(info);
	assert_int_equal(qssh_view_get_string(&v, &s), 0);
	assert_true(qssh_view_eq_str(s, "n"));
	assert_int_equal(qssh_view_get_string(&v, &s), 0);
	assert_true(qssh_view_eq_str(s, "i"));
	assert_int_equal(qssh_view_get_string(&v, &s), 0);
	assert_int_equal(qssh_view_get_u32(&v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(qssh_view_get_string(&v, &s), 0);
	assert_true(qssh_view_eq_str(s, "One: "));
	assert_int_equal(qssh_view_get_bool(&v, &echo), 0);
	assert_true(echo);
	qssh_buf_free(info);
}

static void
test_partial_then_kbdint(void **state)
{
	char *answers[2] = { (char *)"a", (char *)"b" };
	struct qssh_buf *info = qssh_buf_new();
	uint32_t status;
	bool ok;
	pid_t pid;
	int fd;

	(void)state;
	pid = start_monitor(&fd);
	getpw(fd);
	/* The password alone is a partial success: still pre-auth. */
	assert_int_equal(monitor_req_auth_password(fd, "pw", &ok), 0);
	assert_true(ok);
	start_round(fd);
	/* Log lines may come while the client is typing. */
	assert_int_equal(
	    monitor_req_log(fd, QSSH_LOG_DEBUG1, "debug1: typing"), 0);
	assert_int_equal(
	    monitor_req_kbdint(fd, false, false, 2, answers, &status, info), 0);
	assert_int_equal(status, MONITOR_KBDINT_SUCCESS);
	assert_int_equal(monitor_req_session_start(fd), 0);
	assert_int_equal(end_monitor(pid, fd), 0);
	qssh_buf_free(info);
}

static void
test_getpw_policy(void **state)
{
	struct monitor_auth_policy p;
	struct monitor_pw *pw = NULL;
	pid_t pid;
	int fd;

	(void)state;
	pid = start_monitor(&fd);
	assert_int_equal(monitor_req_getpw_policy(fd, "root", &pw, &p), 0);
	assert_string_equal(pw->name, "root");
	assert_true(p.present);
	assert_true(p.pubkey);
	assert_false(p.password);
	assert_true(p.kbdint);
	assert_int_equal(p.max_tries, 4);
	assert_string_equal(p.auth_methods, "publickey,password any");
	assert_string_equal(p.pubkey_algs, "ssh-ed25519");
	monitor_auth_policy_cleanup(&p);
	monitor_pw_free(pw);
	/* GETPW is once only. */
	assert_int_not_equal(monitor_req_getpw(fd, "root", &pw), 0);
	end_monitor(pid, fd);
}

static void
test_partial_is_not_enough(void **state)
{
	bool ok;
	pid_t pid;
	int fd;

	(void)state;
	pid = start_monitor(&fd);
	getpw(fd);
	assert_int_equal(monitor_req_auth_password(fd, "pw", &ok), 0);
	assert_true(ok);
	assert_int_not_equal(monitor_req_session_start(fd), 0);
	assert_int_equal(end_monitor(pid, fd), QSSH_ERR_ACCESS);
}

static void
test_kbdint_wrong_and_cancel(void **state)
{
	char *wrong[2] = { (char *)"a", (char *)"x" };
	struct qssh_buf *info = qssh_buf_new();
	uint32_t status;
	pid_t pid;
	int fd;

	(void)state;
	pid = start_monitor(&fd);
	getpw(fd);
	start_round(fd);
	assert_int_equal(
	    monitor_req_kbdint(fd, false, false, 2, wrong, &status, info), 0);
	assert_int_equal(status, MONITOR_KBDINT_FAILURE);
	start_round(fd);
	assert_int_equal(
	    monitor_req_kbdint(fd, false, true, 0, NULL, &status, info), 0);
	assert_int_equal(status, MONITOR_KBDINT_FAILURE);
	/* An answer outside a conversation kills the connection. */
	assert_int_not_equal(
	    monitor_req_kbdint(fd, false, false, 2, wrong, &status, info), 0);
	assert_int_equal(end_monitor(pid, fd), QSSH_ERR_ACCESS);
	qssh_buf_free(info);
}

static void
test_kbdint_bad_count_and_request(void **state)
{
	char *one[1] = { (char *)"a" };
	struct qssh_buf *info = qssh_buf_new();
	uint32_t status;
	bool ok;
	pid_t pid;
	int fd;

	(void)state;
	pid = start_monitor(&fd);
	getpw(fd);
	start_round(fd);
	assert_int_not_equal(
	    monitor_req_kbdint(fd, false, false, 1, one, &status, info), 0);
	end_monitor(pid, fd);

	/* A password check in the middle of a conversation is refused. */
	pid = start_monitor(&fd);
	getpw(fd);
	start_round(fd);
	assert_int_not_equal(monitor_req_auth_password(fd, "pw", &ok), 0);
	end_monitor(pid, fd);
	qssh_buf_free(info);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getpw_policy),
		cmocka_unit_test(test_partial_then_kbdint),
		cmocka_unit_test(test_partial_is_not_enough),
		cmocka_unit_test(test_kbdint_wrong_and_cancel),
		cmocka_unit_test(test_kbdint_bad_count_and_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
