/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to the ML-KEM module: the FIPS 202 functions it uses.  They are
 * implemented here rather than through the EVP layer so that the whole
 * ML-KEM computation is one auditable, allocation-free, constant-time path
 * that a memory checker can follow (tests/ct/), and so that SampleNTT can
 * squeeze SHAKE128 incrementally.
 */
#ifndef QSSH_CONTROL_MLKEM768_INT_H
#define QSSH_CONTROL_MLKEM768_INT_H

#include <stddef.h>
#include <stdint.h>

#define MLKEM_SHAKE128_RATE 168
#define MLKEM_SHAKE256_RATE 136
#define MLKEM_SHA3_256_RATE 136
#define MLKEM_SHA3_512_RATE 72

/* A Keccak sponge: state, byte position inside the rate, rate in bytes. */
struct mlkem_keccak {
	uint64_t s[25];
	size_t pos;
	size_t rate;
};

void mlkem_keccak_f1600(uint64_t s[25]);
void mlkem_keccak_init(struct mlkem_keccak *k, size_t rate);
void mlkem_keccak_absorb(struct mlkem_keccak *k, const uint8_t *in, size_t len);
/* Pad with the domain suffix (0x06 SHA-3, 0x1f SHAKE) and switch to squeeze. */
void mlkem_keccak_finish(struct mlkem_keccak *k, uint8_t suffix);
void mlkem_keccak_squeeze(struct mlkem_keccak *k, uint8_t *out, size_t len);

void mlkem_sha3_256(uint8_t out[32], const uint8_t *in, size_t len);
void mlkem_sha3_512(uint8_t out[64], const uint8_t *in, size_t len);
void mlkem_shake128(uint8_t *out, size_t outlen, const uint8_t *in, size_t len);
void mlkem_shake256(uint8_t *out, size_t outlen, const uint8_t *in, size_t len);

#endif
