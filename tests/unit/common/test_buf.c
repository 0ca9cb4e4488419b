/* SPDX-License-Identifier: BSD-2-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"

static void
test_put_get_roundtrip(void **state)
{
	struct qssh_buf *b = qssh_buf_new();
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	bool bo;
	char *s;
	size_t l;
	struct qssh_view v;

	(void)state;
	assert_non_null(b);
	assert_int_equal(qssh_buf_put_u8(b, 0xab), 0);
	assert_int_equal(qssh_buf_put_u32(b, 0x01020304), 0);
	assert_int_equal(qssh_buf_put_u64(b, 0x1122334455667788ULL), 0);
	assert_int_equal(qssh_buf_put_bool(b, true), 0);
	assert_int_equal(qssh_buf_put_cstring(b, "hello"), 0);
	assert_int_equal(qssh_buf_put_string(b, "", 0), 0);
	assert_int_equal(qssh_buf_len(b), 1 + 4 + 8 + 1 + 9 + 4);
	assert_memory_equal(qssh_buf_ptr(b), "\xab\x01\x02\x03\x04", 5);

	assert_int_equal(qssh_buf_get_u8(b, &u8), 0);
	assert_int_equal(u8, 0xab);
	assert_int_equal(qssh_buf_get_u32(b, &u32), 0);
	assert_int_equal(u32, 0x01020304);
	assert_int_equal(qssh_buf_get_u64(b, &u64), 0);
	assert_true(u64 == 0x1122334455667788ULL);
	assert_int_equal(qssh_buf_get_bool(b, &bo), 0);
	assert_true(bo);
	assert_int_equal(qssh_buf_get_cstring(b, &s, &l), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(l, 5);
	free(s);
	assert_int_equal(qssh_buf_get_string_view(b, &v), 0);
	assert_int_equal(v.len, 0);
	assert_int_equal(qssh_buf_len(b), 0);
	assert_int_equal(qssh_buf_get_u8(b, &u8), QSSH_ERR_MESSAGE_INCOMPLETE);
	qssh_buf_free(b);
}

static void
test_truncated_string(void **state)
{
	struct qssh_buf *b = qssh_buf_new();
	struct qssh_view v, s;
	uint8_t *p;
	size_t l;

	(void)state;
	/* Length claims 10 bytes, 3 present: error, nothing consumed. */
	assert_int_equal(qssh_buf_put(b,
			     "\0\0\0\x0a"
			     "abc",
			     7),
	    0);
	assert_int_equal(
	    qssh_buf_get_string(b, &p, &l), QSSH_ERR_MESSAGE_INCOMPLETE);
	assert_null(p);
	assert_int_equal(qssh_buf_len(b), 7);
	/* Length over the string cap. */
	qssh_view_init(&v,
	    "\xff\xff\xff\xff"
	    "abc",
	    7);
	assert_int_equal(
	    qssh_view_get_string(&v, &s), QSSH_ERR_STRING_TOO_LARGE);
	assert_int_equal(v.len, 7);
	/* Length that would overflow size arithmetic. */
	qssh_view_init(&v, "\x00\xff\xff\xfc", 4);
	assert_int_equal(
	    qssh_view_get_string(&v, &s), QSSH_ERR_MESSAGE_INCOMPLETE);
	qssh_buf_free(b);
}

static void
test_cstring_rejects_nul(void **state)
{
	struct qssh_buf *b = qssh_buf_new();
	char *s;

	(void)state;
	assert_int_equal(qssh_buf_put_string(b, "a\0b", 3), 0);
	assert_int_equal(
	    qssh_buf_get_cstring(b, &s, NULL), QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(qssh_buf_len(b), 7);
	qssh_buf_free(b);
}

static void
test_mpint(void **state)
{
	struct qssh_buf *b = qssh_buf_new();
	struct qssh_view v;
	static const uint8_t hi[] = { 0x00, 0x00, 0x80, 0x01 };
	static const uint8_t lo[] = { 0x7f };

	(void)state;
	/* RFC 4251 examples: 0x80 needs a leading zero octet. */
	assert_int_equal(qssh_buf_put_mpint_bytes(b, hi, sizeof(hi)), 0);
	assert_memory_equal(qssh_buf_ptr(b), "\0\0\0\x03\x00\x80\x01", 7);
	assert_int_equal(qssh_buf_get_mpint_view(b, &v), 0);
	assert_int_equal(v.len, 2);
	assert_memory_equal(v.p, "\x80\x01", 2);
	qssh_buf_reset(b);
	assert_int_equal(qssh_buf_put_mpint_bytes(b, lo, 1), 0);
	assert_memory_equal(qssh_buf_ptr(b), "\0\0\0\x01\x7f", 5);
	qssh_buf_reset(b);
	assert_int_equal(qssh_buf_put_mpint_bytes(b, hi, 2), 0);
	assert_memory_equal(qssh_buf_ptr(b), "\0\0\0\0", 4);
	qssh_buf_reset(b);
	/* Negative and non-minimal encodings are rejected. */
	assert_int_equal(qssh_buf_put(b, "\0\0\0\x01\x80", 5), 0);
	assert_int_equal(
	    qssh_buf_get_mpint_view(b, &v), QSSH_ERR_BIGNUM_NEGATIVE);
	qssh_buf_reset(b);
	assert_int_equal(qssh_buf_put(b, "\0\0\0\x02\x00\x01", 6), 0);
	assert_int_equal(
	    qssh_buf_get_mpint_view(b, &v), QSSH_ERR_INVALID_FORMAT);
	qssh_buf_free(b);
}

static void
test_max_size(void **state)
{
	struct qssh_buf *b = qssh_buf_new();
	uint8_t *p;

	(void)state;
	assert_int_equal(qssh_buf_set_max(b, 16), 0);
	assert_int_equal(qssh_buf_reserve(b, 16, &p), 0);
	assert_int_equal(qssh_buf_put_u8(b, 1), QSSH_ERR_NO_BUFFER_SPACE);
	assert_int_equal(qssh_buf_consume(b, 8), 0);
	assert_int_equal(qssh_buf_put(b, "12345678", 8), 0);
	assert_int_equal(qssh_buf_len(b), 16);
	assert_int_equal(
	    qssh_buf_reserve(b, SIZE_MAX, &p), QSSH_ERR_NO_BUFFER_SPACE);
	qssh_buf_free(b);
}

static void
test_namelist(void **state)
{
	char *m = NULL;

	(void)state;
	assert_true(qssh_namelist_contains("a,bb,c", "bb"));
	assert_false(qssh_namelist_contains("a,bb,c", "b"));
	assert_false(qssh_namelist_contains("", "a"));
	assert_int_equal(qssh_namelist_first_match("x,c,a", "a,b,c", &m), 0);
	assert_string_equal(m, "c");
	free(m);
	assert_int_equal(
	    qssh_namelist_first_match("x,y", "a,b", &m), QSSH_ERR_NO_MATCH);
	assert_null(m);
}

static void
test_namelist_view(void **state)
{
	struct qssh_view v;
	char *s;

	(void)state;
	qssh_view_init(&v,
	    "\0\0\0\x03"
	    "a b",
	    7);
	assert_int_equal(
	    qssh_view_get_namelist(&v, &s), QSSH_ERR_INVALID_FORMAT);
	qssh_view_init(&v,
	    "\0\0\0\x03"
	    "a,b",
	    7);
	assert_int_equal(qssh_view_get_namelist(&v, &s), 0);
	assert_string_equal(s, "a,b");
	free(s);
}

static void
test_putf_and_dup(void **state)
{
	struct qssh_buf *b = qssh_buf_new(), *d;

	(void)state;
	assert_int_equal(qssh_buf_putf(b, "%s-%d", "x", 42), 0);
	assert_int_equal(qssh_buf_len(b), 4);
	assert_memory_equal(qssh_buf_ptr(b), "x-42", 4);
	d = qssh_buf_dup(b);
	assert_non_null(d);
	assert_int_equal(qssh_buf_len(d), 4);
	qssh_buf_free(d);
	qssh_buf_free(b);
	qssh_buf_free(NULL);
}

static void
test_reset_wipes_consumed_data(void **state)
{
	struct qssh_buf *b = qssh_buf_new();
	static const uint8_t zero[20];
	uint8_t *p;

	(void)state;
	/*
	 * Data consumed to the end (the buffer looks empty) and data cut from
	 * the end must both be gone after a reset; reserving the same storage
	 * again shows what is left in it.
	 */
	assert_int_equal(qssh_buf_put(b, "secret-secret-secret", 20), 0);
	assert_int_equal(qssh_buf_consume(b, 20), 0);
	assert_int_equal(qssh_buf_len(b), 0);
	assert_int_equal(qssh_buf_put(b, "0123456789", 10), 0);
	qssh_buf_reset(b);
	assert_int_equal(qssh_buf_reserve(b, 20, &p), 0);
	assert_memory_equal(p, zero, 20);
	qssh_buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_roundtrip),
		cmocka_unit_test(test_truncated_string),
		cmocka_unit_test(test_cstring_rejects_nul),
		cmocka_unit_test(test_mpint),
		cmocka_unit_test(test_max_size),
		cmocka_unit_test(test_namelist),
		cmocka_unit_test(test_namelist_view),
		cmocka_unit_test(test_putf_and_dup),
		cmocka_unit_test(test_reset_wipes_consumed_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
