/* SPDX-License-Identifier: BSD-2-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "control/match.h"

static void
test_wildcards(void **state)
{
	(void)state;
	assert_true(match_pattern("host.example.org", "*.example.org"));
	assert_true(match_pattern("a", "?"));
	assert_false(match_pattern("ab", "?"));
	assert_true(match_pattern("", "*"));
	assert_true(match_pattern("abcabd", "*abd"));
	assert_false(match_pattern("abc", "abd*"));
	assert_true(match_pattern("x.y.z", "x*z"));
}

static void
test_lists_and_negation(void **state)
{
	(void)state;
	assert_int_equal(match_pattern_list("web1", "db*,web*", false), 1);
	assert_int_equal(match_pattern_list("web1", "*,!web1", false), -1);
	assert_int_equal(match_pattern_list("web2", "*,!web1", false), 1);
	assert_int_equal(match_pattern_list("mail", "db*,web*", false), 0);
	assert_int_equal(match_hostname("WEB1.Example", "web1.example"), 1);
	assert_int_equal(match_host_and_ip("h", "10.0.0.1", "10.0.0.*"), 1);
	assert_int_equal(match_host_and_ip("h", "10.0.0.1", "h,!10.0.0.1"), -1);
}

static void
test_cidr(void **state)
{
	(void)state;
	assert_int_equal(match_addr_list("192.0.2.7", "192.0.2.0/24"), 1);
	assert_int_equal(
	    match_addr_list("192.0.2.7", "192.0.2.0/24,!192.0.2.7"), -1);
	assert_int_equal(match_addr_list("198.51.100.1", "192.0.2.0/24"), 0);
	assert_int_equal(match_addr_list("2001:db8::1", "2001:db8::/32"), 1);
	assert_int_equal(match_addr_list("192.0.2.7", "2001:db8::/32"), 0);
	assert_int_equal(match_addr_list("10.1.2.3", "10.*"), 1);
	/* Host bits set, bad masks and junk are errors. */
	assert_int_equal(match_addr_list("192.0.2.7", "192.0.2.1/24"), -2);
	assert_int_equal(match_addr_list("192.0.2.7", "192.0.2.0/33"), -2);
	assert_int_equal(match_addr_list("192.0.2.7", "nonsense/8"), -2);
	assert_int_equal(match_cidr_list_valid("10.0.0.0/8,!10.1.0.0/16"), 0);
	assert_int_equal(match_cidr_list_valid("10.0.0.0/8,x"), -2);
}

static void
test_user_at_host(void **state)
{
	(void)state;
	assert_int_equal(match_user("alice", "h", "192.0.2.9", "alice"), 1);
	assert_int_equal(match_user("alice", "h", "192.0.2.9", "bob"), 0);
	assert_int_equal(
	    match_user("alice", "h", "192.0.2.9", "alice@192.0.2.0/24"), 1);
	assert_int_equal(
	    match_user("alice", "h", "198.51.100.1", "alice@192.0.2.0/24"), 0);
	assert_int_equal(
	    match_user("alice", "gw.example", "192.0.2.9", "a*@*.example"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_lists_and_negation),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_user_at_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
