/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sshd_config(5) reader.  Lines are kept (with the Match block they belong
 * to) so that the effective configuration of a connection can be rebuilt:
 * command-line lines first, then the file's global lines ("first value
 * wins"), then the lines of matching Match blocks overlay what they set.
 */
#include <errno.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/match.h"
#include "control/servconf.h"
#include "crypto-offload/cryp.h"
#include "dataplane/workers.h"

_Static_assert(SERVCONF_CRYPTO_WORKERS_MAX == WRK_WORKERS_MAX / WRK_POOL_COUNT,
    "CryptoWorkers limit");

#define MAX_ARGS 256

enum kwtype {
	K_FLAG, /* aux: value table */
	K_INT,
	K_TIME,
	K_STR, /* one argument */
	K_STRREST, /* the rest of the line */
	K_LIST, /* every argument of every line */
	K_LISTONCE, /* the arguments of the first line */
	K_PATHLIST, /* one argument per line, accumulated */
	K_ALGS,
	K_PORT,
	K_LISTEN,
	K_MAXSTARTUPS,
	K_PSMAXSTARTUPS,
	K_PSNETBLOCK,
	K_REKEY,
	K_USERENV,
	K_SUBSYSTEM,
	K_LOGLEVEL,
	K_FACILITY,
	K_TUNNEL,
	K_CRYBACKEND, /* string: auto or a cryp backend name */
	K_CRYWORKERS, /* int per pool: see servconf_crypto_workers_parse() */
	K_CRYCORES, /* string: any or a core list */
	K_CRYCHOICE, /* int, aux: value table; named in the message */
	K_CRYEAL, /* the rest of the line: EAL options */
	K_CHANWIN, /* int: a size in bytes (K/M suffixes) */
	K_MATCH,
	K_INCLUDE,
	K_DEPRECATED,
	K_UNSUPPORTED,
	K_IGNORE,
};

/* Validation of list elements. */
enum listcheck {
	LC_NONE = 0,
	LC_USERS,
	LC_ACCEPTENV,
	LC_SETENV,
	LC_PERMITOPEN,
	LC_PERMITLISTEN,
	LC_AUTHMETHODS,
};

struct nameval {
	const char *name;
	int val;
};

static const struct nameval t_flag[] = { { "yes", 1 }, { "no", 0 },
	{ NULL, 0 } };
static const struct nameval t_root[] = { { "without-password",
					     SERVCONF_ROOT_NO_PASSWORD },
	{ "prohibit-password", SERVCONF_ROOT_NO_PASSWORD },
	{ "forced-commands-only", SERVCONF_ROOT_FORCED_ONLY },
	{ "yes", SERVCONF_ROOT_YES }, { "no", SERVCONF_ROOT_NO }, { NULL, 0 } };
static const struct nameval t_family[] = { { "inet", SERVCONF_AF_INET },
	{ "inet6", SERVCONF_AF_INET6 }, { "any", SERVCONF_AF_ANY },
	{ NULL, 0 } };
static const struct nameval t_compression[] = { { "yes", 1 }, { "delayed", 1 },
	{ "no", 0 }, { NULL, 0 } };
static const struct nameval t_gateway[] = { { "clientspecified",
						SERVCONF_GW_CLIENTSPECIFIED },
	{ "yes", SERVCONF_GW_YES }, { "no", SERVCONF_GW_NO }, { NULL, 0 } };
static const struct nameval t_fwd[] = { { "yes", SERVCONF_FWD_YES },
	{ "all", SERVCONF_FWD_YES }, { "no", SERVCONF_FWD_NO },
	{ "local", SERVCONF_FWD_LOCAL }, { "remote", SERVCONF_FWD_REMOTE },
	{ NULL, 0 } };
static const struct nameval t_tunnel[] = { { "yes", SERVCONF_TUN_YES },
	{ "point-to-point", SERVCONF_TUN_POINTOPOINT },
	{ "ethernet", SERVCONF_TUN_ETHERNET }, { "no", SERVCONF_TUN_NO },
	{ NULL, 0 } };
static const struct nameval t_loglevel[] = { { "QUIET", QSSH_LOG_QUIET },
	{ "FATAL", QSSH_LOG_FATAL }, { "ERROR", QSSH_LOG_ERROR },
	{ "INFO", QSSH_LOG_INFO }, { "VERBOSE", QSSH_LOG_VERBOSE },
	{ "DEBUG", QSSH_LOG_DEBUG1 }, { "DEBUG1", QSSH_LOG_DEBUG1 },
	{ "DEBUG2", QSSH_LOG_DEBUG2 }, { "DEBUG3", QSSH_LOG_DEBUG3 },
	{ NULL, 0 } };
static const struct nameval t_runtime[] = { { "auto", SERVCONF_RUNTIME_AUTO },
	{ "threads", SERVCONF_RUNTIME_THREADS },
	{ "dpdk", SERVCONF_RUNTIME_DPDK }, { NULL, 0 } };
static const struct nameval t_wmode[] = { { "auto", SERVCONF_WMODE_AUTO },
	{ "inline", SERVCONF_WMODE_INLINE },
	{ "offload", SERVCONF_WMODE_OFFLOAD }, { NULL, 0 } };
static const struct nameval t_facility[] = { { "DAEMON", QSSH_LOG_FAC_DAEMON },
	{ "USER", QSSH_LOG_FAC_USER }, { "AUTH", QSSH_LOG_FAC_AUTH },
	{ "AUTHPRIV", QSSH_LOG_FAC_AUTHPRIV },
	{ "LOCAL0", QSSH_LOG_FAC_LOCAL0 }, { "LOCAL1", QSSH_LOG_FAC_LOCAL1 },
	{ "LOCAL2", QSSH_LOG_FAC_LOCAL2 }, { "LOCAL3", QSSH_LOG_FAC_LOCAL3 },
	{ "LOCAL4", QSSH_LOG_FAC_LOCAL4 }, { "LOCAL5", QSSH_LOG_FAC_LOCAL5 },
	{ "LOCAL6", QSSH_LOG_FAC_LOCAL6 }, { "LOCAL7", QSSH_LOG_FAC_LOCAL7 },
	{ NULL, 0 } };

struct keyword {
	const char *name;
	enum kwtype type;
	bool match; /* allowed inside Match */
	bool alias; /* shares the field of an earlier entry */
	size_t off;
	const void *aux;
	int aux2;
};

#define F(m) offsetof(struct servconf, m)
#define KW(n, t, m, f, a, a2)               \
	{                                   \
		n, t, m, false, F(f), a, a2 \
	}
#define AL(n, t, m, f, a, a2)              \
	{                                  \
		n, t, m, true, F(f), a, a2 \
	}
#define KX(n, t)                              \
	{                                     \
		n, t, false, true, 0, NULL, 0 \
	}

static const struct keyword keywords[] = {
	KW("Port", K_PORT, false, ports, NULL, 0),
	KW("ListenAddress", K_LISTEN, false, listen, NULL, 0),
	KW("AddressFamily", K_FLAG, false, address_family, t_family, 0),
	KW("HostKey", K_PATHLIST, false, host_keys, NULL, 0),
	KW("HostCertificate", K_PATHLIST, false, host_certs, NULL, 0),
	KW("HostKeyAlgorithms", K_ALGS, false, host_key_algorithms, NULL,
	    SERVCONF_ALG_SIG),
	KW("KexAlgorithms", K_ALGS, false, kex_algorithms, NULL,
	    SERVCONF_ALG_KEX),
	KW("Ciphers", K_ALGS, false, ciphers, NULL, SERVCONF_ALG_CIPHER),
	KW("MACs", K_ALGS, false, macs, NULL, SERVCONF_ALG_MAC),
	KW("Compression", K_FLAG, false, compression, t_compression, 0),
	KW("LoginGraceTime", K_TIME, false, login_grace_time, NULL, 0),
	KW("MaxStartups", K_MAXSTARTUPS, false, max_startups, NULL, 0),
	KW("PerSourceMaxStartups", K_PSMAXSTARTUPS, false,
	    per_source_max_startups, NULL, 0),
	KW("PerSourceNetBlockSize", K_PSNETBLOCK, false,
	    per_source_masklen_ipv4, NULL, 0),
	KW("UsePAM", K_FLAG, false, use_pam, t_flag, 0),
	KW("PrintMotd", K_FLAG, false, print_motd, t_flag, 0),
	KW("PrintLastLog", K_FLAG, false, print_lastlog, t_flag, 0),
	KW("PermitUserEnvironment", K_USERENV, false, permit_user_env, NULL, 0),
	KW("Subsystem", K_SUBSYSTEM, false, subsystems, NULL, 0),
	KW("TCPKeepAlive", K_FLAG, false, tcp_keep_alive, t_flag, 0),
	AL("KeepAlive", K_FLAG, false, tcp_keep_alive, t_flag, 0),
	KW("UseDNS", K_FLAG, false, use_dns, t_flag, 0),
	KW("StrictModes", K_FLAG, false, strict_modes, t_flag, 0),
	KW("SyslogFacility", K_FACILITY, false, syslog_facility, NULL, 0),
	KW("PidFile", K_STR, false, pid_file, NULL, 0),
	KW("VersionAddendum", K_STRREST, false, version_addendum, NULL, 0),
	KW("IgnoreUserKnownHosts", K_FLAG, false, ignore_user_known_hosts,
	    t_flag, 0),
	KW("ModuliFile", K_STR, false, moduli_file, NULL, 0),
	KW("XAuthLocation", K_STR, false, xauth_location, NULL, 0),
	KW("CryptoBackend", K_CRYBACKEND, false, crypto_backend, NULL, 0),
	KW("CryptoWorkers", K_CRYWORKERS, false, crypto_workers, NULL, 0),
	KW("CryptoCores", K_CRYCORES, false, crypto_cores, NULL, 0),
	KW("CryptoRuntime", K_CRYCHOICE, false, crypto_runtime, t_runtime, 0),
	KW("CryptoEALArgs", K_CRYEAL, false, crypto_eal_args, NULL, 0),
	KW("CryptoWorkerMode", K_CRYCHOICE, false, crypto_worker_mode, t_wmode,
	    0),
	KW("ChannelWindow", K_CHANWIN, false, channel_window, NULL, 0),
	KW("ChannelWindowMax", K_CHANWIN, false, channel_window_max, NULL, 0),

	KW("RekeyLimit", K_REKEY, true, rekey_limit, NULL, 0),
	KW("MaxAuthTries", K_INT, true, max_authtries, NULL, 0),
	KW("MaxSessions", K_INT, true, max_sessions, NULL, 0),
	KW("PermitRootLogin", K_FLAG, true, permit_root_login, t_root, 0),
	KW("PubkeyAuthentication", K_FLAG, true, pubkey_authentication, t_flag,
	    0),
	AL("DSAAuthentication", K_FLAG, true, pubkey_authentication, t_flag, 0),
	KW("PubkeyAcceptedAlgorithms", K_ALGS, true, pubkey_accepted_algorithms,
	    NULL, SERVCONF_ALG_SIG),
	AL("PubkeyAcceptedKeyTypes", K_ALGS, true, pubkey_accepted_algorithms,
	    NULL, SERVCONF_ALG_SIG),
	KW("HostbasedAcceptedAlgorithms", K_ALGS, true,
	    hostbased_accepted_algorithms, NULL, SERVCONF_ALG_SIG),
	AL("HostbasedAcceptedKeyTypes", K_ALGS, true,
	    hostbased_accepted_algorithms, NULL, SERVCONF_ALG_SIG),
	KW("CASignatureAlgorithms", K_ALGS, true, ca_sign_algorithms, NULL,
	    SERVCONF_ALG_CASIG),
	KW("AuthorizedKeysFile", K_LISTONCE, true, authorized_keys_files, NULL,
	    LC_NONE),
	AL("AuthorizedKeysFile2", K_LISTONCE, true, authorized_keys_files, NULL,
	    LC_NONE),
	KW("AuthorizedKeysCommand", K_STRREST, true, authorized_keys_command,
	    NULL, 0),
	KW("AuthorizedKeysCommandUser", K_STR, true,
	    authorized_keys_command_user, NULL, 0),
	KW("AuthorizedPrincipalsFile", K_STR, true, authorized_principals_file,
	    NULL, 0),
	KW("AuthorizedPrincipalsCommand", K_STRREST, true,
	    authorized_principals_command, NULL, 0),
	KW("AuthorizedPrincipalsCommandUser", K_STR, true,
	    authorized_principals_command_user, NULL, 0),
	KW("TrustedUserCAKeys", K_STR, true, trusted_user_ca_keys, NULL, 0),
	KW("RevokedKeys", K_STR, true, revoked_keys, NULL, 0),
	KW("PasswordAuthentication", K_FLAG, true, password_authentication,
	    t_flag, 0),
	KW("KbdInteractiveAuthentication", K_FLAG, true,
	    kbd_interactive_authentication, t_flag, 0),
	AL("ChallengeResponseAuthentication", K_FLAG, true,
	    kbd_interactive_authentication, t_flag, 0),
	AL("SkeyAuthentication", K_FLAG, true, kbd_interactive_authentication,
	    t_flag, 0),
	KW("PermitEmptyPasswords", K_FLAG, true, permit_empty_passwd, t_flag,
	    0),
	KW("AuthenticationMethods", K_LISTONCE, true, auth_methods, NULL,
	    LC_AUTHMETHODS),
	KW("AllowUsers", K_LIST, true, allow_users, NULL, LC_USERS),
	KW("DenyUsers", K_LIST, true, deny_users, NULL, LC_USERS),
	KW("AllowGroups", K_LIST, true, allow_groups, NULL, LC_NONE),
	KW("DenyGroups", K_LIST, true, deny_groups, NULL, LC_NONE),
	KW("Banner", K_STR, true, banner, NULL, 0),
	KW("AcceptEnv", K_LIST, true, accept_env, NULL, LC_ACCEPTENV),
	KW("SetEnv", K_LISTONCE, true, set_env, NULL, LC_SETENV),
	KW("ForceCommand", K_STRREST, true, force_command, NULL, 0),
	KW("ChrootDirectory", K_STR, true, chroot_directory, NULL, 0),
	KW("PermitTTY", K_FLAG, true, permit_tty, t_flag, 0),
	KW("PermitUserRC", K_FLAG, true, permit_user_rc, t_flag, 0),
	KW("ClientAliveInterval", K_TIME, true, client_alive_interval, NULL, 0),
	KW("ClientAliveCountMax", K_INT, true, client_alive_count_max, NULL, 0),
	KW("LogLevel", K_LOGLEVEL, true, log_level, NULL, 0),
	KW("X11Forwarding", K_FLAG, true, x11_forwarding, t_flag, 0),
	KW("X11DisplayOffset", K_INT, true, x11_display_offset, NULL, 0),
	KW("X11UseLocalhost", K_FLAG, true, x11_use_localhost, t_flag, 0),
	KW("AllowTcpForwarding", K_FLAG, true, allow_tcp_forwarding, t_fwd, 0),
	KW("AllowStreamLocalForwarding", K_FLAG, true,
	    allow_streamlocal_forwarding, t_fwd, 0),
	KW("AllowAgentForwarding", K_FLAG, true, allow_agent_forwarding, t_flag,
	    0),
	KW("DisableForwarding", K_FLAG, true, disable_forwarding, t_flag, 0),
	KW("GatewayPorts", K_FLAG, true, gateway_ports, t_gateway, 0),
	KW("PermitOpen", K_LISTONCE, true, permit_open, NULL, LC_PERMITOPEN),
	KW("PermitListen", K_LISTONCE, true, permit_listen, NULL,
	    LC_PERMITLISTEN),
	KW("PermitTunnel", K_TUNNEL, true, permit_tunnel, t_tunnel, 0),
	KW("IgnoreRhosts", K_FLAG, true, ignore_rhosts, t_flag, 0),
	KW("HostbasedAuthentication", K_FLAG, true, hostbased_authentication,
	    t_flag, 0),
	KW("HostbasedUsesNameFromPacketOnly", K_FLAG, true,
	    hostbased_uses_name_from_packet_only, t_flag, 0),
	KW("ExposeAuthInfo", K_FLAG, true, expose_auth_info, t_flag, 0),
	KW("RequiredRSASize", K_INT, true, required_rsa_size, NULL, 0),
	AL("RequiredRSASize", K_INT, true, required_rsa_size, NULL, 0),

	{ "Include", K_INCLUDE, true, true, 0, NULL, 0 },
	{ "Match", K_MATCH, true, true, 0, NULL, 0 },
	KX("Protocol", K_IGNORE),
	KX("UsePrivilegeSeparation", K_DEPRECATED),
	KX("UseLogin", K_DEPRECATED),
	KX("RSAAuthentication", K_DEPRECATED),
	KX("RhostsRSAAuthentication", K_DEPRECATED),
	KX("ServerKeyBits", K_DEPRECATED),
	KX("KeyRegenerationInterval", K_DEPRECATED),
	KX("VerifyReverseMapping", K_DEPRECATED),
	KX("ReverseMappingCheck", K_DEPRECATED),
	KX("PAMAuthenticationViaKbdInt", K_DEPRECATED),
	KX("PermitBlacklistedKeys", K_DEPRECATED),
	KX("RhostsAuthentication", K_DEPRECATED),
	/* Known to OpenSSH, not provided by qsshd: logged and ignored. */
	KX("AFSTokenPassing", K_UNSUPPORTED),
	KX("KerberosTgtPassing", K_UNSUPPORTED),
	KX("KerberosAuthentication", K_UNSUPPORTED),
	KX("KerberosOrLocalPasswd", K_UNSUPPORTED),
	KX("KerberosTicketCleanup", K_UNSUPPORTED),
	KX("KerberosGetAFSToken", K_UNSUPPORTED),
	KX("GSSAPIAuthentication", K_UNSUPPORTED),
	KX("GSSAPICleanupCredentials", K_UNSUPPORTED),
	KX("GSSAPIStrictAcceptorCheck", K_UNSUPPORTED),
	KX("GSSAPIKeyExchange", K_UNSUPPORTED),
	KX("GSSAPIStoreCredentialsOnRekey", K_UNSUPPORTED),
	KX("GSSAPIKexAlgorithms", K_UNSUPPORTED),
	KX("IPQoS", K_UNSUPPORTED),
	KX("ChannelTimeout", K_UNSUPPORTED),
	KX("UnusedConnectionTimeout", K_UNSUPPORTED),
	KX("StreamLocalBindMask", K_UNSUPPORTED),
	KX("StreamLocalBindUnlink", K_UNSUPPORTED),
	KX("PubkeyAuthOptions", K_UNSUPPORTED),
	KX("FingerprintHash", K_UNSUPPORTED),
	KX("SecurityKeyProvider", K_UNSUPPORTED),
	KX("HostKeyAgent", K_UNSUPPORTED),
	KX("RDomain", K_UNSUPPORTED),
	KX("DebianBanner", K_UNSUPPORTED),
	{ NULL, K_IGNORE, false, false, 0, NULL, 0 },
};

struct line {
	char *text;
	char *file;
	int linenum;
	int ctx; /* Match block index, -1 for the global section */
	bool cmdline;
};

struct matchblock {
	char **argv;
	size_t argc;
	bool all;
};

struct servconf_priv {
	struct line *lines;
	size_t num_lines;
	struct matchblock *matches;
	size_t num_matches;
	char *err;
};

enum mode {
	MODE_READ, /* first pass over a file: record and check */
	MODE_GLOBAL, /* rebuild of the global values */
	MODE_MATCH, /* values of matching Match blocks */
};

struct pstate {
	struct servconf *v; /* values being filled */
	struct servconf_priv *priv; /* lines, matches, errors */
	enum mode mode;
	const struct servconf_conn *ci;
	const char *basedir;
	bool allow_include;
	int bad; /* "bad configuration options" count */
	int depth;
};

/* ---- small helpers ---- */

static void perr(struct servconf_priv *priv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
perr(struct servconf_priv *priv, const char *fmt, ...)
{
	char *msg = NULL, *n = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	if (priv->err == NULL || *priv->err == '\0') {
		free(priv->err);
		priv->err = msg;
		return;
	}
	if (asprintf(&n, "%s\n%s", priv->err, msg) >= 0) {
		free(priv->err);
		priv->err = n;
	}
	free(msg);
}

static void
strlist_free(struct servconf_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
strlist_add(struct servconf_strlist *l, const char *s)
{
	char **nv, *d;

	if (l->n >= 1024 * 1024)
		return QSSH_ERR_NO_BUFFER_SPACE;
	if ((d = strdup(s)) == NULL)
		return QSSH_ERR_ALLOC;
	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL) {
		free(d);
		return QSSH_ERR_ALLOC;
	}
	l->v = nv;
	l->v[l->n++] = d;
	return 0;
}

bool
servconf_str_set(const char *s)
{
	return s != NULL && strcasecmp(s, "none") != 0;
}

static int
lookup_nv(const struct nameval *t, const char *s, int *out)
{
	for (; t->name != NULL; t++) {
		if (strcasecmp(t->name, s) == 0) {
			*out = t->val;
			return 0;
		}
	}
	return -1;
}

static const char *
name_nv(const struct nameval *t, int v)
{
	for (; t->name != NULL; t++) {
		if (t->val == v)
			return t->name;
	}
	return "UNKNOWN";
}

static const struct keyword *
kw_lookup(const char *name)
{
	const struct keyword *k;

	for (k = keywords; k->name != NULL; k++) {
		if (strcasecmp(k->name, name) == 0)
			return k;
	}
	return NULL;
}

static int *
f_int(struct servconf *v, const struct keyword *k)
{
	return (int *)(void *)((char *)v + k->off);
}

static char **
f_str(struct servconf *v, const struct keyword *k)
{
	return (char **)(void *)((char *)v + k->off);
}

static struct servconf_strlist *
f_list(struct servconf *v, const struct keyword *k)
{
	return (struct servconf_strlist *)(void *)((char *)v + k->off);
}

/* ---- value conversions ---- */

int
servconf_parse_time(const char *s, int *out)
{
	long long total = 0, n, mult;
	const char *p = s;
	char *end;

	if (s == NULL || *s == '\0')
		return QSSH_ERR_INVALID_FORMAT;
	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			return QSSH_ERR_INVALID_FORMAT;
		errno = 0;
		n = strtoll(p, &end, 10);
		if (errno != 0 || n < 0 || n > INT_MAX)
			return QSSH_ERR_INVALID_FORMAT;
		switch (*end) {
		case '\0':
			mult = 1;
			break;
		case 's':
		case 'S':
			mult = 1;
			end++;
			break;
		case 'm':
		case 'M':
			mult = 60;
			end++;
			break;
		case 'h':
		case 'H':
			mult = 3600;
			end++;
			break;
		case 'd':
		case 'D':
			mult = 86400;
			end++;
			break;
		case 'w':
		case 'W':
			mult = 604800;
			end++;
			break;
		default:
			return QSSH_ERR_INVALID_FORMAT;
		}
		if (n > (INT_MAX - total) / mult)
			return QSSH_ERR_INVALID_FORMAT;
		total += n * mult;
		p = end;
	}
	*out = (int)total;
	return 0;
}

/* strtonum(3)-like: NULL on success, else "invalid"/"too small"/... */
static const char *
parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (end == s || *end != '\0')
		return "invalid";
	if ((errno == ERANGE && n == LLONG_MIN) || n < lo)
		return "too small";
	if ((errno == ERANGE && n == LLONG_MAX) || n > hi)
		return "too large";
	*out = n;
	return NULL;
}

/*
 * CryptoBackend / CryptoCores value check: NULL when valid, else the
 * reason for the message.
 */
static const char *
crypto_value_check(enum kwtype type, const char *s)
{
	uint32_t cores[WRK_CORES_MAX], num = 0;

	if (type == K_CRYBACKEND) {
		if (strcmp(s, "auto") == 0 ||
		    cryp_backend_from_name(s, NULL) == 0)
			return NULL;
		return "auto, openssl, ipsec-mb or cryptodev";
	}
	if (strcmp(s, "any") == 0)
		return NULL;
	if (wrk_cores_parse(s, cores, WRK_CORES_MAX, &num) != 0 || num == 0)
		return "any, or core numbers and ranges such as 0-1,3";
	return NULL;
}

/* "a, b or c" from the names of a value table. */
static void
choices_text(const struct nameval *t, char *buf, size_t size)
{
	size_t len = 0;
	int w;

	buf[0] = '\0';
	for (; t->name != NULL && len < size; t++) {
		w = snprintf(buf + len, size - len, "%s%s",
		    len == 0 ? "" : (t[1].name == NULL ? " or " : ", "),
		    t->name);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

static int
parse_port(const char *s)
{
	long long n;

	if (parse_int(s, 1, 65535, &n) != NULL)
		return -1;
	return (int)n;
}

/* Size with an optional B/K/M/G/T/P/E suffix; errno-style result. */
static int
parse_scaled(const char *s, long long *out)
{
	char *end;
	long long n;
	int shift = 0;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (end == s)
		return EINVAL;
	if (errno == ERANGE)
		return ERANGE;
	if (*end != '\0') {
		switch (*end) {
		case 'b':
		case 'B':
			shift = 0;
			break;
		case 'k':
		case 'K':
			shift = 10;
			break;
		case 'm':
		case 'M':
			shift = 20;
			break;
		case 'g':
		case 'G':
			shift = 30;
			break;
		case 't':
		case 'T':
			shift = 40;
			break;
		case 'p':
		case 'P':
			shift = 50;
			break;
		case 'e':
		case 'E':
			shift = 60;
			break;
		default:
			return EINVAL;
		}
		if (end[1] != '\0')
			return EINVAL;
	}
	if (n > (LLONG_MAX >> shift) || n < (LLONG_MIN >> shift))
		return ERANGE;
	*out = n * (1LL << shift);
	return 0;
}

/* ---- tokenizer ---- */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One word at *pp, unquoted in place; false on unbalanced quotes. */
static bool
read_word(char **pp, bool stop_at_eq)
{
	char *p = *pp, *o = *pp, q;

	while (*p != '\0' && !is_space(*p) && !(stop_at_eq && *p == '=')) {
		if (*p == '"' || *p == '\'') {
			q = *p++;
			while (*p != '\0' && *p != q) {
				if (*p == '\\' && (p[1] == q || p[1] == '\\'))
					p++;
				*o++ = *p++;
			}
			if (*p != q)
				return false;
			p++;
			continue;
		}
		*o++ = *p++;
	}
	/* o <= p: terminate the word and step over its separator */
	if (*p != '\0') {
		*o = '\0';
		p++;
	} else {
		*o = '\0';
	}
	*pp = p;
	return true;
}

/*
 * Split a line into words: whitespace separates them, double or single
 * quotes group, an unquoted word starting with '#' ends the line.  The
 * first word also ends at '=' and one '=' may follow it.  Returns the
 * number of words, 0 for an empty line, -1 for unbalanced quotes or too
 * many words.
 */
static int
tokenize(char *buf, char **argv, int max)
{
	char *p = buf;
	int argc = 0;

	for (;;) {
		while (is_space(*p))
			p++;
		if (argc == 1 && *p == '=') {
			p++;
			while (is_space(*p))
				p++;
		}
		if (*p == '\0' || *p == '#')
			break;
		if (argc >= max)
			return -1;
		argv[argc] = p;
		if (!read_word(&p, argc == 0))
			return -1;
		argc++;
	}
	return argc;
}

/* ---- values ---- */

static void
values_unset(struct servconf *v)
{
	const struct keyword *k;
	size_t i;

	memset(v, 0, offsetof(struct servconf, priv));
	for (k = keywords; k->name != NULL; k++) {
		if (k->alias)
			continue;
		switch (k->type) {
		case K_FLAG:
		case K_INT:
		case K_TIME:
		case K_LOGLEVEL:
		case K_FACILITY:
		case K_TUNNEL:
		case K_USERENV:
		case K_CRYCHOICE:
		case K_CHANWIN:
			*f_int(v, k) = -1;
			break;
		default:
			break;
		}
	}
	for (i = 0; i < SERVCONF_CRYPTO_POOLS; i++)
		v->crypto_workers[i] = -1;
	v->max_startups_begin = v->max_startups_rate = v->max_startups = -1;
	v->per_source_max_startups = -1;
	v->per_source_masklen_ipv4 = v->per_source_masklen_ipv6 = -1;
	v->rekey_limit = -1;
	v->rekey_interval = -1;
}

static void
values_free(struct servconf *v)
{
	const struct keyword *k;
	size_t i;

	for (k = keywords; k->name != NULL; k++) {
		if (k->alias)
			continue;
		switch (k->type) {
		case K_STR:
		case K_STRREST:
		case K_ALGS:
		case K_CRYBACKEND:
		case K_CRYCORES:
		case K_CRYEAL:
			free(*f_str(v, k));
			*f_str(v, k) = NULL;
			break;
		case K_LIST:
		case K_LISTONCE:
		case K_PATHLIST:
			strlist_free(f_list(v, k));
			break;
		default:
			break;
		}
	}
	free(v->ports);
	for (i = 0; i < v->num_listen; i++) {
		free(v->listen[i].host);
		free(v->listen[i].rdomain);
	}
	free(v->listen);
	for (i = 0; i < v->num_subsystems; i++) {
		free(v->subsystems[i].name);
		free(v->subsystems[i].command);
	}
	free(v->subsystems);
	free(v->permit_user_env_allowlist);
	values_unset(v);
}

#define DEF_INT(f, d)               \
	do {                        \
		if (v->f == -1)     \
			v->f = (d); \
	} while (0)
#define DEF_STR(f, d)                                           \
	do {                                                    \
		if (v->f == NULL && (v->f = strdup(d)) == NULL) \
			return QSSH_ERR_ALLOC;                  \
	} while (0)

static int
values_defaults(struct servconf *v)
{
	size_t i;
	int r;

	if (v->num_ports == 0) {
		if ((v->ports = malloc(sizeof(*v->ports))) == NULL)
			return QSSH_ERR_ALLOC;
		v->ports[0] = 22;
		v->num_ports = 1;
	}
	DEF_INT(address_family, SERVCONF_AF_ANY);
	DEF_INT(compression, 1);
	DEF_INT(login_grace_time, 120);
	if (v->max_startups == -1)
		v->max_startups = 100;
	DEF_INT(max_startups_rate, 30);
	DEF_INT(max_startups_begin, 10);
	DEF_INT(per_source_max_startups, 0);
	DEF_INT(per_source_masklen_ipv4, 32);
	DEF_INT(per_source_masklen_ipv6, 128);
	DEF_INT(use_pam, 0);
	DEF_INT(print_motd, 1);
	DEF_INT(print_lastlog, 1);
	DEF_INT(permit_user_env, 0);
	DEF_INT(tcp_keep_alive, 1);
	DEF_INT(use_dns, 0);
	DEF_INT(strict_modes, 1);
	DEF_INT(syslog_facility, QSSH_LOG_FAC_AUTH);
	DEF_STR(pid_file, "/run/sshd.pid");
	DEF_INT(ignore_user_known_hosts, 0);
	DEF_STR(moduli_file, "/etc/ssh/moduli");
	DEF_STR(xauth_location, "/usr/bin/xauth");
	DEF_STR(crypto_backend, "auto");
	if (v->crypto_workers[0] == -1) {
		for (i = 0; i < SERVCONF_CRYPTO_POOLS; i++)
			v->crypto_workers[i] = SERVCONF_CRYPTO_WORKERS_AUTO;
	}
	DEF_STR(crypto_cores, "any");
	DEF_INT(crypto_runtime, SERVCONF_RUNTIME_AUTO);
	DEF_INT(crypto_worker_mode, SERVCONF_WMODE_AUTO);
	DEF_INT(channel_window_max, SERVCONF_CHANNEL_WINDOW_MAX);
	DEF_INT(channel_window, SERVCONF_CHANNEL_WINDOW_DEFAULT);
	/* The window starts at most at the cap of its growth. */
	if (v->channel_window > v->channel_window_max)
		v->channel_window = v->channel_window_max;
	if (v->rekey_limit == -1)
		v->rekey_limit = 0;
	DEF_INT(rekey_interval, 0);
	DEF_INT(max_authtries, 6);
	DEF_INT(max_sessions, 10);
	DEF_INT(permit_root_login, SERVCONF_ROOT_NO_PASSWORD);
	DEF_INT(pubkey_authentication, 1);
	if (v->authorized_keys_files.n == 0 &&
	    ((r = strlist_add(
		  &v->authorized_keys_files, ".ssh/authorized_keys")) != 0 ||
		(r = strlist_add(
		     &v->authorized_keys_files, ".ssh/authorized_keys2")) != 0))
		return r;
	DEF_INT(password_authentication, 1);
	DEF_INT(kbd_interactive_authentication, 1);
	DEF_INT(permit_empty_passwd, 0);
	DEF_INT(permit_tty, 1);
	DEF_INT(permit_user_rc, 1);
	DEF_INT(client_alive_interval, 0);
	DEF_INT(client_alive_count_max, 3);
	DEF_INT(log_level, QSSH_LOG_INFO);
	DEF_INT(x11_forwarding, 0);
	DEF_INT(x11_display_offset, 10);
	DEF_INT(x11_use_localhost, 1);
	DEF_INT(allow_tcp_forwarding, SERVCONF_FWD_YES);
	DEF_INT(allow_streamlocal_forwarding, SERVCONF_FWD_YES);
	DEF_INT(allow_agent_forwarding, 1);
	DEF_INT(disable_forwarding, 0);
	DEF_INT(gateway_ports, SERVCONF_GW_NO);
	DEF_INT(permit_tunnel, SERVCONF_TUN_NO);
	DEF_INT(ignore_rhosts, 1);
	DEF_INT(hostbased_authentication, 0);
	DEF_INT(hostbased_uses_name_from_packet_only, 0);
	DEF_INT(expose_auth_info, 0);
	DEF_INT(required_rsa_size, 1024);
	return 0;
}

/*
 * Move the values src set (matchable keywords only) onto dst.  Lists
 * replace the list of dst, as sshd does.
 */
static void
values_overlay(struct servconf *dst, struct servconf *src)
{
	const struct keyword *k;

	for (k = keywords; k->name != NULL; k++) {
		if (k->alias || !k->match)
			continue;
		switch (k->type) {
		case K_FLAG:
		case K_INT:
		case K_TIME:
		case K_LOGLEVEL:
		case K_TUNNEL:
			if (*f_int(src, k) != -1)
				*f_int(dst, k) = *f_int(src, k);
			break;
		case K_STR:
		case K_STRREST:
		case K_ALGS:
			if (*f_str(src, k) != NULL) {
				free(*f_str(dst, k));
				*f_str(dst, k) = *f_str(src, k);
				*f_str(src, k) = NULL;
			}
			break;
		case K_LIST:
		case K_LISTONCE:
			if (f_list(src, k)->n != 0) {
				strlist_free(f_list(dst, k));
				*f_list(dst, k) = *f_list(src, k);
				f_list(src, k)->v = NULL;
				f_list(src, k)->n = 0;
			}
			break;
		case K_REKEY:
			if (src->rekey_limit != -1)
				dst->rekey_limit = src->rekey_limit;
			if (src->rekey_interval != -1)
				dst->rekey_interval = src->rekey_interval;
			break;
		default:
			break;
		}
	}
}

/* ---- Match ---- */

static bool
conn_in_group(const struct servconf_conn *ci, const char *list)
{
	struct passwd *pw;
	gid_t *gids = NULL;
	struct group *gr;
	int ngroups = 64, i;
	size_t j;
	bool found = false;

	if (ci->user == NULL)
		return false;
	if (ci->groups != NULL) {
		for (j = 0; j < ci->num_groups; j++) {
			if (ci->groups[j] != NULL &&
			    match_pattern_list(ci->groups[j], list, false) == 1)
				return true;
		}
		return false;
	}
	if ((pw = getpwnam(ci->user)) == NULL)
		return false;
	for (;;) {
		gid_t *n = realloc(gids, (size_t)ngroups * sizeof(*gids));
		int want = ngroups;

		if (n == NULL)
			goto out;
		gids = n;
		if (getgrouplist(ci->user, pw->pw_gid, gids, &want) != -1) {
			ngroups = want;
			break;
		}
		if (want <= ngroups || want > 65536)
			goto out;
		ngroups = want;
	}
	for (i = 0; i < ngroups && !found; i++) {
		if ((gr = getgrgid(gids[i])) != NULL &&
		    match_pattern_list(gr->gr_name, list, false) == 1)
			found = true;
	}
out:
	free(gids);
	return found;
}

/*
 * Check a Match line (ci NULL, errors reported) or evaluate it for ci.
 * Returns 1 match, 0 no match, -1 bad line.
 */
static int
match_eval(struct pstate *st, char **argv, size_t argc,
    const struct servconf_conn *ci, const char *file, int linenum)
{
	size_t i;
	int result = 1, r;
	bool all = false;
	const char *attr, *arg;
	long long n;

	for (i = 0; i < argc; i++) {
		attr = argv[i];
		if (strcasecmp(attr, "all") == 0) {
			if (argc != 1) {
				perr(st->priv,
				    "'all' cannot be combined "
				    "with other Match attributes");
				goto bad;
			}
			all = true;
			continue;
		}
		if (i + 1 >= argc || argv[i + 1][0] == '\0') {
			if (strcasecmp(attr, "user") != 0 &&
			    strcasecmp(attr, "group") != 0 &&
			    strcasecmp(attr, "host") != 0 &&
			    strcasecmp(attr, "address") != 0 &&
			    strcasecmp(attr, "localaddress") != 0 &&
			    strcasecmp(attr, "localport") != 0 &&
			    strcasecmp(attr, "rdomain") != 0) {
				perr(st->priv, "Unsupported Match attribute %s",
				    attr);
				goto bad;
			}
			perr(st->priv, "Missing Match criteria for %s", attr);
			goto bad;
		}
		arg = argv[++i];
		if (strcasecmp(attr, "user") == 0) {
			if (ci == NULL || ci->user == NULL ||
			    match_pattern_list(ci->user, arg, false) != 1)
				result = 0;
		} else if (strcasecmp(attr, "group") == 0) {
			if (ci == NULL || !conn_in_group(ci, arg))
				result = 0;
		} else if (strcasecmp(attr, "host") == 0) {
			if (ci == NULL || ci->host == NULL ||
			    match_hostname(ci->host, arg) != 1)
				result = 0;
		} else if (strcasecmp(attr, "address") == 0 ||
		    strcasecmp(attr, "localaddress") == 0) {
			bool local = attr[0] == 'l' || attr[0] == 'L';
			const char *a =
			    ci == NULL ? NULL : (local ? ci->laddr : ci->addr);

			r = match_addr_list(a, arg);
			if (r == -2) {
				perr(st->priv,
				    "Invalid Match %s argument "
				    "'%s' at line %d",
				    local ? "localaddress" : "address", arg,
				    linenum);
				return -1;
			}
			if (r != 1)
				result = 0;
		} else if (strcasecmp(attr, "localport") == 0) {
			if (parse_int(arg, 1, 65535, &n) != NULL) {
				perr(st->priv,
				    "Invalid LocalPort '%s' on Match "
				    "line",
				    arg);
				goto bad;
			}
			if (ci == NULL || ci->lport != (int)n)
				result = 0;
		} else if (strcasecmp(attr, "rdomain") == 0) {
			/* Routing domains are not supported: never match. */
			result = 0;
		} else {
			perr(st->priv, "Unsupported Match attribute %s", attr);
			goto bad;
		}
	}
	if (ci == NULL && !all)
		result = 0;
	return result;
bad:
	perr(st->priv, "%s line %d: Bad Match condition", file, linenum);
	return -1;
}

/* ---- one line ---- */

static bool
users_pattern_valid(const char *arg)
{
	const char *at = strchr(arg, '@');

	if (*arg == '\0')
		return false;
	if (at != NULL && strchr(at + 1, '/') != NULL &&
	    match_addr_list(NULL, at + 1) == -2)
		return false;
	return true;
}

static bool
authmethod_valid(const char *list)
{
	static const char *const methods[] = { "publickey", "password",
		"keyboard-interactive", "hostbased", "gssapi-with-mic", NULL };
	const char *p = list, *e, *colon;
	size_t len, mlen, i;

	for (;;) {
		e = strchr(p, ',');
		len = e == NULL ? strlen(p) : (size_t)(e - p);
		colon = memchr(p, ':', len);
		mlen = colon == NULL ? len : (size_t)(colon - p);
		for (i = 0; methods[i] != NULL; i++) {
			if (strlen(methods[i]) == mlen &&
			    strncmp(methods[i], p, mlen) == 0)
				break;
		}
		if (methods[i] == NULL || (colon != NULL && i != 2)) {
			qlog_error("Unknown authentication method \"%.*s\" "
				   "in list",
			    (int)len, p);
			return false;
		}
		if (e == NULL)
			return true;
		p = e + 1;
	}
}

/* host:port as PermitOpen/PermitListen take it; port may be "*". */
static bool
hostport_valid(const char *arg)
{
	const char *c;

	if (arg[0] == '[') {
		if ((c = strchr(arg, ']')) == NULL || c[1] != ':')
			return false;
		c++;
	} else if ((c = strrchr(arg, ':')) == NULL || c == arg) {
		return false;
	}
	c++;
	return strcmp(c, "*") == 0 || parse_port(c) > 0;
}

static int
list_check(struct pstate *st, const struct keyword *k, const char *arg,
    const char *file, int linenum, size_t pos, size_t argc, size_t have)
{
	switch ((enum listcheck)k->aux2) {
	case LC_USERS:
		if (!users_pattern_valid(arg)) {
			perr(st->priv, "%s line %d: invalid %s pattern: \"%s\"",
			    file, linenum, k->name, arg);
			return QSSH_ERR_CONFIG;
		}
		break;
	case LC_ACCEPTENV:
		if (strchr(arg, '=') != NULL) {
			perr(st->priv, "%s line %d: Invalid environment name.",
			    file, linenum);
			return QSSH_ERR_CONFIG;
		}
		break;
	case LC_SETENV:
		if (strchr(arg, '=') == NULL) {
			perr(st->priv, "%s line %d: Invalid environment.", file,
			    linenum);
			return QSSH_ERR_CONFIG;
		}
		break;
	case LC_PERMITOPEN:
	case LC_PERMITLISTEN:
		if (strcasecmp(arg, "any") == 0 || strcasecmp(arg, "none") == 0)
			break;
		if (k->aux2 == LC_PERMITLISTEN && strchr(arg, ':') == NULL) {
			if (parse_port(arg) <= 0 && strcmp(arg, "*") != 0)
				goto badport;
			break;
		}
		if (!hostport_valid(arg))
			goto badport;
		break;
	case LC_AUTHMETHODS:
		if (strcmp(arg, "any") == 0) {
			if (pos != 0 || argc != 1 || have != 0) {
				perr(st->priv,
				    "%s line %d: \"any\" must appear "
				    "alone in AuthenticationMethods",
				    file, linenum);
				return QSSH_ERR_CONFIG;
			}
		} else if (!authmethod_valid(arg)) {
			perr(st->priv,
			    "%s line %d: invalid "
			    "AuthenticationMethods method list.",
			    file, linenum);
			return QSSH_ERR_CONFIG;
		}
		break;
	case LC_NONE:
		break;
	}
	return 0;
badport:
	perr(
	    st->priv, "%s line %d: %s bad port number", file, linenum, k->name);
	return QSSH_ERR_CONFIG;
}

static int
add_listen(struct servconf *v, const char *host, int port, const char *rd)
{
	struct servconf_listen *n;

	if (v->num_listen >= 4096)
		return QSSH_ERR_NO_BUFFER_SPACE;
	n = realloc(v->listen, (v->num_listen + 1) * sizeof(*n));
	if (n == NULL)
		return QSSH_ERR_ALLOC;
	v->listen = n;
	n = &v->listen[v->num_listen];
	n->host = strdup(host);
	n->rdomain = rd != NULL ? strdup(rd) : NULL;
	n->port = port;
	if (n->host == NULL || (rd != NULL && n->rdomain == NULL)) {
		free(n->host);
		free(n->rdomain);
		return QSSH_ERR_ALLOC;
	}
	v->num_listen++;
	return 0;
}

static int
do_listen(struct pstate *st, char **av, int ac, const char *file, int linenum,
    bool active)
{
	char host[1100], *c;
	const char *a = av[0], *rd = NULL;
	int port = 0;

	if (ac != 1 && (ac != 3 || strcmp(av[1], "rdomain") != 0)) {
		perr(st->priv, "%s line %d: bad ListenAddress syntax", file,
		    linenum);
		return QSSH_ERR_CONFIG;
	}
	if (ac == 3)
		rd = av[2];
	if (strlen(a) >= sizeof(host))
		goto badaddr;
	if (a[0] == '[') {
		snprintf(host, sizeof(host), "%s", a + 1);
		if ((c = strchr(host, ']')) == NULL)
			goto badaddr;
		*c++ = '\0';
		if (*c == ':') {
			if ((port = parse_port(c + 1)) <= 0)
				goto badport;
		} else if (*c != '\0') {
			goto badaddr;
		}
	} else {
		snprintf(host, sizeof(host), "%s", a);
		c = strchr(host, ':');
		if (c != NULL && strchr(c + 1, ':') == NULL) {
			*c++ = '\0';
			if ((port = parse_port(c)) <= 0)
				goto badport;
		}
	}
	if (host[0] == '\0')
		goto badaddr;
	if (!active)
		return 0;
	return add_listen(st->v, host, port, rd);
badport:
	perr(st->priv, "%s line %d: bad port number", file, linenum);
	return QSSH_ERR_CONFIG;
badaddr:
	perr(st->priv, "%s line %d: bad ListenAddress syntax", file, linenum);
	return QSSH_ERR_CONFIG;
}

static int do_include(struct pstate *st, char **av, int ac, const char *file,
    int linenum, int ctx);

/* Join words with single spaces (ForceCommand and friends). */
static char *
join_args(char **av, int ac)
{
	size_t len = 1;
	int i;
	char *s;

	for (i = 0; i < ac; i++)
		len += strlen(av[i]) + 1;
	if ((s = malloc(len)) == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < ac; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, av[i]);
	}
	return s;
}

static int
record_line(struct pstate *st, const char *text, const char *file, int linenum,
    int ctx, bool cmdline)
{
	struct servconf_priv *p = st->priv;
	struct line *n;

	if (p->num_lines >= 1024 * 1024)
		return QSSH_ERR_NO_BUFFER_SPACE;
	if ((n = realloc(p->lines, (p->num_lines + 1) * sizeof(*n))) == NULL)
		return QSSH_ERR_ALLOC;
	p->lines = n;
	n = &p->lines[p->num_lines];
	n->text = strdup(text);
	n->file = strdup(file);
	n->linenum = linenum;
	n->ctx = ctx;
	n->cmdline = cmdline;
	if (n->text == NULL || n->file == NULL) {
		free(n->text);
		free(n->file);
		return QSSH_ERR_ALLOC;
	}
	p->num_lines++;
	return 0;
}

static int
new_match(struct pstate *st, char **av, int ac)
{
	struct servconf_priv *p = st->priv;
	struct matchblock *n, *m;
	int i;

	if (p->num_matches >= 65536)
		return QSSH_ERR_NO_BUFFER_SPACE;
	n = realloc(p->matches, (p->num_matches + 1) * sizeof(*n));
	if (n == NULL)
		return QSSH_ERR_ALLOC;
	p->matches = n;
	m = &p->matches[p->num_matches];
	if ((m->argv = calloc((size_t)ac, sizeof(char *))) == NULL)
		return QSSH_ERR_ALLOC;
	m->argc = 0;
	m->all = ac == 1 && strcasecmp(av[0], "all") == 0;
	for (i = 0; i < ac; i++) {
		if ((m->argv[i] = strdup(av[i])) == NULL) {
			for (; i > 0; i--)
				free(m->argv[i - 1]);
			free(m->argv);
			return QSSH_ERR_ALLOC;
		}
	}
	m->argc = (size_t)ac;
	p->num_matches++;
	return 0;
}

static int
process_line(struct pstate *st, const char *text, const char *file, int linenum,
    int *ctx, bool cmdline, const int *mres)
{
	char *buf = NULL, *argv[MAX_ARGS], **av;
	const struct keyword *k;
	int argc, ac, r = 0, iv, i;
	bool active, first;
	long long n;
	const char *es;
	char *s;

	if ((buf = strdup(text)) == NULL)
		return QSSH_ERR_ALLOC;
	argc = tokenize(buf, argv, MAX_ARGS);
	if (argc < 0) {
		perr(st->priv, "%s line %d: invalid quotes", file, linenum);
		st->bad++;
		goto out;
	}
	if (argc == 0)
		goto out;
	av = argv + 1;
	ac = argc - 1;
	if ((k = kw_lookup(argv[0])) == NULL) {
		perr(st->priv, "%s: line %d: Bad configuration option: %s",
		    file, linenum, argv[0]);
		st->bad++;
		goto out;
	}
	if (st->mode == MODE_MATCH) {
		if (!k->match || k->type == K_MATCH || k->type == K_INCLUDE)
			goto out;
		active = *ctx >= 0 && mres[*ctx] == 1;
	} else {
		active = *ctx < 0 || st->priv->matches[*ctx].all;
	}
	if (st->mode == MODE_READ && !active && !k->match) {
		perr(st->priv,
		    "%s line %d: Directive '%s' is not allowed "
		    "within a Match block",
		    file, linenum, argv[0]);
		r = QSSH_ERR_CONFIG;
		goto out;
	}
	switch (k->type) {
	case K_IGNORE:
		goto record;
	case K_DEPRECATED:
		if (st->mode == MODE_READ)
			qlog_info("%s line %d: Deprecated option %s", file,
			    linenum, argv[0]);
		goto out;
	case K_UNSUPPORTED:
		if (st->mode == MODE_READ)
			qlog_info("%s line %d: Unsupported option %s", file,
			    linenum, argv[0]);
		goto out;
	default:
		break;
	}
	if (ac == 0) {
		perr(st->priv, "%s line %d: no argument after keyword \"%s\"",
		    file, linenum, argv[0]);
		st->bad++;
		goto out;
	}
	switch (k->type) {
	case K_FLAG:
	case K_TUNNEL:
		if (lookup_nv(k->aux, av[0], &iv) != 0) {
			if (k->type == K_TUNNEL)
				perr(st->priv,
				    "%s line %d: bad PermitTunnel "
				    "argument %s",
				    file, linenum, av[0]);
			else
				perr(st->priv,
				    "%s line %d: unsupported option "
				    "\"%s\".",
				    file, linenum, av[0]);
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (active && *f_int(st->v, k) == -1)
			*f_int(st->v, k) = iv;
		ac--;
		break;
	case K_LOGLEVEL:
	case K_FACILITY:
		if (lookup_nv(k->type == K_LOGLEVEL ? t_loglevel : t_facility,
			av[0], &iv) != 0) {
			perr(st->priv, "%s line %d: unsupported log %s '%s'",
			    file, linenum,
			    k->type == K_LOGLEVEL ? "level" : "facility",
			    av[0]);
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (active && *f_int(st->v, k) == -1)
			*f_int(st->v, k) = iv;
		ac--;
		break;
	case K_INT:
	case K_PSMAXSTARTUPS:
		if (k->type == K_PSMAXSTARTUPS &&
		    strcasecmp(av[0], "none") == 0) {
			n = 0;
		} else if ((es = parse_int(av[0], 0, INT_MAX, &n)) != NULL) {
			perr(st->priv, "%s line %d: %s integer value %s.", file,
			    linenum, k->name, es);
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (active && *f_int(st->v, k) == -1)
			*f_int(st->v, k) = (int)n;
		ac--;
		break;
	case K_CRYBACKEND:
	case K_CRYCORES:
		if ((es = crypto_value_check(k->type, av[0])) != NULL) {
			perr(st->priv,
			    "%s line %d: bad %s argument \"%s\" (%s).", file,
			    linenum, k->name, av[0], es);
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (active && *f_str(st->v, k) == NULL &&
		    (*f_str(st->v, k) = strdup(av[0])) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		ac--;
		break;
	case K_CRYWORKERS: {
		int w[SERVCONF_CRYPTO_POOLS];

		if (servconf_crypto_workers_parse(av[0], w, &es) != 0) {
			perr(st->priv,
			    "%s line %d: bad %s argument \"%s\" (%s).", file,
			    linenum, k->name, av[0], es);
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (active && st->v->crypto_workers[0] == -1)
			memcpy(st->v->crypto_workers, w, sizeof(w));
		ac--;
		break;
	}
	case K_CRYCHOICE:
		if (lookup_nv(k->aux, av[0], &iv) != 0) {
			char names[128];

			choices_text(k->aux, names, sizeof(names));
			perr(st->priv,
			    "%s line %d: bad %s argument \"%s\" (%s).", file,
			    linenum, k->name, av[0], names);
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (active && *f_int(st->v, k) == -1)
			*f_int(st->v, k) = iv;
		ac--;
		break;
	case K_CRYEAL: {
		char *eal;

		if ((eal = join_args(av, ac)) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		if ((es = servconf_crypto_eal_args_check(eal)) != NULL) {
			perr(st->priv,
			    "%s line %d: bad %s argument \"%s\" (%s).", file,
			    linenum, k->name, eal, es);
			free(eal);
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (active && *f_str(st->v, k) == NULL) {
			*f_str(st->v, k) = eal;
			eal = NULL;
		}
		free(eal);
		ac = 0;
		break;
	}
	case K_CHANWIN:
		if (parse_scaled(av[0], &n) != 0 ||
		    n < SERVCONF_CHANNEL_WINDOW_MIN ||
		    n > SERVCONF_CHANNEL_WINDOW_MAX) {
			perr(st->priv,
			    "%s line %d: bad %s argument \"%s\" (a size "
			    "from 64K to 64M, such as 16M).",
			    file, linenum, k->name, av[0]);
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (active && *f_int(st->v, k) == -1)
			*f_int(st->v, k) = (int)n;
		ac--;
		break;
	case K_TIME:
		if (servconf_parse_time(av[0], &iv) != 0) {
			perr(st->priv, "%s line %d: invalid time value.", file,
			    linenum);
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (active && *f_int(st->v, k) == -1)
			*f_int(st->v, k) = iv;
		ac--;
		break;
	case K_STR:
		if (active && *f_str(st->v, k) == NULL &&
		    (*f_str(st->v, k) = strdup(av[0])) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		ac--;
		break;
	case K_STRREST:
		if (active && *f_str(st->v, k) == NULL &&
		    (*f_str(st->v, k) = join_args(av, ac)) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		ac = 0;
		break;
	case K_ALGS: {
		const char *bad;
		size_t badlen;
		enum servconf_alg_class cls = (enum servconf_alg_class)k->aux2;

		if (!servconf_algs_spec_valid(cls, av[0], &bad, &badlen)) {
			if (cls == SERVCONF_ALG_KEX)
				qlog_error("Unsupported KEX algorithm \"%.*s\"",
				    (int)badlen, bad);
			if (cls == SERVCONF_ALG_CIPHER)
				perr(st->priv,
				    "%s line %d: Bad SSH2 cipher "
				    "spec '%s'.",
				    file, linenum, av[0]);
			else if (cls == SERVCONF_ALG_MAC)
				perr(st->priv,
				    "%s line %d: Bad SSH2 mac spec "
				    "'%s'.",
				    file, linenum, av[0]);
			else if (cls == SERVCONF_ALG_KEX)
				perr(st->priv,
				    "%s line %d: Bad SSH2 "
				    "KexAlgorithms '%s'.",
				    file, linenum, av[0]);
			else
				perr(st->priv,
				    "%s line %d: Bad key types "
				    "'%s'.",
				    file, linenum, av[0]);
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (active && *f_str(st->v, k) == NULL &&
		    (*f_str(st->v, k) = strdup(av[0])) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		ac--;
		break;
	}
	case K_LIST:
	case K_LISTONCE: {
		struct servconf_strlist *l = f_list(st->v, k);
		size_t have = l->n;
		bool take = active && (k->type == K_LIST || l->n == 0);

		if ((k->aux2 == LC_PERMITOPEN || k->aux2 == LC_PERMITLISTEN) &&
		    (strcasecmp(av[0], "any") == 0 ||
			strcasecmp(av[0], "none") == 0) &&
		    ac > 1) {
			perr(st->priv,
			    "%s line %d: keyword %s extra arguments "
			    "at end of line",
			    file, linenum, argv[0]);
			st->bad++;
			goto out;
		}
		for (i = 0; i < ac; i++) {
			if ((r = list_check(st, k, av[i], file, linenum,
				 (size_t)i, (size_t)ac, have)) != 0)
				goto out;
		}
		for (i = 0; take && i < ac; i++) {
			if (k->aux2 == LC_PERMITLISTEN &&
			    strchr(av[i], ':') == NULL &&
			    strcasecmp(av[i], "any") != 0 &&
			    strcasecmp(av[i], "none") != 0) {
				if (asprintf(&s, "*:%s", av[i]) < 0) {
					r = QSSH_ERR_ALLOC;
					goto out;
				}
				r = strlist_add(l, s);
				free(s);
			} else {
				r = strlist_add(l, av[i]);
			}
			if (r != 0)
				goto out;
		}
		ac = 0;
		break;
	}
	case K_PATHLIST:
		if (active && (r = strlist_add(f_list(st->v, k), av[0])) != 0)
			goto out;
		ac--;
		break;
	case K_PORT: {
		int port = parse_port(av[0]), *np;

		if (port <= 0) {
			perr(st->priv,
			    "%s line %d: Badly formatted port "
			    "number.",
			    file, linenum);
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (active) {
			if (st->v->num_ports >= 256) {
				perr(st->priv, "%s line %d: too many ports.",
				    file, linenum);
				r = QSSH_ERR_CONFIG;
				goto out;
			}
			np = realloc(
			    st->v->ports, (st->v->num_ports + 1) * sizeof(*np));
			if (np == NULL) {
				r = QSSH_ERR_ALLOC;
				goto out;
			}
			st->v->ports = np;
			np[st->v->num_ports++] = port;
		}
		ac--;
		break;
	}
	case K_LISTEN:
		if ((r = do_listen(st, av, ac, file, linenum, active)) != 0)
			goto out;
		ac = 0;
		break;
	case K_MAXSTARTUPS: {
		long long b, rt, f;
		char tmp[64], *c1, *c2;

		if (strlen(av[0]) >= sizeof(tmp))
			goto badms;
		snprintf(tmp, sizeof(tmp), "%s", av[0]);
		if ((c1 = strchr(tmp, ':')) != NULL) {
			*c1++ = '\0';
			if ((c2 = strchr(c1, ':')) == NULL)
				goto badms;
			*c2++ = '\0';
			if (parse_int(tmp, 0, INT_MAX, &b) != NULL ||
			    parse_int(c1, 1, 100, &rt) != NULL ||
			    parse_int(c2, 0, INT_MAX, &f) != NULL || b > f)
				goto badms;
		} else {
			if (parse_int(tmp, 0, INT_MAX, &f) != NULL)
				goto badms;
			b = f;
			rt = -1;
		}
		if (active && st->v->max_startups == -1) {
			st->v->max_startups_begin = (int)b;
			st->v->max_startups_rate = (int)rt;
			st->v->max_startups = (int)f;
		}
		ac--;
		break;
badms:
		perr(st->priv, "%s line %d: Invalid MaxStartups spec.", file,
		    linenum);
		r = QSSH_ERR_CONFIG;
		goto out;
	}
	case K_PSNETBLOCK: {
		long long m4, m6 = 0;
		char tmp[64], *c1;

		if (strlen(av[0]) >= sizeof(tmp))
			goto badnb;
		snprintf(tmp, sizeof(tmp), "%s", av[0]);
		if ((c1 = strchr(tmp, ':')) != NULL) {
			*c1++ = '\0';
			if (parse_int(c1, 0, 128, &m6) != NULL)
				goto badnb;
		}
		if (parse_int(tmp, 0, 32, &m4) != NULL)
			goto badnb;
		if (active && st->v->per_source_masklen_ipv4 == -1) {
			st->v->per_source_masklen_ipv4 = (int)m4;
			st->v->per_source_masklen_ipv6 = (int)m6;
		}
		ac--;
		break;
badnb:
		perr(st->priv,
		    "%s line %d: Invalid PerSourceNetBlockSize "
		    "spec.",
		    file, linenum);
		r = QSSH_ERR_CONFIG;
		goto out;
	}
	case K_REKEY: {
		long long bytes = 0;
		int secs = 0, e;

		if (strcmp(av[0], "default") != 0) {
			if ((e = parse_scaled(av[0], &bytes)) != 0) {
				perr(st->priv,
				    "%s line %d: Bad RekeyLimit "
				    "number '%s': %s",
				    file, linenum, av[0], strerror(e));
				r = QSSH_ERR_CONFIG;
				goto out;
			}
			if (bytes != 0 && bytes < 16) {
				perr(st->priv,
				    "%s line %d: RekeyLimit too "
				    "small",
				    file, linenum);
				r = QSSH_ERR_CONFIG;
				goto out;
			}
		}
		if (ac > 1) {
			if (strcmp(av[1], "default") == 0 ||
			    strcmp(av[1], "none") == 0) {
				secs = 0;
			} else if (servconf_parse_time(av[1], &secs) != 0) {
				perr(st->priv,
				    "%s line %d: invalid time value.", file,
				    linenum);
				r = QSSH_ERR_CONFIG;
				goto out;
			}
		}
		if (active && st->v->rekey_limit == -1)
			st->v->rekey_limit = bytes;
		if (active && ac > 1 && st->v->rekey_interval == -1)
			st->v->rekey_interval = secs;
		ac -= ac > 1 ? 2 : 1;
		break;
	}
	case K_USERENV:
		first = active && st->v->permit_user_env == -1;
		if (strcasecmp(av[0], "yes") == 0 ||
		    strcasecmp(av[0], "no") == 0) {
			if (first)
				st->v->permit_user_env =
				    strcasecmp(av[0], "yes") == 0;
		} else if (first) {
			st->v->permit_user_env = 1;
			free(st->v->permit_user_env_allowlist);
			if ((st->v->permit_user_env_allowlist =
				    strdup(av[0])) == NULL) {
				r = QSSH_ERR_ALLOC;
				goto out;
			}
		}
		ac--;
		break;
	case K_SUBSYSTEM: {
		struct servconf_subsystem *ns;
		size_t j;

		for (j = 0; j < st->v->num_subsystems; j++) {
			if (strcmp(st->v->subsystems[j].name, av[0]) == 0) {
				perr(st->priv,
				    "%s line %d: Subsystem '%s' "
				    "already defined.",
				    file, linenum, av[0]);
				r = QSSH_ERR_CONFIG;
				goto out;
			}
		}
		if (ac < 2) {
			perr(st->priv, "%s line %d: Missing subsystem command.",
			    file, linenum);
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (active) {
			if (st->v->num_subsystems >= 256) {
				perr(st->priv,
				    "%s line %d: too many "
				    "subsystems defined.",
				    file, linenum);
				r = QSSH_ERR_CONFIG;
				goto out;
			}
			ns = realloc(st->v->subsystems,
			    (st->v->num_subsystems + 1) * sizeof(*ns));
			if (ns == NULL) {
				r = QSSH_ERR_ALLOC;
				goto out;
			}
			st->v->subsystems = ns;
			ns += st->v->num_subsystems;
			ns->name = strdup(av[0]);
			ns->command = join_args(av + 1, ac - 1);
			if (ns->name == NULL || ns->command == NULL) {
				free(ns->name);
				free(ns->command);
				r = QSSH_ERR_ALLOC;
				goto out;
			}
			st->v->num_subsystems++;
		}
		ac = 0;
		break;
	}
	case K_MATCH:
		if (cmdline) {
			perr(st->priv,
			    "Match directive not supported as a "
			    "command-line option");
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (st->mode != MODE_READ)
			goto out;
		if (match_eval(st, av, (size_t)ac, NULL, file, linenum) < 0) {
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if ((r = new_match(st, av, ac)) != 0)
			goto out;
		*ctx = (int)st->priv->num_matches - 1;
		goto out;
	case K_INCLUDE:
		if (cmdline) {
			perr(st->priv,
			    "Include directive not supported as a "
			    "command-line option");
			r = QSSH_ERR_CONFIG;
			goto out;
		}
		if (st->mode != MODE_READ)
			goto out;
		r = do_include(st, av, ac, file, linenum, *ctx);
		goto out;
	default:
		break;
	}
	if (ac > 0) {
		perr(st->priv,
		    "%s line %d: keyword %s extra arguments at end "
		    "of line",
		    file, linenum, argv[0]);
		st->bad++;
		goto out;
	}
record:
	if (st->mode == MODE_READ)
		r = record_line(st, text, file, linenum, *ctx, cmdline);
out:
	free(buf);
	return r;
}

/* ---- files ---- */

static int
process_text(
    struct pstate *st, const char *text, size_t len, const char *file, int ctx)
{
	const char *p = text, *e, *end = text + len;
	char *line = NULL;
	int linenum = 0, r = 0;
	size_t n;

	while (p < end) {
		e = memchr(p, '\n', (size_t)(end - p));
		n = e == NULL ? (size_t)(end - p) : (size_t)(e - p);
		linenum++;
		if ((line = malloc(n + 1)) == NULL)
			return QSSH_ERR_ALLOC;
		memcpy(line, p, n);
		line[n] = '\0';
		/* An embedded NUL ends the line, as with getline+strlen. */
		r = process_line(st, line, file, linenum, &ctx, false, NULL);
		free(line);
		line = NULL;
		if (r != 0)
			return r;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

static int
read_file(const char *path, char **out, size_t *outlen)
{
	FILE *f;
	char *buf = NULL, *n;
	size_t len = 0, cap = 0, got;
	int r = QSSH_ERR_SYSTEM;

	if ((f = fopen(path, "r")) == NULL)
		return QSSH_ERR_SYSTEM;
	for (;;) {
		if (cap - len < 4096) {
			if (cap > 64 * 1024 * 1024) {
				r = QSSH_ERR_NO_BUFFER_SPACE;
				goto out;
			}
			if ((n = realloc(buf, cap + 65536)) == NULL) {
				r = QSSH_ERR_ALLOC;
				goto out;
			}
			buf = n;
			cap += 65536;
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		goto out;
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	fclose(f);
	return r;
}

static int
include_one(struct pstate *st, const char *path, int ctx)
{
	struct stat sb;
	char *text = NULL;
	size_t len;
	int r;

	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0;
	if (st->depth + 1 > SERVCONF_MAX_INCLUDE_DEPTH) {
		perr(st->priv, "Too many recursive configuration includes");
		return QSSH_ERR_CONFIG;
	}
	if ((r = read_file(path, &text, &len)) != 0) {
		if (r == QSSH_ERR_SYSTEM)
			perr(st->priv, "%s: %s", path, strerror(errno));
		return r == QSSH_ERR_SYSTEM ? QSSH_ERR_CONFIG : r;
	}
	st->depth++;
	r = process_text(st, text, len, path, ctx);
	st->depth--;
	free(text);
	return r;
}

static int
do_include(struct pstate *st, char **av, int ac, const char *file, int linenum,
    int ctx)
{
	glob_t g;
	char *pat = NULL;
	size_t j;
	int i, r = 0, gr;

	if (!st->allow_include)
		return 0;
	for (i = 0; i < ac && r == 0; i++) {
		if (av[i][0] == '/' || av[i][0] == '~') {
			pat = strdup(av[i]);
		} else if (asprintf(&pat, "%s/%s", st->basedir, av[i]) < 0) {
			pat = NULL;
		}
		if (pat == NULL)
			return QSSH_ERR_ALLOC;
		memset(&g, 0, sizeof(g));
		gr = glob(pat, GLOB_TILDE, NULL, &g);
		if (gr == GLOB_NOMATCH) {
			qlog_debug2("%s line %d: include %s matched no files",
			    file, linenum, pat);
		} else if (gr != 0) {
			perr(st->priv, "%s line %d: include \"%s\" glob failed",
			    file, linenum, av[i]);
			r = QSSH_ERR_CONFIG;
		} else {
			for (j = 0; j < g.gl_pathc && r == 0; j++)
				r = include_one(st, g.gl_pathv[j], ctx);
		}
		globfree(&g);
		free(pat);
		pat = NULL;
	}
	return r;
}

/* Replay the recorded lines: command line first, then the files. */
static int
replay_global(struct servconf *v, struct servconf_priv *priv, bool cmd_only)
{
	struct pstate st;
	size_t i;
	int pass, r, ctx;

	memset(&st, 0, sizeof(st));
	st.v = v;
	st.priv = priv;
	st.mode = MODE_GLOBAL;
	for (pass = 0; pass < (cmd_only ? 1 : 2); pass++) {
		for (i = 0; i < priv->num_lines; i++) {
			const struct line *l = &priv->lines[i];

			if (l->cmdline != (pass == 0))
				continue;
			ctx = l->ctx;
			if ((r = process_line(&st, l->text, l->file, l->linenum,
				 &ctx, l->cmdline, NULL)) != 0)
				return r;
		}
	}
	return 0;
}

static int
rebuild(struct servconf *cfg)
{
	int r;

	values_free(cfg);
	if ((r = replay_global(cfg, cfg->priv, false)) != 0)
		return r;
	return values_defaults(cfg);
}

static void
priv_free(struct servconf_priv *p)
{
	size_t i, j;

	if (p == NULL)
		return;
	for (i = 0; i < p->num_lines; i++) {
		free(p->lines[i].text);
		free(p->lines[i].file);
	}
	free(p->lines);
	for (i = 0; i < p->num_matches; i++) {
		for (j = 0; j < p->matches[i].argc; j++)
			free(p->matches[i].argv[j]);
		free(p->matches[i].argv);
	}
	free(p->matches);
	free(p->err);
	free(p);
}

/* ---- public API ---- */

struct servconf *
servconf_new(void)
{
	struct servconf *cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	if ((cfg->priv = calloc(1, sizeof(*cfg->priv))) == NULL) {
		free(cfg);
		return NULL;
	}
	values_unset(cfg);
	if (values_defaults(cfg) != 0) {
		servconf_free(cfg);
		return NULL;
	}
	return cfg;
}

void
servconf_free(struct servconf *cfg)
{
	if (cfg == NULL)
		return;
	values_free(cfg);
	priv_free(cfg->priv);
	free(cfg);
}

const char *
servconf_error(const struct servconf *cfg)
{
	if (cfg == NULL || cfg->priv == NULL || cfg->priv->err == NULL)
		return "";
	return cfg->priv->err;
}

static void
clear_err(struct servconf *cfg)
{
	free(cfg->priv->err);
	cfg->priv->err = NULL;
}

int
servconf_parse_line(
    struct servconf *cfg, const char *line, const char *filename, int linenum)
{
	struct servconf tmp;
	struct pstate st;
	int r, r2, ctx = -1;

	if (cfg == NULL || line == NULL || filename == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	clear_err(cfg);
	values_unset(&tmp);
	tmp.priv = NULL;
	if ((r = replay_global(&tmp, cfg->priv, true)) != 0)
		goto out;
	memset(&st, 0, sizeof(st));
	st.v = &tmp;
	st.priv = cfg->priv;
	st.mode = MODE_READ;
	st.basedir = SERVCONF_BASEDIR;
	r = process_line(&st, line, filename, linenum, &ctx, true, NULL);
	if (r == 0 && st.bad > 0)
		r = QSSH_ERR_CONFIG;
out:
	values_free(&tmp);
	if ((r2 = rebuild(cfg)) != 0 && r == 0)
		r = r2;
	return r;
}

int
servconf_load_string(struct servconf *cfg, const char *text,
    const char *filename, const char *basedir, bool allow_include)
{
	struct pstate st;
	int r, r2;

	if (cfg == NULL || text == NULL || filename == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	clear_err(cfg);
	values_free(cfg);
	if ((r = replay_global(cfg, cfg->priv, true)) != 0)
		goto out;
	memset(&st, 0, sizeof(st));
	st.v = cfg;
	st.priv = cfg->priv;
	st.mode = MODE_READ;
	st.basedir = basedir != NULL ? basedir : SERVCONF_BASEDIR;
	st.allow_include = allow_include;
	r = process_text(&st, text, strlen(text), filename, -1);
	if (r == 0 && st.bad > 0) {
		perr(cfg->priv,
		    "%s: terminating, %d bad configuration "
		    "options",
		    filename, st.bad);
		r = QSSH_ERR_CONFIG;
	}
out:
	if ((r2 = rebuild(cfg)) != 0 && r == 0)
		r = r2;
	return r;
}

int
servconf_load_file(struct servconf *cfg, const char *path, const char *basedir)
{
	char *text = NULL;
	size_t len;
	int r;

	if (cfg == NULL || path == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	clear_err(cfg);
	if ((r = read_file(path, &text, &len)) != 0) {
		if (r == QSSH_ERR_SYSTEM) {
			perr(cfg->priv, "%s: %s", path, strerror(errno));
			r = QSSH_ERR_CONFIG;
		}
		return r;
	}
	r = servconf_load_string(cfg, text, path, basedir, true);
	free(text);
	return r;
}

int
servconf_apply_match(const struct servconf *cfg, const struct servconf_conn *ci,
    struct servconf **out)
{
	struct servconf *res = NULL, mo;
	struct servconf_priv *p = cfg->priv;
	struct pstate st;
	int *mres = NULL, r, ctx;
	size_t i;

	*out = NULL;
	values_unset(&mo);
	mo.priv = NULL;
	if ((res = servconf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	values_free(res);
	if ((r = replay_global(res, p, false)) != 0 ||
	    (r = values_defaults(res)) != 0)
		goto out;
	if (p->num_matches > 0 &&
	    (mres = calloc(p->num_matches, sizeof(*mres))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	memset(&st, 0, sizeof(st));
	st.v = &mo;
	st.priv = res->priv;
	st.mode = MODE_MATCH;
	st.ci = ci;
	for (i = 0; i < p->num_matches; i++) {
		mres[i] = match_eval(
		    &st, p->matches[i].argv, p->matches[i].argc, ci, "", 0);
	}
	for (i = 0; i < p->num_lines; i++) {
		if (p->lines[i].ctx < 0 || p->lines[i].cmdline)
			continue;
		ctx = p->lines[i].ctx;
		if ((r = process_line(&st, p->lines[i].text, p->lines[i].file,
			 p->lines[i].linenum, &ctx, false, mres)) != 0)
			goto out;
	}
	values_overlay(res, &mo);
	*out = res;
	res = NULL;
	r = 0;
out:
	values_free(&mo);
	free(mres);
	servconf_free(res);
	return r;
}

/* ---- sshd -T ---- */

static void
dump_flag(FILE *f, const char *kw, int v)
{
	fprintf(f, "%s %s\n", kw, v == 1 ? "yes" : v == 0 ? "no" : "UNKNOWN");
}

static void
dump_nv(FILE *f, const char *kw, const struct nameval *t, int v)
{
	fprintf(f, "%s %s\n", kw, name_nv(t, v));
}

static void
dump_str(FILE *f, const char *kw, const char *s)
{
	fprintf(f, "%s %s\n", kw, s != NULL ? s : "none");
}

static void
dump_lines(FILE *f, const char *kw, const struct servconf_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		fprintf(f, "%s %s\n", kw, l->v[i]);
}

static void
dump_joined(FILE *f, const char *kw, const struct servconf_strlist *l,
    const char *empty)
{
	size_t i;

	if (l->n == 0) {
		fprintf(f, "%s %s\n", kw, empty);
		return;
	}
	fprintf(f, "%s", kw);
	for (i = 0; i < l->n; i++)
		fprintf(f, " %s", l->v[i]);
	fputc('\n', f);
}

static int
dump_algs(
    FILE *f, const char *kw, enum servconf_alg_class cls, const char *spec)
{
	char *s = NULL;
	int r;

	if ((r = servconf_algs_resolve(cls, spec, &s)) != 0)
		return r;
	fprintf(f, "%s %s\n", kw, s);
	free(s);
	return 0;
}

static void
dump_listen_one(FILE *f, const char *host, int port, const char *rd)
{
	if (strchr(host, ':') != NULL)
		fprintf(f, "listenaddress [%s]:%d", host, port);
	else
		fprintf(f, "listenaddress %s:%d", host, port);
	if (rd != NULL)
		fprintf(f, " rdomain %s", rd);
	fputc('\n', f);
}

int
servconf_dump(const struct servconf *cfg, FILE *f)
{
	const struct servconf *v = cfg;
	char wbuf[SERVCONF_CRYPTO_WORKERS_STRLEN];
	size_t i, j;
	int r;

	for (i = 0; i < v->num_ports; i++)
		fprintf(f, "port %d\n", v->ports[i]);
	dump_nv(f, "addressfamily", t_family, v->address_family);
	if (v->num_listen == 0) {
		for (i = 0; i < v->num_ports; i++) {
			if (v->address_family != SERVCONF_AF_INET)
				dump_listen_one(f, "::", v->ports[i], NULL);
			if (v->address_family != SERVCONF_AF_INET6)
				dump_listen_one(
				    f, "0.0.0.0", v->ports[i], NULL);
		}
	}
	for (i = 0; i < v->num_listen; i++) {
		const struct servconf_listen *l = &v->listen[i];

		if (l->port != 0) {
			dump_listen_one(f, l->host, l->port, l->rdomain);
			continue;
		}
		for (j = 0; j < v->num_ports; j++)
			dump_listen_one(f, l->host, v->ports[j], l->rdomain);
	}
	dump_flag(f, "usepam", v->use_pam);
	fprintf(f, "logingracetime %d\n", v->login_grace_time);
	fprintf(f, "x11displayoffset %d\n", v->x11_display_offset);
	fprintf(f, "maxauthtries %d\n", v->max_authtries);
	fprintf(f, "maxsessions %d\n", v->max_sessions);
	fprintf(f, "clientaliveinterval %d\n", v->client_alive_interval);
	fprintf(f, "clientalivecountmax %d\n", v->client_alive_count_max);
	fprintf(f, "requiredrsasize %d\n", v->required_rsa_size);
	dump_nv(f, "permitrootlogin", t_root, v->permit_root_login);
	dump_flag(f, "ignorerhosts", v->ignore_rhosts);
	dump_flag(f, "ignoreuserknownhosts", v->ignore_user_known_hosts);
	dump_flag(f, "hostbasedauthentication", v->hostbased_authentication);
	dump_flag(f, "hostbasedusesnamefrompacketonly",
	    v->hostbased_uses_name_from_packet_only);
	dump_flag(f, "pubkeyauthentication", v->pubkey_authentication);
	dump_flag(f, "passwordauthentication", v->password_authentication);
	dump_flag(f, "kbdinteractiveauthentication",
	    v->kbd_interactive_authentication);
	dump_flag(f, "printmotd", v->print_motd);
	dump_flag(f, "printlastlog", v->print_lastlog);
	dump_flag(f, "x11forwarding", v->x11_forwarding);
	dump_flag(f, "x11uselocalhost", v->x11_use_localhost);
	dump_flag(f, "permittty", v->permit_tty);
	dump_flag(f, "permituserrc", v->permit_user_rc);
	dump_flag(f, "strictmodes", v->strict_modes);
	dump_flag(f, "tcpkeepalive", v->tcp_keep_alive);
	dump_flag(f, "permitemptypasswords", v->permit_empty_passwd);
	dump_flag(f, "compression", v->compression);
	dump_nv(f, "gatewayports", t_gateway, v->gateway_ports);
	dump_flag(f, "usedns", v->use_dns);
	dump_nv(f, "allowtcpforwarding", t_fwd, v->allow_tcp_forwarding);
	dump_flag(f, "allowagentforwarding", v->allow_agent_forwarding);
	dump_flag(f, "disableforwarding", v->disable_forwarding);
	dump_nv(f, "allowstreamlocalforwarding", t_fwd,
	    v->allow_streamlocal_forwarding);
	dump_flag(f, "exposeauthinfo", v->expose_auth_info);
	dump_str(f, "pidfile", v->pid_file);
	dump_str(f, "modulifile", v->moduli_file);
	dump_str(f, "xauthlocation", v->xauth_location);
	dump_str(f, "cryptobackend", v->crypto_backend);
	servconf_crypto_workers_format(v->crypto_workers, wbuf, sizeof(wbuf));
	dump_str(f, "cryptoworkers", wbuf);
	dump_str(f, "cryptocores", v->crypto_cores);
	dump_nv(f, "cryptoruntime", t_runtime, v->crypto_runtime);
	dump_str(f, "cryptoealargs", v->crypto_eal_args);
	dump_nv(f, "cryptoworkermode", t_wmode, v->crypto_worker_mode);
	fprintf(f, "channelwindow %d\n", v->channel_window);
	fprintf(f, "channelwindowmax %d\n", v->channel_window_max);
	if ((r = dump_algs(f, "ciphers", SERVCONF_ALG_CIPHER, v->ciphers)) ||
	    (r = dump_algs(f, "macs", SERVCONF_ALG_MAC, v->macs)))
		return r;
	dump_str(f, "banner", v->banner);
	dump_str(f, "forcecommand", v->force_command);
	dump_str(f, "chrootdirectory", v->chroot_directory);
	dump_str(f, "trustedusercakeys", v->trusted_user_ca_keys);
	dump_str(f, "revokedkeys", v->revoked_keys);
	dump_str(f, "authorizedprincipalsfile", v->authorized_principals_file);
	dump_str(f, "versionaddendum", v->version_addendum);
	dump_str(f, "authorizedkeyscommand", v->authorized_keys_command);
	dump_str(
	    f, "authorizedkeyscommanduser", v->authorized_keys_command_user);
	dump_str(
	    f, "authorizedprincipalscommand", v->authorized_principals_command);
	dump_str(f, "authorizedprincipalscommanduser",
	    v->authorized_principals_command_user);
	if ((r = dump_algs(
		 f, "kexalgorithms", SERVCONF_ALG_KEX, v->kex_algorithms)) ||
	    (r = dump_algs(f, "casignaturealgorithms", SERVCONF_ALG_CASIG,
		 v->ca_sign_algorithms)) ||
	    (r = dump_algs(f, "hostbasedacceptedalgorithms", SERVCONF_ALG_SIG,
		 v->hostbased_accepted_algorithms)) ||
	    (r = dump_algs(f, "hostkeyalgorithms", SERVCONF_ALG_SIG,
		 v->host_key_algorithms)) ||
	    (r = dump_algs(f, "pubkeyacceptedalgorithms", SERVCONF_ALG_SIG,
		 v->pubkey_accepted_algorithms)))
		return r;
	dump_nv(f, "loglevel", t_loglevel, v->log_level);
	dump_nv(f, "syslogfacility", t_facility, v->syslog_facility);
	dump_joined(f, "authorizedkeysfile", &v->authorized_keys_files, "none");
	dump_lines(f, "hostkey", &v->host_keys);
	dump_lines(f, "hostcertificate", &v->host_certs);
	dump_lines(f, "allowusers", &v->allow_users);
	dump_lines(f, "denyusers", &v->deny_users);
	dump_lines(f, "allowgroups", &v->allow_groups);
	dump_lines(f, "denygroups", &v->deny_groups);
	dump_lines(f, "acceptenv", &v->accept_env);
	dump_lines(f, "setenv", &v->set_env);
	dump_joined(f, "authenticationmethods", &v->auth_methods, "any");
	for (i = 0; i < v->num_subsystems; i++)
		fprintf(f, "subsystem %s %s\n", v->subsystems[i].name,
		    v->subsystems[i].command);
	fprintf(f, "maxstartups %d:%d:%d\n", v->max_startups_begin,
	    v->max_startups_rate, v->max_startups);
	if (v->per_source_max_startups == 0)
		fprintf(f, "persourcemaxstartups none\n");
	else
		fprintf(
		    f, "persourcemaxstartups %d\n", v->per_source_max_startups);
	fprintf(f, "persourcenetblocksize %d:%d\n", v->per_source_masklen_ipv4,
	    v->per_source_masklen_ipv6);
	dump_nv(f, "permittunnel", t_tunnel, v->permit_tunnel);
	fprintf(f, "rekeylimit %lld %d\n", (long long)v->rekey_limit,
	    v->rekey_interval);
	dump_joined(f, "permitopen", &v->permit_open, "any");
	dump_joined(f, "permitlisten", &v->permit_listen, "any");
	if (v->permit_user_env_allowlist != NULL)
		fprintf(f, "permituserenvironment %s\n",
		    v->permit_user_env_allowlist);
	else
		dump_flag(f, "permituserenvironment", v->permit_user_env);
	return ferror(f) ? QSSH_ERR_SYSTEM : 0;
}

/* ---- tokens ---- */

int
servconf_expand_tokens(const char *in, const char *home, const char *user,
    unsigned int uid, char **out)
{
	char *res = NULL, *n, num[16];
	const char *add, *p;
	size_t len = 0, cap = 0, alen;
	int r = QSSH_ERR_INVALID_FORMAT;
	char one[2] = { 0, 0 };

	*out = NULL;
	if (in == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	for (p = in;; p++) {
		if (*p == '%') {
			p++;
			switch (*p) {
			case 'h':
				add = home;
				break;
			case 'u':
				add = user;
				break;
			case 'U':
				snprintf(num, sizeof(num), "%u", uid);
				add = num;
				break;
			case '%':
				add = "%";
				break;
			default:
				r = QSSH_ERR_INVALID_FORMAT;
				goto out;
			}
			if (add == NULL) {
				r = QSSH_ERR_INVALID_ARGUMENT;
				goto out;
			}
		} else {
			one[0] = *p;
			add = one;
		}
		alen = *p == '\0' ? 1 : strlen(add);
		if (alen >= cap - len) {
			if (cap > 1024 * 1024) {
				r = QSSH_ERR_PATH_TOO_LONG;
				goto out;
			}
			if ((n = realloc(res, cap + alen + 256)) == NULL) {
				r = QSSH_ERR_ALLOC;
				goto out;
			}
			res = n;
			cap += alen + 256;
		}
		if (*p == '\0') {
			res[len] = '\0';
			break;
		}
		memcpy(res + len, add, alen);
		len += alen;
	}
	*out = res;
	res = NULL;
	r = 0;
out:
	free(res);
	return r;
}

int
servconf_expand_authorized_path(const char *in, const char *home,
    const char *user, unsigned int uid, char **out)
{
	char *e = NULL, *full = NULL;
	int r;

	*out = NULL;
	if ((r = servconf_expand_tokens(in, home, user, uid, &e)) != 0)
		return r;
	if (e[0] == '/') {
		*out = e;
		return 0;
	}
	if (home == NULL) {
		free(e);
		return QSSH_ERR_INVALID_ARGUMENT;
	}
	if (asprintf(&full, "%s/%s", home, e) < 0) {
		free(e);
		return QSSH_ERR_ALLOC;
	}
	free(e);
	*out = full;
	return 0;
}
