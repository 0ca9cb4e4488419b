#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# OpenSSH's ssh against qssh-kextest serve: every kex x host key algorithm,
# every cipher, every MAC with aes128-ctr, and a rekey started by the server
# after authentication (OpenSSH refuses KEXINIT during userauth).
#   kex_server_vs_ssh.sh QSSH_KEXTEST SSHD SSH
set -u
kextest=$1
ssh=${3:-ssh}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kex_lib.sh"

tmp=$(mktemp -d /tmp/qssh-kex-ssh.XXXXXX)
trap 'wait 2>/dev/null; rm -rf "$tmp"' EXIT
make_host_keys "$tmp" || { say "ssh-keygen failed"; exit 1; }
hostkeys="-h $tmp/hk_ed25519 -h $tmp/hk_ecdsa256 -h $tmp/hk_ecdsa384
-h $tmp/hk_ecdsa521 -h $tmp/hk_rsa"

# serve_and_ssh KEX HOSTKEY CIPHER MAC [serve args...]; leaves $tmp/ssh.out
SSH_EXTRA=""
serve_and_ssh() {
	local kex=$1 hk=$2 cipher=$3 mac=$4 port rc
	shift 4
	port=$(free_port)
	runs=$((runs + 1))
	: >"$tmp/serve.out"
	# shellcheck disable=SC2086
	timeout 15 "$kextest" serve "$port" $hostkeys "$@" \
	    -o "Kex=+diffie-hellman-group14-sha1,diffie-hellman-group1-sha1" \
	    >"$tmp/serve.out" 2>&1 &
	local spid=$!
	if ! wait_for "$tmp/serve.out" "listening on port" 50; then
		fail "serve did not start"
		cat "$tmp/serve.out"
		kill "$spid" 2>/dev/null
		return 1
	fi
	# shellcheck disable=SC2086
	timeout 10 "$ssh" -vvv $SSH_EXTRA -F /dev/null -o BatchMode=yes \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o "KexAlgorithms=$kex" -o "HostKeyAlgorithms=$hk" \
	    -o "Ciphers=$cipher" -o "MACs=$mac" -p "$port" \
	    user@127.0.0.1 true 2>&1 | tr -d '\r' >"$tmp/ssh.out"
	rc=${PIPESTATUS[0]}
	wait "$spid"
	serve_rc=$?
	return $rc
}

check_ssh() {
	local kex=$1 hk=$2 cipher=$3
	local what="$kex $hk $cipher $4"
	if ! grep -q "SSH2_MSG_SERVICE_ACCEPT received" "$tmp/ssh.out"; then
		fail "$what: no SERVICE_ACCEPT"
		grep -v debug3 "$tmp/ssh.out" | tail -15 | sed 's/^/    /'
		sed 's/^/    serve: /' "$tmp/serve.out"
		return
	fi
	grep -q "kex: algorithm: $kex\$" "$tmp/ssh.out" ||
		fail "$what: wrong kex"
	grep -q "kex: host key algorithm: $hk\$" "$tmp/ssh.out" ||
		fail "$what: wrong host key alg"
	grep -q "kex: server->client cipher: $cipher " "$tmp/ssh.out" ||
		fail "$what: wrong cipher"
	grep -q "Permission denied" "$tmp/ssh.out" ||
		fail "$what: expected Permission denied"
	[ "$serve_rc" -eq 0 ] || fail "$what: serve exited $serve_rc"
}

run_one() {
	serve_and_ssh "$@"
	check_ssh "$@"
}

for kex in $KEX_ALGS; do
	for hk in $HOSTKEY_ALGS; do
		run_one "$kex" "$hk" chacha20-poly1305@openssh.com \
		    hmac-sha2-256-etm@openssh.com
	done
done
for c in $CIPHERS; do
	run_one curve25519-sha256 ssh-ed25519 "$c" hmac-sha2-256-etm@openssh.com
done
for m in $MACS; do
	run_one curve25519-sha256 ssh-ed25519 aes128-ctr "$m"
	grep -q "kex: server->client cipher: aes128-ctr MAC: $m " \
	    "$tmp/ssh.out" || fail "ssh did not log MAC $m"
done

# Server-initiated rekey after (accepted) authentication.
for kex in curve25519-sha256 diffie-hellman-group-exchange-sha256; do
	serve_and_ssh "$kex" ssh-ed25519 aes128-gcm@openssh.com \
	    hmac-sha2-256 --accept-auth --rekey
	n=$(grep -c "SSH2_MSG_NEWKEYS received" "$tmp/ssh.out")
	k=$(grep -c "SSH2_MSG_KEXINIT received" "$tmp/ssh.out")
	if [ "$n" -ne 2 ] || [ "$k" -ne 2 ] ||
	    ! grep -q "Authenticated to 127.0.0.1" "$tmp/ssh.out" ||
	    ! grep -q "open failed: administratively prohibited" \
	    "$tmp/ssh.out"; then
		fail "server rekey with $kex (NEWKEYS received $n times)"
		grep -v debug3 "$tmp/ssh.out" | tail -20 | sed 's/^/    /'
		sed 's/^/    serve: /' "$tmp/serve.out"
	fi
	[ "$serve_rc" -eq 0 ] || fail "rekey serve exited $serve_rc"
done

# Delayed compression across a rekey: the zlib streams restart at NEWKEYS.
SSH_EXTRA="-C"
serve_and_ssh curve25519-sha256 ssh-ed25519 aes128-gcm@openssh.com \
    hmac-sha2-256 --accept-auth --rekey
SSH_EXTRA=""
if ! grep -q "compression: zlib@openssh.com" "$tmp/ssh.out" ||
    [ "$(grep -c "SSH2_MSG_NEWKEYS received" "$tmp/ssh.out")" -ne 2 ] ||
    ! grep -q "open failed: administratively prohibited" "$tmp/ssh.out"; then
	fail "compressed session across a server rekey"
	grep -v debug3 "$tmp/ssh.out" | tail -20 | sed 's/^/    /'
	sed 's/^/    serve: /' "$tmp/serve.out"
fi
[ "$serve_rc" -eq 0 ] || fail "compressed rekey serve exited $serve_rc"

say "$runs connections, $fails failures"
[ "$fails" -eq 0 ]
