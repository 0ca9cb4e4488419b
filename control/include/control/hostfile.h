/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * known_hosts files (sshd(8) SSH_KNOWN_HOSTS FILE FORMAT): lookups, adding
 * hosts, ssh-keygen -R / -H style editing, and the texts ssh(1) prints
 * about host keys.
 *
 * Lines: "[@cert-authority|@revoked] patterns keytype base64 [comment]".
 * Patterns are comma lists with wildcards and negation, "[host]:port" for
 * ports other than 22, or one hashed name "|1|base64(salt)|base64(HMAC-SHA1
 * (salt, name))".
 */
#ifndef QSSH_CONTROL_HOSTFILE_H
#define QSSH_CONTROL_HOSTFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "control/authkeys.h"

struct key;

enum hostfile_marker {
	HOSTFILE_MARKER_NONE = 0,
	HOSTFILE_MARKER_CA, /* @cert-authority */
	HOSTFILE_MARKER_REVOKED, /* @revoked */
};

struct hostfile_entry {
	char *file;
	size_t line;
	enum hostfile_marker marker;
	char *hosts; /* host field as written */
	bool hashed;
	struct authkeys_keyfield key;
	char *comment; /* NULL if none */
};

/*
 * Parse one line (no newline).  QSSH_ERR_NOT_FOUND for blank and comment
 * lines, QSSH_ERR_INVALID_FORMAT (or a key error) for malformed ones.
 */
int hostfile_parse_line(const char *line, struct hostfile_entry **out);
void hostfile_entry_free(struct hostfile_entry *e);
/* Whether the entry's host field matches name (already "[host]:port"). */
bool hostfile_entry_matches(const struct hostfile_entry *e, const char *name);

/*
 * The name looked up for host and port: lower-cased host, or
 * "[host]:port" when port is neither 0 nor 22.  Heap string.
 */
int hostfile_host_name(const char *host, unsigned port, char **out);

enum hostfile_status {
	HOSTFILE_OK = 0, /* host known with this key */
	HOSTFILE_NEW, /* host not known with a key of this type */
	HOSTFILE_CHANGED, /* host known with another key of this type */
	HOSTFILE_REVOKED, /* key is listed by an @revoked line */
};

struct hostfile_result {
	enum hostfile_status status;
	/* OK: the matching line. */
	const struct hostfile_entry *match;
	/*
	 * CHANGED: first line for the host with another key of the same
	 * type.  REVOKED: the @revoked line.  NEW with other_types_known:
	 * the first line for the host (ssh 9.2 names it as "Offending").
	 */
	const struct hostfile_entry *offending;
	/* NEW, but keys of other types are known for the host. */
	bool other_types_known;
	/* Every plain (unmarked) line for the host, in file order. */
	struct hostfile_entry **entries;
	size_t num_entries;
	/* @cert-authority lines for the host. */
	struct hostfile_entry **ca_entries;
	size_t num_ca_entries;
};

void hostfile_result_free(struct hostfile_result *res);
/*
 * Look key up for host:port in the files, in order.  Missing files are
 * skipped; malformed lines are skipped with a debug line naming file:line.
 */
int hostfile_check_host(const char *const *files, size_t num_files,
    const char *host, unsigned port, const struct key *key,
    struct hostfile_result **out);
/* Same over one buffer; name is used as the file name. */
int hostfile_check_host_buf(const char *name, const uint8_t *data, size_t len,
    const char *host, unsigned port, const struct key *key,
    struct hostfile_result **out);

/*
 * "|1|salt|hash" for name with a fresh random salt (salt NULL) or the given
 * 20-byte salt.
 */
int hostfile_hash_name(const char *name, const uint8_t *salt, char **out);
/* One known_hosts line (with newline) for host:port and key. */
int hostfile_format_line(const char *host, unsigned port, const struct key *key,
    bool hash, char **out);
/*
 * Append a line for host:port to path, creating the file (0600) and, if
 * missing, its directory (0700).
 */
int hostfile_add(const char *path, const char *host, unsigned port,
    const struct key *key, bool hash);
/*
 * ssh-keygen -R: remove every unmarked line matching name ("host" or
 * "[host]:port", hashed lines included), keeping the old file as
 * path.old.  *removed gets the count; 0 leaves the file untouched.  A file
 * with malformed lines is refused (QSSH_ERR_INVALID_FORMAT), as ssh-keygen
 * does.
 */
int hostfile_remove_host(const char *path, const char *name, size_t *removed);
/*
 * ssh-keygen -H: replace each plain line's names by one hashed line per
 * name, keeping path.old.  Lines with markers, wildcards or negations and
 * already hashed lines are kept as they are.
 */
int hostfile_hash_file(const char *path);

/*
 * Texts ssh(1) prints; heap strings with '\n' line ends.  host and ip are
 * the display names ("[h]:2222" for other ports).
 */
/* First contact, ending with the question (no newline). */
int hostfile_text_new_host(
    const char *host, const char *ip, const struct key *key, char **out);
/* "Warning: Permanently added 'HOST' (TYPE) to the list of known hosts.\n" */
int hostfile_text_added(const char *host, const struct key *key, char **out);
/*
 * The "REMOTE HOST IDENTIFICATION HAS CHANGED" block for key, naming the
 * offending line and user_file (where ssh would add keys); with strict, the
 * two closing lines "Host key for HOST has changed and you have requested
 * strict checking." and "Host key verification failed.".
 */
int hostfile_text_changed(const char *host, const struct key *key,
    const struct hostfile_entry *offending, const char *user_file, bool strict,
    char **out);

#endif
