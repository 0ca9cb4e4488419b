/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

struct jp {
	const char *s;
	size_t len, pos;
	int err;
};

static struct tj *jp_value(struct jp *p, int depth);

static void
jp_ws(struct jp *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) != NULL)
		p->pos++;
}

static struct tj *
jp_new(enum tj_type t)
{
	struct tj *v = calloc(1, sizeof(*v));

	if (v == NULL)
		abort();
	v->type = t;
	return v;
}

static void
jp_push(struct tj *v, char *key, struct tj *item)
{
	v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
	if (v->items == NULL)
		abort();
	if (v->type == TJ_OBJ) {
		v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
		if (v->keys == NULL)
			abort();
		v->keys[v->n] = key;
	}
	v->items[v->n++] = item;
}

static char *
jp_string(struct jp *p)
{
	char *out;
	size_t o = 0;

	if (p->pos >= p->len || p->s[p->pos] != '"') {
		p->err = 1;
		return NULL;
	}
	p->pos++;
	if ((out = malloc(p->len - p->pos + 1)) == NULL)
		abort();
	while (p->pos < p->len && p->s[p->pos] != '"') {
		char c = p->s[p->pos++];

		if (c == '\\' && p->pos < p->len) {
			c = p->s[p->pos++];
			switch (c) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'u':
				/* Vectors only use \u for ASCII; keep '?'. */
				if (p->len - p->pos < 4) {
					p->err = 1;
					free(out);
					return NULL;
				}
				p->pos += 4;
				c = '?';
				break;
			default:
				break;
			}
		}
		out[o++] = c;
	}
	if (p->pos >= p->len) {
		p->err = 1;
		free(out);
		return NULL;
	}
	p->pos++;
	out[o] = '\0';
	return out;
}

static struct tj *
jp_value(struct jp *p, int depth)
{
	struct tj *v;
	char *key, *end;

	if (depth > 64) {
		p->err = 1;
		return NULL;
	}
	jp_ws(p);
	if (p->pos >= p->len) {
		p->err = 1;
		return NULL;
	}
	switch (p->s[p->pos]) {
	case '{':
		v = jp_new(TJ_OBJ);
		p->pos++;
		jp_ws(p);
		if (p->pos < p->len && p->s[p->pos] == '}') {
			p->pos++;
			return v;
		}
		for (;;) {
			jp_ws(p);
			if ((key = jp_string(p)) == NULL)
				break;
			jp_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				free(key);
				p->err = 1;
				break;
			}
			p->pos++;
			jp_push(v, key, jp_value(p, depth + 1));
			if (p->err)
				break;
			jp_ws(p);
			if (p->pos < p->len && p->s[p->pos] == ',') {
				p->pos++;
				continue;
			}
			if (p->pos < p->len && p->s[p->pos] == '}') {
				p->pos++;
				break;
			}
			p->err = 1;
			break;
		}
		return v;
	case '[':
		v = jp_new(TJ_ARR);
		p->pos++;
		jp_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ']') {
			p->pos++;
			return v;
		}
		for (;;) {
			jp_push(v, NULL, jp_value(p, depth + 1));
			if (p->err)
				break;
			jp_ws(p);
			if (p->pos < p->len && p->s[p->pos] == ',') {
				p->pos++;
				continue;
			}
			if (p->pos < p->len && p->s[p->pos] == ']') {
				p->pos++;
				break;
			}
			p->err = 1;
			break;
		}
		return v;
	case '"':
		v = jp_new(TJ_STR);
		v->str = jp_string(p);
		return v;
	case 't':
	case 'f':
	case 'n':
		if (p->len - p->pos >= 4 &&
		    strncmp(p->s + p->pos, "true", 4) == 0) {
			v = jp_new(TJ_BOOL);
			v->num = 1;
			p->pos += 4;
			return v;
		}
		if (p->len - p->pos >= 5 &&
		    strncmp(p->s + p->pos, "false", 5) == 0) {
			v = jp_new(TJ_BOOL);
			p->pos += 5;
			return v;
		}
		if (p->len - p->pos >= 4 &&
		    strncmp(p->s + p->pos, "null", 4) == 0) {
			p->pos += 4;
			return jp_new(TJ_NULL);
		}
		p->err = 1;
		return NULL;
	default:
		v = jp_new(TJ_NUM);
		v->num = strtod(p->s + p->pos, &end);
		if (end == p->s + p->pos)
			p->err = 1;
		p->pos = (size_t)(end - p->s);
		return v;
	}
}

struct tj *
tj_parse(const char *text, size_t len)
{
	struct jp p = { text, len, 0, 0 };
	struct tj *v = jp_value(&p, 0);

	if (p.err) {
		fprintf(stderr, "JSON parse error at offset %zu\n", p.pos);
		tj_free(v);
		return NULL;
	}
	return v;
}

struct tj *
tj_parse_file(const char *path)
{
	FILE *f;
	char *buf;
	long n;
	struct tj *v;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	v = tj_parse(buf, (size_t)n);
	free(buf);
	return v;
}

void
tj_free(struct tj *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		tj_free(v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

const struct tj *
tj_get(const struct tj *obj, const char *key)
{
	size_t i;

	if (obj == NULL || obj->type != TJ_OBJ)
		return NULL;
	for (i = 0; i < obj->n; i++) {
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	}
	return NULL;
}

const char *
tj_str(const struct tj *obj, const char *key)
{
	const struct tj *v = tj_get(obj, key);

	return (v != NULL && v->type == TJ_STR) ? v->str : NULL;
}

double
tj_num(const struct tj *obj, const char *key, double dflt)
{
	const struct tj *v = tj_get(obj, key);

	return (v != NULL && (v->type == TJ_NUM || v->type == TJ_BOOL)) ? v->num
									: dflt;
}

const char *
test_vector_path(const char *name)
{
	static char path[4096];
	const char *dir = getenv("QSSH_TEST_VECTORS");

	snprintf(path, sizeof(path), "%s/%s",
	    dir != NULL ? dir : "tests/vectors", name);
	return path;
}

static int
hv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
test_unhex(const char *hex, uint8_t **out, size_t *len)
{
	size_t n = strlen(hex), i;
	uint8_t *b;

	if (n % 2 != 0)
		return -1;
	if ((b = malloc(n / 2 + 1)) == NULL)
		abort();
	for (i = 0; i < n / 2; i++) {
		int h = hv(hex[2 * i]), l = hv(hex[2 * i + 1]);

		if (h < 0 || l < 0) {
			free(b);
			return -1;
		}
		b[i] = (uint8_t)((h << 4) | l);
	}
	*out = b;
	*len = n / 2;
	return 0;
}
