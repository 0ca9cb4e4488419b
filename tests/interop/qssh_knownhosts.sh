#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# qssh host key checking against OpenSSH's sshd: accept-new, strict,
# changed keys (with file:line), StrictHostKeyChecking=no, hashed entries,
# [host]:port names, @revoked, the first-contact question typed into a
# terminal, and the host key algorithm order taken from known_hosts.
#
#   qssh_knownhosts.sh QSSH_BINARY
. "$(dirname "$0")/qssh_lib.sh"
qssh_setup "$1"
H=127.0.0.1
grep -v -e UserKnownHostsFile -e StrictHostKeyChecking "$CFG" >"$T/cfg_kh"
HK_ED=$(cut -d' ' -f1,2 "$T/hk_ed25519.pub")
HK_EC=$(cut -d' ' -f1,2 "$T/hk_ecdsa.pub")
NAME="[$H]:$SSHD_PORT"
ssh-keygen -q -t ed25519 -N '' -f "$T/other_ed25519"
OTHER=$(cut -d' ' -f1,2 "$T/other_ed25519.pub")

qk() { # known_hosts-file strict-mode args...
	local kh=$1 mode=$2
	shift 2
	timeout 30 "$QSSH" -F "$T/cfg_kh" -o UserKnownHostsFile="$kh" \
		-o StrictHostKeyChecking="$mode" "$@"
}
sk() {
	local kh=$1 mode=$2
	shift 2
	timeout 30 ssh -F "$T/cfg_kh" -o UserKnownHostsFile="$kh" \
		-o StrictHostKeyChecking="$mode" "$@"
}

# ---- accept-new ----
out=$(qk "$T/kh_new" accept-new $H 'echo in' </dev/null 2>"$T/new.err")
check "accept-new connects" [ "$out" = "in" ]
check "accept-new wrote [host]:port entry" grep -q "^\[$H\]:$SSHD_PORT ssh-ed25519 " "$T/kh_new"
sk "$T/kh_new_s" accept-new $H true </dev/null 2>"$T/new_s.err"
check "Permanently added: same text as ssh" diff <(tr -d '\r' <"$T/new.err") <(tr -d '\r' <"$T/new_s.err")
check "entry is the same as ssh's" diff "$T/kh_new" "$T/kh_new_s"
out=$(qk "$T/kh_new" yes $H 'echo again' </dev/null)
check "entry works with strict checking" [ "$out" = "again" ]

# ---- strict, unknown host ----
: >"$T/kh_empty"
qk "$T/kh_empty" yes $H true </dev/null 2>"$T/strict.err"
rc=$?
check "strict, unknown: 255" [ "$rc" -eq 255 ]
sk "$T/kh_empty" yes $H true </dev/null 2>"$T/strict_s.err"
check "strict, unknown: same text as ssh" diff <(tr -d '\r' <"$T/strict.err") <(tr -d '\r' <"$T/strict_s.err")
# a plain name is not [host]:port
echo "$H $HK_ED" >"$T/kh_plain"
qk "$T/kh_plain" yes $H true </dev/null 2>/dev/null
rc=$?
check "entry without port does not match another port" [ "$rc" -eq 255 ]

# ---- changed key ----
{
	echo "# a comment"
	echo "$NAME $OTHER"
} >"$T/kh_changed"
cp "$T/kh_changed" "$T/kh_changed_s"
qk "$T/kh_changed" yes $H true </dev/null 2>"$T/changed.err"
rc=$?
check "changed key: 255" [ "$rc" -eq 255 ]
check "changed key: HAS CHANGED block" grep -q 'WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!' "$T/changed.err"
check "changed key: Offending file:line" grep -q "Offending ED25519 key in $T/kh_changed:2" "$T/changed.err"
check "changed key: verification failed" grep -q '^Host key verification failed.' "$T/changed.err"
sk "$T/kh_changed_s" yes $H true </dev/null 2>"$T/changed_s.err"
check "changed key: same text as ssh" diff <(tr -d '\r' <"$T/changed.err" | sed "s#kh_changed#KH#g") \
	<(tr -d '\r' <"$T/changed_s.err" | sed "s#kh_changed_s#KH#g")
qk "$T/kh_changed" accept-new $H true </dev/null 2>/dev/null
rc=$?
check "changed key with accept-new: 255" [ "$rc" -eq 255 ]
out=$(qk "$T/kh_changed" no -o PreferredAuthentications=publickey,password \
	$H 'echo insecure' </dev/null 2>"$T/no.err")
check "StrictHostKeyChecking=no connects with a key" [ "$out" = "insecure" ]
check "StrictHostKeyChecking=no disables passwords" grep -q '^Password authentication is disabled to avoid man-in-the-middle attacks.' "$T/no.err"
check "StrictHostKeyChecking=no leaves the file alone" diff "$T/kh_changed" "$T/kh_changed_s"

# ---- hashed entries ----
qk "$T/kh_hash" accept-new -o HashKnownHosts=yes $H true </dev/null 2>/dev/null
check "HashKnownHosts writes |1| entries" grep -q '^|1|[^ ]* ssh-ed25519 ' "$T/kh_hash"
check "hashed name hides the host" bash -c "! grep -q '$H' '$T/kh_hash'"
out=$(qk "$T/kh_hash" yes $H 'echo hashed' </dev/null)
check "hashed entry matches" [ "$out" = "hashed" ]
ssh-keygen -q -t ed25519 -N '' -f "$T/dummy" >/dev/null
echo "$NAME $HK_ED" >"$T/kh_tohash"
ssh-keygen -H -f "$T/kh_tohash" >/dev/null 2>&1
out=$(qk "$T/kh_tohash" yes $H 'echo keygen-hashed' </dev/null)
check "entry hashed by ssh-keygen -H matches" [ "$out" = "keygen-hashed" ]

# ---- @revoked ----
{
	echo "@revoked * $HK_ED"
	echo "$NAME $HK_ED"
} >"$T/kh_revoked"
qk "$T/kh_revoked" yes -o HostKeyAlgorithms=ssh-ed25519 $H true </dev/null 2>"$T/revoked.err"
rc=$?
check "@revoked key refused: 255" [ "$rc" -eq 255 ]
check "@revoked message" grep -q 'REVOKED HOST KEY DETECTED' "$T/revoked.err"

# ---- host key algorithm from known_hosts ----
echo "$NAME $HK_EC" >"$T/kh_ecdsa"
out=$(qk "$T/kh_ecdsa" yes -v $H 'echo ec' </dev/null 2>"$T/ec.err")
check "known ECDSA key is negotiated first" [ "$out" = "ec" ]
check "host key algorithm ecdsa" grep -q '^debug1: kex: host key algorithm: ecdsa-sha2-nistp256' "$T/ec.err"

# ---- the first-contact question in a terminal ----
TMUX_SOCK=$T/tmux.sock
tm() { tmux -S "$TMUX_SOCK" "$@"; }
SESS=0
pane_wait() {
	local n=${2:-100}
	while [ "$n" -gt 0 ]; do
		tm capture-pane -p -J -t "kh$SESS" 2>/dev/null | grep -q -- "$1" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
pane_wait_fixed() {
	local n=${2:-100}
	while [ "$n" -gt 0 ]; do
		tm capture-pane -p -J -t "kh$SESS" 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
run_tty() { # known_hosts
	SESS=$((SESS + 1))
	rm -f "$T/tty.rc"
	tm new-session -d -s "kh$SESS" -x 200 -y 40 \
		"$QSSH -F $T/cfg_kh -o UserKnownHostsFile=$1 -o StrictHostKeyChecking=ask -o BatchMode=no $H 'echo asked-ok'; echo rc=\$? >$T/tty.rc; sleep 20"
}
run_tty "$T/kh_ask1"
if pane_wait 'Are you sure you want to continue connecting (yes/no/\[fingerprint\])?'; then
	ok "first-contact question"
	check "question names the host" pane_wait_fixed "The authenticity of host '$NAME ($NAME)' can't be established."
	tm send-keys -t "kh$SESS" maybe Enter
	check "other answers ask again" pane_wait "Please type 'yes', 'no' or the fingerprint:"
	tm send-keys -t "kh$SESS" yes Enter
	wait_for "$T/tty.rc" rc= 100
	check "yes: connected" grep -qx 'rc=0' "$T/tty.rc"
	check "yes: entry added" grep -q "^\[$H\]:$SSHD_PORT ssh-ed25519 " "$T/kh_ask1"
else
	fail "first-contact question"
	tm capture-pane -p -t "kh$SESS"
fi
FP=$(ssh-keygen -lf "$T/hk_ed25519.pub" | cut -d' ' -f2)
run_tty "$T/kh_ask2"
if pane_wait 'Are you sure'; then
	tm send-keys -t "kh$SESS" "$FP" Enter
	wait_for "$T/tty.rc" rc= 100
	check "fingerprint answer accepted" grep -qx 'rc=0' "$T/tty.rc"
else
	fail "question (fingerprint)"
fi
run_tty "$T/kh_ask3"
if pane_wait 'Are you sure'; then
	tm send-keys -t "kh$SESS" no Enter
	wait_for "$T/tty.rc" rc= 100
	check "no: refused with 255" grep -qx 'rc=255' "$T/tty.rc"
	check "no: Host key verification failed." pane_wait 'Host key verification failed.'
	check "no: nothing written" [ ! -s "$T/kh_ask3" ]
else
	fail "question (no)"
fi

qssh_finish
