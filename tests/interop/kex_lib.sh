# SPDX-License-Identifier: BSD-2-Clause
# Shared helpers for the kex interop scripts (sourced, not run).

KEX_ALGS="curve25519-sha256 curve25519-sha256@libssh.org ecdh-sha2-nistp256
ecdh-sha2-nistp384 ecdh-sha2-nistp521 diffie-hellman-group-exchange-sha256
diffie-hellman-group16-sha512 diffie-hellman-group18-sha512
diffie-hellman-group14-sha256 diffie-hellman-group14-sha1
diffie-hellman-group1-sha1"
HOSTKEY_ALGS="ssh-ed25519 ecdsa-sha2-nistp256 ecdsa-sha2-nistp384
ecdsa-sha2-nistp521 rsa-sha2-512 rsa-sha2-256"
CIPHERS="chacha20-poly1305@openssh.com aes128-ctr aes192-ctr aes256-ctr
aes128-gcm@openssh.com aes256-gcm@openssh.com"
# The same ciphers by kind: AEAD ones take no MAC.
AEAD_CIPHERS="chacha20-poly1305@openssh.com aes128-gcm@openssh.com
aes256-gcm@openssh.com"
MAC_CIPHERS="aes128-ctr aes192-ctr aes256-ctr"
MACS="hmac-sha2-256-etm@openssh.com hmac-sha2-512-etm@openssh.com
hmac-sha1-etm@openssh.com hmac-sha2-256 hmac-sha2-512 hmac-sha1"

fails=0
runs=0

say() { printf '%s\n' "$*"; }

fail() {
	say "FAIL: $*"
	fails=$((fails + 1))
}

# A TCP port nobody listens on (the kernel picks it).
free_port() {
	if command -v python3 >/dev/null; then
		python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
	else
		echo $((20000 + RANDOM % 30000))
	fi
}

# Host keys of every type in $1.
make_host_keys() {
	local dir=$1
	ssh-keygen -q -t ed25519 -N '' -f "$dir/hk_ed25519" || return 1
	ssh-keygen -q -t ecdsa -b 256 -N '' -f "$dir/hk_ecdsa256" || return 1
	ssh-keygen -q -t ecdsa -b 384 -N '' -f "$dir/hk_ecdsa384" || return 1
	ssh-keygen -q -t ecdsa -b 521 -N '' -f "$dir/hk_ecdsa521" || return 1
	ssh-keygen -q -t rsa -b 2048 -N '' -f "$dir/hk_rsa" || return 1
}

# Wait until a file contains a pattern (up to $3 tenths of a second).
wait_for() {
	local file=$1 pat=$2 n=$((${3:-50} * 5))
	while [ "$n" -gt 0 ]; do
		grep -q -- "$pat" "$file" 2>/dev/null && return 0
		sleep 0.02
		n=$((n - 1))
	done
	return 1
}

is_aead() {
	case $1 in
	chacha20-poly1305@openssh.com | *-gcm@openssh.com) return 0 ;;
	*) return 1 ;;
	esac
}

# All-pairs plan over kex, host key algorithm, cipher and MAC: prints
# "KEX HOSTKEY CIPHER MAC" lines.  A MAC only counts with a non-AEAD cipher,
# so each kex needs 9 connections: its 6 host key algorithms, then 3 more;
# over those 9 rows row r uses "transform" t = (r + i) mod 9 (i = the kex's
# index): t < 3 is AEAD cipher t, t >= 3 is MAC t-3 with CTR cipher
# (t - 3 + i) mod 3.  Since 9 rows per kex run through every transform and
# i runs through every residue mod 9, every pair of values of two different
# factors occurs (see pairs_summary, which checks what actually ran).
pairwise_plan() {
	local -a K H A C M
	local i r h t m n
	read -r -a K <<<"$(echo $KEX_ALGS)"
	read -r -a H <<<"$(echo $HOSTKEY_ALGS)"
	read -r -a A <<<"$(echo $AEAD_CIPHERS)"
	read -r -a C <<<"$(echo $MAC_CIPHERS)"
	read -r -a M <<<"$(echo $MACS)"
	n=$((${#A[@]} + ${#M[@]}))
	for ((i = 0; i < ${#K[@]}; i++)); do
		for ((r = 0; r < n; r++)); do
			if [ "$r" -lt "${#H[@]}" ]; then
				h=$r
			else
				h=$(((r + i) % ${#H[@]}))
			fi
			t=$(((r + i) % n))
			if [ "$t" -lt "${#A[@]}" ]; then
				# The MAC is not used; any valid name will do.
				printf '%s %s %s %s\n' "${K[i]}" "${H[h]}" \
				    "${A[t]}" "${M[(r + i) % ${#M[@]}]}"
			else
				m=$((t - ${#A[@]}))
				printf '%s %s %s %s\n' "${K[i]}" "${H[h]}" \
				    "${C[(m + i) % ${#C[@]}]}" "${M[m]}"
			fi
		done
	done
}

# Record the factors of a connection that passed its checks.
declare -A pairs_seen
pairs_record() {
	local kex=$1 hk=$2 c=$3 m=$4
	pairs_seen["kh $kex $hk"]=1
	pairs_seen["kc $kex $c"]=1
	pairs_seen["hc $hk $c"]=1
	if ! is_aead "$c"; then
		pairs_seen["km $kex $m"]=1
		pairs_seen["hm $hk $m"]=1
		pairs_seen["cm $c $m"]=1
	fi
}

# One line: pairs covered by passing connections out of all there are; a
# missing pair is a failure.
pairs_summary() {
	local nk nh nc nm na nx k line="all-pairs:" tag want have ok=0
	nk=$(echo $KEX_ALGS | wc -w)
	nh=$(echo $HOSTKEY_ALGS | wc -w)
	nc=$(echo $CIPHERS | wc -w)
	nm=$(echo $MACS | wc -w)
	nx=$(echo $MAC_CIPHERS | wc -w)
	for k in "kh:kex x hostkey:$((nk * nh))" "kc:kex x cipher:$((nk * nc))" \
	    "km:kex x MAC:$((nk * nm))" "hc:hostkey x cipher:$((nh * nc))" \
	    "hm:hostkey x MAC:$((nh * nm))" "cm:cipher x MAC:$((nx * nm))"; do
		tag=${k%%:*}
		want=${k##*:}
		have=0
		for na in "${!pairs_seen[@]}"; do
			[ "${na%% *}" = "$tag" ] && have=$((have + 1))
		done
		k=${k#*:}
		line="$line ${k%:*} $have/$want,"
		[ "$have" -eq "$want" ] || ok=1
	done
	say "${line%,} (MACs with non-AEAD ciphers only)"
	return $ok
}
