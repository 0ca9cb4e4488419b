#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# OpenSSH's ssh against qssh-kextest serve: kex x host key algorithm x cipher
# x MAC with every pair of values covered (kex_lib.sh), a rekey started by the
# server after authentication (OpenSSH refuses KEXINIT during userauth), no
# cipher in common (both sides say so in OpenSSH's words), and a bad
# identification line (one log line, DISCONNECT with reason 8).
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
	local kex=$1 hk=$2 cipher=$3 mac=$4 rc
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

# check_ssh KEX HOSTKEY CIPHER MAC; 0 if every check passed
check_ssh() {
	local kex=$1 hk=$2 cipher=$3 mac=$4 bad=$fails
	local what="$kex $hk $cipher $4"
	if ! grep -q "SSH2_MSG_SERVICE_ACCEPT received" "$tmp/ssh.out"; then
		fail "$what: no SERVICE_ACCEPT"
		grep -v debug3 "$tmp/ssh.out" | tail -15 | sed 's/^/    /'
		sed 's/^/    serve: /' "$tmp/serve.out"
		return 1
	fi
	is_aead "$cipher" && mac="<implicit>"
	grep -q "kex: algorithm: $kex\$" "$tmp/ssh.out" ||
		fail "$what: wrong kex"
	grep -q "kex: host key algorithm: $hk\$" "$tmp/ssh.out" ||
		fail "$what: wrong host key alg"
	grep -q "kex: server->client cipher: $cipher MAC: $mac compression" \
	    "$tmp/ssh.out" || fail "$what: wrong cipher or MAC"
	grep -q "kex: client->server cipher: $cipher MAC: $mac compression" \
	    "$tmp/ssh.out" || fail "$what: wrong cipher or MAC (c2s)"
	grep -q "Permission denied" "$tmp/ssh.out" ||
		fail "$what: expected Permission denied"
	[ "$serve_rc" -eq 0 ] || fail "$what: serve exited $serve_rc"
	[ "$fails" -eq "$bad" ]
}

# kex x host key x cipher x MAC, all pairs (kex_lib.sh).
mapfile -t plan < <(pairwise_plan)
for row in "${plan[@]}"; do
	read -r kex hk c m <<<"$row"
	serve_and_ssh "$kex" "$hk" "$c" "$m"
	check_ssh "$kex" "$hk" "$c" "$m" && pairs_record "$kex" "$hk" "$c" "$m"
done
pairs_summary || fail "all-pairs coverage incomplete"

# No cipher in common: ssh and serve both report it in OpenSSH's words, and
# serve fails.
serve_and_ssh curve25519-sha256 ssh-ed25519 aes128-ctr hmac-sha2-256 \
    -o Ciphers=aes256-gcm@openssh.com
if ! grep -q "Unable to negotiate with 127.0.0.1 port $port: no matching cipher found. Their offer: aes256-gcm@openssh.com" \
    "$tmp/ssh.out" ||
    ! tr -d '\r' <"$tmp/serve.out" | grep -q "^Unable to negotiate with 127.0.0.1 port [0-9]*: no matching cipher found. Their offer: aes128-ctr\$" ||
    [ "$serve_rc" -eq 0 ]; then
	fail "no common cipher (serve exited $serve_rc)"
	grep -v debug "$tmp/ssh.out" | tail -5 | sed 's/^/    /'
	sed 's/^/    serve: /' "$tmp/serve.out"
fi

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

# A bad identification line: serve logs one line and sends DISCONNECT with
# PROTOCOL_VERSION_NOT_SUPPORTED (8) after its own identification.
if command -v python3 >/dev/null; then
	port=$(free_port)
	runs=$((runs + 1))
	# shellcheck disable=SC2086
	timeout 15 "$kextest" serve "$port" $hostkeys >"$tmp/serve.out" 2>&1 &
	spid=$!
	if wait_for "$tmp/serve.out" "listening on port" 50; then
		python3 - "$port" >"$tmp/banner.out" 2>&1 <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"SSH-1.5-x\r\n")
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
line, _, rest = data.partition(b"\n")
print("ident", line.strip().decode())
while len(rest) >= 6:
    plen, pad = struct.unpack(">IB", rest[:5])
    body = rest[5:4 + plen - pad]
    if body[0] == 1:
        print("disconnect", struct.unpack(">I", body[1:5])[0])
    rest = rest[4 + plen:]
PY
	fi
	wait "$spid"
	serve_rc=$?
	nlog=$(grep -vc "^listening on port" "$tmp/serve.out")
	if ! grep -qx "disconnect 8" "$tmp/banner.out" ||
	    ! tr -d '\r' <"$tmp/serve.out" | grep -q "^banner exchange: Connection from 127.0.0.1 port [0-9]*: protocol version mismatch\$" ||
	    [ "$nlog" -ne 1 ] || [ "$serve_rc" -eq 0 ]; then
		fail "bad identification line (serve exited $serve_rc, $nlog lines)"
		sed 's/^/    client: /' "$tmp/banner.out"
		sed 's/^/    serve: /' "$tmp/serve.out"
	fi
fi

say "$runs connections, $fails failures"
[ "$fails" -eq 0 ]
