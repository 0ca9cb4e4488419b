#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# qsshd -t and -T: OpenSSH's messages and exit statuses for bad
# configurations and unprotected host keys, the effective configuration.
QSSHD=$1
T=$(mktemp -d /tmp/qsshd_cfg.XXXXXX)
trap 'rm -rf "$T"' EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

ssh-keygen -q -t ed25519 -N '' -f "$T/hk" || exit 1
printf 'HostKey %s\nPidFile none\n' "$T/hk" >"$T/good"

"$QSSHD" -t -f "$T/good"
[ $? = 0 ] && ok "-t good config" || fail "-t good config"

printf 'HostKey %s\nPidFile none\nFooBar 1\n' "$T/hk" >"$T/c1"
out=$("$QSSHD" -t -f "$T/c1" 2>&1)
rc=$?
[ $rc = 255 ] || fail "unknown keyword exit $rc"
echo "$out" | grep -qxF "$T/c1: line 3: Bad configuration option: FooBar" &&
	ok "unknown keyword message" || fail "unknown keyword: $out"
echo "$out" | grep -qxF "$T/c1: terminating, 1 bad configuration options" ||
	fail "terminating line: $out"

printf 'HostKey %s\nPidFile none\nMaxAuthTries abc\n' "$T/hk" >"$T/c2"
out=$("$QSSHD" -t -f "$T/c2" 2>&1)
rc=$?
[ $rc = 255 ] || fail "bad value exit $rc"
echo "$out" | grep -qxF "$T/c2 line 3: MaxAuthTries integer value invalid." &&
	ok "bad value message" || fail "bad value: $out"

printf 'HostKey %s\nPidFile none\nInclude /nonexistent/qssh/*.conf\n' "$T/hk" >"$T/c3"
"$QSSHD" -t -f "$T/c3"
[ $? = 0 ] && ok "missing Include is skipped" || fail "missing Include"

out=$("$QSSHD" -t -f "$T/nonexistent" 2>&1)
[ $? = 1 ] && [ "$out" = "$T/nonexistent: No such file or directory" ] &&
	ok "missing config file" || fail "missing config: $out"

cp "$T/hk" "$T/hk644"
chmod 644 "$T/hk644"
printf 'HostKey %s\nPidFile none\n' "$T/hk644" >"$T/c4"
out=$("$QSSHD" -t -f "$T/c4" 2>&1)
rc=$?
cat >"$T/want" <<EOT
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
Permissions 0644 for '$T/hk644' are too open.
It is required that your private key files are NOT accessible by others.
This private key will be ignored.
Unable to load host key "$T/hk644": bad permissions
Unable to load host key: $T/hk644
EOT
echo "$out" | tr -d '\r' | head -8 >"$T/got"
[ $rc = 1 ] && cmp -s "$T/want" "$T/got" && ok "unprotected host key" ||
	{ fail "unprotected host key (exit $rc)"; diff "$T/want" "$T/got"; }

out=$("$QSSHD" -T -f "$T/good" -o MaxAuthTries=4 2>&1)
echo "$out" | grep -qx "maxauthtries 4" && ok "-T with -o" || fail "-T: $out"
echo "$out" | grep -qx "port 22" || fail "-T port 22"
printf 'HostKey %s\nPidFile none\nMatch User bob\n  PasswordAuthentication no\n' "$T/hk" >"$T/c5"
out=$("$QSSHD" -T -f "$T/c5" -C user=bob,host=h,addr=192.0.2.1 2>&1)
echo "$out" | grep -qx "passwordauthentication no" && ok "-T -C Match" || fail "-T -C: $out"

if [ "$FAILS" -ne 0 ]; then
	echo "$FAILS check(s) failed"
	exit 1
fi
echo "all checks passed"
