#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Other clients log in to qsshd: Dropbear's dbclient and PuTTY's plink,
# with Ed25519, ECDSA and RSA keys (converted to their formats) and with a
# password; commands return their exit status and byte-exact stdout and
# stderr (1 MiB each).
QSSHD=$1
. "$(dirname "$0")/sshd_lib.sh"
for t in dbclient dropbearconvert plink puttygen; do
	command -v $t >/dev/null 2>&1 || { echo "skip: $t missing"; exit 77; }
done

LOGLEVEL=${LOGLEVEL:-VERBOSE} write_config "KbdInteractiveAuthentication no"
start_qsshd

head -c 1048576 /dev/urandom >"$T/out.bin"
head -c 1048576 /dev/urandom >"$T/err.bin"
chmod 644 "$T/out.bin" "$T/err.bin"
CMD="cat $T/out.bin; cat $T/err.bin >&2; exit 7"

# dbclient -y -y says once that it skips the host key check (its message
# ends in a newline of its own, and its logger adds another).
{ printf 'dbclient: Caution, skipping hostkey check for 127.0.0.1\n\n'; cat "$T/err.bin"; } >"$T/err_db.bin"

# check NAME [EXPECTED_STDERR]: compare $T/got.out/$T/got.err/$rc with the expected ones
check() {
	if [ "$rc" = 7 ] && cmp -s "$T/got.out" "$T/out.bin" &&
		cmp -s "$T/got.err" "${2:-$T/err.bin}"; then
		ok "$1"
	else
		fail "$1: status $rc, stdout $(wc -c <"$T/got.out") bytes, stderr $(wc -c <"$T/got.err") bytes"
		head -c 300 "$T/got.err" | grep -a -v '^[[:cntrl:]]*$' | head -3
	fi
}

# ---- Dropbear ----
for k in ed25519 ecdsa rsa; do
	dropbearconvert openssh dropbear "$T/uk_$k" "$T/db_$k" >/dev/null 2>&1 ||
		{ fail "dropbearconvert $k"; continue; }
	timeout 60 dbclient -y -y -p "$PORT" -i "$T/db_$k" "$TUSER@127.0.0.1" "$CMD" \
		>"$T/got.out" 2>"$T/got.err" </dev/null
	rc=$?
	check "dbclient $k key" "$T/err_db.bin"
done
DROPBEAR_PASSWORD=$TPASS timeout 60 dbclient -y -y -p "$PORT" "$TUSER@127.0.0.1" "$CMD" \
	>"$T/got.out" 2>"$T/got.err" </dev/null
rc=$?
check "dbclient password" "$T/err_db.bin"
DROPBEAR_PASSWORD=wrong timeout 60 dbclient -y -y -o BatchMode=yes -p "$PORT" \
	"$TUSER@127.0.0.1" 'echo in' 2>/dev/null </dev/null | grep -q in && fail "dbclient wrong password accepted" ||
	ok "dbclient wrong password refused"

# ---- PuTTY ----
HK=()
for k in ed25519 ecdsa rsa; do
	HK+=(-hostkey "$(ssh-keygen -l -E sha256 -f "$T/hk_$k.pub" | awk '{print $2}')")
done
for k in ed25519 ecdsa rsa; do
	puttygen "$T/uk_$k" -O private -o "$T/pt_$k.ppk" >/dev/null 2>&1 ||
		{ fail "puttygen $k"; continue; }
	timeout 60 plink -ssh -batch -noagent "${HK[@]}" -P "$PORT" -i "$T/pt_$k.ppk" \
		-l "$TUSER" 127.0.0.1 "$CMD" >"$T/got.out" 2>"$T/got.err" </dev/null
	rc=$?
	check "plink $k key"
done
timeout 60 plink -ssh -batch -noagent "${HK[@]}" -P "$PORT" -pw "$TPASS" \
	-l "$TUSER" 127.0.0.1 "$CMD" >"$T/got.out" 2>"$T/got.err" </dev/null
rc=$?
check "plink password"
timeout 60 plink -ssh -batch -noagent "${HK[@]}" -P "$PORT" -pw wrong \
	-l "$TUSER" 127.0.0.1 true >/dev/null 2>&1 </dev/null &&
	fail "plink wrong password accepted" || ok "plink wrong password refused"
# A host key that is not the server's is refused by plink.
timeout 60 plink -ssh -batch -noagent -hostkey SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \
	-P "$PORT" -pw "$TPASS" -l "$TUSER" 127.0.0.1 true >/dev/null 2>&1 </dev/null &&
	fail "plink accepted a wrong host key" || ok "plink checks the host key"
finish
