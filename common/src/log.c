/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"

#define LOG_LINE_MAX 1024

static struct {
	const char *progname;
	enum qssh_log_level level;
	int facility; /* syslog(3) value */
	bool to_stderr;
	FILE *file;
	char suffix[64];
	qssh_log_hook_fn hook;
	void *hook_ctx;
} logst = { "qssh", QSSH_LOG_INFO, LOG_AUTH, true, NULL, "", NULL, NULL };

static const struct {
	const char *name;
	enum qssh_log_level level;
} level_names[] = {
	{ "QUIET", QSSH_LOG_QUIET },
	{ "FATAL", QSSH_LOG_FATAL },
	{ "ERROR", QSSH_LOG_ERROR },
	{ "INFO", QSSH_LOG_INFO },
	{ "VERBOSE", QSSH_LOG_VERBOSE },
	{ "DEBUG", QSSH_LOG_DEBUG1 },
	{ "DEBUG1", QSSH_LOG_DEBUG1 },
	{ "DEBUG2", QSSH_LOG_DEBUG2 },
	{ "DEBUG3", QSSH_LOG_DEBUG3 },
};

static const struct {
	const char *name;
	enum qssh_log_facility fac;
	int sys;
} fac_names[] = {
	{ "DAEMON", QSSH_LOG_FAC_DAEMON, LOG_DAEMON },
	{ "USER", QSSH_LOG_FAC_USER, LOG_USER },
	{ "AUTH", QSSH_LOG_FAC_AUTH, LOG_AUTH },
	{ "AUTHPRIV", QSSH_LOG_FAC_AUTHPRIV, LOG_AUTHPRIV },
	{ "LOCAL0", QSSH_LOG_FAC_LOCAL0, LOG_LOCAL0 },
	{ "LOCAL1", QSSH_LOG_FAC_LOCAL1, LOG_LOCAL1 },
	{ "LOCAL2", QSSH_LOG_FAC_LOCAL2, LOG_LOCAL2 },
	{ "LOCAL3", QSSH_LOG_FAC_LOCAL3, LOG_LOCAL3 },
	{ "LOCAL4", QSSH_LOG_FAC_LOCAL4, LOG_LOCAL4 },
	{ "LOCAL5", QSSH_LOG_FAC_LOCAL5, LOG_LOCAL5 },
	{ "LOCAL6", QSSH_LOG_FAC_LOCAL6, LOG_LOCAL6 },
	{ "LOCAL7", QSSH_LOG_FAC_LOCAL7, LOG_LOCAL7 },
};

int
qssh_log_level_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(name, level_names[i].name) == 0)
			return (int)level_names[i].level;
	}
	return -1;
}

const char *
qssh_log_level_name(enum qssh_log_level level)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (level_names[i].level == level)
			return level_names[i].name;
	}
	return "UNKNOWN";
}

int
qssh_log_facility_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(fac_names) / sizeof(fac_names[0]); i++) {
		if (strcasecmp(name, fac_names[i].name) == 0)
			return (int)fac_names[i].fac;
	}
	return -1;
}

const char *
qssh_log_facility_name(enum qssh_log_facility fac)
{
	size_t i;

	for (i = 0; i < sizeof(fac_names) / sizeof(fac_names[0]); i++) {
		if (fac_names[i].fac == fac)
			return fac_names[i].name;
	}
	return "UNKNOWN";
}

void
qssh_log_init(const char *progname, enum qssh_log_level level,
    enum qssh_log_facility facility, bool to_stderr)
{
	size_t i;

	logst.progname = progname;
	logst.level = level;
	logst.to_stderr = to_stderr;
	for (i = 0; i < sizeof(fac_names) / sizeof(fac_names[0]); i++) {
		if (fac_names[i].fac == facility)
			logst.facility = fac_names[i].sys;
	}
}

void
qssh_log_set_level(enum qssh_log_level level)
{
	logst.level = level;
}

enum qssh_log_level
qssh_log_get_level(void)
{
	return logst.level;
}

int
qssh_log_set_file(const char *path)
{
	FILE *f;

	if ((f = fopen(path, "a")) == NULL)
		return QSSH_ERR_SYSTEM;
	setvbuf(f, NULL, _IOLBF, 0);
	if (logst.file != NULL)
		fclose(logst.file);
	logst.file = f;
	return 0;
}

void
qssh_log_set_suffix(const char *suffix)
{
	snprintf(logst.suffix, sizeof(logst.suffix), "%s",
	    suffix == NULL ? "" : suffix);
}

void
qssh_log_set_hook(qssh_log_hook_fn fn, void *ctx)
{
	logst.hook = fn;
	logst.hook_ctx = ctx;
}

bool
qssh_log_enabled(enum qssh_log_level level)
{
	return level != QSSH_LOG_QUIET && level <= logst.level;
}

static int
syslog_prio(enum qssh_log_level level)
{
	switch (level) {
	case QSSH_LOG_FATAL:
		return LOG_CRIT;
	case QSSH_LOG_ERROR:
		return LOG_ERR;
	case QSSH_LOG_INFO:
	case QSSH_LOG_VERBOSE:
		return LOG_INFO;
	default:
		return LOG_DEBUG;
	}
}

void
qssh_vlog(enum qssh_log_level level, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 80];
	const char *prefix = "";
	int saved = errno;
	size_t i;

	/* FATAL is always shown unless QUIET, as OpenSSH does. */
	if (logst.level == QSSH_LOG_QUIET ||
	    (level > logst.level && level != QSSH_LOG_FATAL))
		return;
	switch (level) {
	case QSSH_LOG_DEBUG1:
		prefix = "debug1: ";
		break;
	case QSSH_LOG_DEBUG2:
		prefix = "debug2: ";
		break;
	case QSSH_LOG_DEBUG3:
		prefix = "debug3: ";
		break;
	default:
		break;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Control characters from peers never reach a terminal or log. */
	for (i = 0; msg[i] != '\0'; i++) {
		if ((unsigned char)msg[i] < 0x20 && msg[i] != '\t')
			msg[i] = '?';
	}
	snprintf(line, sizeof(line), "%s%s%s", prefix, msg, logst.suffix);
	if (logst.hook != NULL)
		logst.hook(level, line, logst.hook_ctx);
	if (logst.file != NULL) {
		fprintf(logst.file, "%s\n", line);
	} else if (logst.to_stderr) {
		fprintf(stderr, "%s\r\n", line);
	} else {
		openlog(logst.progname, LOG_PID, logst.facility);
		syslog(syslog_prio(level), "%s", line);
		closelog();
	}
	errno = saved;
}

void
qssh_log(enum qssh_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	qssh_vlog(level, fmt, ap);
	va_end(ap);
}
