/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent client against OpenSSH's ssh-agent: each test starts its own
 * agent on a socket in a temporary directory and kills it afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "control/agent.h"
#include "control/key.h"

#define NKEYS 5

static char tmpdir[64];
static char sockpath[128];
static pid_t agent_pid;
static bool have_agent;
static struct key *keys[NKEYS];
static const char *const key_comments[NKEYS] = {
	"ed25519 key",
	"p256 key",
	"p384 key",
	"p521 key",
	"rsa key",
};

static int
group_setup(void **state)
{
	static const struct {
		enum key_type type;
		unsigned bits;
	} specs[NKEYS] = {
		{ KEY_ED25519, 0 },
		{ KEY_ECDSA_P256, 256 },
		{ KEY_ECDSA_P384, 384 },
		{ KEY_ECDSA_P521, 521 },
		{ KEY_RSA, 2048 },
	};
	size_t i;

	(void)state;
	have_agent = system("command -v ssh-agent >/dev/null 2>&1 && "
			    "command -v ssh-add >/dev/null 2>&1") == 0;
	for (i = 0; i < NKEYS; i++)
		if (key_generate(specs[i].type, specs[i].bits, &keys[i]) != 0)
			return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NKEYS; i++)
		key_free(keys[i]);
	return 0;
}

static void
stop_agent(void)
{
	int status;

	if (agent_pid > 0) {
		kill(agent_pid, SIGTERM);
		while (waitpid(agent_pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	agent_pid = 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* Starts ssh-agent -D -a sockpath; waits until it accepts connections. */
static int
setup(void **state)
{
	struct agent_conn *c;
	int i, devnull, status;
	pid_t pid;

	(void)state;
	agent_pid = 0;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/qssh-agent-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(sockpath, sizeof(sockpath), "%s/agent.sock", tmpdir);
	if (!have_agent)
		return 0;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execlp("ssh-agent", "ssh-agent", "-D", "-a", sockpath,
		    (char *)NULL);
		_exit(127);
	}
	agent_pid = pid;
	for (i = 0; i < 1000; i++) {
		if (agent_connect(sockpath, &c) == 0) {
			agent_close(c);
			return 0;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			agent_pid = 0;
			return -1;
		}
		sleep_ms(10);
	}
	stop_agent();
	return -1;
}

static int
teardown(void **state)
{
	char cmd[160];

	(void)state;
	stop_agent();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct agent_conn *
conn(void)
{
	struct agent_conn *c = NULL;

	assert_int_equal(agent_connect(sockpath, &c), 0);
	agent_set_timeout(c, 30000);
	return c;
}

/* Runs a shell command with SSH_AUTH_SOCK set; returns its stdout. */
static char *
run(const char *fmt, ...)
{
	char cmd[1200], sub[900], chunk[512], *out = NULL, *tmp;
	size_t len = 0, n;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(sub, sizeof(sub), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd),
	    "SSH_AUTH_SOCK='%s'; export SSH_AUTH_SOCK; %s", sockpath, sub);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0) {
		tmp = realloc(out, len + n + 1);
		assert_non_null(tmp);
		out = tmp;
		memcpy(out + len, chunk, n);
		len += n;
	}
	if (out == NULL)
		out = calloc(1, 1);
	assert_non_null(out);
	out[len] = '\0';
	if (pclose(p) != 0)
		fail_msg("command failed: %s", cmd);
	return out;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

static const struct agent_identity *
find_identity(const struct agent_identities *ids, const struct key *k)
{
	size_t i;

	for (i = 0; i < ids->num_ids; i++)
		if (key_equal_public(ids->ids[i].key, k))
			return &ids->ids[i];
	return NULL;
}

/* Signs data through the agent and checks the signature with key_verify. */
static void
sign_and_verify(
    struct agent_conn *c, const struct key *k, uint32_t flags, const char *alg)
{
	static const uint8_t data[] = "data to be signed by the agent";
	struct qssh_buf *sig = qssh_buf_new();

	assert_non_null(sig);
	assert_int_equal(agent_sign(c, k, data, sizeof(data), flags, sig), 0);
	assert_int_equal(key_verify(k, alg, qssh_buf_ptr(sig),
			     qssh_buf_len(sig), data, sizeof(data)),
	    0);
	/* The signature is over exactly these bytes. */
	assert_int_equal(key_verify(k, alg, qssh_buf_ptr(sig),
			     qssh_buf_len(sig), data, sizeof(data) - 1),
	    QSSH_ERR_SIGNATURE_INVALID);
	qssh_buf_free(sig);
}

static void
add_all(struct agent_conn *c)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		assert_int_equal(
		    agent_add_identity(c, keys[i], key_comments[i], NULL), 0);
}

static void
test_add_list_sign(void **state)
{
	struct agent_identities *ids = NULL;
	const struct agent_identity *id;
	struct agent_conn *c;
	char *out, *fp;
	size_t i;

	(void)state;
	if (!have_agent)
		skip();
	c = conn();
	assert_int_equal(agent_list_identities(c, &ids), 0);
	assert_int_equal(ids->num_ids, 0);
	agent_identities_free(ids);

	add_all(c);
	assert_int_equal(agent_list_identities(c, &ids), 0);
	assert_int_equal(ids->num_ids, NKEYS);
	assert_int_equal(ids->num_skipped, 0);
	out = run("ssh-add -l");
	assert_int_equal(count_lines(out), NKEYS);
	for (i = 0; i < NKEYS; i++) {
		id = find_identity(ids, keys[i]);
		assert_non_null(id);
		assert_string_equal(id->comment, key_comments[i]);
		assert_int_equal(
		    key_fingerprint(id->key, KEY_FP_SHA256, &fp), 0);
		assert_non_null(strstr(out, fp));
		free(fp);
	}
	free(out);
	agent_identities_free(ids);

	sign_and_verify(c, keys[0], 0, "ssh-ed25519");
	sign_and_verify(c, keys[1], 0, "ecdsa-sha2-nistp256");
	sign_and_verify(c, keys[2], 0, "ecdsa-sha2-nistp384");
	sign_and_verify(c, keys[3], 0, "ecdsa-sha2-nistp521");
	sign_and_verify(c, keys[4], AGENT_SIGN_RSA_SHA2_256, "rsa-sha2-256");
	sign_and_verify(c, keys[4], AGENT_SIGN_RSA_SHA2_512, "rsa-sha2-512");
	sign_and_verify(c, keys[4], 0, "ssh-rsa");
	agent_close(c);
}

static void
test_sign_unknown_key(void **state)
{
	struct qssh_buf *sig = qssh_buf_new();
	struct agent_conn *c;
	struct key *k = NULL;

	(void)state;
	if (!have_agent) {
		qssh_buf_free(sig);
		skip();
	}
	c = conn();
	assert_int_equal(key_generate(KEY_ED25519, 0, &k), 0);
	assert_int_equal(agent_sign(c, k, (const uint8_t *)"x", 1, 0, sig),
	    AGENT_ERR_REFUSED);
	assert_int_equal(qssh_buf_len(sig), 0);
	/* The connection stays usable after a refusal. */
	assert_int_equal(agent_add_identity(c, k, NULL, NULL), 0);
	sign_and_verify(c, k, 0, "ssh-ed25519");
	/* Only public half: refused before anything is sent. */
	key_free(k);
	assert_int_equal(key_demote(keys[0], &k), 0);
	assert_int_equal(
	    agent_add_identity(c, k, "x", NULL), QSSH_ERR_INVALID_ARGUMENT);
	key_free(k);
	qssh_buf_free(sig);
	agent_close(c);
}

static void
test_constraints(void **state)
{
	struct agent_constraints life1 = { 1, false };
	struct agent_constraints life = { 600, false };
	struct agent_constraints confirm = { 0, true };
	struct agent_constraints both = { 600, true };
	struct agent_constraints none = { 0, false };
	struct agent_identities *ids = NULL;
	struct agent_conn *c;
	char *out;

	(void)state;
	if (!have_agent)
		skip();
	c = conn();
	assert_int_equal(agent_add_identity(c, keys[0], "l1", &life1), 0);
	assert_int_equal(agent_add_identity(c, keys[1], "life", &life), 0);
	assert_int_equal(
	    agent_add_identity(c, keys[2], "confirm", &confirm), 0);
	assert_int_equal(agent_add_identity(c, keys[3], "both", &both), 0);
	assert_int_equal(agent_add_identity(c, keys[4], "none", &none), 0);
	assert_int_equal(agent_list_identities(c, &ids), 0);
	assert_non_null(find_identity(ids, keys[1]));
	assert_non_null(find_identity(ids, keys[2]));
	assert_non_null(find_identity(ids, keys[3]));
	assert_non_null(find_identity(ids, keys[4]));
	agent_identities_free(ids);
	/* ssh-add -l sees them too. */
	out = run("ssh-add -l");
	assert_non_null(strstr(out, "confirm"));
	assert_non_null(strstr(out, "both"));
	free(out);
	/* The unconstrained key signs without asking. */
	sign_and_verify(c, keys[4], AGENT_SIGN_RSA_SHA2_512, "rsa-sha2-512");
	sign_and_verify(c, keys[1], 0, "ecdsa-sha2-nistp256");
	agent_close(c);
}

static void
test_remove(void **state)
{
	struct agent_identities *ids = NULL;
	struct agent_conn *c;
	char *out;

	(void)state;
	if (!have_agent)
		skip();
	c = conn();
	add_all(c);
	assert_int_equal(agent_remove_identity(c, keys[2]), 0);
	assert_int_equal(agent_remove_identity(c, keys[2]), AGENT_ERR_REFUSED);
	assert_int_equal(agent_list_identities(c, &ids), 0);
	assert_int_equal(ids->num_ids, NKEYS - 1);
	assert_null(find_identity(ids, keys[2]));
	assert_non_null(find_identity(ids, keys[3]));
	agent_identities_free(ids);
	out = run("ssh-add -l");
	assert_int_equal(count_lines(out), NKEYS - 1);
	free(out);

	assert_int_equal(agent_remove_all_identities(c), 0);
	assert_int_equal(agent_list_identities(c, &ids), 0);
	assert_int_equal(ids->num_ids, 0);
	agent_identities_free(ids);
	agent_close(c);
}

static void
test_lock(void **state)
{
	struct agent_identities *ids = NULL;
	struct qssh_buf *sig = qssh_buf_new();
	struct agent_conn *c;

	(void)state;
	if (!have_agent) {
		qssh_buf_free(sig);
		skip();
	}
	c = conn();
	add_all(c);
	assert_int_equal(agent_lock(c, "lock password"), 0);
	assert_int_equal(agent_lock(c, "lock password"), AGENT_ERR_REFUSED);
	assert_int_equal(agent_list_identities(c, &ids), 0);
	assert_int_equal(ids->num_ids, 0);
	agent_identities_free(ids);
	assert_int_equal(
	    agent_sign(c, keys[0], (const uint8_t *)"x", 1, 0, sig),
	    AGENT_ERR_REFUSED);
	assert_int_equal(agent_unlock(c, "wrong"), AGENT_ERR_REFUSED);
	assert_int_equal(agent_unlock(c, "lock password"), 0);
	assert_int_equal(agent_unlock(c, "lock password"), AGENT_ERR_REFUSED);
	assert_int_equal(agent_list_identities(c, &ids), 0);
	assert_int_equal(ids->num_ids, NKEYS);
	agent_identities_free(ids);
	sign_and_verify(c, keys[0], 0, "ssh-ed25519");
	qssh_buf_free(sig);
	agent_close(c);
}

/* The host key's signature of sid, as a server sends it in kex. */
static struct qssh_buf *
host_sig(const struct key *hk, const char *alg, const uint8_t *sid, size_t len)
{
	struct qssh_buf *sig = qssh_buf_new();

	assert_non_null(sig);
	assert_int_equal(key_sign(hk, alg, sid, len, sig), 0);
	return sig;
}

static void
test_session_bind(void **state)
{
	struct qssh_buf *sig, *bad;
	struct agent_conn *c;
	struct key *hk = NULL;
	uint8_t sid[32], *p;

	(void)state;
	if (!have_agent)
		skip();
	assert_int_equal(key_generate(KEY_ED25519, 0, &hk), 0);
	assert_int_equal(qssh_random_bytes(sid, sizeof(sid)), 0);
	sig = host_sig(hk, NULL, sid, sizeof(sid));
	bad = qssh_buf_dup(sig);
	assert_non_null(bad);
	p = qssh_buf_mutable_ptr(bad);
	p[qssh_buf_len(bad) - 1] ^= 0x01;

	c = conn();
	add_all(c);
	/* A bad host signature is refused; the connection stays unbound. */
	assert_int_equal(agent_session_bind(c, hk, sid, sizeof(sid),
			     qssh_buf_ptr(bad), qssh_buf_len(bad), false),
	    AGENT_ERR_REFUSED);
	/* Signature by another key. */
	qssh_buf_free(bad);
	bad = host_sig(keys[0], NULL, sid, sizeof(sid));
	assert_int_equal(agent_session_bind(c, hk, sid, sizeof(sid),
			     qssh_buf_ptr(bad), qssh_buf_len(bad), false),
	    AGENT_ERR_REFUSED);
	assert_int_equal(agent_session_bind(c, hk, sid, sizeof(sid),
			     qssh_buf_ptr(sig), qssh_buf_len(sig), false),
	    0);
	/* A connection bound for authentication cannot be bound again. */
	assert_int_equal(agent_session_bind(c, hk, sid, sizeof(sid),
			     qssh_buf_ptr(sig), qssh_buf_len(sig), false),
	    AGENT_ERR_REFUSED);
	/* Keys without destination constraints still sign. */
	sign_and_verify(c, keys[1], 0, "ecdsa-sha2-nistp256");
	agent_close(c);
	qssh_buf_free(sig);
	qssh_buf_free(bad);

	/* RSA and ECDSA host keys, forwarding binds. */
	c = conn();
	sig = host_sig(keys[4], "rsa-sha2-512", sid, sizeof(sid));
	assert_int_equal(agent_session_bind(c, keys[4], sid, sizeof(sid),
			     qssh_buf_ptr(sig), qssh_buf_len(sig), true),
	    0);
	qssh_buf_free(sig);
	sig = host_sig(keys[2], NULL, sid, 16);
	assert_int_equal(agent_session_bind(c, keys[2], sid, 16,
			     qssh_buf_ptr(sig), qssh_buf_len(sig), true),
	    0);
	qssh_buf_free(sig);
	agent_close(c);
	key_free(hk);
}

static void
test_extensions(void **state)
{
	struct agent_conn *c;
	char **names = NULL;
	size_t num = 99, i;
	int r;

	(void)state;
	if (!have_agent)
		skip();
	c = conn();
	/* OpenSSH 9.2 does not know "query"; later agents list names. */
	r = agent_query_extensions(c, &names, &num);
	if (r == 0) {
		for (i = 0; i < num; i++)
			assert_non_null(names[i]);
		assert_null(names[num]);
	} else {
		assert_int_equal(r, AGENT_ERR_EXTENSION);
		assert_null(names);
		assert_int_equal(num, 0);
	}
	agent_names_free(names);
	r = agent_extension(c, "no-such-extension@qssh.invalid",
	    (const uint8_t *)"abc", 3, NULL);
	assert_true(r == AGENT_ERR_REFUSED || r == AGENT_ERR_EXTENSION);
	/* Still in step. */
	add_all(c);
	sign_and_verify(c, keys[3], 0, "ecdsa-sha2-nistp521");
	agent_close(c);
}

/* Keys generated by ssh-keygen and loaded with ssh-add. */
static void
test_ssh_add_files(void **state)
{
	static const struct {
		const char *args, *name, *alg;
		uint32_t flags;
	} cases[] = {
		{ "-t ed25519", "id_ed25519", "ssh-ed25519", 0 },
		{ "-t ecdsa -b 256", "id_p256", "ecdsa-sha2-nistp256", 0 },
		{ "-t ecdsa -b 384", "id_p384", "ecdsa-sha2-nistp384", 0 },
		{ "-t ecdsa -b 521", "id_p521", "ecdsa-sha2-nistp521", 0 },
		{ "-t rsa -b 2048", "id_rsa", "rsa-sha2-256",
		    AGENT_SIGN_RSA_SHA2_256 },
	};
	struct agent_identities *ids = NULL;
	const struct agent_identity *id;
	struct agent_conn *c;
	char path[256], comment[64], *out;
	struct key *k = NULL;
	size_t i;

	(void)state;
	if (!have_agent)
		skip();
	for (i = 0; i < QSSH_ARRAY_LEN(cases); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, cases[i].name);
		out = run("ssh-keygen -q %s -N '' -C 'file %s' -f '%s' && "
			  "ssh-add -q '%s' 2>/dev/null",
		    cases[i].args, cases[i].name, path, path);
		free(out);
	}
	c = conn();
	assert_int_equal(agent_list_identities(c, &ids), 0);
	assert_int_equal(ids->num_ids, QSSH_ARRAY_LEN(cases));
	for (i = 0; i < QSSH_ARRAY_LEN(cases); i++) {
		snprintf(
		    path, sizeof(path), "%s/%s.pub", tmpdir, cases[i].name);
		assert_int_equal(key_load_public(path, &k, NULL), 0);
		id = find_identity(ids, k);
		assert_non_null(id);
		snprintf(comment, sizeof(comment), "file %s", cases[i].name);
		assert_string_equal(id->comment, comment);
		sign_and_verify(c, id->key, cases[i].flags, cases[i].alg);
		if (key_get_type(k) == KEY_RSA)
			sign_and_verify(c, id->key, AGENT_SIGN_RSA_SHA2_512,
			    "rsa-sha2-512");
		key_free(k);
		k = NULL;
	}
	/* Remove one by blob, as the agent listed it. */
	assert_int_equal(agent_remove_identity_blob(
			     c, ids->ids[0].blob, ids->ids[0].blob_len),
	    0);
	agent_identities_free(ids);
	out = run("ssh-add -l");
	assert_int_equal(count_lines(out), QSSH_ARRAY_LEN(cases) - 1);
	free(out);
	agent_close(c);
}

static void
test_connect_errors(void **state)
{
	char longpath[200];
	struct agent_conn *c = NULL;
	char *saved = NULL;
	const char *env;
	int r;

	(void)state;
	assert_int_equal(agent_connect("/nonexistent/qssh/agent.sock", &c),
	    QSSH_ERR_NOT_FOUND);
	assert_null(c);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(agent_connect(longpath, &c), QSSH_ERR_PATH_TOO_LONG);
	if ((env = getenv("SSH_AUTH_SOCK")) != NULL)
		saved = strdup(env);
	unsetenv("SSH_AUTH_SOCK");
	assert_int_equal(agent_connect(NULL, &c), QSSH_ERR_NOT_FOUND);
	setenv("SSH_AUTH_SOCK", "", 1);
	assert_int_equal(agent_connect(NULL, &c), QSSH_ERR_NOT_FOUND);
	if (have_agent) {
		/* $SSH_AUTH_SOCK is used when no path is given. */
		setenv("SSH_AUTH_SOCK", sockpath, 1);
		assert_int_equal(agent_connect(NULL, &c), 0);
		assert_int_equal(agent_remove_all_identities(c), 0);
		agent_close(c);
		/* Nobody listening any more. */
		stop_agent();
		r = agent_connect(sockpath, &c);
		assert_true(
		    r == QSSH_ERR_NOT_FOUND || r == QSSH_ERR_CONN_CLOSED);
	}
	if (saved != NULL) {
		setenv("SSH_AUTH_SOCK", saved, 1);
		free(saved);
	} else
		unsetenv("SSH_AUTH_SOCK");
	agent_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_add_list_sign, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sign_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_constraints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_session_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_extensions, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ssh_add_files, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_connect_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
