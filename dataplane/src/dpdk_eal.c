/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DPDK EAL start-up.  rte_eal_init() can run only once per process and
 * ends the process itself for a few options (--help), so the argument
 * string is checked first and the outcome of the one attempt is kept.
 * DPDK's own log lines are routed into ours at debug level; the last one
 * explains a failure in the single line logged then.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "dataplane/eal.h"

#if QSSH_WITH_DPDK

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "crypto-offload/cryptodev.h"

#define LOG_LINE_MAX 256

static pthread_mutex_t eal_lock = PTHREAD_MUTEX_INITIALIZER;
static bool eal_tried;
static int eal_result = QSSH_ERR_BACKEND_UNAVAILABLE;
static bool eal_up;
/* rte_eal_init() may keep pointers into argv: static storage. */
static char arg_buf[DP_EAL_ARGS_MAX];
static char *arg_v[DP_EAL_ARGC_MAX + 2];
static char arg_prog[] = "qssh";

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_line[LOG_LINE_MAX];
static size_t log_len;
static char log_last[LOG_LINE_MAX];

static void
log_flush_line(void)
{
	while (log_len > 0 &&
	    (log_line[log_len - 1] == '\n' || log_line[log_len - 1] == ' '))
		log_len--;
	log_line[log_len] = '\0';
	if (log_len > 0) {
		memcpy(log_last, log_line, log_len + 1);
		qlog_debug("dpdk: %s", log_line);
	}
	log_len = 0;
}

static ssize_t
log_write(void *cookie, const char *data, size_t len)
{
	size_t i;

	(void)cookie;
	pthread_mutex_lock(&log_lock);
	for (i = 0; i < len; i++) {
		if (data[i] == '\n') {
			log_flush_line();
			continue;
		}
		/* Overlong lines are cut; the rest is dropped. */
		if (log_len < sizeof(log_line) - 1)
			log_line[log_len++] = data[i];
	}
	pthread_mutex_unlock(&log_lock);
	return (ssize_t)len;
}

static bool
opt_is(const char *tok, const char *name)
{
	size_t n = strlen(name);

	return strncmp(tok, name, n) == 0 && (tok[n] == '\0' || tok[n] == '=');
}

/*
 * Split args into arg_v.  Refused: options after which rte_eal_init()
 * exits (--help, -h), other process types than primary, a lone "--"
 * (application arguments) and words that are not option values.
 */
static int
split_args(const char *args, int *argc)
{
	char *p, *save = NULL, *tok;
	bool value_ok = false;
	int n = 0;

	if (strlen(args) >= sizeof(arg_buf))
		return QSSH_ERR_INVALID_ARGUMENT;
	memcpy(arg_buf, args, strlen(args) + 1);
	arg_v[n++] = arg_prog;
	for (p = arg_buf; (tok = strtok_r(p, " \t\n", &save)) != NULL;
	     p = NULL) {
		if (n > DP_EAL_ARGC_MAX)
			return QSSH_ERR_INVALID_ARGUMENT;
		if (tok[0] != '-') {
			if (!value_ok)
				return QSSH_ERR_INVALID_ARGUMENT;
			value_ok = false;
		} else if (strcmp(tok, "-h") == 0 || opt_is(tok, "--help") ||
		    strcmp(tok, "--") == 0 ||
		    (opt_is(tok, "--proc-type") &&
			strcmp(tok, "--proc-type=primary") != 0)) {
			return QSSH_ERR_INVALID_ARGUMENT;
		} else {
			/* "-m 128", "--vdev x": a value may follow. */
			value_ok = strchr(tok, '=') == NULL &&
			    (tok[1] == '-' || tok[2] == '\0');
		}
		arg_v[n++] = tok;
	}
	arg_v[n] = NULL;
	*argc = n;
	return 0;
}

int
dp_eal_start(const char *args)
{
	static const cookie_io_functions_t log_fns = { .write = log_write };
	cpu_set_t cpus;
	bool have_cpus;
	FILE *stream;
	int argc = 0, r, rc;

	if (args == NULL)
		args = DP_EAL_DEFAULT_ARGS;
	pthread_mutex_lock(&eal_lock);
	if (eal_tried) {
		r = eal_result;
		goto out;
	}
	if ((r = split_args(args, &argc)) != 0) {
		qlog_error("DPDK EAL arguments refused: \"%s\"", args);
		goto out;
	}
	if ((stream = fopencookie(NULL, "w", log_fns)) != NULL) {
		setvbuf(stream, NULL, _IOLBF, 0);
		(void)rte_openlog_stream(stream);
	}
	have_cpus =
	    pthread_getaffinity_np(pthread_self(), sizeof(cpus), &cpus) == 0;
	eal_tried = true;
	qlog_debug("dpdk: starting EAL with \"%s\"", args);
	rc = rte_eal_init(argc, arg_v);
	if (have_cpus)
		(void)pthread_setaffinity_np(
		    pthread_self(), sizeof(cpus), &cpus);
	if (rc < 0) {
		pthread_mutex_lock(&log_lock);
		log_flush_line();
		qlog_error("DPDK EAL did not start (%s); using threads",
		    log_last[0] != '\0' ? log_last : rte_strerror(rte_errno));
		pthread_mutex_unlock(&log_lock);
		r = eal_result = QSSH_ERR_BACKEND_UNAVAILABLE;
		goto out;
	}
	__atomic_store_n(&eal_up, true, __ATOMIC_RELEASE);
	qlog_verbose("DPDK EAL started: %s", args);
	/* A missing device is logged there; the EAL stays useful for I/O. */
	(void)cryp_cryptodev_attach();
	r = eal_result = 0;
out:
	pthread_mutex_unlock(&eal_lock);
	return r;
}

bool
dp_eal_running(void)
{
	return __atomic_load_n(&eal_up, __ATOMIC_ACQUIRE);
}

#else /* !QSSH_WITH_DPDK */

int
dp_eal_start(const char *args)
{
	(void)args;
	return QSSH_ERR_NOT_SUPPORTED;
}

bool
dp_eal_running(void)
{
	return false;
}

#endif /* QSSH_WITH_DPDK */
