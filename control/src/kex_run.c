/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The key exchange state machine: KEXINIT, the method messages of
 * curve25519-sha256 (RFC 8731), ecdh-sha2-* (RFC 5656), diffie-hellman-group*
 * (RFC 4253 8, RFC 8268), diffie-hellman-group-exchange-sha256 (RFC 4419) and
 * the post-quantum hybrids sntrup761x25519-sha512 (OpenSSH's PROTOCOL,
 * draft-josefsson-ntruprime-ssh) and mlkem768x25519-sha256
 * (draft-ietf-sshm-mlkem-hybrid-kex),
 * the exchange hash, host key signatures, NEWKEYS, rekeying and the server's
 * EXT_INFO (RFC 8308).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/kex.h"
#include "control/key.h"
#include "control/mlkem768.h"
#include "control/sntrup761.h"
#include "crypto-offload/cryp.h"
#include "dataplane/transport.h"
#include "kex_int.h"

enum kex_kind {
	KEX_KIND_C25519,
	KEX_KIND_ECDH,
	KEX_KIND_DH,
	KEX_KIND_GEX,
	KEX_KIND_SNTRUP, /* sntrup761 + X25519, K a string */
	KEX_KIND_MLKEM, /* ML-KEM-768 + X25519, K a string */
};

struct kex_method {
	const char *name;
	enum kex_kind kind;
	const char *hash;
	unsigned param; /* curve bits or group bits */
};

static const struct kex_method kex_methods[] = {
	{ "mlkem768x25519-sha256", KEX_KIND_MLKEM, "SHA256", 0 },
	{ "sntrup761x25519-sha512", KEX_KIND_SNTRUP, "SHA512", 0 },
	{ "sntrup761x25519-sha512@openssh.com", KEX_KIND_SNTRUP, "SHA512", 0 },
	{ "curve25519-sha256", KEX_KIND_C25519, "SHA256", 0 },
	{ "curve25519-sha256@libssh.org", KEX_KIND_C25519, "SHA256", 0 },
	{ "ecdh-sha2-nistp256", KEX_KIND_ECDH, "SHA256", 256 },
	{ "ecdh-sha2-nistp384", KEX_KIND_ECDH, "SHA384", 384 },
	{ "ecdh-sha2-nistp521", KEX_KIND_ECDH, "SHA512", 521 },
	{ "diffie-hellman-group-exchange-sha256", KEX_KIND_GEX, "SHA256", 0 },
	{ "diffie-hellman-group16-sha512", KEX_KIND_DH, "SHA512", 4096 },
	{ "diffie-hellman-group18-sha512", KEX_KIND_DH, "SHA512", 8192 },
	{ "diffie-hellman-group14-sha256", KEX_KIND_DH, "SHA256", 2048 },
	{ "diffie-hellman-group14-sha1", KEX_KIND_DH, "SHA1", 2048 },
	{ "diffie-hellman-group1-sha1", KEX_KIND_DH, "SHA1", 1024 },
};

#define KEX_HASH_MAX 64
/* The larger KEM secret key (ML-KEM-768's 2400 over sntrup761's 1763). */
#define KEX_KEM_SK_MAX MLKEM768_DK_LEN
#define KEX_KEM_PK_MAX MLKEM768_EK_LEN
#define KEX_KEM_CT_MAX MLKEM768_CT_LEN
#define KEX_KEM_SS_LEN 32
#define KEX_X25519_LEN 32

struct kex {
	struct tport *t;
	enum kex_role role;
	char *prop[KEX_PROP_MAX]; /* our lists, without pseudo-algorithms */
	struct key *const *host_keys;
	size_t num_host_keys;
	char *moduli_path;
	char *server_sig_algs;
	kex_verify_host_key_fn verify;
	void *verify_ctx;
	bool no_ext_info, no_strict;
	bool warn_weak_kex;
	kex_random_fn random;
	void *random_ctx;
	kex_sign_fn sign;
	void *sign_ctx;
	const char *moduli_text;
	size_t moduli_text_len;
	char *peer_addr;
	int peer_port;

	/* Across key exchanges. */
	unsigned nkex;
	bool strict;
	bool peer_ext_info;
	bool peer_kexinit_seen;
	uint8_t session_id[KEX_HASH_MAX];
	size_t session_id_len;
	struct key *server_key; /* client: host key of the first kex */
	char *failure;

	/* The current key exchange. */
	bool running;
	bool sent_kexinit, got_kexinit;
	bool sent_newkeys, got_newkeys;
	bool keys_ready;
	bool skip_next;
	uint8_t expect; /* next method message, 0 = none */
	struct qssh_buf *my_kexinit, *peer_kexinit; /* with the type byte */
	struct kex_choice choice;
	struct kex_choice last; /* of the last completed exchange */
	struct kex_result result;
	const struct kex_method *method;
	struct key *this_key; /* client: host key of this kex */
	const struct key *signer; /* server: host key for this kex */
	uint8_t x_priv[32];
	uint8_t kem_sk[KEX_KEM_SK_MAX]; /* client: the hybrid's KEM secret */
	struct kex_ecdh *ecdh;
	struct kex_dh *dh;
	uint32_t gex_min, gex_n, gex_max;
	struct qssh_buf *gex_group; /* mpint p, mpint g */
	struct qssh_buf *qc, *qs; /* encoded client / server values */
	struct qssh_buf *kmp; /* shared secret as mpint */
	unsigned need; /* bytes of key material per key */
	struct tport_keys keys_out, keys_in;
};

static const char default_sig_algs[] =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
    "ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256";

static const struct kex_method *
method_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < QSSH_ARRAY_LEN(kex_methods); i++)
		if (strcmp(kex_methods[i].name, name) == 0)
			return &kex_methods[i];
	return NULL;
}

/* Reset the per-exchange state, keeping what spans key exchanges. */
static void
kex_reset(struct kex *kex)
{
	kex->running = false;
	kex->sent_kexinit = kex->got_kexinit = false;
	kex->sent_newkeys = kex->got_newkeys = false;
	kex->keys_ready = false;
	kex->skip_next = false;
	kex->expect = 0;
	qssh_buf_free(kex->my_kexinit);
	qssh_buf_free(kex->peer_kexinit);
	kex->my_kexinit = kex->peer_kexinit = NULL;
	kex_choice_cleanup(&kex->choice);
	kex->method = NULL;
	key_free(kex->this_key);
	kex->this_key = NULL;
	kex->signer = NULL;
	qssh_wipe(kex->x_priv, sizeof(kex->x_priv));
	qssh_wipe(kex->kem_sk, sizeof(kex->kem_sk));
	kex_ecdh_free(kex->ecdh);
	kex->ecdh = NULL;
	kex_dh_free(kex->dh);
	kex->dh = NULL;
	qssh_buf_free(kex->gex_group);
	qssh_buf_free(kex->qc);
	qssh_buf_free(kex->qs);
	qssh_buf_free(kex->kmp);
	kex->gex_group = kex->qc = kex->qs = kex->kmp = NULL;
	qssh_wipe(&kex->keys_out, sizeof(kex->keys_out));
	qssh_wipe(&kex->keys_in, sizeof(kex->keys_in));
}

void
kex_free(struct kex *kex)
{
	size_t i;

	if (kex == NULL)
		return;
	kex_reset(kex);
	kex_choice_cleanup(&kex->last);
	for (i = 0; i < KEX_PROP_MAX; i++)
		free(kex->prop[i]);
	free(kex->moduli_path);
	free(kex->server_sig_algs);
	free(kex->peer_addr);
	free(kex->failure);
	key_free(kex->server_key);
	qssh_wipe(kex, sizeof(*kex));
	free(kex);
}

/* Keep only the host key algorithms one of our keys can sign with. */
static int
filter_hostkey_algs(struct kex *kex, char **list)
{
	struct qssh_buf *b = NULL;
	char *copy = NULL, *save = NULL, *n;
	size_t i;
	int r;

	if ((b = qssh_buf_new()) == NULL || (copy = strdup(*list)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	for (n = strtok_r(copy, ",", &save); n != NULL;
	     n = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < kex->num_host_keys; i++) {
			if (kex->host_keys[i] != NULL &&
			    key_alg_matches(kex->host_keys[i], n))
				break;
		}
		if (i == kex->num_host_keys)
			continue;
		if (qssh_buf_len(b) > 0 && (r = qssh_buf_put_u8(b, ',')) != 0)
			goto out;
		if ((r = qssh_buf_put(b, n, strlen(n))) != 0)
			goto out;
	}
	if (qssh_buf_len(b) == 0) {
		r = QSSH_ERR_KEY_NOT_FOUND;
		goto out;
	}
	free(*list);
	if ((*list = strndup((const char *)qssh_buf_ptr(b), qssh_buf_len(b))) ==
	    NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	r = 0;
out:
	free(copy);
	qssh_buf_free(b);
	return r;
}

struct kex *
kex_new(
    struct tport *t, enum kex_role role, const struct kex_config *cfg, int *err)
{
	static const struct kex_config empty;
	struct kex *kex = NULL;
	const char *spec[KEX_PROP_MAX] = { NULL };
	int i, r;

	if (cfg == NULL)
		cfg = &empty;
	if (t == NULL) {
		r = QSSH_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if ((kex = calloc(1, sizeof(*kex))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	kex->t = t;
	kex->role = role;
	kex->host_keys = cfg->host_keys;
	kex->num_host_keys = cfg->num_host_keys;
	kex->verify = cfg->verify_host_key;
	kex->verify_ctx = cfg->verify_ctx;
	kex->no_ext_info = cfg->no_ext_info;
	kex->no_strict = cfg->no_strict;
	kex->warn_weak_kex = cfg->warn_weak_kex;
	kex->random = cfg->random;
	kex->random_ctx = cfg->random_ctx;
	kex->sign = cfg->sign;
	kex->sign_ctx = cfg->sign_ctx;
	kex->moduli_text = cfg->moduli_text;
	kex->moduli_text_len = cfg->moduli_text_len;
	spec[KEX_PROP_KEX] = cfg->kex_algs;
	spec[KEX_PROP_HOSTKEY] = cfg->hostkey_algs;
	spec[KEX_PROP_ENC_C2S] = spec[KEX_PROP_ENC_S2C] = cfg->ciphers;
	spec[KEX_PROP_MAC_C2S] = spec[KEX_PROP_MAC_S2C] = cfg->macs;
	spec[KEX_PROP_COMP_C2S] = spec[KEX_PROP_COMP_S2C] = cfg->compression;
	for (i = 0; i < KEX_PROP_LANG_C2S; i++) {
		if ((r = kex_assemble_list(kex_default_list(i, role),
			 kex_supported_list(i), spec[i], &kex->prop[i])) != 0)
			goto out;
	}
	for (; i < KEX_PROP_MAX; i++) {
		if ((kex->prop[i] = strdup("")) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
	}
	if (role == KEX_ROLE_SERVER &&
	    (r = filter_hostkey_algs(kex, &kex->prop[KEX_PROP_HOSTKEY])) != 0)
		goto out;
	if ((kex->moduli_path = strdup(cfg->moduli_path != NULL
		     ? cfg->moduli_path
		     : KEX_MODULI_PATH)) == NULL ||
	    (kex->server_sig_algs = strdup(cfg->server_sig_algs != NULL
		     ? cfg->server_sig_algs
		     : default_sig_algs)) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		kex_free(kex);
		kex = NULL;
	}
	if (err != NULL)
		*err = r;
	return kex;
}

void
kex_set_peer_name(struct kex *kex, const char *addr, int port)
{
	free(kex->peer_addr);
	kex->peer_addr = addr != NULL ? strdup(addr) : NULL;
	kex->peer_port = port;
}

bool
kex_in_progress(const struct kex *kex)
{
	return kex->running;
}

unsigned
kex_count(const struct kex *kex)
{
	return kex->nkex;
}

bool
kex_is_strict(const struct kex *kex)
{
	return kex->strict;
}

enum kex_role
kex_get_role(const struct kex *kex)
{
	return kex->role;
}

bool
kex_peer_kexinit_seen(const struct kex *kex)
{
	return kex->peer_kexinit_seen;
}

const struct kex_result *
kex_get_result(const struct kex *kex)
{
	return kex->result.kex != NULL ? &kex->result : NULL;
}

int
kex_session_id(const struct kex *kex, const uint8_t **p, size_t *len)
{
	if (kex->session_id_len == 0)
		return QSSH_ERR_INVALID_ARGUMENT;
	*p = kex->session_id;
	*len = kex->session_id_len;
	return 0;
}

const struct key *
kex_server_host_key(const struct kex *kex)
{
	return kex->this_key != NULL ? kex->this_key : kex->server_key;
}

const char *
kex_failure_detail(const struct kex *kex)
{
	return kex->failure;
}

bool
kex_peer_wants_ext_info(const struct kex *kex)
{
	return kex->peer_ext_info;
}

bool
kex_alg_is_pq(const char *name)
{
	const struct kex_method *m;

	if (name == NULL || (m = method_by_name(name)) == NULL)
		return false;
	return m->kind == KEX_KIND_SNTRUP || m->kind == KEX_KIND_MLKEM;
}

bool
kex_result_is_pq(const struct kex *kex)
{
	return kex->result.kex != NULL && kex_alg_is_pq(kex->result.kex);
}

bool
kex_pq_warning_due(const struct kex *kex)
{
	return kex->role == KEX_ROLE_CLIENT && kex->warn_weak_kex &&
	    kex->nkex > 0 && !kex_result_is_pq(kex);
}

/* Randomness of the exchange itself: the configured source or the system. */
static int
kex_random(struct kex *kex, uint8_t *out, size_t len)
{
	if (kex->random != NULL)
		return kex->random(kex->random_ctx, out, len);
	return qssh_random_bytes(out, len);
}

/* ---- KEXINIT ---- */

static int
list_with(const char *base, const char *extra1, const char *extra2, char **out)
{
	if (asprintf(out, "%s%s%s%s%s", base, extra1 != NULL ? "," : "",
		extra1 != NULL ? extra1 : "", extra2 != NULL ? "," : "",
		extra2 != NULL ? extra2 : "") < 0) {
		*out = NULL;
		return QSSH_ERR_ALLOC;
	}
	return 0;
}

int
kex_start(struct kex *kex)
{
	struct kex_proposal_set p;
	struct qssh_buf *b = NULL;
	const char *e1 = NULL, *e2 = NULL;
	int i, r;

	if (kex->sent_kexinit)
		return 0;
	memset(&p, 0, sizeof(p));
	if ((r = kex_random(kex, p.cookie, sizeof(p.cookie))) != 0)
		goto out;
	/* Pseudo-algorithms only in the first KEXINIT. */
	if (kex->nkex == 0) {
		if (!kex->no_ext_info)
			e1 = kex->role == KEX_ROLE_CLIENT ? KEX_EXT_INFO_C
							  : KEX_EXT_INFO_S;
		if (!kex->no_strict)
			e2 = kex->role == KEX_ROLE_CLIENT ? KEX_STRICT_C
							  : KEX_STRICT_S;
	}
	if ((r = list_with(
		 kex->prop[KEX_PROP_KEX], e1, e2, &p.names[KEX_PROP_KEX])) != 0)
		goto out;
	for (i = 1; i < KEX_PROP_MAX; i++) {
		if ((p.names[i] = strdup(kex->prop[i])) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
	}
	if ((b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_u8(b, SSH_MSG_KEXINIT)) != 0 ||
	    (r = kex_proposal_build(&p, b)) != 0)
		goto out;
	tport_kex_started(kex->t);
	if ((r = tport_send(kex->t, SSH_MSG_KEXINIT, qssh_buf_ptr(b) + 1,
		 qssh_buf_len(b) - 1)) != 0)
		goto out;
	qlog_debug("SSH2_MSG_KEXINIT sent");
	kex->my_kexinit = b;
	b = NULL;
	kex->sent_kexinit = true;
	kex->running = true;
	r = 0;
out:
	kex_proposal_cleanup(&p);
	qssh_buf_free(b);
	return r;
}

static unsigned
umax3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a > b ? a : b;

	return m > c ? m : c;
}

static enum tport_comp
comp_from_name(const char *name)
{
	if (strcmp(name, "zlib@openssh.com") == 0)
		return TPORT_COMP_ZLIB_DELAYED;
	if (strcmp(name, "zlib") == 0)
		return TPORT_COMP_ZLIB;
	return TPORT_COMP_NONE;
}

/* Fill the algorithm part of keys for one direction (0 = c2s). */
static int
setup_dir(struct kex *kex, int dir, struct tport_keys *k, unsigned *need,
    unsigned *dh_need)
{
	const struct cryp_cipher_info *ci;
	const struct cryp_mac_info *mi = NULL;
	unsigned sec;

	memset(k, 0, sizeof(*k));
	if ((ci = cryp_cipher_by_name(
		 kex->choice.names[KEX_PROP_ENC_C2S + dir])) == NULL)
		return QSSH_ERR_ALG_UNSUPPORTED;
	if (!ci->aead) {
		if ((mi = cryp_mac_by_name(
			 kex->choice.names[KEX_PROP_MAC_C2S + dir])) == NULL)
			return QSSH_ERR_ALG_UNSUPPORTED;
	}
	if (ci->key_len > sizeof(k->key) || ci->iv_len > sizeof(k->iv) ||
	    (mi != NULL && mi->key_len > sizeof(k->mac_key)))
		return QSSH_ERR_INTERNAL;
	k->cipher = ci;
	k->mac = mi;
	k->comp = comp_from_name(kex->choice.names[KEX_PROP_COMP_C2S + dir]);
	/* chacha20-poly1305 derives 64 bytes for 256 bits of security. */
	sec = ci->id == CRYP_CIPHER_CHACHA20_POLY1305 ? 32 : ci->key_len;
	*need = umax3(*need, ci->key_len, ci->block_len);
	*need = umax3(*need, ci->iv_len, mi != NULL ? mi->key_len : 0);
	*dh_need = umax3(*dh_need, sec, ci->block_len);
	*dh_need = umax3(*dh_need, ci->iv_len, mi != NULL ? mi->key_len : 0);
	return 0;
}

static void
log_dir(const struct kex *kex, int dir)
{
	const char *mac = kex->choice.names[KEX_PROP_MAC_C2S + dir];

	qlog_debug("kex: %s cipher: %s MAC: %s compression: %s",
	    dir == 0 ? "client->server" : "server->client",
	    kex->choice.names[KEX_PROP_ENC_C2S + dir],
	    mac != NULL ? mac : "<implicit>",
	    kex->choice.names[KEX_PROP_COMP_C2S + dir]);
}

static int send_method_start(struct kex *kex);

static int
kex_negotiated(struct kex *kex, const struct kex_proposal_set *mine,
    const struct kex_proposal_set *peer)
{
	const struct kex_proposal_set *cp, *sp;
	unsigned dh_need = 0;
	bool first = kex->nkex == 0;
	size_t i;
	int r, in, out;

	cp = kex->role == KEX_ROLE_CLIENT ? mine : peer;
	sp = kex->role == KEX_ROLE_CLIENT ? peer : mine;
	free(kex->failure);
	kex->failure = NULL;
	r = kex_negotiate(
	    cp, sp, kex->role, first, &kex->choice, &kex->failure);
	if (r != 0) {
		if (r == QSSH_ERR_NO_MATCH && kex->failure != NULL) {
			if (kex->peer_addr != NULL)
				qlog_error("Unable to negotiate with %s port "
					   "%d: %s",
				    kex->peer_addr, kex->peer_port,
				    kex->failure);
			else
				qlog_debug("kex: %s", kex->failure);
		}
		return r;
	}
	if ((kex->method = method_by_name(kex->choice.names[KEX_PROP_KEX])) ==
	    NULL)
		return QSSH_ERR_ALG_UNSUPPORTED;
	kex->result.kex = kex->choice.names[KEX_PROP_KEX];
	kex->result.hostkey_alg = kex->choice.names[KEX_PROP_HOSTKEY];
	for (i = 0; i < 2; i++) {
		kex->result.enc[i] = kex->choice.names[KEX_PROP_ENC_C2S + i];
		kex->result.mac[i] = kex->choice.names[KEX_PROP_MAC_C2S + i];
		kex->result.comp[i] = kex->choice.names[KEX_PROP_COMP_C2S + i];
	}
	qlog_debug("kex: algorithm: %s", kex->result.kex);
	qlog_debug("kex: host key algorithm: %s", kex->result.hostkey_alg);
	/* Incoming direction first, as OpenSSH prints it. */
	in = kex->role == KEX_ROLE_CLIENT ? 1 : 0;
	out = 1 - in;
	log_dir(kex, in);
	log_dir(kex, out);
	kex->need = 0;
	if ((r = setup_dir(kex, out, &kex->keys_out, &kex->need, &dh_need)) !=
		0 ||
	    (r = setup_dir(kex, in, &kex->keys_in, &kex->need, &dh_need)) != 0)
		return r;
	if (kex->role == KEX_ROLE_SERVER) {
		for (i = 0; i < kex->num_host_keys; i++) {
			if (kex->host_keys[i] != NULL &&
			    key_alg_matches(
				kex->host_keys[i], kex->result.hostkey_alg)) {
				kex->signer = kex->host_keys[i];
				break;
			}
		}
		if (kex->signer == NULL)
			return QSSH_ERR_KEY_NOT_FOUND;
	}
	if (first) {
		kex->strict = kex->choice.strict;
		kex->peer_ext_info = kex->role == KEX_ROLE_SERVER
		    ? kex->choice.peer_ext_info
		    : kex->choice.server_ext_info;
		if (kex->strict) {
			qlog_debug3("kex: strict KEX mode enabled");
			tport_set_strict_kex(kex->t, true);
		}
	}
	kex->skip_next = kex->choice.peer_guess_wrong;
	kex->need = dh_need > kex->need ? dh_need : kex->need;
	if (kex->role == KEX_ROLE_CLIENT)
		return send_method_start(kex);
	kex->expect = kex->method->kind == KEX_KIND_GEX
	    ? SSH_MSG_KEX_DH_GEX_REQUEST
	    : SSH_MSG_KEX_ECDH_INIT;
	return 0;
}

static int
handle_kexinit(struct kex *kex, struct qssh_view payload)
{
	struct kex_proposal_set mine, peer;
	struct qssh_view v;
	int r;

	memset(&mine, 0, sizeof(mine));
	memset(&peer, 0, sizeof(peer));
	if (kex->got_kexinit) {
		r = QSSH_ERR_PROTOCOL;
		goto out;
	}
	qlog_debug("SSH2_MSG_KEXINIT received");
	if ((r = kex_proposal_parse(payload, &peer)) != 0)
		goto out;
	kex->got_kexinit = true;
	kex->peer_kexinit_seen = true;
	if ((kex->peer_kexinit = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_u8(kex->peer_kexinit, SSH_MSG_KEXINIT)) != 0 ||
	    (r = qssh_buf_put_view(kex->peer_kexinit, payload)) != 0)
		goto out;
	if ((r = kex_start(kex)) != 0)
		goto out;
	v = qssh_buf_view(kex->my_kexinit);
	if ((r = qssh_view_skip(&v, 1)) != 0 ||
	    (r = kex_proposal_parse(v, &mine)) != 0)
		goto out;
	r = kex_negotiated(kex, &mine, &peer);
out:
	kex_proposal_cleanup(&mine);
	kex_proposal_cleanup(&peer);
	return r;
}

/* ---- exchange hash and keys ---- */

static int
put_versions_and_kexinits(struct kex *kex, struct qssh_buf *b)
{
	const char *vc, *vs;
	const struct qssh_buf *ic, *is;
	int r;

	if (kex->role == KEX_ROLE_CLIENT) {
		vc = tport_local_version(kex->t);
		vs = tport_remote_version(kex->t);
		ic = kex->my_kexinit;
		is = kex->peer_kexinit;
	} else {
		vc = tport_remote_version(kex->t);
		vs = tport_local_version(kex->t);
		ic = kex->peer_kexinit;
		is = kex->my_kexinit;
	}
	if (vc == NULL || vs == NULL)
		return QSSH_ERR_INTERNAL;
	if ((r = qssh_buf_put_cstring(b, vc)) != 0 ||
	    (r = qssh_buf_put_cstring(b, vs)) != 0 ||
	    (r = qssh_buf_put_stringb(b, ic)) != 0 ||
	    (r = qssh_buf_put_stringb(b, is)) != 0)
		return r;
	return 0;
}

/* H over everything; hostkey_blob is K_S. */
static int
exchange_hash(struct kex *kex, const struct qssh_buf *hostkey_blob, uint8_t *h,
    size_t *h_len)
{
	struct qssh_buf *b = NULL;
	const EVP_MD *md;
	unsigned int len = 0;
	int r;

	if ((md = EVP_get_digestbyname(kex->method->hash)) == NULL)
		return QSSH_ERR_INTERNAL;
	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = put_versions_and_kexinits(kex, b)) != 0 ||
	    (r = qssh_buf_put_stringb(b, hostkey_blob)) != 0)
		goto out;
	if (kex->method->kind == KEX_KIND_GEX) {
		if ((r = qssh_buf_put_u32(b, kex->gex_min)) != 0 ||
		    (r = qssh_buf_put_u32(b, kex->gex_n)) != 0 ||
		    (r = qssh_buf_put_u32(b, kex->gex_max)) != 0 ||
		    (r = qssh_buf_put_view(b, qssh_buf_view(kex->gex_group))) !=
			0)
			goto out;
	}
	if ((r = qssh_buf_put_view(b, qssh_buf_view(kex->qc))) != 0 ||
	    (r = qssh_buf_put_view(b, qssh_buf_view(kex->qs))) != 0 ||
	    (r = qssh_buf_put_view(b, qssh_buf_view(kex->kmp))) != 0)
		goto out;
	if (EVP_Digest(qssh_buf_ptr(b), qssh_buf_len(b), h, &len, md, NULL) !=
	    1) {
		r = QSSH_ERR_LIBCRYPTO;
		goto out;
	}
	*h_len = len;
	r = 0;
out:
	qssh_buf_free(b);
	return r;
}

static int
derive_dir(struct kex *kex, const uint8_t *h, size_t h_len, int dir,
    struct tport_keys *k)
{
	const struct qssh_buf *K = kex->kmp;
	const char *hn = kex->method->hash;
	int r;

	/* c2s: IV 'A', key 'C', MAC 'E'; s2c: 'B', 'D', 'F'. */
	if ((r = kex_derive_key(hn, qssh_buf_ptr(K), qssh_buf_len(K), h, h_len,
		 (char)('A' + dir), kex->session_id, kex->session_id_len, k->iv,
		 k->cipher->iv_len)) != 0 ||
	    (r = kex_derive_key(hn, qssh_buf_ptr(K), qssh_buf_len(K), h, h_len,
		 (char)('C' + dir), kex->session_id, kex->session_id_len,
		 k->key, k->cipher->key_len)) != 0)
		return r;
	if (k->mac != NULL &&
	    (r = kex_derive_key(hn, qssh_buf_ptr(K), qssh_buf_len(K), h, h_len,
		 (char)('E' + dir), kex->session_id, kex->session_id_len,
		 k->mac_key, k->mac->key_len)) != 0)
		return r;
	return 0;
}

static int
derive_keys(struct kex *kex, const uint8_t *h, size_t h_len)
{
	int out = kex->role == KEX_ROLE_CLIENT ? 0 : 1;
	int r;

	if (kex->session_id_len == 0) {
		memcpy(kex->session_id, h, h_len);
		kex->session_id_len = h_len;
	}
	if ((r = derive_dir(kex, h, h_len, out, &kex->keys_out)) != 0 ||
	    (r = derive_dir(kex, h, h_len, 1 - out, &kex->keys_in)) != 0)
		return r;
	kex->keys_ready = true;
	return 0;
}

static int
send_ext_info(struct kex *kex)
{
	struct qssh_buf *b;
	int r;

	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put_u32(b, 2)) != 0 ||
	    (r = qssh_buf_put_cstring(b, "server-sig-algs")) != 0 ||
	    (r = qssh_buf_put_cstring(b, kex->server_sig_algs)) != 0 ||
	    (r = qssh_buf_put_cstring(b, "ping@openssh.com")) != 0 ||
	    (r = qssh_buf_put_cstring(b, "0")) != 0 ||
	    (r = tport_send_buf(kex->t, SSH_MSG_EXT_INFO, b)) != 0)
		goto out;
	qlog_debug3("send_ext_info: sending SSH2_MSG_EXT_INFO");
out:
	qssh_buf_free(b);
	return r;
}

static int
send_newkeys(struct kex *kex)
{
	int r;

	if ((r = tport_send(kex->t, SSH_MSG_NEWKEYS, NULL, 0)) != 0)
		return r;
	qlog_debug("SSH2_MSG_NEWKEYS sent");
	if ((r = tport_set_keys_out(kex->t, &kex->keys_out)) != 0)
		return r;
	qssh_wipe(kex->keys_out.key, sizeof(kex->keys_out.key));
	qssh_wipe(kex->keys_out.iv, sizeof(kex->keys_out.iv));
	qssh_wipe(kex->keys_out.mac_key, sizeof(kex->keys_out.mac_key));
	kex->sent_newkeys = true;
	if (kex->role == KEX_ROLE_SERVER && kex->nkex == 0 &&
	    kex->peer_ext_info && (r = send_ext_info(kex)) != 0)
		return r;
	qlog_debug("expecting SSH2_MSG_NEWKEYS");
	kex->expect = SSH_MSG_NEWKEYS;
	return 0;
}

/* ---- method messages ---- */

/* Need in bits for the group size of a GEX request (like OpenSSH). */
static uint32_t
gex_estimate(unsigned bits)
{
	if (bits <= 112)
		return 2048;
	if (bits <= 128)
		return 3072;
	if (bits <= 192)
		return 7680;
	return 8192;
}

/* RFC 7748: the u-coordinate 9 of the X25519 base point. */
static const uint8_t x25519_base[KEX_X25519_LEN] = { 9 };

/* X25519 ephemeral into kex->x_priv and its public value. */
static int
x25519_ephemeral(struct kex *kex, uint8_t pub[KEX_X25519_LEN])
{
	int r;

	if (kex->random == NULL)
		return kex_x25519_keypair(kex->x_priv, pub);
	if ((r = kex_random(kex, kex->x_priv, sizeof(kex->x_priv))) != 0 ||
	    (r = kex_x25519_shared(kex->x_priv, x25519_base, pub)) != 0) {
		qssh_wipe(kex->x_priv, sizeof(kex->x_priv));
		return r;
	}
	return 0;
}

static bool
kind_is_hybrid(enum kex_kind kind)
{
	return kind == KEX_KIND_SNTRUP || kind == KEX_KIND_MLKEM;
}

/* Sizes of the KEM part of Q_C and Q_S. */
static size_t
kem_pk_len(enum kex_kind kind)
{
	return kind == KEX_KIND_MLKEM ? MLKEM768_EK_LEN
				      : SNTRUP761_PUBLICKEY_SIZE;
}

static size_t
kem_ct_len(enum kex_kind kind)
{
	return kind == KEX_KIND_MLKEM ? MLKEM768_CT_LEN
				      : SNTRUP761_CIPHERTEXT_SIZE;
}

static int
sntrup_random(void *ctx, uint8_t *out, size_t len)
{
	return kex_random(ctx, out, len);
}

/* string(kem_part || x25519_part) */
static int
put_hybrid_string(struct qssh_buf *b, const uint8_t *kem, size_t kem_len,
    const uint8_t x[KEX_X25519_LEN])
{
	int r;

	if ((r = qssh_buf_put_u32(b, (uint32_t)(kem_len + KEX_X25519_LEN))) !=
		0 ||
	    (r = qssh_buf_put(b, kem, kem_len)) != 0 ||
	    (r = qssh_buf_put(b, x, KEX_X25519_LEN)) != 0)
		return r;
	return 0;
}

/*
 * K = HASH(kem_ss || x25519_ss), put into kex->kmp as a string: the hybrid
 * methods encode the shared secret as a string, not as an mpint.
 */
static int
hybrid_secret(struct kex *kex, const uint8_t ss[2 * KEX_KEM_SS_LEN])
{
	const EVP_MD *md;
	uint8_t k[KEX_HASH_MAX];
	unsigned int klen = 0;
	int r;

	if ((md = EVP_get_digestbyname(kex->method->hash)) == NULL)
		return QSSH_ERR_INTERNAL;
	if ((kex->kmp = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if (EVP_Digest(ss, 2 * KEX_KEM_SS_LEN, k, &klen, md, NULL) != 1) {
		r = QSSH_ERR_LIBCRYPTO;
		goto out;
	}
	r = qssh_buf_put_string(kex->kmp, k, klen);
out:
	qssh_wipe(k, sizeof(k));
	return r;
}

/* Client: KEM key pair and X25519 value; Q_C = string(pk || X25519). */
static int
hybrid_client_init(struct kex *kex, struct qssh_buf *dst)
{
	uint8_t pk[KEX_KEM_PK_MAX], seed[2 * MLKEM768_SEED_LEN];
	uint8_t xpub[KEX_X25519_LEN];
	size_t pk_len = kem_pk_len(kex->method->kind);
	int r;

	if ((r = x25519_ephemeral(kex, xpub)) != 0)
		goto out;
	if (kex->method->kind == KEX_KIND_MLKEM) {
		if ((r = kex_random(kex, seed, sizeof(seed))) != 0 ||
		    (r = mlkem768_keygen_seeded(
			 pk, kex->kem_sk, seed, seed + MLKEM768_SEED_LEN)) != 0)
			goto out;
	} else if ((r = sntrup761_keypair_rng(
			pk, kex->kem_sk, sntrup_random, kex)) != 0)
		goto out;
	r = put_hybrid_string(dst, pk, pk_len, xpub);
out:
	qssh_wipe(seed, sizeof(seed));
	return r;
}

/*
 * Server: encapsulate to the client's KEM key, our X25519 value;
 * Q_S = string(ct || X25519) into kex->qs and K into kex->kmp.  The lengths
 * must be exact, and an ML-KEM key that fails the modulus check (FIPS 203
 * 7.2) ends the exchange.
 */
static int
hybrid_server(struct kex *kex, struct qssh_view peer)
{
	struct qssh_view pk, xpeer;
	uint8_t ct[KEX_KEM_CT_MAX], ss[2 * KEX_KEM_SS_LEN];
	uint8_t m[MLKEM768_SEED_LEN], xpub[KEX_X25519_LEN];
	enum kex_kind kind = kex->method->kind;
	int r;

	if (peer.len != kem_pk_len(kind) + KEX_X25519_LEN) {
		qlog_error("kex: client hybrid value has length %zu", peer.len);
		return QSSH_ERR_KEY_LENGTH;
	}
	if ((r = qssh_view_get_bytes(&peer, kem_pk_len(kind), &pk)) != 0 ||
	    (r = qssh_view_get_bytes(&peer, KEX_X25519_LEN, &xpeer)) != 0)
		return r;
	if ((r = x25519_ephemeral(kex, xpub)) != 0)
		goto out;
	if (kind == KEX_KIND_MLKEM) {
		if ((r = kex_random(kex, m, sizeof(m))) != 0 ||
		    (r = mlkem768_encaps_seeded(ct, ss, pk.p, pk.len, m)) !=
			0) {
			if (r == QSSH_ERR_KEY_INVALID)
				qlog_error("kex: invalid ML-KEM "
					   "encapsulation key");
			goto out;
		}
	} else if ((r = sntrup761_encap_rng(
			ct, ss, pk.p, sntrup_random, kex)) != 0)
		goto out;
	if ((r = kex_x25519_shared(
		 kex->x_priv, xpeer.p, ss + KEX_KEM_SS_LEN)) != 0)
		goto out;
	if ((kex->qs = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = put_hybrid_string(kex->qs, ct, kem_ct_len(kind), xpub)) != 0)
		goto out;
	r = hybrid_secret(kex, ss);
out:
	qssh_wipe(ss, sizeof(ss));
	qssh_wipe(m, sizeof(m));
	qssh_wipe(kex->x_priv, sizeof(kex->x_priv));
	return r;
}

/* Client: decapsulate the server's ciphertext; K into kex->kmp. */
static int
hybrid_client_finish(struct kex *kex, struct qssh_view peer)
{
	struct qssh_view ct, xpeer;
	uint8_t ss[2 * KEX_KEM_SS_LEN];
	enum kex_kind kind = kex->method->kind;
	int r;

	if (peer.len != kem_ct_len(kind) + KEX_X25519_LEN) {
		qlog_error("kex: server hybrid value has length %zu", peer.len);
		return QSSH_ERR_KEY_LENGTH;
	}
	if ((r = qssh_view_get_bytes(&peer, kem_ct_len(kind), &ct)) != 0 ||
	    (r = qssh_view_get_bytes(&peer, KEX_X25519_LEN, &xpeer)) != 0)
		return r;
	if (kind == KEX_KIND_MLKEM)
		r = mlkem768_decaps(
		    ss, kex->kem_sk, MLKEM768_DK_LEN, ct.p, ct.len);
	else
		r = sntrup761_decap(ss, ct.p, kex->kem_sk);
	if (r != 0)
		goto out;
	if ((r = kex_x25519_shared(
		 kex->x_priv, xpeer.p, ss + KEX_KEM_SS_LEN)) != 0)
		goto out;
	r = hybrid_secret(kex, ss);
out:
	qssh_wipe(ss, sizeof(ss));
	qssh_wipe(kex->kem_sk, sizeof(kex->kem_sk));
	qssh_wipe(kex->x_priv, sizeof(kex->x_priv));
	return r;
}

/* Our ephemeral key; its encoded public value goes to *dst. */
static int
make_ephemeral(struct kex *kex, struct qssh_buf **dst)
{
	struct qssh_buf *pt = NULL;
	uint8_t pub[32];
	int r;

	if ((*dst = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	switch (kex->method->kind) {
	case KEX_KIND_C25519:
		if ((r = x25519_ephemeral(kex, pub)) != 0)
			return r;
		return qssh_buf_put_string(*dst, pub, sizeof(pub));
	case KEX_KIND_SNTRUP:
	case KEX_KIND_MLKEM:
		return hybrid_client_init(kex, *dst);
	case KEX_KIND_ECDH:
		if ((r = kex_ecdh_new(kex->method->param, &kex->ecdh)) != 0)
			return r;
		if ((pt = qssh_buf_new()) == NULL)
			return QSSH_ERR_ALLOC;
		if ((r = kex_ecdh_public(kex->ecdh, pt)) == 0)
			r = qssh_buf_put_stringb(*dst, pt);
		qssh_buf_free(pt);
		return r;
	case KEX_KIND_DH:
		if (kex->dh == NULL &&
		    (r = kex_dh_new_builtin(kex->method->param, &kex->dh)) != 0)
			return r;
		/* FALLTHROUGH */
	case KEX_KIND_GEX:
		if ((r = kex_dh_generate(kex->dh, kex->need * 8)) != 0)
			return r;
		return kex_dh_put_public(kex->dh, *dst);
	}
	return QSSH_ERR_INTERNAL;
}

/* The shared secret from the peer's encoded value (a string or mpint). */
static int
compute_shared(struct kex *kex, struct qssh_view peer)
{
	uint8_t k[66];
	size_t klen = 0;
	int r;

	if (kind_is_hybrid(kex->method->kind))
		return hybrid_client_finish(kex, peer);
	if ((kex->kmp = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	switch (kex->method->kind) {
	case KEX_KIND_C25519:
		if (peer.len != 32)
			return QSSH_ERR_KEY_INVALID;
		if ((r = kex_x25519_shared(kex->x_priv, peer.p, k)) != 0)
			return r;
		klen = 32;
		r = qssh_buf_put_mpint_bytes(kex->kmp, k, klen);
		break;
	case KEX_KIND_ECDH:
		if ((r = kex_ecdh_shared(kex->ecdh, peer.p, peer.len, k,
			 sizeof(k), &klen)) != 0)
			return r;
		r = qssh_buf_put_mpint_bytes(kex->kmp, k, klen);
		break;
	default:
		r = kex_dh_shared(kex->dh, peer.p, peer.len, kex->kmp);
		break;
	}
	qssh_wipe(k, sizeof(k));
	return r;
}

static int
send_method_start(struct kex *kex)
{
	struct qssh_buf *b = NULL;
	int r;

	if (kex->method->kind == KEX_KIND_GEX) {
		kex->gex_min = KEX_DH_GEX_MIN;
		kex->gex_max = KEX_DH_GEX_MAX;
		kex->gex_n = gex_estimate(kex->need * 8);
		if ((b = qssh_buf_new()) == NULL)
			return QSSH_ERR_ALLOC;
		if ((r = qssh_buf_put_u32(b, kex->gex_min)) != 0 ||
		    (r = qssh_buf_put_u32(b, kex->gex_n)) != 0 ||
		    (r = qssh_buf_put_u32(b, kex->gex_max)) != 0 ||
		    (r = tport_send_buf(
			 kex->t, SSH_MSG_KEX_DH_GEX_REQUEST, b)) != 0)
			goto out;
		qlog_debug("SSH2_MSG_KEX_DH_GEX_REQUEST(%u<%u<%u) sent",
		    kex->gex_min, kex->gex_n, kex->gex_max);
		qlog_debug("expecting SSH2_MSG_KEX_DH_GEX_GROUP");
		kex->expect = SSH_MSG_KEX_DH_GEX_GROUP;
		r = 0;
		goto out;
	}
	if ((r = make_ephemeral(kex, &kex->qc)) != 0)
		goto out;
	if ((r = tport_send_buf(kex->t, SSH_MSG_KEX_ECDH_INIT, kex->qc)) != 0)
		goto out;
	kex->expect = SSH_MSG_KEX_ECDH_REPLY;
	if (kex->method->kind == KEX_KIND_DH)
		qlog_debug("expecting SSH2_MSG_KEXDH_REPLY");
	else
		qlog_debug("expecting SSH2_MSG_KEX_ECDH_REPLY");
out:
	qssh_buf_free(b);
	return r;
}

/* Client: GEX group from the server. */
static int
client_gex_group(struct kex *kex, struct qssh_view v)
{
	struct qssh_view p, g;
	uint32_t gv = 0;
	size_t i;
	unsigned bits;
	int r;

	if ((r = qssh_view_get_mpint(&v, &p)) != 0 ||
	    (r = qssh_view_get_mpint(&v, &g)) != 0)
		return r;
	if (g.len == 0 || g.len > 4)
		return QSSH_ERR_KEY_INVALID;
	for (i = 0; i < g.len; i++)
		gv = (gv << 8) | g.p[i];
	if ((r = kex_dh_new_group(p.p, p.len, gv, &kex->dh)) != 0)
		return r == QSSH_ERR_INVALID_ARGUMENT ? QSSH_ERR_KEY_INVALID
						      : r;
	bits = kex_dh_bits(kex->dh);
	qlog_debug("SSH2_MSG_KEX_DH_GEX_GROUP received");
	if (bits < kex->gex_min || bits > kex->gex_max) {
		qlog_error("DH_GEX group out of range: %u !< %u !< %u",
		    kex->gex_min, bits, kex->gex_max);
		return QSSH_ERR_KEX_FAILED;
	}
	/* 1 < g < p-1 */
	if ((r = kex_dh_check_public(kex->dh, g.p, g.len)) != 0)
		return r;
	if ((kex->gex_group = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = kex_dh_put_group(kex->dh, kex->gex_group)) != 0)
		return r;
	if ((r = make_ephemeral(kex, &kex->qc)) != 0)
		return r;
	if ((r = tport_send_buf(kex->t, SSH_MSG_KEX_DH_GEX_INIT, kex->qc)) != 0)
		return r;
	qlog_debug("SSH2_MSG_KEX_DH_GEX_INIT sent");
	qlog_debug("expecting SSH2_MSG_KEX_DH_GEX_REPLY");
	kex->expect = SSH_MSG_KEX_DH_GEX_REPLY;
	return 0;
}

/* Server: GEX request from the client. */
static int
server_gex_request(struct kex *kex, struct qssh_view v)
{
	struct kex_dh_group grp;
	struct qssh_buf *b = NULL;
	uint32_t min, n, max;
	int r;

	memset(&grp, 0, sizeof(grp));
	if ((r = qssh_view_get_u32(&v, &kex->gex_min)) != 0 ||
	    (r = qssh_view_get_u32(&v, &kex->gex_n)) != 0 ||
	    (r = qssh_view_get_u32(&v, &kex->gex_max)) != 0)
		return r;
	qlog_debug("SSH2_MSG_KEX_DH_GEX_REQUEST received");
	min = kex->gex_min > KEX_DH_GEX_MIN ? kex->gex_min : KEX_DH_GEX_MIN;
	max = kex->gex_max < KEX_DH_GEX_MAX ? kex->gex_max : KEX_DH_GEX_MAX;
	n = kex->gex_n;
	if (n < KEX_DH_GEX_MIN)
		n = KEX_DH_GEX_MIN;
	if (n > KEX_DH_GEX_MAX)
		n = KEX_DH_GEX_MAX;
	if (max < min || n < min || max < n)
		return QSSH_ERR_KEX_FAILED;
	if (kex->moduli_text != NULL)
		r = kex_moduli_choose_text(kex->moduli_text,
		    kex->moduli_text_len, kex->moduli_path, min, n, max, &grp);
	else
		r = kex_moduli_choose(kex->moduli_path, min, n, max, &grp);
	if (r != 0)
		return r == QSSH_ERR_NO_MATCH ? QSSH_ERR_KEX_FAILED : r;
	if ((r = kex_dh_new_group(grp.p, grp.p_len, grp.g, &kex->dh)) != 0)
		goto out;
	if ((kex->gex_group = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = kex_dh_put_group(kex->dh, kex->gex_group)) != 0 ||
	    (r = tport_send_buf(
		 kex->t, SSH_MSG_KEX_DH_GEX_GROUP, kex->gex_group)) != 0)
		goto out;
	qlog_debug("SSH2_MSG_KEX_DH_GEX_GROUP sent");
	kex->expect = SSH_MSG_KEX_DH_GEX_INIT;
	r = 0;
out:
	qssh_buf_free(b);
	kex_dh_group_cleanup(&grp);
	return r;
}

static int
host_key_sign(
    struct kex *kex, const uint8_t *h, size_t h_len, struct qssh_buf *sig)
{
	if (kex->sign != NULL)
		return kex->sign(kex->sign_ctx, kex->signer,
		    kex->result.hostkey_alg, h, h_len, sig);
	return key_sign(kex->signer, kex->result.hostkey_alg, h, h_len, sig);
}

/* Server: the client's ephemeral value; reply and send NEWKEYS. */
static int
server_init(struct kex *kex, struct qssh_view v, uint8_t reply_type)
{
	struct qssh_buf *blob = NULL, *sig = NULL, *b = NULL;
	struct qssh_view peer;
	uint8_t h[KEX_HASH_MAX];
	size_t h_len = 0;
	int r;

	if (kex->method->kind == KEX_KIND_C25519 ||
	    kex->method->kind == KEX_KIND_ECDH ||
	    kind_is_hybrid(kex->method->kind))
		r = qssh_view_get_string(&v, &peer);
	else
		r = qssh_view_get_mpint(&v, &peer);
	if (r != 0)
		return r;
	if ((kex->qc = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if (kex->method->kind == KEX_KIND_C25519 ||
	    kex->method->kind == KEX_KIND_ECDH ||
	    kind_is_hybrid(kex->method->kind))
		r = qssh_buf_put_string(kex->qc, peer.p, peer.len);
	else
		r = qssh_buf_put_mpint_bytes(kex->qc, peer.p, peer.len);
	if (r != 0)
		return r;
	if (kex->method->kind == KEX_KIND_DH ||
	    kex->method->kind == KEX_KIND_GEX) {
		if (kex->method->kind == KEX_KIND_DH &&
		    (r = kex_dh_new_builtin(kex->method->param, &kex->dh)) != 0)
			return r;
		/* Check e before spending time on our own value. */
		if ((r = kex_dh_check_public(kex->dh, peer.p, peer.len)) != 0)
			return r;
	}
	if (kind_is_hybrid(kex->method->kind)) {
		if ((r = hybrid_server(kex, peer)) != 0)
			goto out;
	} else if ((r = make_ephemeral(kex, &kex->qs)) != 0 ||
	    (r = compute_shared(kex, peer)) != 0)
		goto out;
	if ((blob = qssh_buf_new()) == NULL || (sig = qssh_buf_new()) == NULL ||
	    (b = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = key_to_blob(kex->signer, blob)) != 0 ||
	    (r = exchange_hash(kex, blob, h, &h_len)) != 0 ||
	    (r = derive_keys(kex, h, h_len)) != 0 ||
	    (r = host_key_sign(kex, h, h_len, sig)) != 0)
		goto out;
	if ((r = qssh_buf_put_stringb(b, blob)) != 0 ||
	    (r = qssh_buf_put_view(b, qssh_buf_view(kex->qs))) != 0 ||
	    (r = qssh_buf_put_stringb(b, sig)) != 0 ||
	    (r = tport_send_buf(kex->t, reply_type, b)) != 0)
		goto out;
	r = send_newkeys(kex);
out:
	qssh_wipe(h, sizeof(h));
	qssh_buf_free(blob);
	qssh_buf_free(sig);
	qssh_buf_free(b);
	return r;
}

/* Client: the server's reply; verify and send NEWKEYS. */
static int
client_reply(struct kex *kex, struct qssh_view v)
{
	struct qssh_view ks, peer, sig;
	struct qssh_buf *blob = NULL;
	struct key *hk = NULL;
	uint8_t h[KEX_HASH_MAX];
	size_t h_len = 0;
	int r;

	if ((r = qssh_view_get_string(&v, &ks)) != 0)
		return r;
	if (kex->method->kind == KEX_KIND_C25519 ||
	    kex->method->kind == KEX_KIND_ECDH ||
	    kind_is_hybrid(kex->method->kind))
		r = qssh_view_get_string(&v, &peer);
	else
		r = qssh_view_get_mpint(&v, &peer);
	if (r != 0 || (r = qssh_view_get_string(&v, &sig)) != 0)
		return r;
	if ((r = key_from_blob(ks.p, ks.len, &hk)) != 0)
		goto out;
	if (!key_alg_matches(hk, kex->result.hostkey_alg)) {
		r = QSSH_ERR_KEY_TYPE_MISMATCH;
		goto out;
	}
	if ((kex->qs = qssh_buf_new()) == NULL ||
	    (blob = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if (kex->method->kind == KEX_KIND_C25519 ||
	    kex->method->kind == KEX_KIND_ECDH ||
	    kind_is_hybrid(kex->method->kind))
		r = qssh_buf_put_string(kex->qs, peer.p, peer.len);
	else
		r = qssh_buf_put_mpint_bytes(kex->qs, peer.p, peer.len);
	if (r != 0 || (r = qssh_buf_put(blob, ks.p, ks.len)) != 0)
		goto out;
	if ((r = compute_shared(kex, peer)) != 0 ||
	    (r = exchange_hash(kex, blob, h, &h_len)) != 0)
		goto out;
	if ((r = key_verify(
		 hk, kex->result.hostkey_alg, sig.p, sig.len, h, h_len)) != 0)
		goto out;
	/* A rekey must present the same host key. */
	if (kex->server_key != NULL && !key_equal_public(kex->server_key, hk)) {
		qlog_error("kex: server host key changed during rekey");
		r = QSSH_ERR_HOST_KEY_MISMATCH;
		goto out;
	}
	if (kex->verify != NULL &&
	    (r = kex->verify(hk, kex->result.hostkey_alg, kex->verify_ctx)) !=
		0)
		goto out;
	if ((r = derive_keys(kex, h, h_len)) != 0)
		goto out;
	if (kex->server_key == NULL) {
		kex->server_key = hk;
		hk = NULL;
	} else {
		key_free(kex->this_key);
		kex->this_key = hk;
		hk = NULL;
	}
	r = send_newkeys(kex);
out:
	qssh_wipe(h, sizeof(h));
	key_free(hk);
	qssh_buf_free(blob);
	return r;
}

/* Both NEWKEYS done: keep the names, drop the exchange state. */
static void
kex_finish(struct kex *kex)
{
	size_t i;

	kex_choice_cleanup(&kex->last);
	kex->last = kex->choice;
	memset(&kex->choice, 0, sizeof(kex->choice));
	kex->result.kex = kex->last.names[KEX_PROP_KEX];
	kex->result.hostkey_alg = kex->last.names[KEX_PROP_HOSTKEY];
	for (i = 0; i < 2; i++) {
		kex->result.enc[i] = kex->last.names[KEX_PROP_ENC_C2S + i];
		kex->result.mac[i] = kex->last.names[KEX_PROP_MAC_C2S + i];
		kex->result.comp[i] = kex->last.names[KEX_PROP_COMP_C2S + i];
	}
	kex->nkex++;
	kex_reset(kex);
}

static int
handle_newkeys(struct kex *kex)
{
	int r;

	if (!kex->keys_ready || kex->got_newkeys)
		return QSSH_ERR_PROTOCOL;
	qlog_debug("SSH2_MSG_NEWKEYS received");
	if ((r = tport_set_keys_in(kex->t, &kex->keys_in)) != 0)
		return r;
	kex->got_newkeys = true;
	if (kex->sent_newkeys)
		kex_finish(kex);
	return 0;
}

int
kex_handle_packet(struct kex *kex, uint8_t type, struct qssh_view payload)
{
	if (type == SSH_MSG_KEXINIT)
		return handle_kexinit(kex, payload);
	if (!kex->running || !kex->got_kexinit || kex->method == NULL)
		return QSSH_ERR_UNEXPECTED_MESSAGE;
	if (type == SSH_MSG_NEWKEYS) {
		if (kex->expect != SSH_MSG_NEWKEYS)
			return QSSH_ERR_UNEXPECTED_MESSAGE;
		return handle_newkeys(kex);
	}
	if (type < SSH_MSG_KEX_FIRST || type > SSH_MSG_KEX_LAST)
		return QSSH_ERR_UNEXPECTED_MESSAGE;
	if (kex->skip_next) {
		/* RFC 4253 7: the peer's guessed packet is ignored. */
		kex->skip_next = false;
		qlog_debug2("kex: ignoring guessed kex packet %u", type);
		return 0;
	}
	if (type != kex->expect)
		return QSSH_ERR_UNEXPECTED_MESSAGE;
	if (kex->role == KEX_ROLE_CLIENT) {
		if (kex->method->kind == KEX_KIND_GEX &&
		    type == SSH_MSG_KEX_DH_GEX_GROUP)
			return client_gex_group(kex, payload);
		return client_reply(kex, payload);
	}
	if (kex->method->kind == KEX_KIND_GEX) {
		if (type == SSH_MSG_KEX_DH_GEX_REQUEST)
			return server_gex_request(kex, payload);
		return server_init(kex, payload, SSH_MSG_KEX_DH_GEX_REPLY);
	}
	return server_init(kex, payload, SSH_MSG_KEX_ECDH_REPLY);
}
