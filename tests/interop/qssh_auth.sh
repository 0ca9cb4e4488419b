#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# qssh user authentication against OpenSSH's sshd: an encrypted key through
# SSH_ASKPASS, keys held by OpenSSH's ssh-agent, IdentitiesOnly, password
# and keyboard-interactive typed into a real terminal (tmux), the banner.
#
#   qssh_auth.sh QSSH_BINARY
. "$(dirname "$0")/qssh_lib.sh"
qssh_setup "$1" "Banner $(dirname "$(readlink -f "$0")")/qssh_banner.txt" \
	"KbdInteractiveAuthentication yes"
H=127.0.0.1
grep -v -e IdentityFile -e IdentityAgent -e BatchMode -e IdentitiesOnly \
	"$CFG" >"$T/cfg_base"

# ---- encrypted key, passphrase from SSH_ASKPASS ----
ssh-keygen -q -t ed25519 -N 'sekrit phrase' -C enc -f "$T/id_enc" || exit 1
cat "$T/id_enc.pub" >>"$THOME/.ssh/authorized_keys"
cat >"$T/askpass" <<EOF
#!/bin/sh
echo "\$1" >>"$T/askpass.log"
echo 'sekrit phrase'
EOF
chmod 755 "$T/askpass"
out=$(SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force timeout 30 \
	"$QSSH" -F "$T/cfg_base" -o IdentityAgent=none -i "$T/id_enc" $H \
	'echo enc-ok' </dev/null 2>"$T/enc.err")
check "encrypted key via SSH_ASKPASS" [ "$out" = "enc-ok" ]
check "askpass got ssh's prompt" grep -qx "Enter passphrase for key '$T/id_enc': " "$T/askpass.log"
check "banner printed on stderr" grep -q 'qssh test banner' "$T/enc.err"
out=$(SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force timeout 30 \
	"$QSSH" -q -F "$T/cfg_base" -o IdentityAgent=none -i "$T/id_enc" $H \
	'echo q' </dev/null 2>"$T/enc_q.err")
check "-q hides the banner" [ ! -s "$T/enc_q.err" ]

# wrong passphrase three times, then refused
cat >"$T/askpass_bad" <<EOF
#!/bin/sh
echo x >>"$T/askpass_bad.log"
echo wrong
EOF
chmod 755 "$T/askpass_bad"
SSH_ASKPASS="$T/askpass_bad" SSH_ASKPASS_REQUIRE=force timeout 30 \
	"$QSSH" -F "$T/cfg_base" -o IdentityAgent=none -o BatchMode=no \
	-o PreferredAuthentications=publickey -i "$T/id_enc" $H true \
	</dev/null 2>/dev/null
rc=$?
check "wrong passphrase: 255" [ "$rc" -eq 255 ]
check "wrong passphrase: asked 3 times" [ "$(wc -l <"$T/askpass_bad.log")" -eq 3 ]

# ---- ssh-agent ----
eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null
AGENT_PID=$SSH_AGENT_PID
ssh-add -q "$T/id_rsa" "$T/id_ecdsa" 2>/dev/null
out=$(SSH_AUTH_SOCK="$T/agent.sock" timeout 30 "$QSSH" -F "$T/cfg_base" -vvv \
	-o BatchMode=yes $H 'echo agent-ok' </dev/null 2>"$T/agent.err")
check "key from ssh-agent" [ "$out" = "agent-ok" ]
check "agent key offered as agent" grep -q '^debug1: Offering public key: rsa-key RSA SHA256:.* agent' "$T/agent.err" || cat "$T/agent.err"
out=$(timeout 30 "$QSSH" -F "$T/cfg_base" -o IdentityAgent="$T/agent.sock" \
	-o BatchMode=yes $H 'echo agent2' </dev/null 2>/dev/null)
check "IdentityAgent path" [ "$out" = "agent2" ]
# IdentitiesOnly: only agent keys that match IdentityFile
SSH_AUTH_SOCK="$T/agent.sock" timeout 30 "$QSSH" -F "$T/cfg_base" -v \
	-o BatchMode=yes -o IdentitiesOnly=yes -i "$T/id_ecdsa" $H true \
	</dev/null 2>"$T/only.err"
rc=$?
check "IdentitiesOnly with an agent key: ok" [ "$rc" -eq 0 ]
check "IdentitiesOnly: rsa agent key not offered" bash -c "! grep -q 'Offering public key: rsa-key' '$T/only.err'"
check "IdentitiesOnly: file key used through the agent" grep -q "Offering public key: $T/id_ecdsa ECDSA SHA256:.* explicit agent" "$T/only.err"
check "sshd saw rsa-sha2-512 from the agent" grep -q 'Accepted publickey for .* RSA' "$T/sshd.log"

# ---- password and keyboard-interactive through a terminal ----
TMUX_SOCK=$T/tmux.sock
tm() { tmux -S "$TMUX_SOCK" "$@"; }
SESS=0
pane_wait() { # pattern [tenths]
	local n=${2:-100}
	while [ "$n" -gt 0 ]; do
		tm capture-pane -p -t "qt$SESS" 2>/dev/null | grep -q -- "$1" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
run_tty() { # method-args...
	SESS=$((SESS + 1))
	rm -f "$T/tty.rc"
	tm new-session -d -s "qt$SESS" -x 120 -y 40 \
		"$QSSH -F $T/cfg_base -o IdentityAgent=none -o PubkeyAuthentication=no $* $H 'echo logged-in-as \$(id -un)' ; echo rc=\$? >$T/tty.rc; sleep 20"
}

run_tty -o PreferredAuthentications=password
if pane_wait "$TUSER@$H's password:"; then
	ok "password prompt as ssh's"
	tm send-keys -t "qt$SESS" "$TPASS" Enter
	wait_for "$T/tty.rc" rc= 100
	check "password login" pane_wait "logged-in-as $TUSER" 10
	check "password login: exit 0" grep -qx 'rc=0' "$T/tty.rc"
else
	fail "password prompt as ssh's"
	tm capture-pane -p -t "qt$SESS"
fi

run_tty -o PreferredAuthentications=password
if pane_wait "password:"; then
	tm send-keys -t "qt$SESS" "wrong" Enter
	check "wrong password: try again" pane_wait "Permission denied, please try again."
	tm send-keys -t "qt$SESS" "$TPASS" Enter
	wait_for "$T/tty.rc" rc= 100
	check "second password works" grep -qx 'rc=0' "$T/tty.rc"
else
	fail "password prompt (retry)"
fi

run_tty -o PreferredAuthentications=keyboard-interactive
if pane_wait "($TUSER@$H) Password:"; then
	ok "keyboard-interactive prompt as ssh's"
	tm send-keys -t "qt$SESS" "$TPASS" Enter
	wait_for "$T/tty.rc" rc= 100
	check "keyboard-interactive login" grep -qx 'rc=0' "$T/tty.rc"
else
	fail "keyboard-interactive prompt as ssh's"
	tm capture-pane -p -t "qt$SESS"
fi

run_tty -o PreferredAuthentications=password -o NumberOfPasswordPrompts=1
if pane_wait "password:"; then
	tm send-keys -t "qt$SESS" "wrong" Enter
	wait_for "$T/tty.rc" rc= 100
	check "denied after NumberOfPasswordPrompts: 255" grep -qx 'rc=255' "$T/tty.rc"
	check "denied: Permission denied line" pane_wait "$TUSER@$H: Permission denied (publickey,password,keyboard-interactive)."
else
	fail "password prompt (denied)"
fi

qssh_finish
