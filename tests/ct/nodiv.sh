#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Usage: nodiv.sh OBJDUMP OBJECT...
# Fails if the objects contain an integer division instruction: its latency
# depends on the operands, and memcheck cannot see that kind of leak.
objdump=$1
shift
[ $# -gt 0 ] || { echo "nodiv.sh: no object files" >&2; exit 2; }
out=$("$objdump" -d --no-show-raw-insn "$@") || exit 2
[ -n "$out" ] || exit 2
if printf '%s\n' "$out" | grep -E '[[:space:]]i?div[bwlq]?[[:space:]]'; then
	echo "nodiv.sh: integer division instruction found" >&2
	exit 1
fi
echo "nodiv.sh: no integer division in $# object file(s)"
