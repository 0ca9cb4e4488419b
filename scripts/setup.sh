#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Installs every build, test and interop dependency of qssh from Debian
# packages.  Idempotent: packages already present are not touched, so a
# second run does nothing.  This is the only install step of the project.
set -euo pipefail

packages=(
	# build
	build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
	libssl-dev zlib1g-dev libpam0g-dev libcmocka-dev
	libipsec-mb-dev libdpdk-dev dpdk libfido2-dev libcbor-dev
	# tests and tools
	valgrind tmux procps iproute2 iperf3 python3 time
	# interop peers
	openssh-client openssh-server dropbear-bin putty-tools sshpass
	rsync git fail2ban
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup: all ${#packages[@]} packages are installed"
	exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "setup: missing packages (${missing[*]}) and not root; run as root or install them" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start services on a build machine.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
	$sudo chmod +x "$policy"
	made_policy=1
fi
cleanup() { [ $made_policy -eq 1 ] && $sudo rm -f "$policy"; return 0; }
trap cleanup EXIT
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
