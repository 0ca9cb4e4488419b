/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers for unit tests: a small JSON reader for test vectors, hex. */
#ifndef QSSH_TESTLIB_H
#define QSSH_TESTLIB_H

#include <stddef.h>
#include <stdint.h>

enum tj_type { TJ_NULL, TJ_BOOL, TJ_NUM, TJ_STR, TJ_ARR, TJ_OBJ };

struct tj {
	enum tj_type type;
	double num; /* TJ_NUM, TJ_BOOL (0/1) */
	char *str; /* TJ_STR */
	size_t n; /* TJ_ARR / TJ_OBJ element count */
	struct tj **items; /* elements / member values */
	char **keys; /* TJ_OBJ member names */
};

/* Parse a JSON file; NULL on error (message on stderr). */
struct tj *tj_parse_file(const char *path);
struct tj *tj_parse(const char *text, size_t len);
void tj_free(struct tj *v);
/* Member of an object, or NULL. */
const struct tj *tj_get(const struct tj *obj, const char *key);
/* Member string, or NULL if missing / not a string. */
const char *tj_str(const struct tj *obj, const char *key);
/* Member number, or dflt. */
double tj_num(const struct tj *obj, const char *key, double dflt);

/* Path of a vector file: $QSSH_TEST_VECTORS/name (static buffer). */
const char *test_vector_path(const char *name);
/* Hex string to fresh heap bytes (never NULL; 1 byte for empty); -1 bad. */
int test_unhex(const char *hex, uint8_t **out, size_t *len);

#endif
