/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * known_hosts: parsing, lookups, adding hosts, removal and hashing in the
 * manner of ssh-keygen -R / -H, and ssh(1)'s host key messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/hostfile.h"
#include "control/key.h"
#include "control/match.h"

#define HASH_MAGIC "|1|"
#define HASH_LEN 20 /* SHA-1 */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static size_t
word_len(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0' && !is_blank(s[n]))
		n++;
	return n;
}

/* Split "|1|salt|hash" into its two 20-byte halves. */
static bool
hash_decode(const char *hosts, uint8_t salt[HASH_LEN], uint8_t hash[HASH_LEN])
{
	char part[64];
	const char *p, *bar;
	size_t n, got;

	if (strncmp(hosts, HASH_MAGIC, strlen(HASH_MAGIC)) != 0)
		return false;
	p = hosts + strlen(HASH_MAGIC);
	if ((bar = strchr(p, '|')) == NULL)
		return false;
	n = (size_t)(bar - p);
	if (n == 0 || n >= sizeof(part))
		return false;
	memcpy(part, p, n);
	part[n] = '\0';
	if (qssh_b64_decode(part, salt, HASH_LEN, &got) != 0 || got != HASH_LEN)
		return false;
	p = bar + 1;
	n = strlen(p);
	if (n == 0 || n >= sizeof(part) || strchr(p, '|') != NULL)
		return false;
	memcpy(part, p, n + 1);
	if (qssh_b64_decode(part, hash, HASH_LEN, &got) != 0 || got != HASH_LEN)
		return false;
	return true;
}

static int
hmac_sha1(const uint8_t salt[HASH_LEN], const char *name, uint8_t out[HASH_LEN])
{
	unsigned mdlen = 0;

	if (HMAC(EVP_sha1(), salt, HASH_LEN, (const unsigned char *)name,
		strlen(name), out, &mdlen) == NULL ||
	    mdlen != HASH_LEN)
		return QSSH_ERR_LIBCRYPTO;
	return 0;
}

void
hostfile_entry_free(struct hostfile_entry *e)
{
	if (e == NULL)
		return;
	free(e->file);
	free(e->hosts);
	authkeys_keyfield_cleanup(&e->key);
	free(e->comment);
	free(e);
}

static bool entry_hosts_match(const struct hostfile_entry *e, const char *name);

/*
 * Parse a line; with name set, a line for other hosts stops before its key
 * is decoded and gives QSSH_ERR_NO_MATCH.
 */
static int
parse_line(const char *line, const char *name, struct hostfile_entry **out)
{
	struct hostfile_entry *e = NULL;
	uint8_t salt[HASH_LEN], hash[HASH_LEN];
	const char *s = line, *cp;
	char tname[64];
	size_t n, tlen;
	int r = QSSH_ERR_INTERNAL;

	*out = NULL;
	while (is_blank(*s))
		s++;
	if (*s == '\0' || *s == '#' || *s == '\r' || *s == '\n')
		return QSSH_ERR_NOT_FOUND;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return QSSH_ERR_ALLOC;
	if (*s == '@') {
		n = word_len(s);
		if (n == strlen("@cert-authority") &&
		    strncmp(s, "@cert-authority", n) == 0)
			e->marker = HOSTFILE_MARKER_CA;
		else if (n == strlen("@revoked") &&
		    strncmp(s, "@revoked", n) == 0)
			e->marker = HOSTFILE_MARKER_REVOKED;
		else {
			r = QSSH_ERR_INVALID_FORMAT;
			goto out;
		}
		s += n;
		while (is_blank(*s))
			s++;
	}
	if ((n = word_len(s)) == 0) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((e->hosts = strndup(s, n)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if (e->hosts[0] == '|') {
		if (!hash_decode(e->hosts, salt, hash)) {
			r = QSSH_ERR_INVALID_FORMAT;
			goto out;
		}
		e->hashed = true;
	}
	/* Cheap shape check before the host filter: a key type follows. */
	cp = s + n;
	while (is_blank(*cp))
		cp++;
	if ((tlen = word_len(cp)) == 0 || tlen >= sizeof(tname)) {
		r = QSSH_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	memcpy(tname, cp, tlen);
	tname[tlen] = '\0';
	if (!authkeys_type_known(tname)) {
		r = QSSH_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if (name != NULL && !entry_hosts_match(e, name)) {
		r = QSSH_ERR_NO_MATCH;
		goto out;
	}
	cp = s + n;
	if ((r = authkeys_keyfield_parse(&cp, &e->key)) != 0)
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
	hostfile_entry_free(e);
	return r;
}

int
hostfile_parse_line(const char *line, struct hostfile_entry **out)
{
	return parse_line(line, NULL, out);
}

static bool
entry_hosts_match(const struct hostfile_entry *e, const char *name)
{
	uint8_t salt[HASH_LEN], hash[HASH_LEN], mine[HASH_LEN];
	bool ok;

	if (e == NULL || name == NULL)
		return false;
	if (!e->hashed)
		return match_hostname(name, e->hosts) == 1;
	if (!hash_decode(e->hosts, salt, hash) ||
	    hmac_sha1(salt, name, mine) != 0)
		return false;
	ok = qssh_ct_eq(hash, mine, HASH_LEN);
	qssh_wipe(mine, sizeof(mine));
	return ok;
}

bool
hostfile_entry_matches(const struct hostfile_entry *e, const char *name)
{
	return entry_hosts_match(e, name);
}

int
hostfile_host_name(const char *host, unsigned port, char **out)
{
	char *s = NULL;
	size_t i, n;

	*out = NULL;
	if (host == NULL || port > 65535)
		return QSSH_ERR_INVALID_ARGUMENT;
	n = strlen(host) + 16;
	if ((s = malloc(n)) == NULL)
		return QSSH_ERR_ALLOC;
	if (port == 0 || port == 22)
		snprintf(s, n, "%s", host);
	else
		snprintf(s, n, "[%s]:%u", host, port);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	}
	*out = s;
	return 0;
}

/* ---- lookup ---- */

void
hostfile_result_free(struct hostfile_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->num_entries; i++)
		hostfile_entry_free(res->entries[i]);
	free(res->entries);
	for (i = 0; i < res->num_ca_entries; i++)
		hostfile_entry_free(res->ca_entries[i]);
	free(res->ca_entries);
	/* A revoked line is kept outside the lists. */
	if (res->status == HOSTFILE_REVOKED)
		hostfile_entry_free((struct hostfile_entry *)res->offending);
	free(res);
}

static int
entries_add(struct hostfile_entry ***v, size_t *n, struct hostfile_entry *e)
{
	struct hostfile_entry **nv;

	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL)
		return QSSH_ERR_ALLOC;
	nv[*n] = e;
	*v = nv;
	(*n)++;
	return 0;
}

struct lookup {
	struct hostfile_result *res;
	struct hostfile_entry *revoked;
	const struct hostfile_entry *changed;
	const char *name;
	const struct key *key;
};

static int
lookup_buf(struct lookup *lk, const char *file, const uint8_t *data, size_t len)
{
	struct hostfile_result *res = lk->res;
	struct authkeys_lines it;
	struct hostfile_entry *e = NULL;
	const char *line, *ktype = key_type_name(lk->key);
	size_t lineno;
	bool bad;
	int r = 0;

	authkeys_lines_init(&it, data, len);
	while (authkeys_lines_next(&it, &line, &lineno, &bad)) {
		hostfile_entry_free(e);
		e = NULL;
		if (bad) {
			qlog_debug("%s:%zu: invalid line", file, lineno);
			continue;
		}
		if ((r = parse_line(line, lk->name, &e)) != 0) {
			if (r == QSSH_ERR_ALLOC)
				goto out;
			if (r != QSSH_ERR_NOT_FOUND && r != QSSH_ERR_NO_MATCH)
				qlog_debug(
				    "%s:%zu: invalid line", file, lineno);
			r = 0;
			continue;
		}
		e->line = lineno;
		if ((e->file = strdup(file)) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		switch (e->marker) {
		case HOSTFILE_MARKER_REVOKED:
			if (lk->revoked == NULL &&
			    authkeys_keyfield_matches(&e->key, lk->key)) {
				lk->revoked = e;
				e = NULL;
			}
			break;
		case HOSTFILE_MARKER_CA:
			if ((r = entries_add(&res->ca_entries,
				 &res->num_ca_entries, e)) != 0)
				goto out;
			e = NULL;
			break;
		default:
			if ((r = entries_add(
				 &res->entries, &res->num_entries, e)) != 0)
				goto out;
			if (authkeys_keyfield_matches(&e->key, lk->key)) {
				if (res->match == NULL)
					res->match = e;
			} else if (lk->changed == NULL && ktype != NULL &&
			    strcmp(e->key.type, ktype) == 0) {
				lk->changed = e;
			}
			e = NULL;
			break;
		}
	}
out:
	hostfile_entry_free(e);
	authkeys_lines_cleanup(&it);
	return r;
}

static void
lookup_finish(struct lookup *lk)
{
	struct hostfile_result *res = lk->res;

	if (lk->revoked != NULL) {
		res->status = HOSTFILE_REVOKED;
		res->offending = lk->revoked;
		res->match = NULL;
		lk->revoked = NULL;
	} else if (res->match != NULL) {
		res->status = HOSTFILE_OK;
	} else if (lk->changed != NULL) {
		res->status = HOSTFILE_CHANGED;
		res->offending = lk->changed;
	} else {
		res->status = HOSTFILE_NEW;
		if (res->num_entries > 0) {
			res->other_types_known = true;
			res->offending = res->entries[0];
		}
	}
}

static int
lookup_start(
    struct lookup *lk, const char *host, unsigned port, const struct key *key)
{
	char *name = NULL;
	int r;

	memset(lk, 0, sizeof(*lk));
	if (key == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((r = hostfile_host_name(host, port, &name)) != 0)
		return r;
	if ((lk->res = calloc(1, sizeof(*lk->res))) == NULL) {
		free(name);
		return QSSH_ERR_ALLOC;
	}
	lk->name = name;
	lk->key = key;
	return 0;
}

static int
lookup_end(struct lookup *lk, int r, struct hostfile_result **out)
{
	if (r == 0) {
		lookup_finish(lk);
		*out = lk->res;
		lk->res = NULL;
	}
	hostfile_entry_free(lk->revoked);
	hostfile_result_free(lk->res);
	free((char *)lk->name);
	return r;
}

int
hostfile_check_host_buf(const char *name, const uint8_t *data, size_t len,
    const char *host, unsigned port, const struct key *key,
    struct hostfile_result **out)
{
	struct lookup lk;
	int r;

	*out = NULL;
	if ((r = lookup_start(&lk, host, port, key)) != 0)
		return r;
	r = lookup_buf(&lk, name != NULL ? name : "(buffer)", data, len);
	return lookup_end(&lk, r, out);
}

/*
 * A known_hosts file: a regular file through authkeys_read_file(), or a
 * character device or FIFO (GlobalKnownHostsFile /dev/null is a common way
 * of saying "none"), read to its end up to the same size limit.
 */
static int
read_known_hosts(const char *path, char **data, size_t *len)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0;
	ssize_t got;
	int fd = -1, r;

	r = authkeys_read_file(path, data, len);
	if (r != QSSH_ERR_INVALID_FORMAT)
		return r;
	if (stat(path, &st) != 0 ||
	    (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode)))
		return r;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return QSSH_ERR_SYSTEM;
	for (;;) {
		if (cap - n < 4096 + 1) {
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
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno != EAGAIN) {
			r = QSSH_ERR_SYSTEM;
			goto out;
		}
		if (got <= 0)
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
	free(buf);
	close(fd);
	return r;
}

int
hostfile_check_host(const char *const *files, size_t num_files,
    const char *host, unsigned port, const struct key *key,
    struct hostfile_result **out)
{
	struct lookup lk;
	char *data = NULL;
	size_t i, len;
	int r;

	*out = NULL;
	if ((r = lookup_start(&lk, host, port, key)) != 0)
		return r;
	for (i = 0; i < num_files; i++) {
		if (files[i] == NULL)
			continue;
		if ((r = read_known_hosts(files[i], &data, &len)) != 0) {
			if (r == QSSH_ERR_ALLOC)
				break;
			qlog_debug("Failed to open known hosts file %s: %s",
			    files[i], qssh_strerror(r));
			r = 0;
			continue;
		}
		r = lookup_buf(&lk, files[i], (const uint8_t *)data, len);
		free(data);
		data = NULL;
		if (r != 0)
			break;
	}
	return lookup_end(&lk, r, out);
}

/* ---- writing ---- */

int
hostfile_hash_name(const char *name, const uint8_t *salt, char **out)
{
	uint8_t s[HASH_LEN], h[HASH_LEN];
	char bs[64], bh[64], *res = NULL;
	size_t n;
	int r = QSSH_ERR_INTERNAL;

	*out = NULL;
	if (salt != NULL)
		memcpy(s, salt, HASH_LEN);
	else if ((r = qssh_random_bytes(s, sizeof(s))) != 0)
		goto out;
	if ((r = hmac_sha1(s, name, h)) != 0)
		goto out;
	if ((r = qssh_b64_encode(s, HASH_LEN, bs, sizeof(bs))) < 0 ||
	    (r = qssh_b64_encode(h, HASH_LEN, bh, sizeof(bh))) < 0)
		goto out;
	n = strlen(HASH_MAGIC) + strlen(bs) + 1 + strlen(bh) + 1;
	if ((res = malloc(n)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	snprintf(res, n, "%s%s|%s", HASH_MAGIC, bs, bh);
	*out = res;
	r = 0;
out:
	qssh_wipe(s, sizeof(s));
	qssh_wipe(h, sizeof(h));
	return r;
}

/* "type base64" of a public key. */
static int
key_field(const struct key *key, struct qssh_buf *b)
{
	struct qssh_buf *blob = NULL;
	char *b64 = NULL;
	const char *type;
	size_t n;
	int r = QSSH_ERR_INTERNAL;

	if ((type = key_type_name(key)) == NULL) {
		r = QSSH_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if ((blob = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = key_to_blob(key, blob)) != 0)
		goto out;
	n = qssh_b64_encoded_len(qssh_buf_len(blob));
	if ((b64 = malloc(n)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_b64_encode(
		 qssh_buf_ptr(blob), qssh_buf_len(blob), b64, n)) < 0)
		goto out;
	if ((r = qssh_buf_putf(b, "%s %s", type, b64)) != 0)
		goto out;
	r = 0;
out:
	free(b64);
	qssh_buf_free(blob);
	return r;
}

/* Heap NUL-terminated copy of a buffer's contents. */
static int
buf_to_str(const struct qssh_buf *b, char **out)
{
	size_t n = qssh_buf_len(b);
	char *s;

	if ((s = malloc(n + 1)) == NULL)
		return QSSH_ERR_ALLOC;
	if (n > 0)
		memcpy(s, qssh_buf_ptr(b), n);
	s[n] = '\0';
	*out = s;
	return 0;
}

int
hostfile_format_line(const char *host, unsigned port, const struct key *key,
    bool hash, char **out)
{
	struct qssh_buf *b = NULL;
	char *name = NULL, *hashed = NULL;
	int r = QSSH_ERR_INTERNAL;

	*out = NULL;
	if ((r = hostfile_host_name(host, port, &name)) != 0)
		goto out;
	if (hash && (r = hostfile_hash_name(name, NULL, &hashed)) != 0)
		goto out;
	if ((b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_putf(b, "%s ", hash ? hashed : name)) != 0 ||
	    (r = key_field(key, b)) != 0 || (r = qssh_buf_put_u8(b, '\n')) != 0)
		goto out;
	r = buf_to_str(b, out);
out:
	free(name);
	free(hashed);
	qssh_buf_free(b);
	return r;
}

static int
write_all(int fd, const char *s, size_t n)
{
	ssize_t w;
	size_t off = 0;

	while (off < n) {
		w = write(fd, s + off, n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return QSSH_ERR_SYSTEM;
		}
		off += (size_t)w;
	}
	return 0;
}

/* Create the directory holding path (one level, mode 0700) if missing. */
static int
make_parent_dir(const char *path)
{
	char *dir = NULL, *slash;
	struct stat st;
	int r = 0;

	if ((dir = strdup(path)) == NULL)
		return QSSH_ERR_ALLOC;
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) != 0) {
			if (errno != ENOENT || mkdir(dir, 0700) != 0)
				r = QSSH_ERR_SYSTEM;
		}
	}
	free(dir);
	return r;
}

int
hostfile_add(const char *path, const char *host, unsigned port,
    const struct key *key, bool hash)
{
	char *line = NULL;
	int fd = -1, r = QSSH_ERR_INTERNAL;

	if ((r = hostfile_format_line(host, port, key, hash, &line)) != 0)
		goto out;
	if ((r = make_parent_dir(path)) != 0)
		goto out;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) <
	    0) {
		r = errno == EACCES ? QSSH_ERR_ACCESS : QSSH_ERR_SYSTEM;
		goto out;
	}
	if ((r = write_all(fd, line, strlen(line))) != 0)
		goto out;
	r = 0;
out:
	if (fd >= 0 && close(fd) != 0 && r == 0)
		r = QSSH_ERR_SYSTEM;
	free(line);
	return r;
}

/*
 * Replace path by the contents of b, keeping the old file as path.old
 * (as ssh-keygen does).
 */
static int
replace_file(const char *path, const struct qssh_buf *b)
{
	char tmp[PATH_MAX], old[PATH_MAX];
	struct stat st;
	mode_t mode = 0600;
	int fd = -1, r = QSSH_ERR_INTERNAL;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXXXXXX", path) >=
		sizeof(tmp) ||
	    (size_t)snprintf(old, sizeof(old), "%s.old", path) >= sizeof(old))
		return QSSH_ERR_PATH_TOO_LONG;
	if (stat(path, &st) == 0)
		mode = st.st_mode & 0777;
	if ((fd = mkstemp(tmp)) < 0) {
		tmp[0] = '\0';
		r = QSSH_ERR_SYSTEM;
		goto out;
	}
	if (fchmod(fd, mode) != 0 ||
	    (r = write_all(
		 fd, (const char *)qssh_buf_ptr(b), qssh_buf_len(b))) != 0) {
		r = QSSH_ERR_SYSTEM;
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = QSSH_ERR_SYSTEM;
		goto out;
	}
	fd = -1;
	if ((unlink(old) != 0 && errno != ENOENT) || link(path, old) != 0 ||
	    rename(tmp, path) != 0) {
		r = QSSH_ERR_SYSTEM;
		goto out;
	}
	tmp[0] = '\0';
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return r;
}

/* Per-line callback for rewriting a file; appends output to b. */
typedef int (*rewrite_fn)(const char *file, size_t lineno, const char *line,
    const struct hostfile_entry *e, struct qssh_buf *b, void *ctx,
    size_t *changed);

static int
rewrite_file(const char *path, rewrite_fn fn, void *ctx, size_t *changed)
{
	struct authkeys_lines it;
	struct hostfile_entry *e = NULL;
	struct qssh_buf *b = NULL;
	const char *line;
	char *data = NULL;
	size_t len, lineno;
	bool bad;
	int r = QSSH_ERR_INTERNAL;

	*changed = 0;
	authkeys_lines_init(&it, NULL, 0);
	if ((r = authkeys_read_file(path, &data, &len)) != 0)
		goto out;
	if ((b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	authkeys_lines_init(&it, (const uint8_t *)data, len);
	while (authkeys_lines_next(&it, &line, &lineno, &bad)) {
		hostfile_entry_free(e);
		e = NULL;
		if (bad) {
			qlog_debug("%s:%zu: invalid line", path, lineno);
			r = QSSH_ERR_INVALID_FORMAT;
			goto out;
		}
		r = hostfile_parse_line(line, &e);
		if (r != 0 && r != QSSH_ERR_NOT_FOUND) {
			qlog_debug("%s:%zu: invalid line", path, lineno);
			if (r != QSSH_ERR_ALLOC)
				r = QSSH_ERR_INVALID_FORMAT;
			goto out;
		}
		if ((r = fn(path, lineno, line, e, b, ctx, changed)) != 0)
			goto out;
	}
	r = *changed > 0 ? replace_file(path, b) : 0;
out:
	authkeys_lines_cleanup(&it);
	hostfile_entry_free(e);
	qssh_buf_free(b);
	free(data);
	return r;
}

static int
remove_line(const char *file, size_t lineno, const char *line,
    const struct hostfile_entry *e, struct qssh_buf *b, void *ctx,
    size_t *changed)
{
	const char *name = ctx;

	(void)file;
	if (e != NULL && e->marker == HOSTFILE_MARKER_NONE &&
	    hostfile_entry_matches(e, name)) {
		qlog_debug("# Host %s found: line %zu", name, lineno);
		(*changed)++;
		return 0;
	}
	return qssh_buf_putf(b, "%s\n", line);
}

int
hostfile_remove_host(const char *path, const char *name, size_t *removed)
{
	size_t n = 0;
	int r;

	if (removed != NULL)
		*removed = 0;
	/* The name is used as given, as ssh-keygen -R does. */
	r = rewrite_file(path, remove_line, (void *)name, &n);
	if (r == 0 && removed != NULL)
		*removed = n;
	return r;
}

static int
hash_line(const char *file, size_t lineno, const char *line,
    const struct hostfile_entry *e, struct qssh_buf *b, void *ctx,
    size_t *changed)
{
	const char *s = line, *rest;
	char *names = NULL, *name, *save = NULL, *hashed = NULL;
	size_t i;
	int r = QSSH_ERR_INTERNAL;

	(void)ctx;
	if (e == NULL || e->marker != HOSTFILE_MARKER_NONE || e->hashed)
		return qssh_buf_putf(b, "%s\n", line);
	if (strpbrk(e->hosts, "*?!") != NULL) {
		qlog_info("%s:%zu: ignoring host name with wildcard: %s", file,
		    lineno, e->hosts);
		return qssh_buf_putf(b, "%s\n", line);
	}
	/* The text after the host field, as written. */
	while (is_blank(*s))
		s++;
	rest = s + word_len(s);
	while (is_blank(*rest))
		rest++;
	if ((names = strdup(e->hosts)) == NULL)
		return QSSH_ERR_ALLOC;
	for (i = 0; names[i] != '\0'; i++) {
		if (names[i] >= 'A' && names[i] <= 'Z')
			names[i] = (char)(names[i] - 'A' + 'a');
	}
	for (name = strtok_r(names, ",", &save); name != NULL;
	     name = strtok_r(NULL, ",", &save)) {
		if ((r = hostfile_hash_name(name, NULL, &hashed)) != 0)
			goto out;
		if ((r = qssh_buf_putf(b, "%s %s\n", hashed, rest)) != 0)
			goto out;
		free(hashed);
		hashed = NULL;
	}
	(*changed)++;
	r = 0;
out:
	free(hashed);
	free(names);
	return r;
}

int
hostfile_hash_file(const char *path)
{
	size_t n;

	return rewrite_file(path, hash_line, NULL, &n);
}

/* ---- ssh(1) texts ---- */

static int
key_fp_and_type(const struct key *key, char **fp, const char **type)
{
	*type = authkeys_type_short(key_type_name(key));
	return key_fingerprint(key, KEY_FP_SHA256, fp);
}

int
hostfile_text_new_host(
    const char *host, const char *ip, const struct key *key, char **out)
{
	struct qssh_buf *b = NULL;
	const char *type;
	char *fp = NULL;
	int r = QSSH_ERR_INTERNAL;

	*out = NULL;
	if ((r = key_fp_and_type(key, &fp, &type)) != 0)
		goto out;
	if ((b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_putf(b,
		 "The authenticity of host '%.200s (%s)' can't be "
		 "established.\n"
		 "%s key fingerprint is %s.\n"
		 "This key is not known by any other names.\n"
		 "Are you sure you want to continue connecting "
		 "(yes/no/[fingerprint])? ",
		 host, ip != NULL ? ip : host, type, fp)) != 0)
		goto out;
	r = buf_to_str(b, out);
out:
	free(fp);
	qssh_buf_free(b);
	return r;
}

int
hostfile_text_added(const char *host, const struct key *key, char **out)
{
	struct qssh_buf *b = NULL;
	int r = QSSH_ERR_INTERNAL;

	*out = NULL;
	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_putf(b,
		 "Warning: Permanently added '%.550s' (%s) to the list of "
		 "known hosts.\n",
		 host, authkeys_type_short(key_type_name(key)))) != 0)
		goto out;
	r = buf_to_str(b, out);
out:
	qssh_buf_free(b);
	return r;
}

int
hostfile_text_changed(const char *host, const struct key *key,
    const struct hostfile_entry *offending, const char *user_file, bool strict,
    char **out)
{
	static const char banner[] =
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n";
	struct qssh_buf *b = NULL;
	const char *type;
	char *fp = NULL;
	int r = QSSH_ERR_INTERNAL;

	*out = NULL;
	if (offending == NULL || offending->file == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((r = key_fp_and_type(key, &fp, &type)) != 0)
		goto out;
	if ((b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_putf(b,
		 "%s"
		 "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
		 "%s"
		 "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
		 "Someone could be eavesdropping on you right now "
		 "(man-in-the-middle attack)!\n"
		 "It is also possible that a host key has just been "
		 "changed.\n"
		 "The fingerprint for the %s key sent by the remote host "
		 "is\n%s.\n"
		 "Please contact your system administrator.\n"
		 "Add correct host key in %.100s to get rid of this "
		 "message.\n"
		 "Offending %s key in %s:%zu\n"
		 "  remove with:\n"
		 "  ssh-keygen -f \"%s\" -R \"%s\"\n",
		 banner, banner, type, fp,
		 user_file != NULL ? user_file : offending->file,
		 authkeys_type_short(offending->key.type), offending->file,
		 offending->line, offending->file, host)) != 0)
		goto out;
	if (strict &&
	    (r = qssh_buf_putf(b,
		 "Host key for %.200s has changed and you have requested "
		 "strict checking.\n"
		 "Host key verification failed.\n",
		 host)) != 0)
		goto out;
	r = buf_to_str(b, out);
out:
	free(fp);
	qssh_buf_free(b);
	return r;
}
