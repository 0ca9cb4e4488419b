/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Between the worker engine (workers.c) and its DPDK lcore runtime
 * (dpdk_workers.c), the only file of the engine that sees DPDK headers.
 * Without DPDK the functions exist and report the runtime unusable.
 */
#ifndef QSSH_DATAPLANE_WORKERS_PRIV_H
#define QSSH_DATAPLANE_WORKERS_PRIV_H

#include <stdbool.h>
#include <stdint.h>

/* The EAL is up and the lcore runtime can be used. */
bool wrk_dpdk_ready(void);
/*
 * Reserve up to max idle worker lcores for one engine; returns how many
 * were reserved (their ids in ids[]).  Released with wrk_dpdk_release().
 */
uint32_t wrk_dpdk_claim_lcores(uint32_t *ids, uint32_t max);
void wrk_dpdk_release_lcores(const uint32_t *ids, uint32_t n);

/* Single-producer / single-consumer rings in DPDK memory. */
void *wrk_dpdk_ring_new(uint32_t size);
void wrk_dpdk_ring_free(void *r);
uint32_t wrk_dpdk_ring_enqueue(void *r, void *const *objs, uint32_t n);
uint32_t wrk_dpdk_ring_dequeue(void *r, void **objs, uint32_t n);
bool wrk_dpdk_ring_empty(const void *r);

/* Run wrk_worker_lcore_main(arg) on a reserved lcore; wait for its end. */
int wrk_dpdk_launch(uint32_t lcore, void *arg);
void wrk_dpdk_join(uint32_t lcore);

/* The worker loop, for an lcore (workers.c). */
int wrk_worker_lcore_main(void *arg);

#endif
