# SPDX-License-Identifier: BSD-2-Clause
# Shared set-up for the qsshd interoperability tests: a throw-away Unix
# user, host and user keys, a configuration and a running qsshd, driven
# with OpenSSH's ssh.  Source it after setting QSSHD.

if [ "$(id -u)" != 0 ]; then
	echo "skip: needs root (creates a user)"
	exit 77
fi
for t in ssh ssh-keygen sshpass useradd chpasswd userdel python3; do
	command -v "$t" >/dev/null 2>&1 || { echo "skip: $t missing"; exit 77; }
done

T=$(mktemp -d /tmp/qsshd_test.XXXXXX)
chmod 755 "$T"
TUSER=qsshtest_$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
TPASS=pw_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
QPID=
FAILS=0

cleanup() {
	if [ -n "$QPID" ]; then
		kill "$QPID" 2>/dev/null
		wait "$QPID" 2>/dev/null
	fi
	[ -n "$TMUX_SOCK" ] && tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	pkill -u "$TUSER" 2>/dev/null
	userdel -r "$TUSER" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

ok() {
	echo "ok: $*"
}

useradd -m -s /bin/bash "$TUSER" || exit 1
echo "$TUSER:$TPASS" | chpasswd || exit 1
THOME=$(getent passwd "$TUSER" | cut -d: -f6)
mkdir -p /run/sshd
chmod 755 /run/sshd

for k in ed25519 ecdsa rsa; do
	ssh-keygen -q -t $k -N '' -f "$T/hk_$k" || exit 1
	ssh-keygen -q -t $k -N '' -f "$T/uk_$k" || exit 1
done
mkdir -p "$THOME/.ssh"
cat "$T"/uk_*.pub >"$THOME/.ssh/authorized_keys"
chown -R "$TUSER:" "$THOME/.ssh"
chmod 700 "$THOME/.ssh"
chmod 600 "$THOME/.ssh/authorized_keys"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# write_config [extra lines...]
write_config() {
	{
		echo "HostKey $T/hk_ed25519"
		echo "HostKey $T/hk_ecdsa"
		echo "HostKey $T/hk_rsa"
		echo "PidFile none"
		echo "LogLevel ${LOGLEVEL:-VERBOSE}"
		echo "UsePAM ${USEPAM:-yes}"
		echo "PasswordAuthentication yes"
		echo "AuthorizedKeysFile .ssh/authorized_keys"
		echo "AcceptEnv LANG LC_*"
		for l in "$@"; do echo "$l"; done
	} >"$T/sshd_config"
}

start_qsshd() {
	: >"$T/log"
	"$QSSHD" -D -e -f "$T/sshd_config" -p "$PORT" -o ListenAddress=127.0.0.1 \
		2>>"$T/log" &
	QPID=$!
	for _ in $(seq 1 100); do
		grep -q "Server listening" "$T/log" && return 0
		sleep 0.1
	done
	echo "qsshd did not start:"
	cat "$T/log"
	exit 1
}

SSH_OPTS="-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=20 -p $PORT"

# qssh KEYTYPE command... (public key login)
qssh() {
	local k=$1
	shift
	timeout 60 ssh $SSH_OPTS -o BatchMode=yes -o IdentitiesOnly=yes \
		-i "$T/uk_$k" "$TUSER@127.0.0.1" "$@"
}

# qssh_pw PASSWORD USER command...
qssh_pw() {
	local pw=$1 user=$2
	shift 2
	timeout 60 sshpass -p "$pw" ssh $SSH_OPTS \
		-o PreferredAuthentications=password \
		-o NumberOfPasswordPrompts=1 "$user@127.0.0.1" "$@"
}

# wait_log PATTERN: the fixed string appears in the log
wait_log() {
	for _ in $(seq 1 50); do
		grep -qF -- "$1" "$T/log" && return 0
		sleep 0.1
	done
	return 1
}

# ---- interactive clients in tmux (a real pty) ----
TMUX_SOCK=

# tmux_start NAME COMMAND: run COMMAND in a detached 200x50 window; the
# window stays after the command ends, showing "EXIT=status".
tmux_start() {
	command -v tmux >/dev/null 2>&1 || { echo "skip: tmux missing"; exit 77; }
	[ -n "$TMUX_SOCK" ] || TMUX_SOCK=qsshd_test_$$_$RANDOM
	# A server whose last session was just killed may still be exiting
	# ("server exited unexpectedly"): try again.
	local try
	for try in 1 2 3 4 5; do
		tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -s "$1" -x 200 -y 50 \
			"$2; echo EXIT=\$?; sleep 60" 2>/dev/null &&
			tmux -L "$TMUX_SOCK" has-session -t "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "tmux: cannot start session $1"
	return 1
}

# tmux_screen NAME: the visible screen
tmux_screen() {
	tmux -L "$TMUX_SOCK" capture-pane -p -t "$1" 2>/dev/null
}

# tmux_wait NAME REGEX [TENTHS]: the screen matches (default 20 s)
tmux_wait() {
	local n=${3:-200}
	for _ in $(seq 1 "$n"); do
		tmux_screen "$1" | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	return 1
}

# tmux_keys NAME KEYS...: type into the window (tmux send-keys syntax)
tmux_keys() {
	local s=$1
	shift
	tmux -L "$TMUX_SOCK" send-keys -t "$s" "$@"
}

tmux_kill() {
	tmux -L "$TMUX_SOCK" kill-session -t "$1" 2>/dev/null
}

finish() {
	# A sanitizer build reports into the daemon's log.
	if grep -Eq "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T/log" 2>/dev/null; then
		fail "sanitizer report in the qsshd log"
	fi
	if [ "$FAILS" -ne 0 ]; then
		echo "---- qsshd log ----"
		cat "$T/log"
		echo "$FAILS check(s) failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}
