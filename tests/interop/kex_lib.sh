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
	local file=$1 pat=$2 n=${3:-50}
	while [ "$n" -gt 0 ]; do
		grep -q -- "$pat" "$file" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
