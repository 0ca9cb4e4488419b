#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# 2000 failing logins (wrong passwords and invalid users) from 20 parallel
# clients: qsshd stays up and lets a good login in afterwards, applies
# MaxStartups (random early drop) and MaxAuthTries, and logs every failure
# in OpenSSH's words, which fail2ban's sshd filter matches.
#
# Passwords are checked with shadow(5) and crypt(3) here (UsePAM no):
# pam_unix sleeps about 2 s after each failure, which would make 2000
# failures take far too long for a test; for the same reason the test
# user's hash is SHA-512 crypt rather than the slower yescrypt default.
QSSHD=$1
. "$(dirname "$0")/sshd_lib.sh"
command -v fail2ban-regex >/dev/null 2>&1 || { echo "skip: fail2ban-regex missing"; exit 77; }
[ -r /etc/fail2ban/filter.d/sshd.conf ] || { echo "skip: no fail2ban sshd filter"; exit 77; }

WANT=${WANT:-2000}
echo "$TUSER:$TPASS" | chpasswd -c SHA512 -s 5000 || exit 1
USEPAM=no write_config "MaxAuthTries 6" "MaxStartups 10:30:60" "LogLevel INFO"
# -E: lines go to the file without a syslog prefix, as with OpenSSH's sshd.
: >"$T/log"
"$QSSHD" -D -E "$T/log" -f "$T/sshd_config" -p "$PORT" -o ListenAddress=127.0.0.1 &
QPID=$!
wait_log "Server listening" || { fail "qsshd did not start"; finish; }

printf '#!/bin/sh\necho wrong-password\n' >"$T/askpass"
chmod 755 "$T/askpass"
export SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force

failures() {
	grep -c '^Failed password for ' "$T/log"
}

# One client: connections with six wrong passwords each (the sixth hits
# MaxAuthTries), until the log holds WANT failures or time is up.  One
# client in four tries invalid users.
client() {
	local i=$1 n=0 user
	while [ "$(failures)" -lt "$WANT" ] && [ ! -e "$T/stop" ]; do
		if [ $((i % 4)) != 0 ]; then user=$TUSER; else user=nosuch_${i}_$n; fi
		timeout 30 ssh $SSH_OPTS -o KexAlgorithms=curve25519-sha256 \
			-o PreferredAuthentications=password \
			-o NumberOfPasswordPrompts=6 "$user@127.0.0.1" true \
			</dev/null >/dev/null 2>&1
		n=$((n + 1))
	done
}
pids=
for i in $(seq 1 20); do
	client "$i" &
	pids="$pids $!"
done
# Bounded: the clients stop after 90 s whatever happened.
(
	for _ in $(seq 1 180); do
		[ -e "$T/done" ] && exit 0
		sleep 0.5
	done
	: >"$T/stop"
) &
watchdog=$!
wait $pids 2>/dev/null
: >"$T/done"
wait $watchdog
unset SSH_ASKPASS SSH_ASKPASS_REQUIRE

nf=$(failures)
[ "$nf" -ge "$WANT" ] && ok "$nf failed password attempts" || fail "only $nf failures"
kill -0 "$QPID" 2>/dev/null && ok "qsshd still running" || fail "qsshd died"
out=$(qssh ed25519 echo still-alive)
[ "$out" = still-alive ] && ok "good login afterwards" || fail "good login: '$out'"
out=$(qssh_pw "$TPASS" "$TUSER" echo pw-alive)
[ "$out" = pw-alive ] && ok "good password afterwards" || fail "good password login: '$out'"

grep -Eq "^drop connection #[0-9]+ from \[127.0.0.1\]:[0-9]+ on \[127.0.0.1\]:$PORT past MaxStartups$" "$T/log" &&
	ok "MaxStartups drops ($(grep -c '^drop connection #' "$T/log"))" || fail "no MaxStartups drop line"
grep -Eq "^maximum authentication attempts exceeded for $TUSER from 127.0.0.1 port [0-9]+ ssh2 \[preauth\]$" "$T/log" &&
	ok "MaxAuthTries line" || fail "no maximum authentication attempts line"
grep -Eq "^maximum authentication attempts exceeded for invalid user nosuch_[0-9_]+ from 127.0.0.1 port [0-9]+ ssh2 \[preauth\]$" "$T/log" &&
	ok "MaxAuthTries line for invalid users" || fail "no maximum authentication attempts line for invalid users"
grep -Eq "^Invalid user nosuch_[0-9_]+ from 127.0.0.1 port [0-9]+$" "$T/log" &&
	ok "Invalid user lines" || fail "no Invalid user line"
grep -Eq "^Failed password for invalid user nosuch_[0-9_]+ from 127.0.0.1 port [0-9]+ ssh2$" "$T/log" ||
	fail "no Failed password for invalid user line"

# fail2ban: syslog puts "Mon DD HH:MM:SS host sshd[PID]: " in front of each
# line; the -E file, like OpenSSH's, has no prefix, so add it here.
grep -E '^(Failed |Invalid user |maximum authentication attempts exceeded )' "$T/log" >"$T/fail.lines"
total=$(wc -l <"$T/fail.lines")
sed "s/^/$(date '+%b %e %H:%M:%S') $(hostname) sshd[$QPID]: /" "$T/fail.lines" >"$T/f2b.log"
fail2ban-regex "$T/f2b.log" /etc/fail2ban/filter.d/sshd.conf >"$T/f2b.out" 2>&1
summary=$(grep -E '^Lines: ' "$T/f2b.out")
if echo "$summary" | grep -Eq "^Lines: $total lines, 0 ignored, $total matched, 0 missed"; then
	ok "fail2ban matched all $total failure lines"
else
	fail "fail2ban: $summary (of $total)"
	grep -A5 '^Missed line' "$T/f2b.out" | head -8
fi
[ -n "$KEEPLOG" ] && cp "$T/log" /tmp/w/abuse.log
finish
