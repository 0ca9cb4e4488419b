#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# qssh against OpenSSH's sshd: remote commands, exit status, byte-exact
# stdout/stderr, stdin EOF, -n, each user key type, key permissions, the
# command-line surface (usage, -V, -Q, -G) and connection errors.
#
#   qssh_exec.sh QSSH_BINARY
. "$(dirname "$0")/qssh_lib.sh"
qssh_setup "$1"
H=127.0.0.1

# ---- command line ----
out=$("$QSSH" 2>&1)
rc=$?
check "no arguments: exit 255" [ "$rc" -eq 255 ]
check "no arguments: usage block" grep -q '^usage: qssh \[-46AaCfGgKkMNnqsTtVvXxYy\] \[-B bind_interface\]' <<<"$out"
check "usage has 7 lines like ssh's" [ "$(wc -l <<<"$out")" -eq 7 ]
out=$("$QSSH" -V 2>&1)
check "-V prints version and OpenSSL" grep -q '^qssh_[0-9.]*, OpenSSL 3' <<<"$out"
check "-Q cipher lists chacha20" grep -qx 'chacha20-poly1305@openssh.com' <(timeout 5 "$QSSH" -Q cipher)
check "-Q kex lists curve25519" grep -qx 'curve25519-sha256' <(timeout 5 "$QSSH" -Q kex)
check "-Q mac lists hmac-sha2-256" grep -qx 'hmac-sha2-256' <(timeout 5 "$QSSH" -Q mac)
check "-Q key lists ssh-ed25519" grep -qx 'ssh-ed25519' <(timeout 5 "$QSSH" -Q key)
check "-Q sig lists rsa-sha2-512" grep -qx 'rsa-sha2-512' <(timeout 5 "$QSSH" -Q sig)
check "-Q kex has no pseudo algorithms" bash -c "! timeout 5 '$QSSH' -Q kex | grep -q ext-info"
out=$("$QSSH" -A $H true 2>&1)
rc=$?
check "-A: not supported yet, 255" [ "$rc" -eq 255 ]
check "-A message" grep -q '^qssh: -A: not supported yet' <<<"$out"

# -G against ssh -G on the same configuration file
cat >"$T/g_config" <<EOF
Host alias
  HostName 127.0.0.1
  Port 2222
  User someone
  IdentityFile ~/.ssh/special
  ServerAliveInterval 15
Host *
  ConnectTimeout 7
  StrictHostKeyChecking accept-new
EOF
"$QSSH" -F "$T/g_config" -G alias >"$T/g_q" 2>&1
ssh -F "$T/g_config" -G alias >"$T/g_s" 2>&1
for k in hostname port user connecttimeout stricthostkeychecking \
	serveraliveinterval serveralivecountmax identityfile \
	userknownhostsfile loglevel requesttty escapechar batchmode \
	passwordauthentication pubkeyauthentication compression; do
	check "-G $k matches ssh -G" \
		diff <(grep "^$k " "$T/g_q") <(grep "^$k " "$T/g_s")
done

# ---- connection errors ----
port=$(free_port)
out=$(timeout 20 "$QSSH" -F "$CFG" -p "$port" $H true 2>&1)
rc=$?
out=$(tr -d '\r' <<<"$out")
check "refused: exit 255" [ "$rc" -eq 255 ]
check "refused: ssh's message" grep -qx "qssh: connect to host $H port $port: Connection refused" <<<"$out"
out=$(timeout 20 "$QSSH" -F "$CFG" no-such-host.invalid true 2>&1)
check "unknown host: resolve message" grep -q '^qssh: Could not resolve hostname no-such-host.invalid: ' <<<"$out"

# a server that never sends its identification
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
print(s.getsockname()[1], flush=True); time.sleep(30)' >"$T/mute.port" &
MUTE_PID=$!
wait_for "$T/mute.port" '[0-9]' 50
out=$(timeout 20 "$QSSH" -F "$CFG" -o ConnectTimeout=1 \
	-p "$(cat "$T/mute.port")" $H true 2>&1)
rc=$?
kill "$MUTE_PID" 2>/dev/null
check "silent server: exit 255" [ "$rc" -eq 255 ]
check "silent server: banner exchange timeout" grep -q 'Connection timed out during banner exchange' <<<"$out"

# ---- commands ----
for st in 0 1 42; do
	timeout 30 "$QSSH" -F "$CFG" $H "exit $st" </dev/null
	rc=$?
	check "exit status $st" [ "$rc" -eq "$st" ]
done
out=$(timeout 30 "$QSSH" -F "$CFG" $H 'kill -9 $$' </dev/null 2>&1)
rc=$?
check "killed by a signal: 255 as ssh" [ "$rc" -eq 255 ]

timeout 30 "$QSSH" -F "$CFG" $H 'echo out1; echo err1 >&2; printf "a b\n"' \
	>"$T/o" 2>"$T/e" </dev/null
check "stdout separate" diff "$T/o" <(printf 'out1\na b\n')
check "stderr separate" diff "$T/e" <(printf 'err1\n')
out=$(timeout 30 "$QSSH" -F "$CFG" $H echo "one  two" three </dev/null)
check "command words joined with spaces" [ "$out" = "one two three" ]

head -c 8388608 /dev/urandom >"$T/big"
want=$(sha256sum <"$T/big" | cut -d' ' -f1)
got=$(timeout 60 "$QSSH" -F "$CFG" $H cat <"$T/big" | sha256sum | cut -d' ' -f1)
check "8 MiB through cat byte-exact" [ "$got" = "$want" ]
got=$(timeout 60 "$QSSH" -F "$CFG" $H 'cat >&2' <"$T/big" 2>&1 >/dev/null |
	sha256sum | cut -d' ' -f1)
check "8 MiB on stderr byte-exact" [ "$got" = "$want" ]
got=$(timeout 60 "$QSSH" -F "$CFG" $H "head -c 8388608 /dev/zero" </dev/null |
	sha256sum | cut -d' ' -f1)
check "8 MiB from the server" [ "$got" = "$(head -c 8388608 /dev/zero | sha256sum | cut -d' ' -f1)" ]

out=$(printf 'x\ny\n' | timeout 30 "$QSSH" -F "$CFG" $H 'wc -l; echo done')
check "stdin EOF reaches the remote command" [ "$out" = "$(printf '2\ndone')" ]
out=$(printf 'x\ny\n' | timeout 30 "$QSSH" -n -F "$CFG" $H 'wc -l')
check "-n: remote stdin is empty" [ "$out" = "0" ]
out=$(timeout 30 "$QSSH" -F "$CFG" -T $H 'test -t 0 && echo tty || echo notty' </dev/null)
check "no pty without a terminal" [ "$out" = "notty" ]
out=$(timeout 30 "$QSSH" -F "$CFG" -tt $H 'test -t 0 && echo tty || echo notty' </dev/null 2>/dev/null | tr -d '\r')
check "-tt forces a pty" [ "$out" = "tty" ]

out=$(timeout 30 "$QSSH" -F "$CFG" -o ServerAliveInterval=1 $H \
	'sleep 3; echo alive' </dev/null)
rc=$?
check "keepalives answered: command completes" [ "$out" = "alive" ] && [ "$rc" -eq 0 ]
out=$(echo | timeout 30 "$QSSH" -F "$CFG" -s $H sftp | head -c 0; echo "${PIPESTATUS[1]}")
check "-s subsystem starts" [ "$out" = "0" ] || [ "$out" = "255" ]
out=$(timeout 30 "$QSSH" -F "$CFG" -s $H no-such-subsystem </dev/null 2>&1)
rc=$?
check "unknown subsystem: 255" [ "$rc" -eq 255 ]
check "unknown subsystem: message" grep -q 'subsystem request failed on channel 0' <<<"$out"
out=$(timeout 30 "$QSSH" -F "$CFG" -C $H 'echo compressed' </dev/null)
check "-C compression" [ "$out" = "compressed" ]
out=$(timeout 30 "$QSSH" -F "$CFG" -c aes256-gcm@openssh.com -m hmac-sha2-512 \
	-v $H 'echo aes' </dev/null 2>"$T/cipher.err")
check "-c cipher" [ "$out" = "aes" ]
check "-c cipher negotiated" grep -q 'cipher: aes256-gcm@openssh.com' "$T/cipher.err"
out=$(timeout 30 "$QSSH" -F "$CFG" -o SetEnv=QSSH_T=xy $H 'echo "v=$QSSH_T"' </dev/null)
check "SetEnv (sshd AcceptEnv decides)" [ "$out" = "v=" ] || [ "$out" = "v=xy" ]
out=$(timeout 30 "$QSSH" -F "$CFG" -l "$TUSER" -p "$SSHD_PORT" \
	"ssh://$TUSER@$H:$SSHD_PORT" 'echo uri' </dev/null)
check "ssh:// destination" [ "$out" = "uri" ]
out=$(timeout 30 "$QSSH" -F "$CFG" $H -T 'echo opt-after-host' </dev/null)
check "flags after the destination" [ "$out" = "opt-after-host" ]

timeout 30 "$QSSH" -F "$CFG" -f $H "sleep 1; echo bg >$T/bg.out" </dev/null
rc=$?
check "-f returns at once with 0" [ "$rc" -eq 0 ]
chmod 777 "$T"
check "-f: command ran in the background" wait_for "$T/bg.out" bg 100
timeout 30 "$QSSH" -F "$CFG" -N $H </dev/null &
npid=$!
sleep 1
check "-N keeps the connection open" kill -0 "$npid"
kill -TERM "$npid"
wait "$npid"
rc=$?
check "-N ended by SIGTERM: 255" [ "$rc" -eq 255 ]
chmod 755 "$T"

# ---- user keys ----
grep -v IdentityFile "$CFG" >"$T/cfg_nokey"
for k in ed25519 ecdsa rsa; do
	out=$(timeout 30 "$QSSH" -F "$T/cfg_nokey" -v -o IdentityFile="$T/id_$k" \
		$H 'echo in' </dev/null 2>"$T/v_$k")
	check "key $k from a file" [ "$out" = "in" ]
done
check "-v: Authenticated to line" grep -q "^Authenticated to $H (\[$H\]:$SSHD_PORT) using \"publickey\"." "$T/v_rsa"
check "rsa: rsa-sha2-512 accepted by sshd" grep -q 'Accepted publickey.*RSA' "$T/sshd.log"
check "-v: Offering public key" grep -q "^debug1: Offering public key: $T/id_ed25519 ED25519 SHA256:" "$T/v_ed25519"
check "-v: Server accepts key" grep -q "^debug1: Server accepts key: $T/id_ecdsa ECDSA SHA256:" "$T/v_ecdsa"
check "-v: Exit status" grep -q '^debug1: Exit status 0' "$T/v_ecdsa"
check "-v: kex algorithm line" grep -q '^debug1: kex: algorithm: ' "$T/v_ecdsa"
check "-v: Server host key line" grep -q '^debug1: Server host key: ssh-ed25519 SHA256:' "$T/v_ecdsa"

out=$(timeout 30 "$QSSH" -F "$CFG" -i "$T/id_rsa" $H 'echo via-i' </dev/null)
check "-i identity" [ "$out" = "via-i" ]

cp "$T/id_rsa" "$T/loose_rsa"
cp "$T/id_rsa.pub" "$T/loose_rsa.pub"
chmod 644 "$T/loose_rsa"
timeout 30 "$QSSH" -F "$CFG" -o IdentityFile="$T/loose_rsa" $H true \
	</dev/null 2>"$T/perm_q"
timeout 30 ssh -F "$CFG" -o IdentityFile="$T/loose_rsa" $H true \
	</dev/null 2>"$T/perm_s"
check "bad permissions: same text as ssh" diff "$T/perm_q" "$T/perm_s"
check "bad permissions: message present" grep -q "^Load key \"$T/loose_rsa\": bad permissions" "$T/perm_q"

grep -v IdentityFile "$CFG" >"$T/cfg_nokey"
timeout 30 "$QSSH" -F "$T/cfg_nokey" -o IdentityFile="$T/nokey" \
	$H true </dev/null 2>&1 | tr -d '\r' >"$T/deny"
rc=${PIPESTATUS[0]}
check "no usable key: exit 255" [ "$rc" -eq 255 ]
check "no usable key: Permission denied line" grep -qx "$TUSER@$H: Permission denied (publickey,password)." "$T/deny"

qssh_finish
