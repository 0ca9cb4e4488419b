#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Starts qsshd in the embedded default mode (kernel sockets, threads) on
# 127.0.0.1, with host keys kept in ~/.qssh/ (generated on first start) and
# the invoking user's ~/.ssh/authorized_keys accepted.
set -euo pipefail
build=${1:-build}
port=${2:-2222}
bin=$build/bin/qsshd
if [ ! -x "$bin" ]; then
	echo "run: $bin is not built (run make first)" >&2
	exit 1
fi
# The empty chroot of the pre-authentication sandbox, as a service manager
# would create it for OpenSSH's sshd.
if [ "$(id -u)" -eq 0 ]; then
	mkdir -p /run/sshd
	chmod 755 /run/sshd
fi
statedir=${HOME}/.qssh
mkdir -p "$statedir"
chmod 700 "$statedir"
exec "$bin" -D -e -p "$port" -o ListenAddress=127.0.0.1 \
	-h "$statedir/ssh_host_ed25519_key" \
	-h "$statedir/ssh_host_ecdsa_key" \
	-h "$statedir/ssh_host_rsa_key" \
	-o PidFile=none \
	-o AuthorizedKeysFile=.ssh/authorized_keys
