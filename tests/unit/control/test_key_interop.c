/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Interop with OpenSSH's ssh-keygen: keys it writes load here with the same
 * public key, fingerprints and randomart; keys written here load in
 * ssh-keygen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "control/key.h"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/qssh-keyio-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs a shell command and returns its stdout (heap, NUL-terminated). */
static char *
run(const char *fmt, ...)
{
	char cmd[1024], *out = NULL;
	size_t len = 0, n;
	char chunk[512];
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0) {
		out = realloc(out, len + n + 1);
		memcpy(out + len, chunk, n);
		len += n;
	}
	if (out == NULL)
		out = calloc(1, 1);
	out[len] = '\0';
	if (pclose(p) != 0)
		fail_msg("command failed: %s", cmd);
	return out;
}

static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Word `idx` (0-based, space separated) of s as a fresh string. */
static char *
word(const char *s, int idx)
{
	const char *p = s, *e;

	while (idx-- > 0) {
		p = strchr(p, ' ');
		assert_non_null(p);
		p++;
	}
	e = p + strcspn(p, " \n");
	return strndup(p, (size_t)(e - p));
}

struct gen_case {
	const char *args; /* ssh-keygen -t/-b */
	const char *fmt; /* -m argument or NULL */
	const char *pass; /* NULL: none */
};

static const struct gen_case gen_cases[] = {
	{ "-t ed25519", NULL, NULL },
	{ "-t ed25519", NULL, "pass phrase" },
	{ "-t ecdsa -b 256", NULL, NULL },
	{ "-t ecdsa -b 384", NULL, "pword" },
	{ "-t ecdsa -b 521", NULL, NULL },
	{ "-t rsa -b 2048", NULL, NULL },
	{ "-t rsa -b 2048", NULL, "pword" },
	{ "-t rsa -b 1024", "PEM", NULL },
	{ "-t rsa -b 1024", "PEM", "pword" },
	{ "-t ecdsa -b 256", "PEM", NULL },
	{ "-t ecdsa -b 384", "PEM", "pword" },
	{ "-t ecdsa -b 521", "PKCS8", NULL },
	{ "-t rsa -b 1024", "PKCS8", "pword" },
	{ "-t ed25519", "PKCS8", NULL },
};

static void
test_load_ssh_keygen_keys(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(gen_cases); i++) {
		const struct gen_case *c = &gen_cases[i];
		char path[128], pubpath[160], *out, *pubtext, *fp, *ra;
		char *mine = NULL, *cmt = NULL, *ours = NULL;
		struct key *k = NULL, *pub = NULL;
		struct qssh_buf *sig = qssh_buf_new();
		int r;

		snprintf(path, sizeof(path), "%s/gen%zu", tmpdir, i);
		snprintf(pubpath, sizeof(pubpath), "%s.pub", path);
		out = run("ssh-keygen -q %s %s%s -C 'c %zu' -N '%s' -f %s "
			  "</dev/null 2>&1",
		    c->args, c->fmt ? "-m " : "", c->fmt ? c->fmt : "", i,
		    c->pass ? c->pass : "", path);
		free(out);
		r = key_load_private(path, c->pass, true, &k, &cmt);
		if (r != 0)
			fail_msg("case %zu (%s %s): %s", i, c->args,
			    c->fmt ? c->fmt : "openssh", qssh_errname(r));
		if (c->fmt == NULL) {
			char expect[16];

			snprintf(expect, sizeof(expect), "c %zu", i);
			assert_string_equal(cmt, expect);
		}
		if (c->pass != NULL) {
			struct key *x = NULL;

			assert_int_equal(
			    key_load_private(path, "nope", true, &x, NULL),
			    QSSH_ERR_KEY_WRONG_PASSPHRASE);
			assert_int_equal(
			    key_load_private(path, NULL, true, &x, NULL),
			    QSSH_ERR_KEY_WRONG_PASSPHRASE);
		}
		/* Same public key as the .pub ssh-keygen wrote. */
		pubtext = read_text(pubpath);
		chomp(pubtext);
		assert_int_equal(key_load_public(pubpath, &pub, NULL), 0);
		assert_true(key_equal_public(k, pub));
		assert_int_equal(
		    key_format_public(
			k, strchr(strchr(pubtext, ' ') + 1, ' ') + 1, &mine),
		    0);
		assert_string_equal(mine, pubtext);
		/* Fingerprints: "bits SHA256:... comment (TYPE)". */
		out = run("ssh-keygen -l -f %s", pubpath);
		fp = word(out, 1);
		assert_int_equal(key_fingerprint(k, KEY_FP_SHA256, &ours), 0);
		assert_string_equal(ours, fp);
		free(ours);
		free(fp);
		fp = word(out, 0);
		assert_int_equal((unsigned)atoi(fp), key_bits(k));
		free(fp);
		free(out);
		out = run("ssh-keygen -l -E md5 -f %s", pubpath);
		fp = word(out, 1);
		assert_int_equal(key_fingerprint(k, KEY_FP_MD5, &ours), 0);
		assert_string_equal(ours, fp);
		free(ours);
		free(fp);
		free(out);
		/* Randomart: everything after the fingerprint line. */
		out = run("ssh-keygen -lv -f %s", pubpath);
		chomp(out);
		assert_int_equal(key_randomart(k, KEY_FP_SHA256, &ra), 0);
		assert_string_equal(ra, strchr(out, '\n') + 1);
		free(ra);
		free(out);
		out = run("ssh-keygen -lv -E md5 -f %s", pubpath);
		chomp(out);
		assert_int_equal(key_randomart(k, KEY_FP_MD5, &ra), 0);
		assert_string_equal(ra, strchr(out, '\n') + 1);
		free(ra);
		free(out);
		/* RFC 4716 export by ssh-keygen. */
		out = run("ssh-keygen -e -f %s > %s.rfc", pubpath, path);
		free(out);
		{
			char rfc[160];
			struct key *x = NULL;

			snprintf(rfc, sizeof(rfc), "%s.rfc", path);
			assert_int_equal(key_load_public(rfc, &x, NULL), 0);
			assert_true(key_equal_public(k, x));
			key_free(x);
		}
		/* The loaded private key signs; its public half verifies. */
		assert_int_equal(
		    key_sign(k, NULL, (const uint8_t *)"x", 1, sig), 0);
		assert_int_equal(
		    key_verify(pub, NULL, qssh_buf_ptr(sig), qssh_buf_len(sig),
			(const uint8_t *)"x", 1),
		    0);
		qssh_buf_free(sig);
		free(mine);
		free(cmt);
		free(pubtext);
		key_free(pub);
		key_free(k);
	}
}

/* Ed25519 in PKCS#8, which ssh-keygen does not write, from openssl(1). */
static void
test_load_openssl_ed25519(void **state)
{
	char path[128], *out;
	struct key *k = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/ossl-ed25519", tmpdir);
	out = run("openssl genpkey -algorithm ed25519 -out %s && chmod 600 %s",
	    path, path);
	free(out);
	assert_int_equal(key_load_private(path, NULL, true, &k, NULL), 0);
	assert_int_equal(key_get_type(k), KEY_ED25519);
	key_free(k);
	out = run("openssl pkcs8 -topk8 -in %s -passout pass:pword -v2 aes256 "
		  "-out %s.enc && chmod 600 %s.enc",
	    path, path, path);
	free(out);
	snprintf(path + strlen(path), 8, ".enc");
	assert_int_equal(key_load_private(path, "pword", true, &k, NULL), 0);
	key_free(k);
	assert_int_equal(key_load_private(path, "x", true, &k, NULL),
	    QSSH_ERR_KEY_WRONG_PASSPHRASE);
}

static const struct {
	enum key_type type;
	unsigned bits;
	enum key_format fmt;
	const char *pass;
} save_cases[] = {
	{ KEY_ED25519, 0, KEY_FORMAT_OPENSSH, NULL },
	{ KEY_ED25519, 0, KEY_FORMAT_OPENSSH, "secret" },
	{ KEY_ECDSA_P256, 0, KEY_FORMAT_OPENSSH, "secret" },
	{ KEY_ECDSA_P384, 0, KEY_FORMAT_OPENSSH, NULL },
	{ KEY_ECDSA_P521, 0, KEY_FORMAT_OPENSSH, "secret" },
	{ KEY_RSA, 2048, KEY_FORMAT_OPENSSH, NULL },
	{ KEY_RSA, 2048, KEY_FORMAT_OPENSSH, "secret" },
	{ KEY_RSA, 2048, KEY_FORMAT_PEM, "secret" },
	{ KEY_ECDSA_P256, 0, KEY_FORMAT_PEM, NULL },
	{ KEY_ECDSA_P384, 0, KEY_FORMAT_PKCS8, "secret" },
	{ KEY_ED25519, 0, KEY_FORMAT_PKCS8, NULL },
};

static void
test_ssh_keygen_reads_ours(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < QSSH_ARRAY_LEN(save_cases); i++) {
		char path[128], *out, *mine = NULL;
		struct key *k = NULL;

		assert_int_equal(
		    key_generate(save_cases[i].type, save_cases[i].bits, &k),
		    0);
		snprintf(path, sizeof(path), "%s/save%zu", tmpdir, i);
		assert_int_equal(key_save_private(k, path, save_cases[i].pass,
				     "saved", save_cases[i].fmt, 4),
		    0);
		out = run("ssh-keygen -y -P '%s' -f %s 2>&1",
		    save_cases[i].pass ? save_cases[i].pass : "", path);
		chomp(out);
		assert_int_equal(key_format_public(k, NULL, &mine), 0);
		/* ssh-keygen -y may append the comment. */
		assert_int_equal(strncmp(out, mine, strlen(mine)), 0);
		free(out);
		free(mine);
		/* ssh-keygen -i reads our RFC 4716 export. */
		if (i == 0 || i == 5) {
			char *rfc = NULL, rpath[160];
			FILE *f;

			assert_int_equal(
			    key_format_rfc4716(k, "exported", &rfc), 0);
			snprintf(rpath, sizeof(rpath), "%s.rfc", path);
			f = fopen(rpath, "w");
			fputs(rfc, f);
			fclose(f);
			out = run("ssh-keygen -i -f %s", rpath);
			chomp(out);
			assert_int_equal(key_format_public(k, NULL, &mine), 0);
			assert_string_equal(out, mine);
			free(mine);
			free(out);
			free(rfc);
		}
		key_free(k);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_ssh_keygen_keys),
		cmocka_unit_test(test_ssh_keygen_reads_ours),
		cmocka_unit_test(test_load_openssl_ed25519),
	};

	if (system("ssh-keygen -? >/dev/null 2>&1") == 127) {
		fprintf(stderr, "ssh-keygen not installed: skipped\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
