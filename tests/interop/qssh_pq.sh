#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Post-quantum key exchange with the real qssh:
#   - qssh -> OpenSSH 9.2's sshd with the default lists negotiates
#     sntrup761x25519 (checked in sshd's DEBUG1 log and qssh's -v output),
#     also under the @openssh.com name, and logs in without a warning;
#   - OpenSSH 10's warning (three lines) after a kex that is not
#     post-quantum, hidden by -q and by WarnWeakCrypto no (ssh_config);
#   - qssh <-> qsshd negotiates mlkem768x25519-sha256 by default and logs
#     in, checked in both sides' debug output.
#
#   qssh_pq.sh QSSH_BINARY [QSSHD_BINARY]
. "$(dirname "$0")/qssh_lib.sh"
QSSHD=${2:+$(readlink -f "$2")}
qssh_setup "$1" "LogLevel DEBUG1"
H=127.0.0.1
SNTRUP=sntrup761x25519-sha512@openssh.com
MLKEM=mlkem768x25519-sha256
WARN1='** WARNING: connection is not using a post-quantum key exchange algorithm.'
WARN2='** This session may be vulnerable to "store now, decrypt later" attacks.'
WARN3='** The server may need to be upgraded. See https://openssh.com/pq.html'
# Debian's 9.2 also knows the name without @openssh.com; qssh's default
# list has that one first.
if ssh -Q kex | grep -qx sntrup761x25519-sha512; then
	DEFAULT_PQ=sntrup761x25519-sha512
else
	DEFAULT_PQ=$SNTRUP
fi

log_mark=0
mark_log() { log_mark=$(wc -l <"$1"); }
new_log() { tail -n +"$((log_mark + 1))" "$1" | tr -d '\r'; }

# run NAME [qssh args...]: qssh -v ... 'echo pq-ok' with stderr in $T/NAME.err
run() {
	local name=$1
	shift
	out=$(timeout 30 "$QSSH" -F "$CFG" "$@" $H 'echo pq-ok' </dev/null \
		2>"$T/$name.err")
	rc=$?
	sed -i 's/\r$//' "$T/$name.err"
}

has_warning() {
	grep -qxF -- "$WARN1" "$1" && grep -qxF -- "$WARN2" "$1" &&
		grep -qxF -- "$WARN3" "$1"
}
no_warning() { ! grep -qF -- '** WARNING' "$1"; }

# ---- against OpenSSH 9.2's sshd ----
mark_log "$T/sshd.log"
run def -v
check "defaults: logged in" [ "$rc" -eq 0 -a "$out" = pq-ok ]
check "defaults: qssh -v shows $DEFAULT_PQ" \
	grep -qx "debug1: kex: algorithm: $DEFAULT_PQ" "$T/def.err"
check "defaults: sshd's log shows $DEFAULT_PQ" \
	grep -q "^debug1: kex: algorithm: $DEFAULT_PQ\( \[preauth\]\)\?$" \
	<(new_log "$T/sshd.log")
check "defaults: no warning" no_warning "$T/def.err"

mark_log "$T/sshd.log"
run at -v -o KexAlgorithms="$MLKEM,$SNTRUP,curve25519-sha256"
check "$SNTRUP: logged in" [ "$rc" -eq 0 -a "$out" = pq-ok ]
check "$SNTRUP: qssh -v" grep -qx "debug1: kex: algorithm: $SNTRUP" "$T/at.err"
check "$SNTRUP: sshd's log" \
	grep -q "^debug1: kex: algorithm: $SNTRUP\( \[preauth\]\)\?$" \
	<(new_log "$T/sshd.log")
check "$SNTRUP: no warning" no_warning "$T/at.err"

run weak -o KexAlgorithms=curve25519-sha256
check "curve25519: logged in" [ "$rc" -eq 0 -a "$out" = pq-ok ]
check "curve25519: OpenSSH 10's warning" has_warning "$T/weak.err"
check "curve25519: the warning is all there is" [ "$(wc -l <"$T/weak.err")" -eq 3 ]
run weakq -q -o KexAlgorithms=curve25519-sha256
check "curve25519 -q: no warning" no_warning "$T/weakq.err"
run weakno -o KexAlgorithms=ecdh-sha2-nistp256 -o WarnWeakCrypto=no
check "WarnWeakCrypto=no (-o): no warning" no_warning "$T/weakno.err"
{
	echo "Host $H"
	echo "  WarnWeakCrypto no"
	cat "$CFG"
} >"$T/cfg_nowarn"
out=$(timeout 30 "$QSSH" -F "$T/cfg_nowarn" -o KexAlgorithms=curve25519-sha256 \
	$H 'echo pq-ok' </dev/null 2>"$T/weakcfg.err")
check "WarnWeakCrypto no (ssh_config): logged in" [ "$out" = pq-ok ]
check "WarnWeakCrypto no (ssh_config): no warning" no_warning "$T/weakcfg.err"
check "-G: warnweakcrypto no" \
	grep -qx "warnweakcrypto no" <("$QSSH" -F "$T/cfg_nowarn" -G $H)
check "-G: warnweakcrypto yes by default" \
	grep -qx "warnweakcrypto yes" <("$QSSH" -F "$CFG" -G $H)
out=$("$QSSH" -F "$CFG" -o WarnWeakCrypto=maybe -G $H 2>&1)
check "WarnWeakCrypto maybe: refused" [ $? -eq 255 ]

# ---- against qsshd ----
if [ -n "$QSSHD" ] && [ -x "$QSSHD" ]; then
	QPORT=$(free_port)
	{
		echo "HostKey $T/hk_ed25519"
		echo "HostKey $T/hk_ecdsa"
		echo "HostKey $T/hk_rsa"
		echo "PidFile none"
		echo "LogLevel DEBUG1"
		echo "UsePAM yes"
		echo "AuthorizedKeysFile .ssh/authorized_keys"
	} >"$T/qsshd_config"
	"$QSSHD" -D -e -f "$T/qsshd_config" -p "$QPORT" \
		-o ListenAddress=127.0.0.1 2>"$T/qsshd.log" &
	QSSHD_PID=$!
	if wait_for "$T/qsshd.log" "Server listening" 100; then
		for f in "$T"/hk_ed25519.pub "$T"/hk_ecdsa.pub "$T"/hk_rsa.pub; do
			printf '[127.0.0.1]:%s ' "$QPORT"
			cut -d' ' -f1,2 "$f"
		done >>"$KH"
		mark_log "$T/qsshd.log"
		run q -v -p "$QPORT"
		check "qsshd: logged in" [ "$rc" -eq 0 -a "$out" = pq-ok ]
		check "qsshd: qssh -v shows $MLKEM" \
			grep -qx "debug1: kex: algorithm: $MLKEM" "$T/q.err"
		check "qsshd: its log shows $MLKEM" \
			grep -q "^debug1: kex: algorithm: $MLKEM\( \[preauth\]\)\?$" \
			<(new_log "$T/qsshd.log")
		check "qsshd: no warning" no_warning "$T/q.err"
		mark_log "$T/qsshd.log"
		run q2 -v -p "$QPORT" -o KexAlgorithms=sntrup761x25519-sha512
		check "qsshd sntrup761x25519-sha512: both sides" \
			grep -qx "debug1: kex: algorithm: sntrup761x25519-sha512" "$T/q2.err"
		check "qsshd sntrup761x25519-sha512: its log" \
			grep -q "^debug1: kex: algorithm: sntrup761x25519-sha512\( \[preauth\]\)\?$" \
			<(new_log "$T/qsshd.log")
		run q3 -p "$QPORT" -o KexAlgorithms=curve25519-sha256
		check "qsshd curve25519: logged in" [ "$out" = pq-ok ]
		check "qsshd curve25519: the warning" has_warning "$T/q3.err"
	else
		fail "qsshd did not start"
		cat "$T/qsshd.log"
	fi
	kill "$QSSHD_PID" 2>/dev/null
	wait "$QSSHD_PID" 2>/dev/null
else
	say "note: no qsshd given, its part is skipped"
fi

qssh_finish
