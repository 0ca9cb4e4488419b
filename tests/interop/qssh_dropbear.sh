#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The real qssh against Dropbear's server.  Dropbear 2022.83 offers kex
# curve25519-sha256[@libssh.org], ecdh-sha2-nistp256/384/521,
# diffie-hellman-group14-sha256 and -sha1; host keys ssh-ed25519,
# ecdsa-sha2-nistp256/384/521 and rsa-sha2-256; ciphers
# chacha20-poly1305@openssh.com, aes128-ctr, aes256-ctr; MACs hmac-sha1 and
# hmac-sha2-256 (from `dropbear -h`, `dbclient -c help`, `dbclient -m help`
# and its KEXINIT).  Every pair of those is covered by a connection that
# runs `cat; exit 5` on 8 MiB and checks the output's sha256, the exit
# status and the negotiated algorithms in qssh's -v output; the user key
# rotates over ed25519, ecdsa and rsa files (rsa signs with rsa-sha2-256,
# the only RSA signature in Dropbear's server-sig-algs).  Dropbear takes one
# host key per type, so three servers hold the three ECDSA curves.  Then
# password logins typed into a terminal (tmux): Dropbear's server offers
# "publickey,password" only, no keyboard-interactive, so a client that
# prefers keyboard-interactive falls back to password.
#
#   qssh_dropbear.sh QSSH_BINARY
here=$(dirname "$(readlink -f "$0")")
. "$here/kex_lib.sh"
. "$here/qssh_lib.sh"

command -v dropbear >/dev/null || { say "SKIP: no dropbear"; exit 77; }
command -v dropbearkey >/dev/null || { say "SKIP: no dropbearkey"; exit 77; }
command -v tmux >/dev/null || { say "SKIP: no tmux"; exit 77; }

KEX_ALGS="curve25519-sha256 curve25519-sha256@libssh.org ecdh-sha2-nistp256
ecdh-sha2-nistp384 ecdh-sha2-nistp521 diffie-hellman-group14-sha256
diffie-hellman-group14-sha1"
HOSTKEY_ALGS="ssh-ed25519 ecdsa-sha2-nistp256 ecdsa-sha2-nistp384
ecdsa-sha2-nistp521 rsa-sha2-256"
CIPHERS="chacha20-poly1305@openssh.com aes128-ctr aes256-ctr"
AEAD_CIPHERS="chacha20-poly1305@openssh.com"
MAC_CIPHERS="aes128-ctr aes256-ctr"
MACS="hmac-sha1 hmac-sha2-256"

qssh_setup "$1"
H=127.0.0.1
DB_PIDS=
db_cleanup() {
	local p
	for p in $DB_PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	qssh_cleanup
}
trap db_cleanup EXIT

# Host keys; server 1 holds ed25519, rsa and P-256, servers 2 and 3 P-384
# and P-521.
dropbearkey -t ed25519 -f "$T/db_ed25519" >/dev/null 2>&1 || exit 1
dropbearkey -t rsa -s 2048 -f "$T/db_rsa" >/dev/null 2>&1 || exit 1
for s in 256 384 521; do
	dropbearkey -t ecdsa -s $s -f "$T/db_ecdsa$s" >/dev/null 2>&1 || exit 1
done
: >"$T/db_known_hosts"
start_db() { # name keys...
	local name=$1 port k
	shift
	port=$(free_port)
	local -a args=()
	for k in "$@"; do
		args+=(-r "$T/$k")
		printf '[127.0.0.1]:%s ' "$port" >>"$T/db_known_hosts"
		dropbearkey -y -f "$T/$k" | grep -E '^(ssh-|ecdsa-)' |
			cut -d' ' -f1,2 >>"$T/db_known_hosts"
	done
	dropbear -F -E -p "127.0.0.1:$port" -P "$T/$name.pid" "${args[@]}" \
		2>"$T/$name.log" &
	DB_PIDS="$DB_PIDS $!"
	eval "PORT_$name=$port"
	wait_for "$T/$name.log" "Not backgrounding" 50 || {
		say "dropbear $name did not start:"
		cat "$T/$name.log"
		exit 1
	}
}
start_db db1 db_ed25519 db_rsa db_ecdsa256
start_db db2 db_ecdsa384
start_db db3 db_ecdsa521

{
	echo "Host *"
	echo "  User $TUSER"
	echo "  UserKnownHostsFile $T/db_known_hosts"
	echo "  GlobalKnownHostsFile /dev/null"
	echo "  StrictHostKeyChecking yes"
	echo "  IdentitiesOnly yes"
	echo "  IdentityAgent none"
	echo "  BatchMode yes"
} >"$T/cfg_db"

port_for() {
	case $1 in
	ecdsa-sha2-nistp384) echo "$PORT_db2" ;;
	ecdsa-sha2-nistp521) echo "$PORT_db3" ;;
	*) echo "$PORT_db1" ;;
	esac
}

type_name() {
	case $1 in
	ed25519) echo ED25519 ;;
	ecdsa) echo ECDSA ;;
	rsa) echo RSA ;;
	esac
}

# All pairs: each kex runs through the 5 host key algorithms, row r using
# "transform" t = (r + i) mod 5 (i = the kex's index): chacha20-poly1305,
# or one of the 2 x 2 CTR cipher and MAC combinations.  Every kex meets
# every host key and transform, and since i runs through every residue mod
# 5, every host key meets every transform.
db_plan() {
	local -a K H X
	local i r
	read -r -a K <<<"$(echo $KEX_ALGS)"
	read -r -a H <<<"$(echo $HOSTKEY_ALGS)"
	X=("chacha20-poly1305@openssh.com hmac-sha1"
		"aes128-ctr hmac-sha1" "aes128-ctr hmac-sha2-256"
		"aes256-ctr hmac-sha1" "aes256-ctr hmac-sha2-256")
	for ((i = 0; i < ${#K[@]}; i++)); do
		for ((r = 0; r < ${#H[@]}; r++)); do
			echo "${K[i]} ${H[r]} ${X[(r + i) % ${#X[@]}]}"
		done
	done
}

head -c $((8 * 1024 * 1024)) /dev/urandom >"$T/payload"
want_sum=$(sha256sum <"$T/payload" | cut -d' ' -f1)

one() { # KEX HOSTKEY CIPHER MAC N
	local kex=$1 hk=$2 c=$3 m=$4 n=$5 bad=$fails
	local types=(ed25519 ecdsa rsa)
	local modes=(offload auto inline)
	local k=${types[n % 3]} want_mac sum rc err=$T/d$n.err
	local wm=${modes[(n / 3) % 3]}
	local -a wenv=(QSSH_WORKER_MODE=$wm)
	[ "$wm" = inline ] && wenv=(QSSH_WORKERS=0)
	local what="#$n $kex $hk $c $m ($k key, crypto $wm)"
	runs=$((runs + 1))
	env "${wenv[@]}" timeout 60 "$QSSH" -F "$T/cfg_db" -v -p "$(port_for "$hk")" \
		-i "$T/id_$k" -o KexAlgorithms="$kex" \
		-o HostKeyAlgorithms="$hk" -o Ciphers="$c" -o MACs="$m" \
		$H 'cat; exit 5' <"$T/payload" >"$T/d.out" 2>"$err"
	rc=$?
	sum=$(sha256sum <"$T/d.out")
	sum=${sum%% *}
	rm -f "$T/d.out"
	sed -i 's/\r$//' "$err"
	[ "$rc" -eq 5 ] || fail "$what: exit status $rc, not 5"
	[ "$sum" = "$want_sum" ] || fail "$what: sha256 of the output differs"
	want_mac=$m
	is_aead "$c" && want_mac="<implicit>"
	grep -qx "debug1: kex: algorithm: $kex" "$err" ||
		fail "$what: kex not in -v output"
	grep -qx "debug1: kex: host key algorithm: $hk" "$err" ||
		fail "$what: host key algorithm not in -v output"
	grep -qx "debug1: kex: server->client cipher: $c MAC: $want_mac compression: none" "$err" ||
		fail "$what: s2c cipher/MAC not in -v output"
	grep -qx "debug1: kex: client->server cipher: $c MAC: $want_mac compression: none" "$err" ||
		fail "$what: c2s cipher/MAC not in -v output"
	grep -q "^debug1: Server accepts key: .* $(type_name $k) SHA256:" "$err" ||
		fail "$what: $k key not accepted"
	if [ "$fails" -ne "$bad" ]; then
		sed 's/^/    /' "$err" | tail -25
		return 1
	fi
	say "ok: $what"
	pairs_record "$kex" "$hk" "$c" "$m"
	rm -f "$err"
}

start=$(date +%s)
n=0
while read -r kex hk c m; do
	one "$kex" "$hk" "$c" "$m" "$n"
	n=$((n + 1))
done < <(db_plan)
say "$n connections in $(($(date +%s) - start)) s"
runs=$((runs + 1))
pairs_summary || fail "a pair of algorithms was not covered"

# RSA signatures: rsa-sha2-256, as Dropbear's server-sig-algs asks.
out=$(timeout 30 "$QSSH" -F "$T/cfg_db" -vvv -p "$PORT_db1" -i "$T/id_rsa" \
	$H 'echo rsa-ok' </dev/null 2>"$T/rsa.err")
check "rsa user key" [ "$out" = rsa-ok ]
check "signed with rsa-sha2-256" \
	grep -q "^debug3: sign_and_send_pubkey: signing using rsa-sha2-256 SHA256:" "$T/rsa.err"
check "Dropbear accepted the rsa key" \
	grep -q "Pubkey auth succeeded for '$TUSER' with ssh-rsa key" "$T/db1.log"

# The server lists publickey and password only.
timeout 30 "$QSSH" -F "$T/cfg_db" -v -p "$PORT_db1" -o PubkeyAuthentication=no \
	$H true </dev/null >/dev/null 2>"$T/nokey.err"
rc=$?
check "no key, batch mode: 255" [ "$rc" -eq 255 ]
check "Dropbear offers publickey,password" \
	grep -q "^debug1: Authentications that can continue: publickey,password" "$T/nokey.err"

# ---- passwords through a terminal ----
TMUX_SOCK=$T/tmux.sock
tm() { tmux -S "$TMUX_SOCK" "$@"; }
SESS=0
pane_wait() { # pattern [tenths]
	local n=${2:-100}
	while [ "$n" -gt 0 ]; do
		tm capture-pane -p -t "qd$SESS" 2>/dev/null | grep -q -- "$1" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
run_tty() { # args...
	SESS=$((SESS + 1))
	rm -f "$T/tty.rc"
	tm new-session -d -s "qd$SESS" -x 120 -y 40 \
		"$QSSH -F $T/cfg_db -o BatchMode=no -p $PORT_db1 -o PubkeyAuthentication=no $* $H 'echo logged-in-as \$(id -un)' ; echo rc=\$? >$T/tty.rc; sleep 20"
}

run_tty -o PreferredAuthentications=password
if pane_wait "$TUSER@$H's password:"; then
	ok "password prompt"
	tm send-keys -t "qd$SESS" "$TPASS" Enter
	wait_for "$T/tty.rc" rc= 100
	check "password login" pane_wait "logged-in-as $TUSER" 10
	check "password login: exit 0" grep -qx 'rc=0' "$T/tty.rc"
else
	fail "password prompt"
	tm capture-pane -p -t "qd$SESS"
fi

run_tty -o PreferredAuthentications=password
if pane_wait "password:"; then
	tm send-keys -t "qd$SESS" "wrong" Enter
	check "wrong password: try again" pane_wait "Permission denied, please try again."
	tm send-keys -t "qd$SESS" "$TPASS" Enter
	wait_for "$T/tty.rc" rc= 100
	check "second password works" grep -qx 'rc=0' "$T/tty.rc"
else
	fail "password prompt (retry)"
fi

# keyboard-interactive first: not offered, so password is used.
run_tty -o PreferredAuthentications=keyboard-interactive,password
if pane_wait "$TUSER@$H's password:"; then
	ok "keyboard-interactive not offered: password prompt"
	tm send-keys -t "qd$SESS" "$TPASS" Enter
	wait_for "$T/tty.rc" rc= 100
	check "password after keyboard-interactive: exit 0" grep -qx 'rc=0' "$T/tty.rc"
else
	fail "password prompt after keyboard-interactive"
	tm capture-pane -p -t "qd$SESS"
fi

# A pty session: the remote side sees a terminal.
SESS=$((SESS + 1))
rm -f "$T/tty.rc"
tm new-session -d -s "qd$SESS" -x 100 -y 30 \
	"$QSSH -F $T/cfg_db -p $PORT_db1 -i $T/id_ed25519 -t $H 'tty; stty size; exit 6'; echo rc=\$? >$T/tty.rc; sleep 20"
wait_for "$T/tty.rc" rc= 100
check "pty session on Dropbear" pane_wait "/dev/pts/" 10
check "pty size passed" pane_wait "^30 100" 10
check "pty session: exit 6" grep -qx 'rc=6' "$T/tty.rc"

qssh_finish
