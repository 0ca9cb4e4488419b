/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seccomp-BPF allow-list of the pre-authentication process.
 *
 * The policy is a table of rules, one per system call, compiled into a
 * classic BPF program at run time:
 *
 *   - the architecture is checked first: a foreign ABI (x32, i386 on
 *     x86-64, arm32 on arm64) kills the process;
 *   - each rule is "if nr == N then <body>", and every body ends in a
 *     return, so the accumulator still holds the number when a rule does not
 *     match and the chain needs no reloads;
 *   - no rule matched: SECCOMP_RET_KILL_PROCESS.
 *
 * Bodies are ALLOW, ERRNO(e) or an argument check.  The list is what the
 * pre-auth code needs: I/O and polling on descriptors it already holds
 * (version exchange, packets, the monitor and dataplane sockets), the clock,
 * getrandom(2) for OpenSSL, and memory management without PROT_EXEC.
 *
 * A few calls fail with an errno instead of killing, because libc and
 * OpenSSL may try them on harmless paths and cope with failure:
 *   - open/openat: EACCES (OpenSSL config, /dev/urandom fallbacks, locale
 *     and time zone files); the process is in an empty chroot anyway;
 *   - ioctl: ENOTTY (isatty() from stdio when logging to a descriptor),
 *     except TIOCSWINSZ, which the post-auth process needs for
 *     window-change on a pty master it received from the monitor;
 *   - madvise with an unlisted advice, fcntl with an unlisted command:
 *     EINVAL.
 * Everything that creates descriptors or processes (socket, pipe, clone,
 * fork, execve), talks to other processes (ptrace, kill) or changes
 * credentials is absent and therefore fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/privsep.h"

#if defined(__x86_64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#define SB_AUDIT_ARCH 0
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SB_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#define SB_ARG_HI(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define SB_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define SB_ARG_HI(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif

enum sb_kind {
	SB_ALLOW = 0,
	SB_ERRNO, /* fail with err */
	SB_ARG_NOBITS, /* allow if (arg & mask) == 0, else fail with err/kill */
	SB_ARG_ONEOF, /* allow if arg is one of vals, else fail with err/kill */
};

#define SB_MAX_VALS 6

struct sb_rule {
	long nr;
	enum sb_kind kind;
	unsigned arg; /* argument index for the SB_ARG_* kinds */
	uint32_t err; /* errno; for argument checks 0 means kill */
	uint32_t mask;
	size_t num_vals;
	uint32_t vals[SB_MAX_VALS];
};

#define R_ALLOW(n)                         \
	{                                  \
		(n), SB_ALLOW, 0, 0, 0, 0, \
		{                          \
			0                  \
		}                          \
	}
#define R_ERRNO(n, e)                        \
	{                                    \
		(n), SB_ERRNO, 0, (e), 0, 0, \
		{                            \
			0                    \
		}                            \
	}

static const struct sb_rule sb_rules[] = {
	/* I/O on descriptors opened before the sandbox */
	R_ALLOW(__NR_read),
	R_ALLOW(__NR_write),
	R_ALLOW(__NR_readv),
	R_ALLOW(__NR_writev),
	R_ALLOW(__NR_sendmsg),
	R_ALLOW(__NR_recvmsg),
	R_ALLOW(__NR_sendto),
	R_ALLOW(__NR_recvfrom),
	R_ALLOW(__NR_close),
	R_ALLOW(__NR_shutdown),
	R_ALLOW(__NR_getsockname),
	R_ALLOW(__NR_getpeername),
	/* TCP_INFO and the like of a connection's own socket (the
	 * dataplane reads the round trip); other levels fail EPERM. */
	{ __NR_getsockopt, SB_ARG_ONEOF, 1, EPERM, 0, 1, { IPPROTO_TCP } },
	R_ALLOW(__NR_fstat),
	R_ALLOW(__NR_newfstatat),
	{ __NR_fcntl, SB_ARG_ONEOF, 1, EINVAL, 0, 4,
	    { F_GETFL, F_SETFL, F_GETFD, F_SETFD } },
/* waiting */
#ifdef __NR_poll
	R_ALLOW(__NR_poll),
#endif
	R_ALLOW(__NR_ppoll),
#ifdef __NR_select
	R_ALLOW(__NR_select),
#endif
	R_ALLOW(__NR_pselect6),
#ifdef __NR_epoll_wait
	R_ALLOW(__NR_epoll_wait),
#endif
	R_ALLOW(__NR_epoll_pwait),
#ifdef __NR_epoll_pwait2
	R_ALLOW(__NR_epoll_pwait2),
#endif
	R_ALLOW(__NR_epoll_ctl),
	R_ALLOW(__NR_nanosleep),
	R_ALLOW(__NR_clock_nanosleep),
	R_ALLOW(__NR_restart_syscall),
	R_ALLOW(__NR_sched_yield),
	/* time, identity, randomness */
	R_ALLOW(__NR_clock_gettime),
	R_ALLOW(__NR_clock_getres),
	R_ALLOW(__NR_gettimeofday),
#ifdef __NR_time
	R_ALLOW(__NR_time),
#endif
	R_ALLOW(__NR_getpid),
	R_ALLOW(__NR_gettid),
	R_ALLOW(__NR_getuid),
	R_ALLOW(__NR_geteuid),
	R_ALLOW(__NR_getgid),
	R_ALLOW(__NR_getegid),
	R_ALLOW(__NR_getrandom),
	/* signals and exit */
	R_ALLOW(__NR_rt_sigreturn),
	R_ALLOW(__NR_rt_sigprocmask),
	/* own stack only; sanitizers query it on noreturn paths */
	R_ALLOW(__NR_sigaltstack),
	R_ALLOW(__NR_exit),
	R_ALLOW(__NR_exit_group),
	/* memory, never executable */
	R_ALLOW(__NR_brk),
	{ __NR_mmap, SB_ARG_NOBITS, 2, 0,
	    (uint32_t) ~(uint32_t)(PROT_READ | PROT_WRITE), 0, { 0 } },
	{ __NR_mprotect, SB_ARG_NOBITS, 2, 0,
	    (uint32_t) ~(uint32_t)(PROT_READ | PROT_WRITE), 0, { 0 } },
	R_ALLOW(__NR_munmap),
	R_ALLOW(__NR_mremap),
	{ __NR_madvise, SB_ARG_ONEOF, 2, EINVAL, 0, 5,
	    { MADV_NORMAL, MADV_DONTNEED, MADV_FREE, MADV_DONTDUMP,
		MADV_WILLNEED } },
	R_ALLOW(__NR_futex),
/* harmless failures (see the comment at the top) */
#ifdef __NR_open
	R_ERRNO(__NR_open, EACCES),
#endif
	R_ERRNO(__NR_openat, EACCES),
	/*
	 * ioctl: only TIOCSWINSZ (window-change on a session's pty master,
	 * which the post-auth process holds); anything else fails ENOTTY.
	 */
	{ __NR_ioctl, SB_ARG_ONEOF, 1, ENOTTY, 0, 1, { TIOCSWINSZ } },
};

/* Worst case: 4 header + per rule 1 compare + 2 + 3 * num_vals + 2 + 1. */
#define SB_PROG_MAX 512

struct sb_prog {
	struct sock_filter insn[SB_PROG_MAX];
	size_t len;
	bool overflow;
};

static void
sb_emit(struct sb_prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	struct sock_filter f = { code, jt, jf, k };

	if (p->len >= SB_PROG_MAX) {
		p->overflow = true;
		return;
	}
	p->insn[p->len++] = f;
}

static uint32_t
sb_fail_action(const struct sb_rule *r)
{
	if (r->err == 0)
		return SECCOMP_RET_KILL_PROCESS;
	return SECCOMP_RET_ERRNO | (r->err & SECCOMP_RET_DATA);
}

/* Number of instructions the body of r takes (after the nr compare). */
static size_t
sb_body_len(const struct sb_rule *r)
{
	switch (r->kind) {
	case SB_ALLOW:
	case SB_ERRNO:
		return 1;
	case SB_ARG_NOBITS:
		/* ld hi; jeq 0; ld lo; jset mask; ret allow; ret fail */
		return 6;
	case SB_ARG_ONEOF:
		/* ld hi; jeq 0; ld lo; jeq v (n); ret fail; ret allow */
		return 3 + r->num_vals + 2;
	}
	return 0;
}

static void
sb_emit_body(struct sb_prog *p, const struct sb_rule *r)
{
	uint32_t fail = sb_fail_action(r);
	size_t i, n;

	switch (r->kind) {
	case SB_ALLOW:
		sb_emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
		break;
	case SB_ERRNO:
		sb_emit(p, BPF_RET | BPF_K, 0, 0,
		    SECCOMP_RET_ERRNO | (r->err & SECCOMP_RET_DATA));
		break;
	case SB_ARG_NOBITS:
		sb_emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0,
		    (uint32_t)SB_ARG_HI(r->arg));
		sb_emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0);
		sb_emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0,
		    (uint32_t)SB_ARG_LO(r->arg));
		sb_emit(p, BPF_JMP | BPF_JSET | BPF_K, 1, 0, r->mask);
		sb_emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
		sb_emit(p, BPF_RET | BPF_K, 0, 0, fail);
		break;
	case SB_ARG_ONEOF:
		n = r->num_vals;
		sb_emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0,
		    (uint32_t)SB_ARG_HI(r->arg));
		/* not zero: skip the low load and the value compares */
		sb_emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(n + 1), 0);
		sb_emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0,
		    (uint32_t)SB_ARG_LO(r->arg));
		for (i = 0; i < n; i++) {
			/* match: jump over the rest and the fail return */
			sb_emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(n - i),
			    0, r->vals[i]);
		}
		sb_emit(p, BPF_RET | BPF_K, 0, 0, fail);
		sb_emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
		break;
	}
}

static int
sb_compile(struct sb_prog *p)
{
	size_t i, body;

	p->len = 0;
	p->overflow = false;
	/* architecture, then the syscall number stays in A */
	sb_emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0,
	    (uint32_t)offsetof(struct seccomp_data, arch));
	sb_emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SB_AUDIT_ARCH);
	sb_emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	sb_emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0,
	    (uint32_t)offsetof(struct seccomp_data, nr));
	for (i = 0; i < QSSH_ARRAY_LEN(sb_rules); i++) {
		const struct sb_rule *r = &sb_rules[i];

		body = sb_body_len(r);
		if (body == 0 || body > 255 || r->num_vals > SB_MAX_VALS)
			return QSSH_ERR_INTERNAL;
		sb_emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)body,
		    (uint32_t)r->nr);
		sb_emit_body(p, r);
	}
	sb_emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	if (p->overflow)
		return QSSH_ERR_INTERNAL;
	return 0;
}

bool
privsep_seccomp_supported(void)
{
	return SB_AUDIT_ARCH != 0;
}

int
privsep_seccomp_install(void)
{
	static struct sb_prog prog;
	struct sock_fprog fprog;
	int r;

	if (!privsep_seccomp_supported()) {
		qlog_error("privsep: no seccomp filter for this architecture");
		return QSSH_ERR_NOT_SUPPORTED;
	}
	if ((r = sb_compile(&prog)) != 0) {
		qlog_error("privsep: seccomp filter does not compile");
		return r;
	}
	memset(&fprog, 0, sizeof(fprog));
	fprog.len = (unsigned short)prog.len;
	fprog.filter = prog.insn;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == -1) {
		qlog_error(
		    "privsep: prctl(PR_SET_SECCOMP): %s", strerror(errno));
		return QSSH_ERR_SYSTEM;
	}
	return 0;
}
