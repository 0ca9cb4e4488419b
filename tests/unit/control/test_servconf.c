/* SPDX-License-Identifier: BSD-2-Clause */
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
#include "control/servconf.h"
#include "dataplane/eal.h"
#include "dataplane/workers.h"

#define SSHD "/usr/sbin/sshd"

static struct servconf *
load(const char *text, int want)
{
	struct servconf *c = servconf_new();

	assert_non_null(c);
	assert_int_equal(servconf_load_string(c, text, "/etc/ssh/sshd_config",
			     "/nonexistent", true),
	    want);
	return c;
}

static void
test_defaults(void **state)
{
	struct servconf *c = servconf_new();

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->num_ports, 1);
	assert_int_equal(c->ports[0], 22);
	assert_int_equal(c->login_grace_time, 120);
	assert_int_equal(c->max_authtries, 6);
	assert_int_equal(c->max_sessions, 10);
	assert_int_equal(c->permit_root_login, SERVCONF_ROOT_NO_PASSWORD);
	assert_int_equal(c->password_authentication, 1);
	assert_int_equal(c->use_pam, 0);
	assert_int_equal(c->max_startups_begin, 10);
	assert_int_equal(c->max_startups_rate, 30);
	assert_int_equal(c->max_startups, 100);
	assert_int_equal(c->authorized_keys_files.n, 2);
	assert_string_equal(
	    c->authorized_keys_files.v[0], ".ssh/authorized_keys");
	assert_string_equal(c->pid_file, "/run/sshd.pid");
	assert_int_equal(c->log_level, QSSH_LOG_INFO);
	assert_int_equal(c->syslog_facility, QSSH_LOG_FAC_AUTH);
	assert_int_equal(c->allow_tcp_forwarding, SERVCONF_FWD_YES);
	servconf_free(c);
}

static void
test_keywords(void **state)
{
	struct servconf *c;

	(void)state;
	c = load("# comment\n"
		 "Port 2222\n"
		 "port=2200\n"
		 "ListenAddress 127.0.0.1\n"
		 "ListenAddress [::1]:2201\n"
		 "ListenAddress 10.0.0.1:99 rdomain r1\n"
		 "AddressFamily inet\n"
		 "HostKey /k1\nHostKey /k2\n"
		 "HostCertificate /c1\n"
		 "HostKeyAlgorithms ssh-ed25519,rsa-sha2-512\n"
		 "KexAlgorithms -diffie*\n"
		 "Ciphers ^aes256-gcm@openssh.com\n"
		 "MACs +hmac-sha1\n"
		 "RekeyLimit 1G 1h30m\n"
		 "Compression delayed\n"
		 "LoginGraceTime 1m30s\n"
		 "MaxAuthTries 3\nMaxSessions 4\n"
		 "MaxStartups 5:20:50\n"
		 "PerSourceMaxStartups 3\nPerSourceNetBlockSize 24:56\n"
		 "PermitRootLogin prohibit-password\n"
		 "PubkeyAuthentication NO\n"
		 "PubkeyAcceptedAlgorithms +ssh-rsa\n"
		 "AuthorizedKeysFile %h/.ssh/a /etc/k/%u\n"
		 "AuthorizedKeysFile ignored\n"
		 "AuthorizedKeysCommand /bin/akc %u %f\n"
		 "AuthorizedKeysCommandUser nobody\n"
		 "AuthorizedPrincipalsFile /p/%u\n"
		 "TrustedUserCAKeys /ca\nRevokedKeys /krl\n"
		 "PasswordAuthentication no\n"
		 "ChallengeResponseAuthentication no\n"
		 "KbdInteractiveAuthentication yes\n"
		 "UsePAM yes\nPermitEmptyPasswords yes\n"
		 "AuthenticationMethods publickey,password "
		 "publickey,keyboard-interactive:pam\n"
		 "AllowUsers alice bob@192.0.2.0/24\nAllowUsers carol\n"
		 "DenyUsers eve\nAllowGroups wheel,adm\nDenyGroups nope\n"
		 "Banner \"/etc/issue net\"\n"
		 "PrintMotd no\nPrintLastLog no\n"
		 "PermitUserEnvironment LANG,LC_*\n"
		 "AcceptEnv LANG LC_*\nAcceptEnv TZ\n"
		 "SetEnv A=1 B=2\nSetEnv C=3\n"
		 "ForceCommand internal-sftp -d /x\n"
		 "ChrootDirectory /srv/%u\n"
		 "Subsystem sftp internal-sftp -l INFO\n"
		 "PermitTTY no\nPermitUserRC no\n"
		 "ClientAliveInterval 1w\nClientAliveCountMax 0\n"
		 "TCPKeepAlive no\nUseDNS yes\nStrictModes no\n"
		 "SyslogFacility local3\nLogLevel debug\n"
		 "PidFile none\nVersionAddendum hello world\n"
		 "X11Forwarding yes\nAllowTcpForwarding local\n"
		 "AllowAgentForwarding no\nAllowStreamLocalForwarding remote\n"
		 "GatewayPorts clientspecified\n"
		 "PermitOpen host:22 [2001:db8::1]:80 *:*\n"
		 "PermitListen 1234 localhost:99\n"
		 "PermitTunnel point-to-point\n"
		 "IgnoreRhosts no\nHostbasedAuthentication yes\n"
		 "Protocol 2\n",
	    0);
	assert_int_equal(c->num_ports, 2);
	assert_int_equal(c->ports[1], 2200);
	assert_int_equal(c->num_listen, 3);
	assert_string_equal(c->listen[1].host, "::1");
	assert_int_equal(c->listen[1].port, 2201);
	assert_string_equal(c->listen[2].rdomain, "r1");
	assert_int_equal(c->address_family, SERVCONF_AF_INET);
	assert_int_equal(c->host_keys.n, 2);
	assert_string_equal(c->macs, "+hmac-sha1");
	assert_int_equal(c->rekey_limit, 1073741824LL);
	assert_int_equal(c->rekey_interval, 5400);
	assert_int_equal(c->compression, 1);
	assert_int_equal(c->login_grace_time, 90);
	assert_int_equal(c->max_startups_begin, 5);
	assert_int_equal(c->max_startups_rate, 20);
	assert_int_equal(c->max_startups, 50);
	assert_int_equal(c->per_source_max_startups, 3);
	assert_int_equal(c->per_source_masklen_ipv6, 56);
	assert_int_equal(c->pubkey_authentication, 0);
	assert_int_equal(c->authorized_keys_files.n, 2);
	assert_string_equal(c->authorized_keys_files.v[1], "/etc/k/%u");
	assert_string_equal(c->authorized_keys_command, "/bin/akc %u %f");
	assert_int_equal(c->password_authentication, 0);
	assert_int_equal(c->kbd_interactive_authentication, 0);
	assert_int_equal(c->auth_methods.n, 2);
	assert_int_equal(c->allow_users.n, 3);
	assert_string_equal(c->banner, "/etc/issue net");
	assert_int_equal(c->permit_user_env, 1);
	assert_string_equal(c->permit_user_env_allowlist, "LANG,LC_*");
	assert_int_equal(c->accept_env.n, 3);
	assert_int_equal(c->set_env.n, 2);
	assert_string_equal(c->force_command, "internal-sftp -d /x");
	assert_int_equal(c->num_subsystems, 1);
	assert_string_equal(c->subsystems[0].command, "internal-sftp -l INFO");
	assert_int_equal(c->client_alive_interval, 604800);
	assert_int_equal(c->client_alive_count_max, 0);
	assert_int_equal(c->syslog_facility, QSSH_LOG_FAC_LOCAL3);
	assert_int_equal(c->log_level, QSSH_LOG_DEBUG1);
	assert_false(servconf_str_set(c->pid_file));
	assert_string_equal(c->version_addendum, "hello world");
	assert_int_equal(c->allow_tcp_forwarding, SERVCONF_FWD_LOCAL);
	assert_int_equal(c->allow_streamlocal_forwarding, SERVCONF_FWD_REMOTE);
	assert_int_equal(c->gateway_ports, SERVCONF_GW_CLIENTSPECIFIED);
	assert_int_equal(c->permit_open.n, 3);
	assert_string_equal(c->permit_listen.v[0], "*:1234");
	assert_int_equal(c->permit_tunnel, SERVCONF_TUN_POINTOPOINT);
	assert_int_equal(c->ignore_rhosts, 0);
	assert_int_equal(c->hostbased_authentication, 1);
	servconf_free(c);
}

struct badcase {
	const char *text;
	const char *msg;
};

#define WORKERS_WHY \
	"(auto, 0 to 21 workers for every pool, or gcm=N,chacha=N,mac=N)."

static const struct badcase bad[] = {
	{ "Foo bar\n",
	    "F: line 1: Bad configuration option: Foo\n"
	    "F: terminating, 1 bad configuration options" },
	{ "\nPort 0\n", "F line 2: Badly formatted port number." },
	{ "Port\n",
	    "F line 1: no argument after keyword \"Port\"\n"
	    "F: terminating, 1 bad configuration options" },
	{ "Port 22 23\n",
	    "F line 1: keyword Port extra arguments at end of "
	    "line\nF: terminating, 1 bad configuration options" },
	{ "PermitRootLogin maybe\n",
	    "F line 1: unsupported option \"maybe\"." },
	{ "PasswordAuthentication maybe\n",
	    "F line 1: unsupported option \"maybe\"." },
	{ "LoginGraceTime 1x\n", "F line 1: invalid time value." },
	{ "MaxAuthTries abc\n",
	    "F line 1: MaxAuthTries integer value invalid." },
	{ "MaxAuthTries -1\n",
	    "F line 1: MaxAuthTries integer value too small." },
	{ "MaxAuthTries 99999999999\n",
	    "F line 1: MaxAuthTries integer value too large." },
	{ "RekeyLimit foo\n",
	    "F line 1: Bad RekeyLimit number 'foo': Invalid argument" },
	{ "RekeyLimit 1\n", "F line 1: RekeyLimit too small" },
	{ "RekeyLimit 1G 1x\n", "F line 1: invalid time value." },
	{ "Ciphers foo\n", "F line 1: Bad SSH2 cipher spec 'foo'." },
	{ "Ciphers aes*\n", "F line 1: Bad SSH2 cipher spec 'aes*'." },
	{ "MACs bogus\n", "F line 1: Bad SSH2 mac spec 'bogus'." },
	{ "KexAlgorithms +foo\n", "F line 1: Bad SSH2 KexAlgorithms '+foo'." },
	{ "HostKeyAlgorithms bogus\n", "F line 1: Bad key types 'bogus'." },
	{ "MaxStartups 10:30\n", "F line 1: Invalid MaxStartups spec." },
	{ "MaxStartups 20:30:10\n", "F line 1: Invalid MaxStartups spec." },
	{ "PerSourceNetBlockSize 33\n",
	    "F line 1: Invalid PerSourceNetBlockSize spec." },
	{ "Match Foo bar\n",
	    "Unsupported Match attribute Foo\n"
	    "F line 1: Bad Match condition" },
	{ "Match User\n",
	    "Missing Match criteria for User\n"
	    "F line 1: Bad Match condition" },
	{ "Match All User x\n",
	    "'all' cannot be combined with other Match attributes\n"
	    "F line 1: Bad Match condition" },
	{ "Match LocalPort abc\n",
	    "Invalid LocalPort 'abc' on Match line\n"
	    "F line 1: Bad Match condition" },
	{ "Match Address 1.2.3.4/40\n",
	    "Invalid Match address argument '1.2.3.4/40' at line 1" },
	{ "Match User a\nPort 23\n",
	    "F line 2: Directive 'Port' is not allowed within a Match block" },
	{ "LogLevel foo\n", "F line 1: unsupported log level 'foo'" },
	{ "SyslogFacility foo\n", "F line 1: unsupported log facility 'foo'" },
	{ "PermitTunnel foo\n", "F line 1: bad PermitTunnel argument foo" },
	{ "Subsystem sftp /a\nSubsystem sftp /b\n",
	    "F line 2: Subsystem 'sftp' already defined." },
	{ "Subsystem sftp\n", "F line 1: Missing subsystem command." },
	{ "ListenAddress 1.2.3.4:99999\n", "F line 1: bad port number" },
	{ "ListenAddress 1.2.3.4 rdomain\n",
	    "F line 1: bad ListenAddress syntax" },
	{ "AuthenticationMethods foo\n",
	    "F line 1: invalid AuthenticationMethods method list." },
	{ "AuthenticationMethods any publickey\n",
	    "F line 1: \"any\" must appear alone in AuthenticationMethods" },
	{ "PermitOpen foo\n", "F line 1: PermitOpen bad port number" },
	{ "PermitListen 0\n", "F line 1: PermitListen bad port number" },
	{ "AllowUsers a@1.2.3.4/40\n",
	    "F line 1: invalid AllowUsers pattern: \"a@1.2.3.4/40\"" },
	{ "AcceptEnv a=b\n", "F line 1: Invalid environment name." },
	{ "SetEnv a\n", "F line 1: Invalid environment." },
	{ "CryptoBackend fast\n",
	    "F line 1: bad CryptoBackend argument \"fast\" (auto, openssl, "
	    "ipsec-mb or cryptodev)." },
	{ "CryptoWorkers -1\n",
	    "F line 1: bad CryptoWorkers argument \"-1\" " WORKERS_WHY },
	{ "CryptoWorkers 22\n",
	    "F line 1: bad CryptoWorkers argument \"22\" " WORKERS_WHY },
	{ "CryptoWorkers 99999999999999999999\n",
	    "F line 1: bad CryptoWorkers argument "
	    "\"99999999999999999999\" " WORKERS_WHY },
	{ "CryptoWorkers two\n",
	    "F line 1: bad CryptoWorkers argument \"two\" " WORKERS_WHY },
	{ "CryptoWorkers \"\"\n",
	    "F line 1: bad CryptoWorkers argument \"\" " WORKERS_WHY },
	{ "CryptoWorkers gcm=2,gcm=3\n",
	    "F line 1: bad CryptoWorkers argument \"gcm=2,gcm=3\" (a pool is "
	    "given twice)." },
	{ "CryptoWorkers ctr=1\n",
	    "F line 1: bad CryptoWorkers argument \"ctr=1\" (the pools are "
	    "gcm, chacha and mac)." },
	{ "CryptoWorkers gcm=1,,mac=1\n",
	    "F line 1: bad CryptoWorkers argument \"gcm=1,,mac=1\" (each pool "
	    "as name=N, such as gcm=2)." },
	{ "CryptoWorkers gcm=1,\n",
	    "F line 1: bad CryptoWorkers argument \"gcm=1,\" (each pool "
	    "as name=N, such as gcm=2)." },
	{ "CryptoWorkers 1,2\n",
	    "F line 1: bad CryptoWorkers argument \"1,2\" (each pool "
	    "as name=N, such as gcm=2)." },
	{ "CryptoWorkers gcm=65\n",
	    "F line 1: bad CryptoWorkers argument \"gcm=65\" (a pool takes "
	    "auto or 0 to 64 workers)." },
	{ "CryptoWorkers chacha=\n",
	    "F line 1: bad CryptoWorkers argument \"chacha=\" (a pool takes "
	    "auto or 0 to 64 workers)." },
	{ "CryptoWorkers mac=-1\n",
	    "F line 1: bad CryptoWorkers argument \"mac=-1\" (a pool takes "
	    "auto or 0 to 64 workers)." },
	{ "CryptoWorkers mac=99999999999999999999\n",
	    "F line 1: bad CryptoWorkers argument \"mac=99999999999999999999\" "
	    "(a pool takes auto or 0 to 64 workers)." },
	{ "CryptoWorkers gcm=40,chacha=20,mac=5\n",
	    "F line 1: bad CryptoWorkers argument \"gcm=40,chacha=20,mac=5\" "
	    "(at most 64 workers in all)." },
	{ "CryptoWorkers 2 3\n",
	    "F line 1: keyword CryptoWorkers extra arguments at end of line\n"
	    "F: terminating, 1 bad configuration options" },
	{ "CryptoRuntime fast\n",
	    "F line 1: bad CryptoRuntime argument \"fast\" (auto, threads or "
	    "dpdk)." },
	{ "CryptoRuntime\n",
	    "F line 1: no argument after keyword \"CryptoRuntime\"\n"
	    "F: terminating, 1 bad configuration options" },
	{ "CryptoWorkerMode sometimes\n",
	    "F line 1: bad CryptoWorkerMode argument \"sometimes\" (auto, "
	    "inline or offload)." },
	{ "CryptoEALArgs --help\n",
	    "F line 1: bad CryptoEALArgs argument \"--help\" (-h and --help "
	    "end the process)." },
	{ "CryptoEALArgs \"--no-huge -h\"\n",
	    "F line 1: bad CryptoEALArgs argument \"--no-huge -h\" (-h and "
	    "--help end the process)." },
	{ "CryptoEALArgs --proc-type=secondary\n",
	    "F line 1: bad CryptoEALArgs argument \"--proc-type=secondary\" "
	    "(only --proc-type=primary)." },
	{ "CryptoEALArgs --no-huge -- app\n",
	    "F line 1: bad CryptoEALArgs argument \"--no-huge -- app\" (no "
	    "application arguments after --)." },
	{ "CryptoEALArgs no-huge\n",
	    "F line 1: bad CryptoEALArgs argument \"no-huge\" (each word is "
	    "an option or the value of the option before it)." },
	{ "CryptoEALArgs --no-huge=1 128\n",
	    "F line 1: bad CryptoEALArgs argument \"--no-huge=1 128\" (each "
	    "word is an option or the value of the option before it)." },
	{ "CryptoEALArgs \" \"\n",
	    "F line 1: bad CryptoEALArgs argument \" \" (no EAL options; none "
	    "for the default)." },
	{ "ChannelWindow 65535\n",
	    "F line 1: bad ChannelWindow argument \"65535\" (a size from 64K "
	    "to 64M, such as 16M)." },
	{ "ChannelWindow 65M\n",
	    "F line 1: bad ChannelWindow argument \"65M\" (a size from 64K "
	    "to 64M, such as 16M)." },
	{ "ChannelWindow 1G\n",
	    "F line 1: bad ChannelWindow argument \"1G\" (a size from 64K "
	    "to 64M, such as 16M)." },
	{ "ChannelWindow -16M\n",
	    "F line 1: bad ChannelWindow argument \"-16M\" (a size from 64K "
	    "to 64M, such as 16M)." },
	{ "ChannelWindowMax 16MB\n",
	    "F line 1: bad ChannelWindowMax argument \"16MB\" (a size from "
	    "64K to 64M, such as 16M)." },
	{ "ChannelWindowMax 99999999999999999999\n",
	    "F line 1: bad ChannelWindowMax argument \"99999999999999999999\" "
	    "(a size from 64K to 64M, such as 16M)." },
	{ "ChannelWindowMax 8E\n",
	    "F line 1: bad ChannelWindowMax argument \"8E\" (a size from 64K "
	    "to 64M, such as 16M)." },
	{ "CryptoCores 3-1\n",
	    "F line 1: bad CryptoCores argument \"3-1\" (any, or core numbers "
	    "and ranges such as 0-1,3)." },
	{ "CryptoCores 0,,1\n",
	    "F line 1: bad CryptoCores argument \"0,,1\" (any, or core numbers "
	    "and ranges such as 0-1,3)." },
	{ "Match User a\nCryptoWorkers 1\n",
	    "F line 2: Directive 'CryptoWorkers' is not allowed within a Match "
	    "block" },
	{ "Match User a\nCryptoRuntime dpdk\n",
	    "F line 2: Directive 'CryptoRuntime' is not allowed within a Match "
	    "block" },
	{ "Match User a\nCryptoEALArgs --no-huge\n",
	    "F line 2: Directive 'CryptoEALArgs' is not allowed within a Match "
	    "block" },
	{ "Match User a\nCryptoWorkerMode inline\n",
	    "F line 2: Directive 'CryptoWorkerMode' is not allowed within a "
	    "Match block" },
	{ "Match User a\nChannelWindow 1M\n",
	    "F line 2: Directive 'ChannelWindow' is not allowed within a Match "
	    "block" },
	{ "Match User a\nChannelWindowMax 1M\n",
	    "F line 2: Directive 'ChannelWindowMax' is not allowed within a "
	    "Match block" },
	{ "Banner \"/a b\n",
	    "F line 1: invalid quotes\n"
	    "F: terminating, 1 bad configuration options" },
};

static void
test_bad_values(void **state)
{
	struct servconf *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = servconf_new();
		assert_non_null(c);
		assert_int_equal(servconf_load_string(
				     c, bad[i].text, "F", "/nonexistent", true),
		    QSSH_ERR_CONFIG);
		if (strcmp(servconf_error(c), bad[i].msg) != 0)
			fail_msg("case %zu: got \"%s\" want \"%s\"", i,
			    servconf_error(c), bad[i].msg);
		servconf_free(c);
	}
}

static int deprecated_seen;

static void
log_hook(enum qssh_log_level level, const char *line, void *ctx)
{
	(void)level;
	(void)ctx;
	if (strcmp(line,
		"F line 1: Deprecated option UsePrivilegeSeparation") == 0 ||
	    strcmp(line, "F line 2: Unsupported option GSSAPIAuthentication") ==
		0)
		deprecated_seen++;
}

static void
test_deprecated(void **state)
{
	struct servconf *c = servconf_new();

	(void)state;
	qssh_log_set_hook(log_hook, NULL);
	assert_int_equal(servconf_load_string(c,
			     "UsePrivilegeSeparation sandbox\n"
			     "GSSAPIAuthentication yes\n",
			     "F", NULL, true),
	    0);
	qssh_log_set_hook(NULL, NULL);
	assert_int_equal(deprecated_seen, 2);
	servconf_free(c);
}

static char tmpdir[] = "/tmp/servconf-test-XXXXXX";

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
test_include(void **state)
{
	struct servconf *c;
	char path[256], text[512];

	(void)state;
	assert_non_null(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/d", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	write_file("d/10-a.conf", "PasswordAuthentication no\nPort 1\n");
	write_file("d/20-b.conf", "PasswordAuthentication yes\nPort 2\n");
	write_file("rel.conf", "MaxAuthTries 2\n");
	write_file("self.conf", "Include self.conf\n");
	write_file("main.conf",
	    "Include d/*.conf\nInclude rel.conf\n"
	    "Include missing.conf /no/such/*.conf\n"
	    "Port 3\n");

	/* glob in order, relative to basedir, missing files skipped */
	c = servconf_new();
	snprintf(path, sizeof(path), "%s/main.conf", tmpdir);
	assert_int_equal(servconf_load_file(c, path, tmpdir), 0);
	assert_int_equal(c->password_authentication, 0);
	assert_int_equal(c->max_authtries, 2);
	assert_int_equal(c->num_ports, 3);
	assert_int_equal(c->ports[2], 3);
	servconf_free(c);

	/* missing plain file: ignored as sshd -t does */
	c = load("Include /no/such/file\n", 0);
	servconf_free(c);

	/* recursion */
	c = servconf_new();
	snprintf(text, sizeof(text), "Include %s/self.conf\n", tmpdir);
	assert_int_equal(
	    servconf_load_string(c, text, "F", tmpdir, true), QSSH_ERR_CONFIG);
	assert_string_equal(
	    servconf_error(c), "Too many recursive configuration includes");
	servconf_free(c);

	/* errors name the included file */
	write_file("d/30-bad.conf", "\nBogus 1\n");
	c = servconf_new();
	assert_int_equal(servconf_load_file(c, path, tmpdir), QSSH_ERR_CONFIG);
	snprintf(text, sizeof(text),
	    "%s/d/30-bad.conf: line 2: Bad configuration option: Bogus\n"
	    "%s: terminating, 1 bad configuration options",
	    tmpdir, path);
	assert_string_equal(servconf_error(c), text);
	servconf_free(c);
	snprintf(path, sizeof(path), "%s/d/30-bad.conf", tmpdir);
	unlink(path);

	/* Include inside a Match block belongs to the block */
	write_file("m.conf", "PasswordAuthentication no\n");
	snprintf(
	    text, sizeof(text), "Match User bob\nInclude %s/m.conf\n", tmpdir);
	c = load(text, 0);
	assert_int_equal(c->password_authentication, 1);
	{
		struct servconf_conn ci = { "bob", NULL, NULL, NULL, -1, NULL,
			NULL, 0 };
		struct servconf *e = NULL;

		assert_int_equal(servconf_apply_match(c, &ci, &e), 0);
		assert_int_equal(e->password_authentication, 0);
		servconf_free(e);
	}
	servconf_free(c);
}

static struct servconf *
eff(struct servconf *c, const char *user, const char *host, const char *addr,
    int lport)
{
	struct servconf_conn ci = { user, host, addr, "198.51.100.1", lport,
		NULL, NULL, 0 };
	static const char *const groups[] = { "staff", "users" };
	struct servconf *e = NULL;

	ci.groups = groups;
	ci.num_groups = 2;
	assert_int_equal(servconf_apply_match(c, &ci, &e), 0);
	return e;
}

static void
test_match(void **state)
{
	struct servconf *c, *e;

	(void)state;
	c = load("PasswordAuthentication yes\n"
		 "AllowUsers g\n"
		 "Match User alice,!mallory Address 192.0.2.0/24\n"
		 "  PasswordAuthentication no\n"
		 "  MaxAuthTries 2\n"
		 "  AllowUsers x\n"
		 "Match Group staff\n"
		 "  MaxAuthTries 4\n"
		 "  X11Forwarding yes\n"
		 "Match Host *.example.org LocalPort 2222\n"
		 "  Banner /b\n"
		 "Match Group nosuch\n"
		 "  Banner /wrong\n"
		 "Match RDomain r1\n"
		 "  Banner /never\n"
		 "Match All\n"
		 "  MaxSessions 3\n"
		 "  AllowUsers y\n",
	    0);
	/* global view: Match All applies, AllowUsers accumulates */
	assert_int_equal(c->max_sessions, 3);
	assert_int_equal(c->allow_users.n, 2);

	e = eff(c, "alice", "h.example.org", "192.0.2.9", 2222);
	assert_int_equal(e->password_authentication, 0);
	assert_int_equal(e->max_authtries, 2); /* first matching block wins */
	assert_int_equal(e->x11_forwarding, 1);
	assert_string_equal(e->banner, "/b");
	assert_int_equal(e->max_sessions, 3);
	assert_int_equal(e->allow_users.n, 2); /* x, y replace g */
	assert_string_equal(e->allow_users.v[0], "x");
	servconf_free(e);

	e = eff(c, "mallory", "h.example.com", "192.0.2.9", 22);
	assert_int_equal(e->password_authentication, 1);
	assert_int_equal(e->max_authtries, 4);
	assert_null(e->banner);
	servconf_free(e);

	e = eff(c, "alice", "h.example.org", "203.0.113.1", 22);
	assert_int_equal(e->password_authentication, 1);
	assert_int_equal(e->max_authtries, 4);
	assert_null(e->banner);
	servconf_free(e);
	servconf_free(c);

	/* Match blocks override the global value */
	c = load("PasswordAuthentication no\nMatch All\n"
		 "PasswordAuthentication yes\n",
	    0);
	e = eff(c, "u", "h", "192.0.2.1", 22);
	assert_int_equal(e->password_authentication, 1);
	servconf_free(e);
	servconf_free(c);
}

static void
test_cmdline(void **state)
{
	struct servconf *c = servconf_new();

	(void)state;
	assert_int_equal(servconf_parse_line(
			     c, "PasswordAuthentication=no", "command-line", 0),
	    0);
	assert_int_equal(
	    servconf_parse_line(c, "Port 7", "command-line", 0), 0);
	assert_int_equal(
	    servconf_load_string(
		c, "PasswordAuthentication yes\nPort 5\n", "F", NULL, true),
	    0);
	assert_int_equal(c->password_authentication, 0);
	assert_int_equal(c->num_ports, 2);
	assert_int_equal(c->ports[0], 7);
	/* given after the file: still wins */
	assert_int_equal(
	    servconf_parse_line(c, "MaxAuthTries 1", "command-line", 0), 0);
	assert_int_equal(c->max_authtries, 1);
	assert_int_equal(servconf_parse_line(c, "Bogus 1", "command-line", 0),
	    QSSH_ERR_CONFIG);
	assert_string_equal(servconf_error(c),
	    "command-line: line 0: Bad configuration option: Bogus");
	assert_int_equal(servconf_parse_line(c, "Port 0", "command-line", 0),
	    QSSH_ERR_CONFIG);
	assert_string_equal(servconf_error(c),
	    "command-line line 0: Badly formatted port number.");
	servconf_free(c);
}

static void
test_algs(void **state)
{
	char *s = NULL;

	(void)state;
	assert_int_equal(
	    servconf_algs_resolve(SERVCONF_ALG_CIPHER, "-*-ctr,chacha*", &s),
	    0);
	assert_string_equal(s, "aes128-gcm@openssh.com,aes256-gcm@openssh.com");
	free(s);
	assert_int_equal(
	    servconf_algs_resolve(SERVCONF_ALG_CIPHER, "^aes256-ctr", &s), 0);
	assert_string_equal(s,
	    "aes256-ctr,chacha20-poly1305@openssh.com,"
	    "aes128-ctr,aes192-ctr,aes128-gcm@openssh.com,"
	    "aes256-gcm@openssh.com");
	free(s);
	assert_int_equal(servconf_algs_resolve(SERVCONF_ALG_KEX,
			     "+diffie-hellman-group14-sha1", &s),
	    0);
	assert_non_null(
	    strstr(s, "group14-sha256,diffie-hellman-group14-sha1"));
	free(s);
	assert_int_equal(servconf_algs_resolve(SERVCONF_ALG_MAC,
			     "umac-64@openssh.com,hmac-sha1", &s),
	    0);
	assert_string_equal(s, "hmac-sha1");
	free(s);
	assert_int_equal(
	    servconf_algs_resolve(SERVCONF_ALG_MAC, "umac-64@openssh.com", &s),
	    QSSH_ERR_CONFIG);
	assert_int_equal(servconf_algs_resolve(SERVCONF_ALG_SIG, "bogus", &s),
	    QSSH_ERR_CONFIG);
	assert_null(s);
}

static void
test_tokens(void **state)
{
	char *s = NULL;

	(void)state;
	assert_int_equal(
	    servconf_expand_tokens("%h/.ssh/%u_%U%%", "/home/a", "a", 1000, &s),
	    0);
	assert_string_equal(s, "/home/a/.ssh/a_1000%");
	free(s);
	assert_int_equal(servconf_expand_tokens("%i", "/h", "a", 1, &s),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(servconf_expand_tokens("%", "/h", "a", 1, &s),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(
	    servconf_expand_authorized_path(".ssh/k", "/home/a", "a", 1, &s),
	    0);
	assert_string_equal(s, "/home/a/.ssh/k");
	free(s);
}

/* ---- comparison with the real sshd -T ---- */

static char keyfile[300];

static void
sorted_lines(const char *cmd, char ***out, size_t *n)
{
	FILE *p = popen(cmd, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	assert_non_null(p);
	*out = NULL;
	*n = 0;
	while ((len = getline(&line, &cap, p)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		*out = realloc(*out, (*n + 1) * sizeof(char *));
		(*out)[(*n)++] = strdup(line);
	}
	free(line);
	pclose(p);
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

static int
kwcmp(const char *a, const char *b)
{
	size_t la = strcspn(a, " "), lb = strcspn(b, " ");

	return la == lb && strncmp(a, b, la) == 0;
}

static bool
has_kw(char **v, size_t n, const char *line)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (kwcmp(v[i], line))
			return true;
	return false;
}

/* Lines of keywords both print must be identical (as multisets, in order). */
static void
compare(const char *conf, const char *conn, const char *skip)
{
	char cmd[1024], path[300], **a, **b, *dump = NULL;
	size_t na, nb, i, j, dlen = 0;
	struct servconf *c, *e = NULL;
	struct servconf_conn ci = { NULL, NULL, NULL, NULL, -1, NULL, NULL, 0 };
	char user[64] = "", host[64] = "", addr[64] = "", laddr[64] = "";
	FILE *m;
	bool *used;

	snprintf(path, sizeof(path), "%s/cmp.conf", tmpdir);
	write_file("cmp.conf", conf);
	snprintf(cmd, sizeof(cmd),
	    SSHD " -T -f %s -o HostKey=%s %s%s 2>/dev/null", path, keyfile,
	    conn != NULL ? "-C " : "", conn != NULL ? conn : "");
	sorted_lines(cmd, &a, &na);
	if (na < 10)
		fail_msg("%s gave no output", cmd);

	c = servconf_new();
	assert_int_equal(
	    servconf_parse_line(c, "HostKey", "x", 0), QSSH_ERR_CONFIG);
	snprintf(cmd, sizeof(cmd), "HostKey=%s", keyfile);
	assert_int_equal(servconf_parse_line(c, cmd, "command-line", 0), 0);
	assert_int_equal(servconf_load_file(c, path, tmpdir), 0);
	if (conn != NULL) {
		sscanf(conn,
		    "user=%63[^,],host=%63[^,],addr=%63[^,],laddr=%63[^,],"
		    "lport=%d",
		    user, host, addr, laddr, &ci.lport);
		ci.user = user;
		ci.host = host;
		ci.addr = addr;
		ci.laddr = laddr;
	}
	assert_int_equal(servconf_apply_match(c, &ci, &e), 0);
	m = open_memstream(&dump, &dlen);
	assert_int_equal(servconf_dump(e, m), 0);
	fclose(m);
	b = NULL;
	nb = 0;
	{
		char *save = NULL, *tok;

		for (tok = strtok_r(dump, "\n", &save); tok != NULL;
		     tok = strtok_r(NULL, "\n", &save)) {
			b = realloc(b, (nb + 1) * sizeof(char *));
			b[nb++] = strdup(tok);
			drop_mlkem(b[nb - 1]);
		}
	}
	used = calloc(na, sizeof(*used));
	/* every line of ours whose keyword sshd prints must appear there */
	for (i = 0, j = 0; i < nb; i++) {
		if (!has_kw(a, na, b[i]))
			continue;
		if (skip != NULL && kwcmp(b[i], skip))
			continue;
		for (j = 0; j < na; j++)
			if (!used[j] && strcmp(a[j], b[i]) == 0)
				break;
		if (j == na)
			fail_msg("qssh prints \"%s\", sshd does not", b[i]);
		used[j] = true;
	}
	/* and every sshd line of a keyword we print was matched */
	for (j = 0; j < na; j++) {
		if (used[j] || !has_kw(b, nb, a[j]))
			continue;
		if (skip != NULL && kwcmp(a[j], skip))
			continue;
		fail_msg("sshd prints \"%s\", qssh does not", a[j]);
	}
	for (j = 0; j < na; j++)
		free(a[j]);
	for (i = 0; i < nb; i++)
		free(b[i]);
	free(a);
	free(b);
	free(used);
	free(dump);
	servconf_free(e);
	servconf_free(c);
}

static void
test_dump_vs_sshd(void **state)
{
	char cmd[400];

	(void)state;
	if (geteuid() != 0 || access(SSHD, X_OK) != 0)
		skip();
	mkdir("/run/sshd", 0755);
	snprintf(keyfile, sizeof(keyfile), "%s/hostkey", tmpdir);
	snprintf(cmd, sizeof(cmd),
	    "ssh-keygen -q -t ed25519 -N '' -f %s </dev/null >/dev/null 2>&1",
	    keyfile);
	if (system(cmd) != 0)
		skip();

	/* defaults (qsshd's MAC default omits UMAC on purpose) */
	compare("", NULL, "macs");
	compare("AddressFamily inet\nPort 2022\n", NULL, "macs");
	compare("Port 2222\nPort 2223\nListenAddress 127.0.0.1\n"
		"ListenAddress [::1]:2200\n"
		"AllowUsers alice bob@10.0.0.0/8\nDenyUsers eve\n"
		"AllowGroups wheel\nDenyGroups nogroup\n"
		"AcceptEnv LANG LC_*\nAcceptEnv TZ\nSetEnv A=1 B=2\n"
		"Subsystem sftp internal-sftp -l INFO\n"
		"TrustedUserCAKeys /etc/ssh/ca.pub\n"
		"AuthorizedKeysCommand /bin/akc %u\n"
		"AuthorizedKeysCommandUser nobody\n"
		"AuthorizedPrincipalsFile /etc/ssh/p/%u\n"
		"AuthorizedKeysFile /etc/k/%u .ssh/x\n"
		"PermitListen 1234 localhost:99\n"
		"PermitOpen host:22 1.2.3.4:80\n"
		"Compression no\nPrintLastLog no\nPermitEmptyPasswords yes\n"
		"UsePAM yes\nLoginGraceTime 1h30m\nClientAliveInterval 5m\n"
		"ClientAliveCountMax 0\nMaxAuthTries 3\nMaxSessions 2\n"
		"MaxStartups 5\nPerSourceMaxStartups 3\n"
		"PerSourceNetBlockSize 24\nRekeyLimit 1G 1h\n"
		"PermitRootLogin prohibit-password\n"
		"KbdInteractiveAuthentication no\nX11Forwarding yes\n"
		"AllowTcpForwarding local\nAllowStreamLocalForwarding remote\n"
		"GatewayPorts clientspecified\nPermitTunnel ethernet\n"
		"PermitUserEnvironment LANG,TZ\nLogLevel VERBOSE\n"
		"SyslogFacility LOCAL5\nBanner /etc/issue.net\n"
		"ForceCommand /bin/echo hi\nChrootDirectory /srv\n"
		"VersionAddendum hello there\nPidFile /tmp/p.pid\n"
		"UseDNS yes\nTCPKeepAlive no\nStrictModes no\n"
		"PrintMotd no\nPermitTTY no\nPermitUserRC no\n"
		"IgnoreRhosts no\nHostbasedAuthentication yes\n"
		"AuthenticationMethods publickey,password publickey\n"
		"KexAlgorithms -sntrup*,ecdh*\nCiphers ^aes256-ctr\n"
		"MACs hmac-sha2-512,hmac-sha1-etm@openssh.com\n"
		"HostKeyAlgorithms +ssh-rsa\n"
		"PubkeyAcceptedAlgorithms ssh-ed25519,rsa-sha2-256\n"
		"UsePrivilegeSeparation sandbox\n",
	    NULL, NULL);
	static const char match_conf[] =
	    "PasswordAuthentication yes\nAllowUsers g\n"
	    "Match User alice,!mallory Address 192.0.2.0/24\n"
	    "  PasswordAuthentication no\n  MaxAuthTries 2\n"
	    "  AllowUsers x\n  ForceCommand /bin/a\n"
	    "Match Host *.example.org LocalPort 2222\n"
	    "  Banner /b\n  MaxAuthTries 5\n  PermitOpen h:1\n"
	    "Match LocalAddress 198.51.100.0/24\n"
	    "  X11Forwarding yes\n  PermitRootLogin no\n"
	    "Match All\n  MaxSessions 3\n  AllowUsers y\n"
	    "  PasswordAuthentication no\n";
	compare(match_conf,
	    "user=alice,host=a.example.org,addr=192.0.2.5,"
	    "laddr=198.51.100.1,lport=2222",
	    "macs");
	compare(match_conf,
	    "user=mallory,host=a.example.org,addr=192.0.2.5,"
	    "laddr=203.0.113.1,lport=2222",
	    "macs");
	compare(match_conf,
	    "user=bob,host=a.example.com,addr=10.0.0.1,"
	    "laddr=198.51.100.1,lport=22",
	    "macs");
}

/* The lines of a -T dump that start with "crypto" or "channel", joined. */
static char *
crypto_dump(const struct servconf *c)
{
	char *text = NULL, *line, *save = NULL, *res;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(servconf_dump(c, f), 0);
	assert_int_equal(fclose(f), 0);
	res = calloc(1, len + 1);
	assert_non_null(res);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "crypto", 6) == 0 ||
		    strncmp(line, "channel", 7) == 0) {
			strcat(res, line);
			strcat(res, "\n");
		}
	}
	free(text);
	return res;
}

#define DUMP_DEFAULT_REST                                                 \
	"cryptoruntime auto\ncryptoealargs none\ncryptoworkermode auto\n" \
	"channelwindow 16777216\nchannelwindowmax 67108864\n"

static void
test_crypto_keywords(void **state)
{
	struct servconf *c;
	char *d;
	int i;

	(void)state;
	c = load("", 0);
	assert_string_equal(c->crypto_backend, "auto");
	for (i = 0; i < SERVCONF_CRYPTO_POOLS; i++)
		assert_int_equal(
		    c->crypto_workers[i], SERVCONF_CRYPTO_WORKERS_AUTO);
	assert_string_equal(c->crypto_cores, "any");
	assert_int_equal(c->crypto_runtime, SERVCONF_RUNTIME_AUTO);
	assert_null(c->crypto_eal_args);
	assert_int_equal(c->crypto_worker_mode, SERVCONF_WMODE_AUTO);
	assert_int_equal(c->channel_window, 16 * 1024 * 1024);
	assert_int_equal(c->channel_window_max, 64 * 1024 * 1024);
	d = crypto_dump(c);
	assert_string_equal(d,
	    "cryptobackend auto\ncryptoworkers auto\ncryptocores "
	    "any\n" DUMP_DEFAULT_REST);
	free(d);
	servconf_free(c);

	c = load("CryptoBackend ipsec-mb\nCryptoBackend openssl\n"
		 "cryptoworkers=0\nCryptoWorkers 3\nCryptoCores 1,2\n",
	    0);
	assert_string_equal(c->crypto_backend, "ipsec-mb");
	for (i = 0; i < SERVCONF_CRYPTO_POOLS; i++)
		assert_int_equal(c->crypto_workers[i], 0);
	assert_string_equal(c->crypto_cores, "1,2");
	d = crypto_dump(c);
	assert_string_equal(d,
	    "cryptobackend ipsec-mb\ncryptoworkers 0\ncryptocores "
	    "1,2\n" DUMP_DEFAULT_REST);
	free(d);
	servconf_free(c);

	/* -o wins over the file; the limits are accepted. */
	c = servconf_new();
	assert_non_null(c);
	assert_int_equal(
	    servconf_parse_line(c, "CryptoWorkers 21", "command-line", 0), 0);
	assert_int_equal(
	    servconf_parse_line(c, "ChannelWindowMax=64M", "command-line", 0),
	    0);
	assert_int_equal(servconf_load_string(c,
			     "CryptoWorkers auto\nCryptoBackend cryptodev\n"
			     "CryptoCores 0-3\nChannelWindow 64K\n"
			     "ChannelWindowMax 1M\n",
			     "F", "/nonexistent", true),
	    0);
	assert_int_equal(c->crypto_workers[0], 21);
	d = crypto_dump(c);
	assert_string_equal(d,
	    "cryptobackend cryptodev\ncryptoworkers 21\ncryptocores 0-3\n"
	    "cryptoruntime auto\ncryptoealargs none\ncryptoworkermode auto\n"
	    "channelwindow 65536\nchannelwindowmax 67108864\n");
	free(d);
	servconf_free(c);

	c = load("CryptoWorkers auto\nCryptoWorkers 2\nCryptoCores any\n", 0);
	assert_int_equal(c->crypto_workers[2], SERVCONF_CRYPTO_WORKERS_AUTO);
	assert_string_equal(c->crypto_cores, "any");
	servconf_free(c);

	/* Per pool; pools left out are auto; names and auto in any case. */
	c = load("CryptoWorkers GCM=2,mac=0\nCryptoWorkers gcm=5\n"
		 "CryptoRuntime dpdk\nCryptoRuntime threads\n"
		 "CryptoEALArgs --no-huge -m 256 \"--vdev=crypto_openssl\"\n"
		 "CryptoEALArgs none\n"
		 "CryptoWorkerMode OFFLOAD\nCryptoWorkerMode inline\n"
		 "ChannelWindow 1m\nChannelWindow 2M\n"
		 "ChannelWindowMax 32M\n",
	    0);
	assert_int_equal(c->crypto_workers[0], 2);
	assert_int_equal(c->crypto_workers[1], SERVCONF_CRYPTO_WORKERS_AUTO);
	assert_int_equal(c->crypto_workers[2], 0);
	assert_int_equal(c->crypto_runtime, SERVCONF_RUNTIME_DPDK);
	assert_string_equal(
	    c->crypto_eal_args, "--no-huge -m 256 --vdev=crypto_openssl");
	assert_int_equal(c->crypto_worker_mode, SERVCONF_WMODE_OFFLOAD);
	assert_int_equal(c->channel_window, 1024 * 1024);
	assert_int_equal(c->channel_window_max, 32 * 1024 * 1024);
	d = crypto_dump(c);
	assert_string_equal(d,
	    "cryptobackend auto\ncryptoworkers gcm=2,chacha=auto,mac=0\n"
	    "cryptocores any\ncryptoruntime dpdk\n"
	    "cryptoealargs --no-huge -m 256 --vdev=crypto_openssl\n"
	    "cryptoworkermode offload\nchannelwindow 1048576\n"
	    "channelwindowmax 33554432\n");
	free(d);
	servconf_free(c);

	/* The -T form loads again to the same values. */
	c = load("CryptoWorkers gcm=2,chacha=auto,mac=0\n"
		 "CryptoEALArgs --no-huge -m 256 --vdev=crypto_openssl\n"
		 "CryptoRuntime dpdk\nCryptoWorkerMode offload\n"
		 "ChannelWindow 1048576\nChannelWindowMax 33554432\n",
	    0);
	d = crypto_dump(c);
	assert_string_equal(d,
	    "cryptobackend auto\ncryptoworkers gcm=2,chacha=auto,mac=0\n"
	    "cryptocores any\ncryptoruntime dpdk\n"
	    "cryptoealargs --no-huge -m 256 --vdev=crypto_openssl\n"
	    "cryptoworkermode offload\nchannelwindow 1048576\n"
	    "channelwindowmax 33554432\n");
	free(d);
	servconf_free(c);

	/* Every pool given the same number prints as one number; the
	 * largest totals are accepted. */
	c = load("CryptoWorkers mac=4,chacha=4,gcm=4\n", 0);
	d = crypto_dump(c);
	assert_non_null(strstr(d, "cryptoworkers 4\n"));
	free(d);
	servconf_free(c);
	c = load("CryptoWorkers gcm=64,chacha=0,mac=auto\n", 0);
	assert_int_equal(c->crypto_workers[0], 64);
	servconf_free(c);
	c = load("CryptoWorkers gcm=30,chacha=30,mac=4\n", 0);
	assert_int_equal(c->crypto_workers[2], 4);
	servconf_free(c);

	/* The window is lowered to its cap, and the default one too. */
	c = load("ChannelWindow 32M\nChannelWindowMax 8M\n", 0);
	assert_int_equal(c->channel_window, 8 * 1024 * 1024);
	assert_int_equal(c->channel_window_max, 8 * 1024 * 1024);
	servconf_free(c);
	c = load("ChannelWindowMax 4M\n", 0);
	assert_int_equal(c->channel_window, 4 * 1024 * 1024);
	servconf_free(c);
	c = load("ChannelWindow 65536\nChannelWindowMax 64M\n", 0);
	assert_int_equal(c->channel_window, 65536);
	servconf_free(c);
}

static void
set_pools(struct wrk_config *wc, uint32_t n)
{
	int i;

	for (i = 0; i < WRK_POOL_COUNT; i++)
		wc->num_workers[i] = n;
}

/* The keywords' values as the worker engine's configuration. */
static void
test_crypto_fill(void **state)
{
	const int all_auto[SERVCONF_CRYPTO_POOLS] = {
		SERVCONF_CRYPTO_WORKERS_AUTO, SERVCONF_CRYPTO_WORKERS_AUTO,
		SERVCONF_CRYPTO_WORKERS_AUTO
	};
	const int gcm60[SERVCONF_CRYPTO_POOLS] = { 60,
		SERVCONF_CRYPTO_WORKERS_AUTO, SERVCONF_CRYPTO_WORKERS_AUTO };
	const int gcm64[SERVCONF_CRYPTO_POOLS] = { 64,
		SERVCONF_CRYPTO_WORKERS_AUTO, 0 };
	const int fixed[SERVCONF_CRYPTO_POOLS] = { 2, 0, 1 };
	const char *eal = "--no-huge -m 64";
	struct wrk_config wc;
	struct servconf *c;

	(void)state;
	/* Auto pools keep the engine's default while all of them fit... */
	wrk_config_init(&wc);
	set_pools(&wc, 3);
	assert_int_equal(
	    servconf_crypto_fill(&wc, all_auto, "any", SERVCONF_WMODE_AUTO,
		SERVCONF_RUNTIME_THREADS, NULL),
	    9);
	assert_int_equal(wc.num_workers[WRK_POOL_CHACHA], 3);
	assert_null(wc.cores);
	assert_int_equal(wc.mode, WRK_MODE_AUTO);
	assert_int_equal(wc.runtime, WRK_RUNTIME_THREADS);
	assert_null(wc.eal_args);
	/* ...and share WRK_WORKERS_MAX on a machine with many cores. */
	set_pools(&wc, 40);
	assert_int_equal(
	    servconf_crypto_fill(&wc, all_auto, NULL, SERVCONF_WMODE_AUTO,
		SERVCONF_RUNTIME_THREADS, NULL),
	    63);
	assert_int_equal(wc.num_workers[WRK_POOL_GCM], 21);
	assert_int_equal(wc.num_workers[WRK_POOL_CIPHER_MAC], 21);
	/* Numbers given are kept; auto pools get what is left. */
	set_pools(&wc, 40);
	assert_int_equal(
	    servconf_crypto_fill(&wc, gcm60, NULL, SERVCONF_WMODE_AUTO,
		SERVCONF_RUNTIME_THREADS, NULL),
	    64);
	assert_int_equal(wc.num_workers[WRK_POOL_GCM], 60);
	assert_int_equal(wc.num_workers[WRK_POOL_CHACHA], 2);
	assert_int_equal(wc.num_workers[WRK_POOL_CIPHER_MAC], 2);
	set_pools(&wc, 40);
	assert_int_equal(
	    servconf_crypto_fill(&wc, gcm64, NULL, SERVCONF_WMODE_AUTO,
		SERVCONF_RUNTIME_THREADS, NULL),
	    64);
	assert_int_equal(wc.num_workers[WRK_POOL_CHACHA], 0);
	set_pools(&wc, 3);
	assert_int_equal(
	    servconf_crypto_fill(&wc, gcm60, NULL, SERVCONF_WMODE_AUTO,
		SERVCONF_RUNTIME_THREADS, NULL),
	    64);
	set_pools(&wc, 5);
	assert_int_equal(
	    servconf_crypto_fill(&wc, fixed, "1-2", SERVCONF_WMODE_INLINE,
		SERVCONF_RUNTIME_DPDK, NULL),
	    3);
	assert_int_equal(wc.num_workers[WRK_POOL_CHACHA], 0);
	assert_string_equal(wc.cores, "1-2");
	assert_int_equal(wc.mode, WRK_MODE_INLINE);
	/* dpdk: the configured EAL arguments, or the default ones. */
	assert_int_equal(wc.runtime, WRK_RUNTIME_DPDK);
	assert_string_equal(wc.eal_args, DP_EAL_DEFAULT_ARGS);
	(void)servconf_crypto_fill(&wc, fixed, NULL, SERVCONF_WMODE_OFFLOAD,
	    SERVCONF_RUNTIME_DPDK, "none");
	assert_int_equal(wc.mode, WRK_MODE_OFFLOAD);
	assert_string_equal(wc.eal_args, DP_EAL_DEFAULT_ARGS);
	(void)servconf_crypto_fill(&wc, fixed, NULL, SERVCONF_WMODE_OFFLOAD,
	    SERVCONF_RUNTIME_DPDK, eal);
	assert_ptr_equal(wc.eal_args, eal);
	/* auto: the EAL is not up in this process, so threads. */
	assert_false(dp_eal_running());
	(void)servconf_crypto_fill(
	    &wc, fixed, NULL, SERVCONF_WMODE_AUTO, SERVCONF_RUNTIME_AUTO, eal);
	assert_int_equal(wc.runtime, WRK_RUNTIME_THREADS);
	assert_null(wc.eal_args);
	(void)servconf_crypto_fill(&wc, fixed, NULL, SERVCONF_WMODE_AUTO,
	    SERVCONF_RUNTIME_THREADS, eal);
	assert_int_equal(wc.runtime, WRK_RUNTIME_THREADS);
	assert_null(wc.eal_args);

	/* From a loaded configuration. */
	c = load("CryptoWorkers gcm=1,chacha=0,mac=2\nCryptoCores 0\n"
		 "CryptoWorkerMode offload\nCryptoRuntime dpdk\n"
		 "CryptoEALArgs --no-huge -m 64\n",
	    0);
	wrk_config_init(&wc);
	assert_int_equal(servconf_wrk_config(c, &wc), 3);
	assert_int_equal(wc.num_workers[WRK_POOL_GCM], 1);
	assert_int_equal(wc.num_workers[WRK_POOL_CIPHER_MAC], 2);
	assert_string_equal(wc.cores, "0");
	assert_int_equal(wc.mode, WRK_MODE_OFFLOAD);
	assert_int_equal(wc.runtime, WRK_RUNTIME_DPDK);
	assert_string_equal(wc.eal_args, "--no-huge -m 64");
	servconf_free(c);
	c = load("CryptoWorkers 0\n", 0);
	wrk_config_init(&wc);
	assert_int_equal(servconf_wrk_config(c, &wc), 0);
	servconf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_crypto_keywords),
		cmocka_unit_test(test_crypto_fill),
		cmocka_unit_test(test_deprecated),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_algs),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_dump_vs_sshd),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[300];

	if (tmpdir[sizeof(tmpdir) - 2] != 'X') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			r = 1;
	}
	return r;
}
