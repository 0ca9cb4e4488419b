/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ssh_config(5) reader.  The semantics (first value wins, Host/Match
 * blocks, Include, defaults, -G output) follow OpenSSH 9.2 as described in
 * its manual page; the messages are the ones ssh(1) prints, because users
 * and scripts know them.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/match.h"
#include "control/readconf.h"
#include "control/servconf.h"
#include "crypto-offload/cryp.h"
#include "dataplane/workers.h"

_Static_assert(READCONF_CRYPTO_WORKERS_MAX == WRK_WORKERS_MAX / WRK_POOL_COUNT,
    "CryptoWorkers limit");
_Static_assert(READCONF_CRYPTO_POOLS == SERVCONF_CRYPTO_POOLS &&
	READCONF_CRYPTO_WORKERS_AUTO == SERVCONF_CRYPTO_WORKERS_AUTO &&
	READCONF_CRYPTO_WORKERS_MAX == SERVCONF_CRYPTO_WORKERS_MAX,
    "CryptoWorkers values shared with sshd_config");

#define MAX_ARGS 256
#define CMDLINE_NAME "command-line"

/* Internal flag: Host/Match inside an inactive block's Include. */
#define RC_NEVERMATCH 0x1000
#define RC_NOINCLUDE 0x2000
/*
 * Internal code for errors that stop reading at once (Include recursion),
 * without the per-file "terminating" lines; callers see QSSH_ERR_CONFIG.
 */
#define RC_ERR_FATAL QSSH_ERR_PATH_TOO_LONG

/* ------------------------------------------------------------------ */
/* Algorithm tables                                                    */

static const char *const kex_all[] = {
	"diffie-hellman-group1-sha1",
	"diffie-hellman-group14-sha1",
	"diffie-hellman-group14-sha256",
	"diffie-hellman-group16-sha512",
	"diffie-hellman-group18-sha512",
	"diffie-hellman-group-exchange-sha1",
	"diffie-hellman-group-exchange-sha256",
	"ecdh-sha2-nistp256",
	"ecdh-sha2-nistp384",
	"ecdh-sha2-nistp521",
	"curve25519-sha256",
	"curve25519-sha256@libssh.org",
	"sntrup761x25519-sha512",
	"sntrup761x25519-sha512@openssh.com",
	"mlkem768x25519-sha256",
	NULL,
};

static const char *const cipher_all[] = {
	"3des-cbc",
	"aes128-cbc",
	"aes192-cbc",
	"aes256-cbc",
	"aes128-ctr",
	"aes192-ctr",
	"aes256-ctr",
	"aes128-gcm@openssh.com",
	"aes256-gcm@openssh.com",
	"chacha20-poly1305@openssh.com",
	NULL,
};

static const char *const mac_all[] = {
	"hmac-sha1",
	"hmac-sha1-96",
	"hmac-sha2-256",
	"hmac-sha2-512",
	"hmac-md5",
	"hmac-md5-96",
	"umac-64@openssh.com",
	"umac-128@openssh.com",
	"hmac-sha1-etm@openssh.com",
	"hmac-sha1-96-etm@openssh.com",
	"hmac-sha2-256-etm@openssh.com",
	"hmac-sha2-512-etm@openssh.com",
	"hmac-md5-etm@openssh.com",
	"hmac-md5-96-etm@openssh.com",
	"umac-64-etm@openssh.com",
	"umac-128-etm@openssh.com",
	NULL,
};

static const char *const key_all[] = {
	"ssh-ed25519",
	"ssh-ed25519-cert-v01@openssh.com",
	"sk-ssh-ed25519@openssh.com",
	"sk-ssh-ed25519-cert-v01@openssh.com",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp384-cert-v01@openssh.com",
	"ecdsa-sha2-nistp521",
	"ecdsa-sha2-nistp521-cert-v01@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
	"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
	"ssh-dss",
	"ssh-dss-cert-v01@openssh.com",
	"ssh-rsa",
	"ssh-rsa-cert-v01@openssh.com",
	"rsa-sha2-256",
	"rsa-sha2-256-cert-v01@openssh.com",
	"rsa-sha2-512",
	"rsa-sha2-512-cert-v01@openssh.com",
	NULL,
};

static const char kex_default[] =
    "mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@"
    "openssh.com,"
    "curve25519-sha256,curve25519-sha256@libssh.org,"
    "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
    "diffie-hellman-group-exchange-sha256,"
    "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
    "diffie-hellman-group14-sha256";

static const char cipher_default[] =
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
    "aes128-gcm@openssh.com,aes256-gcm@openssh.com";

static const char mac_default[] =
    "umac-64-etm@openssh.com,umac-128-etm@openssh.com,"
    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
    "hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,"
    "hmac-sha2-256,hmac-sha2-512,hmac-sha1";

static const char key_default[] =
    "ssh-ed25519-cert-v01@openssh.com,"
    "ecdsa-sha2-nistp256-cert-v01@openssh.com,"
    "ecdsa-sha2-nistp384-cert-v01@openssh.com,"
    "ecdsa-sha2-nistp521-cert-v01@openssh.com,"
    "sk-ssh-ed25519-cert-v01@openssh.com,"
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"
    "rsa-sha2-512-cert-v01@openssh.com,"
    "rsa-sha2-256-cert-v01@openssh.com,"
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
    "ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"
    "sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256";

static const char ca_default[] =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
    "ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"
    "sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256";

static const char *const default_identities[] = {
	"~/.ssh/id_rsa",
	"~/.ssh/id_ecdsa",
	"~/.ssh/id_ecdsa_sk",
	"~/.ssh/id_ed25519",
	"~/.ssh/id_ed25519_sk",
	"~/.ssh/id_xmss",
	"~/.ssh/id_dsa",
};

static const char *const *
alg_table(const char *kind)
{
	if (strcmp(kind, "kex") == 0)
		return kex_all;
	if (strcmp(kind, "cipher") == 0)
		return cipher_all;
	if (strcmp(kind, "mac") == 0)
		return mac_all;
	if (strcmp(kind, "key") == 0 || strcmp(kind, "ca") == 0)
		return key_all;
	return NULL;
}

const char *
readconf_default_algorithms(const char *kind)
{
	if (strcmp(kind, "kex") == 0)
		return kex_default;
	if (strcmp(kind, "cipher") == 0)
		return cipher_default;
	if (strcmp(kind, "mac") == 0)
		return mac_default;
	if (strcmp(kind, "key") == 0)
		return key_default;
	if (strcmp(kind, "ca") == 0)
		return ca_default;
	return NULL;
}

static bool
in_table(const char *const *tab, const char *name, size_t len)
{
	size_t i;

	for (i = 0; tab[i] != NULL; i++)
		if (strlen(tab[i]) == len && strncmp(tab[i], name, len) == 0)
			return true;
	return false;
}

static bool
has_wild(const char *s)
{
	return strpbrk(s, "*?") != NULL;
}

/* Append name to a comma list in a fixed scratch string unless present. */
static int
list_add_unique(char **listp, size_t *lenp, const char *name)
{
	char *l = *listp, *n;
	size_t nl = strlen(name), cap;
	const char *p = l;

	while (p != NULL && *p != '\0') {
		const char *c = strchr(p, ',');
		size_t el = c != NULL ? (size_t)(c - p) : strlen(p);
		if (el == nl && strncmp(p, name, nl) == 0)
			return 0;
		p = c != NULL ? c + 1 : NULL;
	}
	cap = *lenp + nl + 2;
	if ((n = realloc(l, cap)) == NULL)
		return QSSH_ERR_ALLOC;
	if (*lenp > 0)
		n[(*lenp)++] = ',';
	memcpy(n + *lenp, name, nl);
	*lenp += nl;
	n[*lenp] = '\0';
	*listp = n;
	return 0;
}

/* Whether name matches any element of the comma pattern list. */
static bool
name_in_patterns(const char *name, const char *pats)
{
	return match_pattern_list(name, pats, false) == 1;
}

char *
readconf_assemble_algorithms(const char *kind, const char *spec)
{
	const char *const *all = alg_table(kind);
	const char *def = readconf_default_algorithms(kind);
	char *tmp = NULL, *out = NULL, *cp, *save = NULL, *tok;
	size_t olen = 0, i;
	/* CA signature algorithms never include certificate types. */
	bool ca = strcmp(kind, "ca") == 0;

	if (all == NULL || def == NULL)
		return NULL;
	if (spec == NULL)
		spec = def;
	if (*spec == '+') {
		if (asprintf(&tmp, "%s,%s", def, spec + 1) < 0)
			tmp = NULL;
	} else if (*spec == '^') {
		if (asprintf(&tmp, "%s,%s", spec + 1, def) < 0)
			tmp = NULL;
	} else if (*spec == '-') {
		size_t tl = 0;
		char *d = strdup(def);

		if (d == NULL)
			return NULL;
		tmp = calloc(1, 1);
		for (tok = strtok_r(d, ",", &save); tok != NULL && tmp != NULL;
		     tok = strtok_r(NULL, ",", &save)) {
			if (name_in_patterns(tok, spec + 1))
				continue;
			if (list_add_unique(&tmp, &tl, tok) != 0) {
				free(tmp);
				tmp = NULL;
			}
		}
		free(d);
	} else
		tmp = strdup(spec);
	if (tmp == NULL)
		return NULL;
	if ((out = calloc(1, 1)) == NULL)
		goto fail;
	for (cp = strtok_r(tmp, ",", &save); cp != NULL;
	     cp = strtok_r(NULL, ",", &save)) {
		if (has_wild(cp)) {
			for (i = 0; all[i] != NULL; i++)
				if (match_pattern(all[i], cp) &&
				    (!ca || strstr(all[i], "-cert-") == NULL) &&
				    list_add_unique(&out, &olen, all[i]) != 0)
					goto fail;
		} else if (in_table(all, cp, strlen(cp))) {
			if (list_add_unique(&out, &olen, cp) != 0)
				goto fail;
		}
	}
	free(tmp);
	return out;
fail:
	free(tmp);
	free(out);
	return NULL;
}

/*
 * Validate a list as given (before the modifiers are resolved).  Returns
 * the first bad element (allocated) or NULL when all are fine; *ok false
 * on allocation failure.
 */
static bool
algs_valid(const char *kind, const char *spec, bool allow_wild, char **bad)
{
	const char *const *all = alg_table(kind);
	const char *p;
	size_t i;

	*bad = NULL;
	if (*spec == '-')
		return true;
	if (*spec == '+' || *spec == '^')
		spec++;
	if (*spec == '\0')
		return false;
	p = spec;
	while (p != NULL) {
		const char *c = strchr(p, ',');
		size_t el = c != NULL ? (size_t)(c - p) : strlen(p);
		char *name = strndup(p, el);
		bool good = false;

		if (name == NULL)
			return false;
		if (el > 0 && in_table(all, name, el))
			good = true;
		else if (allow_wild && el > 0 && has_wild(name)) {
			for (i = 0; all[i] != NULL; i++)
				if (match_pattern(all[i], name))
					good = true;
		}
		if (!good) {
			*bad = name;
			return false;
		}
		free(name);
		p = c != NULL ? c + 1 : NULL;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static void
lowercase(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int
set_str(char **dst, const char *v)
{
	char *n;

	if (*dst != NULL)
		return 0;
	if ((n = strdup(v)) == NULL)
		return QSSH_ERR_ALLOC;
	*dst = n;
	return 0;
}

static int
push_str(char ***arrp, unsigned int *nump, const char *v)
{
	char **a;
	char *n;

	if (*nump >= 4096)
		return QSSH_ERR_CONFIG;
	if ((n = strdup(v)) == NULL)
		return QSSH_ERR_ALLOC;
	if ((a = realloc(*arrp, (*nump + 1) * sizeof(*a))) == NULL) {
		free(n);
		return QSSH_ERR_ALLOC;
	}
	a[(*nump)++] = n;
	*arrp = a;
	return 0;
}

/* Port number or service name; -1 if bad (0 is returned as 0). */
static int
a2port(const char *s)
{
	char *ep = NULL;
	long v;
	struct servent *se;

	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &ep, 10);
	if (*ep == '\0' && errno == 0) {
		if (v < 0 || v > 65535)
			return -1;
		return (int)v;
	}
	if ((se = getservbyname(s, "tcp")) != NULL)
		return ntohs((uint16_t)se->s_port);
	return -1;
}

/* ssh_config TIME FORMATS; -1 on error. */
static long
convtime(const char *s)
{
	long total = 0, num, mult;
	char *ep;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		num = strtol(s, &ep, 10);
		if (errno != 0 || num < 0)
			return -1;
		switch (*ep) {
		case '\0':
			mult = 1;
			break;
		case 's':
		case 'S':
			mult = 1;
			ep++;
			break;
		case 'm':
		case 'M':
			mult = 60;
			ep++;
			break;
		case 'h':
		case 'H':
			mult = 3600;
			ep++;
			break;
		case 'd':
		case 'D':
			mult = 86400;
			ep++;
			break;
		case 'w':
		case 'W':
			mult = 604800;
			ep++;
			break;
		default:
			return -1;
		}
		if (num > INT_MAX / mult)
			return -1;
		num *= mult;
		if (total > INT_MAX - num)
			return -1;
		total += num;
		s = ep;
	}
	return total;
}

/* Number with an optional K/M/G/T/P/E suffix (powers of 1024). */
static int
scan_scaled(const char *s, long long *out)
{
	char *ep;
	long long v, mult = 1;
	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &ep, 10);
	if (errno != 0)
		return -1;
	switch (toupper((unsigned char)*ep)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	case 'P':
		shift = 50;
		break;
	case 'E':
		shift = 60;
		break;
	default:
		return -1;
	}
	if (shift != 0) {
		ep++;
		if (toupper((unsigned char)*ep) == 'B')
			ep++;
	}
	if (*ep != '\0')
		return -1;
	mult = 1LL << shift;
	if (v > LLONG_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static bool
valid_env_name(const char *s)
{
	if (*s == '\0' || isdigit((unsigned char)*s))
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/*
 * A "$NAME" or "${NAME}" path argument must name a valid variable.
 * Returns 0 or the message to print.
 */
static const char *
check_env_path(const char *arg)
{
	char buf[256];
	size_t l;

	if (arg[0] != '$')
		return NULL;
	if (arg[1] == '{') {
		const char *e = strchr(arg, '}');
		if (e == NULL)
			return "Invalid environment expansion";
		l = (size_t)(e - arg - 2);
		if (l == 0 || l >= sizeof(buf))
			return "Invalid environment expansion";
		memcpy(buf, arg + 2, l);
		buf[l] = '\0';
		if (getenv(buf) == NULL) {
			qlog_error("vdollar_percent_expand: env var %s has no "
				   "value",
			    arg);
			return "Invalid environment expansion";
		}
		return NULL;
	}
	if (!valid_env_name(arg + 1))
		return "Invalid environment name";
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Tokenising a line                                                   */

/*
 * Split s in place into words: whitespace separated, "..." and '...'
 * quoting, backslash escapes for quotes and backslash, and a '#' at the
 * start of a word ends the line.  -1 on an unterminated quote.
 */
static int
split_args(char *s, char **argv, int maxargs, int *argcp)
{
	int argc = 0;
	char *w, *r = s;

	*argcp = 0;
	for (;;) {
		char quote = 0;

		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (*r == '\0' || *r == '#')
			break;
		if (argc >= maxargs)
			return -1;
		w = r;
		argv[argc++] = w;
		while (*r != '\0') {
			if (quote == 0 &&
			    (*r == ' ' || *r == '\t' || *r == '\r' ||
				*r == '\n'))
				break;
			if (*r == '\\' && quote != '\'' &&
			    (r[1] == '\\' || r[1] == '"' || r[1] == '\'' ||
				r[1] == ' ' || r[1] == '#')) {
				*w++ = r[1];
				r += 2;
				continue;
			}
			if (quote == 0 && (*r == '"' || *r == '\'')) {
				quote = *r++;
				continue;
			}
			if (quote != 0 && *r == quote) {
				quote = 0;
				r++;
				continue;
			}
			*w++ = *r++;
		}
		if (quote != 0)
			return -1;
		if (*r != '\0')
			r++;
		*w = '\0';
	}
	*argcp = argc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Keywords                                                            */

enum op {
	oBad,
	oDeprecated,
	oUnsupported,
	oIgnore,
	oHost,
	oMatch,
	oInclude,
	oHostname,
	oPort,
	oUser,
	oIdentityFile,
	oIdentitiesOnly,
	oIdentityAgent,
	oCertificateFile,
	oAddKeysToAgent,
	oKexAlgorithms,
	oCiphers,
	oMacs,
	oHostKeyAlgorithms,
	oPubkeyAcceptedAlgorithms,
	oHostbasedAcceptedAlgorithms,
	oCASignatureAlgorithms,
	oPreferredAuthentications,
	oPubkeyAuthentication,
	oPasswordAuthentication,
	oKbdInteractiveAuthentication,
	oHostbasedAuthentication,
	oNumberOfPasswordPrompts,
	oBatchMode,
	oConnectTimeout,
	oConnectionAttempts,
	oServerAliveInterval,
	oServerAliveCountMax,
	oTCPKeepAlive,
	oStrictHostKeyChecking,
	oUserKnownHostsFile,
	oGlobalKnownHostsFile,
	oHashKnownHosts,
	oCheckHostIP,
	oUpdateHostKeys,
	oVisualHostKey,
	oWarnWeakCrypto,
	oFingerprintHash,
	oLogLevel,
	oCompression,
	oRekeyLimit,
	oSendEnv,
	oSetEnv,
	oRequestTTY,
	oRemoteCommand,
	oEscapeChar,
	oAddressFamily,
	oBindAddress,
	oBindInterface,
	oProxyCommand,
	oProxyJump,
	oLocalCommand,
	oPermitLocalCommand,
	oForwardAgent,
	oForwardX11,
	oForwardX11Trusted,
	oForwardX11Timeout,
	oXAuthLocation,
	oLocalForward,
	oRemoteForward,
	oDynamicForward,
	oControlMaster,
	oControlPath,
	oControlPersist,
	oIgnoreUnknown,
	oCanonicalizeHostname,
	oCanonicalDomains,
	oCanonicalizeMaxDots,
	oCanonicalizeFallbackLocal,
	oExitOnForwardFailure,
	oGatewayPorts,
	oStreamLocalBindUnlink,
	oTunnel,
	oTunnelDevice,
	oClearAllForwardings,
	oHostKeyAlias,
	oKnownHostsCommand,
	oNoHostAuthenticationForLocalhost,
	oSecurityKeyProvider,
	oObscureKeystrokeTiming,
	oEnableEscapeCommandline,
	oRevokedHostKeys,
	oStdinNull,
	oForkAfterAuthentication,
	oSessionType,
	oPKCS11Provider,
	oEnableSSHKeysign,
	oProxyUseFdpass,
	oVerifyHostKeyDNS,
	oRequiredRSASize,
	oCryptoBackend,
	oCryptoWorkers,
	oCryptoCores,
	oCryptoRuntime,
	oCryptoEALArgs,
	oCryptoWorkerMode,
};

static const struct {
	const char *name;
	enum op op;
} keywords[] = {
	/* no longer meaningful: a debug message */
	{ "fallbacktorsh", oDeprecated },
	{ "globalknownhostsfile2", oDeprecated },
	{ "rhostsauthentication", oDeprecated },
	{ "userknownhostsfile2", oDeprecated },
	{ "useroaming", oDeprecated },
	{ "usersh", oDeprecated },
	{ "useprivilegedport", oDeprecated },
	{ "cipher", oDeprecated },
	{ "compressionlevel", oDeprecated },
	{ "protocol", oIgnore },
	/* known but not in this build: an error line, not fatal */
	{ "rsaauthentication", oUnsupported },
	{ "rhostsrsaauthentication", oUnsupported },
	{ "afstokenpassing", oUnsupported },
	{ "kerberosauthentication", oUnsupported },
	{ "kerberostgtpassing", oUnsupported },
	{ "gssapiauthentication", oUnsupported },
	{ "gssapidelegatecredentials", oUnsupported },
	{ "gssapikeyexchange", oUnsupported },
	{ "gssapiclientidentity", oUnsupported },
	{ "gssapiserveridentity", oUnsupported },
	{ "gssapirenewalforcesrekey", oUnsupported },
	{ "gssapitrustdns", oUnsupported },
	{ "gssapikexalgorithms", oUnsupported },
	{ "smartcarddevice", oUnsupported },

	{ "host", oHost },
	{ "match", oMatch },
	{ "include", oInclude },
	{ "hostname", oHostname },
	{ "port", oPort },
	{ "user", oUser },
	{ "identityfile", oIdentityFile },
	{ "identitiesonly", oIdentitiesOnly },
	{ "identityagent", oIdentityAgent },
	{ "certificatefile", oCertificateFile },
	{ "addkeystoagent", oAddKeysToAgent },
	{ "kexalgorithms", oKexAlgorithms },
	{ "ciphers", oCiphers },
	{ "macs", oMacs },
	{ "hostkeyalgorithms", oHostKeyAlgorithms },
	{ "pubkeyacceptedalgorithms", oPubkeyAcceptedAlgorithms },
	{ "pubkeyacceptedkeytypes", oPubkeyAcceptedAlgorithms },
	{ "hostbasedacceptedalgorithms", oHostbasedAcceptedAlgorithms },
	{ "hostbasedkeytypes", oHostbasedAcceptedAlgorithms },
	{ "hostbasedacceptedkeytypes", oHostbasedAcceptedAlgorithms },
	{ "casignaturealgorithms", oCASignatureAlgorithms },
	{ "preferredauthentications", oPreferredAuthentications },
	{ "pubkeyauthentication", oPubkeyAuthentication },
	{ "dsaauthentication", oPubkeyAuthentication },
	{ "passwordauthentication", oPasswordAuthentication },
	{ "kbdinteractiveauthentication", oKbdInteractiveAuthentication },
	{ "challengeresponseauthentication", oKbdInteractiveAuthentication },
	{ "skeyauthentication", oKbdInteractiveAuthentication },
	{ "tisauthentication", oKbdInteractiveAuthentication },
	{ "hostbasedauthentication", oHostbasedAuthentication },
	{ "numberofpasswordprompts", oNumberOfPasswordPrompts },
	{ "batchmode", oBatchMode },
	{ "connecttimeout", oConnectTimeout },
	{ "connectionattempts", oConnectionAttempts },
	{ "serveraliveinterval", oServerAliveInterval },
	{ "serveralivecountmax", oServerAliveCountMax },
	{ "tcpkeepalive", oTCPKeepAlive },
	{ "keepalive", oTCPKeepAlive },
	{ "stricthostkeychecking", oStrictHostKeyChecking },
	{ "userknownhostsfile", oUserKnownHostsFile },
	{ "globalknownhostsfile", oGlobalKnownHostsFile },
	{ "hashknownhosts", oHashKnownHosts },
	{ "checkhostip", oCheckHostIP },
	{ "updatehostkeys", oUpdateHostKeys },
	{ "visualhostkey", oVisualHostKey },
	{ "warnweakcrypto", oWarnWeakCrypto },
	{ "fingerprinthash", oFingerprintHash },
	{ "loglevel", oLogLevel },
	{ "compression", oCompression },
	{ "rekeylimit", oRekeyLimit },
	{ "sendenv", oSendEnv },
	{ "setenv", oSetEnv },
	{ "requesttty", oRequestTTY },
	{ "remotecommand", oRemoteCommand },
	{ "escapechar", oEscapeChar },
	{ "addressfamily", oAddressFamily },
	{ "bindaddress", oBindAddress },
	{ "bindinterface", oBindInterface },
	{ "proxycommand", oProxyCommand },
	{ "proxyjump", oProxyJump },
	{ "localcommand", oLocalCommand },
	{ "permitlocalcommand", oPermitLocalCommand },
	{ "forwardagent", oForwardAgent },
	{ "forwardx11", oForwardX11 },
	{ "forwardx11trusted", oForwardX11Trusted },
	{ "forwardx11timeout", oForwardX11Timeout },
	{ "xauthlocation", oXAuthLocation },
	{ "localforward", oLocalForward },
	{ "remoteforward", oRemoteForward },
	{ "dynamicforward", oDynamicForward },
	{ "controlmaster", oControlMaster },
	{ "controlpath", oControlPath },
	{ "controlpersist", oControlPersist },
	{ "ignoreunknown", oIgnoreUnknown },
	{ "canonicalizehostname", oCanonicalizeHostname },
	{ "canonicaldomains", oCanonicalDomains },
	{ "canonicalizemaxdots", oCanonicalizeMaxDots },
	{ "canonicalizefallbacklocal", oCanonicalizeFallbackLocal },
	{ "exitonforwardfailure", oExitOnForwardFailure },
	{ "gatewayports", oGatewayPorts },
	{ "streamlocalbindunlink", oStreamLocalBindUnlink },
	{ "tunnel", oTunnel },
	{ "tunneldevice", oTunnelDevice },
	{ "clearallforwardings", oClearAllForwardings },
	{ "hostkeyalias", oHostKeyAlias },
	{ "knownhostscommand", oKnownHostsCommand },
	{ "nohostauthenticationforlocalhost",
	    oNoHostAuthenticationForLocalhost },
	{ "securitykeyprovider", oSecurityKeyProvider },
	{ "obscurekeystroketiming", oObscureKeystrokeTiming },
	{ "enableescapecommandline", oEnableEscapeCommandline },
	{ "revokedhostkeys", oRevokedHostKeys },
	{ "stdinnull", oStdinNull },
	{ "forkafterauthentication", oForkAfterAuthentication },
	{ "sessiontype", oSessionType },
	{ "pkcs11provider", oPKCS11Provider },
	{ "enablesshkeysign", oEnableSSHKeysign },
	{ "proxyusefdpass", oProxyUseFdpass },
	{ "verifyhostkeydns", oVerifyHostKeyDNS },
	{ "requiredrsasize", oRequiredRSASize },
	/* qssh's own */
	{ "cryptobackend", oCryptoBackend },
	{ "cryptoworkers", oCryptoWorkers },
	{ "cryptocores", oCryptoCores },
	{ "cryptoruntime", oCryptoRuntime },
	{ "cryptoealargs", oCryptoEALArgs },
	{ "cryptoworkermode", oCryptoWorkerMode },
};

struct mstate {
	const char *name;
	int value;
};

static const struct mstate ms_flag[] = {
	{ "yes", 1 },
	{ "true", 1 },
	{ "no", 0 },
	{ "false", 0 },
	{ NULL, 0 },
};
static const struct mstate ms_shkc[] = {
	{ "true", 1 },
	{ "false", 0 },
	{ "yes", 1 },
	{ "no", 0 },
	{ "ask", 2 },
	{ "off", 0 },
	{ "accept-new", 3 },
	{ NULL, 0 },
};
static const struct mstate ms_tty[] = {
	{ "no", 0 },
	{ "yes", 1 },
	{ "force", 2 },
	{ "auto", 3 },
	{ "false", 0 },
	{ "true", 1 },
	{ NULL, 0 },
};
static const struct mstate ms_cm[] = {
	{ "yes", 1 },
	{ "no", 0 },
	{ "true", 1 },
	{ "false", 0 },
	{ "auto", 2 },
	{ "ask", 3 },
	{ "autoask", 4 },
	{ NULL, 0 },
};
static const struct mstate ms_tun[] = {
	{ "ethernet", 2 },
	{ "point-to-point", 1 },
	{ "true", 1 },
	{ "yes", 1 },
	{ "false", 0 },
	{ "no", 0 },
	{ NULL, 0 },
};
static const struct mstate ms_canon[] = {
	{ "true", 1 },
	{ "false", 0 },
	{ "yes", 1 },
	{ "no", 0 },
	{ "always", 2 },
	{ NULL, 0 },
};
static const struct mstate ms_pubkey[] = {
	{ "true", 3 },
	{ "false", 0 },
	{ "yes", 3 },
	{ "no", 0 },
	{ "unbound", 1 },
	{ "host-bound", 2 },
	{ NULL, 0 },
};
static const struct mstate ms_uhk[] = {
	{ "true", 1 },
	{ "false", 0 },
	{ "yes", 1 },
	{ "no", 0 },
	{ "ask", 2 },
	{ NULL, 0 },
};
static const struct mstate ms_af[] = {
	{ "inet", 1 },
	{ "inet6", 2 },
	{ "any", 0 },
	{ NULL, 0 },
};
static const struct mstate ms_session[] = {
	{ "none", 0 },
	{ "subsystem", 1 },
	{ "default", 2 },
	{ NULL, 0 },
};
static const struct mstate ms_akta[] = {
	{ "true", 1 },
	{ "false", 0 },
	{ "yes", 1 },
	{ "no", 0 },
	{ "ask", 2 },
	{ "confirm", 3 },
	{ NULL, 0 },
};

static const struct mstate loglevels[] = {
	{ "QUIET", QSSH_LOG_QUIET },
	{ "FATAL", QSSH_LOG_FATAL },
	{ "ERROR", QSSH_LOG_ERROR },
	{ "INFO", QSSH_LOG_INFO },
	{ "VERBOSE", QSSH_LOG_VERBOSE },
	{ "DEBUG", QSSH_LOG_DEBUG1 },
	{ "DEBUG1", QSSH_LOG_DEBUG1 },
	{ "DEBUG2", QSSH_LOG_DEBUG2 },
	{ "DEBUG3", QSSH_LOG_DEBUG3 },
	{ NULL, 0 },
};

static const struct mstate ms_runtime[] = {
	{ "auto", SERVCONF_RUNTIME_AUTO },
	{ "threads", SERVCONF_RUNTIME_THREADS },
	{ "dpdk", SERVCONF_RUNTIME_DPDK },
	{ NULL, 0 },
};

static const struct mstate ms_wmode[] = {
	{ "auto", SERVCONF_WMODE_AUTO },
	{ "inline", SERVCONF_WMODE_INLINE },
	{ "offload", SERVCONF_WMODE_OFFLOAD },
	{ NULL, 0 },
};

static int
ms_lookup(const struct mstate *t, const char *s)
{
	for (; t->name != NULL; t++)
		if (strcasecmp(t->name, s) == 0)
			return t->value;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Options lifecycle                                                   */

void
readconf_init(struct readconf_options *o)
{
	unsigned int i;

	memset(o, 0, sizeof(*o));
	o->port = o->address_family = o->batch_mode = -1;
	o->check_host_ip = o->compression = -1;
	o->connect_timeout = o->connection_attempts = -1;
	o->server_alive_interval = o->server_alive_count_max = -1;
	o->tcp_keep_alive = o->strict_host_key_checking = -1;
	o->hash_known_hosts = o->update_hostkeys = o->visual_host_key = -1;
	o->warn_weak_crypto = -1;
	o->fingerprint_hash = o->log_level = o->request_tty = -1;
	o->escape_char = o->permit_local_command = o->forward_agent = -1;
	o->forward_x11 = o->forward_x11_trusted = -1;
	o->forward_x11_timeout = -1;
	o->identities_only = o->pubkey_authentication = -1;
	o->password_authentication = o->kbd_interactive_authentication = -1;
	o->hostbased_authentication = o->number_of_password_prompts = -1;
	o->add_keys_to_agent = o->add_keys_to_agent_lifetime = -1;
	o->control_master = o->control_persist = -1;
	o->control_persist_timeout = -1;
	o->canonicalize_hostname = o->canonicalize_max_dots = -1;
	o->canonicalize_fallback_local = -1;
	o->exit_on_forward_failure = o->gateway_ports = -1;
	o->stream_local_bind_unlink = -1;
	o->tun_open = o->tun_local = o->tun_remote = -1;
	o->clear_forwardings = -1;
	o->no_host_authentication_for_localhost = -1;
	o->enable_escape_commandline = o->stdin_null = -1;
	o->fork_after_authentication = o->session_type = -1;
	o->enable_ssh_keysign = o->proxy_use_fdpass = -1;
	o->verify_host_key_dns = o->required_rsa_size = -1;
	o->obscure_keystroke_timing = -1;
	for (i = 0; i < READCONF_CRYPTO_POOLS; i++)
		o->crypto_workers[i] = -1;
	o->crypto_runtime = o->crypto_worker_mode = -1;
	o->rekey_limit = -1;
	o->rekey_interval = -1;
}

static void
free_forwards(struct readconf_forward *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		free(f[i].listen_host);
		free(f[i].listen_path);
		free(f[i].connect_host);
		free(f[i].connect_path);
	}
	free(f);
}

static void
free_strv(char **v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
readconf_cleanup(struct readconf_options *o)
{
	unsigned int i;
	char **strs[] = {
		&o->hostname,
		&o->user,
		&o->host_key_alias,
		&o->identity_agent,
		&o->ciphers,
		&o->macs,
		&o->kex_algorithms,
		&o->hostkey_algorithms,
		&o->pubkey_accepted_algorithms,
		&o->hostbased_accepted_algorithms,
		&o->ca_sign_algorithms,
		&o->preferred_authentications,
		&o->proxy_command,
		&o->proxy_jump,
		&o->local_command,
		&o->remote_command,
		&o->control_path,
		&o->bind_address,
		&o->bind_interface,
		&o->known_hosts_command,
		&o->security_key_provider,
		&o->pkcs11_provider,
		&o->revoked_host_keys,
		&o->ignore_unknown,
		&o->forward_agent_sock_path,
		&o->xauth_location,
		&o->crypto_backend,
		&o->crypto_cores,
		&o->crypto_eal_args,
	};

	if (o == NULL)
		return;
	for (i = 0; i < QSSH_ARRAY_LEN(strs); i++)
		free(*strs[i]);
	for (i = 0; i < o->num_identity_files; i++)
		free(o->identity_files[i]);
	for (i = 0; i < o->num_certificate_files; i++)
		free(o->certificate_files[i]);
	for (i = 0; i < o->num_user_hostfiles; i++)
		free(o->user_hostfiles[i]);
	for (i = 0; i < o->num_system_hostfiles; i++)
		free(o->system_hostfiles[i]);
	free_strv(o->canonical_domains, o->num_canonical_domains);
	free_strv(o->send_env, o->num_send_env);
	free_strv(o->set_env, o->num_set_env);
	free_forwards(o->local_forwards, o->num_local_forwards);
	free_forwards(o->remote_forwards, o->num_remote_forwards);
	memset(o, 0, sizeof(*o));
}

/* ------------------------------------------------------------------ */
/* Context                                                             */

void
readconf_ctx_cleanup(struct readconf_ctx *ctx)
{
	if (ctx == NULL)
		return;
	free(ctx->host);
	free(ctx->original_host);
	free(ctx->local_user);
	free(ctx->home);
	free(ctx->thishost);
	free(ctx->shorthost);
	free(ctx->user_config_dir);
	free(ctx->system_config_dir);
	free(ctx->jump_host);
	memset(ctx, 0, sizeof(*ctx));
}

int
readconf_ctx_init(struct readconf_ctx *ctx, const char *host)
{
	struct passwd *pw;
	char hn[256];
	char *dot;
	int r = QSSH_ERR_ALLOC;

	memset(ctx, 0, sizeof(*ctx));
	if ((pw = getpwuid(getuid())) == NULL) {
		qlog_error(
		    "No user exists for uid %lu", (unsigned long)getuid());
		return QSSH_ERR_NOT_FOUND;
	}
	if (gethostname(hn, sizeof(hn)) != 0)
		hn[0] = '\0';
	hn[sizeof(hn) - 1] = '\0';
	ctx->uid = (unsigned long)pw->pw_uid;
	if ((ctx->host = strdup(host)) == NULL ||
	    (ctx->original_host = strdup(host)) == NULL ||
	    (ctx->local_user = strdup(pw->pw_name)) == NULL ||
	    (ctx->home = strdup(pw->pw_dir)) == NULL ||
	    (ctx->thishost = strdup(hn)) == NULL ||
	    (ctx->shorthost = strdup(hn)) == NULL ||
	    (ctx->system_config_dir = strdup("/etc/ssh")) == NULL)
		goto out;
	if ((dot = strchr(ctx->shorthost, '.')) != NULL)
		*dot = '\0';
	if (asprintf(&ctx->user_config_dir, "%s/.ssh", pw->pw_dir) < 0) {
		ctx->user_config_dir = NULL;
		goto out;
	}
	r = 0;
out:
	if (r != 0)
		readconf_ctx_cleanup(ctx);
	return r;
}

int
readconf_ctx_set_host(struct readconf_ctx *ctx, const char *host)
{
	char *n;

	if ((n = strdup(host)) == NULL)
		return QSSH_ERR_ALLOC;
	free(ctx->host);
	ctx->host = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Token expansion                                                     */

char *
readconf_tilde_expand(const struct readconf_ctx *ctx, const char *path)
{
	const char *rest, *home = NULL;
	char *out = NULL, *uname = NULL;
	struct passwd *pw;

	if (path[0] != '~')
		return strdup(path);
	rest = strchr(path, '/');
	if (rest == NULL)
		rest = path + strlen(path);
	if (rest == path + 1) {
		home = ctx != NULL ? ctx->home : NULL;
		if (home == NULL && (pw = getpwuid(getuid())) != NULL)
			home = pw->pw_dir;
	} else {
		if ((uname = strndup(path + 1, (size_t)(rest - path - 1))) ==
		    NULL)
			return NULL;
		if ((pw = getpwnam(uname)) != NULL)
			home = pw->pw_dir;
		free(uname);
	}
	if (home == NULL)
		return NULL;
	/* "~" alone, or "~/x": avoid "//x" when home is "/". */
	if (*rest == '/' && strcmp(home, "/") == 0)
		home = "";
	if (asprintf(&out, "%s%s", home, rest) < 0)
		return NULL;
	return out;
}

static void
conn_hash(const struct readconf_options *o, const struct readconf_ctx *ctx,
    const char *host, const char *portstr, const char *ruser, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *m;

	(void)o;
	hex[0] = '\0';
	if ((m = EVP_MD_CTX_new()) == NULL)
		return;
	if (EVP_DigestInit_ex(m, EVP_sha1(), NULL) == 1 &&
	    EVP_DigestUpdate(m, ctx->thishost, strlen(ctx->thishost)) == 1 &&
	    EVP_DigestUpdate(m, host, strlen(host)) == 1 &&
	    EVP_DigestUpdate(m, portstr, strlen(portstr)) == 1 &&
	    EVP_DigestUpdate(m, ruser, strlen(ruser)) == 1 &&
	    EVP_DigestFinal_ex(m, md, &mdlen) == 1 && mdlen == 20)
		qssh_hex_encode(md, mdlen, hex);
	EVP_MD_CTX_free(m);
}

/* Expand with an explicit set of allowed token letters. */
static char *
expand_tokens(const struct readconf_options *o, const struct readconf_ctx *ctx,
    const char *keyword, const char *s, const char *allowed)
{
	char portstr[16], uidstr[32], hash[41];
	const char *host, *ruser, *v;
	char *out = NULL, *n;
	size_t olen = 0, vl;

	/* HostName itself is expanded against the host as given. */
	host = o->hostname != NULL && strcmp(allowed, "h") != 0 ? o->hostname
								: ctx->host;
	ruser = o->user != NULL ? o->user : ctx->local_user;
	snprintf(portstr, sizeof(portstr), "%d", o->port > 0 ? o->port : 22);
	snprintf(uidstr, sizeof(uidstr), "%lu", ctx->uid);
	hash[0] = '\0';
	if ((out = calloc(1, 1)) == NULL)
		return NULL;
	while (*s != '\0') {
		char one[2] = { 0, 0 };

		if (*s != '%') {
			one[0] = *s++;
			v = one;
		} else {
			char t = s[1];

			if (t == '\0' ||
			    (t != '%' && strchr(allowed, t) == NULL))
				goto bad;
			s += 2;
			switch (t) {
			case '%':
				v = "%";
				break;
			case 'C':
				if (hash[0] == '\0')
					conn_hash(
					    o, ctx, host, portstr, ruser, hash);
				v = hash;
				break;
			case 'd':
				v = ctx->home;
				break;
			case 'h':
				v = host;
				break;
			case 'i':
				v = uidstr;
				break;
			case 'j':
				v = ctx->jump_host != NULL ? ctx->jump_host
				    : (o->proxy_jump != NULL &&
					  strcmp(o->proxy_jump, "none") != 0)
				    ? o->proxy_jump
				    : "";
				break;
			case 'k':
				v = o->host_key_alias != NULL
				    ? o->host_key_alias
				    : ctx->original_host;
				break;
			case 'L':
				v = ctx->shorthost;
				break;
			case 'l':
				v = ctx->thishost;
				break;
			case 'n':
				v = ctx->original_host;
				break;
			case 'p':
				v = portstr;
				break;
			case 'r':
				v = ruser;
				break;
			case 'u':
				v = ctx->local_user;
				break;
			default:
				goto bad;
			}
		}
		vl = strlen(v);
		if ((n = realloc(out, olen + vl + 1)) == NULL) {
			free(out);
			return NULL;
		}
		out = n;
		memcpy(out + olen, v, vl);
		olen += vl;
		out[olen] = '\0';
	}
	return out;
bad:
	qlog_error("percent_expand: unknown key %%%c", s[1]);
	(void)keyword;
	free(out);
	return NULL;
}

#define ALL_TOKENS "CdhijkLlnpru"

char *
readconf_expand_tokens(const struct readconf_options *o,
    const struct readconf_ctx *ctx, const char *keyword, const char *s)
{
	return expand_tokens(o, ctx, keyword, s, ALL_TOKENS);
}

static char *
expand_path(const struct readconf_options *o, const struct readconf_ctx *ctx,
    const char *keyword, const char *s)
{
	char *t, *r;

	if ((t = readconf_tilde_expand(ctx, s)) == NULL)
		return NULL;
	r = readconf_expand_tokens(o, ctx, keyword, t);
	free(t);
	return r;
}

/* ------------------------------------------------------------------ */
/* Forwarding specifications                                           */

/* Split on ':' outside [brackets]; brackets removed.  Returns count. */
static int
split_fwd(char *s, char **f, int max)
{
	int n = 0;
	char *w = s;

	while (n < max) {
		char *start = w;

		if (*w == '[') {
			char *e = strchr(w, ']');
			if (e == NULL)
				return -1;
			*e = '\0';
			f[n++] = w + 1;
			w = e + 1;
			if (*w == '\0')
				return n;
			if (*w != ':')
				return -1;
			w++;
			continue;
		}
		while (*w != '\0' && *w != ':')
			w++;
		f[n++] = start;
		if (*w == '\0')
			return n;
		*w++ = '\0';
	}
	return -1;
}

/*
 * Parse "spec" into fwd.  kind: 'L' local, 'R' remote, 'D' dynamic.
 * 0 or -1.
 */
static int
parse_forward(struct readconf_forward *fwd, const char *spec, int kind)
{
	char *copy, *f[5];
	int n, r = -1;
	const char *lh = NULL, *lp = NULL, *lpath = NULL;
	const char *ch = NULL, *cp = NULL, *cpath = NULL;

	memset(fwd, 0, sizeof(*fwd));
	if ((copy = strdup(spec)) == NULL)
		return -1;
	n = split_fwd(copy, f, 5);
	if (kind == 'D' ||
	    (kind == 'R' && strchr(spec, ' ') == NULL && n >= 1 && n <= 2 &&
		strchr(f[n - 1], '/') == NULL)) {
		if (n == 1)
			lp = f[0];
		else if (n == 2) {
			lh = f[0];
			lp = f[1];
		} else
			goto out;
		if (kind == 'R') {
			ch = "socks";
			cp = "0";
		}
	} else {
		switch (n) {
		case 2:
			if (strchr(f[0], '/') != NULL &&
			    strchr(f[1], '/') != NULL) {
				lpath = f[0];
				cpath = f[1];
			} else if (strchr(f[1], '/') != NULL) {
				lp = f[0];
				cpath = f[1];
			} else
				goto out;
			break;
		case 3:
			if (strchr(f[0], '/') != NULL) {
				lpath = f[0];
				ch = f[1];
				cp = f[2];
			} else if (strchr(f[2], '/') != NULL) {
				lh = f[0];
				lp = f[1];
				cpath = f[2];
			} else {
				lp = f[0];
				ch = f[1];
				cp = f[2];
			}
			break;
		case 4:
			lh = f[0];
			lp = f[1];
			ch = f[2];
			cp = f[3];
			break;
		default:
			goto out;
		}
	}
	if (lpath == NULL) {
		if (lp == NULL || (fwd->listen_port = a2port(lp)) < 0)
			goto out;
		if (kind == 'L' && fwd->listen_port == 0)
			goto out;
	}
	if (cpath == NULL && ch != NULL) {
		if (*ch == '\0' || (fwd->connect_port = a2port(cp)) < 0)
			goto out;
		if (fwd->connect_port == 0 && strcmp(ch, "socks") != 0)
			goto out;
		if (kind == 'R' && strcmp(ch, "socks") == 0 &&
		    strcmp(cp, "0") != 0 && fwd->connect_port == 0)
			goto out;
	}
	if ((lh != NULL && (fwd->listen_host = strdup(lh)) == NULL) ||
	    (lpath != NULL && (fwd->listen_path = strdup(lpath)) == NULL) ||
	    (ch != NULL && (fwd->connect_host = strdup(ch)) == NULL) ||
	    (cpath != NULL && (fwd->connect_path = strdup(cpath)) == NULL))
		goto out;
	r = 0;
out:
	if (r != 0) {
		free(fwd->listen_host);
		free(fwd->listen_path);
		free(fwd->connect_host);
		free(fwd->connect_path);
		memset(fwd, 0, sizeof(*fwd));
	}
	free(copy);
	return r;
}

static int
add_forward(struct readconf_forward **arr, unsigned int *num,
    struct readconf_forward *f)
{
	struct readconf_forward *n;

	if (*num >= 1024)
		return QSSH_ERR_CONFIG;
	if ((n = realloc(*arr, (*num + 1) * sizeof(*n))) == NULL)
		return QSSH_ERR_ALLOC;
	n[(*num)++] = *f;
	memset(f, 0, sizeof(*f));
	*arr = n;
	return 0;
}

/* [user@]host[:port] or ssh:// URI, for ProxyJump validation. */
static bool
valid_jump(const char *s)
{
	char *u = NULL, *h = NULL;
	int p = -1, r;

	r = readconf_parse_destination(s, &u, &h, &p);
	if (r == 0 && strncmp(s, "ssh://", 6) != 0) {
		/* host:port in the plain form */
		char *c = strrchr(h, ':');
		if (c != NULL && strchr(h, ':') == c && a2port(c + 1) <= 0)
			r = -1;
	}
	free(u);
	free(h);
	return r == 0;
}

/* ------------------------------------------------------------------ */
/* Host and Match                                                      */

struct parse_state {
	struct readconf_options *o;
	const struct readconf_ctx *ctx;
	const char *filename;
	int linenum;
	int flags;
	int depth;
};

static int
host_line_matches(const char *host, char **av, int ac)
{
	int i, m = 0, r;

	for (i = 0; i < ac; i++) {
		r = match_hostname(host, av[i]);
		if (r == -1)
			return 0;
		if (r == 1)
			m = 1;
	}
	return m;
}

static int
run_exec(const char *cmd)
{
	pid_t pid;
	int status, devnull;

	qlog_debug("Executing command: '%s'", cmd);
	if ((pid = fork()) == -1) {
		qlog_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if ((devnull = open("/dev/null", O_RDWR)) != -1) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
			if (devnull > STDERR_FILENO)
				close(devnull);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			return -1;
	}
	if (!WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}

/* 1 matched, 0 not, -1 syntax error (logged). */
static int
match_line(struct parse_state *ps, char **av, int ac)
{
	struct readconf_options *o = ps->o;
	const struct readconf_ctx *ctx = ps->ctx;
	char *host = NULL;
	const char *ruser;
	int i, result = 1, attrs = 0, r = -1;
	bool seen_all = false;

	if (o->hostname != NULL) {
		host = expand_tokens(o, ctx, "hostname", o->hostname, "h");
		if (host == NULL)
			goto out;
	} else if ((host = strdup(ctx->host)) == NULL)
		goto out;
	lowercase(host);
	ruser = o->user != NULL ? o->user : ctx->local_user;
	for (i = 0; i < ac; i++) {
		char *attr = av[i];
		bool neg = false;
		int m;

		if (*attr == '!') {
			neg = true;
			attr++;
		}
		if (strcasecmp(attr, "all") == 0 ||
		    strcasecmp(attr, "canonical") == 0 ||
		    strcasecmp(attr, "final") == 0) {
			if (strcasecmp(attr, "all") == 0) {
				if (seen_all || attrs > 0 ||
				    (i + 1 < ac &&
					strcasecmp(av[i + 1], "canonical") !=
					    0 &&
					strcasecmp(av[i + 1], "final") != 0)) {
					qlog_error("%s line %d: 'all' cannot "
						   "be combined with other "
						   "Match attributes",
					    ps->filename, ps->linenum);
					goto out;
				}
				seen_all = true;
				m = 1;
			} else if (strcasecmp(attr, "canonical") == 0) {
				o->has_match_final = true;
				m = (ps->flags & READCONF_POSTCANON) != 0;
			} else {
				o->has_match_final = true;
				m = (ps->flags & READCONF_FINAL) != 0;
			}
			if (m == neg)
				result = 0;
			continue;
		}
		attrs++;
		if (seen_all) {
			qlog_error("%s line %d: 'all' cannot be combined "
				   "with other Match attributes",
			    ps->filename, ps->linenum);
			goto out;
		}
		if (i + 1 >= ac || av[i + 1][0] == '\0') {
			qlog_error("Missing Match criteria for %s", attr);
			goto out;
		}
		i++;
		if (strcasecmp(attr, "host") == 0)
			m = match_hostname(host, av[i]) == 1;
		else if (strcasecmp(attr, "originalhost") == 0)
			m = match_hostname(ctx->original_host, av[i]) == 1;
		else if (strcasecmp(attr, "user") == 0)
			m = match_pattern_list(ruser, av[i], false) == 1;
		else if (strcasecmp(attr, "localuser") == 0)
			m = match_pattern_list(ctx->local_user, av[i], false) ==
			    1;
		else if (strcasecmp(attr, "exec") == 0) {
			char *cmd;

			if (result == 0 || (ps->flags & RC_NEVERMATCH) ||
			    (ps->flags & READCONF_NOEXEC)) {
				m = 0;
				if (result == 0)
					continue;
			} else {
				cmd = expand_tokens(
				    o, ctx, "exec", av[i], "CdhiklLnpru");
				if (cmd == NULL)
					goto out;
				m = run_exec(cmd) == 0;
				free(cmd);
			}
		} else {
			qlog_error("Unsupported Match attribute %s", attr);
			goto out;
		}
		if (m == neg)
			result = 0;
	}
	if (attrs == 0 && !seen_all && ac == 0)
		goto out;
	r = (ps->flags & RC_NEVERMATCH) ? 0 : result;
out:
	free(host);
	return r;
}

/* ------------------------------------------------------------------ */
/* The line processor                                                  */

static int read_file_depth(struct parse_state *parent, const char *path,
    int flags, int depth, int *activep);

static int
process_include(struct parse_state *ps, char **av, int ac, int *activep)
{
	int i, r = 0;
	size_t j;

	for (i = 0; i < ac; i++) {
		char *pat = NULL;
		glob_t g;
		int gr;

		if (av[i][0] == '~' && !(ps->flags & READCONF_USER)) {
			qlog_error("%s line %d: tilde expansion not supported "
				   "for system includes",
			    ps->filename, ps->linenum);
			return QSSH_ERR_CONFIG;
		}
		if (av[i][0] == '~')
			pat = readconf_tilde_expand(ps->ctx, av[i]);
		else if (av[i][0] == '/')
			pat = strdup(av[i]);
		else if (asprintf(&pat, "%s/%s",
			     (ps->flags & READCONF_USER)
				 ? ps->ctx->user_config_dir
				 : ps->ctx->system_config_dir,
			     av[i]) < 0)
			pat = NULL;
		if (pat == NULL)
			return QSSH_ERR_ALLOC;
		memset(&g, 0, sizeof(g));
		gr = glob(pat, 0, NULL, &g);
		if (gr == GLOB_NOMATCH) {
			qlog_debug("%s line %d: include %s matched no files",
			    ps->filename, ps->linenum, pat);
			free(pat);
			continue;
		}
		if (gr != 0) {
			qlog_error("%s line %d: include \"%s\" glob failed",
			    ps->filename, ps->linenum, pat);
			free(pat);
			return QSSH_ERR_CONFIG;
		}
		for (j = 0; j < g.gl_pathc && r == 0; j++) {
			int fl = ps->flags;
			int sub_active = *activep;

			if (!*activep)
				fl |= RC_NEVERMATCH;
			/*
			 * Each included file starts in the including block's
			 * state, and a Host/Match inside it does not leak
			 * out of it.
			 */
			r = read_file_depth(
			    ps, g.gl_pathv[j], fl, ps->depth + 1, &sub_active);
			if (r == QSSH_ERR_NOT_FOUND)
				r = 0;
		}
		globfree(&g);
		free(pat);
		if (r != 0)
			return r;
	}
	return 0;
}

/* The words joined with single spaces (malloc'd), or NULL. */
static char *
join_words(char **av, int ac)
{
	size_t len = 1, off = 0, l;
	char *s;
	int i;

	for (i = 0; i < ac; i++) {
		l = strlen(av[i]);
		if (l > SIZE_MAX / 2 - len)
			return NULL;
		len += l + 1;
	}
	if ((s = malloc(len)) == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < ac; i++) {
		l = strlen(av[i]);
		if (i > 0)
			s[off++] = ' ';
		memcpy(s + off, av[i], l);
		off += l;
	}
	s[off] = '\0';
	return s;
}

#define BAD(...)                                        \
	do {                                            \
		qlog_error("%s line %d: " __VA_ARGS__); \
	} while (0)

static int
process_line(struct parse_state *ps, char *line, int *activep)
{
	struct readconf_options *o = ps->o;
	const char *fn = ps->filename;
	int ln = ps->linenum;
	char *av[MAX_ARGS], *kw, *p, *rest, *bad = NULL;
	int ac = 0, i, v, active = *activep, r = QSSH_ERR_CONFIG;
	long t;
	size_t k, len;
	enum op op = oBad;
	struct readconf_forward fwd;

	memset(&fwd, 0, sizeof(fwd));
	/* Strip trailing whitespace. */
	len = strlen(line);
	while (len > 0 &&
	    (line[len - 1] == ' ' || line[len - 1] == '\t' ||
		line[len - 1] == '\r' || line[len - 1] == '\n' ||
		line[len - 1] == '\f'))
		line[--len] = '\0';
	p = line;
	while (*p == ' ' || *p == '\t' || *p == '\f')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	kw = p;
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '=')
		p++;
	if (*p != '\0') {
		bool eq = *p == '=';
		*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (!eq && *p == '=') {
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
		}
	}
	lowercase(kw);
	rest = p;
	for (k = 0; k < QSSH_ARRAY_LEN(keywords); k++)
		if (strcmp(keywords[k].name, kw) == 0) {
			op = keywords[k].op;
			break;
		}
	if (op == oBad) {
		if (o->ignore_unknown != NULL &&
		    match_pattern_list(kw, o->ignore_unknown, true) == 1) {
			qlog_debug("%s line %d: Ignored unknown option \"%s\"",
			    fn, ln, kw);
			return 0;
		}
		qlog_error(
		    "%s: line %d: Bad configuration option: %s", fn, ln, kw);
		return QSSH_ERR_CONFIG;
	}
	/* Commands take the rest of the line unsplit. */
	if (op == oProxyCommand || op == oLocalCommand ||
	    op == oRemoteCommand || op == oKnownHostsCommand) {
		if (*rest == '\0') {
			BAD("no argument after keyword \"%s\"", fn, ln, kw);
			return QSSH_ERR_CONFIG;
		}
		if (!active)
			return 0;
		switch (op) {
		case oProxyCommand:
			if (o->proxy_jump == NULL)
				return set_str(&o->proxy_command, rest);
			return 0;
		case oLocalCommand:
			return set_str(&o->local_command, rest);
		case oRemoteCommand:
			return set_str(&o->remote_command, rest);
		default:
			return set_str(&o->known_hosts_command, rest);
		}
	}
	if (split_args(rest, av, MAX_ARGS, &ac) != 0) {
		BAD("invalid quotes", fn, ln);
		return QSSH_ERR_CONFIG;
	}
	switch (op) {
	case oDeprecated:
		qlog_debug("%s line %d: Deprecated option \"%s\"", fn, ln, kw);
		return 0;
	case oUnsupported:
		qlog_error("%s line %d: Unsupported option \"%s\"", fn, ln, kw);
		return 0;
	case oIgnore:
		return 0;
	default:
		break;
	}
	if (ac == 0) {
		BAD("no argument after keyword \"%s\"", fn, ln, kw);
		return QSSH_ERR_CONFIG;
	}

/* Single-argument keywords: check the count first. */
#define ONE_ARG()                                                  \
	do {                                                       \
		if (ac > 1) {                                      \
			qlog_error("%s line %d: keyword %s extra " \
				   "arguments at end of line",     \
			    fn, ln, kw);                           \
			goto out;                                  \
		}                                                  \
	} while (0)
#define MSTATE(tab, field)                                                \
	do {                                                              \
		ONE_ARG();                                                \
		if ((v = ms_lookup(tab, av[0])) < 0) {                    \
			BAD("unsupported option \"%s\".", fn, ln, av[0]); \
			goto out;                                         \
		}                                                         \
		if (active && o->field == -1)                             \
			o->field = v;                                     \
	} while (0)
#define STRING(field)                                               \
	do {                                                        \
		ONE_ARG();                                          \
		if (active && (r = set_str(&o->field, av[0])) != 0) \
			goto out;                                   \
	} while (0)
#define INTEGER(field)                                                   \
	do {                                                             \
		char *ep_;                                               \
		long n_;                                                 \
		ONE_ARG();                                               \
		errno = 0;                                               \
		n_ = strtol(av[0], &ep_, 10);                            \
		if (*av[0] == '\0' || *ep_ != '\0' || errno != 0 ||      \
		    n_ > INT_MAX) {                                      \
			if (errno == ERANGE && n_ < 0)                   \
				BAD("integer value too small.", fn, ln); \
			else if (*ep_ == '\0' && *av[0] != '\0')         \
				BAD("integer value too large.", fn, ln); \
			else                                             \
				BAD("integer value invalid.", fn, ln);   \
			goto out;                                        \
		}                                                        \
		if (n_ < -1) {                                           \
			BAD("integer value too small.", fn, ln);         \
			goto out;                                        \
		}                                                        \
		if (active && o->field == -1)                            \
			o->field = (int)n_;                              \
	} while (0)
#define TIME(field)                                         \
	do {                                                \
		ONE_ARG();                                  \
		if ((t = convtime(av[0])) < 0) {            \
			BAD("invalid time value.", fn, ln); \
			goto out;                           \
		}                                           \
		if (active && o->field == -1)               \
			o->field = (int)t;                  \
	} while (0)

	switch (op) {
	case oHost:
		if (ps->flags & RC_NEVERMATCH)
			*activep = 0;
		else
			*activep = host_line_matches(ps->ctx->host, av, ac);
		if (*activep)
			qlog_debug2("%s line %d: Applying options for %s", fn,
			    ln, ps->ctx->host);
		r = 0;
		goto out;
	case oMatch:
		if ((v = match_line(ps, av, ac)) < 0) {
			BAD("Bad Match condition", fn, ln);
			goto out;
		}
		*activep = v;
		r = 0;
		goto out;
	case oInclude:
		if (ps->flags & RC_NOINCLUDE) {
			r = 0;
			goto out;
		}
		if (strcmp(fn, CMDLINE_NAME) == 0) {
			BAD("Include directive not supported as a "
			    "command-line option",
			    fn, ln);
			goto out;
		}
		r = process_include(ps, av, ac, activep);
		goto out;
	case oHostname:
		ONE_ARG();
		if (strchr(av[0], '%') != NULL) {
			const char *q;
			for (q = av[0]; (q = strchr(q, '%')) != NULL; q += 2)
				if (q[1] != 'h' && q[1] != '%') {
					qlog_error("percent_expand: unknown "
						   "key %%%c",
					    q[1]);
					goto out;
				}
		}
		STRING(hostname);
		break;
	case oPort:
		ONE_ARG();
		if ((v = a2port(av[0])) <= 0) {
			BAD("Bad port '%s'.", fn, ln, av[0]);
			goto out;
		}
		if (active && o->port == -1)
			o->port = v;
		break;
	case oUser:
		STRING(user);
		break;
	case oIdentityFile:
	case oCertificateFile: {
		char **arr = op == oIdentityFile ? o->identity_files
						 : o->certificate_files;
		unsigned int *num = op == oIdentityFile
		    ? &o->num_identity_files
		    : &o->num_certificate_files;
		ONE_ARG();
		if (!active)
			break;
		if (*num >= READCONF_MAX_IDENTITY) {
			if (op == oIdentityFile)
				BAD("Too many identity files specified "
				    "(max %d).",
				    fn, ln, READCONF_MAX_IDENTITY);
			else
				BAD("Too many certificate files specified "
				    "(max %d)",
				    fn, ln, READCONF_MAX_IDENTITY);
			goto out;
		}
		for (i = 0; i < (int)*num; i++)
			if (strcmp(arr[i], av[0]) == 0)
				break;
		if (i < (int)*num)
			break;
		if ((arr[*num] = strdup(av[0])) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		if (op == oIdentityFile)
			o->identity_file_userprovided[*num] =
			    strcmp(fn, CMDLINE_NAME) == 0 ||
			    (ps->flags & READCONF_USER) != 0;
		(*num)++;
		break;
	}
	case oIdentitiesOnly:
		MSTATE(ms_flag, identities_only);
		break;
	case oIdentityAgent:
		ONE_ARG();
		if (strcmp(av[0], "none") != 0 &&
		    strcmp(av[0], "SSH_AUTH_SOCK") != 0) {
			const char *e = check_env_path(av[0]);
			if (e != NULL) {
				BAD("%s %s.", fn, ln, e, av[0]);
				goto out;
			}
		}
		STRING(identity_agent);
		break;
	case oAddKeysToAgent: {
		int val = 1, life = 0;
		if (ac > 2) {
			ONE_ARG();
		}
		if ((v = ms_lookup(ms_akta, av[0])) >= 0) {
			val = v;
			if (ac == 2) {
				if ((t = convtime(av[1])) <= 0) {
					BAD("invalid time value.", fn, ln);
					goto out;
				}
				life = (int)t;
			}
		} else if ((t = convtime(av[0])) > 0 && ac == 1) {
			life = (int)t;
		} else {
			BAD("unsupported option", fn, ln);
			goto out;
		}
		if (active && o->add_keys_to_agent == -1) {
			o->add_keys_to_agent = val;
			o->add_keys_to_agent_lifetime = life;
		}
		break;
	}
	case oKexAlgorithms:
	case oCiphers:
	case oMacs:
	case oHostKeyAlgorithms:
	case oPubkeyAcceptedAlgorithms:
	case oHostbasedAcceptedAlgorithms:
	case oCASignatureAlgorithms: {
		const char *kind = op == oKexAlgorithms ? "kex"
		    : op == oCiphers			? "cipher"
		    : op == oMacs			? "mac"
							: "key";
		char **field = op == oKexAlgorithms ? &o->kex_algorithms
		    : op == oCiphers		    ? &o->ciphers
		    : op == oMacs		    ? &o->macs
		    : op == oHostKeyAlgorithms	    ? &o->hostkey_algorithms
		    : op == oPubkeyAcceptedAlgorithms
		    ? &o->pubkey_accepted_algorithms
		    : op == oHostbasedAcceptedAlgorithms
		    ? &o->hostbased_accepted_algorithms
		    : &o->ca_sign_algorithms;
		ONE_ARG();
		if (!algs_valid(kind, av[0], strcmp(kind, "key") == 0, &bad)) {
			if (op == oKexAlgorithms) {
				if (bad != NULL)
					qlog_error("Unsupported KEX algorithm "
						   "\"%s\"",
					    bad);
				BAD("Bad SSH2 KexAlgorithms '%s'.", fn, ln,
				    av[0]);
			} else if (op == oCiphers)
				BAD("Bad SSH2 cipher spec '%s'.", fn, ln,
				    av[0]);
			else if (op == oMacs)
				BAD("Bad SSH2 MAC spec '%s'.", fn, ln, av[0]);
			else
				BAD("Bad key types '%s'.", fn, ln, av[0]);
			goto out;
		}
		if (active && (r = set_str(field, av[0])) != 0)
			goto out;
		break;
	}
	case oPreferredAuthentications:
		STRING(preferred_authentications);
		break;
	case oPubkeyAuthentication:
		MSTATE(ms_pubkey, pubkey_authentication);
		break;
	case oPasswordAuthentication:
		MSTATE(ms_flag, password_authentication);
		break;
	case oKbdInteractiveAuthentication:
		MSTATE(ms_flag, kbd_interactive_authentication);
		break;
	case oHostbasedAuthentication:
		MSTATE(ms_flag, hostbased_authentication);
		break;
	case oNumberOfPasswordPrompts:
		INTEGER(number_of_password_prompts);
		break;
	case oBatchMode:
		MSTATE(ms_flag, batch_mode);
		break;
	case oConnectTimeout:
		TIME(connect_timeout);
		break;
	case oConnectionAttempts:
		INTEGER(connection_attempts);
		break;
	case oServerAliveInterval:
		TIME(server_alive_interval);
		break;
	case oServerAliveCountMax:
		INTEGER(server_alive_count_max);
		break;
	case oTCPKeepAlive:
		MSTATE(ms_flag, tcp_keep_alive);
		break;
	case oStrictHostKeyChecking:
		MSTATE(ms_shkc, strict_host_key_checking);
		break;
	case oUserKnownHostsFile:
	case oGlobalKnownHostsFile: {
		char **arr = op == oUserKnownHostsFile ? o->user_hostfiles
						       : o->system_hostfiles;
		unsigned int *num = op == oUserKnownHostsFile
		    ? &o->num_user_hostfiles
		    : &o->num_system_hostfiles;
		if (ac > READCONF_MAX_HOSTFILES) {
			BAD("Too many known hosts (max %d).", fn, ln,
			    READCONF_MAX_HOSTFILES);
			goto out;
		}
		if (!active || *num != 0)
			break;
		for (i = 0; i < ac; i++) {
			if ((arr[*num] = strdup(av[i])) == NULL) {
				r = QSSH_ERR_ALLOC;
				goto out;
			}
			(*num)++;
		}
		break;
	}
	case oHashKnownHosts:
		MSTATE(ms_flag, hash_known_hosts);
		break;
	case oCheckHostIP:
		MSTATE(ms_flag, check_host_ip);
		break;
	case oUpdateHostKeys:
		MSTATE(ms_uhk, update_hostkeys);
		break;
	case oVisualHostKey:
		MSTATE(ms_flag, visual_host_key);
		break;
	case oWarnWeakCrypto:
		MSTATE(ms_flag, warn_weak_crypto);
		break;
	case oFingerprintHash:
		ONE_ARG();
		if (strcasecmp(av[0], "md5") == 0)
			v = 0;
		else if (strcasecmp(av[0], "sha256") == 0)
			v = 1;
		else {
			BAD("Invalid hash algorithm \"%s\".", fn, ln, av[0]);
			goto out;
		}
		if (active && o->fingerprint_hash == -1)
			o->fingerprint_hash = v;
		break;
	case oLogLevel:
		ONE_ARG();
		if ((v = ms_lookup(loglevels, av[0])) < 0) {
			BAD("unsupported log level '%s'", fn, ln, av[0]);
			goto out;
		}
		if (active && o->log_level == -1)
			o->log_level = v;
		break;
	case oCompression:
		MSTATE(ms_flag, compression);
		break;
	case oRekeyLimit: {
		long long bytes = 0;
		int secs = 0;
		if (ac > 2) {
			ONE_ARG();
		}
		if (strcmp(av[0], "default") != 0) {
			if (scan_scaled(av[0], &bytes) != 0) {
				BAD("Bad number '%s': %s", fn, ln, av[0],
				    strerror(EINVAL));
				goto out;
			}
			if (bytes != 0 && bytes < 16) {
				BAD("RekeyLimit too small", fn, ln);
				goto out;
			}
		}
		if (ac == 2 && strcmp(av[1], "none") != 0 &&
		    strcmp(av[1], "default") != 0) {
			if ((t = convtime(av[1])) < 0) {
				BAD("invalid time value.", fn, ln);
				goto out;
			}
			secs = (int)t;
		}
		if (active && o->rekey_limit == -1) {
			o->rekey_limit = bytes;
			o->rekey_interval = secs;
		}
		break;
	}
	case oSendEnv:
		for (i = 0; i < ac; i++) {
			const char *a = av[i];
			unsigned int j;

			if (strchr(a, '=') != NULL || *a == '\0') {
				BAD("Invalid environment name.", fn, ln);
				goto out;
			}
			if (!active)
				continue;
			if (*a == '-') {
				unsigned int w = 0;
				for (j = 0; j < o->num_send_env; j++) {
					if (match_pattern(
						o->send_env[j], a + 1))
						free(o->send_env[j]);
					else
						o->send_env[w++] =
						    o->send_env[j];
				}
				o->num_send_env = w;
				continue;
			}
			for (j = 0; j < o->num_send_env; j++)
				if (strcmp(o->send_env[j], a) == 0)
					break;
			if (j < o->num_send_env)
				continue;
			if ((r = push_str(&o->send_env, &o->num_send_env, a)) !=
			    0)
				goto out;
		}
		break;
	case oSetEnv: {
		bool first = o->num_set_env == 0;
		for (i = 0; i < ac; i++) {
			if (strchr(av[i], '=') == NULL) {
				BAD("Invalid SetEnv.", fn, ln);
				goto out;
			}
		}
		if (!active || !first)
			break;
		for (i = 0; i < ac; i++)
			if ((r = push_str(
				 &o->set_env, &o->num_set_env, av[i])) != 0)
				goto out;
		break;
	}
	case oRequestTTY:
		MSTATE(ms_tty, request_tty);
		break;
	case oEscapeChar:
		ONE_ARG();
		if (strcmp(av[0], "none") == 0)
			v = READCONF_ESCAPE_NONE;
		else if (av[0][0] == '^' && av[0][1] != '\0' &&
		    av[0][2] == '\0' && (unsigned char)av[0][1] >= 64 &&
		    (unsigned char)av[0][1] < 128)
			v = (unsigned char)av[0][1] & 31;
		else if (strlen(av[0]) == 1)
			v = (unsigned char)av[0][0];
		else {
			BAD("Bad escape character.", fn, ln);
			goto out;
		}
		if (active && o->escape_char == -1)
			o->escape_char = v;
		break;
	case oAddressFamily:
		MSTATE(ms_af, address_family);
		break;
	case oBindAddress:
		STRING(bind_address);
		break;
	case oBindInterface:
		STRING(bind_interface);
		break;
	case oProxyJump:
		ONE_ARG();
		if (strcmp(av[0], "none") != 0) {
			char *c = strdup(av[0]), *s2 = NULL, *e;
			bool ok = c != NULL;
			for (e = ok ? strtok_r(c, ",", &s2) : NULL; e != NULL;
			     e = strtok_r(NULL, ",", &s2))
				if (!valid_jump(e))
					ok = false;
			free(c);
			if (!ok) {
				BAD("Invalid ProxyJump \"%s\"", fn, ln, av[0]);
				goto out;
			}
		}
		if (active && o->proxy_command == NULL &&
		    (r = set_str(&o->proxy_jump, av[0])) != 0)
			goto out;
		break;
	case oPermitLocalCommand:
		MSTATE(ms_flag, permit_local_command);
		break;
	case oForwardAgent:
		ONE_ARG();
		if ((v = ms_lookup(ms_flag, av[0])) < 0) {
			const char *e = check_env_path(av[0]);
			if (e != NULL) {
				BAD("%s %s.", fn, ln, e, av[0]);
				goto out;
			}
			if (active && o->forward_agent == -1) {
				o->forward_agent = 1;
				if ((r = set_str(&o->forward_agent_sock_path,
					 av[0])) != 0)
					goto out;
			}
		} else if (active && o->forward_agent == -1)
			o->forward_agent = v;
		break;
	case oForwardX11:
		MSTATE(ms_flag, forward_x11);
		break;
	case oForwardX11Trusted:
		MSTATE(ms_flag, forward_x11_trusted);
		break;
	case oForwardX11Timeout:
		TIME(forward_x11_timeout);
		break;
	case oXAuthLocation:
		STRING(xauth_location);
		break;
	case oLocalForward:
	case oRemoteForward:
	case oDynamicForward: {
		char *spec = NULL;
		int kind = op == oLocalForward ? 'L'
		    : op == oRemoteForward     ? 'R'
					       : 'D';
		if (kind == 'L' && ac < 2) {
			BAD("Missing target argument.", fn, ln);
			goto out;
		}
		if (ac > 2 || (kind == 'D' && ac > 1)) {
			ONE_ARG();
			goto out;
		}
		if (ac == 2) {
			if (asprintf(&spec, "%s:%s", av[0], av[1]) < 0) {
				r = QSSH_ERR_ALLOC;
				goto out;
			}
		} else if ((spec = strdup(av[0])) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		v = parse_forward(
		    &fwd, spec, ac == 1 && kind == 'R' ? 'D' : kind);
		free(spec);
		if (v != 0) {
			BAD("Bad forwarding specification.", fn, ln);
			goto out;
		}
		if (kind == 'R' && ac == 1) {
			if ((fwd.connect_host = strdup("socks")) == NULL) {
				r = QSSH_ERR_ALLOC;
				goto out;
			}
			fwd.connect_port = 0;
		}
		if (active) {
			r = kind == 'R' ? add_forward(&o->remote_forwards,
					      &o->num_remote_forwards, &fwd)
					: add_forward(&o->local_forwards,
					      &o->num_local_forwards, &fwd);
			if (r != 0)
				goto out;
		}
		break;
	}
	case oControlMaster:
		MSTATE(ms_cm, control_master);
		break;
	case oControlPath:
		STRING(control_path);
		break;
	case oControlPersist:
		ONE_ARG();
		if ((v = ms_lookup(ms_flag, av[0])) >= 0)
			t = 0;
		else if ((t = convtime(av[0])) >= 0)
			v = 1;
		else {
			BAD("Bad ControlPersist argument.", fn, ln);
			goto out;
		}
		if (active && o->control_persist == -1) {
			o->control_persist = v;
			o->control_persist_timeout = (int)t;
		}
		break;
	case oIgnoreUnknown:
		STRING(ignore_unknown);
		break;
	case oCanonicalizeHostname:
		MSTATE(ms_canon, canonicalize_hostname);
		break;
	case oCanonicalDomains:
		for (i = 0; i < ac; i++) {
			const char *q;
			for (q = av[i]; *q != '\0'; q++)
				if (!isalnum((unsigned char)*q) && *q != '.' &&
				    *q != '-' && *q != '_') {
					BAD("Invalid domain name \"%s\".", fn,
					    ln, av[i]);
					goto out;
				}
		}
		if (!active || o->num_canonical_domains != 0)
			break;
		for (i = 0; i < ac; i++)
			if ((r = push_str(&o->canonical_domains,
				 &o->num_canonical_domains, av[i])) != 0)
				goto out;
		break;
	case oCanonicalizeMaxDots:
		INTEGER(canonicalize_max_dots);
		break;
	case oCanonicalizeFallbackLocal:
		MSTATE(ms_flag, canonicalize_fallback_local);
		break;
	case oExitOnForwardFailure:
		MSTATE(ms_flag, exit_on_forward_failure);
		break;
	case oGatewayPorts:
		MSTATE(ms_flag, gateway_ports);
		break;
	case oStreamLocalBindUnlink:
		MSTATE(ms_flag, stream_local_bind_unlink);
		break;
	case oTunnel:
		MSTATE(ms_tun, tun_open);
		break;
	case oTunnelDevice: {
		char *c = strchr(av[0], ':');
		int lv, rv = READCONF_TUN_ANY;
		ONE_ARG();
		if (c != NULL)
			*c++ = '\0';
		lv = strcasecmp(av[0], "any") == 0 ? READCONF_TUN_ANY : -1;
		if (lv == -1) {
			char *ep;
			long n = strtol(av[0], &ep, 10);
			if (*av[0] == '\0' || *ep != '\0' || n < 0 ||
			    n >= READCONF_TUN_ANY - 1) {
				BAD("Bad tun device.", fn, ln);
				goto out;
			}
			lv = (int)n;
		}
		if (c != NULL && strcasecmp(c, "any") != 0) {
			char *ep;
			long n = strtol(c, &ep, 10);
			if (*c == '\0' || *ep != '\0' || n < 0 ||
			    n >= READCONF_TUN_ANY - 1) {
				BAD("Bad tun device.", fn, ln);
				goto out;
			}
			rv = (int)n;
		}
		if (active && o->tun_local == -1) {
			o->tun_local = lv;
			o->tun_remote = rv;
		}
		break;
	}
	case oClearAllForwardings:
		MSTATE(ms_flag, clear_forwardings);
		break;
	case oHostKeyAlias:
		STRING(host_key_alias);
		break;
	case oNoHostAuthenticationForLocalhost:
		MSTATE(ms_flag, no_host_authentication_for_localhost);
		break;
	case oSecurityKeyProvider:
		STRING(security_key_provider);
		break;
	case oObscureKeystrokeTiming:
		ONE_ARG();
		if ((v = ms_lookup(ms_flag, av[0])) < 0) {
			if (strncmp(av[0], "interval:", 9) == 0 &&
			    av[0][9] != '\0' &&
			    strspn(av[0] + 9, "0123456789") ==
				strlen(av[0] + 9))
				v = atoi(av[0] + 9) > 0 ? 1 : 0;
			else {
				BAD("unsupported option \"%s\".", fn, ln,
				    av[0]);
				goto out;
			}
		}
		if (active && o->obscure_keystroke_timing == -1)
			o->obscure_keystroke_timing = v;
		break;
	case oEnableEscapeCommandline:
		MSTATE(ms_flag, enable_escape_commandline);
		break;
	case oRevokedHostKeys:
		STRING(revoked_host_keys);
		break;
	case oStdinNull:
		MSTATE(ms_flag, stdin_null);
		break;
	case oForkAfterAuthentication:
		MSTATE(ms_flag, fork_after_authentication);
		break;
	case oSessionType:
		MSTATE(ms_session, session_type);
		break;
	case oPKCS11Provider:
		STRING(pkcs11_provider);
		break;
	case oEnableSSHKeysign:
		MSTATE(ms_flag, enable_ssh_keysign);
		break;
	case oProxyUseFdpass:
		MSTATE(ms_flag, proxy_use_fdpass);
		break;
	case oVerifyHostKeyDNS:
		MSTATE(ms_uhk, verify_host_key_dns);
		break;
	case oRequiredRSASize:
		INTEGER(required_rsa_size);
		break;
	case oCryptoBackend:
		ONE_ARG();
		if (strcmp(av[0], "auto") != 0 &&
		    cryp_backend_from_name(av[0], NULL) != 0) {
			BAD("bad CryptoBackend argument \"%s\" (auto, openssl, "
			    "ipsec-mb or cryptodev).",
			    fn, ln, av[0]);
			goto out;
		}
		if (active && (r = set_str(&o->crypto_backend, av[0])) != 0)
			goto out;
		break;
	case oCryptoWorkers: {
		int w[READCONF_CRYPTO_POOLS];
		const char *why;

		ONE_ARG();
		if (servconf_crypto_workers_parse(av[0], w, &why) != 0) {
			BAD("bad CryptoWorkers argument \"%s\" (%s).", fn, ln,
			    av[0], why);
			goto out;
		}
		if (active && o->crypto_workers[0] == -1)
			memcpy(o->crypto_workers, w, sizeof(w));
		break;
	}
	case oCryptoRuntime:
		ONE_ARG();
		if ((v = ms_lookup(ms_runtime, av[0])) < 0) {
			BAD("bad CryptoRuntime argument \"%s\" (auto, threads "
			    "or dpdk).",
			    fn, ln, av[0]);
			goto out;
		}
		if (active && o->crypto_runtime == -1)
			o->crypto_runtime = v;
		break;
	case oCryptoWorkerMode:
		ONE_ARG();
		if ((v = ms_lookup(ms_wmode, av[0])) < 0) {
			BAD("bad CryptoWorkerMode argument \"%s\" (auto, "
			    "inline or offload).",
			    fn, ln, av[0]);
			goto out;
		}
		if (active && o->crypto_worker_mode == -1)
			o->crypto_worker_mode = v;
		break;
	case oCryptoEALArgs: {
		const char *why;
		char *eal;

		if ((eal = join_words(av, ac)) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		if ((why = servconf_crypto_eal_args_check(eal)) != NULL) {
			BAD("bad CryptoEALArgs argument \"%s\" (%s).", fn, ln,
			    eal, why);
			free(eal);
			goto out;
		}
		if (active && o->crypto_eal_args == NULL) {
			o->crypto_eal_args = eal;
			eal = NULL;
		}
		free(eal);
		break;
	}
	case oCryptoCores: {
		uint32_t cores[WRK_CORES_MAX], num = 0;

		ONE_ARG();
		if (strcmp(av[0], "any") != 0 &&
		    (wrk_cores_parse(av[0], cores, WRK_CORES_MAX, &num) != 0 ||
			num == 0)) {
			BAD("bad CryptoCores argument \"%s\" (any, or core "
			    "numbers and ranges such as 0-1,3).",
			    fn, ln, av[0]);
			goto out;
		}
		if (active && (r = set_str(&o->crypto_cores, av[0])) != 0)
			goto out;
		break;
	}
	default:
		qlog_error(
		    "%s line %d: Unimplemented opcode %d", fn, ln, (int)op);
		goto out;
	}
	r = 0;
out:
	free(fwd.listen_host);
	free(fwd.listen_path);
	free(fwd.connect_host);
	free(fwd.connect_path);
	free(bad);
	return r;
#undef ONE_ARG
#undef MSTATE
#undef STRING
#undef INTEGER
#undef TIME
}

int
readconf_process_line(struct readconf_options *o,
    const struct readconf_ctx *ctx, const char *line, const char *filename,
    int linenum, int *activep, int flags)
{
	struct parse_state ps = { o, ctx, filename, linenum, flags, 0 };
	int active = 1, r;
	char *copy;

	if ((copy = strdup(line)) == NULL)
		return QSSH_ERR_ALLOC;
	r = process_line(&ps, copy, activep != NULL ? activep : &active);
	free(copy);
	return r;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

static int
read_text(struct parse_state *ps, const char *text, size_t len, int *activep)
{
	size_t off = 0;
	int bad = 0, r;

	ps->linenum = 0;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t ll =
		    nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		char *line;

		ps->linenum++;
		if ((line = strndup(text + off, ll)) == NULL)
			return QSSH_ERR_ALLOC;
		r = process_line(ps, line, activep);
		free(line);
		if (r == QSSH_ERR_ALLOC || r == RC_ERR_FATAL)
			return r;
		if (r != 0)
			bad++;
		off += ll;
		if (nl != NULL)
			off++;
	}
	if (bad > 0) {
		qlog_error("%s: terminating, %d bad configuration options",
		    ps->filename, bad);
		return QSSH_ERR_CONFIG;
	}
	return 0;
}

static int
read_file_depth(struct parse_state *parent, const char *path, int flags,
    int depth, int *activep)
{
	struct parse_state ps;
	struct stat st;
	char *text = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd = -1, r = QSSH_ERR_SYSTEM;

	if (depth > READCONF_MAX_INCLUDE_DEPTH) {
		qlog_error("Too many recursive configuration includes");
		return RC_ERR_FATAL;
	}
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return QSSH_ERR_NOT_FOUND;
		qlog_error("Can't open user config file %s: %s", path,
		    strerror(errno));
		return QSSH_ERR_SYSTEM;
	}
	if (fstat(fd, &st) != 0)
		goto out;
	if (S_ISDIR(st.st_mode)) {
		r = QSSH_ERR_NOT_FOUND;
		goto out;
	}
	if ((flags & READCONF_CHECKPERM) &&
	    ((st.st_uid != 0 && st.st_uid != getuid()) ||
		(st.st_mode & 022) != 0)) {
		qlog_error("Bad owner or permissions on %s", path);
		r = QSSH_ERR_ACCESS;
		goto out;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nt;
			if (cap > (size_t)16 * 1024 * 1024) {
				qlog_error("%s: file too large", path);
				r = QSSH_ERR_CONFIG;
				goto out;
			}
			if ((nt = realloc(text, cap + 65536)) == NULL) {
				r = QSSH_ERR_ALLOC;
				goto out;
			}
			text = nt;
			cap += 65536;
		}
		n = read(fd, text + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	qlog_debug("Reading configuration data %s", path);
	ps.o = parent->o;
	ps.ctx = parent->ctx;
	ps.filename = path;
	ps.flags = flags;
	ps.depth = depth;
	ps.linenum = 0;
	r = read_text(&ps, text != NULL ? text : "", len, activep);
out:
	if (fd != -1)
		close(fd);
	free(text);
	return r;
}

int
readconf_read_file(struct readconf_options *o, const struct readconf_ctx *ctx,
    const char *path, int flags)
{
	struct parse_state ps = { o, ctx, path, 0, flags, 0 };
	int active = 1, r;

	r = read_file_depth(&ps, path, flags, 0, &active);
	return r == RC_ERR_FATAL ? QSSH_ERR_CONFIG : r;
}

int
readconf_read_text(struct readconf_options *o, const struct readconf_ctx *ctx,
    const char *text, size_t len, const char *name, int flags)
{
	struct parse_state ps = { o, ctx, name, 0, flags, 0 };
	int active = 1, r;

	if (flags & READCONF_NOEXEC)
		ps.flags |= RC_NOINCLUDE;
	r = read_text(&ps, text, len, &active);
	return r == RC_ERR_FATAL ? QSSH_ERR_CONFIG : r;
}

/* ------------------------------------------------------------------ */
/* Defaults and finalisation                                           */

static int
set_default_list(char **dst, const char *kind, const char *spec)
{
	char *n = readconf_assemble_algorithms(kind, spec);

	if (n == NULL)
		return QSSH_ERR_ALLOC;
	free(*dst);
	*dst = n;
	return 0;
}

#define DEF(field, val)                   \
	do {                              \
		if (o->field == -1)       \
			o->field = (val); \
	} while (0)

int
readconf_fill_defaults(
    struct readconf_options *o, const struct readconf_ctx *ctx)
{
	unsigned int i;
	int r;

	(void)ctx;
	if (o->defaults_filled)
		return 0;
	DEF(forward_agent, 0);
	DEF(forward_x11, 0);
	DEF(forward_x11_trusted, 1);
	DEF(forward_x11_timeout, 1200);
	DEF(exit_on_forward_failure, 0);
	DEF(gateway_ports, 0);
	DEF(pubkey_authentication, 3);
	DEF(password_authentication, 1);
	DEF(kbd_interactive_authentication, 1);
	DEF(hostbased_authentication, 0);
	DEF(batch_mode, 0);
	DEF(check_host_ip, 0);
	DEF(strict_host_key_checking, READCONF_SHKC_ASK);
	DEF(compression, 0);
	DEF(tcp_keep_alive, 1);
	DEF(port, 22);
	DEF(address_family, READCONF_AF_ANY);
	DEF(connection_attempts, 1);
	DEF(number_of_password_prompts, 3);
	DEF(add_keys_to_agent, 0);
	DEF(add_keys_to_agent_lifetime, 0);
	DEF(identities_only, 0);
	DEF(escape_char, '~');
	DEF(log_level, QSSH_LOG_INFO);
	DEF(clear_forwardings, 0);
	DEF(no_host_authentication_for_localhost, 0);
	DEF(enable_ssh_keysign, 0);
	DEF(proxy_use_fdpass, 0);
	DEF(verify_host_key_dns, 0);
	DEF(required_rsa_size, 1024);
	DEF(connect_timeout, -1);
	DEF(control_master, 0);
	DEF(control_persist, 0);
	DEF(control_persist_timeout, 0);
	DEF(hash_known_hosts, 0);
	DEF(tun_open, READCONF_TUN_NO);
	DEF(tun_local, READCONF_TUN_ANY);
	DEF(tun_remote, READCONF_TUN_ANY);
	DEF(permit_local_command, 0);
	DEF(visual_host_key, 0);
	DEF(warn_weak_crypto, 1);
	DEF(request_tty, READCONF_TTY_AUTO);
	DEF(session_type, READCONF_SESSION_DEFAULT);
	DEF(stdin_null, 0);
	DEF(fork_after_authentication, 0);
	DEF(stream_local_bind_unlink, 0);
	DEF(canonicalize_max_dots, 1);
	DEF(canonicalize_fallback_local, 1);
	DEF(canonicalize_hostname, READCONF_CANON_NO);
	DEF(fingerprint_hash, 1);
	DEF(enable_escape_commandline, 0);
	DEF(obscure_keystroke_timing, 1);
	if (o->rekey_limit == -1)
		o->rekey_limit = 0;
	if (o->rekey_interval == -1)
		o->rekey_interval = 0;
	if (o->server_alive_interval == -1)
		o->server_alive_interval = o->batch_mode == 1 ? 300 : 0;
	DEF(server_alive_count_max, 3);
	if (o->connection_attempts <= 0) {
		qlog_error("Invalid number of ConnectionAttempts");
		return QSSH_ERR_CONFIG;
	}
	if (o->update_hostkeys == -1) {
		if (o->verify_host_key_dns <= 0 &&
		    (o->num_user_hostfiles == 0 ||
			(o->num_user_hostfiles == 1 &&
			    strcmp(o->user_hostfiles[0],
				"~/.ssh/known_hosts") == 0)))
			o->update_hostkeys = 1;
		else
			o->update_hostkeys = 0;
	}
	if (o->update_hostkeys == 2 && o->batch_mode == 1)
		o->update_hostkeys = 0;
	if (o->num_user_hostfiles > 0 &&
	    strcmp(o->user_hostfiles[0], "none") == 0)
		o->update_hostkeys = 0;
	if (o->num_identity_files == 0) {
		for (i = 0; i < QSSH_ARRAY_LEN(default_identities); i++) {
			if ((o->identity_files[i] =
				    strdup(default_identities[i])) == NULL)
				return QSSH_ERR_ALLOC;
			o->num_identity_files++;
		}
	}
	if (o->num_user_hostfiles == 0) {
		if ((o->user_hostfiles[0] = strdup("~/.ssh/known_hosts")) ==
			NULL ||
		    (o->user_hostfiles[1] = strdup("~/.ssh/known_hosts2")) ==
			NULL)
			return QSSH_ERR_ALLOC;
		o->num_user_hostfiles = 2;
	}
	if (o->num_system_hostfiles == 0) {
		if ((o->system_hostfiles[0] =
			    strdup("/etc/ssh/ssh_known_hosts")) == NULL ||
		    (o->system_hostfiles[1] =
			    strdup("/etc/ssh/ssh_known_hosts2")) == NULL)
			return QSSH_ERR_ALLOC;
		o->num_system_hostfiles = 2;
	}
	if ((r = set_default_list(&o->ciphers, "cipher", o->ciphers)) != 0 ||
	    (r = set_default_list(&o->macs, "mac", o->macs)) != 0 ||
	    (r = set_default_list(
		 &o->kex_algorithms, "kex", o->kex_algorithms)) != 0 ||
	    (r = set_default_list(
		 &o->hostkey_algorithms, "key", o->hostkey_algorithms)) != 0 ||
	    (r = set_default_list(&o->pubkey_accepted_algorithms, "key",
		 o->pubkey_accepted_algorithms)) != 0 ||
	    (r = set_default_list(&o->hostbased_accepted_algorithms, "key",
		 o->hostbased_accepted_algorithms)) != 0 ||
	    (r = set_default_list(
		 &o->ca_sign_algorithms, "ca", o->ca_sign_algorithms)) != 0)
		return r;
	if ((r = set_str(&o->security_key_provider, "internal")) != 0 ||
	    (r = set_str(&o->xauth_location, "/usr/bin/xauth")) != 0 ||
	    (r = set_str(&o->crypto_backend, "auto")) != 0 ||
	    (r = set_str(&o->crypto_cores, "any")) != 0)
		return r;
	if (o->crypto_workers[0] == -1) {
		for (i = 0; i < READCONF_CRYPTO_POOLS; i++)
			o->crypto_workers[i] = READCONF_CRYPTO_WORKERS_AUTO;
	}
	DEF(crypto_runtime, SERVCONF_RUNTIME_AUTO);
	DEF(crypto_worker_mode, SERVCONF_WMODE_AUTO);
	if ((r = set_str(&o->crypto_eal_args, "none")) != 0)
		return r;
	if (o->clear_forwardings == 1) {
		free_forwards(o->local_forwards, o->num_local_forwards);
		free_forwards(o->remote_forwards, o->num_remote_forwards);
		o->local_forwards = o->remote_forwards = NULL;
		o->num_local_forwards = o->num_remote_forwards = 0;
		o->tun_open = READCONF_TUN_NO;
	}
	/* "none" means unset for these. */
	if (o->control_path != NULL && strcmp(o->control_path, "none") == 0) {
		free(o->control_path);
		o->control_path = NULL;
	}
	if (o->proxy_command != NULL && strcmp(o->proxy_command, "none") == 0) {
		free(o->proxy_command);
		o->proxy_command = NULL;
	}
	if (o->proxy_jump != NULL && strcmp(o->proxy_jump, "none") == 0) {
		free(o->proxy_jump);
		o->proxy_jump = NULL;
	}
	if (o->remote_command != NULL &&
	    strcmp(o->remote_command, "none") == 0) {
		free(o->remote_command);
		o->remote_command = NULL;
	}
	if (o->local_command != NULL && strcmp(o->local_command, "none") == 0) {
		free(o->local_command);
		o->local_command = NULL;
	}
	o->defaults_filled = true;
	return 0;
}
#undef DEF

static int
replace_expanded(const struct readconf_options *o,
    const struct readconf_ctx *ctx, const char *kw, char **field, bool tilde)
{
	char *n;

	if (*field == NULL)
		return 0;
	n = tilde ? expand_path(o, ctx, kw, *field)
		  : readconf_expand_tokens(o, ctx, kw, *field);
	if (n == NULL)
		return QSSH_ERR_CONFIG;
	free(*field);
	*field = n;
	return 0;
}

int
readconf_finalize(struct readconf_options *o, struct readconf_ctx *ctx)
{
	unsigned int i;
	char *n;
	int r;

	if (o->hostname != NULL) {
		n = expand_tokens(o, ctx, "hostname", o->hostname, "h");
		if (n == NULL)
			return QSSH_ERR_CONFIG;
		free(o->hostname);
		o->hostname = n;
	} else if ((o->hostname = strdup(ctx->host)) == NULL)
		return QSSH_ERR_ALLOC;
	lowercase(o->hostname);
	if ((r = readconf_ctx_set_host(ctx, o->hostname)) != 0)
		return r;
	if (o->user == NULL && (o->user = strdup(ctx->local_user)) == NULL)
		return QSSH_ERR_ALLOC;
	if (o->port <= 0)
		o->port = 22;
	for (i = 0; i < o->num_user_hostfiles; i++)
		if (strcmp(o->user_hostfiles[i], "none") != 0 &&
		    (r = replace_expanded(o, ctx, "userknownhostsfile",
			 &o->user_hostfiles[i], true)) != 0)
			return r;
	if ((r = replace_expanded(
		 o, ctx, "controlpath", &o->control_path, true)) != 0 ||
	    (r = replace_expanded(
		 o, ctx, "remotecommand", &o->remote_command, false)) != 0)
		return r;
	if (o->identity_agent != NULL &&
	    strcmp(o->identity_agent, "none") != 0 &&
	    strcmp(o->identity_agent, "SSH_AUTH_SOCK") != 0 &&
	    o->identity_agent[0] != '$' &&
	    (r = replace_expanded(
		 o, ctx, "identityagent", &o->identity_agent, true)) != 0)
		return r;
	if (o->forward_agent_sock_path != NULL &&
	    o->forward_agent_sock_path[0] != '$' &&
	    (r = replace_expanded(o, ctx, "forwardagent",
		 &o->forward_agent_sock_path, true)) != 0)
		return r;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Canonicalisation and the whole sequence                             */

static bool
resolves(const char *name)
{
	struct addrinfo hints, *ai = NULL;
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_CANONNAME;
	r = getaddrinfo(name, NULL, &hints, &ai);
	if (ai != NULL)
		freeaddrinfo(ai);
	return r == 0;
}

/* 1 if ctx->host was changed, 0 if not, <0 on error. */
static int
canonicalize(struct readconf_options *o, struct readconf_ctx *ctx)
{
	const char *h = ctx->host;
	size_t len = strlen(h);
	int dots = 0;
	unsigned int i;
	char *name = NULL;
	const char *q;

	if (o->canonicalize_hostname <= 0)
		return 0;
	if (o->canonicalize_hostname == READCONF_CANON_YES &&
	    (o->proxy_command != NULL || o->proxy_jump != NULL))
		return 0;
	if (strchr(h, ':') != NULL || strspn(h, "0123456789.") == len)
		return 0;
	if (len > 0 && h[len - 1] == '.') {
		if ((name = strndup(h, len - 1)) == NULL)
			return QSSH_ERR_ALLOC;
		readconf_ctx_set_host(ctx, name);
		free(name);
		return 1;
	}
	for (q = h; *q != '\0'; q++)
		if (*q == '.')
			dots++;
	if (dots > o->canonicalize_max_dots)
		return 0;
	for (i = 0; i < o->num_canonical_domains; i++) {
		if (asprintf(&name, "%s.%s", h, o->canonical_domains[i]) < 0)
			return QSSH_ERR_ALLOC;
		if (resolves(name)) {
			qlog_debug(
			    "Canonicalized hostname \"%s\" => \"%s\"", h, name);
			readconf_ctx_set_host(ctx, name);
			free(name);
			return 1;
		}
		free(name);
		name = NULL;
	}
	if (o->canonicalize_fallback_local == 0) {
		qlog_error("%s: Could not resolve host \"%s\"", "ssh", h);
		return QSSH_ERR_NOT_FOUND;
	}
	return 0;
}

static int
read_sequence(struct readconf_options *o, struct readconf_ctx *ctx,
    const struct readconf_load_params *p, int flags)
{
	char *path = NULL;
	int r;

	if (p->config_file != NULL) {
		if (strcmp(p->config_file, "none") == 0)
			return 0;
		r = readconf_read_file(
		    o, ctx, p->config_file, flags | READCONF_USER);
		if (r == QSSH_ERR_NOT_FOUND) {
			qlog_error("Can't open user config file %s: %s",
			    p->config_file, strerror(ENOENT));
			return QSSH_ERR_CONFIG;
		}
		return r;
	}
	if (asprintf(&path, "%s/config", ctx->user_config_dir) < 0)
		return QSSH_ERR_ALLOC;
	r = readconf_read_file(
	    o, ctx, path, flags | READCONF_USER | READCONF_CHECKPERM);
	free(path);
	if (r != 0 && r != QSSH_ERR_NOT_FOUND)
		return r;
	r = readconf_read_file(o, ctx,
	    p->system_file != NULL ? p->system_file : "/etc/ssh/ssh_config",
	    flags | READCONF_SYSTEM);
	if (r == QSSH_ERR_NOT_FOUND)
		r = 0;
	return r;
}

int
readconf_load(struct readconf_options *o, struct readconf_ctx *ctx,
    const struct readconf_load_params *p)
{
	unsigned int i;
	int r, c, fl = p->flags & READCONF_NOEXEC;

	if (p->user != NULL && (r = set_str(&o->user, p->user)) != 0)
		return r;
	if (p->port > 0 && o->port == -1)
		o->port = p->port;
	for (i = 0; i < p->num_cmdline_opts; i++) {
		if ((r = readconf_process_line(o, ctx, p->cmdline_opts[i],
			 CMDLINE_NAME, 0, NULL, fl)) != 0)
			return r;
	}
	if ((r = read_sequence(o, ctx, p, fl)) != 0)
		return r;
	if (o->canonicalize_hostname > 0) {
		int dots = o->canonicalize_max_dots;
		int fb = o->canonicalize_fallback_local;

		if (o->canonicalize_max_dots == -1)
			o->canonicalize_max_dots = 1;
		if (o->canonicalize_fallback_local == -1)
			o->canonicalize_fallback_local = 1;
		c = canonicalize(o, ctx);
		o->canonicalize_max_dots = dots;
		o->canonicalize_fallback_local = fb;
		if (c < 0)
			return c;
	} else
		c = 0;
	if (c > 0 || o->has_match_final || o->canonicalize_hostname > 0) {
		qlog_debug("re-parsing configuration");
		r = read_sequence(
		    o, ctx, p, fl | READCONF_FINAL | READCONF_POSTCANON);
		if (r != 0)
			return r;
	}
	if ((r = readconf_fill_defaults(o, ctx)) != 0)
		return r;
	return readconf_finalize(o, ctx);
}

/* ------------------------------------------------------------------ */
/* Destinations                                                        */

int
readconf_parse_destination(
    const char *dest, char **userp, char **hostp, int *portp)
{
	char *user = NULL, *host = NULL, *tmp = NULL, *at, *h, *e;
	int port = -1, r = QSSH_ERR_INVALID_FORMAT;

	*userp = *hostp = NULL;
	*portp = -1;
	if (strncmp(dest, "ssh://", 6) == 0) {
		if ((tmp = strdup(dest + 6)) == NULL)
			return QSSH_ERR_ALLOC;
		/* No path component is allowed ("ssh://h/" is fine). */
		if ((e = strchr(tmp, '/')) != NULL) {
			if (e[1] != '\0')
				goto out;
			*e = '\0';
		}
		h = tmp;
		if ((at = strrchr(tmp, '@')) != NULL) {
			*at = '\0';
			/* ;fingerprint parameters are ignored */
			if ((e = strchr(tmp, ';')) != NULL)
				*e = '\0';
			if (*tmp == '\0')
				goto out;
			if ((user = strdup(tmp)) == NULL)
				goto alloc;
			h = at + 1;
		}
		if (*h == '[') {
			if ((e = strchr(h, ']')) == NULL)
				goto out;
			*e++ = '\0';
			h++;
			if (*e == ':') {
				*e++ = '\0';
				if ((port = a2port(e)) <= 0)
					goto out;
			} else if (*e != '\0')
				goto out;
		} else if ((e = strchr(h, ':')) != NULL) {
			*e++ = '\0';
			if ((port = a2port(e)) <= 0)
				goto out;
		}
		if (*h == '\0')
			goto out;
		if ((host = strdup(h)) == NULL)
			goto alloc;
	} else {
		if ((at = strrchr(dest, '@')) != NULL) {
			if (at == dest)
				goto out;
			if ((user = strndup(dest, (size_t)(at - dest))) == NULL)
				goto alloc;
			dest = at + 1;
		}
		if (*dest == '\0')
			goto out;
		if ((host = strdup(dest)) == NULL)
			goto alloc;
	}
	*userp = user;
	*hostp = host;
	*portp = port;
	user = host = NULL;
	r = 0;
	goto out;
alloc:
	r = QSSH_ERR_ALLOC;
out:
	free(tmp);
	free(user);
	free(host);
	return r;
}

unsigned int
readconf_wrk_config(const struct readconf_options *o, struct wrk_config *wc)
{
	return servconf_crypto_fill(wc, o->crypto_workers, o->crypto_cores,
	    o->crypto_worker_mode, o->crypto_runtime, o->crypto_eal_args);
}
