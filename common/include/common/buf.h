/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bounds-checked buffers for SSH wire encodings (RFC 4251 section 5).
 *
 * struct qssh_buf is an owning, size-capped byte queue: data is appended at
 * the end and consumed from the front.  Every call returns 0 or a negative
 * QSSH_ERR_*; on error the buffer is unchanged.  Freed memory is wiped, so a
 * buffer may hold secrets.
 *
 * struct qssh_view is a non-owning read cursor over bytes somebody else owns
 * (zero-allocation parsing for the dataplane and for message parsers).  The
 * get functions advance the view only on success.
 */
#ifndef QSSH_COMMON_BUF_H
#define QSSH_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest buffer by default; qssh_buf_set_max() may lower it. */
#define QSSH_BUF_SIZE_MAX (0x8000000UL) /* 128 MiB */
/* Largest SSH string accepted by the get functions. */
#define QSSH_STRING_MAX (16UL * 1024 * 1024)
/* Largest mpint accepted, in bytes (16384-bit numbers plus sign octet). */
#define QSSH_MPINT_MAX_BYTES (16384 / 8 + 1)

struct qssh_view {
	const uint8_t *p;
	size_t len;
};

struct qssh_buf;

/* ---- owning buffer ---- */
struct qssh_buf *qssh_buf_new(void);
void qssh_buf_free(struct qssh_buf *b); /* wipes; NULL is a no-op */
void qssh_buf_reset(struct qssh_buf *b); /* wipes, keeps the max */
int qssh_buf_set_max(struct qssh_buf *b, size_t max);
size_t qssh_buf_max(const struct qssh_buf *b);
/* Bytes not yet consumed. */
size_t qssh_buf_len(const struct qssh_buf *b);
/* Unconsumed bytes; valid until the next call that modifies b. */
const uint8_t *qssh_buf_ptr(const struct qssh_buf *b);
uint8_t *qssh_buf_mutable_ptr(struct qssh_buf *b);
/* A view of the unconsumed bytes; same lifetime as qssh_buf_ptr(). */
struct qssh_view qssh_buf_view(const struct qssh_buf *b);
/* Heap copy of the contents. */
struct qssh_buf *qssh_buf_dup(const struct qssh_buf *b);

/* Append len bytes and return a pointer to write them. */
int qssh_buf_reserve(struct qssh_buf *b, size_t len, uint8_t **dst);
/* Make room for len more bytes without appending them. */
int qssh_buf_ensure(struct qssh_buf *b, size_t len);
int qssh_buf_consume(struct qssh_buf *b, size_t len);
int qssh_buf_consume_end(struct qssh_buf *b, size_t len);

int qssh_buf_put(struct qssh_buf *b, const void *data, size_t len);
int qssh_buf_put_u8(struct qssh_buf *b, uint8_t v);
int qssh_buf_put_bool(struct qssh_buf *b, bool v);
int qssh_buf_put_u32(struct qssh_buf *b, uint32_t v);
int qssh_buf_put_u64(struct qssh_buf *b, uint64_t v);
int qssh_buf_put_string(struct qssh_buf *b, const void *data, size_t len);
int qssh_buf_put_cstring(struct qssh_buf *b, const char *s);
int qssh_buf_put_stringb(struct qssh_buf *b, const struct qssh_buf *v);
int qssh_buf_put_view(struct qssh_buf *b, struct qssh_view v); /* raw */
/* Unsigned big-endian magnitude as an mpint (strips zeros, adds 0x00). */
int qssh_buf_put_mpint_bytes(struct qssh_buf *b, const uint8_t *be, size_t len);
int qssh_buf_putf(struct qssh_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int qssh_buf_get(struct qssh_buf *b, void *out, size_t len);
int qssh_buf_get_u8(struct qssh_buf *b, uint8_t *v);
int qssh_buf_get_bool(struct qssh_buf *b, bool *v);
int qssh_buf_get_u32(struct qssh_buf *b, uint32_t *v);
int qssh_buf_get_u64(struct qssh_buf *b, uint64_t *v);
int qssh_buf_peek_u8(const struct qssh_buf *b, uint8_t *v);
int qssh_buf_peek_u32(const struct qssh_buf *b, uint32_t *v);
/* Heap copy of a string, NUL-terminated for convenience; out may be NULL. */
int qssh_buf_get_string(struct qssh_buf *b, uint8_t **out, size_t *lenp);
/* A string that must not contain NUL. */
int qssh_buf_get_cstring(struct qssh_buf *b, char **out, size_t *lenp);
/* A string as a view into b; valid until b is modified. */
int qssh_buf_get_string_view(struct qssh_buf *b, struct qssh_view *out);
/* String contents appended to another buffer. */
int qssh_buf_get_stringb(struct qssh_buf *b, struct qssh_buf *v);
/* Non-negative mpint as a minimal big-endian magnitude view. */
int qssh_buf_get_mpint_view(struct qssh_buf *b, struct qssh_view *out);

/* ---- non-owning view ---- */
static inline struct qssh_view
qssh_view_make(const void *p, size_t len)
{
	struct qssh_view v = { (const uint8_t *)p, len };
	return v;
}
void qssh_view_init(struct qssh_view *v, const void *p, size_t len);
int qssh_view_skip(struct qssh_view *v, size_t len);
int qssh_view_get_bytes(struct qssh_view *v, size_t len, struct qssh_view *out);
int qssh_view_copy(struct qssh_view *v, void *out, size_t len);
int qssh_view_get_u8(struct qssh_view *v, uint8_t *out);
int qssh_view_get_bool(struct qssh_view *v, bool *out);
int qssh_view_get_u32(struct qssh_view *v, uint32_t *out);
int qssh_view_get_u64(struct qssh_view *v, uint64_t *out);
int qssh_view_get_string(struct qssh_view *v, struct qssh_view *out);
/* String without NUL bytes, copied to a fresh NUL-terminated heap string. */
int qssh_view_get_cstring(struct qssh_view *v, char **out);
/* Non-negative mpint (magnitude without leading zeros). */
int qssh_view_get_mpint(struct qssh_view *v, struct qssh_view *out);
/* Name-list (RFC 4251): printable US-ASCII, no NUL; heap copy. */
int qssh_view_get_namelist(struct qssh_view *v, char **out);
bool qssh_view_eq_str(struct qssh_view v, const char *s);

/* ---- name-lists (comma-separated, as in KEXINIT) ---- */
bool qssh_namelist_contains(const char *list, const char *name);
/*
 * First name of client list that is also in server list (RFC 4253 7.1).
 * *out is a heap string; QSSH_ERR_NO_MATCH when there is none.
 */
int
qssh_namelist_first_match(const char *client, const char *server, char **out);

#endif
