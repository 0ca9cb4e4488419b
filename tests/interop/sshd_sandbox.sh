#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The per-connection control process of qsshd stays sandboxed during a
# session: seccomp filter mode, no_new_privs, the privilege separation user
# and the chroot; so does the dataplane process.  The control process has
# no TCP socket: the connection's socket is the dataplane's.
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

# Inodes of the TCP sockets of a process.
tcp_inodes() {
	local p=$1 f l
	for f in /proc/$p/fd/*; do
		l=$(readlink "$f" 2>/dev/null) || continue
		case $l in socket:*) l=${l#socket:[}; echo "${l%]}" ;; esac
	done | while read -r ino; do
		awk -v i="$ino" 'NR > 1 && $10 == i { print i }' /proc/net/tcp /proc/net/tcp6
	done
}
if [ -n "$pid" ] && [ -r /proc/$pid/status ]; then
	[ -z "$(tcp_inodes "$pid")" ] && ok "control process has no TCP socket" ||
		fail "control process holds a TCP socket"
fi
dpid=$(tr -d '\r' <"$T/log" | sed -n 's/^debug1: dataplane process \([0-9]*\):.*/\1/p' | tail -1)
if [ -z "$dpid" ] || [ ! -r /proc/$dpid/status ]; then
	fail "dataplane process not found ($dpid)"
else
	st=/proc/$dpid/status
	grep -Eq '^Seccomp:[[:space:]]+2$' $st && ok "dataplane: seccomp filter" || fail "dataplane Seccomp: $(grep Seccomp: $st)"
	grep -Eq '^NoNewPrivs:[[:space:]]+1$' $st && ok "dataplane: no_new_privs" || fail "dataplane NoNewPrivs: $(grep NoNewPrivs $st)"
	uid=$(id -u sshd)
	grep -Eq "^Uid:[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid$" $st &&
		ok "dataplane: privsep uid" || fail "dataplane Uid: $(grep Uid: $st)"
	root=$(readlink /proc/$dpid/root)
	[ "$root" = /run/sshd ] && ok "dataplane: chroot /run/sshd" || fail "dataplane root is $root"
	[ -n "$(tcp_inodes "$dpid")" ] && ok "dataplane holds the connection" ||
		fail "dataplane has no TCP socket"
fi
wait $spid || fail "session through the sandboxed process failed"
finish
