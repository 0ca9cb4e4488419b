/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/ring.h"

#define RING_CACHE_LINE 64

struct dp_ring {
	/* Read-only after creation. */
	alignas(RING_CACHE_LINE) uint32_t size;
	uint32_t mask;

	/* Producer's line: written by the producer only. */
	alignas(RING_CACHE_LINE) _Atomic uint32_t tail;
	uint32_t prod_head_cache; /* last head the producer saw */

	/* Consumer's line: written by the consumer only. */
	alignas(RING_CACHE_LINE) _Atomic uint32_t head;
	uint32_t cons_tail_cache; /* last tail the consumer saw */

	alignas(RING_CACHE_LINE) void *slots[];
};

struct dp_ring *
dp_ring_new(uint32_t size)
{
	struct dp_ring *r;
	size_t bytes;

	if (size < 2 || size > DP_RING_SIZE_MAX || (size & (size - 1)) != 0)
		return NULL;
	bytes = sizeof(*r) + (size_t)size * sizeof(r->slots[0]);
	/* aligned_alloc wants a multiple of the alignment. */
	bytes = (bytes + RING_CACHE_LINE - 1) & ~(size_t)(RING_CACHE_LINE - 1);
	if ((r = aligned_alloc(RING_CACHE_LINE, bytes)) == NULL)
		return NULL;
	memset(r, 0, bytes);
	r->size = size;
	r->mask = size - 1;
	atomic_init(&r->tail, 0);
	atomic_init(&r->head, 0);
	return r;
}

void
dp_ring_free(struct dp_ring *r)
{
	free(r);
}

uint32_t
dp_ring_enqueue_burst(struct dp_ring *r, void *const *objs, uint32_t n)
{
	uint32_t tail, room, i;

	if (r == NULL || objs == NULL || n == 0)
		return 0;
	tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	room = r->size - (tail - r->prod_head_cache);
	if (room < n) {
		/* Acquire: the consumer is done reading the freed slots. */
		r->prod_head_cache =
		    atomic_load_explicit(&r->head, memory_order_acquire);
		room = r->size - (tail - r->prod_head_cache);
	}
	if (n > room)
		n = room;
	for (i = 0; i < n; i++)
		r->slots[(tail + i) & r->mask] = objs[i];
	/* Release: the slots are written before the consumer sees them. */
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}

uint32_t
dp_ring_dequeue_burst(struct dp_ring *r, void **objs, uint32_t n)
{
	uint32_t head, avail, i;

	if (r == NULL || objs == NULL || n == 0)
		return 0;
	head = atomic_load_explicit(&r->head, memory_order_relaxed);
	avail = r->cons_tail_cache - head;
	if (avail < n) {
		r->cons_tail_cache =
		    atomic_load_explicit(&r->tail, memory_order_acquire);
		avail = r->cons_tail_cache - head;
	}
	if (n > avail)
		n = avail;
	for (i = 0; i < n; i++)
		objs[i] = r->slots[(head + i) & r->mask];
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

uint32_t
dp_ring_size(const struct dp_ring *r)
{
	return r == NULL ? 0 : r->size;
}

uint32_t
dp_ring_count(const struct dp_ring *r)
{
	uint32_t head, tail;

	if (r == NULL)
		return 0;
	head = atomic_load_explicit(&r->head, memory_order_acquire);
	tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	return tail - head;
}

bool
dp_ring_empty(const struct dp_ring *r)
{
	return dp_ring_count(r) == 0;
}
