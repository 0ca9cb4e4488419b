/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Algorithm names sshd_config accepts and the "+", "-", "^" list modifiers
 * of Ciphers, MACs, KexAlgorithms and the signature algorithm keywords.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/match.h"
#include "control/servconf.h"

struct alg_name {
	const char *name;
	bool implemented;
};

static const struct alg_name kex_names[] = {
	{ "sntrup761x25519-sha512", true },
	{ "sntrup761x25519-sha512@openssh.com", true },
	{ "mlkem768x25519-sha256", true },
	{ "curve25519-sha256", true },
	{ "curve25519-sha256@libssh.org", true },
	{ "ecdh-sha2-nistp256", true },
	{ "ecdh-sha2-nistp384", true },
	{ "ecdh-sha2-nistp521", true },
	{ "diffie-hellman-group-exchange-sha256", true },
	{ "diffie-hellman-group16-sha512", true },
	{ "diffie-hellman-group18-sha512", true },
	{ "diffie-hellman-group14-sha256", true },
	{ "diffie-hellman-group14-sha1", true },
	{ NULL, false },
};

static const struct alg_name cipher_names[] = {
	{ "chacha20-poly1305@openssh.com", true },
	{ "aes128-ctr", true },
	{ "aes192-ctr", true },
	{ "aes256-ctr", true },
	{ "aes128-gcm@openssh.com", true },
	{ "aes256-gcm@openssh.com", true },
	{ NULL, false },
};

/*
 * UMAC is accepted so that configurations written for OpenSSH keep
 * loading, but it is not implemented: resolved lists drop it.
 */
static const struct alg_name mac_names[] = {
	{ "umac-64-etm@openssh.com", false },
	{ "umac-128-etm@openssh.com", false },
	{ "hmac-sha2-256-etm@openssh.com", true },
	{ "hmac-sha2-512-etm@openssh.com", true },
	{ "hmac-sha1-etm@openssh.com", true },
	{ "umac-64@openssh.com", false },
	{ "umac-128@openssh.com", false },
	{ "hmac-sha2-256", true },
	{ "hmac-sha2-512", true },
	{ "hmac-sha1", true },
	{ NULL, false },
};

static const struct alg_name sig_names[] = {
	{ "ssh-ed25519-cert-v01@openssh.com", true },
	{ "ecdsa-sha2-nistp256-cert-v01@openssh.com", true },
	{ "ecdsa-sha2-nistp384-cert-v01@openssh.com", true },
	{ "ecdsa-sha2-nistp521-cert-v01@openssh.com", true },
	{ "sk-ssh-ed25519-cert-v01@openssh.com", true },
	{ "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", true },
	{ "rsa-sha2-512-cert-v01@openssh.com", true },
	{ "rsa-sha2-256-cert-v01@openssh.com", true },
	{ "ssh-rsa-cert-v01@openssh.com", true },
	{ "ssh-ed25519", true },
	{ "ecdsa-sha2-nistp256", true },
	{ "ecdsa-sha2-nistp384", true },
	{ "ecdsa-sha2-nistp521", true },
	{ "sk-ssh-ed25519@openssh.com", true },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", true },
	{ "rsa-sha2-512", true },
	{ "rsa-sha2-256", true },
	{ "ssh-rsa", true },
	{ NULL, false },
};

/*
 * Defaults of OpenSSH 9.2 (less what is not implemented), with the
 * post-quantum mlkem768x25519-sha256 first as OpenSSH 10 has it.
 */
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
    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
    "hmac-sha1-etm@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";
static const char sig_default[] =
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
static const char casig_default[] =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
    "ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"
    "sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256";

static const struct alg_name *
class_names(enum servconf_alg_class cls)
{
	switch (cls) {
	case SERVCONF_ALG_KEX:
		return kex_names;
	case SERVCONF_ALG_CIPHER:
		return cipher_names;
	case SERVCONF_ALG_MAC:
		return mac_names;
	case SERVCONF_ALG_SIG:
	case SERVCONF_ALG_CASIG:
		return sig_names;
	}
	return kex_names;
}

const char *
servconf_algs_default(enum servconf_alg_class cls)
{
	switch (cls) {
	case SERVCONF_ALG_KEX:
		return kex_default;
	case SERVCONF_ALG_CIPHER:
		return cipher_default;
	case SERVCONF_ALG_MAC:
		return mac_default;
	case SERVCONF_ALG_SIG:
		return sig_default;
	case SERVCONF_ALG_CASIG:
		return casig_default;
	}
	return kex_default;
}

static const struct alg_name *
lookup(enum servconf_alg_class cls, const char *name, size_t len)
{
	const struct alg_name *t;

	for (t = class_names(cls); t->name != NULL; t++) {
		if (strlen(t->name) == len && memcmp(t->name, name, len) == 0)
			return t;
	}
	return NULL;
}

/* Whether a comma list names only known algorithms (no wildcards). */
static bool
algs_list_valid(enum servconf_alg_class cls, const char *list, const char **bad,
    size_t *badlen)
{
	const char *p = list, *e;
	size_t len;

	if (*p == '\0')
		return false;
	for (;;) {
		e = strchr(p, ',');
		len = e == NULL ? strlen(p) : (size_t)(e - p);
		if (lookup(cls, p, len) == NULL) {
			*bad = p;
			*badlen = len;
			return false;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	return true;
}

bool
servconf_algs_spec_valid(enum servconf_alg_class cls, const char *spec,
    const char **bad, size_t *badlen)
{
	*bad = spec;
	*badlen = strlen(spec);
	if (*spec == '-')
		return spec[1] != '\0';
	if (*spec == '+' || *spec == '^')
		spec++;
	return algs_list_valid(cls, spec, bad, badlen);
}

static bool
list_has(const char *list, const char *name, size_t len)
{
	const char *p = list, *e;

	while (*p != '\0') {
		e = strchr(p, ',');
		if ((e == NULL ? strlen(p) : (size_t)(e - p)) == len &&
		    memcmp(p, name, len) == 0)
			return true;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return false;
}

static int
append(char *dst, size_t cap, size_t *off, const char *name, size_t len)
{
	size_t need = len + (*off != 0 ? 1 : 0);

	if (need >= cap - *off)
		return QSSH_ERR_INTERNAL;
	if (*off != 0)
		dst[(*off)++] = ',';
	memcpy(dst + *off, name, len);
	*off += len;
	dst[*off] = '\0';
	return 0;
}

/* Copy names of src to dst, skipping those keep() rejects. */
static int
append_list(char *dst, size_t cap, size_t *off, enum servconf_alg_class cls,
    const char *src, const char *except, bool neg_patterns)
{
	const char *p = src, *e;
	const struct alg_name *a;
	char name[128];
	size_t len;
	int r;

	while (*p != '\0') {
		e = strchr(p, ',');
		len = e == NULL ? strlen(p) : (size_t)(e - p);
		if (len > 0 && len < sizeof(name)) {
			memcpy(name, p, len);
			name[len] = '\0';
			a = lookup(cls, p, len);
			if (a != NULL && !a->implemented) {
				qlog_debug("algorithm %s is not implemented; "
					   "ignored",
				    name);
			} else if (a != NULL && !list_has(dst, p, len) &&
			    (except == NULL ||
				(neg_patterns ? match_pattern_list(
						    name, except, false) != 1
					      : !list_has(except, p, len)))) {
				if ((r = append(dst, cap, off, p, len)) != 0)
					return r;
			}
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

int
servconf_algs_resolve(enum servconf_alg_class cls, const char *spec, char **out)
{
	const char *def = servconf_algs_default(cls), *bad;
	char *res = NULL;
	size_t cap, off = 0, badlen;
	int r = QSSH_ERR_CONFIG;

	*out = NULL;
	if (spec == NULL || *spec == '\0')
		spec = def;
	cap = strlen(def) + strlen(spec) + 2;
	if ((res = malloc(cap)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	res[0] = '\0';
	if (!servconf_algs_spec_valid(cls, spec, &bad, &badlen))
		goto out;
	switch (*spec) {
	case '+':
		if ((r = append_list(res, cap, &off, cls, def, NULL, false)) ||
		    (r = append_list(
			 res, cap, &off, cls, spec + 1, NULL, false)))
			goto out;
		break;
	case '-':
		if ((r = append_list(
			 res, cap, &off, cls, def, spec + 1, true)) != 0)
			goto out;
		break;
	case '^':
		if ((r = append_list(
			 res, cap, &off, cls, spec + 1, NULL, false)) ||
		    (r = append_list(res, cap, &off, cls, def, NULL, false)))
			goto out;
		break;
	default:
		if ((r = append_list(res, cap, &off, cls, spec, NULL, false)) !=
		    0)
			goto out;
		break;
	}
	if (off == 0) {
		r = QSSH_ERR_CONFIG;
		goto out;
	}
	*out = res;
	res = NULL;
	r = 0;
out:
	free(res);
	return r;
}
