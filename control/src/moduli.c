/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * moduli(5) files for the Diffie-Hellman group exchange server (RFC 4419).
 * Each line: time type tests tries size generator modulus, with size being
 * the modulus bit length minus one and the modulus in hex.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/kex.h"
#include "kex_int.h"

#define MODULI_TYPE_SAFE 2
#define MODULI_TESTS_COMPOSITE 0x01
#define MODULI_LINE_MAX 8192
#define MODULI_FIELDS 7

void
kex_dh_group_cleanup(struct kex_dh_group *g)
{
	if (g == NULL)
		return;
	free(g->p);
	memset(g, 0, sizeof(*g));
}

static int
parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return QSSH_ERR_INVALID_FORMAT;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return QSSH_ERR_INVALID_FORMAT;
	*out = v;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Bit length of a big-endian magnitude. */
static unsigned
be_bits(const uint8_t *p, size_t len)
{
	size_t i;
	unsigned b;
	uint8_t v;

	for (i = 0; i < len && p[i] == 0; i++)
		;
	if (i == len)
		return 0;
	b = (unsigned)((len - i - 1) * 8);
	for (v = p[i]; v != 0; v >>= 1)
		b++;
	return b;
}

int
kex_moduli_parse_line(const char *line, struct kex_dh_group *out)
{
	char buf[MODULI_LINE_MAX];
	char *fields[MODULI_FIELDS], *save = NULL, *tok;
	unsigned long type, tests, tries, size, gen, v;
	uint8_t *p = NULL;
	size_t hexlen, plen = 0, i, n = 0;
	int r = QSSH_ERR_INVALID_FORMAT, hi, lo;

	memset(out, 0, sizeof(*out));
	if (strlen(line) >= sizeof(buf))
		return QSSH_ERR_INVALID_FORMAT;
	strcpy(buf, line);
	buf[strcspn(buf, "#\r\n")] = '\0';
	for (tok = strtok_r(buf, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (n == MODULI_FIELDS)
			return QSSH_ERR_INVALID_FORMAT;
		fields[n++] = tok;
	}
	if (n == 0)
		return QSSH_ERR_NOT_FOUND;
	if (n != MODULI_FIELDS)
		return QSSH_ERR_INVALID_FORMAT;
	if ((r = parse_ulong(fields[0], ~0UL, &v)) != 0 ||
	    (r = parse_ulong(fields[1], 255, &type)) != 0 ||
	    (r = parse_ulong(fields[2], 255, &tests)) != 0 ||
	    (r = parse_ulong(fields[3], 0xffffffffUL, &tries)) != 0 ||
	    (r = parse_ulong(fields[4], 16384, &size)) != 0 ||
	    (r = parse_ulong(fields[5], 0xffffffffUL, &gen)) != 0)
		return r;
	/* Only tested safe primes are usable. */
	if (type != MODULI_TYPE_SAFE || tests == 0 ||
	    (tests & MODULI_TESTS_COMPOSITE) != 0 || tries == 0 || gen < 2 ||
	    size < 1023)
		return QSSH_ERR_INVALID_FORMAT;
	hexlen = strlen(fields[6]);
	if (hexlen == 0 || hexlen > 2 * (16384 / 8))
		return QSSH_ERR_INVALID_FORMAT;
	plen = (hexlen + 1) / 2;
	if ((p = calloc(1, plen)) == NULL)
		return QSSH_ERR_ALLOC;
	for (i = 0; i < hexlen; i++) {
		if ((hi = hexval(fields[6][i])) < 0) {
			r = QSSH_ERR_INVALID_FORMAT;
			goto out;
		}
		/* Right-align an odd number of digits. */
		lo = (int)((hexlen - 1 - i) / 2);
		p[plen - 1 - (size_t)lo] |=
		    (uint8_t)(((hexlen - 1 - i) % 2) ? (hi << 4) : hi);
	}
	if (be_bits(p, plen) != size + 1 || (p[plen - 1] & 1) == 0) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	out->p = p;
	out->p_len = plen;
	out->g = (uint32_t)gen;
	out->bits = (unsigned)(size + 1);
	p = NULL;
	r = 0;
out:
	free(p);
	return r;
}

/* Whether a group of size bits fits the request better than best. */
static bool
better_fit(unsigned bits, unsigned best, uint32_t want)
{
	if (best == 0)
		return true;
	if (bits >= want && best < want)
		return true;
	if (bits >= want && best >= want)
		return bits < best;
	if (bits < want && best < want)
		return bits > best;
	return false;
}

static int
builtin_choose(
    uint32_t min, uint32_t want, uint32_t max, struct kex_dh_group *out)
{
	static const unsigned sizes[] = { 2048, 4096, 8192 };
	unsigned best = 0;
	size_t i;
	int r;

	for (i = 0; i < QSSH_ARRAY_LEN(sizes); i++) {
		if (sizes[i] < min || sizes[i] > max)
			continue;
		if (better_fit(sizes[i], best, want))
			best = sizes[i];
	}
	if (best == 0)
		return QSSH_ERR_NO_MATCH;
	if ((r = kex_dh_builtin_prime(best, &out->p, &out->p_len)) != 0)
		return r;
	out->g = 2;
	out->bits = best;
	return 0;
}

/* The group chosen so far among the lines seen. */
struct moduli_pick {
	struct kex_dh_group best;
	uint32_t count; /* groups seen of best's size */
};

static void
pick_line(struct moduli_pick *pk, const char *line, const char *name,
    unsigned long lineno, uint32_t min, uint32_t want, uint32_t max)
{
	struct kex_dh_group cur;
	int r;

	r = kex_moduli_parse_line(line, &cur);
	if (r == QSSH_ERR_NOT_FOUND)
		return;
	if (r != 0) {
		qlog_debug2("%s:%lu: bad moduli line", name, lineno);
		return;
	}
	if (cur.bits < min || cur.bits > max) {
		kex_dh_group_cleanup(&cur);
		return;
	}
	if (cur.bits == pk->best.bits) {
		/* Reservoir sampling among equally good groups. */
		pk->count++;
		if (qssh_random_uniform(pk->count) == 0) {
			kex_dh_group_cleanup(&pk->best);
			pk->best = cur;
		} else
			kex_dh_group_cleanup(&cur);
	} else if (better_fit(cur.bits, pk->best.bits, want)) {
		kex_dh_group_cleanup(&pk->best);
		pk->best = cur;
		pk->count = 1;
	} else
		kex_dh_group_cleanup(&cur);
}

static int
pick_finish(struct moduli_pick *pk, const char *name, uint32_t min,
    uint32_t want, uint32_t max, struct kex_dh_group *out)
{
	if (pk->best.bits != 0) {
		*out = pk->best;
		return 0;
	}
	qlog_info(
	    "WARNING: no suitable primes in %s, using fixed modulus", name);
	return builtin_choose(min, want, max, out);
}

int
kex_moduli_choose(const char *path, uint32_t min, uint32_t want, uint32_t max,
    struct kex_dh_group *out)
{
	struct moduli_pick pk;
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;

	memset(out, 0, sizeof(*out));
	memset(&pk, 0, sizeof(pk));
	if (min > want || want > max)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (path == NULL)
		path = KEX_MODULI_PATH;
	if ((f = fopen(path, "r")) == NULL) {
		qlog_info(
		    "WARNING: could not open %s (%s), using fixed modulus",
		    path, strerror(errno));
		return builtin_choose(min, want, max, out);
	}
	while (getline(&line, &cap, f) != -1)
		pick_line(&pk, line, path, ++lineno, min, want, max);
	free(line);
	fclose(f);
	return pick_finish(&pk, path, min, want, max, out);
}

int
kex_moduli_choose_text(const char *text, size_t text_len, const char *name,
    uint32_t min, uint32_t want, uint32_t max, struct kex_dh_group *out)
{
	struct moduli_pick pk;
	char line[8192];
	size_t off = 0, ll;
	unsigned long lineno = 0;

	memset(out, 0, sizeof(*out));
	memset(&pk, 0, sizeof(pk));
	if (min > want || want > max || text == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (name == NULL)
		name = KEX_MODULI_PATH;
	while (off < text_len) {
		const char *nl = memchr(text + off, '\n', text_len - off);

		ll = nl == NULL ? text_len - off : (size_t)(nl - (text + off));
		/* A line longer than any group is no group. */
		if (ll < sizeof(line)) {
			memcpy(line, text + off, ll);
			line[ll] = '\0';
		} else
			line[0] = '\0';
		off += ll + (nl == NULL ? 0 : 1);
		pick_line(&pk, line, name, ++lineno, min, want, max);
	}
	return pick_finish(&pk, name, min, want, max, out);
}
