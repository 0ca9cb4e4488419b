/* SPDX-License-Identifier: BSD-2-Clause */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/match.h"

#define PATTERN_MAX 1024

bool
match_pattern(const char *s, const char *p)
{
	const char *star_p = NULL, *star_s = NULL;

	/* Iterative glob with single backtrack point: linear-ish, no recursion. */
	for (;;) {
		if (*p == '\0') {
			if (*s == '\0')
				return true;
		} else if (*p == '*') {
			star_p = ++p;
			star_s = s;
			continue;
		} else if (*s != '\0' && (*p == '?' || *p == *s)) {
			p++;
			s++;
			continue;
		}
		if (star_p == NULL || *star_s == '\0')
			return false;
		p = star_p;
		s = ++star_s;
	}
}

/* Next list element into buf; returns false at the end of the list. */
static bool
next_elem(const char **cursor, char *buf, size_t buflen, bool dolower)
{
	const char *c = *cursor, *e;
	size_t n, i;

	if (*c == '\0')
		return false;
	e = strchr(c, ',');
	n = e == NULL ? strlen(c) : (size_t)(e - c);
	*cursor = e == NULL ? c + n : e + 1;
	if (n >= buflen)
		n = buflen - 1; /* over-long patterns cannot match anything */
	for (i = 0; i < n; i++)
		buf[i] = dolower ? (char)tolower((unsigned char)c[i]) : c[i];
	buf[n] = '\0';
	return true;
}

int
match_pattern_list(const char *s, const char *list, bool dolower)
{
	char pat[PATTERN_MAX];
	const char *c = list;
	bool neg;
	int got = 0;

	if (s == NULL || list == NULL)
		return 0;
	while (next_elem(&c, pat, sizeof(pat), dolower)) {
		neg = pat[0] == '!';
		if (match_pattern(s, neg ? pat + 1 : pat)) {
			if (neg)
				return -1;
			got = 1;
		}
	}
	return got;
}

int
match_hostname(const char *host, const char *list)
{
	char low[PATTERN_MAX];
	size_t i;

	for (i = 0; host[i] != '\0' && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)host[i]);
	low[i] = '\0';
	return match_pattern_list(low, list, true);
}

int
match_host_and_ip(const char *host, const char *addr, const char *list)
{
	int mh, mi;

	/*
	 * The address is matched as an address list (CIDR blocks allowed); a
	 * malformed list refuses, like a negated match.
	 */
	if ((mi = addr == NULL ? 0 : match_addr_list(addr, list)) == -2 ||
	    mi == -1)
		return -1;
	if ((mh = host == NULL ? 0 : match_hostname(host, list)) == -1)
		return -1;
	return (mh == 1 || mi == 1) ? 1 : 0;
}

struct cidr {
	int family;
	uint8_t a[16];
	unsigned bits;
};

static int
cidr_parse(const char *s, struct cidr *c)
{
	char tmp[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long b;
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n + 1);
	memset(c, 0, sizeof(*c));
	if ((slash = strchr(tmp, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, tmp, c->a) == 1) {
		c->family = AF_INET;
		c->bits = 32;
	} else if (inet_pton(AF_INET6, tmp, c->a) == 1) {
		c->family = AF_INET6;
		c->bits = 128;
	} else {
		return -1;
	}
	if (slash != NULL) {
		if (*slash == '\0' || !isdigit((unsigned char)*slash))
			return -1;
		b = strtoul(slash, &end, 10);
		if (*end != '\0' || b > c->bits)
			return -1;
		c->bits = (unsigned)b;
	}
	return 0;
}

static bool
cidr_contains(const struct cidr *net, const struct cidr *host)
{
	unsigned i, full = net->bits / 8, rem = net->bits % 8;
	uint8_t mask;

	if (net->family != host->family)
		return false;
	for (i = 0; i < full; i++) {
		if (net->a[i] != host->a[i])
			return false;
	}
	if (rem != 0) {
		mask = (uint8_t)(0xff << (8 - rem));
		if ((net->a[full] & mask) != (host->a[full] & mask))
			return false;
	}
	return true;
}

/* A CIDR block whose host bits are set is an error, as in OpenSSH. */
static bool
cidr_host_bits_clear(const struct cidr *c)
{
	unsigned i, len = c->family == AF_INET ? 4 : 16;
	unsigned bit;

	for (i = 0; i < len * 8; i++) {
		if (i < c->bits)
			continue;
		bit = (c->a[i / 8] >> (7 - i % 8)) & 1;
		if (bit)
			return false;
	}
	return true;
}

int
match_addr_list(const char *addr, const char *list)
{
	char pat[PATTERN_MAX];
	const char *c = list;
	struct cidr host, net;
	bool neg, have_host;
	int got = 0;

	if (list == NULL)
		return 0;
	have_host = addr != NULL && cidr_parse(addr, &host) == 0 &&
	    strchr(addr, '/') == NULL;
	while (next_elem(&c, pat, sizeof(pat), false)) {
		const char *p;

		neg = pat[0] == '!';
		p = neg ? pat + 1 : pat;
		if (*p == '\0')
			return -2;
		if (strchr(p, '/') != NULL) {
			if (cidr_parse(p, &net) != 0 ||
			    !cidr_host_bits_clear(&net))
				return -2;
			if (!have_host || !cidr_contains(&net, &host))
				continue;
		} else if (addr == NULL || !match_pattern(addr, p)) {
			continue;
		}
		if (neg)
			return -1;
		got = 1;
	}
	return got;
}

int
match_cidr_list_valid(const char *list)
{
	char pat[PATTERN_MAX];
	const char *c = list;
	struct cidr net;

	while (next_elem(&c, pat, sizeof(pat), false)) {
		const char *p = pat[0] == '!' ? pat + 1 : pat;

		if (cidr_parse(p, &net) != 0 || !cidr_host_bits_clear(&net))
			return -2;
	}
	return 0;
}

int
match_user(
    const char *user, const char *host, const char *addr, const char *pattern)
{
	char buf[PATTERN_MAX], *at;
	size_t n = strlen(pattern);
	int r;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, pattern, n + 1);
	if ((at = strchr(buf, '@')) == NULL)
		return match_pattern(user, buf) ? 1 : 0;
	*at++ = '\0';
	if (!match_pattern(user, buf))
		return 0;
	/* Host part: an address/CIDR list when it parses as one. */
	if (match_cidr_list_valid(at) == 0) {
		r = match_addr_list(addr, at);
		return r == -2 ? -1 : (r == 1 ? 1 : 0);
	}
	return match_host_and_ip(host, addr, at) == 1 ? 1 : 0;
}
