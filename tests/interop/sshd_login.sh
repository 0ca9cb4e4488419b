#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The rest of a login: Banner, PrintMotd and PrintLastLog (with wtmp and
# lastlog records, ~/.hushlogin), ~/.ssh/rc and /etc/ssh/sshrc (and
# no-user-rc), and ChrootDirectory with OpenSSH's ownership checks.
QSSHD=$1
. "$(dirname "$0")/sshd_lib.sh"
JAIL=
SSHRC_CREATED=
trap 'cleanup; [ -n "$JAIL" ] && rm -rf "$JAIL"; [ -n "$SSHRC_CREATED" ] && rm -f /etc/ssh/sshrc' EXIT

# ---- Banner ----
printf 'Authorized uses only.\nSecond banner line.\n' >"$T/banner"
write_config "Banner $T/banner"
start_qsshd
out=$(timeout 60 ssh ${SSH_OPTS/LogLevel=ERROR/LogLevel=INFO} -o BatchMode=yes -o IdentitiesOnly=yes \
	-i "$T/uk_ed25519" "$TUSER@127.0.0.1" echo after-banner 2>"$T/banner.err")
grep -q "^Authorized uses only.$" "$T/banner.err" && grep -q "^Second banner line.$" "$T/banner.err" &&
	[ "$out" = after-banner ] && ok "Banner" || fail "Banner: $(cat "$T/banner.err") out '$out'"

# ---- motd, last login, wtmp, lastlog ----
kill "$QPID"; wait "$QPID" 2>/dev/null; QPID=
USEPAM=no write_config "PrintMotd yes" "PrintLastLog yes"
start_qsshd
MOTD1=$(grep -v '^[[:space:]]*$' /etc/motd 2>/dev/null | head -1)
SSHT="timeout --foreground 60 ssh $SSH_OPTS -o BatchMode=yes -o IdentitiesOnly=yes -i $T/uk_ed25519 -tt $TUSER@127.0.0.1"
# login NAME: a pty shell that exits at once; the screen in $T/NAME.scr
login() {
	tmux_start "$1" "$SSHT"
	tmux_wait "$1" '\$ *$' || fail "$1: no prompt: $(tmux_screen "$1")"
	tmux_screen "$1" >"$T/$1.scr"
	tmux_keys "$1" -l exit
	tmux_keys "$1" Enter
	tmux_wait "$1" 'EXIT=' 100 || fail "$1: did not end"
	tmux_kill "$1"
}
login first
if [ -n "$MOTD1" ]; then
	grep -qF -- "$MOTD1" "$T/first.scr" && ok "PrintMotd yes" || fail "no motd: $(cat "$T/first.scr")"
fi
grep -q "^Last login:" "$T/first.scr" && fail "Last login on a first login"
login second
grep -Eq "^Last login: [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4} from 127.0.0.1" "$T/second.scr" &&
	ok "PrintLastLog" || fail "no Last login line: $(cat "$T/second.scr")"
last -w "$TUSER" 2>/dev/null | grep -q "^$TUSER *pts/[0-9]* *127.0.0.1" && ok "wtmp record" ||
	fail "wtmp: $(last -w "$TUSER" 2>&1 | head -3)"
lastlog -u "$TUSER" 2>/dev/null | grep -q "^$TUSER *pts/[0-9]* *127.0.0.1" && ok "lastlog record" ||
	fail "lastlog: $(lastlog -u "$TUSER" 2>&1)"
touch "$THOME/.hushlogin"
login hushed
grep -q "^Last login:" "$T/hushed.scr" && fail "~/.hushlogin ignored"
[ -n "$MOTD1" ] && grep -qF -- "$MOTD1" "$T/hushed.scr" && fail "motd despite ~/.hushlogin"
rm -f "$THOME/.hushlogin"
kill "$QPID"; wait "$QPID" 2>/dev/null; QPID=
USEPAM=no write_config "PrintMotd no" "PrintLastLog no"
start_qsshd
login quiet
grep -q "^Last login:" "$T/quiet.scr" && fail "Last login with PrintLastLog no"
[ -n "$MOTD1" ] && grep -qF -- "$MOTD1" "$T/quiet.scr" && fail "motd with PrintMotd no"
ok "PrintMotd no, PrintLastLog no, ~/.hushlogin"

# ---- rc files ----
printf 'echo rc-output\necho "$SSH_CONNECTION" >rc_ran\n' >"$THOME/.ssh/rc"
chown "$TUSER:" "$THOME/.ssh/rc"
out=$(qssh ed25519 echo command)
[ "$out" = "rc-output
command" ] && [ -s "$THOME/rc_ran" ] && ok "~/.ssh/rc runs first, in the home directory" ||
	fail "~/.ssh/rc: '$out'"
sed -i 's/^/no-user-rc /' "$THOME/.ssh/authorized_keys"
out=$(qssh ed25519 echo command)
[ "$out" = command ] && ok "no-user-rc" || fail "no-user-rc: '$out'"
if [ ! -e /etc/ssh/sshrc ]; then
	SSHRC_CREATED=1
	echo 'echo system-rc' >/etc/ssh/sshrc
	out=$(qssh ed25519 echo command)
	[ "$out" = "system-rc
command" ] && ok "/etc/ssh/sshrc when ~/.ssh/rc is not used" || fail "sshrc: '$out'"
	rm -f /etc/ssh/sshrc
	SSHRC_CREATED=
fi
sed -i 's/^no-user-rc //' "$THOME/.ssh/authorized_keys"
rm -f "$THOME/.ssh/rc"

# ---- ChrootDirectory ----
# /run is root's and not writable by others (unlike /tmp), so it can hold
# a jail; the jail itself is "$JAIL/root".
JAIL=$(mktemp -d -p /run qsshd_jail.XXXXXX)
chmod 755 "$JAIL"
J=$JAIL/root
mkdir -p "$J/bin"
chmod 755 "$J"
cp /bin/bash "$J/bin/"
for lib in $(ldd /bin/bash | grep -o '/[^ ]*'); do
	mkdir -p "$J$(dirname "$lib")"
	cp "$lib" "$J$lib"
done
kill "$QPID"; wait "$QPID" 2>/dev/null; QPID=
write_config "ChrootDirectory $JAIL/%u"
mv "$J" "$JAIL/$TUSER"
J=$JAIL/$TUSER
start_qsshd
out=$(qssh ed25519 'echo "jail:" /*' 2>"$T/jail.err")
case $out in
"jail: /bin /lib"*) ok "ChrootDirectory with %u ($out)" ;;
*) fail "chroot: '$out' $(cat "$T/jail.err")" ;;
esac
grep -q "Could not chdir to home directory $THOME" "$T/jail.err" &&
	ok "no home directory inside the jail" || fail "chdir message: $(cat "$T/jail.err")"
chmod 775 "$J"
qssh ed25519 echo should-not-run >"$T/bad.out" 2>/dev/null
[ -s "$T/bad.out" ] && fail "group-writable chroot accepted"
wait_log "bad ownership or modes for chroot directory \"$J\"" &&
	ok "chroot directory writable by group refused" || fail "no bad ownership line"
chmod 755 "$J"
chmod 757 "$JAIL"
qssh ed25519 echo should-not-run >"$T/bad.out" 2>/dev/null
[ -s "$T/bad.out" ] && fail "chroot below a world-writable directory accepted"
wait_log "bad ownership or modes for chroot directory component \"$JAIL\"" &&
	ok "a component writable by others refused" || fail "no component line"
chmod 755 "$JAIL"
chown "$TUSER" "$J"
qssh ed25519 echo should-not-run >"$T/bad.out" 2>/dev/null
[ -s "$T/bad.out" ] && fail "chroot owned by the user accepted"
chown root "$J"
out=$(qssh ed25519 echo again-ok 2>/dev/null)
[ "$out" = again-ok ] && ok "fixed modes work again" || fail "after fixing: '$out'"
finish
