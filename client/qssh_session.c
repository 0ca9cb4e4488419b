/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qssh: the session channel and the client loop (RFC 4254 6): exec, shell
 * or subsystem, an optional pty with the local terminal modes, escape
 * sequences, stdin/stdout/stderr relaying with flow control, keepalives and
 * the remote exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/channel.h"
#include "control/kex.h"
#include "dataplane/transport.h"
#include "qssh.h"

/* Bytes read from stdin at a time. */
#define IO_CHUNK (256 * 1024)
/*
 * Our window and maximum packet for the session channel: a window large
 * enough for a fast link's bandwidth-delay product, and packets as large
 * as the transport allows (the channel layer keeps them within
 * CHAN_PACKET_LIMIT so that a whole packet fits TPORT_PACKET_MAX).
 */
#define SESSION_WINDOW (16U * 1024 * 1024)
#define SESSION_MAX_PACKET (256U * 1024)
/* Stop reading stdin while this much encrypted output waits. */
#define OUTPUT_HIGH_WATER (4U * 1024 * 1024)

/* Input buffers, one each for the process: nothing is allocated per read. */
static uint8_t stdin_buf[IO_CHUNK];
static uint8_t escape_buf[IO_CHUNK + 2];

struct sess {
	struct qssh_conn *cn;
	const struct qssh_args *args;
	struct chan_ctx *cc;
	struct chan *ch;
	bool ch_freed;
	bool want_tty;
	bool have_pty;
	struct chan_tty_modes modes; /* of the local terminal, before raw */
	const char *command; /* exec command or subsystem name */
	int exit_status;
	bool got_exit;
	struct qssh_buf *out, *err;
	bool out_dead, err_dead;
	bool stdin_eof;
	/* escape sequences */
	int escape_char;
	bool at_line_start;
	bool saw_escape;
	bool quit; /* ~. or a signal */
	int quit_status;
	bool fatal;
	int fatal_err;
	unsigned keepalives_out;
};

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_winch, got_term;

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGWINCH)
		got_winch = 1;
	else
		got_term = sig;
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], &c, 1) < 0) {
		/* the loop looks at the flags anyway */
	}
	errno = saved;
}

static void
install_signals(void)
{
	struct sigaction sa;

	if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		sig_pipe[0] = sig_pipe[1] = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
}

/* Text on the terminal while it may be in raw mode. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nowhere to report it */
	}
}

static const char *
eol(void)
{
	return qssh_tty_is_raw() ? "\r\n" : "\n";
}

/* ---- channel callbacks ---- */

static int
send_msg(void *user, uint8_t type, const uint8_t *payload, size_t len)
{
	struct sess *s = user;

	return tport_send(s->cn->t, type, payload, len);
}

static int
send_msg2(void *user, uint8_t type, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	struct sess *s = user;

	return tport_send2(s->cn->t, type, a, alen, b, blen);
}

/* Terminal modes of stdin (RFC 4254 8). */
static void
fill_tty_modes(struct chan_tty_modes *m)
{
	static const struct {
		uint8_t op;
		int idx;
	} cc[] = {
		{ 1, VINTR },
		{ 2, VQUIT },
		{ 3, VERASE },
		{ 4, VKILL },
		{ 5, VEOF },
		{ 6, VEOL },
		{ 7, VEOL2 },
		{ 8, VSTART },
		{ 9, VSTOP },
		{ 10, VSUSP },
		{ 12, VREPRINT },
		{ 13, VWERASE },
		{ 14, VLNEXT },
		{ 18, VDISCARD },
	};
	static const struct {
		uint8_t op;
		int which; /* 0 iflag, 1 lflag, 2 oflag, 3 cflag */
		tcflag_t bit;
	} fl[] = {
		{ 30, 0, IGNPAR },
		{ 31, 0, PARMRK },
		{ 32, 0, INPCK },
		{ 33, 0, ISTRIP },
		{ 34, 0, INLCR },
		{ 35, 0, IGNCR },
		{ 36, 0, ICRNL },
		{ 37, 0, IUCLC },
		{ 38, 0, IXON },
		{ 39, 0, IXANY },
		{ 40, 0, IXOFF },
		{ 41, 0, IMAXBEL },
		{ 42, 0, IUTF8 },
		{ 50, 1, ISIG },
		{ 51, 1, ICANON },
		{ 52, 1, XCASE },
		{ 53, 1, ECHO },
		{ 54, 1, ECHOE },
		{ 55, 1, ECHOK },
		{ 56, 1, ECHONL },
		{ 57, 1, NOFLSH },
		{ 58, 1, TOSTOP },
		{ 59, 1, IEXTEN },
		{ 60, 1, ECHOCTL },
		{ 61, 1, ECHOKE },
		{ 62, 1, PENDIN },
		{ 70, 2, OPOST },
		{ 71, 2, OLCUC },
		{ 72, 2, ONLCR },
		{ 73, 2, OCRNL },
		{ 74, 2, ONOCR },
		{ 75, 2, ONLRET },
		{ 90, 3, CS7 },
		{ 91, 3, CS8 },
		{ 92, 3, PARENB },
		{ 93, 3, PARODD },
	};
	static const struct {
		speed_t sp;
		uint32_t baud;
	} speeds[] = {
		{ B9600, 9600 },
		{ B19200, 19200 },
		{ B38400, 38400 },
		{ B57600, 57600 },
		{ B115200, 115200 },
		{ B230400, 230400 },
		{ B4800, 4800 },
		{ B2400, 2400 },
		{ B1200, 1200 },
	};
	struct termios tio;
	tcflag_t f = 0;
	size_t i;

	memset(m, 0, sizeof(*m));
	if (tcgetattr(STDIN_FILENO, &tio) != 0)
		return;
	for (i = 0; i < QSSH_ARRAY_LEN(cc); i++) {
		m->set[cc[i].op] = true;
		m->value[cc[i].op] = tio.c_cc[cc[i].idx] == _POSIX_VDISABLE
		    ? 255
		    : tio.c_cc[cc[i].idx];
	}
	for (i = 0; i < QSSH_ARRAY_LEN(fl); i++) {
		switch (fl[i].which) {
		case 0:
			f = tio.c_iflag;
			break;
		case 1:
			f = tio.c_lflag;
			break;
		case 2:
			f = tio.c_oflag;
			break;
		default:
			f = tio.c_cflag;
			break;
		}
		m->set[fl[i].op] = true;
		if (fl[i].which == 3 && (fl[i].bit == CS7 || fl[i].bit == CS8))
			m->value[fl[i].op] = (f & CSIZE) == fl[i].bit;
		else
			m->value[fl[i].op] = (f & fl[i].bit) != 0;
	}
	for (i = 0; i < QSSH_ARRAY_LEN(speeds); i++) {
		if (cfgetispeed(&tio) == speeds[i].sp) {
			m->set[CHAN_TTY_OP_ISPEED] = true;
			m->value[CHAN_TTY_OP_ISPEED] = speeds[i].baud;
		}
		if (cfgetospeed(&tio) == speeds[i].sp) {
			m->set[CHAN_TTY_OP_OSPEED] = true;
			m->value[CHAN_TTY_OP_OSPEED] = speeds[i].baud;
		}
	}
}

static void
window_size(uint32_t *cols, uint32_t *rows, uint32_t *xp, uint32_t *yp)
{
	struct winsize ws;

	*cols = *rows = *xp = *yp = 0;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
		*xp = ws.ws_xpixel;
		*yp = ws.ws_ypixel;
	}
}

static void
set_fatal(struct sess *s, int err)
{
	if (!s->fatal) {
		s->fatal = true;
		s->fatal_err = err;
	}
}

static void
send_env(struct sess *s)
{
	struct chan_request req;
	extern char **environ;
	unsigned i, j;
	char *name;
	size_t n;

	for (i = 0; i < qssh_opts.num_set_env; i++) {
		const char *kv = qssh_opts.set_env[i], *eq = strchr(kv, '=');

		if (eq == NULL)
			continue;
		if ((name = strndup(kv, (size_t)(eq - kv))) == NULL)
			return;
		memset(&req, 0, sizeof(req));
		req.type = CHAN_REQ_ENV;
		req.env_name = name;
		req.env_value = eq + 1;
		qlog_debug("channel %u: setting env %s = \"%s\"",
		    chan_id(s->ch), name, eq + 1);
		(void)chan_send_request(s->ch, &req, false);
		free(name);
	}
	for (j = 0; environ[j] != NULL; j++) {
		const char *kv = environ[j], *eq = strchr(kv, '=');

		if (eq == NULL)
			continue;
		n = (size_t)(eq - kv);
		for (i = 0; i < qssh_opts.num_send_env; i++) {
			if ((name = strndup(kv, n)) == NULL)
				return;
			if (qssh_opts.send_env[i][0] != '-' &&
			    fnmatch(qssh_opts.send_env[i], name, 0) == 0) {
				memset(&req, 0, sizeof(req));
				req.type = CHAN_REQ_ENV;
				req.env_name = name;
				req.env_value = eq + 1;
				qlog_debug("channel %u: setting env %s = "
					   "\"%s\"",
				    chan_id(s->ch), name, eq + 1);
				(void)chan_send_request(s->ch, &req, false);
				free(name);
				break;
			}
			free(name);
		}
	}
}

static void
cb_open_result(void *user, struct chan *ch, uint32_t reason, const char *desc)
{
	struct sess *s = user;
	struct chan_request req;
	int r;

	if (reason != 0) {
		qlog_error("channel %u: open failed: %s: %s", chan_id(ch),
		    reason == CHAN_OPEN_ADMINISTRATIVELY_PROHIBITED
			? "administratively prohibited"
			: reason == CHAN_OPEN_CONNECT_FAILED ? "connect failed"
			: reason == CHAN_OPEN_UNKNOWN_CHANNEL_TYPE
			? "unknown channel type"
			: reason == CHAN_OPEN_RESOURCE_SHORTAGE
			? "resource shortage"
			: "unknown reason",
		    desc != NULL ? desc : "");
		s->quit = true;
		s->quit_status = QSSH_EXIT_FAILURE;
		return;
	}
	if (s->want_tty) {
		memset(&req, 0, sizeof(req));
		req.type = CHAN_REQ_PTY;
		req.term = getenv("TERM") != NULL ? getenv("TERM") : "";
		window_size(
		    &req.cols, &req.rows, &req.width_px, &req.height_px);
		req.modes = s->modes;
		if ((r = chan_send_request(ch, &req, true)) != 0) {
			set_fatal(s, r);
			return;
		}
		s->have_pty = true;
	}
	send_env(s);
	memset(&req, 0, sizeof(req));
	if (s->args->subsystem) {
		req.type = CHAN_REQ_SUBSYSTEM;
		req.command = s->command;
		qlog_debug("Sending subsystem: %s", s->command);
	} else if (s->command != NULL) {
		req.type = CHAN_REQ_EXEC;
		req.command = s->command;
		qlog_debug("Sending command: %s", s->command);
	} else
		req.type = CHAN_REQ_SHELL;
	if ((r = chan_send_request(ch, &req, true)) != 0)
		set_fatal(s, r);
}

static void
cb_request_reply(void *user, struct chan *ch, enum chan_req_type type, bool ok)
{
	struct sess *s = user;

	if (ok)
		return;
	switch (type) {
	case CHAN_REQ_PTY:
		qlog_error(
		    "PTY allocation request failed on channel %u", chan_id(ch));
		s->have_pty = false;
		qssh_tty_leave_raw();
		break;
	case CHAN_REQ_EXEC:
	case CHAN_REQ_SHELL:
	case CHAN_REQ_SUBSYSTEM:
		qlog_error("%s request failed on channel %u",
		    type == CHAN_REQ_EXEC	 ? "exec"
			: type == CHAN_REQ_SHELL ? "shell"
						 : "subsystem",
		    chan_id(ch));
		(void)chan_close(ch);
		break;
	default:
		break;
	}
}

static int
cb_data(
    void *user, struct chan *ch, uint32_t ext, const uint8_t *data, size_t len)
{
	struct sess *s = user;
	struct qssh_buf *b = ext == 0 ? s->out : s->err;
	bool dead = ext == 0 ? s->out_dead : s->err_dead;

	if (ext != 0 && ext != CHAN_EXTENDED_DATA_STDERR)
		return 0;
	if (dead)
		return chan_consume(ch, len);
	/* Nothing waiting: straight from the packet to the descriptor. */
	while (qssh_buf_len(b) == 0 && len > 0) {
		ssize_t n =
		    write(ext == 0 ? STDOUT_FILENO : STDERR_FILENO, data, len);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EAGAIN; errors are found by write_out() */
		if ((r = chan_consume(ch, (size_t)n)) != 0)
			return r;
		data += n;
		len -= (size_t)n;
	}
	return qssh_buf_put(b, data, len);
}

static void
cb_eof(void *user, struct chan *ch)
{
	(void)user;
	qlog_debug2("channel %u: rcvd eof", chan_id(ch));
}

static void
cb_close(void *user, struct chan *ch)
{
	(void)user;
	qlog_debug2("channel %u: rcvd close", chan_id(ch));
}

static int
cb_request(void *user, struct chan *ch, const struct chan_request *req)
{
	struct sess *s = user;

	qlog_debug("client_input_channel_req: channel %u rtype %s reply %d",
	    chan_id(ch), req->name != NULL ? req->name : "?",
	    req->want_reply ? 1 : 0);
	if (req->type == CHAN_REQ_EXIT_STATUS) {
		s->exit_status = (int)req->exit_status;
		s->got_exit = true;
		return CHAN_REPLY_SUCCESS;
	}
	if (req->type == CHAN_REQ_EXIT_SIGNAL) {
		qlog_debug("Remote command killed by signal %s%s",
		    req->signal != NULL ? req->signal : "?",
		    req->core_dumped ? " (core dumped)" : "");
		return CHAN_REPLY_SUCCESS;
	}
	return CHAN_REPLY_FAILURE;
}

static void
cb_freed(void *user, struct chan *ch)
{
	struct sess *s = user;

	if (ch == s->ch) {
		s->ch = NULL;
		s->ch_freed = true;
	}
}

static void
cb_global_reply(void *user, void *cookie, bool ok, struct qssh_view data)
{
	struct sess *s = user;

	(void)cookie;
	(void)ok;
	(void)data;
	if (s->keepalives_out > 0)
		s->keepalives_out--;
	s->cn->alive_count = 0;
}

/* ---- escape sequences ---- */

static void
escape_help(struct sess *s)
{
	char e[3];
	const char *n = eol();
	int c = s->escape_char;

	snprintf(e, sizeof(e), "%c", c);
	say("%s~? Escape sequences (escape character '%s'):%s", n, e, n);
	say(" %s.   - terminate the connection%s", e, n);
	say(" %sB   - send a BREAK to the remote side%s", e, n);
	say(" %sR   - request a rekey%s", e, n);
	say(" %sV/v - raise/lower the log level%s", e, n);
	say(" %s^Z  - suspend qssh%s", e, n);
	say(" %s#   - list open connections%s", e, n);
	say(" %s&   - put qssh in the background%s", e, n);
	say(" %s?   - this message%s", e, n);
	say(" %s%s  - send the escape character itself%s", e, e, n);
	say("(Escapes are recognised only right after a newline.)%s", n);
}

static int
chan_send_bytes(struct sess *s, const uint8_t *p, size_t len)
{
	size_t acc = 0;
	int r;

	if (s->ch == NULL || (chan_flags(s->ch) & CHAN_F_OPEN) == 0)
		return 0;
	if ((r = chan_write(s->ch, p, len, &acc)) != 0)
		return r;
	/* The window was checked before reading; the rest is queued. */
	return 0;
}

static void
background(struct sess *s)
{
	pid_t pid;
	int fd;

	say("%c& [backgrounded]%s", s->escape_char, eol());
	qssh_tty_leave_raw();
	qssh_conn_detach_workers(s->cn);
	if ((pid = fork()) < 0) {
		qlog_error("fork: %s", strerror(errno));
		return;
	}
	if (pid != 0)
		_exit(0);
	(void)setsid();
	if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		(void)dup2(fd, STDIN_FILENO);
		if (fd > 2)
			close(fd);
	}
	s->stdin_eof = true;
	if (s->ch != NULL)
		(void)chan_send_eof(s->ch);
}

/* Input typed while a pty is in use. */
static int
process_escapes(struct sess *s, const uint8_t *p, size_t len)
{
	struct chan_request req;
	uint8_t *out = escape_buf;
	size_t i, n = 0;
	int lvl, r;

	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (s->saw_escape) {
			s->saw_escape = false;
			switch (c) {
			case '.':
				say("%c.%s", s->escape_char, eol());
				s->quit = true;
				s->quit_status = QSSH_EXIT_FAILURE;
				return chan_send_bytes(s, out, n);
			case 'Z' - 64:
				say("%c^Z [suspend qssh]%s", s->escape_char,
				    eol());
				qssh_tty_leave_raw();
				kill(getpid(), SIGTSTP);
				if (s->have_pty)
					(void)qssh_tty_enter_raw();
				got_winch = 1;
				continue;
			case '&':
				background(s);
				continue;
			case '#':
				say("%c#%sThe following connections are "
				    "open:%s  #%u client-session (t4 r%u i0/0 "
				    "o0/0 e[write]/0 fd 0/1/2 sock -1 cc -1 "
				    "io 0x%02x/0x%02x)%s",
				    s->escape_char, eol(), eol(),
				    s->ch != NULL ? chan_id(s->ch) : 0,
				    s->ch != NULL ? chan_remote_id(s->ch) : 0,
				    s->ch != NULL ? chan_flags(s->ch) : 0, 0,
				    eol());
				continue;
			case '?':
				escape_help(s);
				continue;
			case 'B':
				say("%cB%s", s->escape_char, eol());
				if (s->ch != NULL) {
					memset(&req, 0, sizeof(req));
					req.type = CHAN_REQ_BREAK;
					req.break_ms = 1000;
					(void)chan_send_request(
					    s->ch, &req, false);
				}
				continue;
			case 'R':
				say("%cR%s", s->escape_char, eol());
				if ((r = tctl_rekey(s->cn->tctl)) != 0)
					return r;
				continue;
			case 'V':
			case 'v':
				lvl = (int)qssh_log_get_level();
				if (c == 'V' && lvl < QSSH_LOG_DEBUG3)
					lvl++;
				if (c == 'v' && lvl > QSSH_LOG_QUIET)
					lvl--;
				qssh_log_set_level((enum qssh_log_level)lvl);
				say("%c%c [LogLevel %s]%s", s->escape_char, c,
				    qssh_log_level_name(
					(enum qssh_log_level)lvl),
				    eol());
				continue;
			case 'C':
				say("%cC%scommandline disabled%s",
				    s->escape_char, eol(), eol());
				continue;
			default:
				if (c != s->escape_char)
					out[n++] = (uint8_t)s->escape_char;
				out[n++] = c;
				s->at_line_start = false;
				continue;
			}
		}
		if (s->at_line_start && c == s->escape_char) {
			s->saw_escape = true;
			continue;
		}
		out[n++] = c;
		s->at_line_start = c == '\r' || c == '\n';
	}
	return chan_send_bytes(s, out, n);
}

/* ---- the loop ---- */

static int
read_stdin(struct sess *s)
{
	uint8_t *buf = stdin_buf;
	size_t want;
	ssize_t n;

	want = chan_writable(s->ch);
	if (want > IO_CHUNK)
		want = IO_CHUNK;
	if (want == 0)
		return 0;
	n = read(STDIN_FILENO, buf, want);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		if (n < 0)
			qlog_debug("read stdin: %s", strerror(errno));
		s->stdin_eof = true;
		return chan_send_eof(s->ch);
	}
	if (s->have_pty && s->escape_char != READCONF_ESCAPE_NONE)
		return process_escapes(s, buf, (size_t)n);
	return chan_send_bytes(s, buf, (size_t)n);
}

static int
write_out(struct sess *s, int fd, struct qssh_buf *b, bool *dead)
{
	ssize_t n;
	int r;

	while (qssh_buf_len(b) > 0) {
		n = write(fd, qssh_buf_ptr(b), qssh_buf_len(b));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			qlog_debug("write fd %d: %s", fd, strerror(errno));
			*dead = true;
			n = (ssize_t)qssh_buf_len(b);
		}
		if ((r = qssh_buf_consume(b, (size_t)n)) != 0)
			return r;
		if (s->ch != NULL && (r = chan_consume(s->ch, (size_t)n)) != 0)
			return r;
	}
	return 0;
}

static int
handle_packets(struct sess *s)
{
	struct qssh_view pl;
	uint8_t type;
	int r;

	for (;;) {
		r = tctl_next_packet(s->cn->tctl, &type, &pl);
		if (r == QSSH_ERR_AGAIN)
			return 0;
		if (r != 0)
			return r;
		if (type >= SSH_MSG_GLOBAL_REQUEST &&
		    type <= SSH_MSG_CHANNEL_FAILURE) {
			r = chan_ctx_handle_packet(s->cc, type, pl);
			if (r == QSSH_ERR_NOT_SUPPORTED)
				continue;
			if (r != 0) {
				qlog_error("%s", chan_ctx_error(s->cc));
				return r;
			}
			continue;
		}
		if (type == SSH_MSG_USERAUTH_BANNER ||
		    type == SSH_MSG_USERAUTH_SUCCESS)
			continue;
		qlog_debug("unexpected message %u", type);
	}
}

static void
send_window_change(struct sess *s)
{
	struct chan_request req;

	if (s->ch == NULL || !s->have_pty ||
	    (chan_flags(s->ch) & CHAN_F_OPEN) == 0)
		return;
	memset(&req, 0, sizeof(req));
	req.type = CHAN_REQ_WINDOW_CHANGE;
	window_size(&req.cols, &req.rows, &req.width_px, &req.height_px);
	(void)chan_send_request(s->ch, &req, false);
}

static int
send_keepalive(struct sess *s)
{
	struct chan_global_request g;

	if (++s->cn->alive_count > (unsigned)qssh_opts.server_alive_count_max) {
		qlog_error("Timeout, server %s not responding.", s->cn->host);
		s->quit = true;
		s->quit_status = QSSH_EXIT_FAILURE;
		return 0;
	}
	memset(&g, 0, sizeof(g));
	g.type = CHAN_GLOBAL_KEEPALIVE;
	g.name = "keepalive@openssh.com";
	s->keepalives_out++;
	return chan_global_request(s->cc, &g, true, NULL);
}

static bool
session_over(struct sess *s)
{
	if (s->quit || s->fatal)
		return true;
	if (s->args->no_shell)
		return false;
	return s->ch_freed && (qssh_buf_len(s->out) == 0 || s->out_dead) &&
	    (qssh_buf_len(s->err) == 0 || s->err_dead);
}

static int
client_loop(struct sess *s)
{
	struct pollfd pfd[6];
	int n, r, r2, timeout, i_sock, i_in = -1, i_out = -1, i_err = -1;
	int i_sig, i_wrk, wrk_fd;
	uint64_t now, due = 0;
	char junk[64];

	if (qssh_opts.server_alive_interval > 0)
		due = qssh_monotime_ms() +
		    (uint64_t)qssh_opts.server_alive_interval * 1000;
	while (!session_over(s)) {
		if (got_winch) {
			got_winch = 0;
			send_window_change(s);
		}
		if (got_term) {
			qlog_debug("Killed by signal %d.", (int)got_term);
			s->quit = true;
			s->quit_status = QSSH_EXIT_FAILURE;
			break;
		}
		/* Also collects finished crypto; then take what it decrypted. */
		if ((r = qssh_conn_flush_out(s->cn)) != 0)
			return r;
		if ((r = handle_packets(s)) != 0)
			return r;
		if (s->fatal)
			return s->fatal_err;
		if (session_over(s))
			break;
		qssh_conn_bulk_check(s->cn);
		/* Replies queued just now go to the workers before sleeping. */
		if ((r = qssh_conn_flush_out(s->cn)) != 0)
			return r;
		n = 0;
		/* After the peer's EOF only local output is left to do. */
		pfd[n].fd = s->cn->eof ? -1 : s->cn->fd;
		/* A full input queue waits for the workers, not the socket. */
		pfd[n].events = tport_input_room(s->cn->t) > 0 ||
			!tport_work_pending(s->cn->t)
		    ? POLLIN
		    : 0;
		if (tport_output_len(s->cn->t) > 0)
			pfd[n].events |= POLLOUT;
		i_sock = n++;
		i_in = i_out = i_err = -1;
		if (!s->stdin_eof && s->ch != NULL &&
		    (chan_flags(s->ch) & CHAN_F_OPEN) != 0 &&
		    (chan_flags(s->ch) &
			(CHAN_F_EOF_QUEUED | CHAN_F_CLOSE_QUEUED)) == 0 &&
		    chan_writable(s->ch) > 0 &&
		    tport_output_len(s->cn->t) < OUTPUT_HIGH_WATER) {
			pfd[n].fd = STDIN_FILENO;
			pfd[n].events = POLLIN;
			i_in = n++;
		}
		if (qssh_buf_len(s->out) > 0 && !s->out_dead) {
			pfd[n].fd = STDOUT_FILENO;
			pfd[n].events = POLLOUT;
			i_out = n++;
		}
		if (qssh_buf_len(s->err) > 0 && !s->err_dead) {
			pfd[n].fd = STDERR_FILENO;
			pfd[n].events = POLLOUT;
			i_err = n++;
		}
		pfd[n].fd = sig_pipe[0];
		pfd[n].events = POLLIN;
		i_sig = n++;
		timeout = -1;
		if (due != 0) {
			now = qssh_monotime_ms();
			timeout = due > now ? (int)(due - now) : 0;
		}
		i_wrk = -1;
		if ((wrk_fd = qssh_conn_event_fd(s->cn, &timeout)) >= 0) {
			pfd[n].fd = wrk_fd;
			pfd[n].events = POLLIN;
			i_wrk = n++;
		}
		r = poll(pfd, (nfds_t)n, timeout);
		if (r < 0 && errno != EINTR)
			return QSSH_ERR_SYSTEM;
		if (r < 0)
			continue;
		if (due != 0) {
			now = qssh_monotime_ms();
			if (s->cn->last_input_ms +
				(uint64_t)qssh_opts.server_alive_interval *
				    1000 <=
			    now) {
				if (now >= due) {
					if ((r = send_keepalive(s)) != 0)
						return r;
					due = now +
					    (uint64_t)qssh_opts
						    .server_alive_interval *
						1000;
				}
			} else
				due = s->cn->last_input_ms +
				    (uint64_t)qssh_opts.server_alive_interval *
					1000;
		}
		if (r == 0)
			continue;
		if (pfd[i_sig].revents & POLLIN)
			while (read(sig_pipe[0], junk, sizeof(junk)) > 0)
				;
		if (i_wrk >= 0 && (pfd[i_wrk].revents & POLLIN))
			qssh_conn_event_clear(s->cn);
		if (pfd[i_sock].revents & POLLOUT)
			if ((r = qssh_conn_flush_out(s->cn)) != 0)
				return r;
		if (pfd[i_sock].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = qssh_conn_read(s->cn);
			/* Packets already received count, even after EOF. */
			r2 = handle_packets(s);
			if (s->fatal)
				return s->fatal_err;
			if (r2 != 0)
				return r2;
			if (r == QSSH_ERR_CONN_CLOSED && s->ch_freed)
				continue; /* only local output is left */
			if (r != 0)
				return r;
		}
		if (s->fatal)
			return s->fatal_err;
		if (i_out >= 0 &&
		    (pfd[i_out].revents & (POLLOUT | POLLERR | POLLHUP)))
			if ((r = write_out(
				 s, STDOUT_FILENO, s->out, &s->out_dead)) != 0)
				return r;
		if (i_err >= 0 &&
		    (pfd[i_err].revents & (POLLOUT | POLLERR | POLLHUP)))
			if ((r = write_out(
				 s, STDERR_FILENO, s->err, &s->err_dead)) != 0)
				return r;
		if (i_in >= 0 && s->ch != NULL &&
		    (pfd[i_in].revents & (POLLIN | POLLHUP | POLLERR)))
			if ((r = read_stdin(s)) != 0)
				return r;
	}
	return 0;
}

static bool
decide_tty(const struct qssh_args *args, const char *command)
{
	int rt = qssh_opts.request_tty;
	bool tty = rt == READCONF_TTY_YES || rt == READCONF_TTY_FORCE;

	if (command == NULL)
		tty = rt != READCONF_TTY_NO;
	if (rt == READCONF_TTY_NO || args->no_shell)
		tty = false;
	if (!isatty(STDIN_FILENO) && rt != READCONF_TTY_FORCE) {
		if (tty)
			qlog_info("Pseudo-terminal will not be allocated "
				  "because stdin is not a terminal.");
		tty = false;
	}
	return tty;
}

int
qssh_session_run(struct qssh_conn *cn, const struct qssh_args *args)
{
	struct chan_callbacks cb;
	struct chan_config ccfg;
	struct chan_open_info info;
	struct sess s;
	double start = qssh_monotime_double();
	int r, status;

	memset(&s, 0, sizeof(s));
	s.cn = cn;
	s.args = args;
	s.exit_status = -1;
	s.at_line_start = true;
	s.command = args->command;
	if (s.command == NULL && !args->subsystem &&
	    qssh_opts.remote_command != NULL)
		s.command = qssh_opts.remote_command;
	s.want_tty = decide_tty(args, s.command);
	s.escape_char =
	    s.want_tty ? qssh_opts.escape_char : READCONF_ESCAPE_NONE;
	if ((s.out = qssh_buf_new()) == NULL ||
	    (s.err = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	memset(&cb, 0, sizeof(cb));
	cb.open_result = cb_open_result;
	cb.request = cb_request;
	cb.request_reply = cb_request_reply;
	cb.data = cb_data;
	cb.eof = cb_eof;
	cb.close = cb_close;
	cb.freed = cb_freed;
	cb.global_reply = cb_global_reply;
	memset(&ccfg, 0, sizeof(ccfg));
	ccfg.is_server = false;
	ccfg.manual_consume = true;
	ccfg.window = SESSION_WINDOW;
	ccfg.max_packet = SESSION_MAX_PACKET;
	ccfg.send2 = send_msg2;
	if ((s.cc = chan_ctx_new(send_msg, &cb, &s, &ccfg)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	install_signals();
	qssh_set_nonblock_saved(STDIN_FILENO);
	qssh_set_nonblock_saved(STDOUT_FILENO);
	qssh_set_nonblock_saved(STDERR_FILENO);
	if (!args->no_shell) {
		memset(&info, 0, sizeof(info));
		info.type = CHAN_TYPE_SESSION;
		if ((r = chan_open(s.cc, &info, &s, &s.ch)) != 0)
			goto out;
		qlog_debug(
		    "channel %u: new session [client-session]", chan_id(s.ch));
		if (s.want_tty) {
			fill_tty_modes(&s.modes);
			if (isatty(STDIN_FILENO))
				(void)qssh_tty_enter_raw();
		}
	} else
		s.stdin_eof = true;
	r = client_loop(&s);
	/* Flush what the remote side said before going. */
	if (!s.out_dead)
		(void)write_out(&s, STDOUT_FILENO, s.out, &s.out_dead);
	if (!s.err_dead)
		(void)write_out(&s, STDERR_FILENO, s.err, &s.err_dead);
	if (s.have_pty)
		qssh_tty_leave_raw();
	qssh_restore_all();
	if (r != 0) {
		if (r == QSSH_ERR_CONN_CLOSED && !s.fatal) {
			if (qssh_opts.log_level >= QSSH_LOG_INFO)
				fprintf(stderr,
				    "Connection to %s closed by remote "
				    "host.\n",
				    cn->host_arg);
			status = QSSH_EXIT_FAILURE;
		} else
			status = qssh_conn_fatal(cn, r);
		goto done;
	}
	if (s.have_pty && qssh_opts.log_level >= QSSH_LOG_INFO)
		fprintf(stderr, "Connection to %s closed.\n", cn->host_arg);
	tport_send_disconnect(
	    cn->t, SSH_DISCONNECT_BY_APPLICATION, "disconnected by user");
	qssh_conn_drain(cn, 1000);
	if (qssh_log_enabled(QSSH_LOG_VERBOSE)) {
		struct tport_stats st;
		double secs = qssh_monotime_double() - start;

		tport_get_stats(cn->t, &st);
		if (secs <= 0)
			secs = 0.001;
		qlog_verbose("Transferred: sent %llu, received %llu bytes, in "
			     "%.1f seconds",
		    (unsigned long long)st.bytes_out,
		    (unsigned long long)st.bytes_in, secs);
		qlog_verbose("Bytes per second: sent %.1f, received %.1f",
		    (double)st.bytes_out / secs, (double)st.bytes_in / secs);
	}
	if (s.quit)
		status = s.quit_status;
	else
		status = s.got_exit ? s.exit_status : QSSH_EXIT_FAILURE;
	qlog_debug("Exit status %d", s.got_exit ? s.exit_status : -1);
done:
	r = status;
out:
	chan_ctx_free(s.cc);
	qssh_buf_free(s.out);
	qssh_buf_free(s.err);
	return r < 0 ? QSSH_EXIT_FAILURE : r;
}
