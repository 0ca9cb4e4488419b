#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ctest smoke test of qssh-bench: a --quick run with 8 MiB and one round
# must succeed and write a CSV with the expected header and at least one
# row of each section that can run here.  Timings are not checked.
BENCH=${1:?usage: smoke.sh path/to/qssh-bench}
BINDIR=$(dirname "$(readlink -f "$BENCH")")
for b in qssh qsshd; do
	[ -x "$BINDIR/$b" ] || { echo "skip: $BINDIR/$b not built"; exit 77; }
done
command -v ssh >/dev/null 2>&1 || { echo "skip: no OpenSSH client"; exit 77; }
tmp=$(mktemp -d /tmp/qssh-bench-smoke.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
if ! "$BENCH" --quick --size 8M --rounds 1 --out "$tmp" >"$tmp/stdout" 2>"$tmp/stderr"; then
	echo "FAIL: qssh-bench exited with $?"
	tail -30 "$tmp/stderr"
	exit 1
fi
fails=0
want='section,pair,client,server,param,metric,value,unit,rounds,workers,backend,note'
got=$(head -1 "$tmp/results.csv")
if [ "$got" != "$want" ]; then
	echo "FAIL: CSV header is '$got'"
	fails=$((fails + 1))
fi
# every row has 12 fields
if ! awk -F, 'NF != 12 { exit 1 }' "$tmp/results.csv"; then
	echo "FAIL: a CSV row does not have 12 fields"
	fails=$((fails + 1))
fi
for sec in bulk ceiling handshake memory; do
	if grep -q "^$sec," "$tmp/results.csv"; then
		echo "ok: $sec rows"
	else
		echo "FAIL: no $sec rows"
		fails=$((fails + 1))
	fi
done
for m in mbps client_cpu_per_gib server_cpu_per_gib handshakes_per_s pss_per_session; do
	grep -q ",$m," "$tmp/results.csv" || { echo "FAIL: no $m"; fails=$((fails + 1)); }
done
for f in results.svg report.md table.txt; do
	[ -s "$tmp/$f" ] || { echo "FAIL: $f missing"; fails=$((fails + 1)); }
done
grep -q '^<svg ' "$tmp/results.svg" || { echo "FAIL: SVG has no <svg> element"; fails=$((fails + 1)); }
grep -q 'Bulk upload' "$tmp/stdout" || { echo "FAIL: no table on stdout"; fails=$((fails + 1)); }
if [ "$fails" -ne 0 ]; then
	echo "---- stderr ----"
	tail -40 "$tmp/stderr"
	cat "$tmp/results.csv"
	exit 1
fi
echo "smoke test passed"
