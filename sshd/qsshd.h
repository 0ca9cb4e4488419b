/* SPDX-License-Identifier: BSD-2-Clause */
/* qsshd internals shared by the listener, monitor and control process. */
#ifndef QSSHD_H
#define QSSHD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "control/monitor.h"
#include "control/servconf.h"

struct key;

#define QSSHD_VERSION "SSH-2.0-qssh_0.1"
#define QSSHD_MAX_HOSTKEYS 16
/* RLIMIT_NOFILE of the sandboxed control process (whole connection). */
#define QSSHD_CHILD_NOFILE 64

struct qsshd {
	struct servconf *cfg; /* global configuration */
	const char *config_file;
	char **argv; /* for re-exec on SIGHUP */
	int debug; /* number of -d */
	bool inetd;
	bool privileged; /* running as root */
	/* Host keys (private) and their public blobs. */
	struct key *host_keys[QSSHD_MAX_HOSTKEYS];
	struct qssh_buf *host_blobs[QSSHD_MAX_HOSTKEYS];
	size_t num_host_keys;
	uint8_t fake_secret[MONITOR_FAKE_SECRET_LEN];
};

/* One accepted connection. */
struct qsshd_peer {
	int in_fd, out_fd;
	char addr[64];
	int port;
	char laddr[64];
	int lport;
	/* write end closed when authenticated (MaxStartups), or -1 */
	int startup_fd;
	/* in_fd is the control end of a relay to the dataplane process */
	bool relayed;
};

/* The per-connection monitor (forks the control process); exit status. */
int qsshd_connection(struct qsshd *d, struct qsshd_peer *peer);
/* The sandboxed control process (never returns). */
void qsshd_control(struct qsshd *d, const struct qsshd_peer *peer,
    const struct servconf *cfg, int mon_fd) __attribute__((noreturn));

/*
 * The dataplane process (qsshd_dataplane.c): its main loop, serving the
 * connections the listener hands over on ctl_fd (never returns), and the
 * listener's hand-over of one connection: *relay is the control end.
 */
void
qsshd_dataplane_main(struct qsshd *d, int ctl_fd) __attribute__((noreturn));
int qsshd_dataplane_handoff(int dp_fd, int net_in, int net_out,
    const struct qsshd_peer *peer, int *relay);

/* Passwords: PAM or shadow+crypt.  0 accepted. */
struct qsshd_pam;
int qsshd_pam_password(struct qsshd_pam **pamp, const struct servconf *cfg,
    const char *user, bool valid, const char *rhost, const char *password);
/*
 * keyboard-interactive through PAM's conversation (pam_authenticate,
 * pam_acct_mgmt and, for an expired password of an allowed user,
 * pam_chauthtok).  0 passed.
 */
int qsshd_pam_kbdint(struct qsshd_pam **pamp, const struct servconf *cfg,
    const char *user, bool allowed, const char *rhost,
    struct monitor_kbdint *q);
/* PAM handle and account check for a user authenticated otherwise. */
int
qsshd_pam_account(struct qsshd_pam **pamp, const char *user, const char *rhost);
int qsshd_pam_open_session(struct qsshd_pam *pam, const char *tty);
/* PAM environment ("NAME=value" list, NULL terminated, heap) or NULL. */
char **qsshd_pam_env(struct qsshd_pam *pam);
void qsshd_pam_end(struct qsshd_pam *pam);

/* Login records and the rest of a login (qsshd_login.c). */
void qsshd_login_record(
    const char *user, uid_t uid, pid_t pid, const char *tty, const char *host);
void qsshd_login_logout(pid_t pid, const char *tty);
/* "Last login: ... from ...\n", or "" if never. */
void qsshd_lastlog_message(uid_t uid, char *buf, size_t len);
void qsshd_print_motd(void);
/* ~/.ssh/rc (if user_rc) or else /etc/ssh/sshrc, from the home directory. */
void qsshd_run_rc(const char *shell, bool user_rc);
/*
 * ChrootDirectory: OpenSSH's checks of every component (logged, in the
 * monitor), then the chroot itself in the session process.
 */
int qsshd_chroot_check(const char *dir);
int qsshd_chroot(const char *dir);

#endif
