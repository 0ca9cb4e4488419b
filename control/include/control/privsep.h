/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pre-authentication sandbox of qsshd's per-connection control process.
 *
 * privsep_sandbox_apply() turns the calling (root, single-threaded) process
 * into an unprivileged prisoner, in this order:
 *
 *   1. look up the privilege separation user (default "sshd") and check the
 *      chroot directory (default /run/sshd): it must exist, be a directory
 *      owned by root and not writable by group or others;
 *   2. chroot(2) into it and chdir("/"), then check that "/" is that
 *      directory;
 *   3. setgroups(0), setresgid() and setresuid() to the privsep user, then
 *      check that the change cannot be undone (setuid(0) and setgid(0) fail);
 *   4. resource limits: RLIMIT_FSIZE 0, RLIMIT_NPROC 0, RLIMIT_CORE 0 and
 *      RLIMIT_NOFILE opts->nofile;
 *   5. PR_SET_DUMPABLE 0 and PR_SET_NO_NEW_PRIVS 1 (checked);
 *   6. a seccomp-BPF allow-list (see privsep_seccomp.c): anything not listed
 *      kills the whole process with SIGSYS.
 *
 * Nothing may be opened afterwards: logging must go to a descriptor opened
 * before (stderr, a log file) or through the monitor (monitor_log_hook()),
 * never to syslog(3), which would need socket(2).
 *
 * On error the process is in an unspecified, partially sandboxed state; the
 * caller must exit.
 */
#ifndef QSSH_CONTROL_PRIVSEP_H
#define QSSH_CONTROL_PRIVSEP_H

#include <stdbool.h>
#include <stddef.h>

#define PRIVSEP_DEFAULT_USER "sshd"
#define PRIVSEP_DEFAULT_CHROOT "/run/sshd"
/*
 * poll(2) fails with EINVAL when nfds exceeds RLIMIT_NOFILE, and the
 * pre-auth process polls on the client socket, the monitor socket and the
 * dataplane channel; seccomp already forbids creating descriptors.
 */
#define PRIVSEP_DEFAULT_NOFILE 4

struct privsep_sandbox_opts {
	const char *user; /* NULL: PRIVSEP_DEFAULT_USER */
	const char *chroot_dir; /* NULL: PRIVSEP_DEFAULT_CHROOT */
	unsigned nofile; /* RLIMIT_NOFILE; 0: PRIVSEP_DEFAULT_NOFILE */
	/*
	 * Leave RLIMIT_FSIZE alone: for a process that logs to an inherited
	 * stderr that may be a file (qsshd's dataplane with -E or -e).
	 */
	bool keep_fsize;
};

/*
 * Apply the whole sandbox (see above).  0, or QSSH_ERR_ACCESS (not root,
 * privsep user is root, bad chroot directory modes, the drop could be
 * undone), QSSH_ERR_NOT_FOUND (user or directory missing), QSSH_ERR_SYSTEM,
 * QSSH_ERR_NOT_SUPPORTED (no seccomp filter for this architecture).  Every
 * failure is logged with the reason.
 */
int privsep_sandbox_apply(const struct privsep_sandbox_opts *opts);

/*
 * Check a chroot directory like step 1 (for sshd -t as well): 0,
 * QSSH_ERR_NOT_FOUND or QSSH_ERR_ACCESS, logged.
 */
int privsep_check_chroot_dir(const char *path);

/* Only step 6: install the seccomp allow-list on the calling process. */
int privsep_seccomp_install(void);

/* Whether this build has a seccomp filter for the running architecture. */
bool privsep_seccomp_supported(void);

#endif
