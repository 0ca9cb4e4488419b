/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Constant-time check of sntrup761 with memcheck: the randomness of key
 * generation and encapsulation and the secret parts of the secret key
 * (f, 1/g, rho) are marked undefined, so that valgrind reports every
 * conditional jump or memory index derived from them.  Outputs are marked
 * defined again before they are checked.  The sntrup761 source is compiled
 * into this program with QSSH_SNTRUP761_CT_TEST=1, which declassifies only
 * what is public by design: whether a random g was invertible (rejection
 * sampling) and the public key h.
 *
 * Run as: valgrind --error-exitcode=1 --track-origins=yes ./ct_sntrup761
 * With --selftest-leak the program also branches on a secret byte on
 * purpose; that run must make valgrind fail, which shows the check works.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "control/sntrup761.h"

#define SECRET(p, len) VALGRIND_MAKE_MEM_UNDEFINED((p), (len))
#define PUBLIC(p, len) VALGRIND_MAKE_MEM_DEFINED((p), (len))

/* sk = f (191) || 1/g (191) || pk (1158) || rho (191) || Hash4(pk) (32) */
#define SK_SECRET1_LEN (2 * 191)
#define SK_RHO_OFF (2 * 191 + SNTRUP761_PUBLICKEY_SIZE)
#define SK_RHO_LEN 191

static int failures;

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "ct_sntrup761: %s\n", what);
		failures++;
	}
}

/* Deterministic bytes, marked secret as they are handed out. */
struct ct_rng {
	uint64_t s;
};

static int
secret_rng(void *ctx, uint8_t *out, size_t len)
{
	struct ct_rng *g = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		g->s = g->s * 6364136223846793005ULL + 1442695040888963407ULL;
		out[i] = (uint8_t)(g->s >> 56);
	}
	SECRET(out, len);
	return 0;
}

/* A deliberate leak: a branch and a table index on a secret byte. */
static unsigned
leaky(const uint8_t *secret)
{
	static const uint8_t table[256] = { 1, 2, 3 };
	unsigned v = 0;

	if (secret[0] & 1)
		v = (unsigned)puts("ct_sntrup761: leaky branch taken");
	return v + table[secret[1]];
}

int
main(int argc, char **argv)
{
	static uint8_t pk[SNTRUP761_PUBLICKEY_SIZE];
	static uint8_t sk[SNTRUP761_SECRETKEY_SIZE];
	static uint8_t ct[SNTRUP761_CIPHERTEXT_SIZE];
	static uint8_t bad[SNTRUP761_CIPHERTEXT_SIZE];
	uint8_t ss1[32], ss2[32], ss3[32];
	int leak = argc > 1 && strcmp(argv[1], "--selftest-leak") == 0;
	struct ct_rng g;
	int round, r;

	if (!RUNNING_ON_VALGRIND)
		fprintf(stderr,
		    "ct_sntrup761: not under valgrind, functional "
		    "checks only\n");
	for (round = 0; round < 2; round++) {
		g.s = 0x0123456789abcdefULL + (uint64_t)round;

		r = sntrup761_keypair_rng(pk, sk, secret_rng, &g);
		PUBLIC(&r, sizeof(r));
		check(r == 0, "keygen failed");
		PUBLIC(pk, sizeof(pk));
		/* the secret key as a whole was computed from secrets */
		PUBLIC(sk, sizeof(sk));

		r = sntrup761_encap_rng(ct, ss1, pk, secret_rng, &g);
		PUBLIC(&r, sizeof(r));
		check(r == 0, "encap failed");
		PUBLIC(ct, sizeof(ct));
		PUBLIC(ss1, sizeof(ss1));

		SECRET(sk, SK_SECRET1_LEN);
		SECRET(sk + SK_RHO_OFF, SK_RHO_LEN);
		if (leak)
			leaky(sk + SK_RHO_OFF);
		r = sntrup761_decap(ss2, ct, sk);
		PUBLIC(&r, sizeof(r));
		check(r == 0, "decap failed");
		PUBLIC(ss2, sizeof(ss2));
		check(memcmp(ss1, ss2, 32) == 0, "decap: secrets differ");

		/* implicit rejection path */
		memcpy(bad, ct, sizeof(bad));
		bad[(size_t)round * 600 + 17] ^= 4;
		r = sntrup761_decap(ss3, bad, sk);
		PUBLIC(&r, sizeof(r));
		check(r == 0, "decap of a bad ciphertext failed");
		PUBLIC(ss3, sizeof(ss3));
		check(memcmp(ss1, ss3, 32) != 0, "bad ciphertext accepted");
		PUBLIC(sk, sizeof(sk));
	}
	if (failures)
		return 2;
	puts("ct_sntrup761: ok");
	return 0;
}
