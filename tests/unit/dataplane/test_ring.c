/* SPDX-License-Identifier: BSD-2-Clause */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/ring.h"

/* Ring entries are non-NULL pointers made from counters. */
static void *
item(uintptr_t i)
{
	return (void *)(i + 1);
}

static uintptr_t
unitem(void *p)
{
	return (uintptr_t)p - 1;
}

static void
test_ring_sizes(void **state)
{
	struct dp_ring *r;

	(void)state;
	assert_null(dp_ring_new(0));
	assert_null(dp_ring_new(1));
	assert_null(dp_ring_new(3));
	assert_null(dp_ring_new(1000));
	assert_null(dp_ring_new(DP_RING_SIZE_MAX * 2));
	r = dp_ring_new(2);
	assert_non_null(r);
	assert_int_equal(dp_ring_size(r), 2);
	dp_ring_free(r);
	dp_ring_free(NULL);
	assert_int_equal(dp_ring_size(NULL), 0);
	assert_int_equal(dp_ring_enqueue_burst(NULL, NULL, 1), 0);
	assert_int_equal(dp_ring_dequeue_burst(NULL, NULL, 1), 0);
}

static void
test_ring_full_empty(void **state)
{
	struct dp_ring *r = dp_ring_new(8);
	void *in[16], *out[16];
	uintptr_t i;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < 16; i++)
		in[i] = item(i);
	assert_true(dp_ring_empty(r));
	assert_int_equal(dp_ring_dequeue_burst(r, out, 4), 0);
	/* All 8 slots are usable; the 9th is refused. */
	assert_int_equal(dp_ring_enqueue_burst(r, in, 16), 8);
	assert_int_equal(dp_ring_count(r), 8);
	assert_false(dp_ring_empty(r));
	assert_int_equal(dp_ring_enqueue_burst(r, in, 1), 0);
	assert_int_equal(dp_ring_dequeue_burst(r, out, 3), 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(unitem(out[i]), i);
	assert_int_equal(dp_ring_enqueue_burst(r, in + 8, 5), 3);
	assert_int_equal(dp_ring_dequeue_burst(r, out, 16), 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(unitem(out[i]), i + 3);
	assert_true(dp_ring_empty(r));
	assert_int_equal(dp_ring_enqueue_burst(r, in, 0), 0);
	assert_int_equal(dp_ring_dequeue_burst(r, out, 0), 0);
	dp_ring_free(r);
}

/* Many laps around a small ring with bursts of changing sizes. */
static void
test_ring_wraparound(void **state)
{
	struct dp_ring *r = dp_ring_new(16);
	void *in[16], *out[16];
	uintptr_t next_in = 0, next_out = 0;
	uint32_t n, k, round;

	(void)state;
	assert_non_null(r);
	for (round = 0; round < 100000; round++) {
		n = 1 + round % 13;
		for (k = 0; k < n; k++)
			in[k] = item(next_in + k);
		n = dp_ring_enqueue_burst(r, in, n);
		next_in += n;
		n = dp_ring_dequeue_burst(r, out, 1 + (round * 7) % 16);
		for (k = 0; k < n; k++)
			assert_int_equal(unitem(out[k]), next_out + k);
		next_out += n;
		assert_int_equal(dp_ring_count(r), next_in - next_out);
	}
	while ((n = dp_ring_dequeue_burst(r, out, 16)) > 0) {
		for (k = 0; k < n; k++)
			assert_int_equal(unitem(out[k]), next_out + k);
		next_out += n;
	}
	assert_int_equal(next_in, next_out);
	assert_true(next_in > 100000);
	dp_ring_free(r);
}

struct stress {
	struct dp_ring *r;
	uint32_t burst;
	uintptr_t items;
};

static void *
producer(void *arg)
{
	struct stress *st = arg;
	void *in[64];
	uintptr_t next = 0;
	uint32_t n, k, want;

	while (next < st->items) {
		want = st->burst;
		if (want > st->items - next)
			want = (uint32_t)(st->items - next);
		for (k = 0; k < want; k++)
			in[k] = item(next + k);
		n = dp_ring_enqueue_burst(st->r, in, want);
		next += n;
		if (n == 0)
			sched_yield();
	}
	return NULL;
}

static void
stress_run(uint32_t size, uint32_t burst, uintptr_t items)
{
	struct stress st_, *st = &st_;
	pthread_t th;
	void *out[64];
	uintptr_t next = 0;
	uint32_t n, k;
	int bad = 0;

	st->r = dp_ring_new(size);
	st->burst = burst;
	st->items = items;
	assert_non_null(st->r);
	assert_int_equal(pthread_create(&th, NULL, producer, st), 0);
	while (next < st->items) {
		n = dp_ring_dequeue_burst(st->r, out, 64);
		for (k = 0; k < n; k++)
			bad |= unitem(out[k]) != next + k;
		next += n;
		if (n == 0)
			sched_yield();
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(bad, 0);
	assert_true(dp_ring_empty(st->r));
	dp_ring_free(st->r);
}

static void
test_ring_stress(void **state)
{
	(void)state;
	stress_run(1024, 32, 4000000);
	/* A tiny ring: producer and consumer meet all the time. */
	stress_run(4, 3, 500000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_sizes),
		cmocka_unit_test(test_ring_full_empty),
		cmocka_unit_test(test_ring_wraparound),
		cmocka_unit_test(test_ring_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
