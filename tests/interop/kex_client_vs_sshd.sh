#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# qssh-kextest connect against OpenSSH's sshd: kex x host key algorithm x
# cipher x MAC with every pair of values covered (kex_lib.sh), then the full
# product of the four, a rekey after
# authentication (OpenSSH refuses KEXINIT during userauth), and a negotiation
# failure that both sides report in OpenSSH's words.
#   kex_client_vs_sshd.sh QSSH_KEXTEST SSHD [SSH]
set -u
kextest=$1
sshd=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kex_lib.sh"

if [ "$(id -u)" != 0 ]; then
	say "SKIP: sshd needs root for privilege separation"
	exit 77
fi
tmp=$(mktemp -d /tmp/qssh-kex-sshd.XXXXXX)
sshd_pid=
cleanup() {
	[ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

make_host_keys "$tmp" || { say "ssh-keygen failed"; exit 1; }
ssh-keygen -q -t ed25519 -N '' -f "$tmp/user_ed25519" || exit 1
cp "$tmp/user_ed25519.pub" "$tmp/authorized_keys"
# sshd's privilege separation directory.
mkdir -p /run/sshd
port=$(free_port)
cat > "$tmp/sshd_config" <<CFG
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
LogLevel DEBUG1
MaxStartups 100:30:200
KexAlgorithms +diffie-hellman-group14-sha1,diffie-hellman-group1-sha1
CFG
"$sshd" -D -e -f "$tmp/sshd_config" -p "$port" >"$tmp/sshd.log" 2>&1 &
sshd_pid=$!
if ! wait_for "$tmp/sshd.log" "Server listening" 50; then
	say "sshd did not start:"
	cat "$tmp/sshd.log"
	exit 1
fi

# connect KEX HOSTKEY CIPHER MAC [extra args...]; 0 if every check passed
connect() {
	local kex=$1 hk=$2 cipher=$3 mac=$4 want_mac=$4 bad=$fails
	shift 4
	local out=$tmp/out.$runs
	runs=$((runs + 1))
	if ! timeout 10 "$kextest" connect 127.0.0.1 "$port" -o "Kex=$kex" \
	    -o "HostKeyAlg=$hk" -o "Cipher=$cipher" -o "MAC=$mac" "$@" \
	    >"$out" 2>&1; then
		fail "$kex $hk $cipher $mac $*"
		sed 's/^/    /' "$out"
		return 1
	fi
	is_aead "$cipher" && want_mac="<implicit>"
	grep -qx "service accepted" "$out" || fail "$kex $hk: no service"
	grep -qx "kex: $kex" "$out" || fail "$kex: wrong kex"
	grep -qx "hostkey: $hk" "$out" || fail "$hk: wrong host key alg"
	grep -q "^cipher c2s: $cipher mac: $want_mac " "$out" ||
		fail "$cipher $mac: wrong cipher or MAC"
	grep -q "^cipher s2c: $cipher mac: $want_mac " "$out" ||
		fail "$cipher $mac: wrong cipher or MAC (s2c)"
	rm -f "$out"
	[ "$fails" -eq "$bad" ]
}

# kex x host key x cipher x MAC, all pairs (kex_lib.sh).
mapfile -t plan < <(pairwise_plan)
for row in "${plan[@]}"; do
	read -r kex hk c m <<<"$row"
	connect "$kex" "$hk" "$c" "$m" && pairs_record "$kex" "$hk" "$c" "$m"
done
pairs_summary || fail "all-pairs coverage incomplete"
for m in $MACS; do
	grep -q "kex: client->server cipher: [^ ]* MAC: $m compression" \
	    "$tmp/sshd.log" || fail "sshd did not log MAC $m"
done

# The full product: every kex x host key algorithm x cipher x MAC (the MAC
# only with the non-AEAD ciphers; AEAD ciphers ignore it).
full=0
for kex in $KEX_ALGS; do
	for hk in $HOSTKEY_ALGS; do
		for c in $CIPHERS; do
			if is_aead "$c"; then
				connect "$kex" "$hk" "$c" hmac-sha2-256 &&
					full=$((full + 1))
				continue
			fi
			for m in $MACS; do
				connect "$kex" "$hk" "$c" "$m" && full=$((full + 1))
			done
		done
	done
done
say "full product: $full combinations passed"

# Rekey started by us after publickey authentication.
for kex in curve25519-sha256 diffie-hellman-group-exchange-sha256 \
    ecdh-sha2-nistp384; do
	out=$tmp/rekey.out
	runs=$((runs + 1))
	if timeout 20 "$kextest" connect 127.0.0.1 "$port" -o "Kex=$kex" \
	    -o Cipher=aes256-ctr -o MAC=hmac-sha2-512 \
	    --auth-key "$tmp/user_ed25519" --user "$(id -un)" --rekey \
	    >"$out" 2>&1 && grep -qx "key exchanges: 2" "$out" &&
	    grep -qx authenticated "$out"; then
		:
	else
		fail "rekey with $kex"
		sed 's/^/    /' "$out"
	fi
done

# A failed negotiation: sshd 9.2 does not offer ssh-rsa signatures.
runs=$((runs + 1))
if timeout 10 "$kextest" connect 127.0.0.1 "$port" -o HostKeyAlg=ssh-rsa \
    >"$tmp/neg.out" 2>&1; then
	fail "ssh-rsa host key should not be negotiated"
fi
grep -q "Unable to negotiate with 127.0.0.1 port $port: no matching host key type found. Their offer: " \
    "$tmp/neg.out" || fail "no-match detail missing"
wait_for "$tmp/sshd.log" "Unable to negotiate with 127.0.0.1 port [0-9]*: no matching host key type found. Their offer: ssh-rsa" 20 ||
	fail "sshd did not log the failed negotiation"

say "$runs connections, $fails failures"
if [ "$fails" -ne 0 ]; then
	say "--- sshd log tail ---"
	grep -v 'debug3' "$tmp/sshd.log" | tail -40
	exit 1
fi
exit 0
