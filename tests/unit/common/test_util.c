/* SPDX-License-Identifier: BSD-2-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"

static void
test_base64_rfc4648(void **state)
{
	static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba",
		"foobar" };
	static const char *out[] = { "", "Zg==", "Zm8=", "Zm9v",
		"Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	char enc[32];
	uint8_t dec[32];
	size_t i, n;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(in); i++) {
		assert_int_equal(qssh_b64_encode((const uint8_t *)in[i],
				     strlen(in[i]), enc, sizeof(enc)),
		    0);
		assert_string_equal(enc, out[i]);
		assert_int_equal(
		    qssh_b64_decode(out[i], dec, sizeof(dec), &n), 0);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(dec, in[i], n);
	}
}

static void
test_base64_bad(void **state)
{
	uint8_t dec[8];
	size_t n;

	(void)state;
	assert_int_equal(qssh_b64_decode("Zm9v!", dec, sizeof(dec), &n),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(qssh_b64_decode("Z===", dec, sizeof(dec), &n),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(qssh_b64_decode("Zg==Zg==", dec, sizeof(dec), &n),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(qssh_b64_decode("Zm9vYmFyYmF6", dec, 3, &n),
	    QSSH_ERR_NO_BUFFER_SPACE);
	/* Whitespace is skipped (RFC 4716 bodies are wrapped). */
	assert_int_equal(
	    qssh_b64_decode("Zm9v\nYmFy\n", dec, sizeof(dec), &n), 0);
	assert_int_equal(n, 6);
}

static void
test_ct_eq_and_wipe(void **state)
{
	uint8_t a[16], b[16];

	(void)state;
	memset(a, 7, sizeof(a));
	memset(b, 7, sizeof(b));
	assert_true(qssh_ct_eq(a, b, sizeof(a)));
	b[15] ^= 1;
	assert_false(qssh_ct_eq(a, b, sizeof(a)));
	qssh_wipe(a, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_memory_equal(a, b, sizeof(a));
}

static void
test_hex(void **state)
{
	uint8_t out[4];
	char s[9];
	size_t n;

	(void)state;
	assert_int_equal(qssh_hex_decode("00fFa1", out, sizeof(out), &n), 0);
	assert_int_equal(n, 3);
	qssh_hex_encode(out, n, s);
	assert_string_equal(s, "00ffa1");
	assert_int_equal(qssh_hex_decode("0g", out, sizeof(out), &n),
	    QSSH_ERR_INVALID_FORMAT);
}

static void
test_errors(void **state)
{
	(void)state;
	assert_string_equal(qssh_strerror(QSSH_ERR_MAC_INVALID),
	    "message authentication code incorrect");
	assert_string_equal(qssh_errname(QSSH_ERR_ALLOC), "QSSH_ERR_ALLOC");
	assert_string_equal(qssh_strerror(12345), "unknown error");
}

struct captured {
	char line[256];
	int n;
};

static void
hook(enum qssh_log_level level, const char *line, void *ctx)
{
	struct captured *c = ctx;

	(void)level;
	strncpy(c->line, line, sizeof(c->line) - 1);
	c->n++;
}

static void
test_log_levels(void **state)
{
	struct captured c;

	(void)state;
	memset(&c, 0, sizeof(c));
	qssh_log_init("test", QSSH_LOG_INFO, QSSH_LOG_FAC_AUTH, true);
	qssh_log_set_file("/dev/null");
	qssh_log_set_hook(hook, &c);
	qlog_debug("not shown");
	assert_int_equal(c.n, 0);
	qssh_log_set_level(QSSH_LOG_DEBUG1);
	qlog_debug("kex: algorithm: %s", "curve25519-sha256");
	assert_string_equal(
	    c.line, "debug1: kex: algorithm: curve25519-sha256");
	qssh_log_set_suffix(" [preauth]");
	qlog_info("Connection closed by %s\n", "x");
	assert_string_equal(c.line, "Connection closed by x? [preauth]");
	qssh_log_set_suffix(NULL);
	assert_int_equal(qssh_log_level_from_name("verbose"), QSSH_LOG_VERBOSE);
	assert_int_equal(qssh_log_level_from_name("nonsense"), -1);
	assert_int_equal(
	    qssh_log_facility_from_name("AUTHPRIV"), QSSH_LOG_FAC_AUTHPRIV);
	qssh_log_set_hook(NULL, NULL);
}

static void
test_random_uniform(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		assert_true(qssh_random_uniform(7) < 7);
	assert_int_equal(qssh_random_uniform(0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_rfc4648),
		cmocka_unit_test(test_base64_bad),
		cmocka_unit_test(test_ct_eq_and_wipe),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_log_levels),
		cmocka_unit_test(test_random_uniform),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
