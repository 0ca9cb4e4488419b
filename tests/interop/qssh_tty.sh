#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# qssh interactive sessions in a real terminal (tmux) against OpenSSH's
# sshd: pty allocation with the terminal size, window changes, Ctrl-C, exit
# status, escape sequences (~. ~? ~~, EscapeChar none) and the local terminal
# restored on every way out (normal exit, ~., SIGTERM).
#
#   qssh_tty.sh QSSH_BINARY
. "$(dirname "$0")/qssh_lib.sh"
qssh_setup "$1"
command -v tmux >/dev/null || { say "SKIP: no tmux"; exit 77; }
H=127.0.0.1
TMUX_SOCK=$T/tmux.sock
tm() { tmux -S "$TMUX_SOCK" "$@"; }
SESS=0
pane_wait() { # fixed-string [tenths]
	local n=${2:-100}
	while [ "$n" -gt 0 ]; do
		tm capture-pane -p -J -t "tt$SESS" 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
# run_tty "qssh args": afterwards $T/tty.rc has rc=N and $T/tty.stty the
# local terminal settings.
run_tty() {
	SESS=$((SESS + 1))
	rm -f "$T/tty.rc" "$T/tty.stty"
	tm new-session -d -s "tt$SESS" -x 120 -y 40 \
		"$QSSH -F $CFG $1; r=\$?; stty -a >$T/tty.stty; echo rc=\$r >$T/tty.rc; sleep 20"
}
send() { tm send-keys -t "tt$SESS" "$@"; }
restored() { grep -q -- ' icanon' "$T/tty.stty" && grep -q -- ' echo ' "$T/tty.stty"; }

# ---- a shell with a pty ----
run_tty "$H"
if pane_wait '$ ' 100 || pane_wait '# ' 10; then
	ok "interactive shell"
	send 'echo "x$((6*7))y"; stty size; tty' Enter
	check "remote shell runs commands" pane_wait 'x42y'
	check "pty has the terminal size" pane_wait '40 120'
	check "a pty was allocated" pane_wait '/dev/pts/'
	tm resize-window -t "tt$SESS" -x 100 -y 30 2>/dev/null ||
		tm resize-pane -t "tt$SESS" -x 100 -y 30
	sleep 0.5
	send 'clear; stty size' Enter
	check "window change reaches the pty" pane_wait '30 100'
	# Ctrl-C goes to the remote pty and interrupts the foreground job.
	send 'clear; sleep 100' Enter
	sleep 1
	send C-c
	sleep 0.5
	send 'echo "after:$?"' Enter
	check "Ctrl-C interrupts the remote program" pane_wait 'after:130' 50
	send 'exit 3' Enter
	wait_for "$T/tty.rc" rc= 100
	check "shell exit status" grep -qx 'rc=3' "$T/tty.rc"
	check "Connection to HOST closed." pane_wait "Connection to $H closed."
	check "terminal restored after exit" restored
else
	fail "interactive shell"
	tm capture-pane -p -t "tt$SESS"
fi

# ---- escapes ----
run_tty "-t $H 'echo ready; sleep 60'"
if pane_wait ready; then
	send Enter
	send '~?'
	check "~? lists the escapes" pane_wait '~.   - terminate the connection'
	send Enter '~.'
	wait_for "$T/tty.rc" rc= 100
	check "~. ends the connection with 255" grep -qx 'rc=255' "$T/tty.rc"
	check "terminal restored after ~." restored
else
	fail "escape session"
fi

run_tty "-t $H 'read x; echo \"got:\$x\"; read y; echo \"got2:\$y\"'"
sleep 1
send '~~tilde' Enter
check "~~ sends one ~" pane_wait 'got:~tilde'
send 'a~b' Enter
check "~ inside a line is data" pane_wait 'got2:a~b'
wait_for "$T/tty.rc" rc= 100

run_tty "-t -e none $H 'read x; echo \"got:\$x\"'"
sleep 1
send '~.' Enter
check "EscapeChar none passes ~." pane_wait 'got:~.'
wait_for "$T/tty.rc" rc= 100
check "EscapeChar none: exit 0" grep -qx 'rc=0' "$T/tty.rc"

# ---- SIGTERM restores the terminal ----
run_tty "-t $H 'echo sleeping-now; sleep 60'"
if pane_wait "sleeping-now"; then
	pid=$(tm list-panes -t "tt$SESS" -F '#{pane_pid}')
	qpid=$(pgrep -P "$pid" -x qssh | head -1)
	if [ -n "$qpid" ]; then
		kill -TERM "$qpid"
		wait_for "$T/tty.rc" rc= 100
		check "SIGTERM: exit 255" grep -qx 'rc=255' "$T/tty.rc"
		check "terminal restored after SIGTERM" restored
	else
		fail "find the qssh process"
	fi
else
	fail "session for SIGTERM"
fi

# ---- -T in a terminal: no pty ----
run_tty "-T $H 'tty'"
wait_for "$T/tty.rc" rc= 100
check "-T: no pty" pane_wait 'not a tty'

qssh_finish
