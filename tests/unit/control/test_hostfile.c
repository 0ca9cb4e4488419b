/* SPDX-License-Identifier: BSD-2-Clause */
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

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/authkeys.h"
#include "control/hostfile.h"
#include "control/key.h"

#define SSH_KEYGEN "/usr/bin/ssh-keygen"

static struct authkeys_keyfield k_ed, k_ec, k_other;
static char kh_plain[512], kh_hashed[512], tmpdir[64];
static char logbuf[8192];

static void
log_hook(enum qssh_log_level level, const char *line, void *ctx)
{
	size_t n = strlen(logbuf);

	(void)level;
	(void)ctx;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", line);
}

static char *
slurp(const char *path)
{
	char *data = NULL, *copy;
	size_t len;

	assert_int_equal(authkeys_read_file(path, &data, &len), 0);
	copy = strdup(data);
	assert_non_null(copy);
	free(data);
	return copy;
}

static void
load_key(const char *name, struct authkeys_keyfield *kf)
{
	char path[512], *text;
	const char *cp;

	snprintf(
	    path, sizeof(path), "%s/known_hosts/%s", QSSH_TEST_VECTORS, name);
	text = slurp(path);
	cp = text;
	assert_int_equal(authkeys_keyfield_parse(&cp, kf), 0);
	assert_non_null(kf->key);
	free(text);
}

static int
setup(void **state)
{
	(void)state;
	load_key("hostkey-ed25519.pub", &k_ed);
	load_key("hostkey-ecdsa.pub", &k_ec);
	load_key("other-ed25519.pub", &k_other);
	snprintf(kh_plain, sizeof(kh_plain), "%s/known_hosts/known_hosts",
	    QSSH_TEST_VECTORS);
	snprintf(kh_hashed, sizeof(kh_hashed),
	    "%s/known_hosts/known_hosts.hashed", QSSH_TEST_VECTORS);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/qssh_hostfile_XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	qssh_log_set_file("/dev/null");
	qssh_log_set_level(QSSH_LOG_DEBUG1);
	qssh_log_set_hook(log_hook, NULL);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	qssh_log_set_hook(NULL, NULL);
	authkeys_keyfield_cleanup(&k_ed);
	authkeys_keyfield_cleanup(&k_ec);
	authkeys_keyfield_cleanup(&k_other);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct hostfile_result *
lookup(const char *file, const char *host, unsigned port, const struct key *key)
{
	struct hostfile_result *res = NULL;
	const char *files[] = { "/nonexistent/known_hosts", file };

	assert_int_equal(
	    hostfile_check_host(files, 2, host, port, key, &res), 0);
	assert_non_null(res);
	return res;
}

/* Status of a lookup and the line it names (match or offending). */
static void
expect(const char *file, const char *host, unsigned port, const struct key *key,
    enum hostfile_status st, size_t line)
{
	struct hostfile_result *res = lookup(file, host, port, key);
	const struct hostfile_entry *e =
	    st == HOSTFILE_OK ? res->match : res->offending;

	if (res->status != st)
		fail_msg("%s %s:%u: status %d, want %d", file, host, port,
		    res->status, st);
	if (line != 0) {
		assert_non_null(e);
		if (e->line != line)
			fail_msg("%s %s:%u: line %zu, want %zu", file, host,
			    port, e->line, line);
		assert_string_equal(e->file, file);
	}
	hostfile_result_free(res);
}

static void
test_parse_line(void **state)
{
	struct hostfile_entry *e = NULL;
	char line[1024];

	(void)state;
	assert_int_equal(hostfile_parse_line("  # c", &e), QSSH_ERR_NOT_FOUND);
	assert_int_equal(hostfile_parse_line("", &e), QSSH_ERR_NOT_FOUND);
	assert_int_equal(
	    hostfile_parse_line("host", &e), QSSH_ERR_KEY_TYPE_UNKNOWN);
	assert_int_equal(
	    hostfile_parse_line("@bogus host ssh-ed25519 AAAA", &e),
	    QSSH_ERR_INVALID_FORMAT);
	assert_int_equal(hostfile_parse_line("|1|abc|def ssh-ed25519 AAAA", &e),
	    QSSH_ERR_INVALID_FORMAT);
	assert_null(e);

	/* Built from the ED25519 key's own text. */
	{
		char *text, path[512];

		snprintf(path, sizeof(path),
		    "%s/known_hosts/hostkey-ed25519.pub", QSSH_TEST_VECTORS);
		text = slurp(path);
		text[strcspn(text, "\n")] = '\0';
		*strrchr(text, ' ') = '\0'; /* drop the comment */
		snprintf(
		    line, sizeof(line), "@revoked a,b %s the comment ", text);
		free(text);
	}
	assert_int_equal(hostfile_parse_line(line, &e), 0);
	assert_int_equal(e->marker, HOSTFILE_MARKER_REVOKED);
	assert_string_equal(e->hosts, "a,b");
	assert_false(e->hashed);
	assert_string_equal(e->comment, "the comment");
	assert_true(authkeys_keyfield_matches(&e->key, k_ed.key));
	assert_true(hostfile_entry_matches(e, "b"));
	assert_false(hostfile_entry_matches(e, "c"));
	hostfile_entry_free(e);
}

static void
test_lookup_plain(void **state)
{
	struct hostfile_result *res;

	(void)state;
	expect(kh_plain, "foo.example", 22, k_ed.key, HOSTFILE_OK, 2);
	expect(kh_plain, "192.0.2.1", 0, k_ed.key, HOSTFILE_OK, 2);
	expect(kh_plain, "FOO.Example", 22, k_ed.key, HOSTFILE_OK, 2);
	/* Wildcards and negation. */
	expect(kh_plain, "a.wild.example", 22, k_ec.key, HOSTFILE_OK, 3);
	expect(kh_plain, "bad.wild.example", 22, k_ec.key, HOSTFILE_NEW, 0);
	/* [host]:port */
	expect(kh_plain, "h.example", 2222, k_ed.key, HOSTFILE_OK, 5);
	expect(kh_plain, "h.example", 22, k_ed.key, HOSTFILE_NEW, 0);
	expect(kh_plain, "x.ports.example", 99, k_ed.key, HOSTFILE_OK, 6);
	expect(kh_plain, "x.ports.example", 22, k_ed.key, HOSTFILE_NEW, 0);
	/* @revoked wins. */
	expect(kh_plain, "revoked.example", 22, k_ed.key, HOSTFILE_REVOKED, 7);
	expect(kh_plain, "revoked.example", 22, k_ec.key, HOSTFILE_NEW, 0);
	/* Changed key: the first conflicting line of the same type. */
	expect(kh_plain, "changed.example", 22, k_ed.key, HOSTFILE_CHANGED, 9);
	expect(kh_plain, "changed.example", 22, k_ec.key, HOSTFILE_OK, 10);
	expect(kh_plain, "mixed.example", 22, k_ed.key, HOSTFILE_OK, 11);
	expect(kh_plain, "unknown.example", 22, k_ed.key, HOSTFILE_NEW, 0);

	res = lookup(kh_plain, "changed.example", 22, k_ed.key);
	assert_int_equal(res->num_entries, 2);
	assert_string_equal(res->entries[1]->key.type, "ecdsa-sha2-nistp256");
	assert_false(res->other_types_known);
	hostfile_result_free(res);

	/* Only another type known: NEW, and the other key is reported. */
	res = lookup(kh_plain, "ecdsaonly.example", 22, k_ed.key);
	assert_int_equal(res->status, HOSTFILE_NEW);
	assert_true(res->other_types_known);
	assert_int_equal(res->offending->line, 12);
	assert_null(res->match);
	hostfile_result_free(res);

	/* @cert-authority lines are collected apart. */
	res = lookup(kh_plain, "srv.ca.example", 22, k_ed.key);
	assert_int_equal(res->status, HOSTFILE_NEW);
	assert_int_equal(res->num_entries, 0);
	assert_int_equal(res->num_ca_entries, 1);
	assert_int_equal(res->ca_entries[0]->marker, HOSTFILE_MARKER_CA);
	assert_false(res->other_types_known);
	hostfile_result_free(res);
}

static void
test_lookup_hashed(void **state)
{
	(void)state;
	/* File hashed by the real ssh-keygen -H. */
	expect(kh_hashed, "foo.example", 22, k_ed.key, HOSTFILE_OK, 2);
	expect(kh_hashed, "192.0.2.1", 22, k_ed.key, HOSTFILE_OK, 3);
	expect(kh_hashed, "h.example", 2222, k_ed.key, HOSTFILE_OK, 6);
	expect(kh_hashed, "h.example", 22, k_ed.key, HOSTFILE_NEW, 0);
	expect(kh_hashed, "Mixed.EXAMPLE", 22, k_ed.key, HOSTFILE_OK, 12);
	expect(
	    kh_hashed, "changed.example", 22, k_ed.key, HOSTFILE_CHANGED, 10);
	expect(kh_hashed, "a.wild.example", 22, k_ec.key, HOSTFILE_OK, 4);
	expect(kh_hashed, "revoked.example", 22, k_ed.key, HOSTFILE_REVOKED, 8);
}

static void
test_hash_name(void **state)
{
	static const char hashed[] =
	    "|1|kBtnaWVaTMAXJBSk8B6Kuq6i4Qw=|dsLN1FaiASPeUyATACXjbOOUPzs=";
	uint8_t salt[20];
	size_t n;
	char *out = NULL, *name = NULL;

	(void)state;
	/* Written by ssh for [127.0.0.1]:2299. */
	assert_int_equal(qssh_b64_decode("kBtnaWVaTMAXJBSk8B6Kuq6i4Qw=", salt,
			     sizeof(salt), &n),
	    0);
	assert_int_equal(hostfile_host_name("127.0.0.1", 2299, &name), 0);
	assert_string_equal(name, "[127.0.0.1]:2299");
	assert_int_equal(hostfile_hash_name(name, salt, &out), 0);
	assert_string_equal(out, hashed);
	free(out);
	free(name);
	assert_int_equal(hostfile_host_name("Host.EXAMPLE", 22, &name), 0);
	assert_string_equal(name, "host.example");
	free(name);
	assert_int_equal(
	    hostfile_host_name("h", 70000, &name), QSSH_ERR_INVALID_ARGUMENT);
	/* Fresh salts differ. */
	assert_int_equal(hostfile_hash_name("x", NULL, &out), 0);
	assert_int_equal(hostfile_hash_name("x", NULL, &name), 0);
	assert_string_not_equal(out, name);
	free(out);
	free(name);
}

static void
test_bad_lines(void **state)
{
	static const char text[] = "# c\n"
				   "garbage\n"
				   "host ssh-ed25519 !!!\n"
				   "@revoked\n"
				   "|1|x|y ssh-ed25519 AAAA\n";
	struct hostfile_result *res = NULL;

	(void)state;
	logbuf[0] = '\0';
	assert_int_equal(hostfile_check_host_buf("/k/kh", (const uint8_t *)text,
			     strlen(text), "host", 22, k_ed.key, &res),
	    0);
	assert_int_equal(res->status, HOSTFILE_NEW);
	hostfile_result_free(res);
	assert_string_equal(logbuf,
	    "debug1: /k/kh:2: invalid line\n"
	    "debug1: /k/kh:3: invalid line\n"
	    "debug1: /k/kh:4: invalid line\n"
	    "debug1: /k/kh:5: invalid line\n");
}

static int
run(const char *cmd)
{
	char full[2048];

	snprintf(full, sizeof(full), "%s >/dev/null 2>&1", cmd);
	return system(full);
}

static void
copy_file(const char *from, const char *to)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	assert_int_equal(run(cmd), 0);
}

static void
test_add(void **state)
{
	char path[256], cmd[1024];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/home/.ssh/known_hosts", tmpdir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/home'", tmpdir);
	assert_int_equal(run(cmd), 0);
	assert_int_equal(
	    hostfile_add(path, "plain.example", 22, k_ed.key, false), 0);
	assert_int_equal(
	    hostfile_add(path, "Hashed.Example", 2200, k_ec.key, true), 0);
	snprintf(cmd, sizeof(cmd), "%s/home/.ssh", tmpdir);
	assert_int_equal(stat(cmd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	expect(path, "plain.example", 22, k_ed.key, HOSTFILE_OK, 1);
	expect(path, "hashed.example", 2200, k_ec.key, HOSTFILE_OK, 2);
	expect(path, "hashed.example", 22, k_ec.key, HOSTFILE_NEW, 0);

	/* The real ssh-keygen finds both, the hashed one included. */
	if (access(SSH_KEYGEN, X_OK) != 0)
		return;
	snprintf(
	    cmd, sizeof(cmd), SSH_KEYGEN " -F plain.example -f '%s'", path);
	assert_int_equal(run(cmd), 0);
	snprintf(cmd, sizeof(cmd),
	    SSH_KEYGEN " -F '[hashed.example]:2200' -f '%s'", path);
	assert_int_equal(run(cmd), 0);
	snprintf(
	    cmd, sizeof(cmd), SSH_KEYGEN " -F nothere.example -f '%s'", path);
	assert_int_not_equal(run(cmd), 0);
}

static void
test_remove_vs_ssh_keygen(void **state)
{
	static const char *const names[] = { "foo.example", "192.0.2.1",
		"[h.example]:2222", "changed.example", "revoked.example",
		"x.wild.example", "MIXED.example", "nothere.example" };
	const char *inputs[] = { kh_plain, kh_hashed };
	char ours[256], theirs[256], cmd[1024], old[300];
	char *a, *b, *orig;
	size_t i, j, n;
	FILE *f;

	(void)state;
	if (access(SSH_KEYGEN, X_OK) != 0)
		skip();
	snprintf(ours, sizeof(ours), "%s/ours", tmpdir);
	snprintf(theirs, sizeof(theirs), "%s/theirs", tmpdir);
	for (j = 0; j < QSSH_ARRAY_LEN(inputs); j++) {
		for (i = 0; i < QSSH_ARRAY_LEN(names); i++) {
			copy_file(inputs[j], ours);
			copy_file(inputs[j], theirs);
			assert_int_equal(
			    hostfile_remove_host(ours, names[i], &n), 0);
			snprintf(cmd, sizeof(cmd),
			    SSH_KEYGEN " -R '%s' -f '%s'", names[i], theirs);
			assert_int_equal(run(cmd), 0);
			a = slurp(ours);
			b = slurp(theirs);
			if (strcmp(a, b) != 0)
				fail_msg("-R %s on %s differs:\n%s\n---\n%s",
				    names[i], inputs[j], a, b);
			orig = slurp(inputs[j]);
			if (n > 0) {
				snprintf(old, sizeof(old), "%s.old", ours);
				free(a);
				a = slurp(old);
				assert_string_equal(a, orig);
			} else {
				assert_string_equal(b, orig);
			}
			free(orig);
			free(a);
			free(b);
		}
	}
	/* A file with malformed lines is left alone, as ssh-keygen does. */
	f = fopen(ours, "a");
	assert_non_null(f);
	fputs("bad line\n", f);
	fclose(f);
	assert_string_equal(
	    qssh_errname(hostfile_remove_host(ours, "foo.example", &n)),
	    "QSSH_ERR_INVALID_FORMAT");
}

static void
test_hash_vs_ssh_keygen(void **state)
{
	static const struct {
		const char *host;
		unsigned port;
		int key; /* 0 ed, 1 ec */
		enum hostfile_status st;
	} cases[] = {
		{ "foo.example", 22, 0, HOSTFILE_OK },
		{ "192.0.2.1", 22, 0, HOSTFILE_OK },
		{ "h.example", 2222, 0, HOSTFILE_OK },
		{ "mixed.example", 22, 0, HOSTFILE_OK },
		{ "changed.example", 22, 0, HOSTFILE_CHANGED },
		{ "changed.example", 22, 1, HOSTFILE_OK },
		{ "a.wild.example", 22, 1, HOSTFILE_OK },
		{ "x.ports.example", 99, 0, HOSTFILE_OK },
		{ "revoked.example", 22, 0, HOSTFILE_REVOKED },
		{ "nothere.example", 22, 0, HOSTFILE_NEW },
	};
	char ours[256], theirs[256], cmd[1024];
	struct hostfile_result *r1, *r2;
	char *a, *b;
	size_t i, la = 0, lb = 0;

	(void)state;
	snprintf(ours, sizeof(ours), "%s/hours", tmpdir);
	snprintf(theirs, sizeof(theirs), "%s/htheirs", tmpdir);
	copy_file(kh_plain, ours);
	copy_file(kh_plain, theirs);
	logbuf[0] = '\0';
	assert_int_equal(hostfile_hash_file(ours), 0);
	assert_non_null(strstr(logbuf,
	    "hours:3: ignoring host name with "
	    "wildcard: *.wild.example,"
	    "!bad.wild.example\n"));
	if (access(SSH_KEYGEN, X_OK) == 0) {
		snprintf(cmd, sizeof(cmd), SSH_KEYGEN " -H -f '%s'", theirs);
		assert_int_equal(run(cmd), 0);
	} else {
		copy_file(kh_hashed, theirs);
	}
	/* Salts differ, so compare by lookups and by line count. */
	for (i = 0; i < QSSH_ARRAY_LEN(cases); i++) {
		const struct key *k = cases[i].key ? k_ec.key : k_ed.key;

		r1 = lookup(ours, cases[i].host, cases[i].port, k);
		r2 = lookup(theirs, cases[i].host, cases[i].port, k);
		assert_int_equal(r1->status, cases[i].st);
		assert_int_equal(r2->status, cases[i].st);
		if (r1->match != NULL)
			assert_int_equal(r1->match->line, r2->match->line);
		hostfile_result_free(r1);
		hostfile_result_free(r2);
	}
	a = slurp(ours);
	b = slurp(theirs);
	for (i = 0; a[i] != '\0'; i++)
		la += a[i] == '\n';
	for (i = 0; b[i] != '\0'; i++)
		lb += b[i] == '\n';
	assert_int_equal(la, lb);
	assert_null(strstr(a, "foo.example"));
	assert_non_null(strstr(a, "@revoked revoked.example"));
	free(a);
	free(b);
	/* And the real ssh-keygen -F finds names in our hashed file. */
	if (access(SSH_KEYGEN, X_OK) == 0) {
		snprintf(cmd, sizeof(cmd),
		    SSH_KEYGEN " -F '[h.example]:2222' -f '%s'", ours);
		assert_int_equal(run(cmd), 0);
		snprintf(
		    cmd, sizeof(cmd), SSH_KEYGEN " -F 192.0.2.1 -f '%s'", ours);
		assert_int_equal(run(cmd), 0);
	}
}

static char *
golden(const char *name)
{
	char path[512];

	snprintf(
	    path, sizeof(path), "%s/openssh-text/%s", QSSH_TEST_VECTORS, name);
	return slurp(path);
}

static void
test_texts(void **state)
{
	struct hostfile_entry off;
	char *want, *got = NULL;

	(void)state;
	want = golden("first-contact.txt");
	assert_int_equal(hostfile_text_new_host("[localhost]:2299",
			     "[127.0.0.1]:2299", k_ed.key, &got),
	    0);
	assert_string_equal(got, want);
	free(got);
	free(want);

	want = golden("permanently-added.txt");
	assert_int_equal(
	    hostfile_text_added("[localhost]:2299", k_ed.key, &got), 0);
	assert_string_equal(got, want);
	free(got);
	free(want);

	memset(&off, 0, sizeof(off));
	off.file = (char *)"/tmp/kl/kh3";
	off.line = 3;
	off.key.type = (char *)"ssh-ed25519";
	want = golden("changed-ed25519.txt");
	assert_int_equal(hostfile_text_changed("[127.0.0.1]:2299", k_ed.key,
			     &off, "/tmp/kl/kh3", true, &got),
	    0);
	assert_string_equal(got, want);
	free(got);
	free(want);

	off.file = (char *)"/tmp/kl/kh4";
	off.line = 1;
	off.key.type = (char *)"ecdsa-sha2-nistp256";
	want = golden("changed-ecdsa.txt");
	assert_int_equal(hostfile_text_changed("[127.0.0.1]:2299", k_ed.key,
			     &off, "/tmp/kl/kh4", true, &got),
	    0);
	assert_string_equal(got, want);
	free(got);
	/* Without strict, the two closing lines are left out. */
	assert_int_equal(hostfile_text_changed("[127.0.0.1]:2299", k_ed.key,
			     &off, "/tmp/kl/kh4", false, &got),
	    0);
	assert_null(strstr(got, "Host key verification failed."));
	assert_true(strncmp(got, want, strlen(got)) == 0);
	free(got);
	free(want);
}

static void
test_changed_text_from_lookup(void **state)
{
	struct hostfile_result *res;
	char *got = NULL, want[1200];

	(void)state;
	res = lookup(kh_plain, "changed.example", 22, k_ed.key);
	assert_int_equal(res->status, HOSTFILE_CHANGED);
	assert_int_equal(hostfile_text_changed("changed.example", k_ed.key,
			     res->offending, kh_plain, true, &got),
	    0);
	snprintf(want, sizeof(want),
	    "Offending ED25519 key in %s:9\n  remove with:\n"
	    "  ssh-keygen -f \"%s\" -R \"changed.example\"\n",
	    kh_plain, kh_plain);
	assert_non_null(strstr(got, want));
	free(got);
	hostfile_result_free(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_line),
		cmocka_unit_test(test_lookup_plain),
		cmocka_unit_test(test_lookup_hashed),
		cmocka_unit_test(test_hash_name),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_remove_vs_ssh_keygen),
		cmocka_unit_test(test_hash_vs_ssh_keygen),
		cmocka_unit_test(test_texts),
		cmocka_unit_test(test_changed_text_from_lookup),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
