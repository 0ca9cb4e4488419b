/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Monitor protocol framing and the child-side request stubs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/monitor.h"

int
monitor_socketpair(int fds[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == -1)
		return QSSH_ERR_SYSTEM;
	return 0;
}

int
monitor_msg_send(int fd, const uint8_t *msg, size_t len, int pass_fd)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	uint8_t hdr[4];
	struct iovec iov[2];
	struct msghdr mh;
	struct cmsghdr *cm;
	size_t done = 0, total;
	ssize_t n;

	if (msg == NULL || len == 0 || len > MONITOR_MSG_MAX)
		return QSSH_ERR_INVALID_ARGUMENT;
	qssh_put_u32be(hdr, (uint32_t)len);
	total = sizeof(hdr) + len;
	while (done < total) {
		memset(&mh, 0, sizeof(mh));
		if (done < sizeof(hdr)) {
			iov[0].iov_base = hdr + done;
			iov[0].iov_len = sizeof(hdr) - done;
			iov[1].iov_base = (void *)(uintptr_t)msg;
			iov[1].iov_len = len;
			mh.msg_iovlen = 2;
		} else {
			iov[0].iov_base =
			    (void *)(uintptr_t)(msg + (done - sizeof(hdr)));
			iov[0].iov_len = total - done;
			mh.msg_iovlen = 1;
		}
		mh.msg_iov = iov;
		if (done == 0 && pass_fd >= 0) {
			memset(&ctl, 0, sizeof(ctl));
			mh.msg_control = ctl.buf;
			mh.msg_controllen = sizeof(ctl.buf);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
		}
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				return QSSH_ERR_CONN_CLOSED;
			return QSSH_ERR_SYSTEM;
		}
		if (n == 0)
			return QSSH_ERR_CONN_CLOSED;
		done += (size_t)n;
	}
	return 0;
}

/* Take a descriptor out of a control message; anything else is an error. */
static int
take_fds(struct msghdr *mh, int *got)
{
	struct cmsghdr *cm;
	int fdv, r = 0;
	size_t i, nfd;

	if ((mh->msg_flags & MSG_CTRUNC) != 0)
		r = QSSH_ERR_INVALID_FORMAT;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len < CMSG_LEN(0)) {
			r = QSSH_ERR_INVALID_FORMAT;
			continue;
		}
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(
			    &fdv, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*got == -1 && r == 0)
				*got = fdv;
			else {
				close(fdv);
				r = QSSH_ERR_INVALID_FORMAT;
			}
		}
	}
	return r;
}

static int
recv_exact(int fd, uint8_t *p, size_t len, int *got, bool first)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov;
	struct msghdr mh;
	size_t done = 0;
	ssize_t n;
	int r;

	while (done < len) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = p + done;
		iov.iov_len = len - done;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET)
				return QSSH_ERR_CONN_CLOSED;
			return QSSH_ERR_SYSTEM;
		}
		if ((r = take_fds(&mh, got)) != 0)
			return r;
		if (n == 0)
			return first && done == 0 ? QSSH_ERR_CONN_CLOSED
						  : QSSH_ERR_MESSAGE_INCOMPLETE;
		done += (size_t)n;
	}
	return 0;
}

int
monitor_msg_recv(int fd, struct qssh_buf *msg, int *recv_fd)
{
	uint8_t hdr[4], *dst = NULL;
	uint32_t len;
	int got = -1, r = QSSH_ERR_INTERNAL;

	if (recv_fd != NULL)
		*recv_fd = -1;
	qssh_buf_reset(msg);
	if ((r = recv_exact(fd, hdr, sizeof(hdr), &got, true)) != 0)
		goto out;
	len = qssh_get_u32be(hdr);
	if (len == 0) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if (len > MONITOR_MSG_MAX) {
		r = QSSH_ERR_PACKET_TOO_LARGE;
		goto out;
	}
	if ((r = qssh_buf_reserve(msg, len, &dst)) != 0)
		goto out;
	if ((r = recv_exact(fd, dst, len, &got, false)) != 0)
		goto out;
	if (got != -1 && recv_fd == NULL) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if (recv_fd != NULL) {
		*recv_fd = got;
		got = -1;
	}
	r = 0;
out:
	if (got != -1)
		close(got);
	if (r != 0)
		qssh_buf_reset(msg);
	return r;
}

/* ---- child side ---- */

static struct qssh_buf *
req_new(uint8_t type)
{
	struct qssh_buf *b = qssh_buf_new();

	if (b != NULL && qssh_buf_put_u8(b, type) != 0) {
		qssh_buf_free(b);
		b = NULL;
	}
	return b;
}

/* Send req, receive the answer of type want into ans (type consumed). */
static int
mon_call(int fd, const struct qssh_buf *req, uint8_t want, struct qssh_buf *ans,
    int *recv_fd)
{
	uint8_t t;
	int r;

	if ((r = monitor_msg_send(
		 fd, qssh_buf_ptr(req), qssh_buf_len(req), -1)) != 0)
		return r;
	if ((r = monitor_msg_recv(fd, ans, recv_fd)) != 0)
		return r;
	if ((r = qssh_buf_get_u8(ans, &t)) != 0)
		return r;
	if (t != want) {
		if (recv_fd != NULL && *recv_fd != -1) {
			close(*recv_fd);
			*recv_fd = -1;
		}
		return QSSH_ERR_UNEXPECTED_MESSAGE;
	}
	return 0;
}

static int
get_bool_end(struct qssh_buf *ans, bool *ok)
{
	int r;

	if ((r = qssh_buf_get_bool(ans, ok)) != 0)
		return r;
	return qssh_buf_len(ans) == 0 ? 0 : QSSH_ERR_INVALID_FORMAT;
}

int
monitor_req_sign(int fd, uint32_t key_index, const char *alg,
    const uint8_t *data, size_t len, struct qssh_buf *sig)
{
	struct qssh_buf *req = NULL, *ans = NULL;
	int r = QSSH_ERR_INTERNAL;

	if ((req = req_new(MONITOR_REQ_SIGN)) == NULL ||
	    (ans = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_u32(req, key_index)) != 0 ||
	    (r = qssh_buf_put_cstring(req, alg == NULL ? "" : alg)) != 0 ||
	    (r = qssh_buf_put_string(req, data, len)) != 0)
		goto out;
	if ((r = mon_call(fd, req, MONITOR_ANS_SIGN, ans, NULL)) != 0)
		goto out;
	if ((r = qssh_buf_get_stringb(ans, sig)) != 0)
		goto out;
	r = qssh_buf_len(ans) == 0 ? 0 : QSSH_ERR_INVALID_FORMAT;
out:
	qssh_buf_free(req);
	qssh_buf_free(ans);
	return r;
}

void
monitor_pw_free(struct monitor_pw *pw)
{
	if (pw == NULL)
		return;
	free(pw->name);
	free(pw->home);
	free(pw->shell);
	free(pw);
}

void
monitor_auth_policy_cleanup(struct monitor_auth_policy *p)
{
	if (p == NULL)
		return;
	free(p->auth_methods);
	free(p->pubkey_algs);
	memset(p, 0, sizeof(*p));
}

int
monitor_req_getpw(int fd, const char *user, struct monitor_pw **out)
{
	struct monitor_auth_policy p;
	int r;

	memset(&p, 0, sizeof(p));
	r = monitor_req_getpw_policy(fd, user, out, &p);
	monitor_auth_policy_cleanup(&p);
	return r;
}

static int
get_policy(struct qssh_buf *ans, struct monitor_auth_policy *p)
{
	int r;

	if ((r = qssh_buf_get_bool(ans, &p->pubkey)) != 0 ||
	    (r = qssh_buf_get_bool(ans, &p->password)) != 0 ||
	    (r = qssh_buf_get_bool(ans, &p->kbdint)) != 0 ||
	    (r = qssh_buf_get_u32(ans, &p->max_tries)) != 0 ||
	    (r = qssh_buf_get_cstring(ans, &p->auth_methods, NULL)) != 0 ||
	    (r = qssh_buf_get_cstring(ans, &p->pubkey_algs, NULL)) != 0)
		return r;
	p->present = true;
	return 0;
}

int
monitor_req_getpw_policy(int fd, const char *user, struct monitor_pw **out,
    struct monitor_auth_policy *policy)
{
	struct qssh_buf *req = NULL, *ans = NULL;
	struct monitor_pw *pw = NULL;
	uint32_t uid, gid;
	int r = QSSH_ERR_INTERNAL;

	*out = NULL;
	memset(policy, 0, sizeof(*policy));
	if ((req = req_new(MONITOR_REQ_GETPW)) == NULL ||
	    (ans = qssh_buf_new()) == NULL ||
	    (pw = calloc(1, sizeof(*pw))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_cstring(req, user)) != 0)
		goto out;
	if ((r = mon_call(fd, req, MONITOR_ANS_GETPW, ans, NULL)) != 0)
		goto out;
	if ((r = qssh_buf_get_cstring(ans, &pw->name, NULL)) != 0 ||
	    (r = qssh_buf_get_u32(ans, &uid)) != 0 ||
	    (r = qssh_buf_get_u32(ans, &gid)) != 0 ||
	    (r = qssh_buf_get_cstring(ans, &pw->home, NULL)) != 0 ||
	    (r = qssh_buf_get_cstring(ans, &pw->shell, NULL)) != 0)
		goto out;
	if (qssh_buf_len(ans) != 0 && (r = get_policy(ans, policy)) != 0)
		goto out;
	if (qssh_buf_len(ans) != 0) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	pw->uid = (uid_t)uid;
	pw->gid = (gid_t)gid;
	*out = pw;
	pw = NULL;
	r = 0;
out:
	if (r != 0)
		monitor_auth_policy_cleanup(policy);
	monitor_pw_free(pw);
	qssh_buf_free(req);
	qssh_buf_free(ans);
	return r;
}

int
monitor_req_auth_password(int fd, const char *password, bool *ok)
{
	struct qssh_buf *req = NULL, *ans = NULL;
	int r = QSSH_ERR_INTERNAL;

	*ok = false;
	if ((req = req_new(MONITOR_REQ_AUTH_PASSWORD)) == NULL ||
	    (ans = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_cstring(req, password)) != 0)
		goto out;
	if ((r = mon_call(fd, req, MONITOR_ANS_AUTH_PASSWORD, ans, NULL)) != 0)
		goto out;
	r = get_bool_end(ans, ok);
out:
	qssh_buf_free(req); /* wipes the password */
	qssh_buf_free(ans);
	return r;
}

int
monitor_req_key_allowed(int fd, const uint8_t *blob, size_t bloblen, bool *ok)
{
	struct qssh_buf *req = NULL, *ans = NULL;
	int r = QSSH_ERR_INTERNAL;

	*ok = false;
	if ((req = req_new(MONITOR_REQ_KEY_ALLOWED)) == NULL ||
	    (ans = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_string(req, blob, bloblen)) != 0)
		goto out;
	if ((r = mon_call(fd, req, MONITOR_ANS_KEY_ALLOWED, ans, NULL)) != 0)
		goto out;
	r = get_bool_end(ans, ok);
out:
	qssh_buf_free(req);
	qssh_buf_free(ans);
	return r;
}

int
monitor_req_key_verify(int fd, const uint8_t *blob, size_t bloblen,
    const uint8_t *sig, size_t siglen, const uint8_t *data, size_t datalen,
    bool *ok)
{
	struct qssh_buf *req = NULL, *ans = NULL;
	int r = QSSH_ERR_INTERNAL;

	*ok = false;
	if ((req = req_new(MONITOR_REQ_KEY_VERIFY)) == NULL ||
	    (ans = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_string(req, blob, bloblen)) != 0 ||
	    (r = qssh_buf_put_string(req, sig, siglen)) != 0 ||
	    (r = qssh_buf_put_string(req, data, datalen)) != 0)
		goto out;
	if ((r = mon_call(fd, req, MONITOR_ANS_KEY_VERIFY, ans, NULL)) != 0)
		goto out;
	r = get_bool_end(ans, ok);
out:
	qssh_buf_free(req);
	qssh_buf_free(ans);
	return r;
}

int
monitor_req_session_start(int fd)
{
	struct qssh_buf *req = NULL, *ans = NULL;
	uint32_t status;
	int r = QSSH_ERR_INTERNAL;

	if ((req = req_new(MONITOR_REQ_SESSION_START)) == NULL ||
	    (ans = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = mon_call(fd, req, MONITOR_ANS_SESSION_START, ans, NULL)) != 0)
		goto out;
	if ((r = qssh_buf_get_u32(ans, &status)) != 0)
		goto out;
	if (qssh_buf_len(ans) != 0) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	r = status == 0 ? 0 : QSSH_ERR_ACCESS;
out:
	qssh_buf_free(req);
	qssh_buf_free(ans);
	return r;
}

int
monitor_req_pty(int fd, int *master_fd, char **tty)
{
	struct qssh_buf *req = NULL, *ans = NULL;
	char *name = NULL;
	uint32_t status;
	int got = -1, r = QSSH_ERR_INTERNAL;

	*master_fd = -1;
	*tty = NULL;
	if ((req = req_new(MONITOR_REQ_PTY)) == NULL ||
	    (ans = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = mon_call(fd, req, MONITOR_ANS_PTY, ans, &got)) != 0)
		goto out;
	if ((r = qssh_buf_get_u32(ans, &status)) != 0 ||
	    (r = qssh_buf_get_cstring(ans, &name, NULL)) != 0)
		goto out;
	if (qssh_buf_len(ans) != 0 || (status == 0) != (got != -1)) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if (status != 0) {
		r = QSSH_ERR_ACCESS;
		goto out;
	}
	*master_fd = got;
	got = -1;
	*tty = name;
	name = NULL;
	r = 0;
out:
	if (got != -1)
		close(got);
	free(name);
	qssh_buf_free(req);
	qssh_buf_free(ans);
	return r;
}

int
monitor_req_log(int fd, enum qssh_log_level level, const char *line)
{
	struct qssh_buf *req = NULL;
	size_t len = strlen(line);
	int r = QSSH_ERR_INTERNAL;

	if (len > MONITOR_LOG_LINE_MAX)
		len = MONITOR_LOG_LINE_MAX;
	if ((req = req_new(MONITOR_REQ_LOG)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_u32(req, (uint32_t)level)) != 0 ||
	    (r = qssh_buf_put_string(req, line, len)) != 0)
		goto out;
	r = monitor_msg_send(fd, qssh_buf_ptr(req), qssh_buf_len(req), -1);
out:
	qssh_buf_free(req);
	return r;
}

void
monitor_log_hook(enum qssh_log_level level, const char *line, void *ctx)
{
	int fd = (int)(intptr_t)ctx;

	(void)monitor_req_log(fd, level, line);
}

int
monitor_req_log_user(int fd, enum qssh_log_level level,
    enum monitor_log_user_style style, const char *before, const char *after)
{
	struct qssh_buf *req = NULL;
	size_t blen = strlen(before), alen = strlen(after);
	int r = QSSH_ERR_INTERNAL;

	if (blen > MONITOR_LOG_LINE_MAX)
		blen = MONITOR_LOG_LINE_MAX;
	if (alen > MONITOR_LOG_LINE_MAX)
		alen = MONITOR_LOG_LINE_MAX;
	if ((req = req_new(MONITOR_REQ_LOG_USER)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_u32(req, (uint32_t)level)) != 0 ||
	    (r = qssh_buf_put_u32(req, (uint32_t)style)) != 0 ||
	    (r = qssh_buf_put_string(req, before, blen)) != 0 ||
	    (r = qssh_buf_put_string(req, after, alen)) != 0)
		goto out;
	r = monitor_msg_send(fd, qssh_buf_ptr(req), qssh_buf_len(req), -1);
out:
	qssh_buf_free(req);
	return r;
}

/* Answer "u32 status [u32 id]" with a descriptor on success. */
static int
get_status_fd(struct qssh_buf *ans, int *got, uint32_t *id, int *out_fd)
{
	uint32_t status, v = 0;
	int r;

	if ((r = qssh_buf_get_u32(ans, &status)) != 0)
		return r;
	if (id != NULL && (r = qssh_buf_get_u32(ans, &v)) != 0)
		return r;
	if (qssh_buf_len(ans) != 0 || (status == 0) != (*got != -1))
		return QSSH_ERR_INVALID_FORMAT;
	if (status != 0)
		return QSSH_ERR_ACCESS;
	if (id != NULL)
		*id = v;
	*out_fd = *got;
	*got = -1;
	return 0;
}

int
monitor_req_session_exec(
    int fd, const struct monitor_exec *ex, int *session_fd, uint32_t *id)
{
	struct qssh_buf *req = NULL, *ans = NULL;
	int got = -1, r = QSSH_ERR_INTERNAL;
	size_t i;

	*session_fd = -1;
	if ((req = req_new(MONITOR_REQ_SESSION_EXEC)) == NULL ||
	    (ans = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_u32(req, (uint32_t)ex->kind)) != 0 ||
	    (r = qssh_buf_put_cstring(
		 req, ex->command == NULL ? "" : ex->command)) != 0 ||
	    (r = qssh_buf_put_bool(req, ex->pty)) != 0 ||
	    (r = qssh_buf_put_cstring(req, ex->term == NULL ? "" : ex->term)) !=
		0 ||
	    (r = qssh_buf_put_u32(req, ex->cols)) != 0 ||
	    (r = qssh_buf_put_u32(req, ex->rows)) != 0 ||
	    (r = qssh_buf_put_u32(req, ex->width_px)) != 0 ||
	    (r = qssh_buf_put_u32(req, ex->height_px)) != 0 ||
	    (r = qssh_buf_put_string(req, ex->modes, ex->modes_len)) != 0 ||
	    (r = qssh_buf_put_u32(req, (uint32_t)ex->num_env)) != 0)
		goto out;
	for (i = 0; i < ex->num_env; i++) {
		if ((r = qssh_buf_put_cstring(req, ex->env[i])) != 0)
			goto out;
	}
	if ((r = mon_call(fd, req, MONITOR_ANS_SESSION_EXEC, ans, &got)) != 0)
		goto out;
	r = get_status_fd(ans, &got, id, session_fd);
out:
	if (got != -1)
		close(got);
	qssh_buf_free(req);
	qssh_buf_free(ans);
	return r;
}

int
monitor_req_session_fd(int fd, uint32_t id, uint32_t which, int *out_fd)
{
	struct qssh_buf *req = NULL, *ans = NULL;
	int got = -1, r = QSSH_ERR_INTERNAL;

	*out_fd = -1;
	if ((req = req_new(MONITOR_REQ_SESSION_FD)) == NULL ||
	    (ans = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_u32(req, id)) != 0 ||
	    (r = qssh_buf_put_u32(req, which)) != 0)
		goto out;
	if ((r = mon_call(fd, req, MONITOR_ANS_SESSION_FD, ans, &got)) != 0)
		goto out;
	r = get_status_fd(ans, &got, NULL, out_fd);
out:
	if (got != -1)
		close(got);
	qssh_buf_free(req);
	qssh_buf_free(ans);
	return r;
}

int
monitor_req_session_signal(int fd, uint32_t id, const char *sig)
{
	struct qssh_buf *req = NULL, *ans = NULL;
	uint32_t status;
	int r = QSSH_ERR_INTERNAL;

	if ((req = req_new(MONITOR_REQ_SESSION_SIGNAL)) == NULL ||
	    (ans = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_u32(req, id)) != 0 ||
	    (r = qssh_buf_put_cstring(req, sig)) != 0)
		goto out;
	if ((r = mon_call(fd, req, MONITOR_ANS_SESSION_SIGNAL, ans, NULL)) != 0)
		goto out;
	if ((r = qssh_buf_get_u32(ans, &status)) != 0)
		goto out;
	if (qssh_buf_len(ans) != 0) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	r = status == 0 ? 0 : QSSH_ERR_ACCESS;
out:
	qssh_buf_free(req);
	qssh_buf_free(ans);
	return r;
}

int
monitor_req_kbdint(int fd, bool start, bool cancel, uint32_t n,
    char *const *answers, uint32_t *status, struct qssh_buf *info)
{
	struct qssh_buf *req = NULL, *ans = NULL;
	struct qssh_view v;
	uint32_t i;
	int r = QSSH_ERR_INTERNAL;

	*status = MONITOR_KBDINT_FAILURE;
	if ((req = req_new(start ? MONITOR_REQ_KBDINT_START
				 : MONITOR_REQ_KBDINT_RESPOND)) == NULL ||
	    (ans = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if (!start) {
		if ((r = qssh_buf_put_bool(req, cancel)) != 0 ||
		    (r = qssh_buf_put_u32(req, cancel ? 0 : n)) != 0)
			goto out;
		for (i = 0; !cancel && i < n; i++) {
			if ((r = qssh_buf_put_cstring(req, answers[i])) != 0)
				goto out;
		}
	}
	if ((r = mon_call(fd, req,
		 start ? MONITOR_ANS_KBDINT_START : MONITOR_ANS_KBDINT_RESPOND,
		 ans, NULL)) != 0 ||
	    (r = qssh_buf_get_u32(ans, status)) != 0)
		goto out;
	if (*status == MONITOR_KBDINT_PROMPT) {
		if ((r = qssh_buf_get_string_view(ans, &v)) != 0 ||
		    (r = qssh_buf_put(info, v.p, v.len)) != 0)
			goto out;
	} else if (*status != MONITOR_KBDINT_SUCCESS &&
	    *status != MONITOR_KBDINT_FAILURE) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	r = qssh_buf_len(ans) == 0 ? 0 : QSSH_ERR_INVALID_FORMAT;
out:
	qssh_buf_free(req); /* wipes the answers */
	qssh_buf_free(ans);
	return r;
}
