/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keccak-f[1600] and the SHA-3 / SHAKE sponges of FIPS 202, as used by
 * ML-KEM.  Lanes are little-endian 64-bit words, lane (x, y) at x + 5y.
 * Nothing here branches on or indexes memory by data: only lengths.
 */
#include <string.h>

#include "common/util.h"

#include "mlkem768_int.h"

/* clang-format off */
/* Round constants RC[i] (FIPS 202 algorithms 5 and 6). */
static const uint64_t keccak_rc[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
	0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
	0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
	0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
	0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
	0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* Rotation offsets of step rho for lane x + 5y (FIPS 202 algorithm 2). */
static const unsigned keccak_rho[25] = {
	0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43,
	25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
};

/*
 * Lane x + 5y moves to lane y + 5((2x + 3y) mod 5) in step pi; and the
 * neighbours x + 1, x + 2, x + 4 mod 5.  Tables instead of "% 5" keep
 * division instructions out of the code at every optimisation level.
 */
static const unsigned keccak_pi[25] = {
	0, 10, 20, 5, 15, 16, 1, 11, 21, 6, 7, 17, 2,
	12, 22, 23, 8, 18, 3, 13, 14, 24, 9, 19, 4,
};
/* clang-format on */
static const unsigned plus1[5] = { 1, 2, 3, 4, 0 };
static const unsigned plus2[5] = { 2, 3, 4, 0, 1 };
static const unsigned plus4[5] = { 4, 0, 1, 2, 3 };

static uint64_t
rotl64(uint64_t v, unsigned n)
{
	/* n is a public constant in [0, 63]; n == 0 must not shift by 64. */
	return (v << (n & 63)) | (v >> ((64 - n) & 63));
}

void
mlkem_keccak_f1600(uint64_t s[25])
{
	uint64_t c[5], d[5], b[25];
	unsigned round, x, y, i;

	for (round = 0; round < 24; round++) {
		/* theta */
		for (x = 0; x < 5; x++)
			c[x] =
			    s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
		for (x = 0; x < 5; x++)
			d[x] = c[plus4[x]] ^ rotl64(c[plus1[x]], 1);
		for (y = 0; y < 25; y += 5)
			for (x = 0; x < 5; x++)
				s[y + x] ^= d[x];
		/* rho and pi: B[y, 2x + 3y] = rot(A[x, y], r[x, y]) */
		for (i = 0; i < 25; i++)
			b[keccak_pi[i]] = rotl64(s[i], keccak_rho[i]);
		/* chi */
		for (y = 0; y < 25; y += 5)
			for (x = 0; x < 5; x++)
				s[y + x] = b[y + x] ^
				    (~b[y + plus1[x]] & b[y + plus2[x]]);
		/* iota */
		s[0] ^= keccak_rc[round];
	}
	qssh_wipe(b, sizeof(b));
	qssh_wipe(c, sizeof(c));
	qssh_wipe(d, sizeof(d));
}

void
mlkem_keccak_init(struct mlkem_keccak *k, size_t rate)
{
	memset(k->s, 0, sizeof(k->s));
	k->pos = 0;
	k->rate = rate;
}

void
mlkem_keccak_absorb(struct mlkem_keccak *k, const uint8_t *in, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		k->s[k->pos / 8] ^= (uint64_t)in[i] << (8 * (k->pos % 8));
		if (++k->pos == k->rate) {
			mlkem_keccak_f1600(k->s);
			k->pos = 0;
		}
	}
}

void
mlkem_keccak_finish(struct mlkem_keccak *k, uint8_t suffix)
{
	/* pad10*1 after the domain bits; pos < rate always holds here */
	k->s[k->pos / 8] ^= (uint64_t)suffix << (8 * (k->pos % 8));
	k->s[(k->rate - 1) / 8] ^= (uint64_t)0x80 << (8 * ((k->rate - 1) % 8));
	mlkem_keccak_f1600(k->s);
	k->pos = 0;
}

void
mlkem_keccak_squeeze(struct mlkem_keccak *k, uint8_t *out, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (k->pos == k->rate) {
			mlkem_keccak_f1600(k->s);
			k->pos = 0;
		}
		out[i] = (uint8_t)(k->s[k->pos / 8] >> (8 * (k->pos % 8)));
		k->pos++;
	}
}

static void
keccak_oneshot(uint8_t *out, size_t outlen, const uint8_t *in, size_t len,
    size_t rate, uint8_t suffix)
{
	struct mlkem_keccak k;

	mlkem_keccak_init(&k, rate);
	mlkem_keccak_absorb(&k, in, len);
	mlkem_keccak_finish(&k, suffix);
	mlkem_keccak_squeeze(&k, out, outlen);
	qssh_wipe(&k, sizeof(k));
}

void
mlkem_sha3_256(uint8_t out[32], const uint8_t *in, size_t len)
{
	keccak_oneshot(out, 32, in, len, MLKEM_SHA3_256_RATE, 0x06);
}

void
mlkem_sha3_512(uint8_t out[64], const uint8_t *in, size_t len)
{
	keccak_oneshot(out, 64, in, len, MLKEM_SHA3_512_RATE, 0x06);
}

void
mlkem_shake128(uint8_t *out, size_t outlen, const uint8_t *in, size_t len)
{
	keccak_oneshot(out, outlen, in, len, MLKEM_SHAKE128_RATE, 0x1f);
}

void
mlkem_shake256(uint8_t *out, size_t outlen, const uint8_t *in, size_t len)
{
	keccak_oneshot(out, outlen, in, len, MLKEM_SHAKE256_RATE, 0x1f);
}
