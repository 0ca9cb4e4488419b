#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# qssh as the transport of other programs: rsync -e and git
# (GIT_SSH_COMMAND) against OpenSSH's sshd, both directions, byte-exact.
#
#   qssh_rsync_git.sh QSSH_BINARY
. "$(dirname "$0")/qssh_lib.sh"
qssh_setup "$1"
H=127.0.0.1
for p in rsync git; do
	command -v $p >/dev/null || { say "SKIP: no $p"; exit 77; }
done
E="$QSSH -F $CFG"

# ---- rsync ----
mkdir -p "$T/src/sub/deeper" "$T/back"
head -c 300000 /dev/urandom >"$T/src/random.bin"
printf 'hello\n' >"$T/src/hello.txt"
: >"$T/src/empty"
head -c 2000000 /dev/zero >"$T/src/sub/zeros"
printf 'x%.0s' $(seq 1 5000) >"$T/src/sub/deeper/xs"
ln -s hello.txt "$T/src/link"
chmod 755 "$T"
chmod -R a+rX "$T/src"
chmod 640 "$T/src/hello.txt"

RDIR=$THOME/rs
mkdir -p "$RDIR"
chown "$TUSER:" "$RDIR"
timeout 60 rsync -a -e "$E" "$T/src/" "$TUSER@$H:rs/" >"$T/rs1.log" 2>&1
rc=$?
check "rsync to the server: exit 0" [ "$rc" -eq 0 ] || cat "$T/rs1.log"
check "rsync to the server: tree byte-exact" diff -r "$T/src" "$RDIR"
check "rsync keeps the symlink" [ "$(readlink "$RDIR/link")" = hello.txt ]
check "rsync keeps the mode" [ "$(stat -c %a "$RDIR/hello.txt")" = 640 ]

timeout 60 rsync -a -e "$E" "$TUSER@$H:rs/" "$T/back/" >"$T/rs2.log" 2>&1
rc=$?
check "rsync from the server: exit 0" [ "$rc" -eq 0 ] || cat "$T/rs2.log"
check "rsync from the server: tree byte-exact" diff -r "$T/src" "$T/back"

# an update in place (delta transfer)
printf 'changed\n' >>"$T/src/random.bin"
out=$(timeout 60 rsync -av -e "$E" "$T/src/" "$TUSER@$H:rs/" 2>&1)
check "rsync -av update" grep -q '^random.bin$' <<<"$out"
check "rsync update byte-exact" cmp "$T/src/random.bin" "$RDIR/random.bin"

# ---- sftp and scp with -S (subsystem through -s) ----
printf 'put %s/src/random.bin up.bin\nget up.bin %s/down.bin\n' "$T" "$T" \
	>"$T/sftp.batch"
timeout 60 sftp -q -S "$QSSH" -F "$CFG" -b "$T/sftp.batch" "$TUSER@$H" \
	>"$T/sftp.log" 2>&1
rc=$?
check "sftp -S qssh: exit 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || cat "$T/sftp.log"
check "sftp put byte-exact" cmp "$T/src/random.bin" "$THOME/up.bin"
check "sftp get byte-exact" cmp "$T/src/random.bin" "$T/down.bin"
timeout 60 scp -q -S "$QSSH" -F "$CFG" "$T/src/sub/zeros" "$TUSER@$H:zeros.scp" \
	>"$T/scp.log" 2>&1
check "scp -S qssh (sftp mode)" cmp "$T/src/sub/zeros" "$THOME/zeros.scp"
timeout 60 scp -O -q -S "$QSSH" -F "$CFG" "$TUSER@$H:zeros.scp" "$T/zeros.back" \
	>>"$T/scp.log" 2>&1
check "scp -O -S qssh (scp protocol)" cmp "$T/src/sub/zeros" "$T/zeros.back"

# ---- git ----
su "$TUSER" -c "git init -q --bare ~/repo.git" || fail "git init --bare"
# git only passes -p to programs it knows as OpenSSH's ssh: the port (not
# 22) comes from the URL, and no Port line is in the configuration.  Without
# GIT_SSH_VARIANT git runs "COMMAND -G HOST" to find out, which qssh answers
# as ssh does; with "simple" it refuses to pass a port.
grep -v '^  Port ' "$CFG" >"$T/cfg_noport"
export GIT_SSH_COMMAND="$QSSH -F $T/cfg_noport"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
timeout 60 git ls-remote "ssh://$TUSER@$H:$SSHD_PORT/~/repo.git" \
	>"$T/git0.log" 2>&1
check "no GIT_SSH_VARIANT: detected as ssh through -G, port $SSHD_PORT" [ $? -eq 0 ]
GIT_SSH_VARIANT=simple timeout 60 git ls-remote \
	"ssh://$TUSER@$H:$SSHD_PORT/~/repo.git" >"$T/git0.log" 2>&1
check "GIT_SSH_VARIANT=simple: git refuses the port" \
	grep -q "does not support setting port" "$T/git0.log"
export GIT_SSH_VARIANT=ssh
timeout 60 git ls-remote "ssh://$TUSER@$H:$SSHD_PORT/~/repo.git" \
	>"$T/git0.log" 2>&1
check "GIT_SSH_VARIANT=ssh: git ls-remote on port $SSHD_PORT" [ $? -eq 0 ]
mkdir -p "$T/w1"
(
	cd "$T/w1" && git init -q -b main . &&
		cp "$T/src/random.bin" "$T/src/hello.txt" . &&
		git add . && git commit -q -m first &&
		git remote add origin "ssh://$TUSER@$H:$SSHD_PORT/~/repo.git" &&
		timeout 60 git push -q origin main
) >"$T/git1.log" 2>&1
rc=$?
check "git push over qssh" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$T/git1.log"
timeout 60 git clone -q -b main "ssh://$TUSER@$H:$SSHD_PORT/~/repo.git" "$T/w2" \
	>"$T/git2.log" 2>&1
check "git clone over qssh" [ $? -eq 0 ] || cat "$T/git2.log"
check "clone is byte-exact" cmp "$T/w1/random.bin" "$T/w2/random.bin"
(
	cd "$T/w2" && echo more >>hello.txt && git commit -q -am second &&
		timeout 60 git push -q origin HEAD:main
) >"$T/git3.log" 2>&1
rc=$?
check "second push" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$T/git3.log"
(cd "$T/w1" && timeout 60 git pull -q origin main) >"$T/git4.log" 2>&1
check "pull sees the second commit" grep -q more "$T/w1/hello.txt"

qssh_finish
