/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * authorized_keys files (sshd(8) AUTHORIZED_KEYS FILE FORMAT): one key per
 * line, optionally preceded by comma-separated options, followed by a
 * comment.  Also the "type base64" key field shared with known_hosts.
 *
 * Log lines mirror sshd's: "PATH:N: bad key options: REASON" (debug1),
 * "PATH:N: Authentication tried for USER with correct key but not from a
 * permitted host (host=H, ip=A, required=LIST)." (info), "Refused by key
 * options" (error), "Accepted key TYPE FP found at PATH:N" (verbose).
 */
#ifndef QSSH_CONTROL_AUTHKEYS_H
#define QSSH_CONTROL_AUTHKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct key;

/* Longest line read from a key list file; longer lines are skipped. */
#define AUTHKEYS_LINE_MAX (64 * 1024)
/* Largest key list file read. */
#define AUTHKEYS_FILE_MAX (16 * 1024 * 1024)
/* Caps on repeatable options per line. */
#define AUTHKEYS_ENV_MAX 1024
#define AUTHKEYS_PERMIT_MAX 1024
/* tunnel="any" */
#define AUTHKEYS_TUN_ANY 0x7fffffff
/* No tunnel= option. */
#define AUTHKEYS_TUN_NONE (-1)

/* A "type base64" key field. */
struct authkeys_keyfield {
	char *type; /* as written, e.g. "ssh-ed25519" */
	uint8_t *blob;
	size_t blob_len;
	/* Parsed key, NULL for types key_from_blob() does not handle. */
	struct key *key;
	bool is_cert; /* *-cert-v01@openssh.com */
};

/*
 * Whether name is a key type OpenSSH writes in key files (plain, security
 * key and certificate types).
 */
bool authkeys_type_known(const char *name);
/* Display name of a key type ("ED25519", "ECDSA", "RSA", "ED25519-SK"...). */
const char *authkeys_type_short(const char *name);
/*
 * Parse "type base64" at *cp (leading blanks skipped); on success *cp points
 * after the base64 field.  The blob's own type string must equal the
 * written type.  QSSH_ERR_KEY_TYPE_UNKNOWN if the first word is not a key
 * type, QSSH_ERR_INVALID_FORMAT for a bad blob.
 */
int authkeys_keyfield_parse(const char **cp, struct authkeys_keyfield *kf);
void authkeys_keyfield_cleanup(struct authkeys_keyfield *kf);
/* Whether the field holds the same public key as k (plain keys only). */
bool authkeys_keyfield_matches(
    const struct authkeys_keyfield *kf, const struct key *k);

/* Options of one line; defaults permit everything (no restrictions). */
struct authkeys_opts {
	bool permit_port_forwarding;
	bool permit_agent_forwarding;
	bool permit_x11_forwarding;
	bool permit_pty;
	bool permit_user_rc;
	bool restricted; /* "restrict" was given */
	bool cert_authority;
	bool no_require_user_presence; /* no-touch-required */
	bool require_verify; /* verify-required */
	char *force_command; /* command= */
	char *required_from; /* from= pattern-list */
	char *principals; /* principals= */
	/* expiry-time=, seconds since the epoch; 0 = none (earliest kept). */
	uint64_t valid_before;
	int force_tun_device; /* AUTHKEYS_TUN_NONE, AUTHKEYS_TUN_ANY or n */
	char **env; /* "NAME=value"; first of a name wins */
	size_t num_env;
	char **permitopen; /* "host:port" as written */
	size_t num_permitopen;
	char **permitlisten; /* "host:port"; a bare port becomes "*:port" */
	size_t num_permitlisten;
};

void authkeys_opts_init(struct authkeys_opts *o);
void authkeys_opts_cleanup(struct authkeys_opts *o);
/*
 * Parse an options string ("no-pty,command=\"x\"") up to the first blank
 * outside quotes; *endp (if not NULL) gets where parsing stopped.  On error
 * returns QSSH_ERR_INVALID_FORMAT and sets *reason to sshd's wording
 * ("unknown key option", "missing end quote", ...); o is then cleaned up.
 */
int authkeys_opts_parse(const char *s, struct authkeys_opts *o,
    const char **endp, const char **reason);
/*
 * Parse the value of expiry-time= ("YYYYMMDD[HHMM[SS]][Z]", local time
 * unless Z) into seconds since the epoch.
 */
int authkeys_parse_time(const char *s, uint64_t *out);

/* One parsed line. */
struct authkeys_entry {
	struct authkeys_opts opts;
	struct authkeys_keyfield key;
	char *comment; /* NULL if none */
	size_t line; /* line number in the file (1-based), 0 if unknown */
};

void authkeys_entry_free(struct authkeys_entry *e);
/*
 * Parse one line (no newline).  Returns QSSH_ERR_NOT_FOUND for blank and
 * comment lines, QSSH_ERR_INVALID_FORMAT (with *reason set) for bad
 * options, QSSH_ERR_KEY_TYPE_UNKNOWN / QSSH_ERR_INVALID_FORMAT when there is
 * no key.  reason may be NULL.
 */
int authkeys_parse_line(
    const char *line, struct authkeys_entry **out, const char **reason);

/* Who is connecting, for from= and expiry-time=. */
struct authkeys_query {
	const char *user;
	const char *remote_host; /* reverse-resolved name, or the address */
	const char *remote_ip;
	time_t now; /* 0 = current time */
};

/*
 * Scan an authorized_keys file for key: the first line holding key whose
 * options parse and allow this connection wins (as sshd: a line refused by
 * from=, expiry-time= or principals= is logged and the scan goes on).
 * *out gets that line; QSSH_ERR_KEY_NOT_FOUND if no line accepts the key.
 * A missing file is QSSH_ERR_KEY_NOT_FOUND too.
 */
int authkeys_check_file(const char *path, const struct authkeys_query *q,
    const struct key *key, struct authkeys_entry **out);
/* Same over a buffer; name is used in messages. */
int authkeys_check_buf(const char *name, const uint8_t *data, size_t len,
    const struct authkeys_query *q, const struct key *key,
    struct authkeys_entry **out);

/*
 * Read a whole key list file (at most AUTHKEYS_FILE_MAX bytes) into a
 * NUL-terminated heap buffer.  QSSH_ERR_NOT_FOUND if it does not exist.
 */
int authkeys_read_file(const char *path, char **data, size_t *len);
/*
 * Line iterator over a buffer: returns the next line (NUL-terminated copy in
 * *line, trailing CR removed) and its number, false at the end.  Lines
 * longer than AUTHKEYS_LINE_MAX or holding NUL bytes are returned with
 * *line NULL and *bad set so that the caller can log and skip them.
 */
struct authkeys_lines {
	const uint8_t *p;
	size_t len;
	size_t off;
	size_t lineno;
	char *cur;
};
void
authkeys_lines_init(struct authkeys_lines *it, const uint8_t *data, size_t len);
bool authkeys_lines_next(
    struct authkeys_lines *it, const char **line, size_t *lineno, bool *bad);
void authkeys_lines_cleanup(struct authkeys_lines *it);

#endif
