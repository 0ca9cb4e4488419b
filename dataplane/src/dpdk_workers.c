/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DPDK lcore runtime of the crypto worker engine (workers.c): workers run
 * on EAL worker lcores (rte_eal_remote_launch()) and the port <-> worker
 * rings are single-producer / single-consumer rte_rings.
 *
 * Operations are owned by their submitter (the transport embeds them in
 * its per-connection slots), so nothing is allocated per packet and no
 * mempool is needed on this path; ring memory comes from the EAL's heap.
 *
 * Several engines may live in one process: each reserves the lcores it
 * uses, and an engine that finds too few idle lcores runs on threads.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "dataplane/eal.h"
#include "workers_priv.h"

#if QSSH_WITH_DPDK

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_ring.h>

static pthread_mutex_t lcore_lock = PTHREAD_MUTEX_INITIALIZER;
static bool lcore_taken[RTE_MAX_LCORE];
static atomic_uint ring_seq;

bool
wrk_dpdk_ready(void)
{
	return dp_eal_running();
}

uint32_t
wrk_dpdk_claim_lcores(uint32_t *ids, uint32_t max)
{
	unsigned int lc;
	uint32_t n = 0;

	if (!dp_eal_running() || ids == NULL)
		return 0;
	pthread_mutex_lock(&lcore_lock);
	RTE_LCORE_FOREACH_WORKER(lc)
	{
		if (n == max)
			break;
		if (lcore_taken[lc] || rte_eal_get_lcore_state(lc) != WAIT)
			continue;
		lcore_taken[lc] = true;
		ids[n++] = lc;
	}
	pthread_mutex_unlock(&lcore_lock);
	return n;
}

void
wrk_dpdk_release_lcores(const uint32_t *ids, uint32_t n)
{
	uint32_t i;

	if (n == 0)
		return;
	pthread_mutex_lock(&lcore_lock);
	for (i = 0; i < n; i++) {
		if (ids[i] < RTE_MAX_LCORE)
			lcore_taken[ids[i]] = false;
	}
	pthread_mutex_unlock(&lcore_lock);
}

void *
wrk_dpdk_ring_new(uint32_t size)
{
	char name[RTE_RING_NAMESIZE];

	/* Names are global to the process (memzones): make them unique. */
	(void)snprintf(
	    name, sizeof(name), "qwrk%u", atomic_fetch_add(&ring_seq, 1));
	return rte_ring_create(name, size, (int)SOCKET_ID_ANY,
	    RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
}

void
wrk_dpdk_ring_free(void *r)
{
	rte_ring_free(r);
}

uint32_t
wrk_dpdk_ring_enqueue(void *r, void *const *objs, uint32_t n)
{
	if (r == NULL || n == 0)
		return 0;
	return rte_ring_sp_enqueue_burst(r, objs, n, NULL);
}

uint32_t
wrk_dpdk_ring_dequeue(void *r, void **objs, uint32_t n)
{
	if (r == NULL || n == 0)
		return 0;
	return rte_ring_sc_dequeue_burst(r, objs, n, NULL);
}

bool
wrk_dpdk_ring_empty(const void *r)
{
	return r == NULL || rte_ring_empty(r) != 0;
}

int
wrk_dpdk_launch(uint32_t lcore, void *arg)
{
	if (rte_eal_remote_launch(wrk_worker_lcore_main, arg, lcore) != 0)
		return QSSH_ERR_SYSTEM;
	return 0;
}

void
wrk_dpdk_join(uint32_t lcore)
{
	(void)rte_eal_wait_lcore(lcore);
}

#else /* !QSSH_WITH_DPDK */

bool
wrk_dpdk_ready(void)
{
	return false;
}

uint32_t
wrk_dpdk_claim_lcores(uint32_t *ids, uint32_t max)
{
	(void)ids;
	(void)max;
	return 0;
}

void
wrk_dpdk_release_lcores(const uint32_t *ids, uint32_t n)
{
	(void)ids;
	(void)n;
}

void *
wrk_dpdk_ring_new(uint32_t size)
{
	(void)size;
	return NULL;
}

void
wrk_dpdk_ring_free(void *r)
{
	(void)r;
}

uint32_t
wrk_dpdk_ring_enqueue(void *r, void *const *objs, uint32_t n)
{
	(void)r;
	(void)objs;
	(void)n;
	return 0;
}

uint32_t
wrk_dpdk_ring_dequeue(void *r, void **objs, uint32_t n)
{
	(void)r;
	(void)objs;
	(void)n;
	return 0;
}

bool
wrk_dpdk_ring_empty(const void *r)
{
	(void)r;
	return true;
}

int
wrk_dpdk_launch(uint32_t lcore, void *arg)
{
	(void)lcore;
	(void)arg;
	return QSSH_ERR_NOT_SUPPORTED;
}

void
wrk_dpdk_join(uint32_t lcore)
{
	(void)lcore;
}

#endif /* QSSH_WITH_DPDK */
