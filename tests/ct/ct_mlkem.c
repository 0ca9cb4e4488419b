/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Constant-time check of ML-KEM-768 with memcheck: the secret inputs (the
 * seeds d and z, the secret parts of dk, the encapsulation randomness m)
 * are marked undefined, so that valgrind reports every conditional jump,
 * memory index or variable-latency operand derived from them.  Outputs are
 * marked defined again before they are checked.  The ML-KEM sources are
 * compiled into this program with QSSH_MLKEM_CT_TEST=1, which declassifies
 * only rho (public: it is part of ek).
 *
 * Run as: valgrind --error-exitcode=1 --track-origins=yes ./ct_mlkem
 * With --selftest-leak the program also branches on a secret byte on
 * purpose; that run must make valgrind fail, which shows the check works.
 */
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "control/mlkem768.h"

#define SECRET(p, len) VALGRIND_MAKE_MEM_UNDEFINED((p), (len))
#define PUBLIC(p, len) VALGRIND_MAKE_MEM_DEFINED((p), (len))

static int failures;

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "ct_mlkem: %s\n", what);
		failures++;
	}
}

/* A deliberate leak: a branch and a table index on a secret byte. */
static unsigned
leaky(const unsigned char *secret)
{
	static const unsigned char table[256] = { 1, 2, 3 };
	unsigned v = 0;

	if (secret[0] & 1)
		v = (unsigned)puts("ct_mlkem: leaky branch taken");
	return v + table[secret[1]];
}

int
main(int argc, char **argv)
{
	static unsigned char ek[MLKEM768_EK_LEN], dk[MLKEM768_DK_LEN];
	static unsigned char ct[MLKEM768_CT_LEN], bad[MLKEM768_CT_LEN];
	unsigned char d[32], z[32], m[32], ss1[32], ss2[32], ss3[32];
	int leak = argc > 1 && strcmp(argv[1], "--selftest-leak") == 0;
	int round, r;
	size_t i;

	if (!RUNNING_ON_VALGRIND)
		fprintf(stderr,
		    "ct_mlkem: not under valgrind, functional "
		    "checks only\n");
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 32; i++) {
			d[i] = (unsigned char)(i * 7 + round);
			z[i] = (unsigned char)(i * 11 + 3 + round);
			m[i] = (unsigned char)(i * 13 + 5 + round);
		}

		SECRET(d, sizeof(d));
		SECRET(z, sizeof(z));
		if (leak)
			leaky(d);
		r = mlkem768_keygen_seeded(ek, dk, d, z);
		PUBLIC(&r, sizeof(r));
		check(r == 0, "keygen failed");
		PUBLIC(ek, sizeof(ek));
		PUBLIC(dk, sizeof(dk));

		SECRET(m, sizeof(m));
		r = mlkem768_encaps_seeded(ct, ss1, ek, sizeof(ek), m);
		PUBLIC(&r, sizeof(r));
		check(r == 0, "encaps failed");
		PUBLIC(ct, sizeof(ct));
		PUBLIC(ss1, sizeof(ss1));

		/* dk = s || ek || H(ek) || z: s and z are the secrets */
		SECRET(dk, 1152);
		SECRET(dk + 2368, 32);
		r = mlkem768_decaps(ss2, dk, sizeof(dk), ct, sizeof(ct));
		PUBLIC(&r, sizeof(r));
		check(r == 0, "decaps failed");
		PUBLIC(ss2, sizeof(ss2));
		check(memcmp(ss1, ss2, 32) == 0, "decaps: secrets differ");

		/* implicit rejection path */
		memcpy(bad, ct, sizeof(bad));
		bad[(size_t)round * 500 + 17] ^= 4;
		r = mlkem768_decaps(ss3, dk, sizeof(dk), bad, sizeof(bad));
		PUBLIC(&r, sizeof(r));
		check(r == 0, "decaps of a bad ciphertext failed");
		PUBLIC(ss3, sizeof(ss3));
		check(memcmp(ss1, ss3, 32) != 0, "bad ciphertext accepted");
	}
	if (failures)
		return 2;
	puts("ct_mlkem: ok");
	return 0;
}
