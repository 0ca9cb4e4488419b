#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# One sshd_config for OpenSSH's sshd and qsshd: -T (with and without -C
# for Match) prints the same values for every keyword both print, and both
# daemons started with the file let the same key log in.
QSSHD=$1
. "$(dirname "$0")/sshd_lib.sh"
SSHD=/usr/sbin/sshd
[ -x $SSHD ] || { echo "skip: no $SSHD"; exit 77; }

PORT2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SPID=
trap 'cleanup; [ -n "$SPID" ] && kill "$SPID" 2>/dev/null' EXIT

F=$T/common_config
cat >"$F" <<EOT
HostKey $T/hk_ed25519
HostKey $T/hk_ecdsa
HostKey $T/hk_rsa
PidFile none
ListenAddress 127.0.0.1
AddressFamily inet
LogLevel VERBOSE
SyslogFacility AUTH
LoginGraceTime 45
PermitRootLogin prohibit-password
StrictModes yes
MaxAuthTries 5
MaxSessions 7
MaxStartups 12:40:70
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2
IgnoreRhosts yes
HostbasedAuthentication no
PasswordAuthentication yes
PermitEmptyPasswords no
KbdInteractiveAuthentication no
UsePAM yes
AllowAgentForwarding no
AllowTcpForwarding no
GatewayPorts no
X11Forwarding no
PermitTTY yes
PrintMotd no
PrintLastLog no
TCPKeepAlive yes
PermitUserEnvironment no
Compression no
ClientAliveInterval 30
ClientAliveCountMax 4
UseDNS no
PermitTunnel no
Banner none
AcceptEnv LANG LC_* QSSH_TEST
Subsystem sftp /usr/lib/openssh/sftp-server
Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-ctr
MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512
HostKeyAlgorithms ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256
PubkeyAcceptedAlgorithms ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256
RekeyLimit 1G 1h
AllowUsers $TUSER root
DenyUsers nobody
Match User $TUSER
	MaxAuthTries 3
	PasswordAuthentication no
Match Address 192.0.2.0/24
	PermitTTY no
EOT

# compare NAME ARGS...: -T of both, keywords both print
compare() {
	local name=$1
	shift
	$SSHD -T -f "$F" "$@" 2>"$T/s.err" | sort >"$T/s.T" ||
		{ fail "$name: sshd -T failed: $(head -3 "$T/s.err")"; return; }
	"$QSSHD" -T -f "$F" "$@" 2>"$T/q.err" |
		sed 's/^\(kexalgorithms \)mlkem768x25519-sha256,/\1/' | sort >"$T/q.T" ||
		{ fail "$name: qsshd -T failed: $(head -3 "$T/q.err")"; return; }
	awk '{print $1}' "$T/s.T" | sort -u >"$T/s.k"
	awk '{print $1}' "$T/q.T" | sort -u >"$T/q.k"
	comm -12 "$T/s.k" "$T/q.k" >"$T/both.k"
	local n diffs=0
	n=$(wc -l <"$T/both.k")
	while read -r k; do
		if ! diff <(grep "^$k " "$T/s.T"; grep -x "$k" "$T/s.T") \
			<(grep "^$k " "$T/q.T"; grep -x "$k" "$T/q.T") >/dev/null; then
			echo "  $k: sshd '$(grep "^$k " "$T/s.T" | tr '\n' '|')' qsshd '$(grep "^$k " "$T/q.T" | tr '\n' '|')'"
			diffs=$((diffs + 1))
		fi
	done <"$T/both.k"
	[ "$diffs" = 0 ] && [ "$n" -ge 70 ] && ok "$name: $n keywords agree" ||
		fail "$name: $diffs of $n keywords differ"
}

compare "-T"
compare "-T -C (Match User)" -C "user=$TUSER,host=localhost,addr=127.0.0.1,laddr=127.0.0.1,lport=$PORT"
compare "-T -C (Match Address)" -C "user=other,host=h,addr=192.0.2.7,laddr=127.0.0.1,lport=$PORT"
$SSHD -T -f "$F" -C "user=$TUSER,host=localhost,addr=127.0.0.1,laddr=127.0.0.1,lport=$PORT" |
	grep -qx "maxauthtries 3" || fail "sshd did not apply Match User"

# Both daemons with the same file; the same key logs in to each.
"$QSSHD" -D -E "$T/log" -f "$F" -p "$PORT" &
QPID=$!
$SSHD -D -E "$T/sshd.log" -f "$F" -p "$PORT2" &
SPID=$!
for _ in $(seq 1 100); do
	grep -q "Server listening" "$T/log" 2>/dev/null &&
		grep -q "Server listening" "$T/sshd.log" 2>/dev/null && break
	sleep 0.1
done
export QSSH_TEST=shared
for p in $PORT $PORT2; do
	out=$(timeout 60 ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -o BatchMode=yes -o IdentitiesOnly=yes -i "$T/uk_ed25519" \
		-o SendEnv=QSSH_TEST -p "$p" "$TUSER@127.0.0.1" 'echo "$USER:$QSSH_TEST:${SSH_CONNECTION##* }"' \
		2>&1 </dev/null)
	want="$TUSER:shared:$p"
	[ "$out" = "$want" ] && ok "login on port $p" || fail "port $p: '$out' want '$want'"
done
for f in "$T/log" "$T/sshd.log"; do
	grep -q "Accepted publickey for $TUSER from 127.0.0.1 port [0-9]* ssh2: ED25519 SHA256:" "$f" ||
		fail "no Accepted publickey line in $f"
done
# Password logins are off for the user (Match User): both still offer the
# method before they know the user, and both refuse the right password.
outs=
for p in $PORT $PORT2; do
	out=$(timeout 60 sshpass -p "$TPASS" ssh ${SSH_OPTS% -p *} -p "$p" -o PreferredAuthentications=password \
		-o NumberOfPasswordPrompts=1 "$TUSER@127.0.0.1" echo in 2>&1)
	outs="$outs|$out"
done
[ "$outs" = "|$out|$out" ] && ! echo "$out" | grep -q in &&
	ok "Match User refuses the password on both ($out)" || fail "Match User: $outs"
# ...and log the same: no password check, the connection closed.
for f in "$T/log" "$T/sshd.log"; do
	for _ in $(seq 1 30); do
		tail -1 "$f" | tr -d "\r" | grep -q "^Connection closed by authenticating user $TUSER 127.0.0.1 port [0-9]* \[preauth\]$" && break
		sleep 0.1
	done
	tail -1 "$f" | tr -d "\r" | grep -q "^Connection closed by authenticating user $TUSER 127.0.0.1 port [0-9]* \[preauth\]$" ||
		fail "last line of $f: $(tail -1 "$f")"
	grep -q "Failed password" "$f" && fail "a password was checked ($f)"
done
[ "$FAILS" -ne 0 ] && { echo "---- sshd log ----"; cat "$T/sshd.log"; }
finish
