/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_relay_records: arbitrary records from a control process into a
 * dataplane engine's connection (fastpath.h), with the peer's bytes
 * beside them.  Input:
 *
 *   byte    flags: bit 0 sends two socketpairs' descriptors with the
 *           first relay bytes (for RELAY_APP_BIND)
 *   uint16  length of the relay part
 *   byte[]  relay part (records)
 *   byte[]  network part (the peer's identification and packets)
 *
 * Both parts go in in a few pieces, the engine running in between.  No
 * crash, no leak (memory: the sanitizer; descriptors: counted here).
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "dataplane/fastpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PIECES 4

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Write what the socket takes now; the rest is dropped. */
static void
put(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void
put_fds(int fd, const uint8_t *p, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(4 * sizeof(int))];
	} cbuf;
	struct cmsghdr *cm;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.b;
	mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0 && (size_t)n < len)
		put(fd, p + n, len - (size_t)n);
}

/* Read and drop what the engine sent. */
static void
drain(int fd)
{
	uint8_t buf[16384];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;
	struct fp_config cfg;
	struct fp_engine *e;
	const uint8_t *rel, *net;
	size_t rlen, nlen, i, a, b;
	int netp[2], relp[2], s1[2], s2[2], fds[2], before, err;
	uint8_t flags;

	if (!once) {
		once = true;
		(void)signal(SIGPIPE, SIG_IGN);
		qssh_log_set_level(QSSH_LOG_QUIET);
	}
	if (size < 3)
		return 0;
	flags = data[0];
	rlen = (size_t)data[1] << 8 | data[2];
	data += 3;
	size -= 3;
	if (rlen > size)
		rlen = size;
	rel = data;
	net = data + rlen;
	nlen = size - rlen;

	before = count_fds();
	memset(&cfg, 0, sizeof(cfg));
	cfg.backend = CRYP_BACKEND_OPENSSL;
	cfg.window = 64 * 1024;
	if ((e = fp_engine_new(&cfg, &err)) == NULL)
		abort();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, netp) != 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, relp) != 0)
		abort();
	if (fp_engine_add(e, netp[0], netp[0], relp[0], "fuzz", 1) != 0)
		abort();
	for (i = 0; i < PIECES; i++) {
		a = rlen * i / PIECES;
		b = rlen * (i + 1) / PIECES;
		if (i == 0 && (flags & 1) != 0 && b > a) {
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				s1) != 0 ||
			    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				s2) != 0)
				abort();
			fds[0] = s1[0];
			fds[1] = s2[0];
			put_fds(relp[1], rel + a, b - a, fds, 2);
			close(s1[0]);
			close(s1[1]);
			close(s2[0]);
			close(s2[1]);
		} else
			put(relp[1], rel + a, b - a);
		(void)fp_engine_run(e, 0);
		put(netp[1], net + nlen * i / PIECES,
		    nlen * (i + 1) / PIECES - nlen * i / PIECES);
		(void)fp_engine_run(e, 0);
		(void)fp_engine_run(e, 0);
		drain(relp[1]);
		drain(netp[1]);
	}
	fp_engine_free(e);
	close(netp[1]);
	close(relp[1]);
	if (count_fds() != before)
		abort();
	return 0;
}
