/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Algorithm lists, KEXINIT encoding and negotiation (RFC 4253 7.1) and key
 * derivation (RFC 4253 7.2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/kex.h"
#include "crypto-offload/cryp.h"
#include "kex_int.h"

/* RFC 4251 6: algorithm names are at most 64 characters. */
#define KEX_NAME_MAX 64

static const char kex_supported_kex[] =
    "mlkem768x25519-sha256,sntrup761x25519-sha512,"
    "sntrup761x25519-sha512@openssh.com,"
    "curve25519-sha256,curve25519-sha256@libssh.org,"
    "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
    "diffie-hellman-group-exchange-sha256,"
    "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
    "diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,"
    "diffie-hellman-group1-sha1";
static const char kex_default_kex[] =
    "mlkem768x25519-sha256,sntrup761x25519-sha512,"
    "sntrup761x25519-sha512@openssh.com,"
    "curve25519-sha256,curve25519-sha256@libssh.org,"
    "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
    "diffie-hellman-group-exchange-sha256,"
    "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
    "diffie-hellman-group14-sha256";
static const char kex_supported_hostkey[] =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
    "ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa";
static const char kex_default_hostkey[] =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
    "ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256";
static const char kex_default_ciphers[] =
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
    "aes128-gcm@openssh.com,aes256-gcm@openssh.com";
static const char kex_default_macs[] =
    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
    "hmac-sha1-etm@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";
static const char kex_supported_comp[] = "none,zlib@openssh.com,zlib";

const char *
kex_default_list(enum kex_proposal which, enum kex_role role)
{
	switch (which) {
	case KEX_PROP_KEX:
		return kex_default_kex;
	case KEX_PROP_HOSTKEY:
		return kex_default_hostkey;
	case KEX_PROP_ENC_C2S:
	case KEX_PROP_ENC_S2C:
		return kex_default_ciphers;
	case KEX_PROP_MAC_C2S:
	case KEX_PROP_MAC_S2C:
		return kex_default_macs;
	case KEX_PROP_COMP_C2S:
	case KEX_PROP_COMP_S2C:
		return role == KEX_ROLE_SERVER ? "none,zlib@openssh.com"
					       : "none";
	default:
		return "";
	}
}

const char *
kex_supported_list(enum kex_proposal which)
{
	switch (which) {
	case KEX_PROP_KEX:
		return kex_supported_kex;
	case KEX_PROP_HOSTKEY:
		return kex_supported_hostkey;
	case KEX_PROP_ENC_C2S:
	case KEX_PROP_ENC_S2C:
		return kex_default_ciphers;
	case KEX_PROP_MAC_C2S:
	case KEX_PROP_MAC_S2C:
		return kex_default_macs;
	case KEX_PROP_COMP_C2S:
	case KEX_PROP_COMP_S2C:
		return kex_supported_comp;
	default:
		return "";
	}
}

bool
kex_is_pseudo_alg(const char *name)
{
	return strcmp(name, KEX_EXT_INFO_C) == 0 ||
	    strcmp(name, KEX_EXT_INFO_S) == 0 ||
	    strcmp(name, KEX_STRICT_C) == 0 ||
	    strcmp(name, KEX_STRICT_S) == 0 ||
	    strcmp(name, "ext-info-in-auth@openssh.com") == 0;
}

/* ---- list assembly ---- */

/* Shell-style match of '*' and '?' (no character classes). */
static bool
glob_match(const char *s, const char *pat)
{
	const char *star = NULL, *ss = NULL;

	while (*s != '\0') {
		if (*pat == '*') {
			star = pat++;
			ss = s;
		} else if (*pat == '?' || *pat == *s) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++ss;
		} else
			return false;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/* Call fn for each name of a comma-separated list (copied). */
struct name_iter {
	char *copy;
	char *save;
	bool first;
};

static int
iter_init(struct name_iter *it, const char *list)
{
	it->save = NULL;
	it->first = true;
	if ((it->copy = strdup(list)) == NULL)
		return QSSH_ERR_ALLOC;
	return 0;
}

static char *
iter_next(struct name_iter *it)
{
	char *n = strtok_r(it->first ? it->copy : NULL, ",", &it->save);

	it->first = false;
	return n;
}

static void
iter_cleanup(struct name_iter *it)
{
	free(it->copy);
	it->copy = NULL;
}

static int
list_append(struct qssh_buf *b, const char *name)
{
	int r;

	if (qssh_buf_len(b) > 0 && (r = qssh_buf_put_u8(b, ',')) != 0)
		return r;
	return qssh_buf_put(b, name, strlen(name));
}

/* Is name (a whole entry) in the list held by b? */
static bool
buf_list_contains(const struct qssh_buf *b, const char *name)
{
	char *tmp;
	size_t len = qssh_buf_len(b);
	bool ret;

	if ((tmp = malloc(len + 1)) == NULL)
		return false;
	memcpy(tmp, qssh_buf_ptr(b), len);
	tmp[len] = '\0';
	ret = qssh_namelist_contains(tmp, name);
	free(tmp);
	return ret;
}

/*
 * Append to b every name of src matching pattern (skipping names already in
 * b); a pattern without wildcards that matches nothing is an error.
 */
static int
expand_pattern(
    struct qssh_buf *b, const char *src, const char *supported, const char *pat)
{
	struct name_iter it;
	const char *n;
	bool wild = strpbrk(pat, "*?") != NULL;
	int r;

	if (!wild && !qssh_namelist_contains(supported, pat))
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((r = iter_init(&it, src)) != 0)
		return r;
	while ((n = iter_next(&it)) != NULL) {
		if (!glob_match(n, pat))
			continue;
		if (buf_list_contains(b, n))
			continue;
		if ((r = list_append(b, n)) != 0)
			goto out;
	}
	r = 0;
out:
	iter_cleanup(&it);
	return r;
}

static int
buf_to_str(const struct qssh_buf *b, char **out)
{
	size_t len = qssh_buf_len(b);
	char *s;

	if ((s = malloc(len + 1)) == NULL)
		return QSSH_ERR_ALLOC;
	memcpy(s, qssh_buf_ptr(b), len);
	s[len] = '\0';
	*out = s;
	return 0;
}

/* Append the names of list not already in b. */
static int
append_missing(struct qssh_buf *b, const char *list)
{
	struct name_iter it;
	const char *n;
	int r;

	if ((r = iter_init(&it, list)) != 0)
		return r;
	while ((n = iter_next(&it)) != NULL) {
		if (buf_list_contains(b, n))
			continue;
		if ((r = list_append(b, n)) != 0)
			break;
	}
	iter_cleanup(&it);
	return r;
}

/* Names of def matching none of the patterns; patterns are validated. */
static int
remove_patterns(struct qssh_buf *b, const char *def, const char *supported,
    const char *spec)
{
	struct name_iter d, it;
	const char *dn, *n;
	bool drop;
	int r;

	if ((r = iter_init(&it, spec)) != 0)
		return r;
	while ((n = iter_next(&it)) != NULL) {
		if (strpbrk(n, "*?") == NULL &&
		    !qssh_namelist_contains(supported, n)) {
			iter_cleanup(&it);
			return QSSH_ERR_INVALID_ARGUMENT;
		}
	}
	iter_cleanup(&it);
	if ((r = iter_init(&d, def)) != 0)
		return r;
	while (r == 0 && (dn = iter_next(&d)) != NULL) {
		if ((r = iter_init(&it, spec)) != 0)
			break;
		drop = false;
		while ((n = iter_next(&it)) != NULL)
			if (glob_match(dn, n))
				drop = true;
		iter_cleanup(&it);
		if (!drop)
			r = list_append(b, dn);
	}
	iter_cleanup(&d);
	return r;
}

int
kex_assemble_list(
    const char *def, const char *supported, const char *spec, char **out)
{
	struct qssh_buf *b = NULL, *tmp = NULL;
	struct name_iter it = { NULL, NULL, true };
	char *expanded = NULL;
	const char *n;
	char op = '\0';
	int r;

	*out = NULL;
	if ((b = qssh_buf_new()) == NULL || (tmp = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if (spec == NULL || *spec == '\0')
		spec = def;
	else if (*spec == '+' || *spec == '-' || *spec == '^')
		op = *spec++;
	if (*spec == '\0' || strpbrk(spec, " \t") != NULL ||
	    strstr(spec, ",,") != NULL || spec[strlen(spec) - 1] == ',' ||
	    *spec == ',') {
		r = QSSH_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if (op == '-') {
		if ((r = remove_patterns(b, def, supported, spec)) != 0)
			goto out;
	} else {
		if ((r = iter_init(&it, spec)) != 0)
			goto out;
		while ((n = iter_next(&it)) != NULL) {
			if ((r = expand_pattern(
				 tmp, supported, supported, n)) != 0)
				goto out;
		}
		if ((r = buf_to_str(tmp, &expanded)) != 0)
			goto out;
		if (op == '+') {
			if ((r = append_missing(b, def)) != 0 ||
			    (r = append_missing(b, expanded)) != 0)
				goto out;
		} else if (op == '^') {
			if ((r = append_missing(b, expanded)) != 0 ||
			    (r = append_missing(b, def)) != 0)
				goto out;
		} else if ((r = append_missing(b, expanded)) != 0)
			goto out;
	}
	if (qssh_buf_len(b) == 0) {
		r = QSSH_ERR_NO_MATCH;
		goto out;
	}
	r = buf_to_str(b, out);
out:
	free(expanded);
	iter_cleanup(&it);
	qssh_buf_free(tmp);
	qssh_buf_free(b);
	return r;
}

/* ---- KEXINIT ---- */

void
kex_proposal_cleanup(struct kex_proposal_set *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < KEX_PROP_MAX; i++)
		free(p->names[i]);
	memset(p, 0, sizeof(*p));
}

/* Every entry non-empty and at most KEX_NAME_MAX characters. */
static bool
namelist_valid(const char *s)
{
	size_t run = 0;

	if (*s == '\0')
		return true;
	for (; *s != '\0'; s++) {
		if (*s == ',') {
			if (run == 0)
				return false;
			run = 0;
			continue;
		}
		if (++run > KEX_NAME_MAX)
			return false;
	}
	return run != 0;
}

int
kex_proposal_parse(struct qssh_view payload, struct kex_proposal_set *p)
{
	struct qssh_view v = payload;
	size_t i;
	int r;

	memset(p, 0, sizeof(*p));
	if ((r = qssh_view_copy(&v, p->cookie, sizeof(p->cookie))) != 0)
		goto out;
	for (i = 0; i < KEX_PROP_MAX; i++) {
		if ((r = qssh_view_get_namelist(&v, &p->names[i])) != 0)
			goto out;
		if (!namelist_valid(p->names[i])) {
			r = QSSH_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	if ((r = qssh_view_get_bool(&v, &p->first_kex_follows)) != 0 ||
	    (r = qssh_view_get_u32(&v, &p->reserved)) != 0)
		goto out;
	r = 0;
out:
	if (r != 0)
		kex_proposal_cleanup(p);
	return r;
}

int
kex_proposal_build(const struct kex_proposal_set *p, struct qssh_buf *b)
{
	size_t i;
	int r;

	if ((r = qssh_buf_put(b, p->cookie, sizeof(p->cookie))) != 0)
		return r;
	for (i = 0; i < KEX_PROP_MAX; i++) {
		if ((r = qssh_buf_put_cstring(
			 b, p->names[i] != NULL ? p->names[i] : "")) != 0)
			return r;
	}
	if ((r = qssh_buf_put_bool(b, p->first_kex_follows)) != 0 ||
	    (r = qssh_buf_put_u32(b, 0)) != 0)
		return r;
	return 0;
}

void
kex_choice_cleanup(struct kex_choice *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < KEX_PROP_MAX; i++)
		free(c->names[i]);
	memset(c, 0, sizeof(*c));
}

/* First name of client (skipping pseudo-algorithms) also in server. */
static int
first_match(const char *client, const char *server, char **out)
{
	struct name_iter it;
	const char *n;
	int r;

	*out = NULL;
	if ((r = iter_init(&it, client)) != 0)
		return r;
	r = QSSH_ERR_NO_MATCH;
	while ((n = iter_next(&it)) != NULL) {
		if (kex_is_pseudo_alg(n))
			continue;
		if (qssh_namelist_contains(server, n)) {
			r = (*out = strdup(n)) == NULL ? QSSH_ERR_ALLOC : 0;
			break;
		}
	}
	iter_cleanup(&it);
	return r;
}

/* Both lists start with the same name (for checking a peer's guess). */
static bool
same_first_entry(const char *a, const char *b)
{
	size_t n = strcspn(a, ",");

	return n > 0 && n == strcspn(b, ",") && strncmp(a, b, n) == 0;
}

static int
fail_detail(char **detail, const char *what, const char *offer)
{
	if (detail == NULL)
		return QSSH_ERR_NO_MATCH;
	if (asprintf(detail, "no matching %s found. Their offer: %s", what,
		offer) < 0) {
		*detail = NULL;
		return QSSH_ERR_ALLOC;
	}
	return QSSH_ERR_NO_MATCH;
}

int
kex_negotiate(const struct kex_proposal_set *client,
    const struct kex_proposal_set *server, enum kex_role our_role,
    bool first_kex, struct kex_choice *c, char **detail)
{
	const struct kex_proposal_set *peer =
	    our_role == KEX_ROLE_CLIENT ? server : client;
	const struct kex_proposal_set *ours =
	    our_role == KEX_ROLE_CLIENT ? client : server;
	const struct cryp_cipher_info *ci;
	char *hk = NULL;
	int r, i;
	static const char *const what[KEX_PROP_MAX] = {
		"key exchange method",
		"host key type",
		"cipher",
		"cipher",
		"MAC",
		"MAC",
		"compression method",
		"compression method",
		"language",
		"language",
	};

	memset(c, 0, sizeof(*c));
	if (detail != NULL)
		*detail = NULL;
	/*
	 * Every kex we implement needs a signature-capable host key and every
	 * host key algorithm is one, so a kex is usable iff some host key
	 * algorithm is shared; report that case as a host key failure.
	 */
	r = first_match(client->names[KEX_PROP_KEX],
	    server->names[KEX_PROP_KEX], &c->names[KEX_PROP_KEX]);
	if (r == QSSH_ERR_NO_MATCH) {
		r = fail_detail(
		    detail, what[KEX_PROP_KEX], peer->names[KEX_PROP_KEX]);
		goto out;
	} else if (r != 0)
		goto out;
	r = first_match(client->names[KEX_PROP_HOSTKEY],
	    server->names[KEX_PROP_HOSTKEY], &hk);
	if (r == QSSH_ERR_NO_MATCH) {
		r = fail_detail(detail, what[KEX_PROP_HOSTKEY],
		    peer->names[KEX_PROP_HOSTKEY]);
		goto out;
	} else if (r != 0)
		goto out;
	c->names[KEX_PROP_HOSTKEY] = hk;
	hk = NULL;
	for (i = KEX_PROP_ENC_C2S; i <= KEX_PROP_COMP_S2C; i++) {
		if (i == KEX_PROP_MAC_C2S || i == KEX_PROP_MAC_S2C) {
			ci = cryp_cipher_by_name(c->names[i - 2]);
			if (ci != NULL && ci->aead)
				continue;
		}
		r = first_match(
		    client->names[i], server->names[i], &c->names[i]);
		if (r == QSSH_ERR_NO_MATCH) {
			r = fail_detail(detail, what[i], peer->names[i]);
			goto out;
		} else if (r != 0)
			goto out;
	}
	/* Languages are not negotiated (RFC 4253 7.1 allows none). */
	c->strict = first_kex &&
	    qssh_namelist_contains(client->names[KEX_PROP_KEX], KEX_STRICT_C) &&
	    qssh_namelist_contains(server->names[KEX_PROP_KEX], KEX_STRICT_S);
	c->peer_ext_info = first_kex &&
	    qssh_namelist_contains(client->names[KEX_PROP_KEX], KEX_EXT_INFO_C);
	c->server_ext_info = first_kex &&
	    qssh_namelist_contains(server->names[KEX_PROP_KEX], KEX_EXT_INFO_S);
	/*
	 * RFC 4253 7: the peer's guessed packet is right only when both sides
	 * prefer the same kex and host key algorithms, even if negotiation
	 * ends on the peer's first choice anyway.
	 */
	if (peer->first_kex_follows &&
	    (!same_first_entry(
		 peer->names[KEX_PROP_KEX], ours->names[KEX_PROP_KEX]) ||
		!same_first_entry(peer->names[KEX_PROP_HOSTKEY],
		    ours->names[KEX_PROP_HOSTKEY])))
		c->peer_guess_wrong = true;
	r = 0;
out:
	free(hk);
	if (r != 0)
		kex_choice_cleanup(c);
	return r;
}

/* ---- key derivation ---- */

int
kex_derive_key(const char *hash_name, const uint8_t *k_mpint, size_t k_len,
    const uint8_t *h, size_t h_len, char letter, const uint8_t *session_id,
    size_t sid_len, uint8_t *out, size_t need)
{
	const EVP_MD *md;
	EVP_MD_CTX *ctx = NULL;
	uint8_t *acc = NULL;
	size_t have = 0, mdlen, cap;
	unsigned int dlen;
	uint8_t c = (uint8_t)letter;
	int r = QSSH_ERR_LIBCRYPTO;

	if ((md = EVP_get_digestbyname(hash_name)) == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	mdlen = (size_t)EVP_MD_get_size(md);
	if (need == 0)
		return 0;
	cap = need + mdlen;
	if ((acc = malloc(cap)) == NULL)
		return QSSH_ERR_ALLOC;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	while (have < need) {
		if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
		    EVP_DigestUpdate(ctx, k_mpint, k_len) != 1 ||
		    EVP_DigestUpdate(ctx, h, h_len) != 1)
			goto out;
		if (have == 0) {
			if (EVP_DigestUpdate(ctx, &c, 1) != 1 ||
			    EVP_DigestUpdate(ctx, session_id, sid_len) != 1)
				goto out;
		} else if (EVP_DigestUpdate(ctx, acc, have) != 1)
			goto out;
		if (EVP_DigestFinal_ex(ctx, acc + have, &dlen) != 1 ||
		    dlen != mdlen)
			goto out;
		have += dlen;
	}
	memcpy(out, acc, need);
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	qssh_wipe_free(acc, cap);
	return r;
}
