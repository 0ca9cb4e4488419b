#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# qsshd's key exchange with OpenSSH's ssh: the post-quantum hybrid
# sntrup761x25519-sha512@openssh.com (OpenSSH 9.2's default) and the group
# exchange with groups from the moduli file that the control process read
# before it entered the sandbox (host key signatures come from the monitor).
QSSHD=$1
. "$(dirname "$0")/sshd_lib.sh"

LOGLEVEL=DEBUG1 write_config
start_qsshd

# OpenSSH 9.2's default list starts with sntrup761x25519-sha512 (the
# standard name, or the @openssh.com one on older builds).
out=$(timeout 60 ssh $SSH_OPTS -v -o BatchMode=yes -o IdentitiesOnly=yes \
	-i "$T/uk_ed25519" "$TUSER@127.0.0.1" echo pq-default 2>"$T/v1")
tr -d "\r" <"$T/v1" | grep -Eq "kex: algorithm: sntrup761x25519-sha512(@openssh.com)?$" &&
	[ "$out" = pq-default ] && ok "sntrup761 by default" ||
	fail "default kex: $(grep 'kex: algorithm' "$T/v1") out '$out'"

out=$(timeout 60 ssh $SSH_OPTS -v -o BatchMode=yes -o IdentitiesOnly=yes \
	-o KexAlgorithms=sntrup761x25519-sha512@openssh.com \
	-i "$T/uk_ecdsa" "$TUSER@127.0.0.1" echo pq 2>"$T/v2")
grep -q "kex: algorithm: sntrup761x25519-sha512@openssh.com" "$T/v2" &&
	[ "$out" = pq ] && ok "sntrup761 login" || fail "sntrup761: $(tail -3 "$T/v2")"

for hk in ssh-ed25519 ecdsa-sha2-nistp256 rsa-sha2-512 rsa-sha2-256; do
	for kx in diffie-hellman-group-exchange-sha256 curve25519-sha256; do
		out=$(timeout 60 ssh $SSH_OPTS -o BatchMode=yes -o IdentitiesOnly=yes \
			-o KexAlgorithms=$kx -o HostKeyAlgorithms=$hk \
			-i "$T/uk_ed25519" "$TUSER@127.0.0.1" echo "$kx/$hk")
		[ "$out" = "$kx/$hk" ] && ok "$kx with $hk" || fail "$kx with $hk: '$out'"
	done
done
grep -q "using fixed modulus" "$T/log" &&
	fail "moduli file not used: $(grep 'fixed modulus' "$T/log")" ||
	ok "groups from /etc/ssh/moduli"

# An unreadable moduli file: the built-in groups, with OpenSSH's warning.
kill "$QPID"; wait "$QPID" 2>/dev/null; QPID=
LOGLEVEL=DEBUG1 write_config "ModuliFile $T/nonexistent"
start_qsshd
out=$(timeout 60 ssh $SSH_OPTS -o BatchMode=yes -o IdentitiesOnly=yes \
	-o KexAlgorithms=diffie-hellman-group-exchange-sha256 \
	-i "$T/uk_ed25519" "$TUSER@127.0.0.1" echo fixed)
[ "$out" = fixed ] && ok "group exchange without moduli file" || fail "fixed group: '$out'"
wait_log "WARNING: could not open $T/nonexistent" && ok "moduli warning" ||
	fail "no moduli warning"
finish
