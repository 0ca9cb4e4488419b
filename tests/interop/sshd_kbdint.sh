#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# keyboard-interactive through PAM (RFC 4256) with OpenSSH's ssh typing
# into a pty (tmux), KbdInteractiveAuthentication no, a password change on
# expiry in the same conversation, and AuthenticationMethods with partial
# success.
QSSHD=$1
. "$(dirname "$0")/sshd_lib.sh"

KBD="timeout --foreground 50 ssh $SSH_OPTS -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no"

write_config "KbdInteractiveAuthentication yes"
start_qsshd

# A good password typed at PAM's prompt.
tmux_start kbd1 "$KBD $TUSER@127.0.0.1 echo kbd-ok"
if tmux_wait kbd1 "Password:"; then
	tmux_keys kbd1 -l "$TPASS"
	tmux_keys kbd1 Enter
	tmux_wait kbd1 "EXIT=" 300
	tmux_screen kbd1 | grep -q "^kbd-ok" && tmux_screen kbd1 | grep -q "EXIT=0" &&
		ok "keyboard-interactive login" || fail "kbdint login: $(tmux_screen kbd1)"
else
	fail "no Password: prompt: $(tmux_screen kbd1)"
fi
wait_log "Accepted keyboard-interactive/pam for $TUSER from 127.0.0.1 port " &&
	ok "Accepted keyboard-interactive/pam line" || fail "no Accepted keyboard-interactive/pam line"
tmux_kill kbd1

# A wrong password: a new prompt, then the right one.
tmux_start kbd2 "$KBD -o NumberOfPasswordPrompts=2 $TUSER@127.0.0.1 echo kbd-retry"
if tmux_wait kbd2 "Password:"; then
	tmux_keys kbd2 -l "wrong-$TPASS"
	tmux_keys kbd2 Enter
	for _ in $(seq 1 100); do
		[ "$(tmux_screen kbd2 | grep -c 'Password:')" -ge 2 ] && break
		sleep 0.1
	done
	tmux_keys kbd2 -l "$TPASS"
	tmux_keys kbd2 Enter
	tmux_wait kbd2 "EXIT=" 300
	tmux_screen kbd2 | grep -q "^kbd-retry" && ok "kbdint retry after a wrong password" ||
		fail "kbdint retry: $(tmux_screen kbd2)"
else
	fail "no Password: prompt (retry)"
fi
wait_log "Failed keyboard-interactive/pam for $TUSER from 127.0.0.1 port " &&
	ok "Failed keyboard-interactive/pam line" || fail "no Failed keyboard-interactive/pam line"
tmux_kill kbd2

# An invalid user gets the same prompt and fails.
tmux_start kbd3 "$KBD -o NumberOfPasswordPrompts=1 nosuch_$TUSER@127.0.0.1 true"
if tmux_wait kbd3 "Password:"; then
	tmux_keys kbd3 -l "$TPASS"
	tmux_keys kbd3 Enter
	tmux_wait kbd3 "EXIT=" 300
	tmux_screen kbd3 | grep -q "EXIT=255" && ok "invalid user refused" ||
		fail "invalid user: $(tmux_screen kbd3)"
else
	fail "no Password: prompt for an invalid user"
fi
wait_log "Failed keyboard-interactive/pam for invalid user nosuch_$TUSER from 127.0.0.1 port " ||
	fail "no Failed keyboard-interactive/pam for invalid user line"
tmux_kill kbd3

# An expired password is changed in the conversation (pam_chauthtok).
NEWPASS=Nw_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n' | tr 0-9a-f g-v)
chage -d 0 "$TUSER"
tmux_start kbd4 "$KBD $TUSER@127.0.0.1 echo changed-ok"
# Answer each prompt once, whatever PAM asks in between (a rejected new
# password is asked for again).
prev=
for _ in $(seq 1 300); do
	scr=$(tmux_screen kbd4)
	last=$(printf '%s\n' "$scr" | grep -v '^$' | tail -1)
	case $last in *EXIT=*) break ;; esac
	if [ "$scr" != "$prev" ]; then
		ans=
		case $last in
		*"Current password:"*) ans=$TPASS ;;
		*"New password:"* | *"Retype new password:"*) ans=$NEWPASS ;;
		*"Password:"*) ans=$TPASS ;;
		esac
		if [ -n "$ans" ]; then
			tmux_keys kbd4 -l "$ans"
			tmux_keys kbd4 Enter
			prev=$scr
		fi
	fi
	sleep 0.1
done
tmux_screen kbd4 | grep -q "^changed-ok" && ok "expired password changed through kbdint" ||
	fail "password change: $(tmux_screen kbd4)"
tmux_kill kbd4
out=$(qssh_pw "$NEWPASS" "$TUSER" echo new-pw-ok)
[ "$out" = new-pw-ok ] && ok "login with the new password" || fail "new password: '$out'"
echo "$TUSER:$TPASS" | chpasswd

# KbdInteractiveAuthentication no: the method is neither offered nor taken.
kill "$QPID"; wait "$QPID" 2>/dev/null; QPID=
write_config "KbdInteractiveAuthentication no"
start_qsshd
out=$($KBD -o BatchMode=yes "$TUSER@127.0.0.1" true 2>&1)
case $out in
*"Permission denied (publickey,password)"*) ok "KbdInteractiveAuthentication no" ;;
*) fail "kbdint off: $out" ;;
esac

# AuthenticationMethods publickey,password: a key alone or a password
# alone is not enough; both in order are.
kill "$QPID"; wait "$QPID" 2>/dev/null; QPID=
write_config "AuthenticationMethods publickey,password publickey,keyboard-interactive"
start_qsshd
out=$(qssh ed25519 echo key-only 2>&1)
case $out in
*"Permission denied (password,keyboard-interactive)"*) ok "key alone: partial success" ;;
*) fail "key alone: $out" ;;
esac
wait_log "Partial publickey for $TUSER from 127.0.0.1 port " && ok "Partial publickey line" ||
	fail "no Partial publickey line"
out=$(qssh_pw "$TPASS" "$TUSER" echo pw-only 2>&1)
case $out in
*"Permission denied (publickey)"*) ok "password alone refused" ;;
*) fail "password alone: $out" ;;
esac
out=$(timeout 60 sshpass -p "$TPASS" ssh $SSH_OPTS -v -o IdentitiesOnly=yes -i "$T/uk_ecdsa" \
	-o PreferredAuthentications=publickey,password -o NumberOfPasswordPrompts=1 \
	"$TUSER@127.0.0.1" echo both-ok 2>"$T/both")
[ "$out" = both-ok ] && ok "publickey then password" || fail "publickey,password: '$out' $(tail -5 "$T/both")"
grep -q 'Authenticated using "publickey" with partial success' "$T/both" &&
	ok "client saw the partial success" || fail "no partial success in ssh -v"
wait_log "Accepted password for $TUSER from 127.0.0.1 port " || fail "no Accepted password after partial"

# publickey then keyboard-interactive, typed.
tmux_start kbd5 "timeout --foreground 50 ssh $SSH_OPTS -o IdentitiesOnly=yes -i $T/uk_ed25519 -o PreferredAuthentications=publickey,keyboard-interactive $TUSER@127.0.0.1 echo key-kbd-ok"
if tmux_wait kbd5 "Password:"; then
	tmux_keys kbd5 -l "$TPASS"
	tmux_keys kbd5 Enter
	tmux_wait kbd5 "EXIT=" 300
	tmux_screen kbd5 | grep -q "^key-kbd-ok" && ok "publickey then keyboard-interactive" ||
		fail "publickey,keyboard-interactive: $(tmux_screen kbd5)"
else
	fail "no Password: prompt after the key: $(tmux_screen kbd5)"
fi
tmux_kill kbd5
finish
