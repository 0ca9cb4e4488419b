#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# qsshd user authentication against OpenSSH's ssh: ed25519, ECDSA and RSA
# keys, passwords, and OpenSSH's log lines for failures.
QSSHD=$1
. "$(dirname "$0")/sshd_lib.sh"

write_config "MaxAuthTries 3"
start_qsshd

for k in ed25519 ecdsa rsa; do
	out=$(qssh $k echo hello-$k)
	if [ "$out" = "hello-$k" ]; then ok "$k key login"; else fail "$k key login: '$out'"; fi
done
case $(grep -F "Accepted publickey for $TUSER from 127.0.0.1 port" "$T/log" | head -1) in
*" ssh2: ED25519 SHA256:"*) ok "Accepted publickey line" ;;
*) fail "no Accepted publickey line" ;;
esac

out=$(qssh_pw "$TPASS" "$TUSER" echo pw-ok)
if [ "$out" = "pw-ok" ]; then ok "password login"; else fail "password login: '$out'"; fi
wait_log "Accepted password for $TUSER from 127.0.0.1 port " || fail "Accepted password line"

qssh_pw wrong "$TUSER" true 2>/dev/null && fail "wrong password accepted"
wait_log "Failed password for $TUSER from 127.0.0.1 port " && ok "Failed password line" ||
	fail "Failed password line"
wait_log "Connection closed by authenticating user $TUSER 127.0.0.1 port " ||
	fail "Connection closed by authenticating user line"

qssh_pw wrong nosuch_$TUSER true 2>/dev/null && fail "invalid user accepted"
wait_log "Invalid user nosuch_$TUSER from 127.0.0.1 port " && ok "Invalid user line" ||
	fail "Invalid user line"
wait_log "Failed password for invalid user nosuch_$TUSER from 127.0.0.1 port " ||
	fail "Failed password for invalid user line"
wait_log "Connection closed by invalid user nosuch_$TUSER 127.0.0.1 port " ||
	fail "Connection closed by invalid user line"

# Three keys that are not authorized with MaxAuthTries 3.
for i in 1 2 3; do ssh-keygen -q -t ed25519 -N '' -f "$T/bad$i"; done
timeout 60 ssh $SSH_OPTS -o BatchMode=yes -o IdentitiesOnly=yes -i "$T/bad1" \
	-i "$T/bad2" -i "$T/bad3" "$TUSER@127.0.0.1" true 2>/dev/null &&
	fail "unauthorized keys accepted"
wait_log "maximum authentication attempts exceeded for $TUSER from 127.0.0.1 port " &&
	ok "MaxAuthTries line" || fail "maximum authentication attempts line"
tr -d '\r' <"$T/log" | grep -E "^Disconnecting authenticating user $TUSER 127.0.0.1 port [0-9]+: Too many authentication failures \[preauth\]$" \
	>/dev/null || fail "Too many authentication failures line"

finish
