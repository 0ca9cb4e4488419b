#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# authorized_keys options applied to sessions (command= with
# SSH_ORIGINAL_COMMAND, environment= with PermitUserEnvironment, no-pty,
# from=, restrict, expiry-time=), ForceCommand and SetEnv, with OpenSSH's
# ssh.
QSSHD=$1
. "$(dirname "$0")/sshd_lib.sh"

write_config "PermitUserEnvironment yes" "SetEnv QSSH_SETENV=from-config"
start_qsshd
AK=$THOME/.ssh/authorized_keys
PUB=$(cat "$T/uk_ed25519.pub")

# keys OPTIONS: authorize uk_ed25519 with OPTIONS only
keys() {
	printf '%s %s\n' "$1" "$PUB" >"$AK"
}

keys 'command="echo forced:$SSH_ORIGINAL_COMMAND"'
out=$(qssh ed25519 'echo asked')
[ "$out" = "forced:echo asked" ] && ok "command= with SSH_ORIGINAL_COMMAND" ||
	fail "command=: '$out'"
wait_log "Starting session: forced-command" || fail "no forced-command line"

keys 'environment="QSSH_KEYENV=from-key"'
out=$(qssh ed25519 'echo "$QSSH_KEYENV/$QSSH_SETENV"')
[ "$out" = "from-key/from-config" ] && ok "environment= and SetEnv" || fail "environment=: '$out'"

keys 'no-pty'
out=$(qssh ed25519 -tt 'tty' 2>/dev/null | tr -d '\r')
[ "$out" = "not a tty" ] && ok "no-pty" || fail "no-pty: '$out'"
keys ''
out=$(qssh ed25519 -tt 'tty' 2>/dev/null | tr -d '\r')
case $out in /dev/pts/*) ok "pty without no-pty" ;; *) fail "pty: '$out'" ;; esac

keys 'restrict'
out=$(qssh ed25519 -tt 'tty' 2>/dev/null | tr -d '\r')
[ "$out" = "not a tty" ] && ok "restrict: no pty" || fail "restrict: '$out'"
keys 'restrict,pty'
out=$(qssh ed25519 -tt 'tty' 2>/dev/null | tr -d '\r')
case $out in /dev/pts/*) ok "restrict,pty" ;; *) fail "restrict,pty: '$out'" ;; esac

keys 'from="192.0.2.1"'
qssh ed25519 true 2>/dev/null && fail "from= other address accepted" || ok "from= refuses other addresses"
keys 'from="127.0.0.0/8,192.0.2.1"'
out=$(qssh ed25519 echo from-ok)
[ "$out" = from-ok ] && ok "from= allows its address" || fail "from=: '$out'"

keys 'expiry-time="20200101"'
qssh ed25519 true 2>/dev/null && fail "expired key accepted" || ok "expiry-time in the past"
keys 'expiry-time="29991231"'
out=$(qssh ed25519 echo not-expired)
[ "$out" = not-expired ] && ok "expiry-time in the future" || fail "expiry-time: '$out'"

# PermitUserEnvironment no: environment= is ignored.
kill "$QPID"; wait "$QPID" 2>/dev/null; QPID=
write_config "PermitUserEnvironment no" "ForceCommand echo config-forced:\$SSH_ORIGINAL_COMMAND"
start_qsshd
keys 'environment="QSSH_KEYENV=from-key",command="echo key-forced"'
out=$(qssh ed25519 'echo "[$QSSH_KEYENV]"')
[ "$out" = 'config-forced:echo "[$QSSH_KEYENV]"' ] &&
	ok "ForceCommand over command=, environment= ignored" || fail "ForceCommand: '$out'"
finish
