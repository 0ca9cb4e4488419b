/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pre-auth sandbox, proven from outside: a forked child enters it and
 * reports through a pipe opened before; the parent checks /proc/<pid>,
 * the child's limits, and how forbidden system calls end it.  Needs root
 * (skipped otherwise).  The privsep user is $QSSH_TEST_PRIVSEP_USER, else
 * "sshd", else "nobody".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "control/key.h"
#include "control/monitor.h"
#include "control/privsep.h"

static char chroot_dir[64];
static struct stat chroot_st;
static const char *test_user;
static uid_t user_uid;
static gid_t user_gid;

struct report {
	int rc;
	uid_t uid, euid;
	gid_t gid, egid;
	dev_t root_dev;
	ino_t root_ino;
	int poll_ok;
	int random_ok;
};

enum action {
	ACT_EXIT = 'x',
	ACT_SOCKET = 's',
	ACT_EXECVE = 'e',
	ACT_PTRACE = 'p',
	ACT_FORK = 'f',
	ACT_OPEN = 'o',
	ACT_MMAP_RW = 'm',
	ACT_MMAP_EXEC = 'M',
	ACT_MPROTECT_EXEC = 'P',
	ACT_SETUID = 'u',
	ACT_KEYGEN = 'k',
};

static int
setup(void **state)
{
	const char *names[] = { getenv("QSSH_TEST_PRIVSEP_USER"), "sshd",
		"nobody" };
	struct passwd *pw = NULL;
	size_t i;

	(void)state;
	if (geteuid() != 0)
		return 0;
	for (i = 0; i < 3 && pw == NULL; i++) {
		if (names[i] != NULL && (pw = getpwnam(names[i])) != NULL)
			test_user = names[i];
	}
	if (pw == NULL)
		return -1;
	user_uid = pw->pw_uid;
	user_gid = pw->pw_gid;
	snprintf(chroot_dir, sizeof(chroot_dir), "/tmp/qssh-privsep-XXXXXX");
	if (mkdtemp(chroot_dir) == NULL || chmod(chroot_dir, 0755) != 0 ||
	    stat(chroot_dir, &chroot_st) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (chroot_dir[0] != '\0')
		rmdir(chroot_dir);
	return 0;
}

static void
need_root(void)
{
	if (geteuid() != 0 || test_user == NULL)
		skip();
}

/*
 * Sandboxed children end with a raw exit_group: a sanitizer's _exit hook
 * (the leak check stops the world with clone and ptrace) is not allowed.
 */
static void __attribute__((noreturn)) child_exit(int code)
{
	for (;;)
		(void)syscall(SYS_exit_group, code);
}

/* Runs in the sandboxed child after the parent said go. */
static int
do_action(int act)
{
	void *p;
	int fd;

	switch (act) {
	case ACT_SOCKET:
		(void)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		return 10;
	case ACT_EXECVE: {
		char *argv[] = { (char *)"/bin/true", NULL };

		(void)syscall(SYS_execve, "/bin/true", argv, NULL);
		return 11;
	}
	case ACT_PTRACE:
		(void)syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
		return 12;
	case ACT_FORK:
		(void)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		return 13;
	case ACT_OPEN:
		/* harmless failure, not death */
		fd = open("/etc/passwd", O_RDONLY);
		return fd == -1 && errno == EACCES ? 0 : 14;
	case ACT_MMAP_RW:
		p = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 15;
		memset(p, 1, 65536);
		return munmap(p, 65536) == 0 ? 0 : 15;
	case ACT_MMAP_EXEC:
		(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return 16;
	case ACT_MPROTECT_EXEC:
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 17;
		(void)mprotect(p, 4096, PROT_READ | PROT_EXEC);
		return 17;
	case ACT_SETUID:
		(void)syscall(SYS_setuid, 0);
		return 18;
	case ACT_KEYGEN: {
		/* OpenSSL inside the sandbox: keygen, sign, verify. */
		struct key *k = NULL;
		struct qssh_buf *sig = qssh_buf_new();
		uint8_t h[32] = { 1, 2, 3 };
		int ok = 19;

		if (sig != NULL && key_generate(KEY_ECDSA_P256, 256, &k) == 0 &&
		    key_sign(k, NULL, h, sizeof(h), sig) == 0 &&
		    key_verify(k, NULL, qssh_buf_ptr(sig), qssh_buf_len(sig), h,
			sizeof(h)) == 0)
			ok = 0;
		key_free(k);
		qssh_buf_free(sig);
		return ok;
	}
	default:
		return 0;
	}
}

static void
child_main(int rep_fd, int go_fd)
{
	struct privsep_sandbox_opts o = { test_user, chroot_dir, 0 };
	struct report rep;
	struct stat st;
	struct pollfd pfd;
	uint8_t rnd[16];
	char act;

	memset(&rep, 0, sizeof(rep));
	rep.rc = privsep_sandbox_apply(&o);
	if (rep.rc == 0) {
		rep.uid = getuid();
		rep.euid = geteuid();
		rep.gid = getgid();
		rep.egid = getegid();
		if (stat("/", &st) == 0) {
			rep.root_dev = st.st_dev;
			rep.root_ino = st.st_ino;
		}
		pfd.fd = go_fd;
		pfd.events = POLLIN;
		rep.poll_ok = poll(&pfd, 1, 0) >= 0;
		rep.random_ok = getrandom(rnd, sizeof(rnd), 0) == sizeof(rnd);
	}
	if (write(rep_fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		child_exit(98);
	if (rep.rc != 0)
		child_exit(97);
	if (read(go_fd, &act, 1) != 1)
		child_exit(96);
	child_exit(do_action(act));
}

static void
read_status(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, len - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
}

static bool
status_has(const char *status, const char *line)
{
	return strstr(status, line) != NULL;
}

/* Soft and hard limit of a resource are both v. */
static bool
limit_is(pid_t pid, const char *name, unsigned long v)
{
	char path[64], line[256];
	unsigned long soft, hard;
	bool ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, strlen(name)) != 0 ||
		    line[strlen(name)] != ' ')
			continue;
		ok =
		    sscanf(line + strlen(name), "%lu %lu", &soft, &hard) == 2 &&
		    soft == v && hard == v;
		break;
	}
	fclose(f);
	return ok;
}

/* The "Groups:" line lists no group (the kernel ends it with a blank). */
static bool
groups_empty(const char *status)
{
	const char *p = strstr(status, "\nGroups:");

	if (p == NULL)
		return false;
	for (p += strlen("\nGroups:"); *p != '\n' && *p != '\0'; p++) {
		if (*p != ' ' && *p != '\t')
			return false;
	}
	return true;
}

/* Fork a sandboxed child, run checks, let it do act; its wait status. */
static int
run_child(int act, bool full_checks)
{
	int rep_pipe[2], go_pipe[2], wst = 0;
	struct report rep;
	char status[4096], want[128], root[256];
	ssize_t n;
	pid_t pid;
	char a = (char)act;

	assert_int_equal(pipe(rep_pipe), 0);
	assert_int_equal(pipe(go_pipe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(rep_pipe[0]);
		close(go_pipe[1]);
		child_main(rep_pipe[1], go_pipe[0]);
	}
	close(rep_pipe[1]);
	close(go_pipe[0]);
	n = read(rep_pipe[0], &rep, sizeof(rep));
	assert_int_equal(n, sizeof(rep));
	assert_int_equal(rep.rc, 0);
	if (full_checks) {
		assert_int_equal(rep.uid, user_uid);
		assert_int_equal(rep.euid, user_uid);
		assert_int_equal(rep.gid, user_gid);
		assert_int_equal(rep.egid, user_gid);
		/* "/" of the child is the empty directory */
		assert_true(rep.root_dev == chroot_st.st_dev);
		assert_true(rep.root_ino == chroot_st.st_ino);
		assert_true(rep.poll_ok);
		assert_true(rep.random_ok);
		/* what the kernel says about it */
		read_status(pid, status, sizeof(status));
		assert_true(status_has(status, "NoNewPrivs:\t1\n"));
		assert_true(status_has(status, "Seccomp:\t2\n"));
		snprintf(want, sizeof(want), "Uid:\t%u\t%u\t%u\t%u\n",
		    (unsigned)user_uid, (unsigned)user_uid, (unsigned)user_uid,
		    (unsigned)user_uid);
		assert_true(status_has(status, want));
		snprintf(want, sizeof(want), "Gid:\t%u\t%u\t%u\t%u\n",
		    (unsigned)user_gid, (unsigned)user_gid, (unsigned)user_gid,
		    (unsigned)user_gid);
		assert_true(status_has(status, want));
		assert_true(groups_empty(status));
		assert_true(status_has(status, "CapEff:\t0000000000000000\n"));
		snprintf(want, sizeof(want), "/proc/%d/root", (int)pid);
		n = readlink(want, root, sizeof(root) - 1);
		assert_true(n > 0);
		root[n] = '\0';
		assert_string_equal(root, chroot_dir);
		/* read from /proc: prlimit(2) would need CAP_SYS_RESOURCE */
		assert_true(limit_is(pid, "Max file size", 0));
		assert_true(limit_is(pid, "Max processes", 0));
		assert_true(limit_is(pid, "Max core file size", 0));
		assert_true(
		    limit_is(pid, "Max open files", PRIVSEP_DEFAULT_NOFILE));
	}
	assert_int_equal(write(go_pipe[1], &a, 1), 1);
	close(go_pipe[1]);
	close(rep_pipe[0]);
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	return wst;
}

static void
assert_exit0(int wst)
{
	assert_true(WIFEXITED(wst));
	assert_int_equal(WEXITSTATUS(wst), 0);
}

static void
assert_sigsys(int wst)
{
	assert_true(WIFSIGNALED(wst));
	assert_int_equal(WTERMSIG(wst), SIGSYS);
}

static void
test_chroot_dir_checks(void **state)
{
	char path[96];
	int fd;

	(void)state;
	need_root();
	assert_int_equal(privsep_check_chroot_dir(chroot_dir), 0);
	assert_int_equal(privsep_check_chroot_dir("/nonexistent/qssh/dir"),
	    QSSH_ERR_NOT_FOUND);
	assert_int_equal(
	    privsep_check_chroot_dir("relative"), QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(chmod(chroot_dir, 0775), 0);
	assert_int_equal(privsep_check_chroot_dir(chroot_dir), QSSH_ERR_ACCESS);
	assert_int_equal(chmod(chroot_dir, 0757), 0);
	assert_int_equal(privsep_check_chroot_dir(chroot_dir), QSSH_ERR_ACCESS);
	assert_int_equal(chmod(chroot_dir, 0755), 0);
	assert_int_equal(chown(chroot_dir, user_uid, 0), 0);
	assert_int_equal(privsep_check_chroot_dir(chroot_dir), QSSH_ERR_ACCESS);
	assert_int_equal(chown(chroot_dir, 0, 0), 0);
	snprintf(path, sizeof(path), "%s.file", chroot_dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(privsep_check_chroot_dir(path), QSSH_ERR_ACCESS);
	unlink(path);
}

static void
test_apply_refusals(void **state)
{
	struct privsep_sandbox_opts o = { "qssh-no-such-user-zz", chroot_dir,
		0 };
	pid_t pid;
	int wst;

	(void)state;
	need_root();
	/* These fail before anything changes, so they run in-process. */
	assert_int_equal(privsep_sandbox_apply(&o), QSSH_ERR_NOT_FOUND);
	o.user = "root";
	assert_int_equal(privsep_sandbox_apply(&o), QSSH_ERR_ACCESS);
	o.user = test_user;
	o.chroot_dir = "/nonexistent/qssh/dir";
	assert_int_equal(privsep_sandbox_apply(&o), QSSH_ERR_NOT_FOUND);
	/* Not root: refused. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		o.chroot_dir = chroot_dir;
		if (setresuid(user_uid, user_uid, user_uid) != 0)
			_exit(2);
		_exit(privsep_sandbox_apply(&o) == QSSH_ERR_ACCESS ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_exit0(wst);
}

static void
test_sandbox_state(void **state)
{
	(void)state;
	need_root();
	assert_exit0(run_child(ACT_EXIT, true));
}

static void
test_forbidden_syscalls_kill(void **state)
{
	(void)state;
	need_root();
	assert_sigsys(run_child(ACT_SOCKET, false));
	assert_sigsys(run_child(ACT_EXECVE, false));
	assert_sigsys(run_child(ACT_PTRACE, false));
	assert_sigsys(run_child(ACT_FORK, false));
	assert_sigsys(run_child(ACT_SETUID, false));
	assert_sigsys(run_child(ACT_MMAP_EXEC, false));
	assert_sigsys(run_child(ACT_MPROTECT_EXEC, false));
}

static void
test_allowed_syscalls_work(void **state)
{
	(void)state;
	need_root();
	assert_exit0(run_child(ACT_OPEN, false));
	assert_exit0(run_child(ACT_MMAP_RW, false));
	assert_exit0(run_child(ACT_KEYGEN, false));
}

/* ---- the sandboxed child talking to a monitor ---- */

static int
stub_password(
    void *ctx, const struct monitor_pw *pw, bool valid, const char *password)
{
	(void)ctx;
	(void)pw;
	return valid && strcmp(password, "secret") == 0 ? 0 : QSSH_ERR_ACCESS;
}

static void
test_sandboxed_child_uses_monitor(void **state)
{
	struct monitor_callbacks cb = { stub_password, NULL, NULL, NULL };
	struct monitor_config cfg;
	struct key *hk = NULL;
	struct monitor *m;
	int fds[2], wst;
	pid_t pid;

	(void)state;
	need_root();
	assert_int_equal(key_generate(KEY_ED25519, 0, &hk), 0);
	assert_int_equal(monitor_socketpair(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct privsep_sandbox_opts o = { test_user, chroot_dir, 0 };
		struct qssh_buf *sig = qssh_buf_new();
		struct monitor_pw *pw = NULL;
		uint8_t h[32] = { 9 };
		bool ok = false;

		close(fds[0]);
		if (privsep_sandbox_apply(&o) != 0)
			child_exit(2);
		if (monitor_req_log(fds[1], QSSH_LOG_DEBUG3, "hello") != 0 ||
		    monitor_req_sign(
			fds[1], 0, "ssh-ed25519", h, sizeof(h), sig) != 0 ||
		    key_verify(hk, "ssh-ed25519", qssh_buf_ptr(sig),
			qssh_buf_len(sig), h, sizeof(h)) != 0)
			child_exit(3);
		if (monitor_req_getpw(fds[1], "root", &pw) != 0 ||
		    pw->uid != 0 ||
		    monitor_req_auth_password(fds[1], "secret", &ok) != 0 ||
		    !ok)
			child_exit(4);
		/* not granted by the callbacks: answered, not killed */
		if (monitor_req_session_start(fds[1]) != QSSH_ERR_ACCESS)
			child_exit(5);
		child_exit(0);
	}
	close(fds[1]);
	memset(&cfg, 0, sizeof(cfg));
	cfg.host_keys = &hk;
	cfg.num_host_keys = 1;
	cfg.cb = &cb;
	m = monitor_new(fds[0], &cfg);
	assert_non_null(m);
	assert_int_equal(monitor_serve(m), 0);
	assert_int_equal(monitor_get_state(m), MONITOR_STATE_DEAD);
	monitor_free(m);
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_exit0(wst);
	key_free(hk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chroot_dir_checks),
		cmocka_unit_test(test_apply_refusals),
		cmocka_unit_test(test_sandbox_state),
		cmocka_unit_test(test_forbidden_syscalls_kill),
		cmocka_unit_test(test_allowed_syscalls_work),
		cmocka_unit_test(test_sandboxed_child_uses_monitor),
	};

	qssh_log_init("test_privsep", QSSH_LOG_ERROR, QSSH_LOG_FAC_USER, true);
	return cmocka_run_group_tests(tests, setup, teardown);
}
