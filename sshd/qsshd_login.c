/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a login does besides running the shell: utmp, wtmp and lastlog
 * records for pty sessions, the "Last login" line and /etc/motd, the
 * ~/.ssh/rc and /etc/ssh/sshrc scripts, and ChrootDirectory with OpenSSH's
 * ownership checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <lastlog.h>
#include <paths.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utmpx.h>

#include "common/err.h"
#include "common/log.h"
#include "qsshd.h"

#define LASTLOG_PATH "/var/log/lastlog"
#define MOTD_PATH "/etc/motd"
#define SSHRC_PATH "/etc/ssh/sshrc"

/* "/dev/pts/3" -> "pts/3" */
/* Copy s into a fixed-width record field, NUL-padded, cut if too long. */
static void
copy_field(char *dst, size_t dstlen, const char *s)
{
	size_t n = strnlen(s, dstlen);

	memset(dst, 0, dstlen);
	memcpy(dst, s, n);
}

static const char *
tty_line(const char *tty)
{
	return strncmp(tty, "/dev/", 5) == 0 ? tty + 5 : tty;
}

/* utmp's id: the end of the line ("pts/3" -> "s/3" fits 4 bytes). */
static void
fill_utmpx(struct utmpx *ut, short type, const char *user, pid_t pid,
    const char *tty, const char *host)
{
	const char *line = tty_line(tty);
	size_t ll = strlen(line), idl = sizeof(ut->ut_id);
	struct timeval tv;

	memset(ut, 0, sizeof(*ut));
	ut->ut_type = type;
	ut->ut_pid = pid;
	copy_field(ut->ut_line, sizeof(ut->ut_line), line);
	memcpy(
	    ut->ut_id, ll > idl ? line + ll - idl : line, ll > idl ? idl : ll);
	if (user != NULL)
		copy_field(ut->ut_user, sizeof(ut->ut_user), user);
	if (host != NULL)
		copy_field(ut->ut_host, sizeof(ut->ut_host), host);
	(void)gettimeofday(&tv, NULL);
	ut->ut_tv.tv_sec = (int32_t)tv.tv_sec;
	ut->ut_tv.tv_usec = (int32_t)tv.tv_usec;
}

void
qsshd_login_record(
    const char *user, uid_t uid, pid_t pid, const char *tty, const char *host)
{
	struct utmpx ut;
	struct lastlog ll;
	int fd;

	fill_utmpx(&ut, USER_PROCESS, user, pid, tty, host);
	setutxent();
	(void)pututxline(&ut);
	endutxent();
	updwtmpx(_PATH_WTMP, &ut);
	if ((fd = open(LASTLOG_PATH, O_RDWR | O_CLOEXEC)) == -1)
		return;
	memset(&ll, 0, sizeof(ll));
	ll.ll_time = ut.ut_tv.tv_sec;
	/* Fixed-width fields, NUL-padded but not necessarily terminated. */
	copy_field(ll.ll_line, sizeof(ll.ll_line), tty_line(tty));
	copy_field(ll.ll_host, sizeof(ll.ll_host), host);
	if (pwrite(fd, &ll, sizeof(ll), (off_t)uid * (off_t)sizeof(ll)) !=
	    (ssize_t)sizeof(ll))
		qlog_debug("lastlog: %s", strerror(errno));
	close(fd);
}

void
qsshd_login_logout(pid_t pid, const char *tty)
{
	struct utmpx ut;

	fill_utmpx(&ut, DEAD_PROCESS, NULL, pid, tty, NULL);
	setutxent();
	(void)pututxline(&ut);
	endutxent();
	updwtmpx(_PATH_WTMP, &ut);
}

void
qsshd_lastlog_message(uid_t uid, char *buf, size_t len)
{
	struct lastlog ll;
	char when[64];
	time_t t;
	int fd;
	ssize_t n;

	buf[0] = '\0';
	if ((fd = open(LASTLOG_PATH, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = pread(fd, &ll, sizeof(ll), (off_t)uid * (off_t)sizeof(ll));
	close(fd);
	if (n != (ssize_t)sizeof(ll) || ll.ll_time == 0)
		return;
	t = (time_t)ll.ll_time;
	if (ctime_r(&t, when) == NULL)
		return;
	when[strcspn(when, "\n")] = '\0';
	ll.ll_host[sizeof(ll.ll_host) - 1] = '\0';
	if (ll.ll_host[0] != '\0')
		snprintf(buf, len, "Last login: %s from %.*s\n", when,
		    (int)sizeof(ll.ll_host), ll.ll_host);
	else
		snprintf(buf, len, "Last login: %s\n", when);
}

void
qsshd_print_motd(void)
{
	char buf[4096];
	size_t n;
	FILE *f;

	if ((f = fopen(MOTD_PATH, "r")) == NULL)
		return;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		(void)!fwrite(buf, 1, n, stdout);
	fclose(f);
	fflush(stdout);
}

/* Run "shell -c '/bin/sh FILE'" and wait (the rc scripts). */
static void
run_script(const char *shell, const char *file)
{
	char cmd[4200];
	pid_t pid;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s", _PATH_BSHELL, file);
	if ((pid = fork()) == -1)
		return;
	if (pid == 0) {
		execl(shell, shell, "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "%s exited with status %d\n", file,
		    WIFEXITED(st) ? WEXITSTATUS(st) : 255);
}

void
qsshd_run_rc(const char *shell, bool user_rc)
{
	struct stat st;

	/* In the home directory (the working directory by now). */
	if (user_rc && stat(".ssh/rc", &st) == 0)
		run_script(shell, ".ssh/rc");
	else if (stat(SSHRC_PATH, &st) == 0)
		run_script(shell, SSHRC_PATH);
}

int
qsshd_chroot_check(const char *dir)
{
	char component[4096], *p;
	struct stat st;

	if (dir[0] != '/' || strlen(dir) >= sizeof(component)) {
		qlog_error("chroot path does not begin at root");
		return QSSH_ERR_INVALID_ARGUMENT;
	}
	/* Every component from / down: root's and writable by root only. */
	for (p = strchr(dir + 1, '/');; p = strchr(p + 1, '/')) {
		size_t n = p == NULL ? strlen(dir) : (size_t)(p - dir);

		if (n == 0)
			n = 1;
		memcpy(component, dir, n);
		component[n] = '\0';
		if (stat(component, &st) == -1) {
			qlog_error(
			    "stat(\"%s\"): %s", component, strerror(errno));
			return QSSH_ERR_ACCESS;
		}
		if (st.st_uid != 0 || (st.st_mode & 022) != 0) {
			qlog_error("bad ownership or modes for chroot "
				   "directory %s\"%s\"",
			    p == NULL ? "" : "component ", component);
			return QSSH_ERR_ACCESS;
		}
		if (!S_ISDIR(st.st_mode)) {
			qlog_error("chroot path %s\"%s\" is not a directory",
			    p == NULL ? "" : "for component ", component);
			return QSSH_ERR_ACCESS;
		}
		if (p == NULL)
			break;
	}
	return 0;
}

int
qsshd_chroot(const char *dir)
{
	if (chdir(dir) == -1 || chroot(dir) == -1 || chdir("/") == -1) {
		fprintf(stderr, "Unable to chroot to %s: %s\n", dir,
		    strerror(errno));
		return QSSH_ERR_SYSTEM;
	}
	return 0;
}
