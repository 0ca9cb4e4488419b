/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"

#define BUF_INITIAL 256

struct qssh_buf {
	uint8_t *d; /* storage */
	size_t off; /* first unconsumed byte */
	size_t size; /* end of data */
	size_t alloc; /* bytes allocated */
	size_t max; /* cap on size - off */
	/*
	 * Bytes [0, dirty) may have held data since the last wipe; the rest of
	 * the allocation never did, so wiping stops there.  Resetting a large
	 * buffer per packet then costs what was written, not what is allocated.
	 */
	size_t dirty;
};

struct qssh_buf *
qssh_buf_new(void)
{
	struct qssh_buf *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->max = QSSH_BUF_SIZE_MAX;
	return b;
}

void
qssh_buf_free(struct qssh_buf *b)
{
	if (b == NULL)
		return;
	qssh_wipe_free(b->d, b->dirty);
	qssh_wipe(b, sizeof(*b));
	free(b);
}

void
qssh_buf_reset(struct qssh_buf *b)
{
	if (b->d != NULL)
		qssh_wipe(b->d, b->dirty);
	b->off = b->size = b->dirty = 0;
}

int
qssh_buf_set_max(struct qssh_buf *b, size_t max)
{
	if (max > QSSH_BUF_SIZE_MAX)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (b->size - b->off > max)
		return QSSH_ERR_NO_BUFFER_SPACE;
	b->max = max;
	return 0;
}

size_t
qssh_buf_max(const struct qssh_buf *b)
{
	return b->max;
}

size_t
qssh_buf_len(const struct qssh_buf *b)
{
	return b->size - b->off;
}

const uint8_t *
qssh_buf_ptr(const struct qssh_buf *b)
{
	static const uint8_t empty[1];

	return b->d == NULL ? empty : b->d + b->off;
}

uint8_t *
qssh_buf_mutable_ptr(struct qssh_buf *b)
{
	return b->d == NULL ? NULL : b->d + b->off;
}

struct qssh_view
qssh_buf_view(const struct qssh_buf *b)
{
	return qssh_view_make(qssh_buf_ptr(b), qssh_buf_len(b));
}

struct qssh_buf *
qssh_buf_dup(const struct qssh_buf *b)
{
	struct qssh_buf *n;

	if ((n = qssh_buf_new()) == NULL)
		return NULL;
	n->max = b->max;
	if (qssh_buf_put(n, qssh_buf_ptr(b), qssh_buf_len(b)) != 0) {
		qssh_buf_free(n);
		return NULL;
	}
	return n;
}

int
qssh_buf_ensure(struct qssh_buf *b, size_t len)
{
	size_t used = b->size - b->off, need, nalloc;
	uint8_t *nd;

	if (len > b->max || used > b->max - len)
		return QSSH_ERR_NO_BUFFER_SPACE;
	if (len <= b->alloc - b->size)
		return 0;
	/*
	 * Compact first if that is enough and cheap: the bytes moved are no
	 * more than those freed, or the front freed is a quarter of the
	 * buffer (moving is then paid for by the appends it makes room for).
	 */
	if (b->off > 0 && len <= b->alloc - used &&
	    (b->off >= used || b->off >= b->alloc / 4)) {
		memmove(b->d, b->d + b->off, used);
		qssh_wipe(b->d + used, b->dirty - used);
		b->dirty = used;
		b->off = 0;
		b->size = used;
		return 0;
	}
	need = used + len;
	nalloc = b->alloc < BUF_INITIAL ? BUF_INITIAL : b->alloc;
	while (nalloc < need)
		nalloc = nalloc > SIZE_MAX / 2 ? need : nalloc * 2;
	/* Never a new buffer of the same size: that would repeat at once. */
	if (nalloc == b->alloc && nalloc <= SIZE_MAX / 2)
		nalloc *= 2;
	if (nalloc > b->max && need <= b->max)
		nalloc = b->max;
	/* A fresh allocation (not realloc) so no stale copy survives unwiped. */
	if ((nd = malloc(nalloc)) == NULL)
		return QSSH_ERR_ALLOC;
	if (used > 0)
		memcpy(nd, b->d + b->off, used);
	qssh_wipe_free(b->d, b->dirty);
	b->d = nd;
	b->dirty = used;
	b->alloc = nalloc;
	b->off = 0;
	b->size = used;
	return 0;
}

int
qssh_buf_reserve(struct qssh_buf *b, size_t len, uint8_t **dst)
{
	int r;

	if (dst != NULL)
		*dst = NULL;
	if ((r = qssh_buf_ensure(b, len)) != 0)
		return r;
	if (dst != NULL)
		*dst = b->d == NULL ? NULL : b->d + b->size;
	b->size += len;
	if (b->size > b->dirty)
		b->dirty = b->size;
	return 0;
}

int
qssh_buf_consume(struct qssh_buf *b, size_t len)
{
	if (len > b->size - b->off)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	b->off += len;
	if (b->off == b->size)
		b->off = b->size = 0;
	return 0;
}

int
qssh_buf_consume_end(struct qssh_buf *b, size_t len)
{
	if (len > b->size - b->off)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	b->size -= len;
	qssh_wipe(b->d + b->size, len);
	return 0;
}

int
qssh_buf_put(struct qssh_buf *b, const void *data, size_t len)
{
	uint8_t *p;
	int r;

	if (len == 0)
		return 0;
	if ((r = qssh_buf_reserve(b, len, &p)) != 0)
		return r;
	memcpy(p, data, len);
	return 0;
}

int
qssh_buf_put_u8(struct qssh_buf *b, uint8_t v)
{
	return qssh_buf_put(b, &v, 1);
}

int
qssh_buf_put_bool(struct qssh_buf *b, bool v)
{
	return qssh_buf_put_u8(b, v ? 1 : 0);
}

int
qssh_buf_put_u32(struct qssh_buf *b, uint32_t v)
{
	uint8_t t[4];

	qssh_put_u32be(t, v);
	return qssh_buf_put(b, t, sizeof(t));
}

int
qssh_buf_put_u64(struct qssh_buf *b, uint64_t v)
{
	uint8_t t[8];

	qssh_put_u64be(t, v);
	return qssh_buf_put(b, t, sizeof(t));
}

int
qssh_buf_put_string(struct qssh_buf *b, const void *data, size_t len)
{
	uint8_t *p;
	int r;

	if (len > QSSH_STRING_MAX)
		return QSSH_ERR_STRING_TOO_LARGE;
	if ((r = qssh_buf_reserve(b, 4 + len, &p)) != 0)
		return r;
	qssh_put_u32be(p, (uint32_t)len);
	if (len > 0)
		memcpy(p + 4, data, len);
	return 0;
}

int
qssh_buf_put_cstring(struct qssh_buf *b, const char *s)
{
	return qssh_buf_put_string(b, s, s == NULL ? 0 : strlen(s));
}

int
qssh_buf_put_stringb(struct qssh_buf *b, const struct qssh_buf *v)
{
	return qssh_buf_put_string(b, qssh_buf_ptr(v), qssh_buf_len(v));
}

int
qssh_buf_put_view(struct qssh_buf *b, struct qssh_view v)
{
	return qssh_buf_put(b, v.p, v.len);
}

int
qssh_buf_put_mpint_bytes(struct qssh_buf *b, const uint8_t *be, size_t len)
{
	uint8_t *p;
	size_t pad;
	int r;

	while (len > 0 && be[0] == 0) {
		be++;
		len--;
	}
	if (len > QSSH_MPINT_MAX_BYTES)
		return QSSH_ERR_BIGNUM_TOO_LARGE;
	pad = (len > 0 && (be[0] & 0x80) != 0) ? 1 : 0;
	if ((r = qssh_buf_reserve(b, 4 + pad + len, &p)) != 0)
		return r;
	qssh_put_u32be(p, (uint32_t)(pad + len));
	if (pad)
		p[4] = 0;
	if (len > 0)
		memcpy(p + 4 + pad, be, len);
	return 0;
}

int
qssh_buf_putf(struct qssh_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	uint8_t *p;
	int n, r;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return QSSH_ERR_INVALID_FORMAT;
	}
	/* Reserve one extra for vsnprintf's NUL, then drop it. */
	if ((r = qssh_buf_reserve(b, (size_t)n + 1, &p)) != 0) {
		va_end(ap2);
		return r;
	}
	vsnprintf((char *)p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	b->size--;
	return 0;
}

int
qssh_buf_peek_u8(const struct qssh_buf *b, uint8_t *v)
{
	if (b->size - b->off < 1)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	*v = b->d[b->off];
	return 0;
}

int
qssh_buf_peek_u32(const struct qssh_buf *b, uint32_t *v)
{
	if (b->size - b->off < 4)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	*v = qssh_get_u32be(b->d + b->off);
	return 0;
}

int
qssh_buf_get(struct qssh_buf *b, void *out, size_t len)
{
	if (len > b->size - b->off)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	if (out != NULL && len > 0)
		memcpy(out, b->d + b->off, len);
	return qssh_buf_consume(b, len);
}

int
qssh_buf_get_u8(struct qssh_buf *b, uint8_t *v)
{
	return qssh_buf_get(b, v, 1);
}

int
qssh_buf_get_bool(struct qssh_buf *b, bool *v)
{
	uint8_t c;
	int r;

	if ((r = qssh_buf_get_u8(b, &c)) != 0)
		return r;
	if (v != NULL)
		*v = c != 0;
	return 0;
}

int
qssh_buf_get_u32(struct qssh_buf *b, uint32_t *v)
{
	uint32_t t;
	int r;

	if ((r = qssh_buf_peek_u32(b, &t)) != 0)
		return r;
	if (v != NULL)
		*v = t;
	return qssh_buf_consume(b, 4);
}

int
qssh_buf_get_u64(struct qssh_buf *b, uint64_t *v)
{
	if (b->size - b->off < 8)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	if (v != NULL)
		*v = qssh_get_u64be(b->d + b->off);
	return qssh_buf_consume(b, 8);
}

int
qssh_buf_get_string_view(struct qssh_buf *b, struct qssh_view *out)
{
	struct qssh_view v = qssh_buf_view(b), s;
	int r;

	if ((r = qssh_view_get_string(&v, &s)) != 0)
		return r;
	if (out != NULL)
		*out = s;
	return qssh_buf_consume(b, 4 + s.len);
}

int
qssh_buf_get_string(struct qssh_buf *b, uint8_t **out, size_t *lenp)
{
	struct qssh_view v = qssh_buf_view(b), s;
	uint8_t *p = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((r = qssh_view_get_string(&v, &s)) != 0)
		return r;
	if (out != NULL) {
		if ((p = malloc(s.len + 1)) == NULL)
			return QSSH_ERR_ALLOC;
		if (s.len > 0)
			memcpy(p, s.p, s.len);
		p[s.len] = '\0';
	}
	(void)qssh_buf_consume(b, 4 + s.len);
	if (out != NULL)
		*out = p;
	if (lenp != NULL)
		*lenp = s.len;
	return 0;
}

int
qssh_buf_get_cstring(struct qssh_buf *b, char **out, size_t *lenp)
{
	struct qssh_view v = qssh_buf_view(b), s;

	if (qssh_view_get_string(&v, &s) == 0 && s.len > 0 &&
	    memchr(s.p, '\0', s.len) != NULL)
		return QSSH_ERR_INVALID_FORMAT;
	return qssh_buf_get_string(b, (uint8_t **)out, lenp);
}

int
qssh_buf_get_stringb(struct qssh_buf *b, struct qssh_buf *v)
{
	struct qssh_view c = qssh_buf_view(b), s;
	int r;

	if ((r = qssh_view_get_string(&c, &s)) != 0)
		return r;
	if ((r = qssh_buf_put(v, s.p, s.len)) != 0)
		return r;
	return qssh_buf_consume(b, 4 + s.len);
}

int
qssh_buf_get_mpint_view(struct qssh_buf *b, struct qssh_view *out)
{
	struct qssh_view c = qssh_buf_view(b), m;
	int r;

	if ((r = qssh_view_get_mpint(&c, &m)) != 0)
		return r;
	if (out != NULL)
		*out = m;
	return qssh_buf_consume(b, qssh_buf_len(b) - c.len);
}

/* ---- views ---- */

void
qssh_view_init(struct qssh_view *v, const void *p, size_t len)
{
	v->p = p;
	v->len = len;
}

int
qssh_view_skip(struct qssh_view *v, size_t len)
{
	if (len > v->len)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	v->p += len;
	v->len -= len;
	return 0;
}

int
qssh_view_get_bytes(struct qssh_view *v, size_t len, struct qssh_view *out)
{
	if (len > v->len)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	if (out != NULL) {
		out->p = v->p;
		out->len = len;
	}
	v->p += len;
	v->len -= len;
	return 0;
}

int
qssh_view_copy(struct qssh_view *v, void *out, size_t len)
{
	if (len > v->len)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	if (len > 0)
		memcpy(out, v->p, len);
	v->p += len;
	v->len -= len;
	return 0;
}

int
qssh_view_get_u8(struct qssh_view *v, uint8_t *out)
{
	if (v->len < 1)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	if (out != NULL)
		*out = v->p[0];
	return qssh_view_skip(v, 1);
}

int
qssh_view_get_bool(struct qssh_view *v, bool *out)
{
	uint8_t c;
	int r;

	if ((r = qssh_view_get_u8(v, &c)) != 0)
		return r;
	if (out != NULL)
		*out = c != 0;
	return 0;
}

int
qssh_view_get_u32(struct qssh_view *v, uint32_t *out)
{
	if (v->len < 4)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	if (out != NULL)
		*out = qssh_get_u32be(v->p);
	return qssh_view_skip(v, 4);
}

int
qssh_view_get_u64(struct qssh_view *v, uint64_t *out)
{
	if (v->len < 8)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	if (out != NULL)
		*out = qssh_get_u64be(v->p);
	return qssh_view_skip(v, 8);
}

int
qssh_view_get_string(struct qssh_view *v, struct qssh_view *out)
{
	uint32_t len;

	if (v->len < 4)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	len = qssh_get_u32be(v->p);
	if (len > QSSH_STRING_MAX)
		return QSSH_ERR_STRING_TOO_LARGE;
	if (len > v->len - 4)
		return QSSH_ERR_MESSAGE_INCOMPLETE;
	if (out != NULL) {
		out->p = v->p + 4;
		out->len = len;
	}
	v->p += 4 + (size_t)len;
	v->len -= 4 + (size_t)len;
	return 0;
}

int
qssh_view_get_cstring(struct qssh_view *v, char **out)
{
	struct qssh_view c = *v, s;
	char *p;
	int r;

	*out = NULL;
	if ((r = qssh_view_get_string(&c, &s)) != 0)
		return r;
	if (s.len > 0 && memchr(s.p, '\0', s.len) != NULL)
		return QSSH_ERR_INVALID_FORMAT;
	if ((p = malloc(s.len + 1)) == NULL)
		return QSSH_ERR_ALLOC;
	if (s.len > 0)
		memcpy(p, s.p, s.len);
	p[s.len] = '\0';
	*v = c;
	*out = p;
	return 0;
}

int
qssh_view_get_mpint(struct qssh_view *v, struct qssh_view *out)
{
	struct qssh_view c = *v, s;
	int r;

	if ((r = qssh_view_get_string(&c, &s)) != 0)
		return r;
	if (s.len > QSSH_MPINT_MAX_BYTES)
		return QSSH_ERR_BIGNUM_TOO_LARGE;
	if (s.len > 0 && (s.p[0] & 0x80) != 0)
		return QSSH_ERR_BIGNUM_NEGATIVE;
	/* RFC 4251: no unnecessary leading zero octets. */
	if (s.len > 1 && s.p[0] == 0 && (s.p[1] & 0x80) == 0)
		return QSSH_ERR_INVALID_FORMAT;
	while (s.len > 0 && s.p[0] == 0) {
		s.p++;
		s.len--;
	}
	if (out != NULL)
		*out = s;
	*v = c;
	return 0;
}

int
qssh_view_get_namelist(struct qssh_view *v, char **out)
{
	struct qssh_view c = *v, s;
	size_t i;

	*out = NULL;
	if (qssh_view_get_string(&c, &s) == 0) {
		for (i = 0; i < s.len; i++) {
			if (s.p[i] < 0x21 || s.p[i] > 0x7e)
				return QSSH_ERR_INVALID_FORMAT;
		}
	}
	return qssh_view_get_cstring(v, out);
}

bool
qssh_view_eq_str(struct qssh_view v, const char *s)
{
	size_t n = strlen(s);

	return v.len == n && (n == 0 || memcmp(v.p, s, n) == 0);
}

/* ---- name-lists ---- */

static bool
namelist_has(const char *list, const char *name, size_t nlen)
{
	const char *p = list, *e;
	size_t l;

	while (*p != '\0') {
		e = strchr(p, ',');
		l = e == NULL ? strlen(p) : (size_t)(e - p);
		if (l == nlen && strncmp(p, name, l) == 0)
			return true;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return false;
}

bool
qssh_namelist_contains(const char *list, const char *name)
{
	if (list == NULL || name == NULL)
		return false;
	return namelist_has(list, name, strlen(name));
}

int
qssh_namelist_first_match(const char *client, const char *server, char **out)
{
	const char *p = client, *e;
	size_t l;

	*out = NULL;
	if (client == NULL || server == NULL)
		return QSSH_ERR_NO_MATCH;
	while (*p != '\0') {
		e = strchr(p, ',');
		l = e == NULL ? strlen(p) : (size_t)(e - p);
		if (l > 0 && namelist_has(server, p, l)) {
			if ((*out = strndup(p, l)) == NULL)
				return QSSH_ERR_ALLOC;
			return 0;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	return QSSH_ERR_NO_MATCH;
}
