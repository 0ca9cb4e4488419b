#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Checks the layer rules of CONVENTIONS.md: which layer's headers each layer
# may include, and that DPDK / ipsec-mb / libfido2 headers stay in the one
# backend or driver file that wraps them.
set -u
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2
fail=0

allowed() {
	case "$1" in
	common) echo "common" ;;
	crypto-offload | drivers | fido) echo "common $1" ;;
	dataplane) echo "common crypto-offload drivers dataplane" ;;
	control) echo "common dataplane crypto-offload fido control" ;;
	*) echo "common crypto-offload drivers fido dataplane control" ;;
	esac
}

for layer in common crypto-offload drivers fido dataplane control sshd client; do
	[ -d "$layer" ] || continue
	ok=" $(allowed "$layer") "
	while IFS= read -r line; do
		file=${line%%:*}
		inc=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]\([a-z-]*\)\/.*/\1/p' <<<"${line#*:}")
		[ -n "$inc" ] || continue
		case "$inc" in
		common | crypto-offload | drivers | fido | dataplane | control) ;;
		*) continue ;;
		esac
		if [[ "$ok" != *" $inc "* ]]; then
			echo "layering: $file includes a $inc/ header; $layer may use:$ok" >&2
			fail=1
		fi
	done < <(grep -rnH --include='*.c' --include='*.h' '^[[:space:]]*#[[:space:]]*include' "$layer" | sed 's/:[0-9]*:/:/')
done

# Foreign SDK headers only in their wrappers.
check_sdk() {
	local pat=$1 where=$2 f g ok
	local -a globs
	IFS='|' read -r -a globs <<<"$where"
	while IFS= read -r f; do
		ok=0
		for g in "${globs[@]}"; do
			# shellcheck disable=SC2053
			[[ "$f" == $g ]] && ok=1
		done
		[ $ok -eq 1 ] || { echo "layering: $f includes $pat outside $where" >&2; fail=1; }
	done < <(grep -rlE --include='*.c' --include='*.h' "#[[:space:]]*include[[:space:]]*<$pat" \
		common crypto-offload drivers fido dataplane control sshd client 2>/dev/null)
}
check_sdk 'rte_' 'crypto-offload/src/backend_cryptodev*|drivers/src/dpdk*|dataplane/src/dpdk*'
check_sdk 'intel-ipsec-mb' 'crypto-offload/src/backend_ipsecmb*'
check_sdk 'fido' 'fido/src/*'

# The repository root is never an include path.
if grep -rnE --include='*.c' --include='*.h' '#[[:space:]]*include[[:space:]]*"\.\./' \
	common crypto-offload drivers fido dataplane control sshd client >&2; then
	echo "layering: relative includes across folders are not allowed" >&2
	fail=1
fi
[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
