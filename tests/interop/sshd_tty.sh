#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# An interactive pty session with OpenSSH's ssh in tmux: the shell prompt,
# the window size following a resize (window-change), Ctrl-C interrupting a
# running command (signals through the pty), and exit ending the session.
QSSHD=$1
. "$(dirname "$0")/sshd_lib.sh"

write_config
start_qsshd

tmux_start tty1 "timeout --foreground 90 ssh $SSH_OPTS -o BatchMode=yes -o IdentitiesOnly=yes -i $T/uk_ed25519 -tt $TUSER@127.0.0.1"
if ! tmux_wait tty1 '\$ *$'; then
	fail "no shell prompt: $(tmux_screen tty1)"
	finish
fi
ok "shell prompt"
tmux_keys tty1 -l "export PS1='QP''> '; clear"
tmux_keys tty1 Enter
tmux_wait tty1 '^QP>' || fail "PS1 not set: $(tmux_screen tty1)"

tmux_keys tty1 -l 'echo "SZ-$(stty size | tr " " x)-$TERM-${SSH_TTY:+tty}"'
tmux_keys tty1 Enter
tmux_wait tty1 '^SZ-50x200-' && ok "initial size 50x200" ||
	fail "initial size: $(tmux_screen tty1 | grep SZ-)"
tmux_screen tty1 | grep -q '^SZ-50x200-.*-tty$' && ok "SSH_TTY set" ||
	fail "SSH_TTY: $(tmux_screen tty1 | grep SZ-)"

tmux -L "$TMUX_SOCK" resize-window -t tty1 -x 120 -y 40
sleep 0.5
tmux_keys tty1 -l 'clear; echo "SZ-$(stty size | tr " " x)"'
tmux_keys tty1 Enter
tmux_wait tty1 '^SZ-40x120' && ok "window-change to 40x120" ||
	fail "after resize: $(tmux_screen tty1 | grep SZ-)"

tmux_keys tty1 -l 'clear; sleep 100'
tmux_keys tty1 Enter
sleep 1
tmux_keys tty1 C-c
# The prompt comes back (long before 100 s) and $? says SIGINT (130).
if tmux_wait tty1 '^(\^C)?QP> *$' 100; then
	tmux_keys tty1 -l 'echo "RC-$?"'
	tmux_keys tty1 Enter
	tmux_wait tty1 '^RC-130' 50 && ok "Ctrl-C interrupts sleep 100" ||
		fail "Ctrl-C status: $(tmux_screen tty1)"
else
	fail "Ctrl-C: $(tmux_screen tty1)"
fi

tmux_keys tty1 -l 'exit'
tmux_keys tty1 Enter
tmux_wait tty1 'EXIT=0' 100 && ok "exit ends the session" ||
	fail "exit: $(tmux_screen tty1 | tail -5)"
wait_log "Starting session: shell on /dev/pts/" && ok "Starting session line" ||
	fail "no Starting session: shell on line"
tmux_kill tty1
finish
