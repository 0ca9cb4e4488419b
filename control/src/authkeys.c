/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * authorized_keys parsing and lookup (sshd(8) AUTHORIZED_KEYS FILE FORMAT),
 * and the "type base64" key field and line reader shared with known_hosts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/authkeys.h"
#include "control/key.h"
#include "control/match.h"

/* ---- key types and the key field ---- */

struct keytype_info {
	const char *name;
	const char *shortname;
	bool cert;
	bool parsed; /* key_from_blob() handles it */
};

static const struct keytype_info keytypes[] = {
	{ "ssh-ed25519", "ED25519", false, true },
	{ "ecdsa-sha2-nistp256", "ECDSA", false, true },
	{ "ecdsa-sha2-nistp384", "ECDSA", false, true },
	{ "ecdsa-sha2-nistp521", "ECDSA", false, true },
	{ "ssh-rsa", "RSA", false, true },
	{ "ssh-dss", "DSA", false, false },
	{ "sk-ssh-ed25519@openssh.com", "ED25519-SK", false, false },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", "ECDSA-SK", false, false },
	{ "ssh-ed25519-cert-v01@openssh.com", "ED25519-CERT", true, false },
	{ "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ECDSA-CERT", true,
	    false },
	{ "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ECDSA-CERT", true,
	    false },
	{ "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ECDSA-CERT", true,
	    false },
	{ "ssh-rsa-cert-v01@openssh.com", "RSA-CERT", true, false },
	{ "ssh-dss-cert-v01@openssh.com", "DSA-CERT", true, false },
	{ "sk-ssh-ed25519-cert-v01@openssh.com", "ED25519-SK-CERT", true,
	    false },
	{ "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "ECDSA-SK-CERT", true,
	    false },
};

static const struct keytype_info *
keytype_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < QSSH_ARRAY_LEN(keytypes); i++) {
		if (strlen(keytypes[i].name) == len &&
		    memcmp(keytypes[i].name, name, len) == 0)
			return &keytypes[i];
	}
	return NULL;
}

bool
authkeys_type_known(const char *name)
{
	return name != NULL && keytype_lookup(name, strlen(name)) != NULL;
}

const char *
authkeys_type_short(const char *name)
{
	const struct keytype_info *ki;

	if (name == NULL || (ki = keytype_lookup(name, strlen(name))) == NULL)
		return "unknown";
	return ki->shortname;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Length of the word at s (up to a blank or the end). */
static size_t
word_len(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0' && !is_blank(s[n]))
		n++;
	return n;
}

void
authkeys_keyfield_cleanup(struct authkeys_keyfield *kf)
{
	if (kf == NULL)
		return;
	free(kf->type);
	free(kf->blob);
	key_free(kf->key);
	memset(kf, 0, sizeof(*kf));
}

int
authkeys_keyfield_parse(const char **cp, struct authkeys_keyfield *kf)
{
	const struct keytype_info *ki;
	const char *s = *cp;
	struct qssh_view v, name;
	char *b64 = NULL;
	size_t tlen, blen, cap, off = 0;
	int r = QSSH_ERR_INTERNAL;

	memset(kf, 0, sizeof(*kf));
	while (is_blank(s[off]))
		off++;
	tlen = word_len(s + off);
	if ((ki = keytype_lookup(s + off, tlen)) == NULL) {
		r = QSSH_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if ((kf->type = strndup(s + off, tlen)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	kf->is_cert = ki->cert;
	off += tlen;
	while (is_blank(s[off]))
		off++;
	if ((blen = word_len(s + off)) == 0) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((b64 = strndup(s + off, blen)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	cap = blen / 4 * 3 + 3;
	if ((kf->blob = malloc(cap)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if (qssh_b64_decode(b64, kf->blob, cap, &kf->blob_len) != 0) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	/* The blob names its own type; it must agree with the text. */
	qssh_view_init(&v, kf->blob, kf->blob_len);
	if (qssh_view_get_string(&v, &name) != 0 ||
	    !qssh_view_eq_str(name, kf->type)) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if (ki->parsed &&
	    key_from_blob(kf->blob, kf->blob_len, &kf->key) != 0) {
		kf->key = NULL;
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	*cp = s + off + blen;
	r = 0;
out:
	free(b64);
	if (r != 0)
		authkeys_keyfield_cleanup(kf);
	return r;
}

bool
authkeys_keyfield_matches(
    const struct authkeys_keyfield *kf, const struct key *k)
{
	if (kf == NULL || k == NULL || kf->key == NULL || kf->is_cert)
		return false;
	return key_equal_public(kf->key, k);
}

/* ---- options ---- */

enum opt_id {
	OPT_AGENT_FWD,
	OPT_NO_AGENT_FWD,
	OPT_PORT_FWD,
	OPT_NO_PORT_FWD,
	OPT_PTY,
	OPT_NO_PTY,
	OPT_USER_RC,
	OPT_NO_USER_RC,
	OPT_X11_FWD,
	OPT_NO_X11_FWD,
	OPT_RESTRICT,
	OPT_CERT_AUTHORITY,
	OPT_NO_TOUCH,
	OPT_VERIFY,
	/* Options with a quoted value follow. */
	OPT_COMMAND,
	OPT_ENVIRONMENT,
	OPT_EXPIRY,
	OPT_FROM,
	OPT_PERMITLISTEN,
	OPT_PERMITOPEN,
	OPT_PRINCIPALS,
	OPT_TUNNEL,
};

static const struct {
	const char *name;
	enum opt_id id;
} opt_table[] = {
	{ "agent-forwarding", OPT_AGENT_FWD },
	{ "no-agent-forwarding", OPT_NO_AGENT_FWD },
	{ "port-forwarding", OPT_PORT_FWD },
	{ "no-port-forwarding", OPT_NO_PORT_FWD },
	{ "pty", OPT_PTY },
	{ "no-pty", OPT_NO_PTY },
	{ "user-rc", OPT_USER_RC },
	{ "no-user-rc", OPT_NO_USER_RC },
	{ "x11-forwarding", OPT_X11_FWD },
	{ "no-x11-forwarding", OPT_NO_X11_FWD },
	{ "restrict", OPT_RESTRICT },
	{ "cert-authority", OPT_CERT_AUTHORITY },
	{ "no-touch-required", OPT_NO_TOUCH },
	{ "verify-required", OPT_VERIFY },
	{ "command", OPT_COMMAND },
	{ "environment", OPT_ENVIRONMENT },
	{ "expiry-time", OPT_EXPIRY },
	{ "from", OPT_FROM },
	{ "permitlisten", OPT_PERMITLISTEN },
	{ "permitopen", OPT_PERMITOPEN },
	{ "principals", OPT_PRINCIPALS },
	{ "tunnel", OPT_TUNNEL },
};

void
authkeys_opts_init(struct authkeys_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->permit_port_forwarding = true;
	o->permit_agent_forwarding = true;
	o->permit_x11_forwarding = true;
	o->permit_pty = true;
	o->permit_user_rc = true;
	o->force_tun_device = AUTHKEYS_TUN_NONE;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
authkeys_opts_cleanup(struct authkeys_opts *o)
{
	if (o == NULL)
		return;
	free(o->force_command);
	free(o->required_from);
	free(o->principals);
	strv_free(o->env, o->num_env);
	strv_free(o->permitopen, o->num_permitopen);
	strv_free(o->permitlisten, o->num_permitlisten);
	authkeys_opts_init(o);
}

/* Append s (ownership moves) to a string vector. */
static int
strv_add(char ***v, size_t *n, char *s)
{
	char **nv;

	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL)
		return QSSH_ERR_ALLOC;
	nv[*n] = s;
	*v = nv;
	(*n)++;
	return 0;
}

/* Quoted value at s[*ip]: "..." with \" standing for a quote. */
static int
opt_value(const char *s, size_t *ip, char **out, const char **reason)
{
	size_t i = *ip, o = 0;
	char *v;

	if (s[i] != '"') {
		*reason = "missing start quote";
		return QSSH_ERR_INVALID_FORMAT;
	}
	i++;
	if ((v = malloc(strlen(s + i) + 1)) == NULL)
		return QSSH_ERR_ALLOC;
	for (;;) {
		if (s[i] == '\0') {
			free(v);
			*reason = "missing end quote";
			return QSSH_ERR_INVALID_FORMAT;
		}
		if (s[i] == '"')
			break;
		if (s[i] == '\\' && s[i + 1] == '"') {
			v[o++] = '"';
			i += 2;
			continue;
		}
		v[o++] = s[i++];
	}
	v[o] = '\0';
	*ip = i + 1;
	*out = v;
	return 0;
}

static bool
all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

static unsigned
digits_value(const char *s, size_t n)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

int
authkeys_parse_time(const char *s, uint64_t *out)
{
	struct tm tm;
	size_t n = strlen(s);
	bool utc = false;
	time_t t;

	if (n > 0 && (s[n - 1] == 'Z' || s[n - 1] == 'z')) {
		utc = true;
		n--;
	}
	if ((n != 8 && n != 12 && n != 14) || !all_digits(s, n))
		return QSSH_ERR_INVALID_FORMAT;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)digits_value(s, 4) - 1900;
	tm.tm_mon = (int)digits_value(s + 4, 2) - 1;
	tm.tm_mday = (int)digits_value(s + 6, 2);
	if (n >= 12) {
		tm.tm_hour = (int)digits_value(s + 8, 2);
		tm.tm_min = (int)digits_value(s + 10, 2);
	}
	if (n == 14)
		tm.tm_sec = (int)digits_value(s + 12, 2);
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return QSSH_ERR_INVALID_FORMAT;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t <= 0)
		return QSSH_ERR_INVALID_FORMAT;
	*out = (uint64_t)t;
	return 0;
}

/* permitopen / permitlisten value: "host:port", "[addr]:port", "*" port. */
static int
permit_check(const char *val, bool listen, char **out, const char **reason)
{
	const char *port;
	char *tmp = NULL;
	size_t n, hostlen;
	unsigned p;

	if (listen && strchr(val, ':') == NULL && val[0] != '[') {
		n = strlen(val) + 3;
		if ((tmp = malloc(n)) == NULL)
			return QSSH_ERR_ALLOC;
		snprintf(tmp, n, "*:%s", val);
	} else if ((tmp = strdup(val)) == NULL) {
		return QSSH_ERR_ALLOC;
	}
	if (tmp[0] == '[') {
		const char *close = strchr(tmp, ']');

		if (close == NULL || close[1] != ':' || close == tmp + 1) {
			*reason = "invalid permission hostname";
			goto bad;
		}
		port = close + 2;
	} else {
		const char *colon = strchr(tmp, ':');

		if (colon == NULL) {
			*reason = "invalid permission port";
			goto bad;
		}
		hostlen = (size_t)(colon - tmp);
		if (hostlen == 0) {
			*reason = "invalid permission hostname";
			goto bad;
		}
		port = colon + 1;
	}
	if (strcmp(port, "*") != 0) {
		n = strlen(port);
		if (n > 5 || !all_digits(port, n) ||
		    (p = digits_value(port, n)) == 0 || p > 65535) {
			*reason = "invalid permission port";
			goto bad;
		}
	}
	*out = tmp;
	return 0;
bad:
	free(tmp);
	return QSSH_ERR_INVALID_FORMAT;
}

static bool
env_valid(const char *s, size_t *namelen)
{
	size_t i;

	for (i = 0; s[i] != '\0' && s[i] != '='; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	}
	if (i == 0 || s[i] != '=')
		return false;
	*namelen = i;
	return true;
}

static bool
env_has(const struct authkeys_opts *o, const char *s, size_t namelen)
{
	size_t i;

	for (i = 0; i < o->num_env; i++) {
		if (strncmp(o->env[i], s, namelen + 1) == 0)
			return true;
	}
	return false;
}

static int
opt_apply_value(
    struct authkeys_opts *o, enum opt_id id, char *val, const char **reason)
{
	char *perm = NULL;
	uint64_t t;
	size_t n;
	int r;

	switch (id) {
	case OPT_COMMAND:
		if (o->force_command != NULL) {
			*reason = "multiple \"command\" clauses";
			goto bad;
		}
		o->force_command = val;
		return 0;
	case OPT_FROM:
		if (o->required_from != NULL) {
			*reason = "multiple \"from\" clauses";
			goto bad;
		}
		o->required_from = val;
		return 0;
	case OPT_PRINCIPALS:
		if (o->principals != NULL) {
			*reason = "multiple \"principals\" clauses";
			goto bad;
		}
		o->principals = val;
		return 0;
	case OPT_ENVIRONMENT:
		if (!env_valid(val, &n)) {
			*reason = "invalid environment string";
			goto bad;
		}
		if (env_has(o, val, n)) {
			free(val); /* the first one wins */
			return 0;
		}
		if (o->num_env >= AUTHKEYS_ENV_MAX) {
			*reason = "too many environment strings";
			goto bad;
		}
		if ((r = strv_add(&o->env, &o->num_env, val)) != 0)
			goto fail;
		return 0;
	case OPT_EXPIRY:
		if (authkeys_parse_time(val, &t) != 0) {
			*reason = "invalid expires time";
			goto bad;
		}
		if (o->valid_before == 0 || t < o->valid_before)
			o->valid_before = t;
		free(val);
		return 0;
	case OPT_TUNNEL:
		n = strlen(val);
		if (strcasecmp(val, "any") == 0) {
			o->force_tun_device = AUTHKEYS_TUN_ANY;
		} else if (n > 0 && n <= 9 && all_digits(val, n) &&
		    digits_value(val, n) < AUTHKEYS_TUN_ANY) {
			o->force_tun_device = (int)digits_value(val, n);
		} else {
			*reason = "invalid tun device";
			goto bad;
		}
		free(val);
		return 0;
	case OPT_PERMITOPEN:
	case OPT_PERMITLISTEN:
		if ((r = permit_check(
			 val, id == OPT_PERMITLISTEN, &perm, reason)) != 0)
			goto fail;
		free(val);
		val = NULL;
		if (id == OPT_PERMITOPEN) {
			if (o->num_permitopen >= AUTHKEYS_PERMIT_MAX)
				goto toomany;
			r = strv_add(&o->permitopen, &o->num_permitopen, perm);
		} else {
			if (o->num_permitlisten >= AUTHKEYS_PERMIT_MAX)
				goto toomany;
			r = strv_add(
			    &o->permitlisten, &o->num_permitlisten, perm);
		}
		if (r != 0)
			goto fail;
		return 0;
	default:
		break;
	}
	r = QSSH_ERR_INTERNAL;
	goto fail;
toomany:
	*reason = "too many permission directives";
bad:
	r = QSSH_ERR_INVALID_FORMAT;
fail:
	free(perm);
	free(val);
	return r;
}

static void
opt_apply_flag(struct authkeys_opts *o, enum opt_id id)
{
	switch (id) {
	case OPT_AGENT_FWD:
	case OPT_NO_AGENT_FWD:
		o->permit_agent_forwarding = id == OPT_AGENT_FWD;
		break;
	case OPT_PORT_FWD:
	case OPT_NO_PORT_FWD:
		o->permit_port_forwarding = id == OPT_PORT_FWD;
		break;
	case OPT_PTY:
	case OPT_NO_PTY:
		o->permit_pty = id == OPT_PTY;
		break;
	case OPT_USER_RC:
	case OPT_NO_USER_RC:
		o->permit_user_rc = id == OPT_USER_RC;
		break;
	case OPT_X11_FWD:
	case OPT_NO_X11_FWD:
		o->permit_x11_forwarding = id == OPT_X11_FWD;
		break;
	case OPT_RESTRICT:
		o->restricted = true;
		o->permit_port_forwarding = false;
		o->permit_agent_forwarding = false;
		o->permit_x11_forwarding = false;
		o->permit_pty = false;
		o->permit_user_rc = false;
		break;
	case OPT_CERT_AUTHORITY:
		o->cert_authority = true;
		break;
	case OPT_NO_TOUCH:
		o->no_require_user_presence = true;
		break;
	case OPT_VERIFY:
		o->require_verify = true;
		break;
	default:
		break;
	}
}

int
authkeys_opts_parse(const char *s, struct authkeys_opts *o, const char **endp,
    const char **reason)
{
	const char *dummy;
	size_t i = 0, n, k;
	char *val = NULL;
	int r = QSSH_ERR_INTERNAL;
	bool found;
	enum opt_id id = OPT_AGENT_FWD;

	if (reason == NULL)
		reason = &dummy;
	*reason = NULL;
	authkeys_opts_init(o);
	while (s[i] != '\0' && !is_blank(s[i])) {
		if (s[i] == ',') {
			i++; /* empty option */
			continue;
		}
		for (n = 0; s[i + n] != '\0' && s[i + n] != '=' &&
		     s[i + n] != ',' && !is_blank(s[i + n]);
		     n++)
			;
		found = false;
		for (k = 0; k < QSSH_ARRAY_LEN(opt_table); k++) {
			if (strlen(opt_table[k].name) == n &&
			    strncasecmp(opt_table[k].name, s + i, n) == 0) {
				id = opt_table[k].id;
				found = true;
				break;
			}
		}
		if (!found || (id < OPT_COMMAND && s[i + n] == '=')) {
			*reason = "unknown key option";
			r = QSSH_ERR_INVALID_FORMAT;
			goto out;
		}
		i += n;
		if (id < OPT_COMMAND) {
			opt_apply_flag(o, id);
		} else {
			if (s[i] != '=') {
				*reason = "missing start quote";
				r = QSSH_ERR_INVALID_FORMAT;
				goto out;
			}
			i++;
			if ((r = opt_value(s, &i, &val, reason)) != 0)
				goto out;
			r = opt_apply_value(o, id, val, reason);
			val = NULL;
			if (r != 0)
				goto out;
		}
		if (s[i] == ',') {
			i++;
		} else if (s[i] != '\0' && !is_blank(s[i])) {
			*reason = "unknown key option";
			r = QSSH_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	if (endp != NULL)
		*endp = s + i;
	r = 0;
out:
	free(val);
	if (r != 0)
		authkeys_opts_cleanup(o);
	return r;
}

/* ---- lines ---- */

/* Offset just past an options field (quote-aware); -1 if a quote is open. */
static long
skip_options(const char *s)
{
	size_t i = 0;
	bool quoted = false;

	for (; s[i] != '\0' && (quoted || !is_blank(s[i])); i++) {
		if (s[i] == '\\' && s[i + 1] == '"')
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
	}
	if (quoted)
		return -1;
	return (long)i;
}

void
authkeys_entry_free(struct authkeys_entry *e)
{
	if (e == NULL)
		return;
	authkeys_opts_cleanup(&e->opts);
	authkeys_keyfield_cleanup(&e->key);
	free(e->comment);
	free(e);
}

int
authkeys_parse_line(
    const char *line, struct authkeys_entry **out, const char **reason)
{
	struct authkeys_entry *e = NULL;
	const char *dummy, *s, *cp, *opts = NULL;
	size_t n;
	long skip;
	int r = QSSH_ERR_INTERNAL;

	if (reason == NULL)
		reason = &dummy;
	*reason = NULL;
	*out = NULL;
	s = line;
	while (is_blank(*s))
		s++;
	if (*s == '\0' || *s == '#' || *s == '\r' || *s == '\n')
		return QSSH_ERR_NOT_FOUND;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return QSSH_ERR_ALLOC;
	authkeys_opts_init(&e->opts);
	cp = s;
	if ((r = authkeys_keyfield_parse(&cp, &e->key)) ==
	    QSSH_ERR_KEY_TYPE_UNKNOWN) {
		/* Options come first. */
		if ((skip = skip_options(s)) < 0) {
			*reason = "missing end quote";
			r = QSSH_ERR_INVALID_FORMAT;
			goto out;
		}
		opts = s;
		cp = s + skip;
		r = authkeys_keyfield_parse(&cp, &e->key);
	}
	if (r != 0)
		goto out;
	if (opts != NULL &&
	    (r = authkeys_opts_parse(opts, &e->opts, NULL, reason)) != 0)
		goto out;
	while (is_blank(*cp))
		cp++;
	n = strlen(cp);
	while (n > 0 && (is_blank(cp[n - 1]) || cp[n - 1] == '\r'))
		n--;
	if (n > 0 && (e->comment = strndup(cp, n)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	*out = e;
	e = NULL;
	r = 0;
out:
	authkeys_entry_free(e);
	return r;
}

/* ---- files ---- */

int
authkeys_read_file(const char *path, char **data, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	ssize_t got;
	int fd = -1, r = QSSH_ERR_INTERNAL;

	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		r = (errno == ENOENT || errno == ENOTDIR) ? QSSH_ERR_NOT_FOUND
		    : errno == EACCES			  ? QSSH_ERR_ACCESS
							  : QSSH_ERR_SYSTEM;
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	for (;;) {
		if (cap - n < 4096 + 1) {
			char *nb;

			if (cap >= AUTHKEYS_FILE_MAX) {
				r = QSSH_ERR_STRING_TOO_LARGE;
				goto out;
			}
			cap = cap == 0 ? 8192 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				r = QSSH_ERR_ALLOC;
				goto out;
			}
			buf = nb;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = QSSH_ERR_SYSTEM;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	buf = NULL;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

void
authkeys_lines_init(struct authkeys_lines *it, const uint8_t *data, size_t len)
{
	memset(it, 0, sizeof(*it));
	it->p = data;
	it->len = len;
}

void
authkeys_lines_cleanup(struct authkeys_lines *it)
{
	free(it->cur);
	it->cur = NULL;
}

bool
authkeys_lines_next(
    struct authkeys_lines *it, const char **line, size_t *lineno, bool *bad)
{
	const uint8_t *nl;
	size_t n, rest, advance;

	free(it->cur);
	it->cur = NULL;
	*line = NULL;
	*bad = false;
	if (it->off >= it->len)
		return false;
	rest = it->len - it->off;
	nl = memchr(it->p + it->off, '\n', rest);
	n = nl == NULL ? rest : (size_t)(nl - (it->p + it->off));
	advance = nl == NULL ? rest : n + 1;
	it->lineno++;
	*lineno = it->lineno;
	if (n > AUTHKEYS_LINE_MAX || memchr(it->p + it->off, '\0', n) != NULL) {
		*bad = true;
	} else {
		if (n > 0 && it->p[it->off + n - 1] == '\r')
			n--;
		if ((it->cur = malloc(n + 1)) == NULL) {
			*bad = true;
		} else {
			memcpy(it->cur, it->p + it->off, n);
			it->cur[n] = '\0';
			*line = it->cur;
		}
	}
	it->off += advance;
	return true;
}

/* ---- lookup ---- */

static void
format_time(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(buf, len, "%llu", (unsigned long long)t);
}

/* 1 = allowed by from=, 0 = not, -1 = the list is invalid. */
static int
from_match(const char *host, const char *ip, const char *list)
{
	int mi, mh;

	if ((mi = match_addr_list(ip, list)) == -2)
		return -1;
	if (mi == -1)
		return 0;
	if ((mh = host == NULL ? 0 : match_hostname(host, list)) == -1)
		return 0;
	return (mh == 1 || mi == 1) ? 1 : 0;
}

static bool
entry_authorise(const struct authkeys_entry *e, const struct authkeys_query *q,
    const char *loc)
{
	const char *host = q->remote_host != NULL ? q->remote_host : "";
	const char *ip = q->remote_ip != NULL ? q->remote_ip : "";
	time_t now = q->now != 0 ? q->now : time(NULL);
	char tbuf[64];

	if (e->opts.valid_before != 0 && now > 0 &&
	    e->opts.valid_before < (uint64_t)now) {
		format_time(e->opts.valid_before, tbuf, sizeof(tbuf));
		qlog_debug("%s: entry expired at %s", loc, tbuf);
		return false;
	}
	if (e->opts.required_from != NULL) {
		switch (from_match(host, ip, e->opts.required_from)) {
		case 1:
			break;
		case -1:
			qlog_debug("%s: invalid from criteria", loc);
			/* FALLTHROUGH */
		default:
			qlog_info("%s: Authentication tried for %.100s with "
				  "correct key but not from a permitted host "
				  "(host=%.200s, ip=%.200s, required=%.200s).",
			    loc, q->user != NULL ? q->user : "", host, ip,
			    e->opts.required_from);
			return false;
		}
	}
	if (e->opts.principals != NULL && !e->opts.cert_authority) {
		qlog_debug("%s: principals on non-CA key", loc);
		return false;
	}
	return true;
}

int
authkeys_check_buf(const char *name, const uint8_t *data, size_t len,
    const struct authkeys_query *q, const struct key *key,
    struct authkeys_entry **out)
{
	struct authkeys_lines it;
	struct authkeys_entry *e = NULL;
	const char *line, *reason;
	char loc[512], *fp = NULL;
	size_t lineno;
	bool bad;
	int r;

	*out = NULL;
	if (name == NULL)
		name = "(buffer)";
	authkeys_lines_init(&it, data, len);
	while (authkeys_lines_next(&it, &line, &lineno, &bad)) {
		authkeys_entry_free(e);
		e = NULL;
		snprintf(loc, sizeof(loc), "%s:%zu", name, lineno);
		if (bad) {
			qlog_verbose(
			    "%s: line too long or not text, skipped", loc);
			continue;
		}
		r = authkeys_parse_line(line, &e, &reason);
		if (r == QSSH_ERR_INVALID_FORMAT && reason != NULL) {
			qlog_debug("%s: bad key options: %s", loc, reason);
			continue;
		}
		if (r != 0)
			continue;
		e->line = lineno;
		/* A CA line never authorises a plain key. */
		if (e->opts.cert_authority || e->key.is_cert ||
		    !authkeys_keyfield_matches(&e->key, key))
			continue;
		free(fp);
		fp = NULL;
		if (key_fingerprint(key, KEY_FP_SHA256, &fp) != 0)
			fp = NULL;
		qlog_debug("%s: matching key found: %s %s", loc,
		    authkeys_type_short(e->key.type), fp != NULL ? fp : "?");
		if (!entry_authorise(e, q, loc)) {
			qlog_error("Refused by key options");
			continue;
		}
		qlog_verbose("Accepted key %s %s found at %s",
		    authkeys_type_short(e->key.type), fp != NULL ? fp : "?",
		    loc);
		*out = e;
		e = NULL;
		break;
	}
	authkeys_lines_cleanup(&it);
	authkeys_entry_free(e);
	free(fp);
	return *out != NULL ? 0 : QSSH_ERR_KEY_NOT_FOUND;
}

int
authkeys_check_file(const char *path, const struct authkeys_query *q,
    const struct key *key, struct authkeys_entry **out)
{
	char *data = NULL;
	size_t len;
	int r;

	*out = NULL;
	if ((r = authkeys_read_file(path, &data, &len)) != 0) {
		if (r == QSSH_ERR_NOT_FOUND)
			r = QSSH_ERR_KEY_NOT_FOUND;
		goto out;
	}
	r = authkeys_check_buf(path, (const uint8_t *)data, len, q, key, out);
out:
	free(data);
	return r;
}
