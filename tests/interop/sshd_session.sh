#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# qsshd sessions against OpenSSH's ssh: exit statuses and signals,
# byte-exact stdout/stderr, stdin, environment and a pty.
QSSHD=$1
. "$(dirname "$0")/sshd_lib.sh"

write_config
start_qsshd

for st in 0 1 42; do
	qssh ed25519 "exit $st"
	rc=$?
	if [ $rc = $st ]; then ok "exit status $st"; else fail "exit status $st gave $rc"; fi
done
qssh ed25519 'kill -9 $$' 2>/dev/null
rc=$?
if [ $rc = 255 ]; then ok "exit-signal"; else fail "killed command gave $rc"; fi

head -c 1048576 /dev/urandom >"$T/big"
chmod 644 "$T/big"
want=$(sha256sum <"$T/big")
qssh ed25519 "cat $T/big; cat $T/big >&2" >"$T/o1" 2>"$T/o2"
[ "$(sha256sum <"$T/o1")" = "$want" ] && ok "1 MiB stdout" || fail "stdout differs"
[ "$(sha256sum <"$T/o2")" = "$want" ] && ok "1 MiB stderr" || fail "stderr differs"

head -c 8388608 /dev/urandom >"$T/big8"
got=$(qssh ed25519 cat <"$T/big8" | sha256sum)
[ "$got" = "$(sha256sum <"$T/big8")" ] && ok "8 MiB stdin round trip" || fail "stdin round trip"

out=$(qssh ed25519 'echo "$USER|$HOME|$SSH_CONNECTION|$LOGNAME|$SHELL"')
case $out in
"$TUSER|$THOME|127.0.0.1 "*" 127.0.0.1 $PORT|$TUSER|/bin/bash") ok "environment" ;;
*) fail "environment: $out" ;;
esac
out=$(LANG=C.qssh-test ssh $SSH_OPTS -o BatchMode=yes -o IdentitiesOnly=yes \
	-o SendEnv=LANG -i "$T/uk_ed25519" "$TUSER@127.0.0.1" 'echo $LANG')
[ "$out" = "C.qssh-test" ] && ok "AcceptEnv" || fail "AcceptEnv: $out"

out=$(qssh ed25519 -tt 'tty; echo "T=$TERM"' </dev/null 2>/dev/null | tr -d '\r')
case $out in
/dev/pts/*"T="*) ok "pty session" ;;
*) fail "pty session: $out" ;;
esac
out=$(timeout 60 ssh $SSH_OPTS -o BatchMode=yes -o IdentitiesOnly=yes -tt \
	-i "$T/uk_ed25519" "$TUSER@127.0.0.1" 'stty size; exit 3' </dev/null 2>/dev/null | tr -d '\r')
rc=$?
[ "$rc" = 0 ] || true
echo "$out" | grep -Eq '^[0-9]+ [0-9]+$' && ok "stty size on the pty" || fail "stty size: $out"

wait_log "Starting session: command on /dev/pts/" || fail "Starting session line for a pty"
finish
