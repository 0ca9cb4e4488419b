#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# rsync -av -e qssh with a larger load against OpenSSH's sshd: a tree of
# 1000 files and one 200 MiB file, to the server and back, compared with
# diff -r and sha256sum; then a second run that must find nothing to send.
#
#   qssh_rsync_big.sh QSSH_BINARY
. "$(dirname "$0")/qssh_lib.sh"
qssh_setup "$1"
H=127.0.0.1
command -v rsync >/dev/null || { say "SKIP: no rsync"; exit 77; }
# The port on the command line, as a user would type it.
grep -v '^  Port ' "$CFG" >"$T/cfg_noport"
E="$QSSH -F $T/cfg_noport -p $SSHD_PORT"

mkdir -p "$T/src" "$T/back"
for d in $(seq 0 9); do
	mkdir -p "$T/src/d$d"
	for f in $(seq 0 99); do
		# Sizes from 0 to a few KiB, some text, some binary.
		if [ $((f % 2)) -eq 0 ]; then
			head -c $(((d * 100 + f) * 7 % 5000)) /dev/urandom
		else
			seq 1 $((f * 3))
		fi >"$T/src/d$d/f$f"
	done
done
head -c $((200 * 1024 * 1024)) /dev/urandom >"$T/src/big.bin"
chmod 755 "$T"
chmod -R a+rX "$T/src"
nfiles=$(find "$T/src" -type f | wc -l)
check "1001 files to send" [ "$nfiles" -eq 1001 ]
want=$(sha256sum <"$T/src/big.bin" | cut -d' ' -f1)

RDIR=$THOME/rs
mkdir -p "$RDIR"
chown "$TUSER:" "$RDIR"
s=$(date +%s)
timeout 100 rsync -av -e "$E" "$T/src/" "$TUSER@$H:rs/" >"$T/up.log" 2>&1
rc=$?
say "upload: $(($(date +%s) - s)) s"
check "rsync -av to the server: exit 0" [ "$rc" -eq 0 ] || tail "$T/up.log"
check "upload: tree identical (diff -r)" diff -r "$T/src" "$RDIR"
check "upload: 200 MiB file sha256" \
	[ "$(sha256sum <"$RDIR/big.bin" | cut -d' ' -f1)" = "$want" ]

s=$(date +%s)
timeout 100 rsync -av -e "$E" "$TUSER@$H:rs/" "$T/back/" >"$T/down.log" 2>&1
rc=$?
say "download: $(($(date +%s) - s)) s"
check "rsync -av from the server: exit 0" [ "$rc" -eq 0 ] || tail "$T/down.log"
check "download: tree identical (diff -r)" diff -r "$T/src" "$T/back"
check "download: 200 MiB file sha256" \
	[ "$(sha256sum <"$T/back/big.bin" | cut -d' ' -f1)" = "$want" ]

# Nothing changed: rsync lists no file the second time.
out=$(timeout 100 rsync -av -e "$E" "$T/src/" "$TUSER@$H:rs/" 2>&1)
check "second upload sends nothing" \
	bash -c "! grep -q -e '^big.bin' -e '^d[0-9]/f' <<<\"\$1\"" _ "$out"

qssh_finish
