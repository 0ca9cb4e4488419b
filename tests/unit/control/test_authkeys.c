/* SPDX-License-Identifier: BSD-2-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/authkeys.h"
#include "control/key.h"

static struct key *ukey, *otherkey;
static char *ukey_text, *otherkey_text;

/* Captured log lines. */
static char logbuf[16384];

static void
log_hook(enum qssh_log_level level, const char *line, void *ctx)
{
	size_t n = strlen(logbuf);

	(void)level;
	(void)ctx;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", line);
}

static char *
pubkey_text(const struct key *k)
{
	struct qssh_buf *b = qssh_buf_new();
	char *s;
	size_t n;

	assert_non_null(b);
	assert_int_equal(key_to_blob(k, b), 0);
	n = strlen(key_type_name(k)) + 1 +
	    qssh_b64_encoded_len(qssh_buf_len(b));
	s = malloc(n);
	assert_non_null(s);
	snprintf(s, n, "%s ", key_type_name(k));
	assert_true(qssh_b64_encode(qssh_buf_ptr(b), qssh_buf_len(b),
			s + strlen(s), n - strlen(s)) >= 0);
	qssh_buf_free(b);
	return s;
}

static int
setup(void **state)
{
	(void)state;
	if (key_generate(KEY_ED25519, 0, &ukey) != 0 ||
	    key_generate(KEY_ECDSA_P256, 256, &otherkey) != 0)
		return -1;
	ukey_text = pubkey_text(ukey);
	otherkey_text = pubkey_text(otherkey);
	qssh_log_set_file("/dev/null");
	qssh_log_set_level(QSSH_LOG_DEBUG1);
	qssh_log_set_hook(log_hook, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	qssh_log_set_hook(NULL, NULL);
	key_free(ukey);
	key_free(otherkey);
	free(ukey_text);
	free(otherkey_text);
	return 0;
}

/* Parse "OPTIONS KEY comment" and return the entry (must succeed). */
static struct authkeys_entry *
parse_ok(const char *opts)
{
	struct authkeys_entry *e = NULL;
	const char *reason = NULL;
	char line[8192];

	snprintf(line, sizeof(line), "%s%s%s user@host", opts,
	    opts[0] != '\0' ? " " : "", ukey_text);
	assert_int_equal(authkeys_parse_line(line, &e, &reason), 0);
	assert_null(reason);
	assert_non_null(e);
	return e;
}

static const char *
parse_bad(const char *opts)
{
	struct authkeys_entry *e = NULL;
	const char *reason = NULL;
	char line[8192];

	snprintf(line, sizeof(line), "%s %s", opts, ukey_text);
	assert_int_equal(
	    authkeys_parse_line(line, &e, &reason), QSSH_ERR_INVALID_FORMAT);
	assert_null(e);
	assert_non_null(reason);
	return reason;
}

static void
test_plain_line(void **state)
{
	struct authkeys_entry *e;
	char line[4096];

	(void)state;
	e = parse_ok("");
	assert_string_equal(e->key.type, "ssh-ed25519");
	assert_true(authkeys_keyfield_matches(&e->key, ukey));
	assert_false(authkeys_keyfield_matches(&e->key, otherkey));
	assert_string_equal(e->comment, "user@host");
	assert_true(e->opts.permit_pty && e->opts.permit_port_forwarding &&
	    e->opts.permit_agent_forwarding && e->opts.permit_x11_forwarding &&
	    e->opts.permit_user_rc);
	assert_int_equal(e->opts.force_tun_device, AUTHKEYS_TUN_NONE);
	authkeys_entry_free(e);

	/* No comment, leading blanks, CR at the end. */
	snprintf(line, sizeof(line), "  \t%s\r", otherkey_text);
	assert_int_equal(authkeys_parse_line(line, &e, NULL), 0);
	assert_null(e->comment);
	assert_true(authkeys_keyfield_matches(&e->key, otherkey));
	authkeys_entry_free(e);

	assert_int_equal(authkeys_parse_line("", &e, NULL), QSSH_ERR_NOT_FOUND);
	assert_int_equal(
	    authkeys_parse_line("   # x", &e, NULL), QSSH_ERR_NOT_FOUND);
	assert_int_equal(authkeys_parse_line("ssh-ed25519 !!!", &e, NULL),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(authkeys_parse_line("ssh-ed25519", &e, NULL),
	    QSSH_ERR_INVALID_FORMAT);
	/* Options not followed by a key: not a key line at all. */
	assert_int_equal(authkeys_parse_line("no-pty x", &e, NULL),
	    QSSH_ERR_KEY_TYPE_UNKNOWN);
	/* Blob type differs from the written type. */
	snprintf(line, sizeof(line), "ssh-rsa %s", strchr(ukey_text, ' ') + 1);
	assert_int_equal(
	    authkeys_parse_line(line, &e, NULL), QSSH_ERR_INVALID_FORMAT);
}

static void
test_cert_type_line(void **state)
{
	static const char name[] = "ssh-ed25519-cert-v01@openssh.com";
	struct authkeys_entry *e = NULL;
	struct qssh_buf *b = qssh_buf_new();
	char b64[256], line[512];

	(void)state;
	assert_int_equal(qssh_buf_put_cstring(b, name), 0);
	assert_int_equal(qssh_buf_put_cstring(b, "nonce-and-more"), 0);
	assert_true(qssh_b64_encode(qssh_buf_ptr(b), qssh_buf_len(b), b64,
			sizeof(b64)) >= 0);
	snprintf(line, sizeof(line), "%s %s c", name, b64);
	assert_int_equal(authkeys_parse_line(line, &e, NULL), 0);
	assert_true(e->key.is_cert);
	assert_null(e->key.key);
	assert_false(authkeys_keyfield_matches(&e->key, ukey));
	assert_string_equal(authkeys_type_short(e->key.type), "ED25519-CERT");
	authkeys_entry_free(e);
	qssh_buf_free(b);
	assert_true(authkeys_type_known("sk-ssh-ed25519@openssh.com"));
	assert_false(authkeys_type_known("rsa-sha2-256"));
}

static void
test_flag_options(void **state)
{
	struct authkeys_entry *e;

	(void)state;
	e = parse_ok("no-agent-forwarding,no-port-forwarding,no-pty,"
		     "no-user-rc,no-X11-forwarding");
	assert_false(e->opts.permit_agent_forwarding);
	assert_false(e->opts.permit_port_forwarding);
	assert_false(e->opts.permit_pty);
	assert_false(e->opts.permit_user_rc);
	assert_false(e->opts.permit_x11_forwarding);
	assert_false(e->opts.restricted);
	authkeys_entry_free(e);

	e = parse_ok("restrict");
	assert_true(e->opts.restricted);
	assert_false(e->opts.permit_agent_forwarding ||
	    e->opts.permit_port_forwarding || e->opts.permit_pty ||
	    e->opts.permit_user_rc || e->opts.permit_x11_forwarding);
	authkeys_entry_free(e);

	/* Later positive options re-enable; names are case-insensitive. */
	e = parse_ok("RESTRICT,Pty,agent-forwarding,port-forwarding,"
		     "user-rc,x11-FORWARDING");
	assert_true(e->opts.restricted);
	assert_true(e->opts.permit_agent_forwarding &&
	    e->opts.permit_port_forwarding && e->opts.permit_pty &&
	    e->opts.permit_user_rc && e->opts.permit_x11_forwarding);
	authkeys_entry_free(e);

	e = parse_ok("cert-authority,no-touch-required,verify-required");
	assert_true(e->opts.cert_authority);
	assert_true(e->opts.no_require_user_presence);
	assert_true(e->opts.require_verify);
	authkeys_entry_free(e);

	/* Empty options and a trailing comma are tolerated (as sshd). */
	e = parse_ok("no-pty,,no-user-rc,");
	assert_false(e->opts.permit_pty);
	assert_false(e->opts.permit_user_rc);
	authkeys_entry_free(e);
}

static void
test_value_options(void **state)
{
	struct authkeys_entry *e;

	(void)state;
	e = parse_ok("command=\"echo \\\"hi there\\\" \\\\n\",from=\"*.example,"
		     "!bad.example,192.0.2.0/24\",principals=\"alice,bob\","
		     "tunnel=\"5\"");
	assert_string_equal(e->opts.force_command, "echo \"hi there\" \\\\n");
	assert_string_equal(
	    e->opts.required_from, "*.example,!bad.example,192.0.2.0/24");
	assert_string_equal(e->opts.principals, "alice,bob");
	assert_int_equal(e->opts.force_tun_device, 5);
	authkeys_entry_free(e);

	e = parse_ok("command=\"\",tunnel=\"any\"");
	assert_string_equal(e->opts.force_command, "");
	assert_int_equal(e->opts.force_tun_device, AUTHKEYS_TUN_ANY);
	authkeys_entry_free(e);

	/* Environment: repeatable, the first of a name wins. */
	e = parse_ok("environment=\"A=1\",environment=\"B_2=x y\","
		     "environment=\"A=2\",environment=\"EMPTY=\"");
	assert_int_equal(e->opts.num_env, 3);
	assert_string_equal(e->opts.env[0], "A=1");
	assert_string_equal(e->opts.env[1], "B_2=x y");
	assert_string_equal(e->opts.env[2], "EMPTY=");
	authkeys_entry_free(e);

	e = parse_ok("permitopen=\"host.example:80\",permitopen=\"*:443\","
		     "permitopen=\"[2001:db8::1]:22\",permitopen=\"h:*\","
		     "PermitOpen=\"a b:8\"");
	assert_int_equal(e->opts.num_permitopen, 5);
	assert_string_equal(e->opts.permitopen[0], "host.example:80");
	assert_string_equal(e->opts.permitopen[1], "*:443");
	assert_string_equal(e->opts.permitopen[2], "[2001:db8::1]:22");
	assert_string_equal(e->opts.permitopen[3], "h:*");
	assert_string_equal(e->opts.permitopen[4], "a b:8");
	authkeys_entry_free(e);

	e = parse_ok("permitlisten=\"8080\",permitlisten=\"localhost:*\","
		     "permitlisten=\"[::1]:99\",permitlisten=\"*\"");
	assert_int_equal(e->opts.num_permitlisten, 4);
	assert_string_equal(e->opts.permitlisten[0], "*:8080");
	assert_string_equal(e->opts.permitlisten[1], "localhost:*");
	assert_string_equal(e->opts.permitlisten[2], "[::1]:99");
	assert_string_equal(e->opts.permitlisten[3], "*:*");
	authkeys_entry_free(e);

	/* Quoted values may hold blanks and commas. */
	e = parse_ok("command=\"a, b\",no-pty");
	assert_string_equal(e->opts.force_command, "a, b");
	assert_false(e->opts.permit_pty);
	authkeys_entry_free(e);

	/* tunnel: the last one wins. */
	e = parse_ok("tunnel=\"5\",tunnel=\"6\"");
	assert_int_equal(e->opts.force_tun_device, 6);
	authkeys_entry_free(e);
}

static void
test_expiry_time(void **state)
{
	struct authkeys_entry *e;
	uint64_t t;
	char *oldtz = getenv("TZ") != NULL ? strdup(getenv("TZ")) : NULL;

	(void)state;
	assert_int_equal(authkeys_parse_time("20200101Z", &t), 0);
	assert_int_equal(t, 1577836800);
	assert_int_equal(authkeys_parse_time("202001010130Z", &t), 0);
	assert_int_equal(t, 1577836800 + 5400);
	assert_int_equal(authkeys_parse_time("20200101013005z", &t), 0);
	assert_int_equal(t, 1577836800 + 5405);
	/* Local time unless Z. */
	setenv("TZ", "EST5", 1);
	tzset();
	assert_int_equal(authkeys_parse_time("20200101", &t), 0);
	assert_int_equal(t, 1577836800 + 5 * 3600);
	setenv("TZ", "UTC0", 1);
	tzset();
	assert_int_equal(authkeys_parse_time("20200101", &t), 0);
	assert_int_equal(t, 1577836800);
	assert_int_equal(
	    authkeys_parse_time("2020", &t), QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    authkeys_parse_time("20201301", &t), QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    authkeys_parse_time("202001011", &t), QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    authkeys_parse_time("2020010x", &t), QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    authkeys_parse_time("19600101Z", &t), QSSH_ERR_INVALID_FORMAT);

	/* The earliest of several is kept. */
	e = parse_ok("expiry-time=\"20300101Z\",EXPIRY-TIME=\"20250101Z\","
		     "expiry-time=\"20990101Z\"");
	assert_int_equal(e->opts.valid_before, 1735689600);
	authkeys_entry_free(e);
	if (oldtz != NULL)
		setenv("TZ", oldtz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(oldtz);
}

static void
test_bad_options(void **state)
{
	static const struct {
		const char *opts;
		const char *reason;
	} cases[] = {
		{ "frobnicate", "unknown key option" },
		{ "no-pty=\"x\"", "unknown key option" },
		{ "command=\"a\"x", "unknown key option" },
		{ "command=x", "missing start quote" },
		{ "command", "missing start quote" },
		{ "command=\"a\",command=\"b\"",
		    "multiple \"command\" clauses" },
		{ "from=\"a\",from=\"b\"", "multiple \"from\" clauses" },
		{ "principals=\"a\",principals=\"b\"",
		    "multiple \"principals\" clauses" },
		{ "expiry-time=\"2020\"", "invalid expires time" },
		{ "expiry-time=\"20201301\"", "invalid expires time" },
		{ "environment=\"FOO\"", "invalid environment string" },
		{ "environment=\"=x\"", "invalid environment string" },
		{ "environment=\"A-B=x\"", "invalid environment string" },
		{ "tunnel=\"abc\"", "invalid tun device" },
		{ "tunnel=\"\"", "invalid tun device" },
		{ "permitopen=\"host\"", "invalid permission port" },
		{ "permitopen=\"host:abc\"", "invalid permission port" },
		{ "permitopen=\"host:0\"", "invalid permission port" },
		{ "permitopen=\"host:65536\"", "invalid permission port" },
		{ "permitlisten=\"host:0\"", "invalid permission port" },
		{ "permitopen=\"[::1:80\"", "invalid permission hostname" },
		{ "permitopen=\":80\"", "invalid permission hostname" },
		{ "permitopen=\"[]:80\"", "invalid permission hostname" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(cases); i++) {
		const char *r = parse_bad(cases[i].opts);

		if (strcmp(r, cases[i].reason) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].opts,
			    r, cases[i].reason);
	}
	/* An unterminated quote swallows the key. */
	assert_string_equal(parse_bad("command=\"abc"), "missing end quote");
}

static void
test_opts_caps(void **state)
{
	struct authkeys_opts o;
	const char *reason = NULL, *end = NULL;
	char *s;
	size_t i, off = 0, cap = (AUTHKEYS_ENV_MAX + 2) * 24;

	(void)state;
	s = malloc(cap);
	assert_non_null(s);
	for (i = 0; i < AUTHKEYS_ENV_MAX + 1; i++)
		off += (size_t)snprintf(
		    s + off, cap - off, "environment=\"V%zu=1\",", i);
	assert_int_equal(
	    authkeys_opts_parse(s, &o, &end, &reason), QSSH_ERR_INVALID_FORMAT);
	assert_string_equal(reason, "too many environment strings");
	free(s);

	assert_int_equal(
	    authkeys_opts_parse("no-pty rest", &o, &end, &reason), 0);
	assert_string_equal(end, " rest");
	authkeys_opts_cleanup(&o);
}

static const char *
check(
    const char *text, const struct authkeys_query *q, struct authkeys_entry **e)
{
	logbuf[0] = '\0';
	(void)authkeys_check_buf("/home/u/.ssh/authorized_keys",
	    (const uint8_t *)text, strlen(text), q, ukey, e);
	return logbuf;
}

static void
test_check_scan(void **state)
{
	struct authkeys_query q = { "alice", "client.example", "192.0.2.7",
		1700000000 };
	struct authkeys_entry *e = NULL;
	char text[16384];
	const char *log;
	char want[1024], *fp = NULL;

	(void)state;
	assert_int_equal(key_fingerprint(ukey, KEY_FP_SHA256, &fp), 0);
	snprintf(text, sizeof(text),
	    "# comment\n"
	    "\n"
	    "frobnicate %s\n"
	    "from=\"10.9.9.9\" %s\n"
	    "expiry-time=\"20200101Z\" %s\n"
	    "%s\n"
	    "cert-authority %s\n"
	    "principals=\"x\" %s\n"
	    "no-pty,command=\"/bin/true\" %s last\n"
	    "%s\n",
	    ukey_text, ukey_text, ukey_text, otherkey_text, ukey_text,
	    ukey_text, ukey_text, ukey_text);
	log = check(text, &q, &e);
	assert_non_null(e);
	assert_int_equal(e->line, 9);
	assert_string_equal(e->comment, "last");
	assert_string_equal(e->opts.force_command, "/bin/true");
	assert_false(e->opts.permit_pty);
	authkeys_entry_free(e);
	e = NULL;

	snprintf(want, sizeof(want),
	    "debug1: /home/u/.ssh/authorized_keys:3: bad key options: unknown "
	    "key option\n"
	    "debug1: /home/u/.ssh/authorized_keys:4: matching key found: "
	    "ED25519 %s\n"
	    "/home/u/.ssh/authorized_keys:4: Authentication tried for alice "
	    "with correct key but not from a permitted host "
	    "(host=client.example, ip=192.0.2.7, required=10.9.9.9).\n"
	    "Refused by key options\n"
	    "debug1: /home/u/.ssh/authorized_keys:5: matching key found: "
	    "ED25519 %s\n",
	    fp, fp);
	assert_true(strncmp(log, want, strlen(want)) == 0);
	assert_non_null(strstr(log,
	    "debug1: /home/u/.ssh/authorized_keys:5: entry expired at 20"));
	assert_non_null(strstr(log,
	    "debug1: /home/u/.ssh/authorized_keys:8: principals on non-CA "
	    "key\nRefused by key options\n"));
	snprintf(want, sizeof(want),
	    "Accepted key ED25519 %s found at "
	    "/home/u/.ssh/authorized_keys:9\n",
	    fp);
	assert_non_null(strstr(log, want));
	/* Line 7 (cert-authority) was not a match for a plain key. */
	assert_null(strstr(log, "authorized_keys:7"));

	/* Nothing matches: KEY_NOT_FOUND. */
	snprintf(text, sizeof(text), "%s\nrestrict %s\n", otherkey_text,
	    otherkey_text);
	assert_int_equal(authkeys_check_buf("f", (const uint8_t *)text,
			     strlen(text), &q, ukey, &e),
	    QSSH_ERR_KEY_NOT_FOUND);
	assert_null(e);
	free(fp);
}

static void
test_check_from(void **state)
{
	static const struct {
		const char *from;
		const char *host;
		const char *ip;
		bool ok;
	} cases[] = {
		{ "192.0.2.0/24", "h", "192.0.2.7", true },
		{ "192.0.2.0/24,!192.0.2.7", "h", "192.0.2.7", false },
		{ "192.0.2.0/24,!192.0.2.7", "h", "192.0.2.8", true },
		{ "198.51.100.0/24", "h", "192.0.2.7", false },
		{ "*.example.org", "gw.example.org", "192.0.2.7", true },
		{ "*.EXAMPLE.org", "gw.example.org", "192.0.2.7", true },
		{ "*.example.org,!gw.example.org", "gw.example.org",
		    "192.0.2.7", false },
		{ "2001:db8::/32", "h", "2001:db8::1", true },
		{ "2001:db8::/32", "h", "2001:db9::1", false },
		{ "10.0.0.0/33", "h", "10.0.0.1", false }, /* invalid */
		{ "192.0.2.*", "h", "192.0.2.200", true },
		{ "!127.0.0.1", "h", "127.0.0.1", false },
	};
	struct authkeys_query q = { "bob", NULL, NULL, 0 };
	struct authkeys_entry *e = NULL;
	char text[4096];
	size_t i;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(cases); i++) {
		snprintf(text, sizeof(text), "from=\"%s\" %s\n", cases[i].from,
		    ukey_text);
		q.remote_host = cases[i].host;
		q.remote_ip = cases[i].ip;
		(void)check(text, &q, &e);
		if ((e != NULL) != cases[i].ok)
			fail_msg("from=\"%s\" host %s ip %s: got %d",
			    cases[i].from, cases[i].host, cases[i].ip,
			    e != NULL);
		authkeys_entry_free(e);
		e = NULL;
	}
	/* An invalid list is logged as such. */
	snprintf(text, sizeof(text), "from=\"10.0.0.0/33\" %s\n", ukey_text);
	q.remote_ip = "10.0.0.1";
	assert_non_null(strstr(
	    check(text, &q, &e), "authorized_keys:1: invalid from criteria\n"));
}

static void
test_check_expiry(void **state)
{
	struct authkeys_query q = { "u", "h", "192.0.2.1", 0 };
	struct authkeys_entry *e = NULL;
	char text[4096];

	(void)state;
	snprintf(text, sizeof(text), "expiry-time=\"202001010000Z\" %s\n",
	    ukey_text);
	q.now = 1577836800 - 1;
	(void)check(text, &q, &e);
	assert_non_null(e);
	authkeys_entry_free(e);
	e = NULL;
	q.now = 1577836800 + 1;
	(void)check(text, &q, &e);
	assert_null(e);
	/* Without a time the current time is used. */
	q.now = 0;
	(void)check(text, &q, &e);
	assert_null(e);
}

static void
test_long_and_binary_lines(void **state)
{
	struct authkeys_query q = { "u", "h", "192.0.2.1", 0 };
	struct authkeys_entry *e = NULL;
	size_t n = AUTHKEYS_LINE_MAX + 100, off;
	char *text;

	(void)state;
	text = malloc(n + 4096);
	assert_non_null(text);
	memset(text, ' ', n);
	memcpy(text + 10, "command=\"", 9);
	off = n;
	off += (size_t)snprintf(
	    text + off, 4096, "\" %s\n%s\n", ukey_text, ukey_text);
	logbuf[0] = '\0';
	assert_int_equal(
	    authkeys_check_buf("ak", (const uint8_t *)text, off, &q, ukey, &e),
	    0);
	assert_int_equal(e->line, 2);
	assert_non_null(
	    strstr(logbuf, "ak:1: line too long or not text, skipped"));
	authkeys_entry_free(e);
	e = NULL;

	/* A NUL byte spoils its line only. */
	off = (size_t)snprintf(text, 4096, "%s\n%s\n", ukey_text, ukey_text);
	text[3] = '\0';
	assert_int_equal(
	    authkeys_check_buf("ak", (const uint8_t *)text, off, &q, ukey, &e),
	    0);
	assert_int_equal(e->line, 2);
	authkeys_entry_free(e);
	free(text);
}

static void
test_check_file(void **state)
{
	struct authkeys_query q = { "u", "h", "192.0.2.1", 0 };
	struct authkeys_entry *e = NULL;
	char path[] = "/tmp/qssh_authkeys_XXXXXX";
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(
	    authkeys_check_file("/nonexistent/authorized_keys", &q, ukey, &e),
	    QSSH_ERR_KEY_NOT_FOUND);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	/* CRLF line ends and no newline at the end. */
	fprintf(f, "# x\r\nno-pty %s c\r\n%s", otherkey_text, ukey_text);
	fclose(f);
	assert_int_equal(authkeys_check_file(path, &q, otherkey, &e), 0);
	assert_int_equal(e->line, 2);
	assert_string_equal(e->comment, "c");
	authkeys_entry_free(e);
	assert_int_equal(authkeys_check_file(path, &q, ukey, &e), 0);
	assert_int_equal(e->line, 3);
	authkeys_entry_free(e);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_line),
		cmocka_unit_test(test_cert_type_line),
		cmocka_unit_test(test_flag_options),
		cmocka_unit_test(test_value_options),
		cmocka_unit_test(test_expiry_time),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_opts_caps),
		cmocka_unit_test(test_check_scan),
		cmocka_unit_test(test_check_from),
		cmocka_unit_test(test_check_expiry),
		cmocka_unit_test(test_long_and_binary_lines),
		cmocka_unit_test(test_check_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
