/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ssh_config reader: messages, semantics, and "ssh -G" output compared
 * with the installed OpenSSH for every keyword both print.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/log.h"
#include "control/readconf.h"
#include "dataplane/eal.h"
#include "dataplane/workers.h"

static char tmpdir[] = "/tmp/qssh-readconf-XXXXXX";
static char logbuf[8192];

static void
hook(enum qssh_log_level level, const char *line, void *ctx)
{
	size_t l = strlen(logbuf);

	(void)ctx;
	if (level > QSSH_LOG_ERROR)
		return;
	snprintf(logbuf + l, sizeof(logbuf) - l, "%s\n", line);
}

static char *
write_cfg(const char *name, const char *text)
{
	char *path = NULL;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	return path;
}

/* qssh's -G dump for host with config file and -o options. */
static char *
qssh_dump(const char *cfg, const char *const *opts, unsigned int nopts,
    const char *dest, int *rp)
{
	struct readconf_options o;
	struct readconf_ctx ctx;
	struct readconf_load_params p;
	char *buf = NULL, *user = NULL, *host = NULL;
	size_t len = 0;
	int port = -1;
	FILE *f;

	assert_int_equal(
	    readconf_parse_destination(dest, &user, &host, &port), 0);
	assert_int_equal(readconf_ctx_init(&ctx, host), 0);
	readconf_init(&o);
	memset(&p, 0, sizeof(p));
	p.cmdline_opts = opts;
	p.num_cmdline_opts = nopts;
	p.config_file = cfg;
	p.user = user;
	p.port = port;
	*rp = readconf_load(&o, &ctx, &p);
	if (*rp == 0) {
		assert_non_null(f = open_memstream(&buf, &len));
		readconf_dump(&o, &ctx, f);
		fclose(f);
	}
	readconf_cleanup(&o);
	readconf_ctx_cleanup(&ctx);
	free(user);
	free(host);
	return buf;
}

static char *
ssh_dump(const char *cfg, const char *const *opts, unsigned int nopts,
    const char *dest)
{
	char cmd[4096], *buf = NULL, line[8192];
	size_t len = 0;
	unsigned int i;
	FILE *p, *out;

	snprintf(cmd, sizeof(cmd), "HOME=%s ssh -G -F '%s'", tmpdir, cfg);
	for (i = 0; i < nopts; i++) {
		strncat(cmd, " -o '", sizeof(cmd) - strlen(cmd) - 1);
		strncat(cmd, opts[i], sizeof(cmd) - strlen(cmd) - 1);
		strncat(cmd, "'", sizeof(cmd) - strlen(cmd) - 1);
	}
	strncat(cmd, " '", sizeof(cmd) - strlen(cmd) - 1);
	strncat(cmd, dest, sizeof(cmd) - strlen(cmd) - 1);
	strncat(cmd, "' 2>/dev/null </dev/null", sizeof(cmd) - strlen(cmd) - 1);
	if ((p = popen(cmd, "r")) == NULL)
		return NULL;
	assert_non_null(out = open_memstream(&buf, &len));
	while (fgets(line, sizeof(line), p) != NULL)
		fputs(line, out);
	fclose(out);
	if (pclose(p) != 0 || len == 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* All lines of text starting with "kw ", joined. */
static char *
lines_for(const char *text, const char *kw)
{
	char *out = NULL;
	size_t len = 0, kl = strlen(kw);
	const char *l = text;
	FILE *f;

	assert_non_null(f = open_memstream(&out, &len));
	while (l != NULL && *l != '\0') {
		const char *nl = strchr(l, '\n');
		size_t ll = nl != NULL ? (size_t)(nl - l) : strlen(l);

		if (ll > kl && strncmp(l, kw, kl) == 0 && l[kl] == ' ')
			fprintf(f, "%.*s\n", (int)ll, l);
		l = nl != NULL ? nl + 1 : NULL;
	}
	fclose(f);
	return out;
}

/*
 * qssh's default KexAlgorithms put mlkem768x25519-sha256 first; OpenSSH 9.2
 * does not implement it.  Drop it from our side before comparing.
 */
static void
drop_mlkem(char *line)
{
	static const char name[] = "mlkem768x25519-sha256";
	char *p;
	size_t n = sizeof(name) - 1;

	if (strncmp(line, "kexalgorithms ", 14) != 0)
		return;
	while ((p = strstr(line, name)) != NULL) {
		if (p[n] == ',')
			memmove(p, p + n + 1, strlen(p + n + 1) + 1);
		else if (p > line && p[-1] == ',')
			memmove(p - 1, p + n, strlen(p + n) + 1);
		else
			break;
	}
}

/* Our -G output with drop_mlkem() applied to each line (frees text). */
static char *
normalize_dump(char *text)
{
	char *out = NULL, *save = NULL, *tok;
	size_t len = 0;
	FILE *f;

	assert_non_null(f = open_memstream(&out, &len));
	for (tok = strtok_r(text, "\n", &save); tok != NULL;
	     tok = strtok_r(NULL, "\n", &save)) {
		drop_mlkem(tok);
		fprintf(f, "%s\n", tok);
	}
	fclose(f);
	free(text);
	return out;
}

static bool have_ssh;

static void
compare(const char *cfgtext, const char *const *opts, unsigned int nopts,
    const char *dest)
{
	char *cfg, *ours, *theirs;
	const char *l;
	int r, compared = 0;

	cfg = cfgtext != NULL ? write_cfg("cmp.cfg", cfgtext)
			      : strdup("/dev/null");
	ours = qssh_dump(cfg, opts, nopts, dest, &r);
	if (ours != NULL)
		ours = normalize_dump(ours);
	if (r != 0)
		fprintf(stderr, "load failed: %s\n%s", qssh_errname(r), logbuf);
	assert_int_equal(r, 0);
	if (!have_ssh) {
		free(ours);
		free(cfg);
		return;
	}
	theirs = ssh_dump(cfg, opts, nopts, dest);
	assert_non_null(theirs);
	/* every keyword qssh prints must agree with ssh where ssh prints it */
	for (l = ours; *l != '\0';) {
		const char *sp = strchr(l, ' '), *nl = strchr(l, '\n');
		char kw[64];
		char *a, *b;

		assert_non_null(sp);
		assert_non_null(nl);
		snprintf(kw, sizeof(kw), "%.*s", (int)(sp - l), l);
		a = lines_for(ours, kw);
		b = lines_for(theirs, kw);
		if (*b != '\0' && strcmp(a, b) != 0) {
			fprintf(stderr,
			    "keyword %s differs:\nqssh:\n%sssh:\n%s", kw, a, b);
			fail();
		}
		if (*b != '\0')
			compared++;
		free(a);
		free(b);
		l = nl + 1;
	}
	assert_true(compared > 40);
	free(theirs);
	free(ours);
	free(cfg);
}

static void
test_dump_defaults(void **state)
{
	(void)state;
	compare(NULL, NULL, 0, "example.com");
	compare(NULL, NULL, 0, "HoSt.Example");
	compare(NULL, NULL, 0, "bob@h:2");
	compare(NULL, NULL, 0, "ssh://alice@h:2222");
}

static const char custom_cfg[] =
    "Host h\n"
    "  HostName real.%h.example\n"
    "  Port 2222\n"
    "  User bob\n"
    "  IdentityFile ~/.ssh/id_%u_%r_%h\n"
    "  IdentityFile /k2\n"
    "  CertificateFile ~/c-%C\n"
    "  IdentitiesOnly yes\n"
    "  IdentityAgent ~/agent.sock\n"
    "  AddKeysToAgent confirm 1h\n"
    "  Ciphers -aes128-ctr\n"
    "  MACs ^hmac-sha1\n"
    "  KexAlgorithms +diffie-hellman-group14-sha1\n"
    "  HostKeyAlgorithms ssh-ed25519,rsa-sha2-512\n"
    "  PubkeyAcceptedKeyTypes +ssh-rsa\n"
    "  CASignatureAlgorithms ssh-ed*\n"
    "  PreferredAuthentications publickey,password\n"
    "  PubkeyAuthentication unbound\n"
    "  PasswordAuthentication no\n"
    "  ChallengeResponseAuthentication no\n"
    "  NumberOfPasswordPrompts 2\n"
    "  BatchMode yes\n"
    "  ConnectTimeout 10\n"
    "  ConnectionAttempts 3\n"
    "  ServerAliveInterval 1m\n"
    "  ServerAliveCountMax 5\n"
    "  TCPKeepAlive no\n"
    "  StrictHostKeyChecking accept-new\n"
    "  UserKnownHostsFile ~/kh1 /kh2-%h\n"
    "  GlobalKnownHostsFile /g1\n"
    "  HashKnownHosts yes\n"
    "  CheckHostIP yes\n"
    "  UpdateHostKeys ask\n"
    "  VisualHostKey yes\n"
    "  FingerprintHash md5\n"
    "  LogLevel DEBUG2\n"
    "  Compression yes\n"
    "  RekeyLimit 1G 1h\n"
    "  SendEnv LANG LC_*\n"
    "  SendEnv FOO\n"
    "  SetEnv A=1 \"B=two words\"\n"
    "  RequestTTY force\n"
    "  RemoteCommand echo %h %p %r %n %%\n"
    "  EscapeChar ^A\n"
    "  AddressFamily inet\n"
    "  BindAddress 127.0.0.1\n"
    "  BindInterface lo\n"
    "  ProxyCommand nc %h %p\n"
    "  LocalCommand echo %l %L %d %u %k %C\n"
    "  PermitLocalCommand yes\n"
    "  ForwardAgent yes\n"
    "  ForwardX11 yes\n"
    "  LocalForward 8080 localhost:80\n"
    "  LocalForward [::1]:8081 [::2]:81\n"
    "  LocalForward /tmp/s host:1\n"
    "  RemoteForward 9090 localhost:90\n"
    "  RemoteForward 9091\n"
    "  RemoteForward 0.0.0.0:2 /tmp/t\n"
    "  DynamicForward 1080\n"
    "  DynamicForward 127.0.0.1:1081\n"
    "  ControlMaster auto\n"
    "  ControlPath ~/.ssh/cm-%C-%r@%h:%p\n"
    "  ControlPersist 10m\n"
    "  CanonicalDomains a.example b.example\n"
    "  CanonicalizeMaxDots 2\n"
    "  CanonicalizeFallbackLocal no\n"
    "  ExitOnForwardFailure yes\n"
    "  GatewayPorts yes\n"
    "  StreamLocalBindUnlink yes\n"
    "  Tunnel point-to-point\n"
    "  TunnelDevice 3\n"
    "  HostKeyAlias alias1\n"
    "  KnownHostsCommand /bin/kh %H\n"
    "  NoHostAuthenticationForLocalhost yes\n"
    "  SecurityKeyProvider /lib/sk.so\n"
    "  PKCS11Provider /p11.so\n"
    "  RevokedHostKeys /rev\n"
    "  StdinNull yes\n"
    "  ForkAfterAuthentication yes\n"
    "  SessionType none\n"
    "  EnableEscapeCommandline yes\n"
    "  IgnoreUnknown Foo*\n"
    "  FooBar x\n"
    "  UseRoaming no\n"
    "  Protocol 2\n"
    "  ClearAllForwardings no\n"
    "  ForwardX11Trusted no\n"
    "  ForwardX11Timeout 5m\n"
    "  XAuthLocation /opt/xauth\n"
    "  RequiredRSASize 2048\n";

static void
test_dump_custom(void **state)
{
	(void)state;
	compare(custom_cfg, NULL, 0, "h");
	compare("Host *\n ControlPersist yes\n EscapeChar none\n"
		"ProxyJump bob@j1:2200,j2\n Tunnel ethernet\n"
		"TunnelDevice any:5\n AddKeysToAgent 30\n"
		"UserKnownHostsFile none\n RequestTTY yes\n"
		"StrictHostKeyChecking off\n ControlMaster autoask\n"
		"CanonicalizeHostname no\n ConnectTimeout 0\n"
		"RekeyLimit 100K\n IdentityAgent SSH_AUTH_SOCK\n"
		"ForwardAgent /tmp/%h-agent\n",
	    NULL, 0, "h");
	compare("ClearAllForwardings yes\nLocalForward 1 h:2\nTunnel yes\n"
		"UserKnownHostsFile /x\nCiphers -chacha*,aes1*\n"
		"KexAlgorithms -*sha1*,sntrup*\n",
	    NULL, 0, "h");
}

static void
test_blocks(void **state)
{
	static const char cfg[] =
	    "Host *.example !bad.example\n"
	    "  User ex\n"
	    "Host h\n"
	    "  HostName x\n"
	    "Match originalhost h\n"
	    "  Port 3000\n"
	    "Match host x\n"
	    "  User u1\n"
	    "Match final host x\n"
	    "  ConnectionAttempts 5\n"
	    "Match !localuser nosuchuser exec \"test %h = x\"\n"
	    "  ServerAliveCountMax 7\n"
	    "Match exec false\n"
	    "  ServerAliveInterval 9\n"
	    "Match canonical\n"
	    "  Compression yes\n"
	    "Host *\n"
	    "  User last\n"
	    "Match all\n"
	    "  IdentitiesOnly yes\n";

	(void)state;
	compare(cfg, NULL, 0, "h");
	compare(cfg, NULL, 0, "a.example");
	compare(cfg, NULL, 0, "bad.example");
	compare(cfg, NULL, 0, "other");
}

static void
test_cmdline(void **state)
{
	static const char *const o1[] = { "Port=2200", "User other",
		"Ciphers=aes256-ctr", "HostName=%h.cmd" };
	static const char *const o2[] = { "UserKnownHostsFile=~/a ~/b" };

	(void)state;
	compare(
	    "Host *\n Port 22\n User cfg\n Ciphers aes128-ctr\n", o1, 4, "h");
	compare(NULL, o2, 1, "ssh://u@h:99");
}

static void
test_tokens(void **state)
{
	(void)state;
	compare("Host *\n HostName %h.tok\n ControlPath /tmp/%C_%d_%h_%i_%L_"
		"%l_%n_%p_%r_%u_%k\n RemoteCommand %C %d %h %i %L %l %n %p %r"
		" %u %k\n UserKnownHostsFile ~/%h/%r %d/%u\n"
		" IdentityAgent ~/%C.sock\n",
	    NULL, 0, "tok");
}

static void
test_include(void **state)
{
	char *inc, *main_cfg, *text = NULL, *d;
	int r;

	(void)state;
	assert_true(asprintf(&d, "%s/inc.d", tmpdir) > 0);
	assert_int_equal(mkdir(d, 0700), 0);
	inc = write_cfg("inc.d/a.conf", "Port 4444\nHost nomatch\nUser z\n");
	free(write_cfg("inc.d/b.conf", "User fromb\n"));
	assert_true(asprintf(&text,
			"Host h\nInclude %s/*.conf\n"
			"Host other\nInclude %s/*.conf\n",
			d, d) > 0);
	main_cfg = write_cfg("main.cfg", text);
	free(text);
	compare(NULL, NULL, 0, "h");
	text = qssh_dump(main_cfg, NULL, 0, "h", &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(text, "\nport 4444\n"));
	assert_non_null(strstr(text, "\nuser fromb\n"));
	free(text);
	if (have_ssh) {
		char *a = ssh_dump(main_cfg, NULL, 0, "h");
		char *b = qssh_dump(main_cfg, NULL, 0, "h", &r);
		char *la = lines_for(a, "port"), *lb = lines_for(b, "port");
		char *ua = lines_for(a, "user"), *ub = lines_for(b, "user");

		assert_string_equal(la, lb);
		assert_string_equal(ua, ub);
		free(a);
		free(b);
		free(la);
		free(lb);
		free(ua);
		free(ub);
	}
	/* recursion is bounded */
	free(write_cfg("loop.cfg", ""));
	assert_true(asprintf(&text, "Include %s/loop.cfg\n", tmpdir) > 0);
	free(write_cfg("loop.cfg", text));
	free(text);
	assert_true(asprintf(&text, "%s/loop.cfg", tmpdir) > 0);
	logbuf[0] = '\0';
	free(qssh_dump(text, NULL, 0, "h", &r));
	assert_int_equal(r, QSSH_ERR_CONFIG);
	assert_non_null(
	    strstr(logbuf, "Too many recursive configuration includes"));
	free(text);
	free(inc);
	free(main_cfg);
	free(d);
}

/* expect with every "%s" replaced by the file name. */
static char *
subst_file(const char *expect, const char *cfg)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(f = open_memstream(&out, &len));
	for (; *expect != '\0'; expect++) {
		if (expect[0] == '%' && expect[1] == 's') {
			fputs(cfg, f);
			expect++;
		} else
			fputc(*expect, f);
	}
	fclose(f);
	return out;
}

/* The message qssh logs for a one-line file must be ssh's. */
static void
check_msg(const char *line, const char *expect)
{
	char *cfg, *want = NULL;
	int r;

	cfg = write_cfg("e.cfg", line);
	logbuf[0] = '\0';
	free(qssh_dump(cfg, NULL, 0, "h", &r));
	assert_int_not_equal(r, 0);
	want = subst_file(expect, cfg);
	if (strcmp(logbuf, want) != 0)
		fprintf(stderr, "got:\n%swant:\n%s", logbuf, want);
	assert_string_equal(logbuf, want);
	if (have_ssh) {
		char cmd[1024], out[4096];
		size_t n;
		FILE *p;

		snprintf(cmd, sizeof(cmd),
		    "HOME=%s ssh -G -F %s h 2>&1 >/dev/null </dev/null | "
		    "grep -v Pseudo-terminal",
		    tmpdir, cfg);
		assert_non_null(p = popen(cmd, "r"));
		n = fread(out, 1, sizeof(out) - 1, p);
		out[n] = '\0';
		pclose(p);
		/* ssh writes CRLF to a terminal-less stderr */
		for (r = 0, n = 0; out[n] != '\0'; n++)
			if (out[n] != '\r')
				out[r++] = out[n];
		out[r] = '\0';
		assert_string_equal(out, want);
	}
	free(want);
	free(cfg);
}

#define TERM1 "%s: terminating, 1 bad configuration options\n"

static void
test_messages(void **state)
{
	(void)state;
	check_msg(
	    "Foo bar\n", "%s: line 1: Bad configuration option: foo\n" TERM1);
	check_msg("Port 0\n", "%s line 1: Bad port '0'.\n" TERM1);
	check_msg("\n Port abc\n", "%s line 2: Bad port 'abc'.\n" TERM1);
	check_msg("Ciphers +foo\n",
	    "%s line 1: Bad SSH2 cipher spec '+foo'.\n" TERM1);
	check_msg("MACs foo\n", "%s line 1: Bad SSH2 MAC spec 'foo'.\n" TERM1);
	check_msg("KexAlgorithms ^bar\n",
	    "Unsupported KEX algorithm \"bar\"\n"
	    "%s line 1: Bad SSH2 KexAlgorithms '^bar'.\n" TERM1);
	check_msg("HostKeyAlgorithms foo\n",
	    "%s line 1: Bad key types 'foo'.\n" TERM1);
	check_msg("StrictHostKeyChecking maybe\n",
	    "%s line 1: unsupported option \"maybe\".\n" TERM1);
	check_msg("BatchMode\n",
	    "%s line 1: no argument after keyword \"batchmode\"\n" TERM1);
	check_msg("BatchMode yes no\n",
	    "%s line 1: keyword batchmode extra arguments at end of "
	    "line\n" TERM1);
	check_msg(
	    "EscapeChar ab\n", "%s line 1: Bad escape character.\n" TERM1);
	check_msg(
	    "ConnectTimeout x\n", "%s line 1: invalid time value.\n" TERM1);
	check_msg("RekeyLimit x\n",
	    "%s line 1: Bad number 'x': Invalid argument\n" TERM1);
	check_msg("RekeyLimit 10\n", "%s line 1: RekeyLimit too small\n" TERM1);
	check_msg(
	    "LogLevel x\n", "%s line 1: unsupported log level 'x'\n" TERM1);
	check_msg("Match foo x\n",
	    "Unsupported Match attribute foo\n"
	    "%s line 1: Bad Match condition\n" TERM1);
	check_msg("Match foo\n",
	    "Missing Match criteria for foo\n"
	    "%s line 1: Bad Match condition\n" TERM1);
	check_msg("Match exec\n",
	    "Missing Match criteria for exec\n"
	    "%s line 1: Bad Match condition\n" TERM1);
	check_msg("Match all host x\n",
	    "%s line 1: 'all' cannot be combined with other Match "
	    "attributes\n%s line 1: Bad Match condition\n" TERM1);
	check_msg("LocalForward 1234\n",
	    "%s line 1: Missing target argument.\n" TERM1);
	check_msg("LocalForward x y\n",
	    "%s line 1: Bad forwarding specification.\n" TERM1);
	check_msg("FingerprintHash md4\n",
	    "%s line 1: Invalid hash algorithm \"md4\".\n" TERM1);
	check_msg("SetEnv FOO\n", "%s line 1: Invalid SetEnv.\n" TERM1);
	check_msg("ControlPersist x\n",
	    "%s line 1: Bad ControlPersist argument.\n" TERM1);
	check_msg("ConnectionAttempts x\n",
	    "%s line 1: integer value invalid.\n" TERM1);
	check_msg("ServerAliveCountMax -2\n",
	    "%s line 1: integer value too small.\n" TERM1);
	check_msg("TunnelDevice x:y\n", "%s line 1: Bad tun device.\n" TERM1);
	check_msg("IdentityAgent $HOME/x\n",
	    "%s line 1: Invalid environment name $HOME/x.\n" TERM1);
	check_msg(
	    "Host\n", "%s line 1: no argument after keyword \"host\"\n" TERM1);
	check_msg(
	    "ConnectionAttempts 0\n", "Invalid number of ConnectionAttempts\n");
}

static void
test_cmdline_errors(void **state)
{
	struct readconf_options o;
	struct readconf_ctx ctx;

	(void)state;
	assert_int_equal(readconf_ctx_init(&ctx, "h"), 0);
	readconf_init(&o);
	logbuf[0] = '\0';
	assert_int_equal(readconf_process_line(
			     &o, &ctx, "Port=0", "command-line", 0, NULL, 0),
	    QSSH_ERR_CONFIG);
	assert_string_equal(logbuf, "command-line line 0: Bad port '0'.\n");
	logbuf[0] = '\0';
	assert_int_equal(readconf_process_line(
			     &o, &ctx, "Foo=0", "command-line", 0, NULL, 0),
	    QSSH_ERR_CONFIG);
	assert_string_equal(
	    logbuf, "command-line: line 0: Bad configuration option: foo\n");
	/* deprecated and unsupported keywords do not fail */
	assert_int_equal(readconf_process_line(&o, &ctx, "UseRoaming no",
			     "command-line", 0, NULL, 0),
	    0);
	logbuf[0] = '\0';
	assert_int_equal(readconf_process_line(&o, &ctx,
			     "RSAAuthentication yes", "f", 3, NULL, 0),
	    0);
	assert_string_equal(
	    logbuf, "f line 3: Unsupported option \"rsaauthentication\"\n");
	/* first value wins */
	assert_int_equal(
	    readconf_process_line(&o, &ctx, "Port 1", "f", 1, NULL, 0), 0);
	assert_int_equal(
	    readconf_process_line(&o, &ctx, "Port 2", "f", 2, NULL, 0), 0);
	assert_int_equal(o.port, 1);
	readconf_cleanup(&o);
	readconf_ctx_cleanup(&ctx);
}

static void
expect_bad(const char *line, const char *msg)
{
	struct readconf_options o;
	struct readconf_ctx ctx;

	assert_int_equal(readconf_ctx_init(&ctx, "h"), 0);
	readconf_init(&o);
	logbuf[0] = '\0';
	assert_int_equal(readconf_process_line(&o, &ctx, line, "f", 7, NULL, 0),
	    QSSH_ERR_CONFIG);
	assert_string_equal(logbuf, msg);
	readconf_cleanup(&o);
	readconf_ctx_cleanup(&ctx);
}

#define WORKERS_WHY \
	"(auto, 0 to 21 workers for every pool, or gcm=N,chacha=N,mac=N).\n"

static void
test_crypto_keywords(void **state)
{
	const char *opts[] = { "CryptoWorkers=0", "CryptoBackend openssl" };
	char *cfg, *dump, *l;
	int r;

	(void)state;
	/* defaults */
	cfg = write_cfg("c0.cfg", "");
	dump = qssh_dump(cfg, NULL, 0, "h", &r);
	assert_int_equal(r, 0);
	l = lines_for(dump, "cryptobackend");
	assert_string_equal(l, "cryptobackend auto\n");
	free(l);
	l = lines_for(dump, "cryptoworkers");
	assert_string_equal(l, "cryptoworkers auto\n");
	free(l);
	l = lines_for(dump, "cryptocores");
	assert_string_equal(l, "cryptocores any\n");
	free(l);
	l = lines_for(dump, "cryptoruntime");
	assert_string_equal(l, "cryptoruntime auto\n");
	free(l);
	l = lines_for(dump, "cryptoealargs");
	assert_string_equal(l, "cryptoealargs none\n");
	free(l);
	l = lines_for(dump, "cryptoworkermode");
	assert_string_equal(l, "cryptoworkermode auto\n");
	free(l);
	free(dump);
	free(cfg);

	/* per pool, runtime, EAL arguments and mode; Match blocks */
	cfg = write_cfg("c2.cfg",
	    "Match host h\n  CryptoWorkers chacha=2,GCM=auto\n"
	    "  CryptoRuntime DPDK\n"
	    "  CryptoEALArgs --no-huge -m 64 \"--vdev=crypto_openssl\"\n"
	    "  CryptoWorkerMode offload\n"
	    "Host *\n  CryptoWorkers 1\n  CryptoRuntime threads\n"
	    "  CryptoEALArgs none\n  CryptoWorkerMode inline\n");
	dump = qssh_dump(cfg, NULL, 0, "h", &r);
	assert_int_equal(r, 0);
	l = lines_for(dump, "cryptoworkers");
	assert_string_equal(l, "cryptoworkers gcm=auto,chacha=2,mac=auto\n");
	free(l);
	l = lines_for(dump, "cryptoruntime");
	assert_string_equal(l, "cryptoruntime dpdk\n");
	free(l);
	l = lines_for(dump, "cryptoealargs");
	assert_string_equal(
	    l, "cryptoealargs --no-huge -m 64 --vdev=crypto_openssl\n");
	free(l);
	l = lines_for(dump, "cryptoworkermode");
	assert_string_equal(l, "cryptoworkermode offload\n");
	free(l);
	free(dump);
	dump = qssh_dump(cfg, NULL, 0, "other", &r);
	assert_int_equal(r, 0);
	l = lines_for(dump, "cryptoworkers");
	assert_string_equal(l, "cryptoworkers 1\n");
	free(l);
	l = lines_for(dump, "cryptoruntime");
	assert_string_equal(l, "cryptoruntime threads\n");
	free(l);
	l = lines_for(dump, "cryptoealargs");
	assert_string_equal(l, "cryptoealargs none\n");
	free(l);
	l = lines_for(dump, "cryptoworkermode");
	assert_string_equal(l, "cryptoworkermode inline\n");
	free(l);
	free(dump);
	free(cfg);

	/* values, first one wins, -o before the file, Host blocks */
	cfg = write_cfg("c1.cfg",
	    "Host other\n  CryptoCores 5\n"
	    "Host h\n  CryptoBackend ipsec-mb\n  CryptoWorkers 4\n"
	    "  CryptoCores 0,2-3\n  CryptoWorkers 5\n");
	dump = qssh_dump(cfg, opts, 2, "h", &r);
	assert_int_equal(r, 0);
	l = lines_for(dump, "cryptobackend");
	assert_string_equal(l, "cryptobackend openssl\n");
	free(l);
	l = lines_for(dump, "cryptoworkers");
	assert_string_equal(l, "cryptoworkers 0\n");
	free(l);
	l = lines_for(dump, "cryptocores");
	assert_string_equal(l, "cryptocores 0,2-3\n");
	free(l);
	free(dump);
	dump = qssh_dump(cfg, NULL, 0, "h", &r);
	assert_int_equal(r, 0);
	l = lines_for(dump, "cryptoworkers");
	assert_string_equal(l, "cryptoworkers 4\n");
	free(l);
	free(dump);
	free(cfg);

	/* bad values */
	expect_bad("CryptoBackend fast",
	    "f line 7: bad CryptoBackend argument \"fast\" (auto, openssl, "
	    "ipsec-mb or cryptodev).\n");
	expect_bad("CryptoWorkers -1",
	    "f line 7: bad CryptoWorkers argument \"-1\" " WORKERS_WHY);
	expect_bad("CryptoWorkers 22",
	    "f line 7: bad CryptoWorkers argument \"22\" " WORKERS_WHY);
	expect_bad("CryptoWorkers 99999999999999999999999",
	    "f line 7: bad CryptoWorkers argument "
	    "\"99999999999999999999999\" " WORKERS_WHY);
	expect_bad("CryptoWorkers 1x",
	    "f line 7: bad CryptoWorkers argument \"1x\" " WORKERS_WHY);
	expect_bad("CryptoWorkers gcm=1,gcm=2",
	    "f line 7: bad CryptoWorkers argument \"gcm=1,gcm=2\" (a pool is "
	    "given twice).\n");
	expect_bad("CryptoWorkers aes=1",
	    "f line 7: bad CryptoWorkers argument \"aes=1\" (the pools are "
	    "gcm, chacha and mac).\n");
	expect_bad("CryptoWorkers gcm",
	    "f line 7: bad CryptoWorkers argument \"gcm\" " WORKERS_WHY);
	expect_bad("CryptoWorkers gcm=1,mac",
	    "f line 7: bad CryptoWorkers argument \"gcm=1,mac\" (each pool as "
	    "name=N, such as gcm=2).\n");
	expect_bad("CryptoWorkers chacha=65",
	    "f line 7: bad CryptoWorkers argument \"chacha=65\" (a pool takes "
	    "auto or 0 to 64 workers).\n");
	expect_bad("CryptoWorkers gcm=64,mac=1",
	    "f line 7: bad CryptoWorkers argument \"gcm=64,mac=1\" (at most 64 "
	    "workers in all).\n");
	expect_bad("CryptoWorkers gcm=1 mac=1",
	    "f line 7: keyword cryptoworkers extra arguments at end of line\n");
	expect_bad("CryptoRuntime lcores",
	    "f line 7: bad CryptoRuntime argument \"lcores\" (auto, threads or "
	    "dpdk).\n");
	expect_bad("CryptoRuntime dpdk threads",
	    "f line 7: keyword cryptoruntime extra arguments at end of line\n");
	expect_bad("CryptoWorkerMode both",
	    "f line 7: bad CryptoWorkerMode argument \"both\" (auto, inline or "
	    "offload).\n");
	expect_bad("CryptoEALArgs -h",
	    "f line 7: bad CryptoEALArgs argument \"-h\" (-h and --help end "
	    "the process).\n");
	expect_bad("CryptoEALArgs --proc-type secondary",
	    "f line 7: bad CryptoEALArgs argument \"--proc-type secondary\" "
	    "(only --proc-type=primary).\n");
	expect_bad("CryptoEALArgs -l 1 2",
	    "f line 7: bad CryptoEALArgs argument \"-l 1 2\" (each word is an "
	    "option or the value of the option before it).\n");
	expect_bad("CryptoEALArgs",
	    "f line 7: no argument after keyword \"cryptoealargs\"\n");
	/* ChannelWindow is qsshd's only. */
	expect_bad("ChannelWindow 1M",
	    "f: line 7: Bad configuration option: channelwindow\n");
	expect_bad("CryptoCores 2-1",
	    "f line 7: bad CryptoCores argument \"2-1\" (any, or core numbers "
	    "and ranges such as 0-1,3).\n");
	expect_bad("CryptoCores all",
	    "f line 7: bad CryptoCores argument \"all\" (any, or core numbers "
	    "and ranges such as 0-1,3).\n");
	expect_bad("CryptoCores 1 2",
	    "f line 7: keyword cryptocores extra arguments at end of line\n");
}

static void
set_all(struct wrk_config *wc, uint32_t n)
{
	int i;

	for (i = 0; i < WRK_POOL_COUNT; i++)
		wc->num_workers[i] = n;
}

/* The keywords as the worker engine's configuration. */
static void
test_crypto_wrk_config(void **state)
{
	static const char *const lines[] = { "CryptoWorkers mac=3,gcm=0",
		"CryptoCores 1", "CryptoWorkerMode inline",
		"CryptoRuntime dpdk" };
	struct readconf_options o;
	struct readconf_ctx ctx;
	struct wrk_config wc;
	size_t i;

	(void)state;
	assert_int_equal(readconf_ctx_init(&ctx, "h"), 0);
	readconf_init(&o);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(
		    readconf_process_line(&o, &ctx, lines[i], "f", 1, NULL, 0),
		    0);
	assert_int_equal(readconf_fill_defaults(&o, &ctx), 0);
	wrk_config_init(&wc);
	wc.num_workers[WRK_POOL_CHACHA] = 2;
	assert_int_equal(readconf_wrk_config(&o, &wc), 5);
	assert_int_equal(wc.num_workers[WRK_POOL_GCM], 0);
	assert_int_equal(wc.num_workers[WRK_POOL_CHACHA], 2);
	assert_int_equal(wc.num_workers[WRK_POOL_CIPHER_MAC], 3);
	assert_string_equal(wc.cores, "1");
	assert_int_equal(wc.mode, WRK_MODE_INLINE);
	assert_int_equal(wc.runtime, WRK_RUNTIME_DPDK);
	/* CryptoEALArgs none: the default arguments */
	assert_string_equal(wc.eal_args, DP_EAL_DEFAULT_ARGS);
	readconf_cleanup(&o);

	/* defaults: threads (no EAL here), auto mode, any core */
	readconf_init(&o);
	assert_int_equal(readconf_fill_defaults(&o, &ctx), 0);
	wrk_config_init(&wc);
	set_all(&wc, 1);
	assert_int_equal(readconf_wrk_config(&o, &wc), 3);
	assert_null(wc.cores);
	assert_int_equal(wc.mode, WRK_MODE_AUTO);
	assert_int_equal(wc.runtime, WRK_RUNTIME_THREADS);
	assert_null(wc.eal_args);
	readconf_cleanup(&o);
	readconf_ctx_cleanup(&ctx);
}

static void
test_destination(void **state)
{
	char *u, *h;
	int p;

	(void)state;
	assert_int_equal(readconf_parse_destination("host", &u, &h, &p), 0);
	assert_null(u);
	assert_string_equal(h, "host");
	assert_int_equal(p, -1);
	free(h);
	assert_int_equal(readconf_parse_destination("a@b@host", &u, &h, &p), 0);
	assert_string_equal(u, "a@b");
	assert_string_equal(h, "host");
	free(u);
	free(h);
	assert_int_equal(readconf_parse_destination(
			     "ssh://me@[2001:db8::1]:2022", &u, &h, &p),
	    0);
	assert_string_equal(u, "me");
	assert_string_equal(h, "2001:db8::1");
	assert_int_equal(p, 2022);
	free(u);
	free(h);
	assert_int_equal(
	    readconf_parse_destination("ssh://h.example/", &u, &h, &p), 0);
	assert_null(u);
	assert_string_equal(h, "h.example");
	free(h);
	assert_int_equal(readconf_parse_destination("ssh://h:0", &u, &h, &p),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    readconf_parse_destination("ssh://h:70000", &u, &h, &p),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(readconf_parse_destination("ssh://h:x", &u, &h, &p),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(readconf_parse_destination("ssh://[::1", &u, &h, &p),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(readconf_parse_destination("@h", &u, &h, &p),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(readconf_parse_destination("u@", &u, &h, &p),
	    QSSH_ERR_INVALID_FORMAT);
}

static void
test_algorithms(void **state)
{
	char *s;

	(void)state;
	s = readconf_assemble_algorithms("cipher", "+aes128-cbc");
	assert_non_null(s);
	assert_non_null(strstr(s, ",aes128-cbc"));
	assert_string_equal(s + strlen(s) - strlen("aes128-cbc"), "aes128-cbc");
	free(s);
	s = readconf_assemble_algorithms("mac", "-hmac-sha1*,umac*");
	assert_string_equal(s,
	    "hmac-sha2-256-etm@openssh.com,"
	    "hmac-sha2-512-etm@openssh.com,"
	    "hmac-sha2-256,hmac-sha2-512");
	free(s);
	s = readconf_assemble_algorithms("kex", "^mlkem768x25519-sha256");
	assert_int_equal(strncmp(s, "mlkem768x25519-sha256,sntrup", 28), 0);
	free(s);
	s = readconf_assemble_algorithms("key", "ssh-ed*");
	assert_string_equal(s, "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com");
	free(s);
	s = readconf_assemble_algorithms("cipher", NULL);
	assert_string_equal(s, readconf_default_algorithms("cipher"));
	free(s);
	assert_null(readconf_assemble_algorithms("bogus", NULL));
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	qssh_log_init("test_readconf", QSSH_LOG_ERROR, QSSH_LOG_FAC_USER, true);
	qssh_log_set_hook(hook, NULL);
	have_ssh = system("ssh -V >/dev/null 2>&1") == 0;
	if (!have_ssh)
		fprintf(stderr, "ssh not installed: comparisons skipped\n");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_defaults),
		cmocka_unit_test(test_dump_custom),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_cmdline_errors),
		cmocka_unit_test(test_crypto_keywords),
		cmocka_unit_test(test_crypto_wrk_config),
		cmocka_unit_test(test_destination),
		cmocka_unit_test(test_algorithms),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
