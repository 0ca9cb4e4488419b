/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sntrup761 internals shared with the unit tests: parameters, the element
 * encodings and the constant-time helpers.
 */
#ifndef QSSH_CONTROL_SNTRUP761_INT_H
#define QSSH_CONTROL_SNTRUP761_INT_H

#include <stddef.h>
#include <stdint.h>

#define SNTRUP761_P 761
#define SNTRUP761_Q 4591
#define SNTRUP761_W 286
#define SNTRUP761_Q12 ((SNTRUP761_Q - 1) / 2)
#define SNTRUP761_SMALL_BYTES ((SNTRUP761_P + 3) / 4)
#define SNTRUP761_RQ_BYTES 1158
#define SNTRUP761_ROUNDED_BYTES 1007
#define SNTRUP761_HASH_BYTES 32

/* Fq elements are kept centred in [-(q-1)/2, (q-1)/2]; |x| < 2^24. */
int16_t sntrup761_fq_freeze(int32_t x);
/* F3 elements are -1, 0, 1; |x| < 2^14. */
int8_t sntrup761_f3_freeze(int32_t x);
/* Constant-time x / m and x % m for 1 <= m <= 16384, any 32-bit x. */
void sntrup761_divmod(uint32_t *quot, uint32_t *rem, uint32_t x, uint32_t m);

/* R/q element <-> 1158 bytes.  Decoding accepts every string. */
void sntrup761_rq_encode(
    uint8_t out[SNTRUP761_RQ_BYTES], const int16_t a[SNTRUP761_P]);
void sntrup761_rq_decode(
    int16_t a[SNTRUP761_P], const uint8_t in[SNTRUP761_RQ_BYTES]);
/*
 * Rounded element (coefficients multiples of 3) <-> 1007 bytes.  Encoding
 * rounds each coefficient to the nearest multiple of 3 first.
 */
void sntrup761_rounded_encode(
    uint8_t out[SNTRUP761_ROUNDED_BYTES], const int16_t a[SNTRUP761_P]);
void sntrup761_rounded_decode(
    int16_t a[SNTRUP761_P], const uint8_t in[SNTRUP761_ROUNDED_BYTES]);

/* Small element (coefficients -1, 0, 1) <-> 191 bytes. */
void sntrup761_small_encode(
    uint8_t out[SNTRUP761_SMALL_BYTES], const int8_t a[SNTRUP761_P]);
void sntrup761_small_decode(
    int8_t a[SNTRUP761_P], const uint8_t in[SNTRUP761_SMALL_BYTES]);

/* Constant-time ascending sort of n 32-bit words. */
void sntrup761_sort_u32(uint32_t *x, size_t n);

/*
 * 1/a in R/3; returns 0 if a is invertible, -1 otherwise (out is then
 * meaningless).  Constant time.
 */
int sntrup761_r3_recip(int8_t out[SNTRUP761_P], const int8_t a[SNTRUP761_P]);
/* 1/(3a) in R/q for a small nonzero a.  Constant time. */
void sntrup761_rq_recip3(int16_t out[SNTRUP761_P], const int8_t a[SNTRUP761_P]);
/* out = a * b in R/q (b small) and in R/3. */
void sntrup761_rq_mult_small(int16_t out[SNTRUP761_P],
    const int16_t a[SNTRUP761_P], const int8_t b[SNTRUP761_P]);
void sntrup761_r3_mult(int8_t out[SNTRUP761_P], const int8_t a[SNTRUP761_P],
    const int8_t b[SNTRUP761_P]);

#endif
