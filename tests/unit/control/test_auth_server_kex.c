/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The server kex with host keys held elsewhere (struct kex_config's sign
 * callback, public-only host_keys) and moduli(5) text held in memory, as
 * qsshd's sandboxed control process uses them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "control/kex.h"
#include "control/key.h"
#include "crypto-offload/cryp.h"
#include "dataplane/transport.h"

struct signer {
	struct key *priv[2];
	struct key *pub[2];
	unsigned calls;
	const struct key *last_pub;
};

static int
sign_cb(void *ctx, const struct key *pub, const char *alg, const uint8_t *data,
    size_t len, struct qssh_buf *sig)
{
	struct signer *s = ctx;
	size_t i;

	s->calls++;
	s->last_pub = pub;
	for (i = 0; i < 2; i++) {
		if (s->pub[i] == pub)
			return key_sign(s->priv[i], alg, data, len, sig);
	}
	return QSSH_ERR_KEY_NOT_FOUND;
}

struct side {
	struct tport *t;
	struct kex *kex;
	struct tctl *c;
	bool vdone;
	int err;
};

static void
shuttle(struct side *from, struct side *to)
{
	struct qssh_view v = tport_output(from->t);

	if (v.len == 0)
		return;
	assert_int_equal(tport_input(to->t, v.p, v.len), 0);
	assert_int_equal(tport_output_consume(from->t, v.len), 0);
}

static void
process(struct side *s)
{
	const char *id;
	struct qssh_view pl;
	uint8_t type;
	int r;

	if (s->err != 0)
		return;
	if (!s->vdone) {
		if ((r = tport_read_version(s->t, &id)) == QSSH_ERR_AGAIN)
			return;
		if (r != 0) {
			s->err = r;
			return;
		}
		s->vdone = true;
	}
	while ((r = tctl_next_packet(s->c, &type, &pl)) == 0)
		;
	if (r != QSSH_ERR_AGAIN)
		s->err = r;
}

/* One exchange; returns the server's error (0) and the negotiated kex. */
static int
exchange(const char *kexalg, const char *hkalg, struct kex_config *sc,
    char **kex_out)
{
	struct kex_config cc;
	struct side cl, sv;
	int err, i;

	memset(&cc, 0, sizeof(cc));
	memset(&cl, 0, sizeof(cl));
	memset(&sv, 0, sizeof(sv));
	cc.kex_algs = kexalg;
	cc.hostkey_algs = hkalg;
	cl.t = tport_new(false, CRYP_BACKEND_OPENSSL);
	sv.t = tport_new(true, CRYP_BACKEND_OPENSSL);
	assert_non_null(cl.t);
	assert_non_null(sv.t);
	assert_int_equal(tport_send_version(cl.t, "SSH-2.0-test_client"), 0);
	assert_int_equal(tport_send_version(sv.t, "SSH-2.0-test_server"), 0);
	cl.kex = kex_new(cl.t, KEX_ROLE_CLIENT, &cc, &err);
	assert_int_equal(err, 0);
	sv.kex = kex_new(sv.t, KEX_ROLE_SERVER, sc, &err);
	assert_int_equal(err, 0);
	cl.c = tctl_new(cl.t, cl.kex);
	sv.c = tctl_new(sv.t, sv.kex);
	assert_int_equal(kex_start(cl.kex), 0);
	assert_int_equal(kex_start(sv.kex), 0);
	for (i = 0; i < 1000 && cl.err == 0 && sv.err == 0; i++) {
		shuttle(&cl, &sv);
		shuttle(&sv, &cl);
		process(&sv);
		process(&cl);
		if (tport_output_len(cl.t) == 0 &&
		    tport_output_len(sv.t) == 0 && kex_count(cl.kex) > 0 &&
		    kex_count(sv.kex) > 0)
			break;
	}
	if (cl.err == 0 && sv.err == 0) {
		assert_int_equal(kex_count(cl.kex), 1);
		assert_int_equal(kex_count(sv.kex), 1);
		*kex_out = strdup(kex_get_result(sv.kex)->kex);
	}
	err = sv.err != 0 ? sv.err : cl.err;
	tctl_free(cl.c);
	tctl_free(sv.c);
	kex_free(cl.kex);
	kex_free(sv.kex);
	tport_free(cl.t);
	tport_free(sv.t);
	return err;
}

static char *
moduli_text(void)
{
	BIGNUM *p = BN_get_rfc3526_prime_2048(NULL);
	char *hex = BN_bn2hex(p), *text = NULL;

	assert_true(asprintf(&text,
			"# Time Type Tests Tries Size Generator Modulus\n"
			"garbage\n"
			"20220714110357 2 6 100 %d 2 %s\n",
			BN_num_bits(p) - 1, hex) > 0);
	OPENSSL_free(hex);
	BN_free(p);
	return text;
}

static void
test_sign_callback(void **state)
{
	struct signer s;
	struct kex_config sc;
	char *kexname = NULL, *text = moduli_text();
	size_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(key_generate(KEY_ED25519, 0, &s.priv[0]), 0);
	assert_int_equal(key_generate(KEY_ECDSA_P256, 256, &s.priv[1]), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(key_demote(s.priv[i], &s.pub[i]), 0);
		assert_false(key_is_private(s.pub[i]));
	}
	memset(&sc, 0, sizeof(sc));
	sc.host_keys = s.pub;
	sc.num_host_keys = 2;
	sc.sign = sign_cb;
	sc.sign_ctx = &s;
	sc.moduli_text = text;
	sc.moduli_text_len = strlen(text);
	sc.moduli_path = "/nonexistent/moduli";

	assert_int_equal(
	    exchange("curve25519-sha256", "ssh-ed25519", &sc, &kexname), 0);
	assert_string_equal(kexname, "curve25519-sha256");
	free(kexname);
	assert_int_equal(s.calls, 1);
	assert_ptr_equal(s.last_pub, s.pub[0]);

	/* The group exchange takes its group from the text. */
	assert_int_equal(exchange("diffie-hellman-group-exchange-sha256",
			     "ecdsa-sha2-nistp256", &sc, &kexname),
	    0);
	free(kexname);
	assert_int_equal(s.calls, 2);
	assert_ptr_equal(s.last_pub, s.pub[1]);

	/* Without the callback a public-only key cannot sign. */
	sc.sign = NULL;
	assert_int_not_equal(
	    exchange("curve25519-sha256", "ssh-ed25519", &sc, &kexname), 0);
	for (i = 0; i < 2; i++) {
		key_free(s.priv[i]);
		key_free(s.pub[i]);
	}
	free(text);
}

static void
test_moduli_text(void **state)
{
	struct kex_dh_group grp;
	char *text = moduli_text();

	(void)state;
	assert_int_equal(kex_moduli_choose_text(
			     text, strlen(text), NULL, 2048, 3072, 8192, &grp),
	    0);
	assert_int_equal(grp.bits, 2048);
	assert_int_equal(grp.p_len, 256);
	kex_dh_group_cleanup(&grp);
	/* Nothing in range: the built-in groups. */
	assert_int_equal(kex_moduli_choose_text(
			     text, strlen(text), "m", 4000, 4096, 8192, &grp),
	    0);
	assert_int_equal(grp.bits, 4096);
	kex_dh_group_cleanup(&grp);
	assert_int_equal(
	    kex_moduli_choose_text("", 0, "m", 2048, 2048, 8192, &grp), 0);
	assert_int_equal(grp.bits, 2048);
	kex_dh_group_cleanup(&grp);
	/* No trailing newline; a line cut in the middle is no group. */
	assert_int_equal(kex_moduli_choose_text(text, strlen(text) - 10, "m",
			     2048, 2048, 2048, &grp),
	    0);
	kex_dh_group_cleanup(&grp);
	assert_int_equal(
	    kex_moduli_choose_text("", 0, "m", 9000, 9000, 9000, &grp),
	    QSSH_ERR_NO_MATCH);
	assert_int_equal(
	    kex_moduli_choose_text("", 0, "m", 4000, 3000, 8192, &grp),
	    QSSH_ERR_INVALID_ARGUMENT);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_callback),
		cmocka_unit_test(test_moduli_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
