/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Streamlined NTRU Prime sntrup761, following the NTRU Prime round-3
 * specification: R = Z[x]/(x^p - x - 1), p = 761, q = 4591, w = 286.
 *
 *   KeyGen: g small and invertible in R/3, f short (weight w);
 *           h = g / (3f) in R/q; pk = Encode(h);
 *           sk = Small(f) || Small(1/g in R/3) || pk || rho || Hash4(pk).
 *   Encap:  r short; c = Round(h r); C = Encode(c) || HashConfirm(r, pk);
 *           K = HashSession(1, r, C).
 *   Decap:  r' = weight-checked (3 f c mod q, lifted, mod 3) / g;
 *           K = HashSession(1, r', C) if Hide(r') == C, else
 *           HashSession(0, rho, C).
 *
 * Hash_b(x) is the first 32 bytes of SHA-512(b || x); HashConfirm(r, pk) =
 * Hash2(Hash3(Small(r)) || Hash4(pk)); HashSession(b, y, z) =
 * Hash_b(Hash3(Small(y)) || z).
 *
 * Everything touching secrets is straight-line code: selections by masks,
 * reductions by multiply-and-shift, the reciprocals by a fixed number of
 * division steps (Bernstein-Yang), sorting by a Batcher network.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/err.h"
#include "common/util.h"
#include "control/sntrup761.h"
#include "sntrup761_int.h"

/*
 * The constant-time test builds this file with QSSH_SNTRUP761_CT_TEST=1 so
 * that the one bit that may be public (whether a random g was invertible,
 * which only decides whether to draw again) is declared so to valgrind.
 */
#ifndef QSSH_SNTRUP761_CT_TEST
#define QSSH_SNTRUP761_CT_TEST 0
#endif
#if QSSH_SNTRUP761_CT_TEST
#include <valgrind/memcheck.h>
#define SNTRUP_DECLASSIFY(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define SNTRUP_DECLASSIFY(p, n) ((void)(p), (void)(n))
#endif

#define P SNTRUP761_P
#define Q SNTRUP761_Q
#define W SNTRUP761_W
#define Q12 SNTRUP761_Q12
#define SMALL_BYTES SNTRUP761_SMALL_BYTES
#define RQ_BYTES SNTRUP761_RQ_BYTES
#define ROUNDED_BYTES SNTRUP761_ROUNDED_BYTES
#define HASH_BYTES SNTRUP761_HASH_BYTES

#define SK_F_OFF 0
#define SK_V_OFF SMALL_BYTES
#define SK_PK_OFF (2 * SMALL_BYTES)
#define SK_RHO_OFF (SK_PK_OFF + SNTRUP761_PUBLICKEY_SIZE)
#define SK_CACHE_OFF (SK_RHO_OFF + SMALL_BYTES)

/* Rounded coefficients are (c + q12) / 3 in [0, (q - 1) / 3]. */
#define ROUNDED_M ((Q + 2) / 3)

/* Key generation gives up on a generator that never yields an invertible g. */
#define KEYGEN_MAX_TRIES 64

_Static_assert(
    SK_CACHE_OFF + HASH_BYTES == SNTRUP761_SECRETKEY_SIZE, "secret key layout");
_Static_assert(ROUNDED_BYTES + HASH_BYTES == SNTRUP761_CIPHERTEXT_SIZE,
    "ciphertext layout");
_Static_assert(RQ_BYTES == SNTRUP761_PUBLICKEY_SIZE, "public key layout");

/* ---- constant-time helpers ---------------------------------------- */

/* All ones if a < b, for a, b < 2^31. */
static inline uint32_t
ct_lt_mask(uint32_t a, uint32_t b)
{
	return (uint32_t)0 - ((a - b) >> 31);
}

/* -1 if x != 0 else 0, for |x| < 2^31. */
static inline int32_t
ct_nonzero_mask(int32_t x)
{
	uint32_t u = (uint32_t)x;

	return -(int32_t)((u | ((uint32_t)0 - u)) >> 31);
}

/* -1 if x > 0 else 0, for |x| < 2^31. */
static inline int32_t
ct_positive_mask(int32_t x)
{
	return -(int32_t)(((uint32_t)0 - (uint32_t)x) >> 31);
}

/* -1 if x < 0 else 0 (arithmetic shift, as GCC and Clang define it). */
static inline int32_t
ct_negative_mask(int32_t x)
{
	return x >> 31;
}

/*
 * x mod q, centred, for |x| < 2^24 (the largest intermediate value of this
 * file is 3 * 761 * 2 * 2295 < 2^24).  Two Barrett steps with 32-bit
 * products: 114 / 2^19 and 29235 / 2^27 approximate 1/q; the first leaves
 * |x| < 9q, the second |x| <= q12 + q; then one correction each way.
 */
int16_t
sntrup761_fq_freeze(int32_t x)
{
	x -= Q * ((114 * x + (1 << 18)) >> 19);
	x -= Q * ((29235 * x + (1 << 26)) >> 27);
	x += Q & ct_negative_mask(x + Q12);
	x -= Q & ct_negative_mask(Q12 - x);
	return (int16_t)x;
}

/*
 * x mod 3 as -1, 0, 1, for |x| < 2^14.  21846 / 2^16 slightly exceeds 1/3,
 * so t is floor(u / 3) or one more and u - 3t lies in [-3, 3).
 */
static inline int8_t
f3_freeze(int32_t x)
{
	int32_t u = x + 3 * (1 << 14);
	int32_t r = u - 3 * ((u * 21846) >> 16);

	r += 3 & ct_negative_mask(r);
	r -= 3 & ct_negative_mask(1 - r);
	return (int8_t)r;
}

int8_t
sntrup761_f3_freeze(int32_t x)
{
	return f3_freeze(x);
}

/*
 * floor(2^31 / m) by shift-and-subtract.  m is a public modulus of the
 * encoding, but this keeps division instructions out of the object code
 * altogether (checked by the constant-time tests).
 */
static uint32_t
recip31(uint32_t m)
{
	uint32_t rem = 0, quo = 0, ge;
	int b;

	for (b = 31; b >= 0; b--) {
		rem = (rem << 1) | (uint32_t)(b == 31);
		ge = ~ct_lt_mask(rem, m);
		rem -= m & ge;
		quo |= ((uint32_t)1 << b) & ge;
	}
	return quo;
}

void
sntrup761_divmod(uint32_t *quot, uint32_t *rem, uint32_t x, uint32_t m)
{
	uint32_t v = recip31(m);
	uint32_t qt = 0, t, lt;

	t = (uint32_t)(((uint64_t)x * v) >> 31); /* x - t m in [0, 3m) */
	x -= t * m;
	qt += t;
	t = (uint32_t)(((uint64_t)x * v) >> 31); /* x - t m in [0, 2m) */
	x -= t * m;
	qt += t;
	lt = ct_lt_mask(x, m);
	x -= m & ~lt;
	qt += 1 & ~lt;
	*quot = qt;
	*rem = x;
}

static int16_t
fq_recip(int16_t a)
{
	/* a^(q - 2); the exponent is public. */
	int32_t r = 1, b = a;
	uint32_t e = Q - 2;

	while (e != 0) {
		int32_t m = -(int32_t)(e & 1);

		r = sntrup761_fq_freeze((r & m) * b + (r & ~m));
		b = sntrup761_fq_freeze(b * b);
		e >>= 1;
	}
	return (int16_t)r;
}

/* ---- sorting ------------------------------------------------------- */

static inline void
ct_minmax(uint32_t *a, uint32_t *b)
{
	uint32_t x = *a, y = *b;
	uint64_t d = (uint64_t)y - (uint64_t)x;
	uint32_t m = (uint32_t)0 - (uint32_t)(d >> 63);
	uint32_t t = (x ^ y) & m;

	*a = x ^ t;
	*b = y ^ t;
}

void
sntrup761_sort_u32(uint32_t *x, size_t n)
{
	size_t top = 1, p, q, r, d, i;

	/*
	 * Batcher's merge exchange (Knuth, TAOCP 5.2.2, Algorithm M): the
	 * sequence of comparisons depends on n only.
	 */
	if (n < 2)
		return;
	while (top < n)
		top <<= 1;
	top >>= 1;
	for (p = top; p > 0; p >>= 1) {
		q = top;
		r = 0;
		d = p;
		for (;;) {
			for (i = 0; i < n - d; i++)
				if ((i & p) == r)
					ct_minmax(&x[i], &x[i + d]);
			if (q == p)
				break;
			d = q - p;
			q >>= 1;
			r = p;
		}
	}
}

/* ---- encodings ------------------------------------------------------ */

/*
 * The specification's Encode: pairs of values (r0 < m0, r1 < m1) merge into
 * r0 + m0 r1 < m0 m1, emitting low bytes while the bound is >= 2^14, until
 * one value is left, whose remaining bytes end the string.  Both r and m are
 * overwritten.  Only shifts and masks touch r.
 */
static size_t
encode_generic(uint8_t *out, uint32_t *r, uint32_t *m, size_t n)
{
	size_t len = 0, i;
	uint32_t rr, mm;

	if (n == 0)
		return 0;
	while (n > 1) {
		for (i = 0; i + 1 < n; i += 2) {
			mm = m[i] * m[i + 1];
			rr = r[i] + m[i] * r[i + 1];
			while (mm >= 16384) {
				out[len++] = (uint8_t)rr;
				rr >>= 8;
				mm = (mm + 255) >> 8;
			}
			r[i / 2] = rr;
			m[i / 2] = mm;
		}
		if (n & 1) {
			r[n / 2] = r[n - 1];
			m[n / 2] = m[n - 1];
		}
		n = (n + 1) / 2;
	}
	rr = r[0];
	mm = m[0];
	while (mm > 1) {
		out[len++] = (uint8_t)rr;
		rr >>= 8;
		mm = (mm + 255) >> 8;
	}
	return len;
}

/* Scratch words decode_generic needs for n values: 4 per pair per level. */
#define DECODE_SCRATCH (4 * P + 64)

/*
 * The specification's Decode, the inverse of encode_generic; total on all
 * strings of the right length (out-of-range values are reduced mod m).
 */
static void
decode_generic(uint32_t *out, const uint8_t *s, size_t slen, const uint32_t *m,
    size_t n, uint32_t *scratch)
{
	uint32_t *m2, *bot, *sh, *r2, mm, acc, qt, unused;
	size_t n2, i, k = 0, j;

	if (n == 0)
		return;
	if (n == 1) {
		acc = 0;
		for (j = slen; j > 0 && j <= 4; j--)
			acc = (acc << 8) | s[j - 1];
		sntrup761_divmod(&unused, &out[0], acc, m[0]);
		return;
	}
	n2 = (n + 1) / 2;
	m2 = scratch;
	bot = scratch + n2;
	sh = scratch + 2 * n2;
	r2 = scratch + 3 * n2;
	for (i = 0; i + 1 < n; i += 2) {
		mm = m[i] * m[i + 1];
		acc = 0;
		sh[i / 2] = 0;
		while (mm >= 16384) {
			if (k < slen)
				acc |= (uint32_t)s[k] << sh[i / 2];
			k++;
			sh[i / 2] += 8;
			mm = (mm + 255) >> 8;
		}
		bot[i / 2] = acc;
		m2[i / 2] = mm;
	}
	if (n & 1)
		m2[n2 - 1] = m[n - 1];
	if (k > slen)
		k = slen;
	decode_generic(r2, s + k, slen - k, m2, n2, scratch + 4 * n2);
	for (i = 0; i + 1 < n; i += 2) {
		acc = bot[i / 2] + (r2[i / 2] << sh[i / 2]);
		sntrup761_divmod(&qt, &out[i], acc, m[i]);
		sntrup761_divmod(&unused, &out[i + 1], qt, m[i + 1]);
	}
	if (n & 1)
		out[n - 1] = r2[n2 - 1];
}

void
sntrup761_rq_encode(uint8_t out[RQ_BYTES], const int16_t a[P])
{
	uint32_t r[P], m[P];
	size_t i;

	for (i = 0; i < P; i++) {
		r[i] = (uint32_t)(a[i] + Q12);
		m[i] = Q;
	}
	(void)encode_generic(out, r, m, P);
	qssh_wipe(r, sizeof(r));
}

void
sntrup761_rq_decode(int16_t a[P], const uint8_t in[RQ_BYTES])
{
	uint32_t r[P], m[P], scratch[DECODE_SCRATCH];
	size_t i;

	for (i = 0; i < P; i++)
		m[i] = Q;
	decode_generic(r, in, RQ_BYTES, m, P, scratch);
	for (i = 0; i < P; i++)
		a[i] = (int16_t)((int32_t)r[i] - Q12);
	qssh_wipe(r, sizeof(r));
	qssh_wipe(scratch, sizeof(scratch));
}

void
sntrup761_rounded_encode(uint8_t out[ROUNDED_BYTES], const int16_t a[P])
{
	uint32_t r[P], m[P];
	int32_t c;
	size_t i;

	for (i = 0; i < P; i++) {
		/* Nearest multiple of 3; q12 is one, so the range is kept. */
		c = a[i] - f3_freeze(a[i]);
		/* (c + q12) / 3, exact for multiples of 3 below 3 * 2^15. */
		r[i] = ((uint32_t)(c + Q12) * 10923) >> 15;
		m[i] = ROUNDED_M;
	}
	(void)encode_generic(out, r, m, P);
	qssh_wipe(r, sizeof(r));
}

void
sntrup761_rounded_decode(int16_t a[P], const uint8_t in[ROUNDED_BYTES])
{
	uint32_t r[P], m[P], scratch[DECODE_SCRATCH];
	size_t i;

	for (i = 0; i < P; i++)
		m[i] = ROUNDED_M;
	decode_generic(r, in, ROUNDED_BYTES, m, P, scratch);
	for (i = 0; i < P; i++)
		a[i] = (int16_t)((int32_t)r[i] * 3 - Q12);
	qssh_wipe(r, sizeof(r));
	qssh_wipe(scratch, sizeof(scratch));
}

void
sntrup761_small_encode(uint8_t out[SMALL_BYTES], const int8_t a[P])
{
	size_t i, j;
	uint32_t x;

	for (i = 0; i < P / 4; i++) {
		x = 0;
		for (j = 0; j < 4; j++)
			x |= (uint32_t)(a[4 * i + j] + 1) << (2 * j);
		out[i] = (uint8_t)x;
	}
	/* p = 4 * 190 + 1: the last byte holds one coefficient. */
	out[P / 4] = (uint8_t)(a[P - 1] + 1);
}

void
sntrup761_small_decode(int8_t a[P], const uint8_t in[SMALL_BYTES])
{
	size_t i, j;

	for (i = 0; i < P / 4; i++)
		for (j = 0; j < 4; j++)
			a[4 * i + j] = (int8_t)(((in[i] >> (2 * j)) & 3) - 1);
	a[P - 1] = (int8_t)((in[P / 4] & 3) - 1);
}

/* ---- ring arithmetic ------------------------------------------------ */

/* Fold a product of degree < 2p - 1 modulo x^p - x - 1 (x^p = x + 1). */
static void
fold(int32_t prod[2 * P - 1])
{
	size_t i;

	for (i = 2 * P - 2; i >= P; i--) {
		prod[i - P] += prod[i];
		prod[i - P + 1] += prod[i];
	}
}

void
sntrup761_rq_mult_small(int16_t out[P], const int16_t a[P], const int8_t b[P])
{
	int32_t prod[2 * P - 1];
	size_t i, j;

	memset(prod, 0, sizeof(prod));
	for (i = 0; i < P; i++) {
		int32_t ai = a[i];

		for (j = 0; j < P; j++)
			prod[i + j] += ai * b[j];
	}
	fold(prod);
	for (i = 0; i < P; i++)
		out[i] = sntrup761_fq_freeze(prod[i]);
	qssh_wipe(prod, sizeof(prod));
}

void
sntrup761_r3_mult(int8_t out[P], const int8_t a[P], const int8_t b[P])
{
	int32_t prod[2 * P - 1];
	size_t i, j;

	memset(prod, 0, sizeof(prod));
	for (i = 0; i < P; i++) {
		int32_t ai = a[i];

		for (j = 0; j < P; j++)
			prod[i + j] += ai * b[j];
	}
	fold(prod);
	for (i = 0; i < P; i++)
		out[i] = f3_freeze(prod[i]);
	qssh_wipe(prod, sizeof(prod));
}

/*
 * Work length of the reciprocal loops: p + 1 coefficients rounded up to a
 * multiple of 32, the extra ones staying zero, so that the loops have no
 * remainder and the compiler vectorizes them.
 */
#define RECIP_N 768
_Static_assert(RECIP_N >= P + 1 && RECIP_N % 32 == 0, "RECIP_N");

/*
 * At step it of 2p - 1, only the low 2p - 1 - it coefficients of f and g
 * can still reach position 0, and v and r have at most it + 2 nonzero
 * ones: the loops stop there, in whole blocks of 32.  The bounds depend on
 * the step number only.
 */
static inline size_t
recip_fg_blocks(size_t it)
{
	size_t n = 2 * P - it;

	return (n < RECIP_N ? n + 31 : RECIP_N) / 32;
}

static inline size_t
recip_vr_blocks(size_t it)
{
	size_t n = it + 2;

	return (n < RECIP_N ? n + 31 : RECIP_N) / 32;
}

/*
 * Reciprocals by 2p - 1 division steps on the reversed polynomials
 * F = x^p P(1/x) = 1 - x^(p-1) - x^p and G = x^(p-1) a(1/x), tracking in
 * (v, r) the multiples of G (times a power of x).  With delta starting at 1,
 * a is invertible iff delta ends at 0; then f is a constant and
 * 1/a = v reversed divided by that constant.
 */
int
sntrup761_r3_recip(int8_t out[P], const int8_t a[P])
{
	int8_t f[RECIP_N], g[RECIP_N], v[RECIP_N], r[RECIP_N];
	int32_t delta = 1, swap, s, t;
	size_t it, i, b, j, nfg, nvr;
	int ret;

	memset(f, 0, sizeof(f));
	memset(g, 0, sizeof(g));
	memset(v, 0, sizeof(v));
	memset(r, 0, sizeof(r));
	f[0] = 1;
	f[P - 1] = -1;
	f[P] = -1;
	for (i = 0; i < P; i++)
		g[P - 1 - i] = f3_freeze(a[i]);
	r[0] = 1;

	for (it = 0; it < 2 * P - 1; it++) {
		memmove(v + 1, v, P);
		v[0] = 0;

		swap = ct_positive_mask(delta) & ct_nonzero_mask(g[0]);
		delta ^= swap & (delta ^ -delta);
		delta += 1;
		/* g <- (g - (g0/f0) f) / x; f0 = +-1 is its own inverse. */
		nfg = recip_fg_blocks(it);
		nvr = recip_vr_blocks(it);
		for (b = 0; b < nfg; b++) {
			for (j = 0; j < 32; j++) {
				i = 32 * b + j;
				t = swap & (f[i] ^ g[i]);
				f[i] = (int8_t)(f[i] ^ t);
				g[i] = (int8_t)(g[i] ^ t);
			}
		}
		for (b = 0; b < nvr; b++) {
			for (j = 0; j < 32; j++) {
				i = 32 * b + j;
				t = swap & (v[i] ^ r[i]);
				v[i] = (int8_t)(v[i] ^ t);
				r[i] = (int8_t)(r[i] ^ t);
			}
		}
		s = -(int32_t)g[0] * f[0];
		for (b = 0; b < nfg; b++)
			for (j = 0; j < 32; j++) {
				i = 32 * b + j;
				g[i] = f3_freeze(g[i] + s * f[i]);
			}
		for (b = 0; b < nvr; b++)
			for (j = 0; j < 32; j++) {
				i = 32 * b + j;
				r[i] = f3_freeze(r[i] + s * v[i]);
			}
		memmove(g, g + 1, P);
		g[P] = 0;
	}

	s = f[0];
	for (i = 0; i < P; i++)
		out[i] = f3_freeze(s * v[P - 1 - i]);
	ret = (int)ct_nonzero_mask(delta);
	qssh_wipe(f, sizeof(f));
	qssh_wipe(g, sizeof(g));
	qssh_wipe(v, sizeof(v));
	qssh_wipe(r, sizeof(r));
	return ret;
}

void
sntrup761_rq_recip3(int16_t out[P], const int8_t a[P])
{
	int16_t f[RECIP_N], g[RECIP_N], v[RECIP_N], r[RECIP_N];
	int32_t delta = 1, swap, t, f0, g0;
	size_t it, i, b, j, nfg, nvr;
	int16_t scale;

	memset(f, 0, sizeof(f));
	memset(g, 0, sizeof(g));
	memset(v, 0, sizeof(v));
	memset(r, 0, sizeof(r));
	f[0] = 1;
	f[P - 1] = -1;
	f[P] = -1;
	for (i = 0; i < P; i++)
		g[P - 1 - i] = a[i];
	r[0] = fq_recip(3);

	for (it = 0; it < 2 * P - 1; it++) {
		memmove(v + 1, v, P * sizeof(v[0]));
		v[0] = 0;

		swap = ct_positive_mask(delta) & ct_nonzero_mask(g[0]);
		delta ^= swap & (delta ^ -delta);
		delta += 1;
		nfg = recip_fg_blocks(it);
		nvr = recip_vr_blocks(it);
		for (b = 0; b < nfg; b++) {
			for (j = 0; j < 32; j++) {
				i = 32 * b + j;
				t = swap & (f[i] ^ g[i]);
				f[i] = (int16_t)(f[i] ^ t);
				g[i] = (int16_t)(g[i] ^ t);
			}
		}
		for (b = 0; b < nvr; b++) {
			for (j = 0; j < 32; j++) {
				i = 32 * b + j;
				t = swap & (v[i] ^ r[i]);
				v[i] = (int16_t)(v[i] ^ t);
				r[i] = (int16_t)(r[i] ^ t);
			}
		}

		/* g <- (f0 g - g0 f) / x, r <- f0 r - g0 v. */
		f0 = f[0];
		g0 = g[0];
		for (b = 0; b < nfg; b++)
			for (j = 0; j < 32; j++) {
				i = 32 * b + j;
				g[i] =
				    sntrup761_fq_freeze(f0 * g[i] - g0 * f[i]);
			}
		for (b = 0; b < nvr; b++)
			for (j = 0; j < 32; j++) {
				i = 32 * b + j;
				r[i] =
				    sntrup761_fq_freeze(f0 * r[i] - g0 * v[i]);
			}
		memmove(g, g + 1, P * sizeof(g[0]));
		g[P] = 0;
	}

	scale = fq_recip(f[0]);
	for (i = 0; i < P; i++)
		out[i] = sntrup761_fq_freeze((int32_t)scale * v[P - 1 - i]);
	qssh_wipe(f, sizeof(f));
	qssh_wipe(g, sizeof(g));
	qssh_wipe(v, sizeof(v));
	qssh_wipe(r, sizeof(r));
}

/* ---- random elements ------------------------------------------------ */

static inline uint32_t
get_u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	    ((uint32_t)p[3] << 24);
}

/* Small element from p 32-bit draws: each maps to -1, 0 or 1. */
static void
small_from_words(int8_t out[P], const uint8_t bytes[4 * P])
{
	size_t i;

	for (i = 0; i < P; i++) {
		uint32_t x = get_u32le(bytes + 4 * i) & 0x3fffffff;

		out[i] = (int8_t)((int32_t)((x * 3) >> 30) - 1);
	}
}

/*
 * Short element (weight w) from p 32-bit draws: the low two bits of the
 * first w words are forced to 0 or 2 (-> -1, +1), the rest to 1 (-> 0);
 * sorting the words shuffles the coefficients by the random high bits.
 */
static void
short_from_words(int8_t out[P], const uint8_t bytes[4 * P], uint32_t *tmp)
{
	size_t i;

	for (i = 0; i < P; i++)
		tmp[i] = get_u32le(bytes + 4 * i);
	for (i = 0; i < W; i++)
		tmp[i] &= ~(uint32_t)1;
	for (i = W; i < P; i++)
		tmp[i] = (tmp[i] & ~(uint32_t)2) | 1;
	sntrup761_sort_u32(tmp, P);
	for (i = 0; i < P; i++)
		out[i] = (int8_t)((int32_t)(tmp[i] & 3) - 1);
}

/* ---- hashing -------------------------------------------------------- */

/* First 32 bytes of SHA-512(prefix || a || b). */
static int
hash_prefix(uint8_t out[HASH_BYTES], uint8_t prefix, const uint8_t *a,
    size_t alen, const uint8_t *b, size_t blen)
{
	EVP_MD_CTX *md = NULL;
	uint8_t h[64];
	unsigned int hlen = 0;
	int r = QSSH_ERR_LIBCRYPTO;

	if ((md = EVP_MD_CTX_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if (EVP_DigestInit_ex(md, EVP_sha512(), NULL) != 1 ||
	    EVP_DigestUpdate(md, &prefix, 1) != 1 ||
	    EVP_DigestUpdate(md, a, alen) != 1 ||
	    (blen != 0 && EVP_DigestUpdate(md, b, blen) != 1) ||
	    EVP_DigestFinal_ex(md, h, &hlen) != 1 || hlen != sizeof(h))
		goto out;
	memcpy(out, h, HASH_BYTES);
	r = 0;
out:
	qssh_wipe(h, sizeof(h));
	EVP_MD_CTX_free(md);
	return r;
}

/* ---- KEM ------------------------------------------------------------ */

struct sntrup_keygen {
	uint8_t words[4 * P];
	uint32_t sortbuf[P];
	int8_t g[P];
	int8_t f[P];
	int8_t ginv[P];
	int16_t h[P];
};

struct sntrup_hide {
	uint8_t words[4 * P];
	uint32_t sortbuf[P];
	int8_t r[P];
	int16_t h[P];
	int16_t c[P];
	uint8_t r_enc[SMALL_BYTES];
	uint8_t cache[HASH_BYTES];
	uint8_t hr[HASH_BYTES];
	uint8_t cnew[SNTRUP761_CIPHERTEXT_SIZE];
	int8_t f[P];
	int8_t ginv[P];
	int8_t e[P];
};

static int
system_random(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	return qssh_random_bytes(out, len);
}

int
sntrup761_keypair_rng(uint8_t pk[SNTRUP761_PUBLICKEY_SIZE],
    uint8_t sk[SNTRUP761_SECRETKEY_SIZE], sntrup761_random_fn rnd,
    void *rnd_ctx)
{
	struct sntrup_keygen *k = NULL;
	int r = QSSH_ERR_INTERNAL, tries, bad;

	if (pk == NULL || sk == NULL || rnd == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	for (tries = 0;; tries++) {
		if (tries == KEYGEN_MAX_TRIES) {
			r = QSSH_ERR_INTERNAL;
			goto out;
		}
		if ((r = rnd(rnd_ctx, k->words, sizeof(k->words))) != 0)
			goto out;
		small_from_words(k->g, k->words);
		bad = sntrup761_r3_recip(k->ginv, k->g);
		/* Rejection sampling: a discarded g reveals nothing. */
		SNTRUP_DECLASSIFY(&bad, sizeof(bad));
		if (bad == 0)
			break;
	}
	if ((r = rnd(rnd_ctx, k->words, sizeof(k->words))) != 0)
		goto out;
	short_from_words(k->f, k->words, k->sortbuf);

	sntrup761_rq_recip3(k->h, k->f);
	sntrup761_rq_mult_small(k->h, k->h, k->g);
	/* h = g / (3f) is the public key. */
	SNTRUP_DECLASSIFY(k->h, sizeof(k->h));
	sntrup761_rq_encode(pk, k->h);

	sntrup761_small_encode(sk + SK_F_OFF, k->f);
	sntrup761_small_encode(sk + SK_V_OFF, k->ginv);
	memcpy(sk + SK_PK_OFF, pk, SNTRUP761_PUBLICKEY_SIZE);
	if ((r = rnd(rnd_ctx, sk + SK_RHO_OFF, SMALL_BYTES)) != 0)
		goto out;
	if ((r = hash_prefix(sk + SK_CACHE_OFF, 4, pk, SNTRUP761_PUBLICKEY_SIZE,
		 NULL, 0)) != 0)
		goto out;
	r = 0;
out:
	if (r != 0) {
		qssh_wipe(sk, SNTRUP761_SECRETKEY_SIZE);
		memset(pk, 0, SNTRUP761_PUBLICKEY_SIZE);
	}
	qssh_wipe_free(k, sizeof(*k));
	return r;
}

int
sntrup761_keypair(
    uint8_t pk[SNTRUP761_PUBLICKEY_SIZE], uint8_t sk[SNTRUP761_SECRETKEY_SIZE])
{
	return sntrup761_keypair_rng(pk, sk, system_random, NULL);
}

/*
 * Hide: ct = Encode(Round(h r)) || Hash2(Hash3(Small(r)) || cache), and
 * hs->hr = Hash3(Small(r)).  hs->r holds r.
 */
static int
hide(uint8_t ct[SNTRUP761_CIPHERTEXT_SIZE], struct sntrup_hide *hs,
    const uint8_t pk[SNTRUP761_PUBLICKEY_SIZE])
{
	int r;

	sntrup761_small_encode(hs->r_enc, hs->r);
	sntrup761_rq_decode(hs->h, pk);
	sntrup761_rq_mult_small(hs->c, hs->h, hs->r);
	sntrup761_rounded_encode(ct, hs->c);
	if ((r = hash_prefix(hs->hr, 3, hs->r_enc, SMALL_BYTES, NULL, 0)) != 0)
		return r;
	return hash_prefix(
	    ct + ROUNDED_BYTES, 2, hs->hr, HASH_BYTES, hs->cache, HASH_BYTES);
}

int
sntrup761_encap_rng(uint8_t ct[SNTRUP761_CIPHERTEXT_SIZE],
    uint8_t ss[SNTRUP761_SHAREDSECRET_SIZE],
    const uint8_t pk[SNTRUP761_PUBLICKEY_SIZE], sntrup761_random_fn rnd,
    void *rnd_ctx)
{
	struct sntrup_hide *hs = NULL;
	int r = QSSH_ERR_INTERNAL;

	if (ct == NULL || ss == NULL || pk == NULL || rnd == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((hs = calloc(1, sizeof(*hs))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = rnd(rnd_ctx, hs->words, sizeof(hs->words))) != 0)
		goto out;
	short_from_words(hs->r, hs->words, hs->sortbuf);
	if ((r = hash_prefix(
		 hs->cache, 4, pk, SNTRUP761_PUBLICKEY_SIZE, NULL, 0)) != 0)
		goto out;
	if ((r = hide(ct, hs, pk)) != 0)
		goto out;
	if ((r = hash_prefix(ss, 1, hs->hr, HASH_BYTES, ct,
		 SNTRUP761_CIPHERTEXT_SIZE)) != 0)
		goto out;
	r = 0;
out:
	if (r != 0)
		qssh_wipe(ss, SNTRUP761_SHAREDSECRET_SIZE);
	qssh_wipe_free(hs, sizeof(*hs));
	return r;
}

int
sntrup761_encap(uint8_t ct[SNTRUP761_CIPHERTEXT_SIZE],
    uint8_t ss[SNTRUP761_SHAREDSECRET_SIZE],
    const uint8_t pk[SNTRUP761_PUBLICKEY_SIZE])
{
	return sntrup761_encap_rng(ct, ss, pk, system_random, NULL);
}

int
sntrup761_decap(uint8_t ss[SNTRUP761_SHAREDSECRET_SIZE],
    const uint8_t ct[SNTRUP761_CIPHERTEXT_SIZE],
    const uint8_t sk[SNTRUP761_SECRETKEY_SIZE])
{
	struct sntrup_hide *hs = NULL;
	const uint8_t *pk = sk + SK_PK_OFF, *rho = sk + SK_RHO_OFF;
	int32_t mask, weight;
	uint32_t diff;
	uint8_t m8;
	size_t i;
	int r = QSSH_ERR_INTERNAL;

	if (ss == NULL || ct == NULL || sk == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((hs = calloc(1, sizeof(*hs))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	memcpy(hs->cache, sk + SK_CACHE_OFF, HASH_BYTES);
	sntrup761_small_decode(hs->f, sk + SK_F_OFF);
	sntrup761_small_decode(hs->ginv, sk + SK_V_OFF);

	/* e = 3 f c in R/q, lifted and reduced mod 3 (= g r mod 3). */
	sntrup761_rounded_decode(hs->c, ct);
	sntrup761_rq_mult_small(hs->h, hs->c, hs->f);
	for (i = 0; i < P; i++)
		hs->e[i] = f3_freeze(sntrup761_fq_freeze(3 * hs->h[i]));
	sntrup761_r3_mult(hs->r, hs->e, hs->ginv);

	/* Weight other than w: use r = (1, ..., 1, 0, ..., 0) instead. */
	weight = 0;
	for (i = 0; i < P; i++)
		weight += hs->r[i] & 1;
	mask = ct_nonzero_mask(weight - W);
	for (i = 0; i < P; i++) {
		int32_t fallback = i < W ? 1 : 0;

		hs->r[i] = (int8_t)((hs->r[i] & ~mask) | (fallback & mask));
	}

	if ((r = hide(hs->cnew, hs, pk)) != 0)
		goto out;

	/* Re-encryption differs: hash rho instead of Small(r), prefix 0. */
	diff = 0;
	for (i = 0; i < SNTRUP761_CIPHERTEXT_SIZE; i++)
		diff |= (uint32_t)(ct[i] ^ hs->cnew[i]);
	m8 = (uint8_t)((uint32_t)0 - ((diff + 0xff) >> 8));
	for (i = 0; i < SMALL_BYTES; i++)
		hs->r_enc[i] ^= (uint8_t)(m8 & (hs->r_enc[i] ^ rho[i]));
	if ((r = hash_prefix(hs->hr, 3, hs->r_enc, SMALL_BYTES, NULL, 0)) != 0)
		goto out;
	if ((r = hash_prefix(ss, (uint8_t)(1 & ~m8), hs->hr, HASH_BYTES, ct,
		 SNTRUP761_CIPHERTEXT_SIZE)) != 0)
		goto out;
	r = 0;
out:
	if (r != 0)
		qssh_wipe(ss, SNTRUP761_SHAREDSECRET_SIZE);
	qssh_wipe_free(hs, sizeof(*hs));
	return r;
}
