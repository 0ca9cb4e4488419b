/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qssh-workerbench: throughput of SSH packet encryption through the crypto
 * worker engine, inline on the caller against 1 and 2 pinned workers.
 *
 *   qssh-workerbench [--seconds S] [--size BYTES] [--flows N]
 *                    [--cipher NAME] [--cores LIST] [--smoke]
 *
 * Defaults: 1 s per row, 32 KiB packets of aes128-gcm@openssh.com, 4 flows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "crypto-offload/cryp.h"
#include "dataplane/workers.h"

#define PKTS_PER_FLOW 64
#define BURST 32

struct bench_flow {
	struct cryp_session *s;
	struct wrk_flow wf;
	struct cryp_op ops[PKTS_PER_FLOW];
	struct cryp_op *idle[PKTS_PER_FLOW]; /* not submitted */
	uint32_t nidle;
};

struct bench_cfg {
	double secs;
	uint32_t size;
	uint32_t nflows;
	const char *cipher;
	const char *cores;
};

struct row {
	const char *name;
	enum wrk_mode mode;
	uint32_t workers;
};

static int
flows_make(struct bench_flow *fl, const struct bench_cfg *bc,
    const struct cryp_cipher_info *ci)
{
	struct cryp_session_params p;
	uint8_t key[64], iv[16];
	uint32_t i, j;
	int err;

	memset(key, 0x42, sizeof(key));
	memset(iv, 0x17, sizeof(iv));
	memset(&p, 0, sizeof(p));
	p.cipher = ci;
	p.key = key;
	p.iv = iv;
	p.encrypt = true;
	for (i = 0; i < bc->nflows; i++) {
		if ((fl[i].s = cryp_session_new(
			 cryp_backend_default(), &p, &err)) == NULL)
			return err;
		for (j = 0; j < PKTS_PER_FLOW; j++) {
			fl[i].ops[j].sess = fl[i].s;
			fl[i].ops[j].pkt_len = bc->size + 4;
			fl[i].ops[j].pkt = calloc(1, bc->size + 4);
			fl[i].ops[j].tag = calloc(1, 64);
			if (fl[i].ops[j].pkt == NULL ||
			    fl[i].ops[j].tag == NULL)
				return QSSH_ERR_ALLOC;
			qssh_put_u32be(fl[i].ops[j].pkt, bc->size);
			fl[i].ops[j].pkt[4] = 4;
			fl[i].ops[j].user = &fl[i];
		}
	}
	return 0;
}

static void
flows_free(struct bench_flow *fl, uint32_t n)
{
	uint32_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < PKTS_PER_FLOW; j++) {
			free(fl[i].ops[j].pkt);
			free(fl[i].ops[j].tag);
		}
		cryp_session_free(fl[i].s);
	}
}

static int
run_row(const struct row *rw, const struct bench_cfg *bc,
    const struct cryp_cipher_info *ci, struct bench_flow *fl)
{
	struct wrk_config cfg;
	struct wrk_engine *e;
	struct wrk_port *port;
	struct wrk_stats st;
	struct cryp_op *out[BURST];
	struct bench_flow *f;
	uint64_t bytes = 0, ops = 0, t0, t1, end, errs = 0;
	uint32_t i, j, n, acc, turn = 0;
	int err;

	wrk_config_init(&cfg);
	for (i = 0; i < WRK_POOL_COUNT; i++)
		cfg.num_workers[i] = 0;
	cfg.num_workers[wrk_pool_of_cipher(ci->id)] = rw->workers;
	cfg.mode = rw->mode;
	cfg.cores = bc->cores;
	if ((e = wrk_engine_new(&cfg, &err)) == NULL)
		return err;
	port = wrk_engine_port(e, 0);
	for (i = 0; i < bc->nflows; i++) {
		(void)wrk_flow_init(&fl[i].wf, port, fl[i].s, ci->id);
		for (j = 0; j < PKTS_PER_FLOW; j++)
			fl[i].idle[j] = &fl[i].ops[j];
		fl[i].nidle = PKTS_PER_FLOW;
	}
	t0 = qssh_monotime_ns();
	end = t0 + (uint64_t)(bc->secs * 1e9);
	for (;;) {
		/* Keep every flow's packets moving. */
		f = &fl[turn++ % bc->nflows];
		n = f->nidle < BURST ? f->nidle : BURST;
		if (n > 0) {
			acc = wrk_submit_burst(
			    port, &f->wf, f->idle + f->nidle - n, n);
			f->nidle -= acc;
		}
		n = wrk_collect_burst(port, out, BURST);
		for (i = 0; i < n; i++) {
			f = out[i]->user;
			errs += out[i]->status != 0;
			bytes += out[i]->pkt_len;
			ops++;
			f->idle[f->nidle++] = out[i];
		}
		if ((turn & 15) == 0 && qssh_monotime_ns() >= end)
			break;
		if (n == 0 &&
		    wrk_port_pending(port) >= bc->nflows * PKTS_PER_FLOW)
			(void)wrk_port_wait(port, 100);
	}
	t1 = qssh_monotime_ns();
	/* Drain what is still in flight (not counted). */
	while (wrk_port_pending(port) > 0) {
		n = wrk_collect_burst(port, out, BURST);
		for (i = 0; i < n; i++) {
			f = out[i]->user;
			f->idle[f->nidle++] = out[i];
		}
		if (n == 0)
			(void)wrk_port_wait(port, 100);
	}
	wrk_engine_stats(e, &st);
	if (getenv("QSSH_WORKERBENCH_DEBUG") != NULL) {
		struct wrk_worker_stats ws;

		for (i = 0; i < wrk_engine_num_workers(e); i++) {
			(void)wrk_engine_worker_stats(e, i, &ws);
			fprintf(stderr,
			    "worker %u core %u: ops %llu bursts "
			    "%llu sleeps %llu\n",
			    i, ws.core, (unsigned long long)ws.ops,
			    (unsigned long long)ws.bursts,
			    (unsigned long long)ws.sleeps);
		}
	}
	for (i = 0; i < bc->nflows; i++)
		(void)wrk_flow_cleanup(&fl[i].wf);
	wrk_engine_free(e);
	printf("%-12s %7u %9.1f %10.0f %8.1f%%%s\n", rw->name, rw->workers,
	    (double)bytes / ((double)(t1 - t0) / 1e9) / 1e6,
	    (double)ops / ((double)(t1 - t0) / 1e9),
	    st.ops_inline + st.ops_offloaded > 0
		? 100.0 * (double)st.ops_offloaded /
		    (double)(st.ops_inline + st.ops_offloaded)
		: 0.0,
	    errs != 0 ? "  (errors!)" : "");
	fflush(stdout);
	return errs != 0 ? QSSH_ERR_INTERNAL : 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: qssh-workerbench [--seconds S] [--size BYTES] "
	    "[--flows N] [--cipher NAME] [--cores LIST] [--smoke]\n");
}

int
main(int argc, char **argv)
{
	static const struct row rows[] = {
		{ "inline", WRK_MODE_INLINE, 0 },
		{ "offload", WRK_MODE_OFFLOAD, 1 },
		{ "offload", WRK_MODE_OFFLOAD, 2 },
		{ "auto", WRK_MODE_AUTO, 1 },
		{ "auto", WRK_MODE_AUTO, 2 },
	};
	struct bench_cfg bc = { 1.0, 32768, 4, "aes128-gcm@openssh.com", NULL };
	const struct cryp_cipher_info *ci;
	struct bench_flow *fl = NULL;
	int i, r = 0;
	size_t k;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			bc.secs = strtod(argv[++i], NULL);
		} else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
			bc.size = (uint32_t)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--flows") == 0 && i + 1 < argc) {
			bc.nflows = (uint32_t)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--cipher") == 0 && i + 1 < argc) {
			bc.cipher = argv[++i];
		} else if (strcmp(argv[i], "--cores") == 0 && i + 1 < argc) {
			bc.cores = argv[++i];
		} else if (strcmp(argv[i], "--smoke") == 0) {
			bc.secs = 0.02;
		} else {
			usage();
			return 2;
		}
	}
	ci = cryp_cipher_by_name(bc.cipher);
	if (ci == NULL || !ci->aead || bc.nflows == 0 || bc.secs <= 0 ||
	    bc.size == 0 || bc.size > CRYP_MAX_PACKET_LEN ||
	    bc.size % 16 != 0) {
		fprintf(stderr,
		    "qssh-workerbench: bad arguments (an AEAD "
		    "cipher, size a multiple of 16 up to 262144)\n");
		return 2;
	}
	if ((fl = calloc(bc.nflows, sizeof(*fl))) == NULL)
		return 1;
	if ((r = flows_make(fl, &bc, ci)) != 0) {
		fprintf(stderr, "qssh-workerbench: %s\n", qssh_strerror(r));
		goto out;
	}
	printf("%s, %u-byte packets, %u flows, backend %s, %.2f s per row\n",
	    bc.cipher, bc.size, bc.nflows,
	    cryp_backend_name(cryp_backend_default()), bc.secs);
	printf("%-12s %7s %9s %10s %9s\n", "mode", "workers", "MB/s", "pkts/s",
	    "offload");
	for (k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		if ((r = run_row(&rows[k], &bc, ci, fl)) != 0) {
			fprintf(
			    stderr, "qssh-workerbench: %s\n", qssh_strerror(r));
			goto out;
		}
	}
out:
	flows_free(fl, bc.nflows);
	free(fl);
	return r == 0 ? 0 : 1;
}
