/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ML-KEM-768 as specified in FIPS 203 (k = 3, eta1 = eta2 = 2, du = 10,
 * dv = 4), with the input checks of section 7.
 *
 * Coefficients are kept fully reduced in [0, q) as uint16_t.  Reduction is
 * Barrett style with a 64-bit multiply, conditional subtraction is done with
 * masks, and the division by q inside Compress is a multiply-shift with a
 * masked correction: no secret-dependent branch, table index or division.
 * The only data-dependent branches are the rejection sampling of SampleNTT,
 * whose input (rho) is public, and the checks of public keys.
 */
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "control/mlkem768.h"

#include "mlkem768_int.h"

/*
 * The constant-time check program (tests/ct/) builds this file with
 * QSSH_MLKEM_CT_TEST=1: values that are derived from secrets but public by
 * design (rho, which is part of ek) are then marked as defined for the
 * memory checker.  In normal builds the marker does nothing.
 */
#ifndef QSSH_MLKEM_CT_TEST
#define QSSH_MLKEM_CT_TEST 0
#endif
#if QSSH_MLKEM_CT_TEST
#include <valgrind/memcheck.h>
#define MLKEM_DECLASSIFY(p, len) VALGRIND_MAKE_MEM_DEFINED((p), (len))
#else
#define MLKEM_DECLASSIFY(p, len) ((void)(p), (void)(len))
#endif

#define Q 3329
#define KK 3 /* module rank k */
#define NN 256
#define DU 10
#define DV 4
#define POLY12_BYTES 384 /* ByteEncode_12 of one polynomial */
#define PKE_DK_BYTES (KK * POLY12_BYTES) /* 1152 */
#define PKE_EK_BYTES (PKE_DK_BYTES + 32) /* 1184 */
#define CT_U_BYTES (KK * 32 * DU) /* 960 */
#define CBD_BYTES (64 * 2) /* PRF output for eta = 2 */

/* Offsets inside dk = dk_PKE || ek || H(ek) || z. */
#define DK_EK_OFF PKE_DK_BYTES
#define DK_H_OFF (DK_EK_OFF + PKE_EK_BYTES)
#define DK_Z_OFF (DK_H_OFF + 32)

_Static_assert(PKE_EK_BYTES == MLKEM768_EK_LEN, "ek size");
_Static_assert(DK_Z_OFF + 32 == MLKEM768_DK_LEN, "dk size");
_Static_assert(CT_U_BYTES + 32 * DV == MLKEM768_CT_LEN, "ct size");

struct poly {
	uint16_t c[NN];
};

/* zeta^BitRev7(i) mod q, zeta = 17 (FIPS 203 appendix A). */
/* clang-format off */
static const uint16_t zetas[128] = {
	1, 1729, 2580, 3289, 2642, 630, 1897, 848, 1062, 1919,
	193, 797, 2786, 3260, 569, 1746, 296, 2447, 1339, 1476,
	3046, 56, 2240, 1333, 1426, 2094, 535, 2882, 2393, 2879,
	1974, 821, 289, 331, 3253, 1756, 1197, 2304, 2277, 2055,
	650, 1977, 2513, 632, 2865, 33, 1320, 1915, 2319, 1435,
	807, 452, 1438, 2868, 1534, 2402, 2647, 2617, 1481, 648,
	2474, 3110, 1227, 910, 17, 2761, 583, 2649, 1637, 723,
	2288, 1100, 1409, 2662, 3281, 233, 756, 2156, 3015, 3050,
	1703, 1651, 2789, 1789, 1847, 952, 1461, 2687, 939, 2308,
	2437, 2388, 733, 2337, 268, 641, 1584, 2298, 2037, 3220,
	375, 2549, 2090, 1645, 1063, 319, 2773, 757, 2099, 561,
	2466, 2594, 2804, 1092, 403, 1026, 1143, 2150, 2775, 886,
	1722, 1212, 1874, 1029, 2110, 2935, 885, 2154,
};
/* clang-format on */

/* zeta^(2 BitRev7(i) + 1) mod q, for BaseCaseMultiply (appendix A). */
/* clang-format off */
static const uint16_t gammas[128] = {
	17, 3312, 2761, 568, 583, 2746, 2649, 680, 1637, 1692,
	723, 2606, 2288, 1041, 1100, 2229, 1409, 1920, 2662, 667,
	3281, 48, 233, 3096, 756, 2573, 2156, 1173, 3015, 314,
	3050, 279, 1703, 1626, 1651, 1678, 2789, 540, 1789, 1540,
	1847, 1482, 952, 2377, 1461, 1868, 2687, 642, 939, 2390,
	2308, 1021, 2437, 892, 2388, 941, 733, 2596, 2337, 992,
	268, 3061, 641, 2688, 1584, 1745, 2298, 1031, 2037, 1292,
	3220, 109, 375, 2954, 2549, 780, 2090, 1239, 1645, 1684,
	1063, 2266, 319, 3010, 2773, 556, 757, 2572, 2099, 1230,
	561, 2768, 2466, 863, 2594, 735, 2804, 525, 1092, 2237,
	403, 2926, 1026, 2303, 1143, 2186, 2150, 1179, 2775, 554,
	886, 2443, 1722, 1607, 1212, 2117, 1874, 1455, 1029, 2300,
	2110, 1219, 2935, 394, 885, 2444, 2154, 1175,
};
/* clang-format on */

#define BARRETT_M 1290167u /* floor(2^32 / q) */
#define INV128 3303u /* 128^-1 mod q */

/* Keep the compiler from turning mask arithmetic back into branches. */
static uint32_t
value_barrier(uint32_t v)
{
#if defined(__GNUC__)
	__asm__ __volatile__("" : "+r"(v));
#endif
	return v;
}

/* a mod q for a < 2q. */
static uint16_t
csubq(uint32_t a)
{
	uint32_t r = a - Q;

	r += Q & (0u - (r >> 31));
	return (uint16_t)r;
}

/*
 * floor(a / q) for any 32-bit a.  The Barrett estimate is floor(a/q) or
 * one less; the remainder decides, through a mask, whether to add one.
 */
static uint32_t
divq(uint32_t a)
{
	uint32_t t = (uint32_t)(((uint64_t)a * BARRETT_M) >> 32);
	uint32_t r = a - t * Q; /* in [0, 2q) */

	return t + ((uint32_t)(Q - 1 - r) >> 31);
}

/* a mod q for any 32-bit a. */
static uint16_t
reduce(uint32_t a)
{
	uint32_t t = (uint32_t)(((uint64_t)a * BARRETT_M) >> 32);

	return csubq(a - t * Q);
}

static uint16_t
fadd(uint16_t a, uint16_t b)
{
	return csubq((uint32_t)a + b);
}

static uint16_t
fsub(uint16_t a, uint16_t b)
{
	return csubq((uint32_t)a + Q - b);
}

static uint16_t
fmul(uint16_t a, uint16_t b)
{
	return reduce((uint32_t)a * b);
}

/* FIPS 203 algorithm 9. */
static void
poly_ntt(struct poly *f)
{
	size_t level, blk, len, start, j, i = 1;
	uint16_t zeta, t;

	/*
	 * len = 128, 64, ..., 2 with 2^level blocks each; counting blocks
	 * rather than stepping start keeps trip counts free of divisions.
	 */
	for (level = 0; level < 7; level++) {
		len = (size_t)128 >> level;
		for (blk = 0; blk < ((size_t)1 << level); blk++) {
			start = 2 * len * blk;
			zeta = zetas[i++];
			for (j = start; j < start + len; j++) {
				t = fmul(zeta, f->c[j + len]);
				f->c[j + len] = fsub(f->c[j], t);
				f->c[j] = fadd(f->c[j], t);
			}
		}
	}
}

/* FIPS 203 algorithm 10. */
static void
poly_invntt(struct poly *f)
{
	size_t level, blk, len, start, j, i = 127;
	uint16_t zeta, t;

	/* len = 2, 4, ..., 128, as in poly_ntt */
	for (level = 7; level-- > 0;) {
		len = (size_t)128 >> level;
		for (blk = 0; blk < ((size_t)1 << level); blk++) {
			start = 2 * len * blk;
			zeta = zetas[i--];
			for (j = start; j < start + len; j++) {
				t = f->c[j];
				f->c[j] = fadd(t, f->c[j + len]);
				f->c[j + len] =
				    fmul(zeta, fsub(f->c[j + len], t));
			}
		}
	}
	for (j = 0; j < NN; j++)
		f->c[j] = fmul(f->c[j], INV128);
}

/* r += a * b in the NTT domain (algorithms 11 and 12). */
static void
poly_basemul_acc(struct poly *r, const struct poly *a, const struct poly *b)
{
	size_t i;
	uint32_t a0, a1, b0, b1;
	uint16_t c0, c1;

	for (i = 0; i < 128; i++) {
		a0 = a->c[2 * i];
		a1 = a->c[2 * i + 1];
		b0 = b->c[2 * i];
		b1 = b->c[2 * i + 1];
		c0 = reduce(a0 * b0 + (uint32_t)reduce(a1 * b1) * gammas[i]);
		c1 = reduce(a0 * b1 + a1 * b0);
		r->c[2 * i] = fadd(r->c[2 * i], c0);
		r->c[2 * i + 1] = fadd(r->c[2 * i + 1], c1);
	}
}

static void
poly_add(struct poly *r, const struct poly *a)
{
	size_t i;

	for (i = 0; i < NN; i++)
		r->c[i] = fadd(r->c[i], a->c[i]);
}

/* ByteEncode_d (algorithm 5); coefficients already below 2^d (or q). */
static void
byte_encode(uint8_t *out, const struct poly *p, unsigned d)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, o = 0;

	for (i = 0; i < NN; i++) {
		acc |= (uint32_t)p->c[i] << bits;
		bits += d;
		while (bits >= 8) {
			out[o++] = (uint8_t)acc;
			acc >>= 8;
			bits -= 8;
		}
	}
}

/* ByteDecode_d (algorithm 6) without the final reduction: d-bit values. */
static void
byte_decode_raw(struct poly *p, const uint8_t *in, unsigned d)
{
	uint32_t acc = 0, mask = (1u << d) - 1;
	unsigned bits = 0;
	size_t i, o = 0;

	for (i = 0; i < NN; i++) {
		while (bits < d) {
			acc |= (uint32_t)in[o++] << bits;
			bits += 8;
		}
		p->c[i] = (uint16_t)(acc & mask);
		acc >>= d;
		bits -= d;
	}
}

/* ByteDecode_12: values mod q (12-bit values are below 2q). */
static void
byte_decode12(struct poly *p, const uint8_t *in)
{
	size_t i;

	byte_decode_raw(p, in, 12);
	for (i = 0; i < NN; i++)
		p->c[i] = csubq(p->c[i]);
}

/* Compress_d then ByteEncode_d: round(2^d x / q) mod 2^d. */
static void
poly_compress_encode(uint8_t *out, struct poly *p, unsigned d)
{
	size_t i;
	uint32_t mask = (1u << d) - 1;

	for (i = 0; i < NN; i++)
		p->c[i] =
		    (uint16_t)(divq(((uint32_t)p->c[i] << d) + (Q - 1) / 2) &
			mask);
	byte_encode(out, p, d);
}

/* ByteDecode_d then Decompress_d: round(q y / 2^d). */
static void
poly_decode_decompress(struct poly *p, const uint8_t *in, unsigned d)
{
	size_t i;

	byte_decode_raw(p, in, d);
	for (i = 0; i < NN; i++)
		p->c[i] =
		    (uint16_t)(((uint32_t)p->c[i] * Q + (1u << (d - 1))) >> d);
}

/* SamplePolyCBD_2(PRF_2(s, n)) (algorithms 8, and PRF of 4.1). */
static void
poly_sample_cbd(struct poly *p, const uint8_t s[32], uint8_t n)
{
	uint8_t in[33], buf[CBD_BYTES];
	uint32_t nib, x, y;
	size_t i;

	memcpy(in, s, 32);
	in[32] = n;
	mlkem_shake256(buf, sizeof(buf), in, sizeof(in));
	for (i = 0; i < NN; i++) {
		nib = (uint32_t)(buf[i / 2] >> (4 * (i % 2))) & 15;
		x = (nib & 1) + ((nib >> 1) & 1);
		y = ((nib >> 2) & 1) + ((nib >> 3) & 1);
		p->c[i] = csubq(x + Q - y);
	}
	qssh_wipe(in, sizeof(in));
	qssh_wipe(buf, sizeof(buf));
}

/*
 * SampleNTT(rho || a || b) (algorithm 7).  Squeezing whole SHAKE128 blocks
 * gives the same byte stream as squeezing three bytes at a time, and 168 is
 * a multiple of three.  rho is public, so rejection branches are fine.
 */
static void
poly_sample_ntt(struct poly *p, const uint8_t rho[32], uint8_t a, uint8_t b)
{
	struct mlkem_keccak k;
	uint8_t ij[2] = { a, b }, buf[MLKEM_SHAKE128_RATE];
	uint16_t d1, d2;
	size_t j = 0, o;

	mlkem_keccak_init(&k, MLKEM_SHAKE128_RATE);
	mlkem_keccak_absorb(&k, rho, 32);
	mlkem_keccak_absorb(&k, ij, 2);
	mlkem_keccak_finish(&k, 0x1f);
	while (j < NN) {
		mlkem_keccak_squeeze(&k, buf, sizeof(buf));
		for (o = 0; o < sizeof(buf) && j < NN; o += 3) {
			d1 = (uint16_t)(buf[o] | ((buf[o + 1] & 15) << 8));
			d2 = (uint16_t)((buf[o + 1] >> 4) | (buf[o + 2] << 4));
			if (d1 < Q)
				p->c[j++] = d1;
			if (d2 < Q && j < NN)
				p->c[j++] = d2;
		}
	}
}

/* K-PKE.KeyGen(d) (algorithm 13): ek_PKE and dk_PKE. */
static void
kpke_keygen(
    uint8_t ek[PKE_EK_BYTES], uint8_t dk[PKE_DK_BYTES], const uint8_t d[32])
{
	uint8_t in[33], g[64];
	const uint8_t *rho = g, *sigma = g + 32;
	struct poly s[KK], e[KK], a;
	uint8_t n = 0;
	size_t i, j;

	memcpy(in, d, 32);
	in[32] = KK;
	mlkem_sha3_512(g, in, sizeof(in));
	/* rho becomes part of the public key */
	MLKEM_DECLASSIFY(g, 32);
	for (i = 0; i < KK; i++)
		poly_sample_cbd(&s[i], sigma, n++);
	for (i = 0; i < KK; i++)
		poly_sample_cbd(&e[i], sigma, n++);
	for (i = 0; i < KK; i++) {
		poly_ntt(&s[i]);
		poly_ntt(&e[i]);
	}
	/* t = A s + e, with A[i][j] = SampleNTT(rho || j || i) */
	for (i = 0; i < KK; i++) {
		for (j = 0; j < KK; j++) {
			poly_sample_ntt(&a, rho, (uint8_t)j, (uint8_t)i);
			poly_basemul_acc(&e[i], &a, &s[j]);
		}
		byte_encode(ek + i * POLY12_BYTES, &e[i], 12);
		byte_encode(dk + i * POLY12_BYTES, &s[i], 12);
	}
	memcpy(ek + PKE_DK_BYTES, rho, 32);
	qssh_wipe(in, sizeof(in));
	qssh_wipe(g, sizeof(g));
	qssh_wipe(s, sizeof(s));
	qssh_wipe(e, sizeof(e));
}

/* K-PKE.Encrypt(ek, m, r) (algorithm 14). */
static void
kpke_encrypt(uint8_t ct[MLKEM768_CT_LEN], const uint8_t ek[PKE_EK_BYTES],
    const uint8_t m[32], const uint8_t r[32])
{
	struct poly t[KK], y[KK], u, v, a, e;
	const uint8_t *rho = ek + PKE_DK_BYTES;
	uint8_t n = 0;
	size_t i, j;

	for (i = 0; i < KK; i++)
		byte_decode12(&t[i], ek + i * POLY12_BYTES);
	for (i = 0; i < KK; i++) {
		poly_sample_cbd(&y[i], r, n++);
		poly_ntt(&y[i]);
	}
	/* u = NTT^-1(A^T y) + e1, with A^T[i][j] = SampleNTT(rho || i || j) */
	for (i = 0; i < KK; i++) {
		memset(&u, 0, sizeof(u));
		for (j = 0; j < KK; j++) {
			poly_sample_ntt(&a, rho, (uint8_t)i, (uint8_t)j);
			poly_basemul_acc(&u, &a, &y[j]);
		}
		poly_invntt(&u);
		poly_sample_cbd(&e, r, n++);
		poly_add(&u, &e);
		poly_compress_encode(ct + i * 32 * DU, &u, DU);
	}
	/* v = NTT^-1(t^T y) + e2 + Decompress_1(m) */
	memset(&v, 0, sizeof(v));
	for (j = 0; j < KK; j++)
		poly_basemul_acc(&v, &t[j], &y[j]);
	poly_invntt(&v);
	poly_sample_cbd(&e, r, n++);
	poly_add(&v, &e);
	for (i = 0; i < NN; i++)
		e.c[i] =
		    (uint16_t)((0u - ((uint32_t)(m[i / 8] >> (i % 8)) & 1)) &
			((Q + 1) / 2));
	poly_add(&v, &e);
	poly_compress_encode(ct + CT_U_BYTES, &v, DV);
	qssh_wipe(y, sizeof(y));
	qssh_wipe(&u, sizeof(u));
	qssh_wipe(&v, sizeof(v));
	qssh_wipe(&e, sizeof(e));
}

/* K-PKE.Decrypt(dk, c) (algorithm 15). */
static void
kpke_decrypt(uint8_t m[32], const uint8_t dk[PKE_DK_BYTES],
    const uint8_t ct[MLKEM768_CT_LEN])
{
	struct poly u, s, w, v;
	size_t i;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < KK; i++) {
		poly_decode_decompress(&u, ct + i * 32 * DU, DU);
		poly_ntt(&u);
		byte_decode12(&s, dk + i * POLY12_BYTES);
		poly_basemul_acc(&w, &s, &u);
	}
	poly_invntt(&w);
	poly_decode_decompress(&v, ct + CT_U_BYTES, DV);
	for (i = 0; i < NN; i++)
		v.c[i] = fsub(v.c[i], w.c[i]);
	poly_compress_encode(m, &v, 1);
	qssh_wipe(&s, sizeof(s));
	qssh_wipe(&w, sizeof(w));
	qssh_wipe(&v, sizeof(v));
	qssh_wipe(&u, sizeof(u));
}

/* All-ones byte if a and b differ anywhere, else zero; constant time. */
static uint8_t
ct_neq_mask(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint32_t acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= (uint32_t)(a[i] ^ b[i]);
	acc = value_barrier(acc);
	/* acc < 2^8: (0 - acc) has its top bit set iff acc != 0 */
	return (uint8_t)(0u - ((0u - acc) >> 31));
}

int
mlkem768_check_ek(const uint8_t *ek, size_t ek_len)
{
	struct poly p;
	uint32_t bad = 0;
	size_t i, j;

	if (ek == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (ek_len != MLKEM768_EK_LEN)
		return QSSH_ERR_KEY_LENGTH;
	/* ByteEncode_12(ByteDecode_12(ek)) == ek iff every value is below q */
	for (i = 0; i < KK; i++) {
		byte_decode_raw(&p, ek + i * POLY12_BYTES, 12);
		for (j = 0; j < NN; j++)
			bad |= (uint32_t)(Q - 1 - p.c[j]) >> 31;
	}
	return bad ? QSSH_ERR_KEY_INVALID : 0;
}

int
mlkem768_check_dk(const uint8_t *dk, size_t dk_len)
{
	uint8_t h[32];

	if (dk == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (dk_len != MLKEM768_DK_LEN)
		return QSSH_ERR_KEY_LENGTH;
	/* the hash and the embedded ek are public; only the result matters */
	mlkem_sha3_256(h, dk + DK_EK_OFF, PKE_EK_BYTES);
	if (!qssh_ct_eq(h, dk + DK_H_OFF, sizeof(h)))
		return QSSH_ERR_KEY_INVALID;
	return 0;
}

int
mlkem768_keygen_seeded(uint8_t ek[MLKEM768_EK_LEN], uint8_t dk[MLKEM768_DK_LEN],
    const uint8_t d[MLKEM768_SEED_LEN], const uint8_t z[MLKEM768_SEED_LEN])
{
	if (ek == NULL || dk == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (d == NULL || z == NULL) {
		memset(ek, 0, MLKEM768_EK_LEN);
		memset(dk, 0, MLKEM768_DK_LEN);
		return QSSH_ERR_INVALID_ARGUMENT;
	}
	/* dk = dk_PKE || ek || H(ek) || z (algorithm 16) */
	kpke_keygen(ek, dk, d);
	memcpy(dk + DK_EK_OFF, ek, MLKEM768_EK_LEN);
	mlkem_sha3_256(dk + DK_H_OFF, ek, MLKEM768_EK_LEN);
	memcpy(dk + DK_Z_OFF, z, 32);
	return 0;
}

int
mlkem768_keygen_from_seed(uint8_t ek[MLKEM768_EK_LEN],
    uint8_t dk[MLKEM768_DK_LEN], const uint8_t *seed, size_t seed_len)
{
	if (ek == NULL || dk == NULL || seed == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (seed_len != 2 * MLKEM768_SEED_LEN) {
		memset(ek, 0, MLKEM768_EK_LEN);
		memset(dk, 0, MLKEM768_DK_LEN);
		return QSSH_ERR_KEY_LENGTH;
	}
	return mlkem768_keygen_seeded(ek, dk, seed, seed + MLKEM768_SEED_LEN);
}

int
mlkem768_keygen(uint8_t ek[MLKEM768_EK_LEN], uint8_t dk[MLKEM768_DK_LEN])
{
	uint8_t dz[2 * MLKEM768_SEED_LEN];
	int r = QSSH_ERR_INTERNAL;

	if (ek == NULL || dk == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((r = qssh_random_bytes(dz, sizeof(dz))) != 0)
		goto out;
	r = mlkem768_keygen_seeded(ek, dk, dz, dz + MLKEM768_SEED_LEN);
out:
	if (r != 0) {
		memset(ek, 0, MLKEM768_EK_LEN);
		qssh_wipe(dk, MLKEM768_DK_LEN);
	}
	qssh_wipe(dz, sizeof(dz));
	return r;
}

int
mlkem768_encaps_seeded(uint8_t ct[MLKEM768_CT_LEN], uint8_t ss[MLKEM768_SS_LEN],
    const uint8_t *ek, size_t ek_len, const uint8_t m[MLKEM768_SEED_LEN])
{
	uint8_t in[64], g[64];
	int r = QSSH_ERR_INTERNAL;

	if (ct == NULL || ss == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (m == NULL) {
		r = QSSH_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if ((r = mlkem768_check_ek(ek, ek_len)) != 0)
		goto out;
	/* (K, r) = G(m || H(ek)) (algorithm 17) */
	memcpy(in, m, 32);
	mlkem_sha3_256(in + 32, ek, MLKEM768_EK_LEN);
	mlkem_sha3_512(g, in, sizeof(in));
	kpke_encrypt(ct, ek, m, g + 32);
	memcpy(ss, g, MLKEM768_SS_LEN);
	r = 0;
out:
	if (r != 0) {
		memset(ct, 0, MLKEM768_CT_LEN);
		qssh_wipe(ss, MLKEM768_SS_LEN);
	}
	qssh_wipe(in, sizeof(in));
	qssh_wipe(g, sizeof(g));
	return r;
}

int
mlkem768_encaps(uint8_t ct[MLKEM768_CT_LEN], uint8_t ss[MLKEM768_SS_LEN],
    const uint8_t *ek, size_t ek_len)
{
	uint8_t m[MLKEM768_SEED_LEN];
	int r = QSSH_ERR_INTERNAL;

	if (ct == NULL || ss == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((r = mlkem768_check_ek(ek, ek_len)) != 0)
		goto out;
	if ((r = qssh_random_bytes(m, sizeof(m))) != 0)
		goto out;
	r = mlkem768_encaps_seeded(ct, ss, ek, ek_len, m);
out:
	if (r != 0) {
		memset(ct, 0, MLKEM768_CT_LEN);
		qssh_wipe(ss, MLKEM768_SS_LEN);
	}
	qssh_wipe(m, sizeof(m));
	return r;
}

int
mlkem768_decaps(uint8_t ss[MLKEM768_SS_LEN], const uint8_t *dk, size_t dk_len,
    const uint8_t *ct, size_t ct_len)
{
	struct mlkem_keccak k;
	uint8_t in[64], g[64], kbar[32], ct2[MLKEM768_CT_LEN], mask;
	size_t i;
	int r = QSSH_ERR_INTERNAL;

	if (ss == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (ct == NULL) {
		r = QSSH_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if (ct_len != MLKEM768_CT_LEN) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = mlkem768_check_dk(dk, dk_len)) != 0)
		goto out;
	/* algorithm 18 */
	kpke_decrypt(in, dk, ct);
	memcpy(in + 32, dk + DK_H_OFF, 32);
	mlkem_sha3_512(g, in, sizeof(in));
	/* implicit-rejection key J(z || c) */
	mlkem_keccak_init(&k, MLKEM_SHAKE256_RATE);
	mlkem_keccak_absorb(&k, dk + DK_Z_OFF, 32);
	mlkem_keccak_absorb(&k, ct, MLKEM768_CT_LEN);
	mlkem_keccak_finish(&k, 0x1f);
	mlkem_keccak_squeeze(&k, kbar, sizeof(kbar));
	kpke_encrypt(ct2, dk + DK_EK_OFF, in, g + 32);
	mask = ct_neq_mask(ct, ct2, MLKEM768_CT_LEN);
	for (i = 0; i < MLKEM768_SS_LEN; i++)
		ss[i] = (uint8_t)(g[i] ^ (mask & (g[i] ^ kbar[i])));
	r = 0;
out:
	if (r != 0)
		qssh_wipe(ss, MLKEM768_SS_LEN);
	qssh_wipe(&k, sizeof(k));
	qssh_wipe(in, sizeof(in));
	qssh_wipe(g, sizeof(g));
	qssh_wipe(kbar, sizeof(kbar));
	qssh_wipe(ct2, sizeof(ct2));
	qssh_wipe(&mask, sizeof(mask));
	return r;
}
