/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pre-authentication sandbox: chroot, privilege drop, limits, seccomp.
 * The order and the checks are described in control/privsep.h.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "control/privsep.h"

int
privsep_check_chroot_dir(const char *path)
{
	struct stat st;

	if (path == NULL || path[0] != '/') {
		qlog_error("Privilege separation directory must be an absolute "
			   "path: %s",
		    path == NULL ? "(null)" : path);
		return QSSH_ERR_INVALID_ARGUMENT;
	}
	if (stat(path, &st) == -1) {
		if (errno == ENOENT) {
			qlog_error(
			    "Missing privilege separation directory: %s", path);
			return QSSH_ERR_NOT_FOUND;
		}
		qlog_error("Cannot stat privilege separation directory %s: %s",
		    path, strerror(errno));
		return QSSH_ERR_SYSTEM;
	}
	if (!S_ISDIR(st.st_mode)) {
		qlog_error(
		    "Privilege separation path %s is not a directory", path);
		return QSSH_ERR_ACCESS;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		qlog_error("Privilege separation directory %s must be owned by "
			   "root and not group or world-writable",
		    path);
		return QSSH_ERR_ACCESS;
	}
	return 0;
}

/* Copy of the privsep user's ids, taken before the chroot hides passwd. */
struct privsep_ids {
	uid_t uid;
	gid_t gid;
};

static int
lookup_user(const char *user, struct privsep_ids *ids)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL;
	long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	int e, r = QSSH_ERR_INTERNAL;

	if (sz < 1024)
		sz = 16384;
	if ((buf = malloc((size_t)sz)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	e = getpwnam_r(user, &pw, buf, (size_t)sz, &res);
	if (e != 0 || res == NULL) {
		qlog_error("Privilege separation user %s does not exist", user);
		r = QSSH_ERR_NOT_FOUND;
		goto out;
	}
	if (pw.pw_uid == 0 || pw.pw_gid == 0) {
		qlog_error(
		    "Privilege separation user %s must not be root or in "
		    "group root",
		    user);
		r = QSSH_ERR_ACCESS;
		goto out;
	}
	ids->uid = pw.pw_uid;
	ids->gid = pw.pw_gid;
	r = 0;
out:
	free(buf);
	return r;
}

static int
enter_chroot(const char *dir)
{
	struct stat before, after;

	if (stat(dir, &before) == -1) {
		qlog_error("privsep: stat %s: %s", dir, strerror(errno));
		return QSSH_ERR_SYSTEM;
	}
	if (chroot(dir) == -1) {
		qlog_error("privsep: chroot(\"%s\"): %s", dir, strerror(errno));
		return QSSH_ERR_SYSTEM;
	}
	if (chdir("/") == -1) {
		qlog_error("privsep: chdir(\"/\"): %s", strerror(errno));
		return QSSH_ERR_SYSTEM;
	}
	if (stat("/", &after) == -1 || after.st_dev != before.st_dev ||
	    after.st_ino != before.st_ino) {
		qlog_error("privsep: root is not %s after chroot", dir);
		return QSSH_ERR_SYSTEM;
	}
	return 0;
}

static int
drop_privileges(const struct privsep_ids *ids)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setgroups(0, NULL) == -1) {
		qlog_error("privsep: setgroups: %s", strerror(errno));
		return QSSH_ERR_SYSTEM;
	}
	if (setresgid(ids->gid, ids->gid, ids->gid) == -1) {
		qlog_error("privsep: setresgid %u: %s", (unsigned)ids->gid,
		    strerror(errno));
		return QSSH_ERR_SYSTEM;
	}
	if (setresuid(ids->uid, ids->uid, ids->uid) == -1) {
		qlog_error("privsep: setresuid %u: %s", (unsigned)ids->uid,
		    strerror(errno));
		return QSSH_ERR_SYSTEM;
	}
	/* The drop must be complete and permanent. */
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != ids->uid || eu != ids->uid || su != ids->uid ||
	    rg != ids->gid || eg != ids->gid || sg != ids->gid ||
	    getgroups(0, NULL) != 0) {
		qlog_error("privsep: credentials not as requested after drop");
		return QSSH_ERR_ACCESS;
	}
	if (setuid(0) != -1 || seteuid(0) != -1) {
		qlog_error("privsep: was able to restore uid 0");
		return QSSH_ERR_ACCESS;
	}
	if (setgid(0) != -1 || setegid(0) != -1) {
		qlog_error("privsep: was able to restore gid 0");
		return QSSH_ERR_ACCESS;
	}
	return 0;
}

static int
set_limit(int resource, const char *name, rlim_t v)
{
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = v;
	if (setrlimit(resource, &rl) == -1) {
		qlog_error("privsep: setrlimit(%s): %s", name, strerror(errno));
		return QSSH_ERR_SYSTEM;
	}
	return 0;
}

static int
set_limits(unsigned nofile, bool keep_fsize)
{
	int r;

	if ((!keep_fsize &&
		(r = set_limit(RLIMIT_FSIZE, "RLIMIT_FSIZE", 0)) != 0) ||
	    (r = set_limit(RLIMIT_NPROC, "RLIMIT_NPROC", 0)) != 0 ||
	    (r = set_limit(RLIMIT_CORE, "RLIMIT_CORE", 0)) != 0 ||
	    (r = set_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", nofile)) != 0)
		return r;
	return 0;
}

static int
set_prctls(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		qlog_error(
		    "privsep: prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return QSSH_ERR_SYSTEM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		qlog_error(
		    "privsep: prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return QSSH_ERR_SYSTEM;
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
	    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
		qlog_error("privsep: no_new_privs or dumpable not in effect");
		return QSSH_ERR_SYSTEM;
	}
	return 0;
}

int
privsep_sandbox_apply(const struct privsep_sandbox_opts *opts)
{
	const char *user = PRIVSEP_DEFAULT_USER;
	const char *dir = PRIVSEP_DEFAULT_CHROOT;
	unsigned nofile = PRIVSEP_DEFAULT_NOFILE;
	struct privsep_ids ids;
	int r;

	if (opts != NULL) {
		if (opts->user != NULL)
			user = opts->user;
		if (opts->chroot_dir != NULL)
			dir = opts->chroot_dir;
		if (opts->nofile != 0)
			nofile = opts->nofile;
	}
	if (!privsep_seccomp_supported()) {
		qlog_error("privsep: no seccomp filter for this architecture");
		return QSSH_ERR_NOT_SUPPORTED;
	}
	if (geteuid() != 0) {
		qlog_error("privsep: the sandbox must be entered as root");
		return QSSH_ERR_ACCESS;
	}
	if ((r = lookup_user(user, &ids)) != 0)
		return r;
	if ((r = privsep_check_chroot_dir(dir)) != 0)
		return r;
	if ((r = enter_chroot(dir)) != 0)
		return r;
	if ((r = drop_privileges(&ids)) != 0)
		return r;
	if ((r = set_limits(nofile, opts != NULL && opts->keep_fsize)) != 0)
		return r;
	if ((r = set_prctls()) != 0)
		return r;
	return privsep_seccomp_install();
}
