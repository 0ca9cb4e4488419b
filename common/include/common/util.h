/* SPDX-License-Identifier: BSD-2-Clause */
/* Secrets, constant-time compare, encodings, time, randomness. */
#ifndef QSSH_COMMON_UTIL_H
#define QSSH_COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QSSH_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Wipe memory in a way the compiler may not elide. */
void qssh_wipe(void *p, size_t len);
/* Wipe then free; NULL is a no-op. */
void qssh_wipe_free(void *p, size_t len);
/* Wipe and free a NUL-terminated string. */
void qssh_wipe_free_str(char *s);
/* Constant-time equality of two equal-length byte strings. */
bool qssh_ct_eq(const void *a, const void *b, size_t len);

/* Cryptographically secure random bytes; 0 or QSSH_ERR_LIBCRYPTO. */
int qssh_random_bytes(void *out, size_t len);
/* Uniform random number in [0, upper); upper 0 gives 0. */
uint32_t qssh_random_uniform(uint32_t upper);

/* Base64 (RFC 4648, with padding).  Length needed including NUL. */
size_t qssh_b64_encoded_len(size_t len);
int qssh_b64_encode(const uint8_t *src, size_t len, char *dst, size_t dstlen);
/*
 * Decode, ignoring ASCII whitespace; QSSH_ERR_INVALID_FORMAT on bad input,
 * QSSH_ERR_NO_BUFFER_SPACE if outcap is too small.
 */
int
qssh_b64_decode(const char *src, uint8_t *out, size_t outcap, size_t *outlen);
/* Lower-case hex; dst needs 2*len+1 bytes. */
void qssh_hex_encode(const uint8_t *src, size_t len, char *dst);
int
qssh_hex_decode(const char *src, uint8_t *out, size_t outcap, size_t *outlen);

/* Monotonic clock. */
uint64_t qssh_monotime_ms(void);
uint64_t qssh_monotime_ns(void);
double qssh_monotime_double(void);

/* Big-endian helpers for fixed layouts (caller checked the length). */
static inline uint32_t
qssh_get_u32be(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void
qssh_put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint64_t
qssh_get_u64be(const uint8_t *p)
{
	return ((uint64_t)qssh_get_u32be(p) << 32) | qssh_get_u32be(p + 4);
}

static inline void
qssh_put_u64be(uint8_t *p, uint64_t v)
{
	qssh_put_u32be(p, (uint32_t)(v >> 32));
	qssh_put_u32be(p + 4, (uint32_t)v);
}

#endif
