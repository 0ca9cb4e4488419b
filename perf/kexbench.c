/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qssh-kexbench: key exchange speed on one core.
 *
 *   qssh-kexbench [-t SECONDS] [--smoke]
 *
 * Rows of primitives (one X25519 key pair plus shared secret; one KEM key
 * generation plus encapsulation plus decapsulation) and full in-memory
 * exchanges per method (both sides: KEXINIT, the method messages, an
 * Ed25519 host key signature and its check, NEWKEYS), as a table on stdout.
 * --smoke runs every row a few times (a test that the program works).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/kex.h"
#include "control/key.h"
#include "control/mlkem768.h"
#include "control/sntrup761.h"
#include "dataplane/transport.h"

static struct key *hostkey;

/* ---- primitives: one iteration each, 0 or QSSH_ERR_* ---- */

static int
op_x25519(void)
{
	uint8_t a[32], ap[32], b[32], bp[32], s1[32], s2[32];
	int r;

	if ((r = kex_x25519_keypair(a, ap)) != 0 ||
	    (r = kex_x25519_keypair(b, bp)) != 0 ||
	    (r = kex_x25519_shared(a, bp, s1)) != 0 ||
	    (r = kex_x25519_shared(b, ap, s2)) != 0)
		goto out;
	r = qssh_ct_eq(s1, s2, sizeof(s1)) ? 0 : QSSH_ERR_INTERNAL;
out:
	qssh_wipe(a, sizeof(a));
	qssh_wipe(b, sizeof(b));
	return r;
}

static int
op_mlkem(void)
{
	static uint8_t ek[MLKEM768_EK_LEN], dk[MLKEM768_DK_LEN];
	uint8_t ct[MLKEM768_CT_LEN], s1[MLKEM768_SS_LEN], s2[MLKEM768_SS_LEN];
	int r;

	if ((r = mlkem768_keygen(ek, dk)) != 0 ||
	    (r = mlkem768_encaps(ct, s1, ek, sizeof(ek))) != 0 ||
	    (r = mlkem768_decaps(s2, dk, sizeof(dk), ct, sizeof(ct))) != 0)
		goto out;
	r = qssh_ct_eq(s1, s2, sizeof(s1)) ? 0 : QSSH_ERR_INTERNAL;
out:
	qssh_wipe(dk, sizeof(dk));
	return r;
}

static int
op_sntrup(void)
{
	static uint8_t pk[SNTRUP761_PUBLICKEY_SIZE],
	    sk[SNTRUP761_SECRETKEY_SIZE];
	uint8_t ct[SNTRUP761_CIPHERTEXT_SIZE];
	uint8_t s1[SNTRUP761_SHAREDSECRET_SIZE],
	    s2[SNTRUP761_SHAREDSECRET_SIZE];
	int r;

	if ((r = sntrup761_keypair(pk, sk)) != 0 ||
	    (r = sntrup761_encap(ct, s1, pk)) != 0 ||
	    (r = sntrup761_decap(s2, ct, sk)) != 0)
		goto out;
	r = qssh_ct_eq(s1, s2, sizeof(s1)) ? 0 : QSSH_ERR_INTERNAL;
out:
	qssh_wipe(sk, sizeof(sk));
	return r;
}

/* ---- a full exchange between two in-memory transports ---- */

struct side {
	struct tport *t;
	struct kex *kex;
	struct tctl *c;
	bool vdone;
};

static void
side_free(struct side *s)
{
	tctl_free(s->c);
	kex_free(s->kex);
	tport_free(s->t);
}

static int
side_new(struct side *s, bool server, const char *kexalg)
{
	struct kex_config cfg;
	int r;

	memset(s, 0, sizeof(*s));
	memset(&cfg, 0, sizeof(cfg));
	cfg.kex_algs = kexalg;
	cfg.hostkey_algs = "ssh-ed25519";
	if (server) {
		cfg.host_keys = &hostkey;
		cfg.num_host_keys = 1;
	}
	if ((s->t = tport_new(server, CRYP_BACKEND_OPENSSL)) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = tport_send_version(s->t,
		 server ? "SSH-2.0-bench_server" : "SSH-2.0-bench_client")) !=
	    0)
		return r;
	if ((s->kex = kex_new(s->t, server ? KEX_ROLE_SERVER : KEX_ROLE_CLIENT,
		 &cfg, &r)) == NULL)
		return r;
	if ((s->c = tctl_new(s->t, s->kex)) == NULL)
		return QSSH_ERR_ALLOC;
	return kex_start(s->kex);
}

static int
shuttle(struct side *from, struct side *to, bool *moved)
{
	struct qssh_view v = tport_output(from->t);
	int r;

	if (v.len == 0)
		return 0;
	if ((r = tport_input(to->t, v.p, v.len)) != 0)
		return r;
	*moved = true;
	return tport_output_consume(from->t, v.len);
}

static int
pump(struct side *s)
{
	struct qssh_view pl;
	const char *id;
	uint8_t type;
	int r;

	if (!s->vdone) {
		if ((r = tport_read_version(s->t, &id)) == QSSH_ERR_AGAIN)
			return 0;
		if (r != 0)
			return r;
		s->vdone = true;
	}
	for (;;) {
		r = tctl_next_packet(s->c, &type, &pl);
		if (r == QSSH_ERR_AGAIN)
			return 0;
		if (r != 0)
			return r;
	}
}

static const char *handshake_alg;

static int
op_handshake(void)
{
	struct side c, s;
	bool moved;
	int i, r;

	if ((r = side_new(&c, false, handshake_alg)) != 0 ||
	    (r = side_new(&s, true, handshake_alg)) != 0)
		goto out;
	for (i = 0; i < 100; i++) {
		moved = false;
		if ((r = shuttle(&c, &s, &moved)) != 0 ||
		    (r = shuttle(&s, &c, &moved)) != 0 || (r = pump(&s)) != 0 ||
		    (r = pump(&c)) != 0)
			goto out;
		if (!moved)
			break;
	}
	r = kex_count(c.kex) == 1 && kex_count(s.kex) == 1
	    ? 0
	    : QSSH_ERR_KEX_FAILED;
out:
	side_free(&c);
	side_free(&s);
	return r;
}

/* ---- timing ---- */

/* Run op for about secs (or n times for a smoke run); ops per second. */
static int
measure(int (*op)(void), double secs, unsigned smoke_n, double *rate)
{
	double t0 = qssh_monotime_double(), el;
	unsigned long n = 0, batch = 1, i;
	int r;

	for (;;) {
		for (i = 0; i < batch; i++)
			if ((r = op()) != 0)
				return r;
		n += batch;
		el = qssh_monotime_double() - t0;
		if (smoke_n > 0 ? n >= smoke_n : el >= secs)
			break;
		if (batch < 64)
			batch *= 2;
	}
	*rate = el > 0 ? (double)n / el : 0;
	return 0;
}

static int
row(const char *name, const char *what, int (*op)(void), double secs,
    unsigned smoke_n)
{
	double rate = 0;
	int r;

	if ((r = measure(op, secs, smoke_n, &rate)) != 0) {
		fprintf(stderr, "%s: %s\n", name, qssh_strerror(r));
		return r;
	}
	printf("%-36s %-28s %12.1f %12.1f\n", name, what, rate,
	    rate > 0 ? 1e6 / rate : 0.0);
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *const methods[] = {
		"curve25519-sha256",
		"mlkem768x25519-sha256",
		"sntrup761x25519-sha512",
		"ecdh-sha2-nistp256",
	};
	double secs = 1.0;
	unsigned smoke = 0;
	int i, r, ret = 1;
	size_t m;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0)
			smoke = 3;
		else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			secs = atof(argv[++i]);
		else {
			fprintf(stderr,
			    "usage: qssh-kexbench [-t SECONDS] [--smoke]\n");
			return 2;
		}
	}
	if (secs <= 0)
		secs = 1.0;
	qssh_log_init("qssh-kexbench", QSSH_LOG_ERROR, QSSH_LOG_FAC_USER, true);
	if ((r = key_generate(KEY_ED25519, 0, &hostkey)) != 0) {
		fprintf(stderr, "host key: %s\n", qssh_strerror(r));
		return 1;
	}
	printf(
	    "%-36s %-28s %12s %12s\n", "method", "operation", "ops/s", "us/op");
	if (row("x25519", "2x keygen + 2x shared", op_x25519, secs, smoke) !=
		0 ||
	    row("mlkem768", "keygen + encaps + decaps", op_mlkem, secs,
		smoke) != 0 ||
	    row("sntrup761", "keygen + encap + decap", op_sntrup, secs,
		smoke) != 0)
		goto out;
	for (m = 0; m < QSSH_ARRAY_LEN(methods); m++) {
		handshake_alg = methods[m];
		if (row(methods[m], "full kex, ssh-ed25519", op_handshake, secs,
			smoke) != 0)
			goto out;
	}
	ret = 0;
out:
	key_free(hostkey);
	return ret;
}
