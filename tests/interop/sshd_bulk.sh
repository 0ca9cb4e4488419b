#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Bulk data through qsshd's dataplane process: byte-exact uploads and
# downloads with OpenSSH's ssh and with qssh, for every cipher family (and
# a non-etm MAC, and compression), with RekeyLimit forcing rekeys in the
# middle of the stream; EOF on stdin reaches the command; two sessions of
# one connection (ssh -M multiplexing) at once; exit status after the data.
QSSHD=$1
QSSH=$2
. "$(dirname "$0")/sshd_lib.sh"
[ -x "$QSSH" ] || { echo "skip: no qssh"; exit 77; }

LOGLEVEL=DEBUG1 write_config "RekeyLimit 8M" \
	"Ciphers aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr" \
	"MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512" "Compression yes"
start_qsshd

SIZE_MB=${SIZE_MB:-40}
head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom >"$T/data"
chmod 644 "$T/data"
sum=$(sha256sum <"$T/data" | cut -d' ' -f1)
QSSH_OPTS="$SSH_OPTS -o BatchMode=yes -o IdentitiesOnly=yes -i $T/uk_ed25519"

# xfer CLIENT LABEL OPTIONS...: up and down, checksums compared.
xfer() {
	local client=$1 label=$2 got
	shift 2
	got=$(timeout 120 $client $QSSH_OPTS "$@" "$TUSER@127.0.0.1" \
		'sha256sum | cut -d" " -f1' <"$T/data" 2>>"$T/client.err")
	[ "$got" = "$sum" ] && ok "$label: upload" || fail "$label: upload got '$got'"
	got=$(timeout 120 $client $QSSH_OPTS "$@" "$TUSER@127.0.0.1" \
		"cat $T/data" 2>>"$T/client.err" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$sum" ] && ok "$label: download" || fail "$label: download got '$got'"
}

for c in "ssh ssh" "$QSSH qssh"; do
	set -- $c
	bin=$1 name=$2
	xfer "$bin" "$name aes128-gcm" -c aes128-gcm@openssh.com
	xfer "$bin" "$name aes256-gcm" -c aes256-gcm@openssh.com
	xfer "$bin" "$name chacha20-poly1305" -c chacha20-poly1305@openssh.com
	xfer "$bin" "$name aes128-ctr etm" -c aes128-ctr -m hmac-sha2-256-etm@openssh.com
	xfer "$bin" "$name aes256-ctr hmac-sha2-512" -c aes256-ctr -m hmac-sha2-512
	xfer "$bin" "$name compression" -C -c aes128-gcm@openssh.com
done

# Rekeys happened inside the transfers (RekeyLimit 8M), on both sides.
# 24 transfers of SIZE_MB, each over several RekeyLimits.
kx=$(tr -d '\r' <"$T/log" | grep -c "^debug1: SSH2_MSG_NEWKEYS received")
conns=$(grep -c "^Accepted publickey" "$T/log")
[ "$kx" -ge $((conns + 48)) ] && ok "rekeys in the stream ($kx kex for $conns connections)" ||
	fail "too few rekeys: $kx kex for $conns connections"

# EOF on stdin reaches the command, which then answers.
out=$(printf 'a\nb\nc\n' | qssh ed25519 'wc -l; echo after-eof')
[ "$(echo $out)" = "3 after-eof" ] && ok "stdin EOF" || fail "stdin EOF: '$out'"

# Exit status after a large output.
qssh ed25519 "cat $T/data; exit 42" >/dev/null
rc=$?
[ $rc = 42 ] && ok "exit status after the data" || fail "exit status $rc"

# Two sessions at once over one connection (OpenSSH multiplexing).
cp="$T/cm"
timeout 60 ssh $QSSH_OPTS -o ControlMaster=yes -o ControlPath="$cp" -N -f "$TUSER@127.0.0.1"
(timeout 60 ssh $QSSH_OPTS -o ControlPath="$cp" "$TUSER@127.0.0.1" "cat $T/data" |
	sha256sum | cut -d' ' -f1 >"$T/mux_a") &
mux=$!
b=$(timeout 60 ssh $QSSH_OPTS -o ControlPath="$cp" "$TUSER@127.0.0.1" 'sha256sum | cut -d" " -f1' <"$T/data")
wait $mux
[ "$(cat "$T/mux_a")" = "$sum" ] && ok "multiplexed download" || fail "multiplexed download got '$(cat "$T/mux_a")'"
[ "$b" = "$sum" ] && ok "multiplexed upload at the same time" || fail "multiplexed upload got '$b'"
ssh -o ControlPath="$cp" -O exit "$TUSER@127.0.0.1" 2>/dev/null

# The cryptodev backend (DPDK's crypto_aesni_mb device, no hugepages),
# with chacha20-poly1305 on a CPU backend beside it.
kill "$QPID"; wait "$QPID" 2>/dev/null; QPID=
LOGLEVEL=DEBUG1 write_config "RekeyLimit 8M" "CryptoBackend cryptodev"
start_qsshd
xfer ssh "cryptodev aes128-gcm" -c aes128-gcm@openssh.com
xfer ssh "cryptodev chacha20-poly1305" -c chacha20-poly1305@openssh.com
xfer "$QSSH" "cryptodev aes256-ctr hmac-sha2-512" -c aes256-ctr -m hmac-sha2-512
if grep -q "dataplane process [0-9]*: cryptodev crypto" "$T/log"; then
	ok "the dataplane used cryptodev"
elif grep -q "DPDK EAL did not start\|cryptodev.*not usable" "$T/log"; then
	echo "note: no cryptodev here; the transfers ran on $(sed -n 's/.*dataplane process [0-9]*: \([a-z-]*\) crypto.*/\1/p' "$T/log")"
else
	fail "cryptodev: no backend line in the log"
fi

if [ "$FAILS" -gt 0 ]; then
	echo "--- client errors"; tail -20 "$T/client.err"
	echo "--- qsshd log"; grep -v "^debug" "$T/log" | tail -30
fi
finish
