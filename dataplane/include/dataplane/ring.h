/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Single-producer / single-consumer ring of pointers.
 *
 * One thread enqueues, one thread dequeues; no locks.  The producer's and
 * the consumer's indices live on separate cache lines, each side keeps a
 * cached copy of the other's index so that it touches the shared line only
 * when its cached view says the ring is full (or empty).  Indices run
 * freely and are masked on access, so all 'size' slots are usable.
 *
 * Bursts take up to n objects and return how many were moved: objects not
 * enqueued still belong to the caller.
 */
#ifndef QSSH_DATAPLANE_RING_H
#define QSSH_DATAPLANE_RING_H

#include <stdbool.h>
#include <stdint.h>

/* Largest ring: 2^24 slots. */
#define DP_RING_SIZE_MAX (1u << 24)

struct dp_ring;

/* size: a power of two in [2, DP_RING_SIZE_MAX]; NULL otherwise or on ENOMEM. */
struct dp_ring *dp_ring_new(uint32_t size);
void dp_ring_free(struct dp_ring *r); /* NULL is a no-op */

/* Producer side. */
uint32_t
dp_ring_enqueue_burst(struct dp_ring *r, void *const *objs, uint32_t n);
/* Consumer side. */
uint32_t dp_ring_dequeue_burst(struct dp_ring *r, void **objs, uint32_t n);

/* Capacity (the size given to dp_ring_new). */
uint32_t dp_ring_size(const struct dp_ring *r);
/*
 * Objects in the ring now.  Exact on either side's own thread with respect
 * to its own operations; a snapshot otherwise.
 */
uint32_t dp_ring_count(const struct dp_ring *r);
/* True if empty (consumer's view, usable from any thread as a hint). */
bool dp_ring_empty(const struct dp_ring *r);

#endif
