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

#endif
