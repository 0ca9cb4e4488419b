/* SPDX-License-Identifier: BSD-2-Clause */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/util.h"

void
qssh_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

void
qssh_wipe_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	qssh_wipe(p, len);
	free(p);
}

void
qssh_wipe_free_str(char *s)
{
	if (s != NULL)
		qssh_wipe_free(s, strlen(s));
}

bool
qssh_ct_eq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int
qssh_random_bytes(void *out, size_t len)
{
	if (len == 0)
		return 0;
	if (len > (size_t)INT32_MAX)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (RAND_bytes(out, (int)len) != 1)
		return QSSH_ERR_LIBCRYPTO;
	return 0;
}

uint32_t
qssh_random_uniform(uint32_t upper)
{
	uint32_t r, min;

	if (upper < 2)
		return 0;
	/* Reject values below 2^32 % upper so the result is unbiased. */
	min = (uint32_t)(-upper) % upper;
	for (;;) {
		if (qssh_random_bytes(&r, sizeof(r)) != 0)
			abort(); /* no randomness: nothing safe to return */
		if (r >= min)
			return r % upper;
	}
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
qssh_b64_encoded_len(size_t len)
{
	return ((len + 2) / 3) * 4 + 1;
}

int
qssh_b64_encode(const uint8_t *src, size_t len, char *dst, size_t dstlen)
{
	size_t i, o = 0;
	uint32_t v;

	if (len > (SIZE_MAX - 4) / 4 * 3 || dstlen < qssh_b64_encoded_len(len))
		return QSSH_ERR_NO_BUFFER_SPACE;
	for (i = 0; len - i >= 3; i += 3) {
		v = ((uint32_t)src[i] << 16) | ((uint32_t)src[i + 1] << 8) |
		    src[i + 2];
		dst[o++] = b64chars[(v >> 18) & 63];
		dst[o++] = b64chars[(v >> 12) & 63];
		dst[o++] = b64chars[(v >> 6) & 63];
		dst[o++] = b64chars[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)src[i] << 16;
		dst[o++] = b64chars[(v >> 18) & 63];
		dst[o++] = b64chars[(v >> 12) & 63];
		dst[o++] = '=';
		dst[o++] = '=';
	} else if (len - i == 2) {
		v = ((uint32_t)src[i] << 16) | ((uint32_t)src[i + 1] << 8);
		dst[o++] = b64chars[(v >> 18) & 63];
		dst[o++] = b64chars[(v >> 12) & 63];
		dst[o++] = b64chars[(v >> 6) & 63];
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return 0;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
qssh_b64_decode(const char *src, uint8_t *out, size_t outcap, size_t *outlen)
{
	uint32_t acc = 0;
	size_t o = 0;
	int n = 0, pad = 0, v;
	char c;

	*outlen = 0;
	for (; (c = *src) != '\0'; src++) {
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			/* Padding only in the last quantum, at most two. */
			if (n < 2 || ++pad > 2)
				return QSSH_ERR_INVALID_FORMAT;
			n++;
			if (n == 4) {
				if (pad == 2 && (acc & 0xf) != 0)
					return QSSH_ERR_INVALID_FORMAT;
				if (pad == 1 && (acc & 0x3) != 0)
					return QSSH_ERR_INVALID_FORMAT;
			}
			continue;
		}
		if (pad > 0 || (v = b64val(c)) < 0)
			return QSSH_ERR_INVALID_FORMAT;
		acc = (acc << 6) | (uint32_t)v;
		if (++n == 4) {
			if (outcap - o < 3)
				return QSSH_ERR_NO_BUFFER_SPACE;
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			acc = 0;
			n = 0;
		}
	}
	if (pad > 0) {
		if (n != 4)
			return QSSH_ERR_INVALID_FORMAT;
		/* acc holds 4 - pad sextets. */
		if (pad == 2) {
			if (outcap - o < 1)
				return QSSH_ERR_NO_BUFFER_SPACE;
			out[o++] = (uint8_t)(acc >> 4);
		} else {
			if (outcap - o < 2)
				return QSSH_ERR_NO_BUFFER_SPACE;
			out[o++] = (uint8_t)(acc >> 10);
			out[o++] = (uint8_t)(acc >> 2);
		}
	} else if (n == 2 || n == 3) {
		/* Unpadded tail, as some encoders write. */
		if (n == 2) {
			if ((acc & 0xf) != 0 || outcap - o < 1)
				return (acc & 0xf) != 0
				    ? QSSH_ERR_INVALID_FORMAT
				    : QSSH_ERR_NO_BUFFER_SPACE;
			out[o++] = (uint8_t)(acc >> 4);
		} else {
			if ((acc & 0x3) != 0 || outcap - o < 2)
				return (acc & 0x3) != 0
				    ? QSSH_ERR_INVALID_FORMAT
				    : QSSH_ERR_NO_BUFFER_SPACE;
			out[o++] = (uint8_t)(acc >> 10);
			out[o++] = (uint8_t)(acc >> 2);
		}
	} else if (n == 1) {
		return QSSH_ERR_INVALID_FORMAT;
	}
	*outlen = o;
	return 0;
}

void
qssh_hex_encode(const uint8_t *src, size_t len, char *dst)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		dst[2 * i] = hx[src[i] >> 4];
		dst[2 * i + 1] = hx[src[i] & 15];
	}
	dst[2 * len] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
qssh_hex_decode(const char *src, uint8_t *out, size_t outcap, size_t *outlen)
{
	size_t n = strlen(src), i;
	int hi, lo;

	*outlen = 0;
	if (n % 2 != 0)
		return QSSH_ERR_INVALID_FORMAT;
	if (n / 2 > outcap)
		return QSSH_ERR_NO_BUFFER_SPACE;
	for (i = 0; i < n / 2; i++) {
		if ((hi = hexval(src[2 * i])) < 0 ||
		    (lo = hexval(src[2 * i + 1])) < 0)
			return QSSH_ERR_INVALID_FORMAT;
		out[i] = (uint8_t)((hi << 4) | lo);
	}
	*outlen = n / 2;
	return 0;
}

uint64_t
qssh_monotime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t
qssh_monotime_ms(void)
{
	return qssh_monotime_ns() / 1000000ULL;
}

double
qssh_monotime_double(void)
{
	return (double)qssh_monotime_ns() / 1e9;
}
