#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The per-connection control process of qsshd stays sandboxed during a
# session: seccomp filter mode, no_new_privs, the privilege separation user
# and the chroot.
QSSHD=$1
. "$(dirname "$0")/sshd_lib.sh"

getent passwd sshd >/dev/null || { echo "skip: no sshd user"; exit 77; }
LOGLEVEL=DEBUG1 write_config
start_qsshd

qssh ed25519 'sleep 5' &
spid=$!
wait_log "control process " || fail "no control process line"
sleep 1
pid=$(tr -d '\r' <"$T/log" | sed -n 's/^debug1: control process \([0-9]*\) sandboxed.*/\1/p' | tail -1)
if [ -z "$pid" ] || [ ! -r /proc/$pid/status ]; then
	fail "control process not found ($pid)"
else
	st=/proc/$pid/status
	grep -Eq '^Seccomp:[[:space:]]+2$' $st && ok "seccomp filter" || fail "Seccomp: $(grep Seccomp: $st)"
	grep -Eq '^NoNewPrivs:[[:space:]]+1$' $st && ok "no_new_privs" || fail "NoNewPrivs: $(grep NoNewPrivs $st)"
	uid=$(id -u sshd)
	grep -Eq "^Uid:[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid$" $st &&
		ok "privsep uid" || fail "Uid: $(grep Uid: $st)"
	root=$(readlink /proc/$pid/root)
	[ "$root" = /run/sshd ] && ok "chroot /run/sshd" || fail "root is $root"
fi
wait $spid || fail "session through the sandboxed process failed"
finish
