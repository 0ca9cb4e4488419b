/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "drivers/sock.h"

int
sock_set_nonblock(int fd, bool on)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return QSSH_ERR_SYSTEM;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	if (fcntl(fd, F_SETFL, fl) == -1)
		return QSSH_ERR_SYSTEM;
	return 0;
}

int
sock_set_tcp_opts(int fd, bool keepalive)
{
	int on = 1, ka = keepalive ? 1 : 0;

	/* Ignore failures on non-TCP fds (inetd mode on a pipe). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &ka, sizeof(ka));
	return 0;
}

int
sock_listen_tcp(
    const char *host, const char *port, int family, int backlog, int *fd_out)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, on = 1, r = QSSH_ERR_SYSTEM;

	*fd_out = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return QSSH_ERR_INVALID_ARGUMENT;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (ai->ai_family == AF_INET6)
			(void)setsockopt(
			    fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0) {
			*fd_out = fd;
			r = 0;
			break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return r;
}

int
sock_connect_tcp(
    const char *host, const char *port, int family, int timeout_ms, int *fd_out)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct pollfd pfd;
	socklen_t sl;
	int fd = -1, r = QSSH_ERR_SYSTEM, err, saved = 0;

	*fd_out = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return QSSH_ERR_NOT_FOUND;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		if (timeout_ms > 0)
			(void)sock_set_nonblock(fd, true);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			goto ok;
		if (timeout_ms > 0 && errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, timeout_ms) == 1) {
				sl = sizeof(err);
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
					&sl) == 0 &&
				    err == 0)
					goto ok;
				saved = err;
			} else {
				saved = ETIMEDOUT;
			}
		} else {
			saved = errno;
		}
		close(fd);
		fd = -1;
		continue;
ok:
		if (timeout_ms > 0)
			(void)sock_set_nonblock(fd, false);
		*fd_out = fd;
		r = 0;
		break;
	}
	freeaddrinfo(res);
	if (r != 0)
		errno = saved;
	if (r != 0 && saved == ETIMEDOUT)
		r = QSSH_ERR_TIMEOUT;
	return r;
}

static int
sock_name(int fd, bool peer, char *addr, size_t addrlen, int *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char serv[16];

	memset(&ss, 0, sizeof(ss));
	if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &sl)
		  : getsockname(fd, (struct sockaddr *)&ss, &sl)) != 0)
		return QSSH_ERR_SYSTEM;
	if (getnameinfo((struct sockaddr *)&ss, sl, addr, (socklen_t)addrlen,
		serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return QSSH_ERR_SYSTEM;
	/* Show IPv4-mapped IPv6 addresses as plain IPv4, as sshd does. */
	if (strncmp(addr, "::ffff:", 7) == 0 && strchr(addr + 7, ':') == NULL)
		memmove(addr, addr + 7, strlen(addr + 7) + 1);
	*port = atoi(serv);
	return 0;
}

int
sock_peer_name(int fd, char *addr, size_t addrlen, int *port)
{
	return sock_name(fd, true, addr, addrlen, port);
}

int
sock_local_name(int fd, char *addr, size_t addrlen, int *port)
{
	return sock_name(fd, false, addr, addrlen, port);
}

int
sock_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return errno == EPIPE ? QSSH_ERR_CONN_CLOSED
					      : QSSH_ERR_SYSTEM;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t
sock_sendmsg_fds(
    int fd, const struct iovec *iov, size_t iovcnt, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(SOCK_FDS_MAX * sizeof(int))];
	} ctl;
	struct cmsghdr *cm;
	struct msghdr mh;
	ssize_t n;

	if (nfds > SOCK_FDS_MAX || (nfds > 0 && fds == NULL)) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = (struct iovec *)(uintptr_t)iov;
	mh.msg_iovlen = iovcnt;
	if (nfds > 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n;
}

ssize_t
sock_recvmsg_fds(int fd, void *buf, size_t len, int *fds, size_t max,
    size_t *nfds, bool *lost)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(SOCK_FDS_MAX * sizeof(int))];
	} ctl;
	struct cmsghdr *cm;
	struct msghdr mh;
	struct iovec iov;
	size_t i, cnt;
	ssize_t n;
	int v;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((mh.msg_flags & MSG_CTRUNC) != 0)
		*lost = true;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len < CMSG_LEN(0))
			continue;
		cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < cnt; i++) {
			memcpy(
			    &v, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*nfds < max)
				fds[(*nfds)++] = v;
			else {
				close(v);
				*lost = true;
			}
		}
	}
	return n;
}
