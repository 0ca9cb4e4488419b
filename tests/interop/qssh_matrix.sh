#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The real qssh against OpenSSH's sshd over an all-pairs plan of kex x host
# key algorithm x cipher x MAC (kex_lib.sh's pairwise_plan, with both
# sntrup761x25519 names added, and diffie-hellman-group14-sha1 and group1-sha1
# enabled explicitly on both sides).  Every connection runs `cat; exit 3`
# with 8 MiB of random stdin, compares the sha256 of what comes back and the
# exit status, and checks the negotiated algorithms in qssh's -v output.
# The user key rotates over ed25519, ecdsa and rsa, each from a plain file,
# an encrypted file (passphrase through SSH_ASKPASS) and OpenSSH's ssh-agent;
# the packet crypto over the worker engine forced to offload, its automatic
# choice, and inline without workers.
#
#   qssh_matrix.sh QSSH_BINARY
here=$(dirname "$(readlink -f "$0")")
. "$here/kex_lib.sh"
. "$here/qssh_lib.sh"

KEX_ALGS="$KEX_ALGS sntrup761x25519-sha512@openssh.com"
if ssh -Q kex | grep -qx sntrup761x25519-sha512; then
	KEX_ALGS="$KEX_ALGS sntrup761x25519-sha512"
fi

QSSH_ALL_HOSTKEYS=1 qssh_setup "$1" \
	"KexAlgorithms +diffie-hellman-group14-sha1,diffie-hellman-group1-sha1" \
	"MaxStartups 100:30:200"
H=127.0.0.1
PASS='matrix phrase'

# User keys: plain files (from qssh_setup), encrypted copies, agent keys.
for k in ed25519 ecdsa rsa; do
	b=""
	[ "$k" = rsa ] && b="-b 2048"
	ssh-keygen -q -t $k $b -N "$PASS" -C "enc-$k" -f "$T/enc_$k" || exit 1
	ssh-keygen -q -t $k $b -N '' -C "ag-$k" -f "$T/ag_$k" || exit 1
	cat "$T/enc_$k.pub" "$T/ag_$k.pub" >>"$THOME/.ssh/authorized_keys"
done
eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null
AGENT_PID=$SSH_AGENT_PID
for k in ed25519 ecdsa rsa; do
	ssh-add -q "$T/ag_$k" 2>/dev/null || { say "ssh-add failed"; exit 1; }
	# Only the public half stays on disk: the agent holds the private one.
	rm -f "$T/ag_$k"
done
cat >"$T/askpass" <<EOF
#!/bin/sh
echo '$PASS'
EOF
chmod 755 "$T/askpass"

{
	echo "Host *"
	echo "  User $TUSER"
	echo "  Port $SSHD_PORT"
	echo "  UserKnownHostsFile $T/known_hosts_all"
	echo "  GlobalKnownHostsFile /dev/null"
	echo "  StrictHostKeyChecking yes"
	echo "  IdentitiesOnly yes"
	echo "  PreferredAuthentications publickey"
	echo "  BatchMode no"
} >"$T/cfg_matrix"

head -c $((8 * 1024 * 1024)) /dev/urandom >"$T/payload"
want_sum=$(sha256sum <"$T/payload" | cut -d' ' -f1)

type_name() {
	case $1 in
	ed25519) echo ED25519 ;;
	ecdsa) echo ECDSA ;;
	rsa) echo RSA ;;
	esac
}

# one KEX HOSTKEY CIPHER MAC N: connection N of the plan
one() {
	local kex=$1 hk=$2 c=$3 m=$4 n=$5 bad=$fails
	local types=(ed25519 ecdsa rsa) srcs=(file enc agent)
	local modes=(offload auto inline)
	local k=${types[n % 3]} src=${srcs[(n / 3) % 3]} id want_mac sum rc
	local wm=${modes[(n / 9) % 3]}
	local err=$T/m$n.err
	local -a env=(SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=never)
	local -a wenv=(QSSH_WORKER_MODE=$wm)
	[ "$wm" = inline ] && wenv=(QSSH_WORKERS=0)
	local -a opt=(-o IdentityAgent=none)
	case $src in
	file) id=$T/id_$k ;;
	enc)
		id=$T/enc_$k
		env=(SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force)
		;;
	agent)
		id=$T/ag_$k.pub
		opt=(-o IdentityAgent="$T/agent.sock")
		;;
	esac
	runs=$((runs + 1))
	env "${env[@]}" "${wenv[@]}" timeout 60 "$QSSH" -F "$T/cfg_matrix" -v \
		"${opt[@]}" -i "$id" -o KexAlgorithms="$kex" \
		-o HostKeyAlgorithms="$hk" -o Ciphers="$c" -o MACs="$m" \
		$H 'cat; exit 3' <"$T/payload" >"$T/m.out" 2>"$err"
	rc=$?
	sum=$(sha256sum <"$T/m.out")
	sum=${sum%% *}
	rm -f "$T/m.out"
	local what="#$n $kex $hk $c $m ($src $k, crypto $wm)"
	sed -i 's/\r$//' "$err"
	[ "$rc" -eq 3 ] || fail "$what: exit status $rc, not 3"
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
	if [ "$src" = agent ]; then
		grep -q "^debug1: Server accepts key: .* agent" "$err" ||
			fail "$what: key not used through the agent"
	fi
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
	[ -n "${MATRIX_LIMIT:-}" ] && [ "$n" -ge "$MATRIX_LIMIT" ] && break
done < <(pairwise_plan)
say "$n connections in $(($(date +%s) - start)) s"
if [ -z "${MATRIX_LIMIT:-}" ]; then
	runs=$((runs + 1))
	pairs_summary || fail "a pair of algorithms was not covered"
fi
qssh_finish
