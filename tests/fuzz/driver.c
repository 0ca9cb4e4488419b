/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Stand-alone driver for fuzz targets when libFuzzer is not used: runs every
 * file of the corpus directory given as argv[1], then QSSH_FUZZ_RUNS
 * (default 20000) deterministic mutations of them (bit flips, truncation,
 * length-field smashing, splicing).  A crash or sanitizer report fails the
 * test; there is nothing else to check.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEDS 256
#define FUZZ_INPUT_MAX (64 * 1024)

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static size_t
load(const char *path, uint8_t **out)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	size_t n;

	*out = NULL;
	if (f == NULL)
		return 0;
	if ((b = malloc(FUZZ_INPUT_MAX)) == NULL) {
		fclose(f);
		return 0;
	}
	n = fread(b, 1, FUZZ_INPUT_MAX, f);
	fclose(f);
	*out = b;
	return n;
}

int
main(int argc, char **argv)
{
	uint8_t *seeds[MAX_SEEDS], *buf;
	size_t lens[MAX_SEEDS], nseeds = 0, i, len, pos;
	const char *e = getenv("QSSH_FUZZ_RUNS");
	long runs = e != NULL ? atol(e) : 20000, r;
	char path[4096];
	struct dirent *de;
	DIR *d;

	if (argc > 1 && (d = opendir(argv[1])) != NULL) {
		while ((de = readdir(d)) != NULL && nseeds < MAX_SEEDS) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(
			    path, sizeof(path), "%s/%s", argv[1], de->d_name);
			lens[nseeds] = load(path, &seeds[nseeds]);
			if (seeds[nseeds] != NULL)
				nseeds++;
		}
		closedir(d);
	}
	for (i = 0; i < nseeds; i++)
		LLVMFuzzerTestOneInput(seeds[i], lens[i]);
	if ((buf = malloc(FUZZ_INPUT_MAX)) == NULL)
		return 1;
	for (r = 0; r < runs; r++) {
		if (nseeds > 0 && next() % 8 != 0) {
			i = next() % nseeds;
			len = lens[i];
			memcpy(buf, seeds[i], len);
		} else {
			len = next() % 512;
			for (pos = 0; pos < len; pos++)
				buf[pos] = (uint8_t)next();
		}
		switch (next() % 5) {
		case 0: /* bit flips */
			for (pos = 0; len > 0 && pos < 1 + next() % 8; pos++)
				buf[next() % len] ^=
				    (uint8_t)(1u << (next() % 8));
			break;
		case 1: /* truncate */
			if (len > 0)
				len = next() % len;
			break;
		case 2: /* smash a 32-bit big-endian length */
			if (len >= 4) {
				pos = next() % (len - 3);
				buf[pos] = (uint8_t)(next() % 2 ? 0xff : 0);
				buf[pos + 1] = (uint8_t)next();
				buf[pos + 2] = (uint8_t)next();
				buf[pos + 3] = (uint8_t)next();
			}
			break;
		case 3: /* splice another seed's tail */
			if (nseeds > 1 && len > 0) {
				size_t j = next() % nseeds, from, n;

				pos = next() % len;
				if (lens[j] == 0)
					break;
				from = next() % lens[j];
				n = lens[j] - from;
				if (n > FUZZ_INPUT_MAX - pos)
					n = FUZZ_INPUT_MAX - pos;
				memcpy(buf + pos, seeds[j] + from, n);
				len = pos + n;
			}
			break;
		default: /* random bytes */
			for (pos = 0; len > 0 && pos < 1 + next() % 16; pos++)
				buf[next() % len] = (uint8_t)next();
			break;
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	free(buf);
	for (i = 0; i < nseeds; i++)
		free(seeds[i]);
	printf(
	    "fuzz driver: %zu seeds, %ld mutations, no crash\n", nseeds, runs);
	return 0;
}
