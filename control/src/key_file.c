/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Key files: one-line public keys, RFC 4716 public keys, openssh-key-v1
 * private keys (PROTOCOL.key) and PEM / PKCS#8 private keys via libcrypto.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "control/key.h"
#include "key_private.h"

#define KEY_FILE_MAX (1024 * 1024)
#define OSSH_MAGIC "openssh-key-v1"
#define OSSH_MAGIC_LEN (sizeof(OSSH_MAGIC)) /* with its NUL */
#define OSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define OSSH_END "-----END OPENSSH PRIVATE KEY-----"
#define OSSH_SALT_LEN 16
#define OSSH_DEFAULT_ROUNDS 16
#define RFC4716_BEGIN "---- BEGIN SSH2 PUBLIC KEY ----"
#define RFC4716_END "---- END SSH2 PUBLIC KEY ----"
#define B64_COLS 70

static unsigned kdf_rounds_limit;

void
key_set_kdf_rounds_limit(unsigned max_rounds)
{
	kdf_rounds_limit = max_rounds;
}

struct ossh_cipher {
	const char *name;
	const char *evp;
	size_t block, keylen, ivlen;
};

static const struct ossh_cipher ossh_ciphers[] = {
	{ "none", NULL, 8, 0, 0 },
	{ "aes256-ctr", "AES-256-CTR", 16, 32, 16 },
	{ "aes192-ctr", "AES-192-CTR", 16, 24, 16 },
	{ "aes128-ctr", "AES-128-CTR", 16, 16, 16 },
	{ "aes256-cbc", "AES-256-CBC", 16, 32, 16 },
	{ "aes192-cbc", "AES-192-CBC", 16, 24, 16 },
	{ "aes128-cbc", "AES-128-CBC", 16, 16, 16 },
};

static const struct ossh_cipher *
ossh_cipher_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < QSSH_ARRAY_LEN(ossh_ciphers); i++)
		if (strcmp(ossh_ciphers[i].name, name) == 0)
			return &ossh_ciphers[i];
	return NULL;
}

/* ---- text helpers ---- */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/* Position of needle in the first len bytes of hay, or NULL. */
static const char *
find_str(const char *hay, size_t len, const char *needle)
{
	size_t nlen = strlen(needle), i;

	if (nlen > len)
		return NULL;
	for (i = 0; i <= len - nlen; i++)
		if (memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	return NULL;
}

/* Base64 text (whitespace allowed) to a new buffer. */
static int
b64_to_buf(const char *s, size_t len, struct qssh_buf **out)
{
	struct qssh_buf *b = NULL;
	char *tmp = NULL;
	uint8_t *dst;
	size_t cap = len / 4 * 3 + 3, got = 0;
	int r;

	*out = NULL;
	/*
	 * The decoder stops at a NUL: refuse one inside the text instead of
	 * quietly dropping whatever follows it.
	 */
	if (len > 0 && memchr(s, '\0', len) != NULL)
		return QSSH_ERR_INVALID_FORMAT;
	if ((tmp = malloc(len + 1)) == NULL)
		return QSSH_ERR_ALLOC;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if ((b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_reserve(b, cap, &dst)) != 0)
		goto out;
	if ((r = qssh_b64_decode(tmp, dst, cap, &got)) != 0)
		goto out;
	if ((r = qssh_buf_consume_end(b, cap - got)) != 0)
		goto out;
	*out = b;
	b = NULL;
out:
	qssh_wipe_free(tmp, len + 1);
	qssh_buf_free(b);
	return r;
}

/* Base64 of data in lines of `cols` characters, each ending in '\n'. */
static int
put_b64_lines(
    struct qssh_buf *out, const uint8_t *data, size_t len, size_t cols)
{
	char *enc = NULL;
	size_t elen = qssh_b64_encoded_len(len), n, i;
	int r;

	if ((enc = malloc(elen)) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_b64_encode(data, len, enc, elen)) < 0)
		goto out;
	n = strlen(enc);
	r = 0;
	for (i = 0; i < n && r == 0; i += cols) {
		size_t chunk = n - i < cols ? n - i : cols;

		if ((r = qssh_buf_put(out, enc + i, chunk)) == 0)
			r = qssh_buf_put_u8(out, '\n');
	}
out:
	qssh_wipe_free(enc, elen);
	return r;
}

static int
buf_to_cstr(const struct qssh_buf *b, char **out)
{
	size_t len = qssh_buf_len(b);
	char *s;

	*out = NULL;
	if ((s = malloc(len + 1)) == NULL)
		return QSSH_ERR_ALLOC;
	memcpy(s, qssh_buf_ptr(b), len);
	s[len] = '\0';
	*out = s;
	return 0;
}

/* ---- one-line public keys ---- */

int
key_format_public(const struct key *k, const char *comment, char **out)
{
	struct qssh_buf *blob = NULL, *o = NULL;
	char *enc = NULL;
	size_t elen = 0;
	int r;

	*out = NULL;
	if (k == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((blob = qssh_buf_new()) == NULL || (o = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = key_to_blob(k, blob)) != 0)
		goto out;
	elen = qssh_b64_encoded_len(qssh_buf_len(blob));
	if ((enc = malloc(elen)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_b64_encode(
		 qssh_buf_ptr(blob), qssh_buf_len(blob), enc, elen)) < 0)
		goto out;
	if ((r = qssh_buf_putf(o, "%s %s", key_type_name(k), enc)) != 0)
		goto out;
	if (comment != NULL && *comment != '\0' &&
	    (r = qssh_buf_putf(o, " %s", comment)) != 0)
		goto out;
	r = buf_to_cstr(o, out);
out:
	free(enc);
	qssh_buf_free(blob);
	qssh_buf_free(o);
	return r;
}

static int
blob_text_to_key(const char *b64, size_t len, struct key **out)
{
	struct qssh_buf *blob = NULL;
	int r;

	*out = NULL;
	if (len == 0)
		return QSSH_ERR_INVALID_FORMAT;
	if ((r = b64_to_buf(b64, len, &blob)) != 0)
		return r;
	r = key_from_blob(qssh_buf_ptr(blob), qssh_buf_len(blob), out);
	qssh_buf_free(blob);
	return r;
}

int
key_parse_public(const char *line, struct key **out, char **comment)
{
	const char *p, *type, *b64, *c, *end;
	size_t tlen, blen;
	struct key *k = NULL;
	char *tname = NULL;
	int r;

	if (out == NULL || line == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (comment != NULL)
		*comment = NULL;
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	type = p;
	while (*p != '\0' && !is_space(*p))
		p++;
	tlen = (size_t)(p - type);
	while (*p == ' ' || *p == '\t')
		p++;
	b64 = p;
	while (*p != '\0' && !is_space(*p))
		p++;
	blen = (size_t)(p - b64);
	if (tlen == 0 || blen == 0)
		return QSSH_ERR_INVALID_FORMAT;
	if ((tname = strndup(type, tlen)) == NULL)
		return QSSH_ERR_ALLOC;
	if (key_type_from_name(tname) == KEY_UNSPEC ||
	    strchr(tname, '-') == NULL) {
		r = QSSH_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if ((r = blob_text_to_key(b64, blen, &k)) != 0)
		goto out;
	if (strcmp(tname, key_type_name(k)) != 0) {
		r = QSSH_ERR_KEY_TYPE_MISMATCH;
		goto out;
	}
	/* The comment is the rest of the line, without the line ending. */
	while (*p == ' ' || *p == '\t')
		p++;
	c = p;
	end = c + strcspn(c, "\r\n");
	while (end > c && is_space(end[-1]))
		end--;
	if (comment != NULL && end > c &&
	    (*comment = strndup(c, (size_t)(end - c))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	*out = k;
	k = NULL;
	r = 0;
out:
	free(tname);
	key_free(k);
	return r;
}

/* ---- RFC 4716 ---- */

int
key_format_rfc4716(const struct key *k, const char *comment, char **out)
{
	struct qssh_buf *blob = NULL, *o = NULL, *hdr = NULL;
	size_t len, i;
	const char *h;
	int r;

	*out = NULL;
	if (k == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((blob = qssh_buf_new()) == NULL || (o = qssh_buf_new()) == NULL ||
	    (hdr = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = key_to_blob(k, blob)) != 0)
		goto out;
	if ((r = qssh_buf_putf(o, "%s\n", RFC4716_BEGIN)) != 0)
		goto out;
	if (comment != NULL && *comment != '\0') {
		if ((r = qssh_buf_putf(hdr, "Comment: \"%s\"", comment)) != 0)
			goto out;
		/* Header lines are at most 72 bytes; '\' continues one. */
		h = (const char *)qssh_buf_ptr(hdr);
		len = qssh_buf_len(hdr);
		for (i = 0; len - i > 72; i += 71) {
			if ((r = qssh_buf_put(o, h + i, 71)) != 0 ||
			    (r = qssh_buf_put(o, "\\\n", 2)) != 0)
				goto out;
		}
		if ((r = qssh_buf_put(o, h + i, len - i)) != 0 ||
		    (r = qssh_buf_put_u8(o, '\n')) != 0)
			goto out;
	}
	if ((r = put_b64_lines(
		 o, qssh_buf_ptr(blob), qssh_buf_len(blob), B64_COLS)) != 0)
		goto out;
	if ((r = qssh_buf_putf(o, "%s\n", RFC4716_END)) != 0)
		goto out;
	r = buf_to_cstr(o, out);
out:
	qssh_buf_free(blob);
	qssh_buf_free(o);
	qssh_buf_free(hdr);
	return r;
}

/* Next line of text (without its ending); false at the end. */
static bool
next_line(const char **pos, const char *end, const char **line, size_t *len)
{
	const char *p = *pos, *e;

	if (p >= end)
		return false;
	for (e = p; e < end && *e != '\n'; e++)
		;
	*line = p;
	*len = (size_t)(e - p);
	if (*len > 0 && p[*len - 1] == '\r')
		(*len)--;
	*pos = e < end ? e + 1 : e;
	return true;
}

static bool
line_is(const char *line, size_t len, const char *what)
{
	while (len > 0 && is_space(line[len - 1]))
		len--;
	return len == strlen(what) && memcmp(line, what, len) == 0;
}

int
key_parse_rfc4716(
    const char *text, size_t tlen, struct key **out, char **comment)
{
	const char *pos = text, *end = text + tlen, *line;
	struct qssh_buf *body = NULL, *hdr = NULL;
	struct key *k = NULL;
	char *cmt = NULL;
	size_t len;
	bool begun = false, done = false, in_body = false, cont = false;
	int r;

	*out = NULL;
	if (comment != NULL)
		*comment = NULL;
	if ((body = qssh_buf_new()) == NULL || (hdr = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	while (!done && next_line(&pos, end, &line, &len)) {
		if (!begun) {
			if (line_is(line, len, RFC4716_BEGIN))
				begun = true;
			else if (len != 0) {
				r = QSSH_ERR_INVALID_FORMAT;
				goto out;
			}
			continue;
		}
		if (line_is(line, len, RFC4716_END)) {
			done = true;
			break;
		}
		if (cont || (!in_body && memchr(line, ':', len) != NULL)) {
			/* A header, possibly continued with a final '\'. */
			cont = len > 0 && line[len - 1] == '\\';
			if ((r = qssh_buf_put(
				 hdr, line, cont ? len - 1 : len)) != 0)
				goto out;
			if (cont)
				continue;
			if (qssh_buf_len(hdr) > 8 &&
			    strncasecmp((const char *)qssh_buf_ptr(hdr),
				"Comment:", 8) == 0) {
				const char *v =
				    (const char *)qssh_buf_ptr(hdr) + 8;
				size_t vl = qssh_buf_len(hdr) - 8;

				while (vl > 0 && is_space(*v)) {
					v++;
					vl--;
				}
				while (vl > 0 && is_space(v[vl - 1]))
					vl--;
				if (vl >= 2 && v[0] == '"' &&
				    v[vl - 1] == '"') {
					v++;
					vl -= 2;
				}
				free(cmt);
				if ((cmt = strndup(v, vl)) == NULL) {
					r = QSSH_ERR_ALLOC;
					goto out;
				}
			}
			qssh_buf_reset(hdr);
			continue;
		}
		in_body = true;
		if ((r = qssh_buf_put(body, line, len)) != 0)
			goto out;
	}
	if (!done || cont) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = blob_text_to_key((const char *)qssh_buf_ptr(body),
		 qssh_buf_len(body), &k)) != 0)
		goto out;
	*out = k;
	k = NULL;
	if (comment != NULL) {
		*comment = cmt;
		cmt = NULL;
	}
	r = 0;
out:
	free(cmt);
	key_free(k);
	qssh_buf_free(body);
	qssh_buf_free(hdr);
	return r;
}

/* ---- files ---- */

static int
read_file(const char *path, bool check_perms, struct qssh_buf **out)
{
	struct qssh_buf *b = NULL;
	struct stat st;
	uint8_t *dst;
	ssize_t n;
	int fd, r;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT
		    ? QSSH_ERR_NOT_FOUND
		    : (errno == EACCES ? QSSH_ERR_ACCESS : QSSH_ERR_SYSTEM);
	if (fstat(fd, &st) != 0) {
		r = QSSH_ERR_SYSTEM;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if (check_perms && (st.st_mode & 077) != 0) {
		r = QSSH_ERR_KEY_BAD_PERMISSIONS;
		goto out;
	}
	if (st.st_size > KEY_FILE_MAX) {
		r = QSSH_ERR_NO_BUFFER_SPACE;
		goto out;
	}
	if ((b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	for (;;) {
		if (qssh_buf_len(b) >= KEY_FILE_MAX) {
			r = QSSH_ERR_NO_BUFFER_SPACE;
			goto out;
		}
		if ((r = qssh_buf_reserve(b, 4096, &dst)) != 0)
			goto out;
		n = read(fd, dst, 4096);
		if (n < 0 && errno == EINTR)
			n = 0;
		if (n < 0) {
			r = QSSH_ERR_SYSTEM;
			goto out;
		}
		if ((r = qssh_buf_consume_end(b, 4096 - (size_t)n)) != 0)
			goto out;
		if (n == 0)
			break;
	}
	*out = b;
	b = NULL;
	r = 0;
out:
	close(fd);
	qssh_buf_free(b);
	return r;
}

int
key_load_public(const char *path, struct key **out, char **comment)
{
	struct qssh_buf *b = NULL;
	const char *text, *pos, *end, *line;
	char *l = NULL;
	size_t len, tlen;
	int r;

	if (out == NULL || path == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (comment != NULL)
		*comment = NULL;
	if ((r = read_file(path, false, &b)) != 0)
		return r;
	text = (const char *)qssh_buf_ptr(b);
	tlen = qssh_buf_len(b);
	if (find_str(text, tlen, RFC4716_BEGIN) != NULL) {
		r = key_parse_rfc4716(text, tlen, out, comment);
		goto out;
	}
	pos = text;
	end = text + tlen;
	r = QSSH_ERR_INVALID_FORMAT;
	while (next_line(&pos, end, &line, &len)) {
		while (len > 0 && is_space(*line)) {
			line++;
			len--;
		}
		if (len == 0 || *line == '#')
			continue;
		if (memchr(line, '\0', len) != NULL)
			break;
		if ((l = strndup(line, len)) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		r = key_parse_public(l, out, comment);
		break;
	}
out:
	free(l);
	qssh_buf_free(b);
	return r;
}

/* ---- openssh-key-v1 ---- */

/* Encrypts or decrypts data in place with the bcrypt-derived key and IV. */
static int
ossh_crypt(const struct ossh_cipher *c, const char *pass, struct qssh_view salt,
    unsigned rounds, uint8_t *data, size_t len, bool enc)
{
	uint8_t kiv[64];
	EVP_CIPHER_CTX *ctx = NULL;
	EVP_CIPHER *cipher = NULL;
	int outl = 0, r;

	if (c->evp == NULL)
		return 0;
	if (len > INT32_MAX || len % c->block != 0)
		return QSSH_ERR_INVALID_FORMAT;
	if ((r = bcrypt_pbkdf(pass, strlen(pass), salt.p, salt.len, kiv,
		 c->keylen + c->ivlen, rounds)) != 0)
		goto out;
	r = QSSH_ERR_LIBCRYPTO;
	if ((cipher = EVP_CIPHER_fetch(NULL, c->evp, NULL)) == NULL ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_CipherInit_ex(
		ctx, cipher, NULL, kiv, kiv + c->keylen, enc ? 1 : 0) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_CipherUpdate(ctx, data, &outl, data, (int)len) != 1 ||
	    (size_t)outl != len)
		goto out;
	r = 0;
out:
	qssh_wipe(kiv, sizeof(kiv));
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(cipher);
	return r;
}

struct ossh_header {
	const struct ossh_cipher *cipher;
	bool kdf_bcrypt;
	struct qssh_view salt;
	uint32_t rounds;
	struct qssh_view pubkey;
	struct qssh_view secret;
};

static int
ossh_parse_header(struct qssh_view v, struct ossh_header *h)
{
	struct qssh_view magic, cname, kname, kopts;
	uint32_t nkeys;
	char name[32];
	int r;

	memset(h, 0, sizeof(*h));
	if ((r = qssh_view_get_bytes(&v, OSSH_MAGIC_LEN, &magic)) != 0 ||
	    memcmp(magic.p, OSSH_MAGIC, OSSH_MAGIC_LEN) != 0)
		return QSSH_ERR_INVALID_FORMAT;
	if ((r = qssh_view_get_string(&v, &cname)) != 0 ||
	    (r = qssh_view_get_string(&v, &kname)) != 0 ||
	    (r = qssh_view_get_string(&v, &kopts)) != 0 ||
	    (r = qssh_view_get_u32(&v, &nkeys)) != 0)
		return r;
	if (nkeys != 1)
		return QSSH_ERR_INVALID_FORMAT;
	if ((r = qssh_view_get_string(&v, &h->pubkey)) != 0 ||
	    (r = qssh_view_get_string(&v, &h->secret)) != 0)
		return r;
	if (v.len != 0)
		return QSSH_ERR_INVALID_FORMAT;
	if (cname.len >= sizeof(name) || memchr(cname.p, 0, cname.len))
		return QSSH_ERR_ALG_UNSUPPORTED;
	memcpy(name, cname.p, cname.len);
	name[cname.len] = '\0';
	if ((h->cipher = ossh_cipher_by_name(name)) == NULL)
		return QSSH_ERR_ALG_UNSUPPORTED;
	if (qssh_view_eq_str(kname, "none")) {
		if (h->cipher->evp != NULL || kopts.len != 0)
			return QSSH_ERR_INVALID_FORMAT;
	} else if (qssh_view_eq_str(kname, "bcrypt")) {
		if (h->cipher->evp == NULL)
			return QSSH_ERR_INVALID_FORMAT;
		h->kdf_bcrypt = true;
		if ((r = qssh_view_get_string(&kopts, &h->salt)) != 0 ||
		    (r = qssh_view_get_u32(&kopts, &h->rounds)) != 0)
			return r;
		if (kopts.len != 0 || h->salt.len == 0 || h->rounds == 0)
			return QSSH_ERR_INVALID_FORMAT;
	} else
		return QSSH_ERR_ALG_UNSUPPORTED;
	if (h->secret.len % h->cipher->block != 0)
		return QSSH_ERR_INVALID_FORMAT;
	return 0;
}

/* The base64 between the OPENSSH PRIVATE KEY armour lines, decoded. */
static int
ossh_unarmour(const char *text, size_t len, struct qssh_buf **out)
{
	const char *b, *e;

	*out = NULL;
	if ((b = find_str(text, len, OSSH_BEGIN)) == NULL)
		return QSSH_ERR_INVALID_FORMAT;
	b += strlen(OSSH_BEGIN);
	if ((e = find_str(b, len - (size_t)(b - text), OSSH_END)) == NULL)
		return QSSH_ERR_INVALID_FORMAT;
	return b64_to_buf(b, (size_t)(e - b), out);
}

static int
ossh_parse(const char *text, size_t len, const char *pass, struct key **out,
    char **comment)
{
	struct qssh_buf *raw = NULL, *sec = NULL;
	struct ossh_header h;
	struct qssh_view v;
	struct key *k = NULL, *pub = NULL;
	uint32_t c1, c2;
	char *cmt = NULL;
	size_t i;
	int r;

	if ((r = ossh_unarmour(text, len, &raw)) != 0)
		goto out;
	if ((r = ossh_parse_header(qssh_buf_view(raw), &h)) != 0)
		goto out;
	if (h.kdf_bcrypt && pass == NULL) {
		r = QSSH_ERR_KEY_WRONG_PASSPHRASE;
		goto out;
	}
	if (h.kdf_bcrypt && kdf_rounds_limit != 0 &&
	    h.rounds > kdf_rounds_limit) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = key_from_blob(h.pubkey.p, h.pubkey.len, &pub)) != 0)
		goto out;
	/* The decrypted section lives in a buffer that is wiped on free. */
	if ((sec = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put(sec, h.secret.p, h.secret.len)) != 0)
		goto out;
	if (h.kdf_bcrypt &&
	    (r = ossh_crypt(h.cipher, pass, h.salt, h.rounds,
		 qssh_buf_mutable_ptr(sec), qssh_buf_len(sec), false)) != 0)
		goto out;
	v = qssh_buf_view(sec);
	if ((r = qssh_view_get_u32(&v, &c1)) != 0 ||
	    (r = qssh_view_get_u32(&v, &c2)) != 0)
		goto out;
	if (c1 != c2) {
		r = QSSH_ERR_KEY_WRONG_PASSPHRASE;
		goto out;
	}
	if ((r = key_get_private(&v, &k)) != 0 ||
	    (r = qssh_view_get_cstring(&v, &cmt)) != 0)
		goto out;
	/* Padding 1, 2, 3, ... up to the block size. */
	if (v.len >= h.cipher->block) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	for (i = 0; i < v.len; i++) {
		if (v.p[i] != (uint8_t)(i + 1)) {
			r = QSSH_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	if (!key_equal_public(k, pub)) {
		r = QSSH_ERR_KEY_INVALID;
		goto out;
	}
	*out = k;
	k = NULL;
	if (comment != NULL) {
		*comment = cmt;
		cmt = NULL;
	}
	r = 0;
out:
	free(cmt);
	key_free(k);
	key_free(pub);
	qssh_buf_free(sec);
	qssh_buf_free(raw);
	return r;
}

static int
ossh_serialize(const struct key *k, const char *pass, const char *comment,
    unsigned rounds, struct qssh_buf *out)
{
	const struct ossh_cipher *c;
	struct qssh_buf *sec = NULL, *kopts = NULL, *pub = NULL, *raw = NULL;
	uint8_t salt[OSSH_SALT_LEN];
	uint32_t check;
	uint8_t i;
	bool enc = pass != NULL && *pass != '\0';
	int r;

	c = ossh_cipher_by_name(enc ? "aes256-ctr" : "none");
	if (rounds == 0)
		rounds = OSSH_DEFAULT_ROUNDS;
	if ((sec = qssh_buf_new()) == NULL ||
	    (kopts = qssh_buf_new()) == NULL ||
	    (pub = qssh_buf_new()) == NULL || (raw = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_random_bytes(&check, sizeof(check))) != 0 ||
	    (r = qssh_random_bytes(salt, sizeof(salt))) != 0)
		goto out;
	if ((r = qssh_buf_put_u32(sec, check)) != 0 ||
	    (r = qssh_buf_put_u32(sec, check)) != 0 ||
	    (r = key_put_private(k, sec)) != 0 ||
	    (r = qssh_buf_put_cstring(sec, comment != NULL ? comment : "")) !=
		0)
		goto out;
	for (i = 1; qssh_buf_len(sec) % c->block != 0; i++)
		if ((r = qssh_buf_put_u8(sec, i)) != 0)
			goto out;
	if (enc) {
		if ((r = qssh_buf_put_string(kopts, salt, sizeof(salt))) != 0 ||
		    (r = qssh_buf_put_u32(kopts, rounds)) != 0)
			goto out;
		if ((r = ossh_crypt(c, pass, qssh_view_make(salt, sizeof(salt)),
			 rounds, qssh_buf_mutable_ptr(sec), qssh_buf_len(sec),
			 true)) != 0)
			goto out;
	}
	if ((r = key_to_blob(k, pub)) != 0)
		goto out;
	if ((r = qssh_buf_put(raw, OSSH_MAGIC, OSSH_MAGIC_LEN)) != 0 ||
	    (r = qssh_buf_put_cstring(raw, c->name)) != 0 ||
	    (r = qssh_buf_put_cstring(raw, enc ? "bcrypt" : "none")) != 0 ||
	    (r = qssh_buf_put_stringb(raw, kopts)) != 0 ||
	    (r = qssh_buf_put_u32(raw, 1)) != 0 ||
	    (r = qssh_buf_put_stringb(raw, pub)) != 0 ||
	    (r = qssh_buf_put_stringb(raw, sec)) != 0)
		goto out;
	if ((r = qssh_buf_putf(out, "%s\n", OSSH_BEGIN)) != 0 ||
	    (r = put_b64_lines(
		 out, qssh_buf_ptr(raw), qssh_buf_len(raw), B64_COLS)) != 0 ||
	    (r = qssh_buf_putf(out, "%s\n", OSSH_END)) != 0)
		goto out;
	r = 0;
out:
	qssh_wipe(&check, sizeof(check));
	qssh_buf_free(sec);
	qssh_buf_free(kopts);
	qssh_buf_free(pub);
	qssh_buf_free(raw);
	return r;
}

/* ---- PEM and PKCS#8 through libcrypto ---- */

static int
pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pass = u;
	size_t len;

	(void)rwflag;
	if (pass == NULL || size <= 0)
		return -1;
	len = strlen(pass);
	if (len > (size_t)size)
		return -1;
	memcpy(buf, pass, len);
	return (int)len;
}

static bool
pem_is_encrypted(const char *text, size_t len)
{
	return find_str(text, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----") !=
	    NULL ||
	    find_str(text, len, "Proc-Type: 4,ENCRYPTED") != NULL;
}

static int
pem_parse(const char *text, size_t len, const char *pass, struct key **out)
{
	BIO *bio = NULL;
	EVP_PKEY *pk = NULL;
	struct key *k = NULL;
	int r;

	*out = NULL;
	if (len > INT32_MAX)
		return QSSH_ERR_INVALID_FORMAT;
	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL)
		return QSSH_ERR_ALLOC;
	pk = PEM_read_bio_PrivateKey(bio, NULL, pem_pass_cb, (void *)pass);
	ERR_clear_error();
	if (pk == NULL) {
		r = pem_is_encrypted(text, len) ? QSSH_ERR_KEY_WRONG_PASSPHRASE
						: QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = key_from_pkey(pk, true, &k)) != 0)
		goto out;
	pk = NULL;
	if ((r = key_check_pair(k)) != 0)
		goto out;
	*out = k;
	k = NULL;
out:
	key_free(k);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return r;
}

static int
pem_serialize(const struct key *k, const char *pass, enum key_format fmt,
    struct qssh_buf *out)
{
	BIO *bio = NULL;
	char *data = NULL;
	long n;
	bool enc = pass != NULL && *pass != '\0';
	size_t plen = enc ? strlen(pass) : 0;
	int ok, r = QSSH_ERR_LIBCRYPTO;

	if (plen > INT32_MAX)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		return QSSH_ERR_ALLOC;
	if (fmt == KEY_FORMAT_PEM)
		ok = PEM_write_bio_PrivateKey_traditional(bio, k->pkey,
		    enc ? EVP_aes_128_cbc() : NULL,
		    (unsigned char *)(uintptr_t)pass, (int)plen, NULL, NULL);
	else
		ok = PEM_write_bio_PKCS8PrivateKey(bio, k->pkey,
		    enc ? EVP_aes_256_cbc() : NULL, (char *)(uintptr_t)pass,
		    (int)plen, NULL, NULL);
	if (ok != 1)
		goto out;
	if ((n = BIO_get_mem_data(bio, &data)) <= 0)
		goto out;
	r = qssh_buf_put(out, data, (size_t)n);
out:
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

/* ---- private key API ---- */

static bool
is_openssh_format(const char *text, size_t len)
{
	return find_str(text, len, OSSH_BEGIN) != NULL;
}

int
key_parse_private(const uint8_t *data, size_t len, const char *passphrase,
    struct key **out, char **comment)
{
	const char *text = (const char *)data;

	if (out == NULL || (data == NULL && len != 0))
		return QSSH_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (comment != NULL)
		*comment = NULL;
	if (is_openssh_format(text, len))
		return ossh_parse(text, len, passphrase, out, comment);
	if (find_str(text, len, "-----BEGIN ") != NULL &&
	    find_str(text, len, "PRIVATE KEY-----") != NULL)
		return pem_parse(text, len, passphrase, out);
	return QSSH_ERR_INVALID_FORMAT;
}

bool
key_private_is_encrypted(const uint8_t *data, size_t len)
{
	const char *text = (const char *)data;
	struct qssh_buf *raw = NULL;
	struct ossh_header h;
	bool enc = false;

	if (data == NULL)
		return false;
	if (is_openssh_format(text, len)) {
		if (ossh_unarmour(text, len, &raw) == 0 &&
		    ossh_parse_header(qssh_buf_view(raw), &h) == 0)
			enc = h.kdf_bcrypt;
		qssh_buf_free(raw);
		return enc;
	}
	return pem_is_encrypted(text, len);
}

int
key_serialize_private(const struct key *k, const char *passphrase,
    const char *comment, enum key_format format, unsigned rounds,
    struct qssh_buf *out)
{
	if (k == NULL || out == NULL || !k->has_private)
		return QSSH_ERR_INVALID_ARGUMENT;
	switch (format) {
	case KEY_FORMAT_OPENSSH:
		return ossh_serialize(k, passphrase, comment, rounds, out);
	case KEY_FORMAT_PEM:
	case KEY_FORMAT_PKCS8:
		/*
		 * Like ssh-keygen, which cannot read Ed25519 PEM/PKCS#8 keys
		 * either, write Ed25519 keys as openssh-key-v1.
		 */
		if (k->type == KEY_ED25519)
			return ossh_serialize(
			    k, passphrase, comment, rounds, out);
		return pem_serialize(k, passphrase, format, out);
	default:
		return QSSH_ERR_INVALID_ARGUMENT;
	}
}

int
key_load_private(const char *path, const char *passphrase, bool check_perms,
    struct key **out, char **comment)
{
	struct qssh_buf *b = NULL;
	int r;

	if (out == NULL || path == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (comment != NULL)
		*comment = NULL;
	if ((r = read_file(path, check_perms, &b)) != 0)
		return r;
	r = key_parse_private(
	    qssh_buf_ptr(b), qssh_buf_len(b), passphrase, out, comment);
	qssh_buf_free(b);
	return r;
}

/* Writes data to path through a temporary file and rename(). */
static int
write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = NULL;
	const uint8_t *p = data;
	size_t off = 0;
	ssize_t n;
	int fd = -1, r = QSSH_ERR_SYSTEM;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		return QSSH_ERR_ALLOC;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		r = errno == EACCES ? QSSH_ERR_ACCESS : QSSH_ERR_SYSTEM;
		goto out;
	}
	if (fchmod(fd, mode) != 0)
		goto out;
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r != 0)
		unlink(tmp);
	free(tmp);
	return r;
}

int
key_save_private(const struct key *k, const char *path, const char *passphrase,
    const char *comment, enum key_format format, unsigned rounds)
{
	struct qssh_buf *b = NULL;
	char *pub = NULL, *pubpath = NULL, *line = NULL;
	int r;

	if (k == NULL || path == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = key_serialize_private(
		 k, passphrase, comment, format, rounds, b)) != 0)
		goto out;
	if ((r = write_atomic(path, qssh_buf_ptr(b), qssh_buf_len(b), 0600)) !=
	    0)
		goto out;
	if ((r = key_format_public(k, comment, &pub)) != 0)
		goto out;
	if (asprintf(&pubpath, "%s.pub", path) < 0) {
		pubpath = NULL;
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if (asprintf(&line, "%s\n", pub) < 0) {
		line = NULL;
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	r = write_atomic(pubpath, line, strlen(line), 0644);
out:
	free(pub);
	free(pubpath);
	free(line);
	qssh_buf_free(b);
	return r;
}
