/* SPDX-License-Identifier: BSD-2-Clause */
/* Core lists for worker pinning: "1,2", "0-3", "0,2-3". */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "dataplane/workers.h"

/* Read a decimal core number below WRK_CORES_MAX at s[*off]. */
static int
parse_num(const char *s, size_t *off, uint32_t *v)
{
	uint32_t n = 0;
	size_t i = *off;

	if (s[i] < '0' || s[i] > '9')
		return QSSH_ERR_INVALID_FORMAT;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		n = n * 10 + (uint32_t)(s[i] - '0');
		if (n >= WRK_CORES_MAX)
			return QSSH_ERR_INVALID_FORMAT;
	}
	*off = i;
	*v = n;
	return 0;
}

int
wrk_cores_parse(const char *s, uint32_t *cores, uint32_t max, uint32_t *num)
{
	bool seen[WRK_CORES_MAX];
	uint32_t lo, hi, c, n = 0;
	size_t off = 0;
	int r;

	if (s == NULL || num == NULL || (cores == NULL && max > 0))
		return QSSH_ERR_INVALID_ARGUMENT;
	*num = 0;
	memset(seen, 0, sizeof(seen));
	for (;;) {
		while (s[off] == ' ')
			off++;
		if ((r = parse_num(s, &off, &lo)) != 0)
			return r;
		hi = lo;
		if (s[off] == '-') {
			off++;
			if ((r = parse_num(s, &off, &hi)) != 0)
				return r;
			if (hi < lo)
				return QSSH_ERR_INVALID_FORMAT;
		}
		for (c = lo; c <= hi; c++)
			seen[c] = true;
		while (s[off] == ' ')
			off++;
		if (s[off] == '\0')
			break;
		if (s[off] != ',')
			return QSSH_ERR_INVALID_FORMAT;
		off++;
	}
	for (c = 0; c < WRK_CORES_MAX; c++) {
		if (!seen[c])
			continue;
		if (n == max)
			return QSSH_ERR_NO_BUFFER_SPACE;
		cores[n++] = c;
	}
	*num = n;
	return 0;
}
