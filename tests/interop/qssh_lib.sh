# SPDX-License-Identifier: BSD-2-Clause
# Shared helpers for the qssh interop scripts (sourced, not run).
#
# qssh_setup creates a Unix user with a home and a password, host keys, an
# sshd_config and starts OpenSSH's sshd on a free port.  Everything is
# removed again by the EXIT trap.  Variables after qssh_setup:
#   QSSH      the client binary        SSHD_PORT  the port
#   T         scratch directory        TUSER      the test user
#   TPASS     its password             CFG        an ssh_config for the tests
#   KH        the known_hosts file CFG uses
# Run the client with: qc [flags] host command

fails=0
runs=0

say() { printf '%s\n' "$*"; }

fail() {
	say "FAIL: $*"
	fails=$((fails + 1))
}

ok() {
	runs=$((runs + 1))
	say "ok: $*"
}

check() { # description, then a command that must succeed
	local what=$1
	shift
	runs=$((runs + 1))
	if "$@"; then
		say "ok: $what"
	else
		fail "$what"
	fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # file pattern [tenths]
	local file=$1 pat=$2 n=${3:-100}
	while [ "$n" -gt 0 ]; do
		grep -q -- "$pat" "$file" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

qssh_cleanup() {
	if [ -n "$SSHD_PID" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
	fi
	if [ -n "$AGENT_PID" ]; then
		kill "$AGENT_PID" 2>/dev/null
	fi
	if [ -n "$TMUX_SOCK" ]; then
		tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
	fi
	if [ -n "$TUSER" ] && id "$TUSER" >/dev/null 2>&1; then
		pkill -u "$TUSER" 2>/dev/null
		userdel -r "$TUSER" >/dev/null 2>&1
	fi
	[ -n "$T" ] && rm -rf "$T"
}

# qssh_setup QSSH_BINARY [extra sshd_config lines...]
qssh_setup() {
	QSSH=$(readlink -f "$1")
	shift
	if [ "$(id -u)" != 0 ]; then
		say "SKIP: needs root (creates a user and runs sshd)"
		exit 77
	fi
	for p in /usr/sbin/sshd ssh ssh-keygen useradd chpasswd python3; do
		command -v "$p" >/dev/null || { say "SKIP: no $p"; exit 77; }
	done
	T=$(mktemp -d /tmp/qssh-test.XXXXXX)
	chmod 755 "$T"
	trap qssh_cleanup EXIT
	TUSER=qst$$
	TUSER=${TUSER:0:16}
	TPASS="pw-$RANDOM-$RANDOM"
	useradd -m -s /bin/bash "$TUSER" || { say "useradd failed"; exit 1; }
	echo "$TUSER:$TPASS" | chpasswd || { say "chpasswd failed"; exit 1; }
	THOME=$(getent passwd "$TUSER" | cut -d: -f6)
	mkdir -p "$THOME/.ssh"
	ssh-keygen -q -t ed25519 -N '' -f "$T/hk_ed25519" || exit 1
	ssh-keygen -q -t ecdsa -N '' -f "$T/hk_ecdsa" || exit 1
	ssh-keygen -q -t rsa -b 2048 -N '' -f "$T/hk_rsa" || exit 1
	if [ -n "${QSSH_ALL_HOSTKEYS:-}" ]; then
		ssh-keygen -q -t ecdsa -b 384 -N '' -f "$T/hk_ecdsa384" || exit 1
		ssh-keygen -q -t ecdsa -b 521 -N '' -f "$T/hk_ecdsa521" || exit 1
	fi
	ssh-keygen -q -t ed25519 -N '' -C ed-key -f "$T/id_ed25519" || exit 1
	ssh-keygen -q -t ecdsa -N '' -C ec-key -f "$T/id_ecdsa" || exit 1
	ssh-keygen -q -t rsa -b 2048 -N '' -C rsa-key -f "$T/id_rsa" || exit 1
	cat "$T"/id_ed25519.pub "$T"/id_ecdsa.pub "$T"/id_rsa.pub \
		>"$THOME/.ssh/authorized_keys"
	chown -R "$TUSER:" "$THOME/.ssh"
	chmod 700 "$THOME/.ssh"
	chmod 600 "$THOME/.ssh/authorized_keys"
	SSHD_PORT=$(free_port)
	{
		for l in "$@"; do echo "$l"; done
		echo "HostKey $T/hk_ed25519"
		echo "HostKey $T/hk_ecdsa"
		echo "HostKey $T/hk_rsa"
		if [ -n "${QSSH_ALL_HOSTKEYS:-}" ]; then
			echo "HostKey $T/hk_ecdsa384"
			echo "HostKey $T/hk_ecdsa521"
		fi
		echo "PidFile $T/sshd.pid"
		echo "ListenAddress 127.0.0.1"
		echo "PasswordAuthentication yes"
		echo "KbdInteractiveAuthentication no"
		echo "PubkeyAuthentication yes"
		echo "Subsystem sftp internal-sftp"
		echo "LogLevel VERBOSE"
	} >"$T/sshd_config"
	mkdir -p /run/sshd
	/usr/sbin/sshd -D -e -f "$T/sshd_config" -p "$SSHD_PORT" \
		-o UsePAM=yes 2>"$T/sshd.log" &
	SSHD_PID=$!
	if ! wait_for "$T/sshd.log" "Server listening" 100; then
		say "sshd did not start:"
		cat "$T/sshd.log"
		exit 1
	fi
	KH=$T/known_hosts
	{
		printf '[127.0.0.1]:%s ' "$SSHD_PORT"
		cut -d' ' -f1,2 "$T/hk_ed25519.pub"
	} >"$KH"
	# Every host key of the server, for tests that pick the algorithm.
	for f in "$T"/hk_*.pub; do
		printf '[127.0.0.1]:%s ' "$SSHD_PORT"
		cut -d' ' -f1,2 "$f"
	done >"$T/known_hosts_all"
	CFG=$T/ssh_config
	{
		echo "Host *"
		echo "  User $TUSER"
		echo "  Port $SSHD_PORT"
		echo "  UserKnownHostsFile $KH"
		echo "  GlobalKnownHostsFile /dev/null"
		echo "  StrictHostKeyChecking yes"
		echo "  IdentityFile $T/id_ed25519"
		echo "  IdentitiesOnly yes"
		echo "  IdentityAgent none"
		echo "  BatchMode yes"
	} >"$CFG"
	unset SSH_AUTH_SOCK SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY
}

qc() {
	"$QSSH" -F "$CFG" "$@"
}

qssh_finish() {
	say "$runs checks, $fails failures"
	[ "$fails" -eq 0 ] || {
		say "--- sshd log (tail) ---"
		tail -30 "$T/sshd.log"
		exit 1
	}
	exit 0
}
