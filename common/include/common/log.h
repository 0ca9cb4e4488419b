/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Logging with OpenSSH's levels.  Lines go to stderr, a file or syslog.
 * Debug lines carry OpenSSH's "debugN: " prefix; others are printed as is,
 * because their text is an interface (fail2ban parses it).
 */
#ifndef QSSH_COMMON_LOG_H
#define QSSH_COMMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum qssh_log_level {
	QSSH_LOG_QUIET = 0,
	QSSH_LOG_FATAL,
	QSSH_LOG_ERROR,
	QSSH_LOG_INFO,
	QSSH_LOG_VERBOSE,
	QSSH_LOG_DEBUG1,
	QSSH_LOG_DEBUG2,
	QSSH_LOG_DEBUG3,
};

enum qssh_log_facility {
	QSSH_LOG_FAC_DAEMON = 0,
	QSSH_LOG_FAC_USER,
	QSSH_LOG_FAC_AUTH,
	QSSH_LOG_FAC_AUTHPRIV,
	QSSH_LOG_FAC_LOCAL0,
	QSSH_LOG_FAC_LOCAL1,
	QSSH_LOG_FAC_LOCAL2,
	QSSH_LOG_FAC_LOCAL3,
	QSSH_LOG_FAC_LOCAL4,
	QSSH_LOG_FAC_LOCAL5,
	QSSH_LOG_FAC_LOCAL6,
	QSSH_LOG_FAC_LOCAL7,
};

typedef void (*qssh_log_hook_fn)(
    enum qssh_log_level level, const char *line, void *ctx);

/* progname is used for syslog; to_stderr false means syslog. */
void qssh_log_init(const char *progname, enum qssh_log_level level,
    enum qssh_log_facility facility, bool to_stderr);
void qssh_log_set_level(enum qssh_log_level level);
enum qssh_log_level qssh_log_get_level(void);
/* Append lines to a file instead (sshd -E); 0 or QSSH_ERR_SYSTEM. */
int qssh_log_set_file(const char *path);
/* Suffix appended to each line, e.g. " [preauth]"; NULL clears. */
void qssh_log_set_suffix(const char *suffix);
/* Every emitted line is also passed to hook (tests, monitor forwarding). */
void qssh_log_set_hook(qssh_log_hook_fn fn, void *ctx);
bool qssh_log_enabled(enum qssh_log_level level);

/* Names as in LogLevel / SyslogFacility; -1 if unknown. */
int qssh_log_level_from_name(const char *name);
const char *qssh_log_level_name(enum qssh_log_level level);
int qssh_log_facility_from_name(const char *name);
const char *qssh_log_facility_name(enum qssh_log_facility fac);

void qssh_log(enum qssh_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void qssh_vlog(enum qssh_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define qlog_fatal(...) qssh_log(QSSH_LOG_FATAL, __VA_ARGS__)
#define qlog_error(...) qssh_log(QSSH_LOG_ERROR, __VA_ARGS__)
#define qlog_info(...) qssh_log(QSSH_LOG_INFO, __VA_ARGS__)
#define qlog_verbose(...) qssh_log(QSSH_LOG_VERBOSE, __VA_ARGS__)
#define qlog_debug(...) qssh_log(QSSH_LOG_DEBUG1, __VA_ARGS__)
#define qlog_debug2(...) qssh_log(QSSH_LOG_DEBUG2, __VA_ARGS__)
#define qlog_debug3(...) qssh_log(QSSH_LOG_DEBUG3, __VA_ARGS__)

#endif
