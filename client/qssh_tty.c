/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Terminal handling of qssh: prompts on /dev/tty or through SSH_ASKPASS,
 * raw mode for interactive sessions, and restoring the terminal and the
 * descriptor flags on every way out.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "qssh.h"

#define PASS_MAX 1024

static struct termios saved_tio;
static volatile sig_atomic_t tty_raw;

static int saved_flags[3] = { -1, -1, -1 };

void
qssh_set_nonblock_saved(int fd)
{
	int fl;

	if (fd < 0 || fd > 2 || isatty(fd))
		return;
	if ((fl = fcntl(fd, F_GETFL)) < 0)
		return;
	if (saved_flags[fd] == -1)
		saved_flags[fd] = fl;
	if ((fl & O_NONBLOCK) == 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void
qssh_restore_all(void)
{
	int fd;

	if (tty_raw) {
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
		tty_raw = 0;
	}
	for (fd = 0; fd < 3; fd++) {
		if (saved_flags[fd] != -1) {
			(void)fcntl(fd, F_SETFL, saved_flags[fd]);
			saved_flags[fd] = -1;
		}
	}
}

bool
qssh_tty_is_raw(void)
{
	return tty_raw != 0;
}

int
qssh_tty_enter_raw(void)
{
	struct termios tio;

	if (tty_raw)
		return 0;
	if (tcgetattr(STDIN_FILENO, &tio) != 0)
		return -1;
	saved_tio = tio;
	tio.c_iflag |= IGNPAR;
	tio.c_iflag &= ~(tcflag_t)(ISTRIP | INLCR | IGNCR | ICRNL | IXON |
	    IXANY | IXOFF | IUCLC);
	tio.c_lflag &=
	    ~(tcflag_t)(ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHONL | IEXTEN);
	tio.c_oflag &= ~(tcflag_t)OPOST;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &tio) != 0)
		return -1;
	tty_raw = 1;
	return 0;
}

void
qssh_tty_leave_raw(void)
{
	if (!tty_raw)
		return;
	(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
	tty_raw = 0;
}

bool
qssh_can_prompt(void)
{
	int fd;

	if (getenv("SSH_ASKPASS") != NULL &&
	    getenv("SSH_ASKPASS_REQUIRE") != NULL &&
	    strcmp(getenv("SSH_ASKPASS_REQUIRE"), "force") == 0)
		return true;
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return getenv("DISPLAY") != NULL && !isatty(STDIN_FILENO);
	close(fd);
	return true;
}

/* Run the askpass program with the prompt; its first output line. */
static char *
askpass(const char *prog, const char *prompt)
{
	char buf[PASS_MAX];
	size_t len = 0;
	ssize_t n;
	int p[2], status;
	pid_t pid;
	char *s = NULL;

	if (pipe(p) < 0)
		return NULL;
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		close(p[0]);
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(1);
		execlp(prog, prog, prompt, (char *)NULL);
		fprintf(stderr, "%s: exec(%s): %s\n", qssh_progname, prog,
		    strerror(errno));
		_exit(1);
	}
	close(p[1]);
	for (;;) {
		n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len >= sizeof(buf) - 1)
			break;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[len] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		qssh_wipe(buf, sizeof(buf));
		return NULL;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	s = strdup(buf);
	qssh_wipe(buf, sizeof(buf));
	return s;
}

static char *
tty_read(const char *prompt, bool echo)
{
	struct termios tio, save;
	char buf[PASS_MAX];
	size_t len = 0;
	ssize_t n;
	bool restore = false, was_raw = tty_raw != 0;
	char c, *s;
	int fd;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		qlog_error("read_passphrase: can't open /dev/tty: %s",
		    strerror(errno));
		return NULL;
	}
	if (was_raw)
		qssh_tty_leave_raw();
	if (!echo && tcgetattr(fd, &tio) == 0) {
		save = tio;
		tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tio.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &tio) == 0)
			restore = true;
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* Nothing sensible to do: read anyway. */
	}
	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n' || c == '\r')
			break;
		if (len < sizeof(buf) - 1)
			buf[len++] = c;
	}
	buf[len] = '\0';
	if (restore) {
		(void)tcsetattr(fd, TCSAFLUSH, &save);
		if (write(fd, "\n", 1) < 0) {
			/* ignored */
		}
	}
	close(fd);
	if (was_raw)
		(void)qssh_tty_enter_raw();
	s = n < 0 ? NULL : strdup(buf);
	qssh_wipe(buf, sizeof(buf));
	return s;
}

char *
qssh_read_passphrase(const char *prompt, bool echo)
{
	const char *req = getenv("SSH_ASKPASS_REQUIRE");
	const char *prog = getenv("SSH_ASKPASS");
	bool use_askpass;

	if (req != NULL && strcmp(req, "never") == 0)
		use_askpass = false;
	else if (req != NULL && strcmp(req, "force") == 0)
		use_askpass = true;
	else if (req != NULL && strcmp(req, "prefer") == 0)
		use_askpass = getenv("DISPLAY") != NULL ||
		    getenv("WAYLAND_DISPLAY") != NULL;
	else
		use_askpass = !isatty(STDIN_FILENO) &&
		    (getenv("DISPLAY") != NULL ||
			getenv("WAYLAND_DISPLAY") != NULL);
	if (use_askpass) {
		if (prog == NULL || *prog == '\0')
			prog = "/usr/bin/ssh-askpass";
		return askpass(prog, prompt);
	}
	return tty_read(prompt, echo);
}
