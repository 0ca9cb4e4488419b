#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The post-quantum hybrid kex methods against real peers.  OpenSSH 9.2 knows
# sntrup761x25519-sha512@openssh.com but not mlkem768x25519-sha256 (Debian's
# 9.2 also has the name without the suffix), so:
#   - qssh-kextest connect -> sshd: sntrup761 for every host key algorithm,
#     our default list, a rekey after authentication, checked in sshd's
#     DEBUG log; the "not post-quantum" warning with curve25519 and not with
#     sntrup761; ML-KEM alone finds no match;
#   - ssh -vvv -> qssh-kextest serve: sntrup761, checked in ssh's output,
#     also with both default lists and with a server rekey;
#   - qssh-kextest connect <-> qssh-kextest serve: mlkem768x25519-sha256 and
#     sntrup761x25519-sha512, checked in both sides' -v output.
#   kex_pq.sh QSSH_KEXTEST SSHD SSH
set -u
kextest=$1
sshd=$2
ssh=${3:-ssh}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kex_lib.sh"

SNTRUP=sntrup761x25519-sha512@openssh.com
MLKEM=mlkem768x25519-sha256
WARN1='** WARNING: connection is not using a post-quantum key exchange algorithm.'
WARN2='** This session may be vulnerable to "store now, decrypt later" attacks.'
WARN3='** The server may need to be upgraded. See https://openssh.com/pq.html'

tmp=$(mktemp -d /tmp/qssh-kex-pq.XXXXXX)
sshd_pid=
cleanup() {
	[ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null
	wait 2>/dev/null
	[ -n "${KEEP_TMP:-}" ] && { echo "kept $tmp"; return; }
	rm -rf "$tmp"
}
trap cleanup EXIT

make_host_keys "$tmp" || { say "ssh-keygen failed"; exit 1; }
hostkeys="-h $tmp/hk_ed25519 -h $tmp/hk_ecdsa256 -h $tmp/hk_ecdsa384
-h $tmp/hk_ecdsa521 -h $tmp/hk_rsa"

# Lines of sshd's log written since the mark.
log_mark=0
mark_log() { log_mark=$(wc -l <"$tmp/sshd.log"); }
new_log() { tail -n +"$((log_mark + 1))" "$tmp/sshd.log" | tr -d '\r'; }
# sshd's lines from before authentication end in " [preauth]".
PA='\( \[preauth\]\)\?'

# Debian's 9.2 also knows the name without @openssh.com (a backport); the
# default lists then meet there.
if "$ssh" -Q kex | grep -qx sntrup761x25519-sha512; then
	DEFAULT_PQ=sntrup761x25519-sha512
else
	DEFAULT_PQ=$SNTRUP
fi

# qssh's log lines end in CR LF on a terminal or not; compare without CR.
strip_cr() { sed -i 's/\r$//' "$@"; }

no_warning() { ! grep -qF -- "$WARN1" "$1"; }
has_warning() {
	grep -qxF -- "$WARN1" "$1" && grep -qxF -- "$WARN2" "$1" &&
	    grep -qxF -- "$WARN3" "$1"
}

# ---- qssh-kextest connect -> OpenSSH sshd ----

if [ "$(id -u)" != 0 ]; then
	say "sshd needs root for privilege separation: skipping the sshd part"
else
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/user_ed25519" || exit 1
	cp "$tmp/user_ed25519.pub" "$tmp/authorized_keys"
	mkdir -p /run/sshd
	sport=$(free_port)
	cat >"$tmp/sshd_config" <<CFG
ListenAddress 127.0.0.1
HostKey $tmp/hk_ed25519
HostKey $tmp/hk_ecdsa256
HostKey $tmp/hk_ecdsa384
HostKey $tmp/hk_ecdsa521
HostKey $tmp/hk_rsa
UsePAM no
StrictModes no
PidFile none
PermitRootLogin yes
AuthorizedKeysFile $tmp/authorized_keys
LogLevel DEBUG3
MaxStartups 100:30:200
CFG
	"$sshd" -D -e -f "$tmp/sshd_config" -p "$sport" >"$tmp/sshd.log" 2>&1 &
	sshd_pid=$!
	if ! wait_for "$tmp/sshd.log" "Server listening" 50; then
		say "sshd did not start:"
		cat "$tmp/sshd.log"
		exit 1
	fi

	# to_sshd WHAT EXPECTED_KEX [kextest args...]; output in $tmp/c.*
	to_sshd() {
		local what=$1 want=$2
		shift 2
		runs=$((runs + 1))
		mark_log
		if ! timeout 20 "$kextest" connect 127.0.0.1 "$sport" "$@" \
		    >"$tmp/c.out" 2>"$tmp/c.err"; then
			strip_cr "$tmp/c.out" "$tmp/c.err"
			fail "$what: connect failed"
			sed 's/^/    /' "$tmp/c.out" "$tmp/c.err"
			return 1
		fi
		strip_cr "$tmp/c.out" "$tmp/c.err"
		sleep 0.2
		grep -qx "kex: $want" "$tmp/c.out" ||
			fail "$what: qssh reports $(grep '^kex:' "$tmp/c.out")"
		new_log | grep -q "debug1: kex: algorithm: $want$PA\$" ||
			fail "$what: sshd did not log kex: algorithm: $want"
		return 0
	}

	for hk in $HOSTKEY_ALGS; do
		to_sshd "sshd $SNTRUP $hk" "$SNTRUP" -o "Kex=$SNTRUP" \
		    -o "HostKeyAlg=$hk" || continue
		grep -qx "hostkey: $hk" "$tmp/c.out" ||
			fail "sshd $SNTRUP $hk: wrong host key algorithm"
		new_log | grep -q "kex: host key algorithm: $hk$PA\$" ||
			fail "sshd $SNTRUP $hk: sshd logged another host key"
		no_warning "$tmp/c.err" ||
			fail "sshd $SNTRUP $hk: post-quantum warning printed"
	done

	# The name without the suffix where this sshd has it.
	if [ "$DEFAULT_PQ" != "$SNTRUP" ]; then
		to_sshd "sshd $DEFAULT_PQ" "$DEFAULT_PQ" -o "Kex=$DEFAULT_PQ"
	fi

	# Our default list: 9.2 does not know ML-KEM.
	if to_sshd "sshd default list" "$DEFAULT_PQ"; then
		no_warning "$tmp/c.err" ||
			fail "sshd default list: post-quantum warning printed"
	fi

	# A rekey after publickey authentication, sntrup761 both times.
	if to_sshd "sshd $SNTRUP rekey" "$SNTRUP" -o "Kex=$SNTRUP" \
	    --auth-key "$tmp/user_ed25519" --user "$(id -un)" --rekey; then
		grep -qx "key exchanges: 2" "$tmp/c.out" &&
		    grep -qx authenticated "$tmp/c.out" ||
			fail "sshd $SNTRUP rekey: no second kex"
		n=$(new_log | grep -c "debug1: kex: algorithm: $SNTRUP$PA\$")
		[ "$n" -eq 2 ] ||
			fail "sshd $SNTRUP rekey: sshd logged $n exchanges"
	fi

	# Not post-quantum: the warning, in OpenSSH's words, on stderr only.
	if to_sshd "sshd curve25519" curve25519-sha256 \
	    -o Kex=curve25519-sha256; then
		has_warning "$tmp/c.err" ||
			fail "sshd curve25519: no post-quantum warning"
		! grep -qF -- "$WARN1" "$tmp/c.out" ||
			fail "sshd curve25519: warning on stdout"
	fi

	# ML-KEM alone: sshd 9.2 has no such method.
	runs=$((runs + 1))
	if timeout 10 "$kextest" connect 127.0.0.1 "$sport" -o "Kex=$MLKEM" \
	    >"$tmp/c.out" 2>&1; then
		fail "sshd 9.2 should not agree on $MLKEM"
	fi
	grep -q "no matching key exchange method found" "$tmp/c.out" ||
		fail "sshd $MLKEM: no negotiation failure reported"
	kill "$sshd_pid" 2>/dev/null
	wait "$sshd_pid" 2>/dev/null
	sshd_pid=
fi

# ---- OpenSSH ssh -> qssh-kextest serve ----

# ssh_to_serve SSH_KEX [serve args...]; output in $tmp/ssh.out, serve.*
ssh_to_serve() {
	local kex=$1 port rc spid
	shift
	port=$(free_port)
	runs=$((runs + 1))
	: >"$tmp/serve.out"
	# shellcheck disable=SC2086
	timeout 20 "$kextest" serve "$port" $hostkeys -v "$@" \
	    >"$tmp/serve.out" 2>"$tmp/serve.err" &
	spid=$!
	if ! wait_for "$tmp/serve.out" "listening on port" 50; then
		fail "serve did not start"
		cat "$tmp/serve.out" "$tmp/serve.err"
		kill "$spid" 2>/dev/null
		return 1
	fi
	local kexopt=()
	[ -n "$kex" ] && kexopt=(-o "KexAlgorithms=$kex")
	# shellcheck disable=SC2086
	timeout 15 "$ssh" -vvv $SSH_EXTRA -F /dev/null -o BatchMode=yes \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    "${kexopt[@]}" -o "HostKeyAlgorithms=$SSH_HK" -p "$port" \
	    user@127.0.0.1 true 2>&1 | tr -d '\r' >"$tmp/ssh.out"
	rc=${PIPESTATUS[0]}
	wait "$spid"
	serve_rc=$?
	strip_cr "$tmp/serve.out" "$tmp/serve.err"
	return $rc
}

check_ssh_kex() {
	local what=$1 want=$2
	if ! grep -q "SSH2_MSG_SERVICE_ACCEPT received" "$tmp/ssh.out"; then
		fail "$what: no SERVICE_ACCEPT"
		grep -v debug3 "$tmp/ssh.out" | tail -15 | sed 's/^/    /'
		sed 's/^/    serve: /' "$tmp/serve.out" "$tmp/serve.err"
		return
	fi
	grep -q "debug1: kex: algorithm: $want\$" "$tmp/ssh.out" ||
		fail "$what: ssh did not log kex: algorithm: $want"
	grep -q "kex: algorithm: $want\$" "$tmp/serve.err" ||
		fail "$what: serve did not log kex: algorithm: $want"
	[ "$serve_rc" -eq 0 ] || fail "$what: serve exited $serve_rc"
}

SSH_EXTRA=""
for hk in $HOSTKEY_ALGS; do
	SSH_HK=$hk
	ssh_to_serve "$SNTRUP" -o "KexAlgorithms=$SNTRUP"
	check_ssh_kex "ssh $SNTRUP $hk" "$SNTRUP"
	grep -q "kex: host key algorithm: $hk\$" "$tmp/ssh.out" ||
		fail "ssh $SNTRUP $hk: wrong host key algorithm"
done

# Both default lists: ssh 9.2 puts sntrup761 first.
SSH_HK=ssh-ed25519
ssh_to_serve ""
check_ssh_kex "ssh default lists" "$DEFAULT_PQ"

# A rekey started by our server after authentication.
ssh_to_serve "$SNTRUP" -o "KexAlgorithms=$SNTRUP" --accept-auth --rekey
n=$(grep -c "SSH2_MSG_NEWKEYS received" "$tmp/ssh.out")
k=$(grep -c "debug1: kex: algorithm: $SNTRUP\$" "$tmp/ssh.out")
if [ "$n" -ne 2 ] || [ "$k" -ne 2 ] ||
    ! grep -q "Authenticated to 127.0.0.1" "$tmp/ssh.out"; then
	fail "ssh $SNTRUP server rekey (NEWKEYS $n, kex lines $k)"
	grep -v debug3 "$tmp/ssh.out" | tail -20 | sed 's/^/    /'
	sed 's/^/    serve: /' "$tmp/serve.out" "$tmp/serve.err"
fi
[ "$serve_rc" -eq 0 ] || fail "ssh $SNTRUP rekey: serve exited $serve_rc"

# ---- qssh-kextest connect <-> qssh-kextest serve ----

# qssh_pair WHAT WANT [connect args...]
qssh_pair() {
	local what=$1 want=$2 port spid rc
	shift 2
	port=$(free_port)
	runs=$((runs + 1))
	: >"$tmp/serve.out"
	# shellcheck disable=SC2086
	timeout 20 "$kextest" serve "$port" $hostkeys -v \
	    >"$tmp/serve.out" 2>"$tmp/serve.err" &
	spid=$!
	if ! wait_for "$tmp/serve.out" "listening on port" 50; then
		fail "$what: serve did not start"
		kill "$spid" 2>/dev/null
		return
	fi
	timeout 15 "$kextest" connect 127.0.0.1 "$port" -v "$@" \
	    >"$tmp/c.out" 2>"$tmp/c.err"
	rc=$?
	wait "$spid"
	serve_rc=$?
	strip_cr "$tmp/c.out" "$tmp/c.err" "$tmp/serve.out" "$tmp/serve.err"
	if [ "$rc" -ne 0 ] || ! grep -qx "service accepted" "$tmp/c.out"; then
		fail "$what: connect exited $rc"
		sed 's/^/    /' "$tmp/c.out"
		grep -v debug3 "$tmp/c.err" | tail -10 | sed 's/^/    /'
		sed 's/^/    serve: /' "$tmp/serve.out"
		return
	fi
	grep -qx "kex: $want" "$tmp/c.out" ||
		fail "$what: client reports $(grep '^kex:' "$tmp/c.out")"
	grep -q "kex: algorithm: $want\$" "$tmp/c.err" ||
		fail "$what: client -v did not log kex: algorithm: $want"
	grep -q "kex: algorithm: $want\$" "$tmp/serve.err" ||
		fail "$what: serve -v did not log kex: algorithm: $want"
	no_warning "$tmp/c.err" || fail "$what: post-quantum warning printed"
	[ "$serve_rc" -eq 0 ] || fail "$what: serve exited $serve_rc"
}

qssh_pair "qssh default lists" "$MLKEM"
for hk in $HOSTKEY_ALGS; do
	qssh_pair "qssh $MLKEM $hk" "$MLKEM" -o "Kex=$MLKEM" -o "HostKeyAlg=$hk"
done
qssh_pair "qssh sntrup761x25519-sha512" sntrup761x25519-sha512 \
    -o Kex=sntrup761x25519-sha512
qssh_pair "qssh $MLKEM rekey" "$MLKEM" -o "Kex=$MLKEM" --rekey
grep -qx "key exchanges: 2" "$tmp/c.out" ||
	fail "qssh $MLKEM rekey: no second kex"
[ "$(grep -c "kex: algorithm: $MLKEM\$" "$tmp/serve.err")" -eq 2 ] ||
	fail "qssh $MLKEM rekey: serve did not log two exchanges"

say "$runs connections, $fails failures"
[ "$fails" -eq 0 ]
