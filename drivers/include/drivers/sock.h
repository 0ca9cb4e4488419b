/* SPDX-License-Identifier: BSD-2-Clause */
/* Kernel sockets: the embedded default I/O driver. */
#ifndef QSSH_DRIVERS_SOCK_H
#define QSSH_DRIVERS_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Listening TCP socket on host:port (host NULL = any); returns fd or err. */
int sock_listen_tcp(
    const char *host, const char *port, int family, int backlog, int *fd_out);
/* Connected TCP socket; timeout_ms 0 = none. */
int sock_connect_tcp(const char *host, const char *port, int family,
    int timeout_ms, int *fd_out);
int sock_set_nonblock(int fd, bool on);
/* TCP_NODELAY and optional SO_KEEPALIVE, as an interactive sshd sets them. */
int sock_set_tcp_opts(int fd, bool keepalive);
/* Numeric address and port of the peer / local end. */
int sock_peer_name(int fd, char *addr, size_t addrlen, int *port);
int sock_local_name(int fd, char *addr, size_t addrlen, int *port);
/* Write all of buf (blocking fd); QSSH_ERR_SYSTEM or QSSH_ERR_CONN_CLOSED. */
int sock_write_all(int fd, const void *buf, size_t len);

/* Descriptors one message may carry (sock_sendmsg_fds, sock_recvmsg_fds). */
#define SOCK_FDS_MAX 8

struct iovec;
/*
 * One sendmsg() of iov on a local socket with nfds descriptors attached
 * (SCM_RIGHTS, at most SOCK_FDS_MAX), MSG_NOSIGNAL, EINTR retried.
 * Bytes sent, or -1 with errno set.
 */
ssize_t sock_sendmsg_fds(int fd, const struct iovec *iov, size_t iovcnt,
    const int *fds, size_t nfds);
/*
 * One recvmsg() into buf.  Descriptors that came along (close-on-exec)
 * are appended to fds[*nfds..max); any beyond max are closed and, like
 * descriptors the kernel dropped (MSG_CTRUNC), make *lost true.  Bytes
 * read, 0 at end of file, or -1 with errno set (EINTR retried).
 */
ssize_t sock_recvmsg_fds(int fd, void *buf, size_t len, int *fds, size_t max,
    size_t *nfds, bool *lost);

#endif
