# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash disable=SC2034
# Helpers of qssh-bench (sourced): /proc accounting, ports, medians.

CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

log() { printf '[qssh-bench] %s\n' "$*" >&2; }

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for FILE FIXED-STRING [TENTHS]
wait_for() {
	local n=${3:-100}
	while [ "$n" -gt 0 ]; do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# now_ns: monotonic enough wall clock in nanoseconds
now_ns() { date +%s%N; }

# stat_fields PID: the fields of /proc/PID/stat after "(comm) ", so that
# $1 is the state, $2 the ppid, $12 utime, $13 stime, $14 cutime, $15 cstime.
stat_fields() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	printf '%s\n' "${s##*) }"
}

# proc_ticks_all PID: utime+stime of the process plus the cumulated times
# of all children it has waited for (cutime+cstime), in clock ticks.
proc_ticks_all() {
	local f
	f=$(stat_fields "$1") || return 1
	set -- $f
	echo $((${12} + ${13} + ${14} + ${15}))
}

# proc_ticks_self PID: utime+stime of the process alone.
proc_ticks_self() {
	local f
	f=$(stat_fields "$1") || return 1
	set -- $f
	echo $((${12} + ${13}))
}

# lived_ticks ROOT LISTENER: utime+stime of the long-lived descendants of
# ROOT other than LISTENER (qsshd's dataplane process, which serves every
# connection and is never reaped during a run)
lived_ticks() {
	local p t sum=0
	for p in $(tree_pids "$1"); do
		[ "$p" = "$1" ] || [ "$p" = "$2" ] && continue
		t=$(proc_ticks_self "$p") || continue
		sum=$((sum + t))
	done
	echo "$sum"
}

# proc_ticks_reaped PID: cutime+cstime only (children waited for)
proc_ticks_reaped() {
	local f
	f=$(stat_fields "$1") || return 1
	set -- $f
	echo $((${14} + ${15}))
}

# children PID: the direct children (all threads' children files)
children() {
	cat /proc/"$1"/task/*/children 2>/dev/null
}

# tree_pids PID: PID and all its descendants, one per line
tree_pids() {
	local c
	echo "$1"
	for c in $(children "$1"); do
		tree_pids "$c"
	done
}

# child_count PID
child_count() {
	children "$1" | wc -w
}

# wait_children PID COUNT [TENTHS]: until PID has at most COUNT children
wait_children() {
	local n=${3:-200}
	while [ "$n" -gt 0 ]; do
		[ "$(child_count "$1")" -le "$2" ] && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}

# wait_tree PID COUNT [TENTHS]: until PID's tree has at most COUNT processes
wait_tree() {
	local n=${3:-200}
	while [ "$n" -gt 0 ]; do
		[ "$(tree_pids "$1" | wc -l)" -le "$2" ] && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}

# mem_tree PID: "RSS_KiB PSS_KiB NPROC" summed over PID and its descendants
mem_tree() {
	local p r=0 q=0 n=0 v
	for p in $(tree_pids "$1"); do
		v=$(awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } END { print r + 0, p + 0 }' \
			"/proc/$p/smaps_rollup" 2>/dev/null) || continue
		set -- $v
		r=$((r + $1))
		q=$((q + $2))
		n=$((n + 1))
	done
	echo "$r $q $n"
}

# sampler ROOT LISTENER STOPFILE OUTFILE: while STOPFILE exists, every
# 0.1 s read utime+stime of every descendant of ROOT (not ROOT itself nor
# the long-lived LISTENER) and remember
# the last value per pid; at the end write the sum in ticks to OUTFILE.
# It misses what a process used after its last sample, so it is a lower
# bound used only to cross-check the reaped-children accounting.
sampler() {
	local root=$1 lsn=$2 stop=$3 out=$4 p t sum=0
	declare -A last=() base=()
	# What the processes there before the transfer (the dataplane) had
	# used already is not the transfer's.
	for p in $(tree_pids "$root"); do
		t=$(proc_ticks_self "$p") || continue
		base[$p]=$t
	done
	while [ -e "$stop" ]; do
		for p in $(tree_pids "$root"); do
			t=$(proc_ticks_self "$p") || continue
			last[$p]=$t
		done
		sleep 0.1
	done
	# neither the reaper nor the listener's time since its start is part
	# of the connection
	unset 'last[$root]' 'last[$lsn]'
	for p in "${!last[@]}"; do
		sum=$((sum + ${last[$p]} - ${base[$p]:-0}))
	done
	echo "$sum" >"$out"
}

# median of the numbers given as arguments (empty if none)
median() {
	[ $# -eq 0 ] && return 0
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END {
			if (NR % 2) printf "%.6g\n", v[(NR + 1) / 2];
			else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2;
		}'
}

# parse_size 8M | 256M | 1G | 4096 -> bytes (K/M/G are powers of 1024)
parse_size() {
	local s=$1 n u
	n=${s%[KkMmGg]}
	u=${s#"$n"}
	case $n in '' | *[!0-9]*) return 1 ;; esac
	case $u in
	'') echo "$n" ;;
	[Kk]) echo $((n * 1024)) ;;
	[Mm]) echo $((n * 1024 * 1024)) ;;
	[Gg]) echo $((n * 1024 * 1024 * 1024)) ;;
	esac
}

# fmt_size BYTES -> 1 GiB / 256 MiB / N bytes
fmt_size() {
	local b=$1
	if [ $((b % 1073741824)) -eq 0 ]; then
		echo "$((b / 1073741824)) GiB"
	elif [ $((b % 1048576)) -eq 0 ]; then
		echo "$((b / 1048576)) MiB"
	else
		echo "$b bytes"
	fi
}
