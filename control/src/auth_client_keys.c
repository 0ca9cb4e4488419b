/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Client "publickey" authentication (RFC 4252 7, RFC 8332): the identities
 * of the agent and of the IdentityFile files, offered one at a time with a
 * query (no signature), signed once the server answers PK_OK.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth_client_int.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/kex.h"
#include "dataplane/transport.h"

#define KEYFILE_MAX (1024 * 1024)

static void
ident_cleanup(struct auth_ident *id)
{
	free(id->path);
	free(id->comment);
	key_free(id->pub);
	key_free(id->priv);
	memset(id, 0, sizeof(*id));
}

void
auth_client_idents_free(struct auth_client *a)
{
	size_t i;

	for (i = 0; i < a->num_idents; i++)
		ident_cleanup(&a->idents[i]);
	free(a->idents);
	a->idents = NULL;
	a->num_idents = 0;
	free(a->offered_alg);
	a->offered_alg = NULL;
	a->offered = NULL;
	agent_close(a->agent);
	a->agent = NULL;
}

int
auth_client_text_bad_perms(const char *path, unsigned mode, char **out)
{
	static const char at[] =
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@";
	char *s = NULL;

	if (asprintf(&s,
		"%s\n"
		"@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @\n"
		"%s\n"
		"Permissions 0%3.3o for '%s' are too open.\n"
		"It is required that your private key files are NOT "
		"accessible by others.\n"
		"This private key will be ignored.\n",
		at, at, mode & 0777, path) < 0)
		return QSSH_ERR_ALLOC;
	*out = s;
	return 0;
}

static int
read_small_file(const char *path, uint8_t **data, size_t *len)
{
	struct qssh_buf *b = NULL;
	uint8_t tmp[4096];
	ssize_t n;
	int fd, r = QSSH_ERR_SYSTEM;

	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? QSSH_ERR_NOT_FOUND : QSSH_ERR_SYSTEM;
	if ((b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if ((size_t)n > KEYFILE_MAX - qssh_buf_len(b)) {
			r = QSSH_ERR_NO_BUFFER_SPACE;
			goto out;
		}
		if ((r = qssh_buf_put(b, tmp, (size_t)n)) != 0)
			goto out;
	}
	if ((*data = malloc(qssh_buf_len(b) + 1)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	memcpy(*data, qssh_buf_ptr(b), qssh_buf_len(b));
	(*data)[qssh_buf_len(b)] = 0;
	*len = qssh_buf_len(b);
	r = 0;
out:
	qssh_wipe(tmp, sizeof(tmp));
	qssh_buf_free(b);
	close(fd);
	return r;
}

int
auth_client_private_pubkey(const uint8_t *data, size_t len, struct key **out)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	static const char end[] = "-----END OPENSSH PRIVATE KEY-----";
	static const char magic[] = "openssh-key-v1";
	struct qssh_view v, s;
	uint8_t *bin = NULL;
	char *text = NULL, *b, *e;
	size_t binlen = 0;
	uint32_t nkeys;
	int r = QSSH_ERR_INVALID_FORMAT;

	*out = NULL;
	if ((text = malloc(len + 1)) == NULL)
		return QSSH_ERR_ALLOC;
	memcpy(text, data, len);
	text[len] = '\0';
	if ((b = strstr(text, begin)) == NULL)
		goto out;
	b += sizeof(begin) - 1;
	if ((e = strstr(b, end)) == NULL)
		goto out;
	*e = '\0';
	if ((bin = malloc(strlen(b) + 1)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_b64_decode(b, bin, strlen(b) + 1, &binlen)) != 0)
		goto out;
	qssh_view_init(&v, bin, binlen);
	r = QSSH_ERR_INVALID_FORMAT;
	if (binlen < sizeof(magic) || memcmp(bin, magic, sizeof(magic)) != 0)
		goto out;
	if ((r = qssh_view_skip(&v, sizeof(magic))) != 0 ||
	    (r = qssh_view_get_string(&v, &s)) != 0 || /* cipher */
	    (r = qssh_view_get_string(&v, &s)) != 0 || /* kdf */
	    (r = qssh_view_get_string(&v, &s)) != 0 || /* kdf options */
	    (r = qssh_view_get_u32(&v, &nkeys)) != 0)
		goto out;
	if (nkeys != 1) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = qssh_view_get_string(&v, &s)) != 0)
		goto out;
	r = key_from_blob(s.p, s.len, out);
out:
	if (bin != NULL)
		qssh_wipe_free(bin, binlen);
	if (text != NULL)
		qssh_wipe_free(text, len + 1);
	return r;
}

/* OpenSSH's numbers for "identity file PATH type N". */
static int
ssh_type_number(const struct key *k)
{
	if (k == NULL)
		return -1;
	switch (key_get_type(k)) {
	case KEY_RSA:
		return 0;
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		return 2;
	case KEY_ED25519:
		return 3;
	default:
		return -1;
	}
}

/* The public half of a key file: PATH.pub, PATH itself when it is a public
 * key (its private half in the agent), the clear part of an openssh-key-v1
 * file, or the whole unencrypted key. */
static int
load_file_public(const char *path, struct key **out)
{
	struct key *k = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	char *pub = NULL;
	int r;

	*out = NULL;
	if (asprintf(&pub, "%s.pub", path) < 0)
		return QSSH_ERR_ALLOC;
	if ((r = read_small_file(path, &data, &len)) != 0)
		goto out;
	if (key_load_public(pub, out, NULL) == 0)
		goto out;
	if (key_load_public(path, out, NULL) == 0)
		goto out;
	if (auth_client_private_pubkey(data, len, out) == 0)
		goto out;
	if ((r = key_parse_private(data, len, NULL, &k, NULL)) != 0)
		goto out;
	r = key_demote(k, out);
out:
	key_free(k);
	if (data != NULL)
		qssh_wipe_free(data, len + 1);
	free(pub);
	return r;
}

static int
add_ident(struct auth_client *a, struct auth_ident *id)
{
	struct auth_ident *n;

	n = realloc(a->idents, (a->num_idents + 1) * sizeof(*n));
	if (n == NULL)
		return QSSH_ERR_ALLOC;
	a->idents = n;
	a->idents[a->num_idents++] = *id;
	memset(id, 0, sizeof(*id));
	return 0;
}

static int
agent_open(struct auth_client *a)
{
	const char *path = a->agent_path;
	int r;

	qlog_debug3(
	    "agent_open: IdentityAgent %s", path != NULL ? path : "(unset)");

	if (path != NULL && strcmp(path, "none") == 0)
		return QSSH_ERR_NOT_FOUND;
	if (path != NULL && strcmp(path, "SSH_AUTH_SOCK") == 0)
		path = NULL;
	if ((r = agent_connect(path, &a->agent)) != 0) {
		qlog_debug2("agent_connect %s: %s",
		    path != NULL ? path : "$SSH_AUTH_SOCK", qssh_strerror(r));
		if (r != QSSH_ERR_NOT_FOUND)
			qlog_debug("get_agent_identities: "
				   "ssh_get_authentication_socket: %s",
			    qssh_strerror(r));
		return r;
	}
	agent_set_timeout(a->agent, 30000);
	return 0;
}

static const char *
ident_name(const struct auth_ident *id)
{
	if (id->path != NULL)
		return id->path;
	return id->comment != NULL ? id->comment : "";
}

/* "PATH TYPE FP[ explicit][ agent]" as OpenSSH's debug lines show it. */
static void
log_ident(const char *what, const struct auth_ident *id)
{
	char *fp = NULL;

	if (!qssh_log_enabled(QSSH_LOG_DEBUG1))
		return;
	if (key_fingerprint(id->pub, KEY_FP_SHA256, &fp) != 0)
		return;
	qlog_debug("%s: %s %s %s%s%s", what, ident_name(id),
	    key_type_short(id->pub), fp, id->userprovided ? " explicit" : "",
	    id->agent ? " agent" : "");
	free(fp);
}

/*
 * Identities in OpenSSH's order: the agent's keys first (a file key the
 * agent also holds is used through the agent, in the agent's place), then
 * the remaining files.  With IdentitiesOnly only agent keys that match a
 * file are used.
 */
static int
prepare_idents(struct auth_client *a)
{
	struct agent_identities *aids = NULL;
	struct auth_ident *files = NULL, id;
	bool *used = NULL;
	size_t i, j;
	int r = 0;

	memset(&id, 0, sizeof(id));
	a->idents_ready = true;
	if (a->num_files > 0) {
		files = calloc(a->num_files, sizeof(*files));
		used = calloc(a->num_files, sizeof(*used));
		if (files == NULL || used == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
	}
	for (i = 0; i < a->num_files; i++) {
		files[i].userprovided = a->files_user[i] != 0;
		r = load_file_public(a->files[i], &files[i].pub);
		qlog_debug("identity file %s type %d", a->files[i],
		    ssh_type_number(files[i].pub));
		if (r == QSSH_ERR_NOT_FOUND && files[i].userprovided)
			qlog_info("no such identity: %s: %s", a->files[i],
			    strerror(ENOENT));
		if (r != 0) {
			if (r != QSSH_ERR_NOT_FOUND)
				qlog_debug("Load key \"%s\": %s", a->files[i],
				    qssh_strerror(r));
			used[i] = true;
			continue;
		}
		if ((files[i].path = strdup(a->files[i])) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
	}
	r = 0;
	if (agent_open(a) == 0 &&
	    (r = agent_list_identities(a->agent, &aids)) != 0)
		qlog_debug("get_agent_identities: ssh_fetch_identitylist: %s",
		    qssh_strerror(r));
	r = 0;
	if (aids != NULL) {
		for (i = 0; i < aids->num_ids; i++) {
			for (j = 0; j < a->num_files; j++)
				if (!used[j] &&
				    key_equal_public(
					files[j].pub, aids->ids[i].key))
					break;
			if (j < a->num_files) {
				used[j] = true;
				files[j].agent = true;
				if ((r = add_ident(a, &files[j])) != 0)
					goto out;
				continue;
			}
			if (a->cfg.identities_only)
				continue;
			id.agent = true;
			if ((r = key_demote(aids->ids[i].key, &id.pub)) != 0)
				goto out;
			if (aids->ids[i].comment != NULL &&
			    (id.comment = strdup(aids->ids[i].comment)) ==
				NULL) {
				r = QSSH_ERR_ALLOC;
				goto out;
			}
			if ((r = add_ident(a, &id)) != 0)
				goto out;
		}
	}
	for (j = 0; j < a->num_files; j++) {
		if (used[j])
			continue;
		used[j] = true;
		if ((r = add_ident(a, &files[j])) != 0)
			goto out;
	}
	for (i = 0; i < a->num_idents; i++)
		log_ident("Will attempt key", &a->idents[i]);
	r = 0;
out:
	ident_cleanup(&id);
	for (j = 0; j < a->num_files && files != NULL; j++)
		ident_cleanup(&files[j]);
	free(files);
	free(used);
	agent_identities_free(aids);
	return r;
}

static bool
alg_allowed(const struct auth_client *a, const char *alg)
{
	return a->pubkey_algs == NULL ||
	    qssh_namelist_contains(a->pubkey_algs, alg);
}

/* Signature algorithm for k, or NULL if none is acceptable. */
static const char *
choose_alg(const struct auth_client *a, const struct key *k)
{
	static const char *const rsa[] = { "rsa-sha2-512", "rsa-sha2-256" };
	const char *ssa = tctl_server_sig_algs(a->tctl);
	size_t i;

	if (key_get_type(k) != KEY_RSA)
		return alg_allowed(a, key_type_name(k)) ? key_type_name(k)
							: NULL;
	for (i = 0; i < QSSH_ARRAY_LEN(rsa); i++) {
		if (!alg_allowed(a, rsa[i]))
			continue;
		if (ssa != NULL && !qssh_namelist_contains(ssa, rsa[i]))
			continue;
		return rsa[i];
	}
	if (ssa == NULL && alg_allowed(a, "ssh-rsa"))
		return "ssh-rsa";
	return NULL;
}

/* USERAUTH_REQUEST publickey without (sig NULL) or with a signature. */
static int
build_request(struct auth_client *a, const struct auth_ident *id,
    const char *alg, bool with_sig, struct qssh_buf *req)
{
	struct qssh_buf *blob = NULL;
	int r;

	if ((blob = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = key_to_blob(id->pub, blob)) != 0 ||
	    (r = auth_client_request_head(a, req, "publickey")) != 0 ||
	    (r = qssh_buf_put_bool(req, with_sig)) != 0 ||
	    (r = qssh_buf_put_cstring(req, alg)) != 0 ||
	    (r = qssh_buf_put_stringb(req, blob)) != 0)
		goto out;
out:
	qssh_buf_free(blob);
	return r;
}

int
auth_client_pubkey_next(struct auth_client *a, bool *sent)
{
	struct qssh_buf *req = NULL;
	struct auth_ident *id;
	const char *alg;
	int r;

	*sent = false;
	if (!a->idents_ready && (r = prepare_idents(a)) != 0)
		return r;
	while (a->next_ident < a->num_idents) {
		id = &a->idents[a->next_ident++];
		if ((alg = choose_alg(a, id->pub)) == NULL) {
			qlog_debug("Skipping %s key %s: key type not in "
				   "PubkeyAcceptedAlgorithms",
			    key_type_short(id->pub), ident_name(id));
			continue;
		}
		log_ident("Offering public key", id);
		if ((req = qssh_buf_new()) == NULL)
			return QSSH_ERR_ALLOC;
		if ((r = build_request(a, id, alg, false, req)) == 0)
			r = tport_send_buf(a->t, SSH_MSG_USERAUTH_REQUEST, req);
		qssh_buf_free(req);
		if (r != 0)
			return r;
		free(a->offered_alg);
		if ((a->offered_alg = strdup(alg)) == NULL)
			return QSSH_ERR_ALLOC;
		a->offered = id;
		*sent = true;
		return 0;
	}
	return 0;
}

void
auth_client_pubkey_failed(struct auth_client *a)
{
	a->offered = NULL;
}

/* The private key of a file identity, asking for the passphrase. */
static int
load_private(struct auth_client *a, struct auth_ident *id)
{
	char prompt[300];
	char *pass = NULL, *msg = NULL;
	struct stat st;
	unsigned i;
	int r;

	r = key_load_private(id->path, NULL, true, &id->priv, NULL);
	if (r == QSSH_ERR_KEY_BAD_PERMISSIONS) {
		if (stat(id->path, &st) == 0 &&
		    auth_client_text_bad_perms(
			id->path, (unsigned)st.st_mode, &msg) == 0) {
			char *line, *save = NULL;

			for (line = strtok_r(msg, "\n", &save); line != NULL;
			     line = strtok_r(NULL, "\n", &save))
				qlog_error("%s", line);
			free(msg);
		}
		qlog_error("Load key \"%s\": bad permissions", id->path);
		return r;
	}
	if (r != QSSH_ERR_KEY_WRONG_PASSPHRASE) {
		if (r != 0)
			qlog_error(
			    "Load key \"%s\": %s", id->path, qssh_strerror(r));
		return r;
	}
	if (a->cfg.batch_mode)
		return r;
	snprintf(prompt, sizeof(prompt),
	    "Enter passphrase for key '%.100s': ", id->path);
	for (i = 0; i < a->password_prompts; i++) {
		if ((pass = a->cb.prompt(a->cb_ctx, prompt, false)) == NULL ||
		    *pass == '\0') {
			qlog_debug2("no passphrase given, try next key");
			r = QSSH_ERR_KEY_WRONG_PASSPHRASE;
			break;
		}
		r = key_load_private(id->path, pass, true, &id->priv, NULL);
		qssh_wipe_free_str(pass);
		pass = NULL;
		if (r == 0)
			break;
		if (r != QSSH_ERR_KEY_WRONG_PASSPHRASE) {
			qlog_error(
			    "Load key \"%s\": %s", id->path, qssh_strerror(r));
			break;
		}
		qlog_debug2("bad passphrase given, try again...");
	}
	qssh_wipe_free_str(pass);
	return r;
}

static int
agent_flags(const char *alg)
{
	if (strcmp(alg, "rsa-sha2-256") == 0)
		return AGENT_SIGN_RSA_SHA2_256;
	if (strcmp(alg, "rsa-sha2-512") == 0)
		return AGENT_SIGN_RSA_SHA2_512;
	return 0;
}

/* Sign and send the request for the offered identity. */
static int
send_signed(struct auth_client *a, struct auth_ident *id, const char *alg)
{
	struct qssh_buf *req = NULL, *data = NULL, *sig = NULL;
	const uint8_t *sid;
	size_t sid_len;
	int r;

	if ((req = qssh_buf_new()) == NULL || (data = qssh_buf_new()) == NULL ||
	    (sig = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = kex_session_id(a->kex, &sid, &sid_len)) != 0 ||
	    (r = build_request(a, id, alg, true, req)) != 0 ||
	    (r = qssh_buf_put_string(data, sid, sid_len)) != 0 ||
	    (r = qssh_buf_put_u8(data, SSH_MSG_USERAUTH_REQUEST)) != 0 ||
	    (r = qssh_buf_put_view(data, qssh_buf_view(req))) != 0)
		goto out;
	if (qssh_log_enabled(QSSH_LOG_DEBUG3)) {
		char *fp = NULL;

		if (key_fingerprint(id->pub, KEY_FP_SHA256, &fp) == 0)
			qlog_debug3("sign_and_send_pubkey: signing using %s %s",
			    alg, fp);
		free(fp);
	}
	if (id->agent && id->priv == NULL)
		r = agent_sign(a->agent, id->pub, qssh_buf_ptr(data),
		    qssh_buf_len(data), (uint32_t)agent_flags(alg), sig);
	else
		r = key_sign(
		    id->priv, alg, qssh_buf_ptr(data), qssh_buf_len(data), sig);
	if (r != 0) {
		qlog_error("sign_and_send_pubkey: signing failed for %s "
			   "\"%s\": %s",
		    key_type_short(id->pub), ident_name(id), qssh_strerror(r));
		goto out;
	}
	if ((r = qssh_buf_put_stringb(req, sig)) != 0 ||
	    (r = tport_send_buf(a->t, SSH_MSG_USERAUTH_REQUEST, req)) != 0)
		goto out;
out:
	qssh_buf_free(req);
	qssh_buf_free(data);
	qssh_buf_free(sig);
	return r;
}

int
auth_client_pubkey_ok(struct auth_client *a, struct qssh_view pl)
{
	struct auth_ident *id = a->offered;
	struct qssh_view alg, blob;
	struct key *k = NULL;
	bool sent;
	int r;

	if (id == NULL)
		return QSSH_ERR_UNEXPECTED_MESSAGE;
	if ((r = qssh_view_get_string(&pl, &alg)) != 0 ||
	    (r = qssh_view_get_string(&pl, &blob)) != 0)
		return r;
	if (pl.len != 0)
		return QSSH_ERR_INVALID_FORMAT;
	if ((r = key_from_blob(blob.p, blob.len, &k)) != 0)
		return r;
	if (!key_equal_public(k, id->pub) ||
	    !qssh_view_eq_str(alg, a->offered_alg)) {
		key_free(k);
		qlog_error("input_userauth_pk_ok: server replied with "
			   "another key");
		return QSSH_ERR_PROTOCOL;
	}
	key_free(k);
	log_ident("Server accepts key", id);
	a->offered = NULL;
	if (id->agent)
		r = 0;
	else if (id->priv == NULL)
		r = load_private(a, id);
	if (r == 0)
		r = send_signed(a, id, a->offered_alg);
	if (r == 0)
		return 0;
	if (r == QSSH_ERR_ALLOC)
		return r;
	/* This key can't be used: go on with the next one. */
	if ((r = auth_client_pubkey_next(a, &sent)) != 0)
		return r;
	if (sent)
		return 0;
	return auth_client_try_next(a);
}
