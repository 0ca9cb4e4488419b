/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pattern matching as OpenSSH's configuration files use it (ssh_config(5)
 * and sshd_config(5) PATTERNS): '*' and '?' wildcards, comma-separated
 * lists, '!' negation, and address lists with CIDR masks.
 *
 * List results: 1 = a positive pattern matched, 0 = nothing matched,
 * -1 = a negated pattern matched (which overrides any positive match).
 */
#ifndef QSSH_CONTROL_MATCH_H
#define QSSH_CONTROL_MATCH_H

#include <stdbool.h>

/* One wildcard pattern against s (case-sensitive). */
bool match_pattern(const char *s, const char *pattern);
/* Comma list of patterns; fold case of the patterns when dolower. */
int match_pattern_list(const char *s, const char *list, bool dolower);
/* Host names are matched case-insensitively. */
int match_hostname(const char *host, const char *list);
/* Host name or its address (either may match; negations of either win). */
int match_host_and_ip(const char *host, const char *addr, const char *list);
/*
 * AllowUsers/DenyUsers style "user" or "user@host" pattern (host part may
 * be a name pattern or an address/CIDR); 1 or 0, -1 on a bad pattern.
 */
int match_user(
    const char *user, const char *host, const char *addr, const char *pattern);
/*
 * Address against a list of addresses, wildcard patterns or CIDR blocks
 * ("192.0.2.0/24,!192.0.2.7,2001:db8::/32").  -2 if the list is invalid.
 */
int match_addr_list(const char *addr, const char *list);
/* Whether a CIDR list is well formed (for config checking); -2 if not. */
int match_cidr_list_valid(const char *list);

#endif
