/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Values of the crypto dataplane keywords that sshd_config and ssh_config
 * share (CryptoWorkers, CryptoEALArgs), and their translation into the
 * worker engine's configuration (dataplane/workers.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "control/servconf.h"
#include "dataplane/eal.h"
#include "dataplane/fastpath.h"
#include "dataplane/workers.h"

_Static_assert(SERVCONF_CRYPTO_POOLS == WRK_POOL_COUNT, "CryptoWorkers pools");
_Static_assert(
    WRK_POOL_GCM == 0 && WRK_POOL_CHACHA == 1 && WRK_POOL_CIPHER_MAC == 2,
    "CryptoWorkers pool order");
_Static_assert(
    SERVCONF_CRYPTO_WORKERS_TOTAL == WRK_WORKERS_MAX, "CryptoWorkers total");
_Static_assert(
    SERVCONF_CRYPTO_WORKERS_MAX == 21 && SERVCONF_CRYPTO_WORKERS_TOTAL == 64,
    "the reasons below spell the limits out");
_Static_assert(SERVCONF_CHANNEL_WINDOW_MAX == FP_WINDOW_MAX &&
	SERVCONF_CHANNEL_WINDOW_DEFAULT == FP_WINDOW_DEFAULT,
    "ChannelWindow limits");
_Static_assert(DP_EAL_ARGS_MAX == 1024 && DP_EAL_ARGC_MAX == 64,
    "the reasons below spell the limits out");

/* The pools as the files name them, in enum wrk_pool_id order. */
static const char *const pool_names[SERVCONF_CRYPTO_POOLS] = { "gcm", "chacha",
	"mac" };

/*
 * A count written in len bytes at p: 1 to 4 decimal digits, at most max.
 * Short enough that it cannot overflow.
 */
static bool
span_count(const char *p, size_t len, int max, int *out)
{
	size_t i;
	int n = 0;

	if (len == 0 || len > 4)
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		n = n * 10 + (p[i] - '0');
	}
	if (n > max)
		return false;
	*out = n;
	return true;
}

int
servconf_crypto_workers_parse(
    const char *s, int workers[SERVCONF_CRYPTO_POOLS], const char **why)
{
	int v[SERVCONF_CRYPTO_POOLS], n, total = 0, i;
	bool seen[SERVCONF_CRYPTO_POOLS] = { false };
	const char *p, *e, *eq;
	size_t len, nlen;

	*why = "auto, 0 to 21 workers for every pool, or "
	       "gcm=N,chacha=N,mac=N";
	if (s == NULL || *s == '\0')
		return QSSH_ERR_CONFIG;
	for (i = 0; i < SERVCONF_CRYPTO_POOLS; i++)
		v[i] = SERVCONF_CRYPTO_WORKERS_AUTO;
	if (strcasecmp(s, "auto") == 0)
		goto done;
	if (strchr(s, '=') == NULL && strchr(s, ',') == NULL) {
		if (!span_count(s, strlen(s), SERVCONF_CRYPTO_WORKERS_MAX, &n))
			return QSSH_ERR_CONFIG;
		for (i = 0; i < SERVCONF_CRYPTO_POOLS; i++)
			v[i] = n;
		goto done;
	}
	for (p = s;; p = e + 1) {
		e = strchr(p, ',');
		len = e == NULL ? strlen(p) : (size_t)(e - p);
		if ((eq = memchr(p, '=', len)) == NULL) {
			*why = "each pool as name=N, such as gcm=2";
			return QSSH_ERR_CONFIG;
		}
		nlen = (size_t)(eq - p);
		for (i = 0; i < SERVCONF_CRYPTO_POOLS; i++) {
			if (strlen(pool_names[i]) == nlen &&
			    strncasecmp(pool_names[i], p, nlen) == 0)
				break;
		}
		if (i == SERVCONF_CRYPTO_POOLS) {
			*why = "the pools are gcm, chacha and mac";
			return QSSH_ERR_CONFIG;
		}
		if (seen[i]) {
			*why = "a pool is given twice";
			return QSSH_ERR_CONFIG;
		}
		seen[i] = true;
		eq++;
		len -= nlen + 1;
		if (len == 4 && strncasecmp(eq, "auto", 4) == 0) {
			v[i] = SERVCONF_CRYPTO_WORKERS_AUTO;
		} else if (span_count(
			       eq, len, SERVCONF_CRYPTO_WORKERS_TOTAL, &n)) {
			v[i] = n;
			total += n;
		} else {
			*why = "a pool takes auto or 0 to 64 workers";
			return QSSH_ERR_CONFIG;
		}
		if (e == NULL)
			break;
	}
	if (total > SERVCONF_CRYPTO_WORKERS_TOTAL) {
		*why = "at most 64 workers in all";
		return QSSH_ERR_CONFIG;
	}
done:
	memcpy(workers, v, sizeof(v));
	*why = NULL;
	return 0;
}

static void
count_name(int v, char *buf, size_t size)
{
	if (v == SERVCONF_CRYPTO_WORKERS_AUTO)
		snprintf(buf, size, "auto");
	else
		snprintf(buf, size, "%d", v);
}

void
servconf_crypto_workers_format(
    const int workers[SERVCONF_CRYPTO_POOLS], char *buf, size_t size)
{
	char v[SERVCONF_CRYPTO_POOLS][16];
	bool same = true;
	int i;

	for (i = 0; i < SERVCONF_CRYPTO_POOLS; i++) {
		count_name(workers[i], v[i], sizeof(v[i]));
		if (workers[i] != workers[0])
			same = false;
	}
	if (same)
		snprintf(buf, size, "%s", v[0]);
	else
		snprintf(buf, size, "%s=%s,%s=%s,%s=%s", pool_names[0], v[0],
		    pool_names[1], v[1], pool_names[2], v[2]);
}

/* An option name with or without "=value". */
static bool
eal_opt_is(const char *w, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len >= n && strncmp(w, name, n) == 0 &&
	    (len == n || w[n] == '=');
}

/*
 * The rules dp_eal_start() applies (dataplane/src/dpdk_eal.c), checked
 * here too so that a bad line is reported with its file and line number
 * when the configuration is read, not when the workers start.
 */
const char *
servconf_crypto_eal_args_check(const char *s)
{
	const char *p = s, *w;
	size_t len;
	int argc = 0;
	bool value_ok = false;

	if (strcasecmp(s, "none") == 0)
		return NULL;
	if (strlen(s) >= DP_EAL_ARGS_MAX)
		return "at most 1023 characters";
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		len = (size_t)(p - w);
		if (++argc > DP_EAL_ARGC_MAX)
			return "at most 64 arguments";
		if (w[0] != '-') {
			if (!value_ok)
				return "each word is an option or the value "
				       "of the option before it";
			value_ok = false;
			continue;
		}
		if ((len == 2 && w[1] == 'h') || eal_opt_is(w, len, "--help"))
			return "-h and --help end the process";
		if (len == 2 && w[1] == '-')
			return "no application arguments after --";
		if (eal_opt_is(w, len, "--proc-type") &&
		    !(len == 19 && strncmp(w, "--proc-type=primary", 19) == 0))
			return "only --proc-type=primary";
		/* "-m 128", "--vdev x": a value may follow. */
		value_ok = memchr(w, '=', len) == NULL &&
		    (len == 2 || (len > 2 && w[1] == '-'));
	}
	if (argc == 0)
		return "no EAL options; none for the default";
	return NULL;
}

unsigned int
servconf_crypto_fill(struct wrk_config *wc,
    const int workers[SERVCONF_CRYPTO_POOLS], const char *cores, int mode,
    int runtime, const char *eal_args)
{
	uint32_t given = 0, budget, share, total = 0;
	int i, nauto = 0;

	for (i = 0; i < SERVCONF_CRYPTO_POOLS; i++) {
		if (workers[i] >= 0) {
			wc->num_workers[i] = (uint32_t)workers[i];
			given += wc->num_workers[i];
		} else {
			nauto++;
		}
	}
	/*
	 * Pools left to auto share what the others leave: the engine's
	 * default (a worker per usable core but one, in every pool) would
	 * exceed WRK_WORKERS_MAX on larger machines.
	 */
	budget = given < WRK_WORKERS_MAX ? WRK_WORKERS_MAX - given : 0;
	share = nauto > 0 ? budget / (uint32_t)nauto : 0;
	for (i = 0; i < SERVCONF_CRYPTO_POOLS; i++) {
		if (workers[i] < 0 && wc->num_workers[i] > share)
			wc->num_workers[i] = share;
		total += wc->num_workers[i];
	}
	wc->cores = NULL;
	if (cores != NULL && strcmp(cores, "any") != 0)
		wc->cores = cores;
	switch (mode) {
	case SERVCONF_WMODE_INLINE:
		wc->mode = WRK_MODE_INLINE;
		break;
	case SERVCONF_WMODE_OFFLOAD:
		wc->mode = WRK_MODE_OFFLOAD;
		break;
	default:
		wc->mode = WRK_MODE_AUTO;
		break;
	}
	wc->runtime = WRK_RUNTIME_THREADS;
	wc->eal_args = NULL;
	if (runtime == SERVCONF_RUNTIME_DPDK) {
		wc->runtime = WRK_RUNTIME_DPDK;
		wc->eal_args =
		    servconf_str_set(eal_args) ? eal_args : DP_EAL_DEFAULT_ARGS;
	} else if (runtime == SERVCONF_RUNTIME_AUTO && dp_eal_running()) {
		wc->runtime = WRK_RUNTIME_DPDK;
	}
	return total;
}

unsigned int
servconf_wrk_config(const struct servconf *cfg, struct wrk_config *wc)
{
	return servconf_crypto_fill(wc, cfg->crypto_workers, cfg->crypto_cores,
	    cfg->crypto_worker_mode, cfg->crypto_runtime, cfg->crypto_eal_args);
}
