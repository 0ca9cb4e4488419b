/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Intel ipsec-mb backend, job API.  Operations of a burst are submitted
 * as jobs in at most two phases (cipher then MAC, or MAC then cipher), so
 * the library can run the MACs of many packets side by side.
 *
 * The SSH MAC input starts with the 4-byte sequence number, which is not
 * contiguous with the packet, and a job hashes one contiguous buffer: the
 * packet is copied behind the sequence number in a per-engine arena.
 *
 * A multi-buffer HMAC manager is fast only when its lanes are full: on an
 * AVX-512 manager one HMAC-SHA-256 job alone runs one of 16 lanes, at a
 * fifth of single-buffer SHA-NI speed.  The transport hands over one packet
 * at a time, so each batch routes its HMACs by how many it has of each
 * algorithm (mac_route()): enough to fill the lanes go to the main manager;
 * fewer go to a second, SSE manager whose HMAC-SHA-1/SHA-256 lanes use the
 * SHA extensions, or, without those (and for SHA-512, and for a lone large
 * packet), to OpenSSL's single-buffer HMAC over the packet in place,
 * without the copy.
 *
 * chacha20-poly1305@openssh.com: the library's ChaCha20 is the IETF one,
 * which for a block counter below 2^32 and nonce 0^32 || N equals the
 * original one.  The AEAD direct API's init derives the block-0 keystream
 * (its Poly1305 key) and its update encrypts from block 1; the SSH tag is
 * a plain Poly1305 job over length || ciphertext.
 */
#if QSSH_WITH_IPSECMB

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "cryp_int.h"

#define IMB_CHUNK 64
/* Sequence number, largest packet, alignment slack. */
#define IMB_SCRATCH_MIN (IMB_HEADROOM + 4 + 4 + CRYP_MAX_PACKET_LEN + 64)
#define IMB_ARENA_QP (4u * 1024 * 1024)
/* Room before the sequence number in the scratch for an HMAC key block. */
#define IMB_HEADROOM 128
/*
 * HMAC jobs refuse messages of 64 KiB and more (16-bit lengths in the
 * multi-buffer lanes); longer ones go to OpenSSL's HMAC.
 */
#define IMB_HMAC_JOB_MAX 65472
/*
 * A batch's only HMAC of an algorithm, from this many bytes on, goes to
 * OpenSSL even with a SHA-NI manager: the same SHA-NI speed, without the
 * copy to scratch (measured crossover 2-4 KiB).
 */
#define IMB_LONE_EVP_MIN 4096
/* cryp_mac_id values counted per batch (NONE, SHA1, SHA2_256, SHA2_512). */
#define IMB_MAC_IDS 4

/* Where the HMAC of one operation is computed. */
enum imb_mac_route {
	IMB_MAC_MB = 0, /* job on the main (multi-buffer) manager */
	IMB_MAC_NI, /* job on the SHA-NI manager */
	IMB_MAC_EVP, /* OpenSSL, on the packet in place */
};

struct imb_state {
	struct gcm_key_data gcm;
	uint32_t enc_keys[64] __attribute__((aligned(64)));
	uint32_t dec_keys[64] __attribute__((aligned(64)));
	uint8_t ipad[64] __attribute__((aligned(64)));
	uint8_t opad[64] __attribute__((aligned(64)));
	/*
	 * Messages too long for an HMAC job, and HMACs that mac_route()
	 * keeps off the job managers: the library's direct SHA API is several
	 * times slower than EVP there.
	 */
	EVP_MAC_CTX *long_mac;
	uint8_t k1[32] __attribute__((aligned(32)));
	uint8_t k2[32] __attribute__((aligned(32)));
};

struct imb_slot {
	struct chacha20_poly1305_context_data cctx;
	uint8_t tag[CRYP_TAG_MAX] __attribute__((aligned(16)));
	uint8_t polykey[32] __attribute__((aligned(16)));
	uint8_t nonce[12];
	uint8_t iv2[16]; /* CTR counter after a 32-bit wrap */
	struct cryp_op *op;
	const uint8_t *iv;
	uint8_t *scratch;
	int status;
	enum imb_mac_route route;
	bool staged; /* seqnr || packet copied to scratch */
};

struct imb_engine {
	IMB_MGR *mgr;
	/*
	 * SSE manager, whose HMAC-SHA-1/SHA-256 lanes use the SHA extensions
	 * (two lanes, full speed from one job); NULL on CPUs without them.
	 */
	IMB_MGR *ni_mgr;
	IMB_ARCH arch; /* of mgr */
	uint8_t *arena;
	size_t arena_len;
	struct imb_slot slots[IMB_CHUNK];
};

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static bool probe_ok;
static char probe_desc[96];

static IMB_MGR *
mgr_new(IMB_ARCH *arch)
{
	IMB_MGR *mgr;
	IMB_ARCH a = IMB_ARCH_NONE;

	if ((mgr = alloc_mb_mgr(0)) == NULL)
		return NULL;
	init_mb_mgr_auto(mgr, &a);
	if (a == IMB_ARCH_NONE || imb_get_errno(mgr) != 0) {
		free_mb_mgr(mgr);
		return NULL;
	}
	if (arch != NULL)
		*arch = a;
	return mgr;
}

static void
probe(void)
{
	IMB_MGR *mgr;
	IMB_ARCH arch;
	const char *an;

	if ((mgr = mgr_new(&arch)) == NULL)
		return;
	switch (arch) {
	case IMB_ARCH_AVX512:
		an = "AVX512";
		break;
	case IMB_ARCH_AVX2:
		an = "AVX2";
		break;
	case IMB_ARCH_AVX:
		an = "AVX";
		break;
	case IMB_ARCH_SSE:
		an = "SSE";
		break;
	default:
		an = "no AES-NI";
		break;
	}
	probe_ok =
	    (mgr->features & IMB_FEATURE_AESNI) != 0 && arch >= IMB_ARCH_SSE;
	snprintf(probe_desc, sizeof(probe_desc), "%s%s%s%s, ipsec-mb %s", an,
	    (mgr->features & IMB_FEATURE_AESNI) ? ", AES-NI" : "",
	    (mgr->features & IMB_FEATURE_VAES) ? ", VAES" : "",
	    (mgr->features & IMB_FEATURE_SHANI) ? ", SHA-NI" : "",
	    imb_get_version_str());
	free_mb_mgr(mgr);
}

static bool
imb_available(void)
{
	pthread_once(&probe_once, probe);
	return probe_ok;
}

static const char *
imb_describe(void)
{
	pthread_once(&probe_once, probe);
	return probe_desc;
}

static bool
imb_supports(enum cryp_cipher_id cipher, enum cryp_mac_id mac)
{
	(void)cipher;
	(void)mac;
	return true;
}

/* Engines: one per queue pair, and one per thread for direct calls. */

/* The SSE manager if this CPU has SHA-NI; NULL otherwise or on failure. */
static IMB_MGR *
ni_mgr_new(const IMB_MGR *main_mgr)
{
	IMB_MGR *mgr;

	if ((main_mgr->features & IMB_FEATURE_SHANI) == 0)
		return NULL;
	if ((mgr = alloc_mb_mgr(0)) == NULL)
		return NULL;
	init_mb_mgr_sse(mgr);
	if (imb_get_errno(mgr) != 0 ||
	    (mgr->features & IMB_FEATURE_SHANI) == 0) {
		free_mb_mgr(mgr);
		return NULL;
	}
	return mgr;
}

static void *
engine_alloc(size_t arena_len)
{
	struct imb_engine *e;

	if ((e = aligned_alloc(64, (sizeof(*e) + 63) & ~(size_t)63)) == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->arena_len = arena_len;
	if ((e->mgr = mgr_new(&e->arch)) == NULL ||
	    (e->arena = aligned_alloc(64, arena_len)) == NULL) {
		if (e->mgr != NULL)
			free_mb_mgr(e->mgr);
		free(e);
		return NULL;
	}
	/* Optional: without it, few HMACs go to EVP. */
	e->ni_mgr = ni_mgr_new(e->mgr);
	return e;
}

static void
imb_engine_free(void *p)
{
	struct imb_engine *e = p;

	if (e == NULL)
		return;
	qssh_wipe(e->arena, e->arena_len);
	free(e->arena);
	free_mb_mgr(e->mgr);
	if (e->ni_mgr != NULL)
		free_mb_mgr(e->ni_mgr);
	qssh_wipe(e, sizeof(*e));
	free(e);
}

static void *
imb_engine_new(void)
{
	return engine_alloc(IMB_ARENA_QP);
}

static pthread_once_t tkey_once = PTHREAD_ONCE_INIT;
static pthread_key_t tkey;
static _Thread_local struct imb_engine *thread_eng;

static void
tkey_init(void)
{
	(void)pthread_key_create(&tkey, imb_engine_free);
}

static struct imb_engine *
thread_engine(void)
{
	if (thread_eng != NULL)
		return thread_eng;
	pthread_once(&tkey_once, tkey_init);
	if ((thread_eng = engine_alloc((IMB_SCRATCH_MIN + 63) & ~(size_t)63)) ==
	    NULL)
		return NULL;
	(void)pthread_setspecific(tkey, thread_eng);
	return thread_eng;
}

/* Sessions. */

static void
imb_session_cleanup(struct cryp_session *s)
{
	struct imb_state *st = s->be_state;

	if (st == NULL)
		return;
	EVP_MAC_CTX_free(st->long_mac);
	qssh_wipe(st, sizeof(*st));
	free(st);
	s->be_state = NULL;
}

static void
hmac_pads(IMB_MGR *mgr, enum cryp_mac_id id, const uint8_t *key, size_t key_len,
    uint8_t *ipad, uint8_t *opad)
{
	uint8_t blk[128], k[64];
	size_t bs = id == CRYP_MAC_HMAC_SHA2_512 ? 128 : 64, i;

	/* Keys longer than a block are hashed first (RFC 2104). */
	if (key_len > bs) {
		if (id == CRYP_MAC_HMAC_SHA1) {
			IMB_SHA1(mgr, key, key_len, k);
			key_len = 20;
		} else if (id == CRYP_MAC_HMAC_SHA2_256) {
			IMB_SHA256(mgr, key, key_len, k);
			key_len = 32;
		} else {
			IMB_SHA512(mgr, key, key_len, k);
			key_len = 64;
		}
		key = k;
	}
	memset(blk, 0x36, bs);
	for (i = 0; i < key_len; i++)
		blk[i] ^= key[i];
	if (id == CRYP_MAC_HMAC_SHA1)
		IMB_SHA1_ONE_BLOCK(mgr, blk, ipad);
	else if (id == CRYP_MAC_HMAC_SHA2_256)
		IMB_SHA256_ONE_BLOCK(mgr, blk, ipad);
	else
		IMB_SHA512_ONE_BLOCK(mgr, blk, ipad);
	memset(blk, 0x5c, bs);
	for (i = 0; i < key_len; i++)
		blk[i] ^= key[i];
	if (id == CRYP_MAC_HMAC_SHA1)
		IMB_SHA1_ONE_BLOCK(mgr, blk, opad);
	else if (id == CRYP_MAC_HMAC_SHA2_256)
		IMB_SHA256_ONE_BLOCK(mgr, blk, opad);
	else
		IMB_SHA512_ONE_BLOCK(mgr, blk, opad);
	qssh_wipe(blk, sizeof(blk));
	qssh_wipe(k, sizeof(k));
}

static EVP_MAC_CTX *
long_mac_new(enum cryp_mac_id id, const uint8_t *key, size_t key_len)
{
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	const char *md = id == CRYP_MAC_HMAC_SHA1 ? "SHA1"
	    : id == CRYP_MAC_HMAC_SHA2_256	  ? "SHA256"
						  : "SHA512";

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_MAC_PARAM_DIGEST, (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx != NULL && EVP_MAC_init(ctx, key, key_len, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

static int
imb_session_init(struct cryp_session *s)
{
	struct imb_engine *e;
	struct imb_state *st;
	IMB_MGR *mgr;

	if ((e = thread_engine()) == NULL)
		return QSSH_ERR_ALLOC;
	mgr = e->mgr;
	if ((st = aligned_alloc(64, (sizeof(*st) + 63) & ~(size_t)63)) == NULL)
		return QSSH_ERR_ALLOC;
	memset(st, 0, sizeof(*st));
	s->be_state = st;
	switch (s->cipher->id) {
	case CRYP_CIPHER_AES128_GCM:
		IMB_AES128_GCM_PRE(mgr, s->key, &st->gcm);
		break;
	case CRYP_CIPHER_AES256_GCM:
		IMB_AES256_GCM_PRE(mgr, s->key, &st->gcm);
		break;
	case CRYP_CIPHER_AES128_CTR:
		IMB_AES_KEYEXP_128(mgr, s->key, st->enc_keys, st->dec_keys);
		break;
	case CRYP_CIPHER_AES192_CTR:
		IMB_AES_KEYEXP_192(mgr, s->key, st->enc_keys, st->dec_keys);
		break;
	case CRYP_CIPHER_AES256_CTR:
		IMB_AES_KEYEXP_256(mgr, s->key, st->enc_keys, st->dec_keys);
		break;
	case CRYP_CIPHER_CHACHA20_POLY1305:
		/* PROTOCOL.chacha20poly1305: K_2 first, K_1 last. */
		memcpy(st->k2, s->key, 32);
		memcpy(st->k1, s->key + 32, 32);
		break;
	case CRYP_CIPHER_NONE:
		break;
	}
	if (s->mac != NULL)
		hmac_pads(mgr, s->mac->id, s->mac_key, s->mac->key_len,
		    st->ipad, st->opad);
	if (s->mac != NULL &&
	    (st->long_mac = long_mac_new(
		 s->mac->id, s->mac_key, s->mac->key_len)) == NULL)
		return QSSH_ERR_LIBCRYPTO;
	return 0;
}

/* Job plumbing. */

static void
job_done(IMB_JOB *job)
{
	struct imb_slot *sl;

	for (; job != NULL; job = NULL) {
		sl = job->user_data;
		if (job->status != IMB_STATUS_COMPLETED && sl != NULL &&
		    sl->status == 0)
			sl->status = QSSH_ERR_LIBCRYPTO;
	}
}

static IMB_JOB *
job_get(IMB_MGR *mgr, struct imb_slot *sl)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(mgr);

	job->user_data = sl;
	job->user_data2 = NULL;
	job->cipher_mode = IMB_CIPHER_NULL;
	job->hash_alg = IMB_AUTH_NULL;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = 0;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = 0;
	job->iv = NULL;
	job->iv_len_in_bytes = 0;
	job->key_len_in_bytes = 0;
	job->enc_keys = NULL;
	job->dec_keys = NULL;
	job->auth_tag_output = NULL;
	job->auth_tag_output_len_in_bytes = 0;
	return job;
}

static void
job_submit(IMB_MGR *mgr)
{
	IMB_JOB *job = IMB_SUBMIT_JOB(mgr);

	while (job != NULL) {
		job_done(job);
		job = IMB_GET_COMPLETED_JOB(mgr);
	}
}

static void
job_drain(IMB_MGR *mgr)
{
	IMB_JOB *job;

	while ((job = IMB_FLUSH_JOB(mgr)) != NULL)
		job_done(job);
}

static IMB_HASH_ALG
hmac_alg(enum cryp_mac_id id)
{
	switch (id) {
	case CRYP_MAC_HMAC_SHA1:
		return IMB_AUTH_HMAC_SHA_1;
	case CRYP_MAC_HMAC_SHA2_256:
		return IMB_AUTH_HMAC_SHA_256;
	case CRYP_MAC_HMAC_SHA2_512:
		return IMB_AUTH_HMAC_SHA_512;
	case CRYP_MAC_NONE:
		break;
	}
	return IMB_AUTH_NULL;
}

static void
submit_hmac(IMB_MGR *mgr, struct imb_slot *sl, enum cryp_mac_id id,
    const uint8_t *ipad, const uint8_t *opad, const uint8_t *src, size_t len,
    uint8_t *tag, size_t tag_len)
{
	IMB_JOB *job = job_get(mgr, sl);

	job->hash_alg = hmac_alg(id);
	job->chain_order = IMB_ORDER_HASH_CIPHER;
	job->src = src;
	job->dst = (uint8_t *)(uintptr_t)src;
	job->msg_len_to_hash_in_bytes = len;
	job->u.HMAC._hashed_auth_key_xor_ipad = ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = opad;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = tag_len;
	job_submit(mgr);
}

static void
submit_ctr1(IMB_MGR *mgr, struct imb_slot *sl, const struct imb_state *st,
    uint64_t key_len, const uint8_t *src, uint8_t *dst, size_t len,
    const uint8_t *iv)
{
	IMB_JOB *job = job_get(mgr, sl);

	job->cipher_mode = IMB_CIPHER_CNTR;
	job->key_len_in_bytes = key_len;
	job->enc_keys = st->enc_keys;
	job->dec_keys = st->enc_keys;
	job->iv = iv;
	job->iv_len_in_bytes = 16;
	job->src = src;
	job->dst = dst;
	job->msg_len_to_cipher_in_bytes = len;
	job_submit(mgr);
}

/*
 * SSH's counter is 128 bits; split where the low 32 bits wrap so that the
 * result does not depend on how wide the library's increment is.
 */
static void
submit_ctr(IMB_MGR *mgr, struct imb_slot *sl, const struct cryp_session *s,
    const uint8_t *src, uint8_t *dst, size_t len, const uint8_t *iv)
{
	const struct imb_state *st = s->be_state;
	uint64_t room = (1ull << 32) - qssh_get_u32be(iv + 12), add;
	int i;

	if (len == 0)
		return;
	if (len / 16 <= room) {
		submit_ctr1(mgr, sl, st, s->cipher->key_len, src, dst, len, iv);
		return;
	}
	memcpy(sl->iv2, iv, 16);
	for (i = 15, add = room; i >= 0 && add != 0; i--) {
		add += sl->iv2[i];
		sl->iv2[i] = (uint8_t)add;
		add >>= 8;
	}
	submit_ctr1(mgr, sl, st, s->cipher->key_len, src, dst, room * 16, iv);
	submit_ctr1(mgr, sl, st, s->cipher->key_len, src + room * 16,
	    dst + room * 16, len - room * 16, sl->iv2);
}

static void
submit_gcm(IMB_MGR *mgr, struct imb_slot *sl, const struct gcm_key_data *key,
    uint64_t key_len, bool encrypt, const uint8_t *iv, const uint8_t *aad,
    size_t aad_len, const uint8_t *src, uint8_t *dst, size_t len, uint8_t *tag)
{
	IMB_JOB *job = job_get(mgr, sl);

	job->cipher_mode = IMB_CIPHER_GCM;
	job->hash_alg = IMB_AUTH_AES_GMAC;
	job->cipher_direction = encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order =
	    encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->key_len_in_bytes = key_len;
	job->enc_keys = key;
	job->dec_keys = key;
	job->iv = iv;
	job->iv_len_in_bytes = 12;
	job->src = src;
	job->dst = dst;
	job->msg_len_to_cipher_in_bytes = len;
	job->msg_len_to_hash_in_bytes = len;
	job->u.GCM.aad = aad;
	job->u.GCM.aad_len_in_bytes = aad_len;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = 16;
	job_submit(mgr);
}

static void
submit_poly(IMB_MGR *mgr, struct imb_slot *sl, const uint8_t *key,
    const uint8_t *src, size_t len, uint8_t *tag)
{
	IMB_JOB *job = job_get(mgr, sl);

	job->hash_alg = IMB_AUTH_POLY1305;
	job->chain_order = IMB_ORDER_HASH_CIPHER;
	job->src = src;
	job->dst = (uint8_t *)(uintptr_t)src;
	job->msg_len_to_hash_in_bytes = len;
	job->u.POLY1305._key = key;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = 16;
	job_submit(mgr);
}

static void
copy_to_scratch(struct imb_slot *sl)
{
	cryp_put_seqnr(sl->scratch, sl->op->seqnr);
	memcpy(sl->scratch + 4, sl->op->pkt, sl->op->pkt_len);
	sl->staged = true;
}

/*
 * MAC seqnr || packet as the packet is now: at once with EVP, or as a job
 * over a copy in the slot's scratch (then sl->staged).
 */
static void
submit_pkt_hmac(struct imb_engine *e, struct imb_slot *sl,
    const struct cryp_session *s, uint8_t *tag)
{
	const struct imb_state *st = s->be_state;
	const struct cryp_op *op = sl->op;
	uint8_t seq[4];
	size_t outl;

	if (sl->route == IMB_MAC_EVP) {
		cryp_put_seqnr(seq, op->seqnr);
		if (EVP_MAC_init(st->long_mac, NULL, 0, NULL) != 1 ||
		    EVP_MAC_update(st->long_mac, seq, sizeof(seq)) != 1 ||
		    EVP_MAC_update(st->long_mac, op->pkt, op->pkt_len) != 1 ||
		    EVP_MAC_final(st->long_mac, tag, &outl, s->tag_len) != 1 ||
		    outl != s->tag_len)
			sl->status = QSSH_ERR_LIBCRYPTO;
		return;
	}
	copy_to_scratch(sl);
	submit_hmac(sl->route == IMB_MAC_NI ? e->ni_mgr : e->mgr, sl,
	    s->mac->id, st->ipad, st->opad, sl->scratch,
	    4 + (size_t)op->pkt_len, tag, s->tag_len);
}

static void
chacha_nonce(uint8_t nonce[12], uint32_t seqnr)
{
	memset(nonce, 0, 4);
	qssh_put_u64be(nonce + 4, seqnr);
}

/*
 * The library's init derives the Poly1305 key from block 0 but keeps it
 * clamped, so block 0 of K_1 (the length keystream) is computed here: one
 * RFC 8439 2.3 block, counter 0.
 */
static inline uint32_t
rotl32(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

static inline uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	    ((uint32_t)p[3] << 24);
}

#define QR(a, b, c, d)             \
	do {                       \
		a += b;            \
		d ^= a;            \
		d = rotl32(d, 16); \
		c += d;            \
		b ^= c;            \
		b = rotl32(b, 12); \
		a += b;            \
		d ^= a;            \
		d = rotl32(d, 8);  \
		c += d;            \
		b ^= c;            \
		b = rotl32(b, 7);  \
	} while (0)

static void
chacha_block(const uint8_t key[32], uint32_t counter, const uint8_t nonce[12],
    uint8_t out[64])
{
	uint32_t in[16], x[16];
	int i;

	in[0] = 0x61707865;
	in[1] = 0x3320646e;
	in[2] = 0x79622d32;
	in[3] = 0x6b206574;
	for (i = 0; i < 8; i++)
		in[4 + i] = get_le32(key + 4 * i);
	in[12] = counter;
	for (i = 0; i < 3; i++)
		in[13 + i] = get_le32(nonce + 4 * i);
	memcpy(x, in, sizeof(x));
	for (i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (i = 0; i < 16; i++) {
		x[i] += in[i];
		out[4 * i] = (uint8_t)x[i];
		out[4 * i + 1] = (uint8_t)(x[i] >> 8);
		out[4 * i + 2] = (uint8_t)(x[i] >> 16);
		out[4 * i + 3] = (uint8_t)(x[i] >> 24);
	}
	qssh_wipe(in, sizeof(in));
	qssh_wipe(x, sizeof(x));
}

/* XOR len (<= 64) bytes with K_1's block 0 for this nonce. */
static void
chacha_len_crypt(const uint8_t k1[32], const uint8_t nonce[12],
    const uint8_t *in, uint8_t *out, size_t len)
{
	uint8_t ks[64];
	size_t i;

	chacha_block(k1, 0, nonce, ks);
	for (i = 0; i < len; i++)
		out[i] = in[i] ^ ks[i];
	qssh_wipe(ks, sizeof(ks));
}

/* Poly1305 key from K_2's block 0 (clamped, which Poly1305 does anyway). */
static void
chacha_block0(IMB_MGR *mgr, struct chacha20_poly1305_context_data *c,
    const uint8_t *key, const uint8_t nonce[12])
{
	IMB_CHACHA20_POLY1305_INIT(mgr, key, c, nonce, NULL, 0);
}

/* Phase 1: everything that can start right away. */
static void
phase1(struct imb_engine *e, struct imb_slot *sl)
{
	IMB_MGR *mgr = e->mgr;
	struct cryp_op *op = sl->op;
	struct cryp_session *s = op->sess;
	struct imb_state *st = s->be_state;
	bool etm = cryp_is_etm(s);

	switch (s->cipher->id) {
	case CRYP_CIPHER_AES128_GCM:
	case CRYP_CIPHER_AES256_GCM:
		submit_gcm(mgr, sl, &st->gcm, s->cipher->key_len, s->encrypt,
		    sl->iv, op->pkt, 4, op->pkt + 4, op->pkt + 4,
		    op->pkt_len - 4, s->encrypt ? op->tag : sl->tag);
		return;
	case CRYP_CIPHER_CHACHA20_POLY1305:
		chacha_nonce(sl->nonce, op->seqnr);
		chacha_block0(mgr, &sl->cctx, st->k2, sl->nonce);
		memcpy(sl->polykey, sl->cctx.poly_key, 32);
		if (s->encrypt) {
			chacha_len_crypt(
			    st->k1, sl->nonce, op->pkt, op->pkt, 4);
			IMB_CHACHA20_POLY1305_ENC_UPDATE(mgr, st->k2, &sl->cctx,
			    op->pkt + 4, op->pkt + 4, op->pkt_len - 4);
		}
		submit_poly(mgr, sl, sl->polykey, op->pkt, op->pkt_len,
		    s->encrypt ? op->tag : sl->tag);
		return;
	default:
		break;
	}
	if (s->mac == NULL) {
		if (s->cipher->id != CRYP_CIPHER_NONE)
			submit_ctr(
			    mgr, sl, s, op->pkt, op->pkt, op->pkt_len, sl->iv);
		return;
	}
	if (s->encrypt && !etm) {
		/*
		 * MAC the plaintext; a job MACs a copy, and the packet is
		 * encrypted from that copy.
		 */
		submit_pkt_hmac(e, sl, s, op->tag);
		if (s->cipher->id != CRYP_CIPHER_NONE)
			submit_ctr(mgr, sl, s,
			    sl->staged ? sl->scratch + 4 : op->pkt, op->pkt,
			    op->pkt_len, sl->iv);
	} else if (!s->encrypt && !etm) {
		if (s->cipher->id != CRYP_CIPHER_NONE)
			submit_ctr(
			    mgr, sl, s, op->pkt, op->pkt, op->pkt_len, sl->iv);
	} else if (s->encrypt && etm) {
		if (s->cipher->id != CRYP_CIPHER_NONE)
			submit_ctr(mgr, sl, s, op->pkt + 4, op->pkt + 4,
			    op->pkt_len - 4, sl->iv);
	} else {
		submit_pkt_hmac(e, sl, s, sl->tag);
	}
}

/* Phase 2: after phase 1 completed; verify or start the second job. */
static void
phase2(struct imb_engine *e, struct imb_slot *sl)
{
	IMB_MGR *mgr = e->mgr;
	struct cryp_op *op = sl->op;
	struct cryp_session *s = op->sess;
	struct imb_state *st = s->be_state;
	bool etm = cryp_is_etm(s);

	if (sl->status != 0)
		return;
	switch (s->cipher->id) {
	case CRYP_CIPHER_AES128_GCM:
	case CRYP_CIPHER_AES256_GCM:
		if (!s->encrypt && !qssh_ct_eq(sl->tag, op->tag, 16)) {
			qssh_wipe(op->pkt + 4, op->pkt_len - 4);
			sl->status = QSSH_ERR_MAC_INVALID;
		}
		return;
	case CRYP_CIPHER_CHACHA20_POLY1305:
		if (s->encrypt)
			return;
		if (!qssh_ct_eq(sl->tag, op->tag, 16)) {
			sl->status = QSSH_ERR_MAC_INVALID;
			return;
		}
		chacha_len_crypt(st->k1, sl->nonce, op->pkt, op->pkt, 4);
		IMB_CHACHA20_POLY1305_DEC_UPDATE(mgr, st->k2, &sl->cctx,
		    op->pkt + 4, op->pkt + 4, op->pkt_len - 4);
		return;
	default:
		break;
	}
	if (s->mac == NULL || (s->encrypt && !etm))
		return;
	if (!s->encrypt && !etm) {
		submit_pkt_hmac(e, sl, s, sl->tag);
	} else if (s->encrypt && etm) {
		submit_pkt_hmac(e, sl, s, op->tag);
	} else {
		if (!qssh_ct_eq(sl->tag, op->tag, s->tag_len)) {
			sl->status = QSSH_ERR_MAC_INVALID;
			return;
		}
		if (s->cipher->id != CRYP_CIPHER_NONE)
			submit_ctr(mgr, sl, s, op->pkt + 4, op->pkt + 4,
			    op->pkt_len - 4, sl->iv);
	}
}

/* Phase 3: checks of MACs computed in phase 2. */
static void
phase3(struct imb_slot *sl)
{
	struct cryp_op *op = sl->op;
	struct cryp_session *s = op->sess;

	if (sl->status == 0 && s->mac != NULL && !s->encrypt &&
	    !cryp_is_etm(s) && !s->cipher->aead &&
	    !qssh_ct_eq(sl->tag, op->tag, s->tag_len)) {
		qssh_wipe(op->pkt, op->pkt_len);
		sl->status = QSSH_ERR_MAC_INVALID;
	}
	/* With -etm the copy was ciphertext; otherwise plaintext. */
	if (sl->staged && !cryp_is_etm(s))
		qssh_wipe(sl->scratch, 4 + (size_t)op->pkt_len);
	qssh_wipe(sl->tag, sizeof(sl->tag));
	op->status = sl->status;
}

static bool
needs_scratch(const struct cryp_session *s)
{
	return s->mac != NULL && !s->cipher->aead;
}

static bool
fits_hmac_job(const struct cryp_op *op)
{
	return 4 + (size_t)op->pkt_len <= IMB_HMAC_JOB_MAX;
}

/* HMAC lanes of the main manager: 512-, 256- or 128-bit registers. */
static uint32_t
mb_lanes(IMB_ARCH arch, enum cryp_mac_id id)
{
	uint32_t l;

	switch (arch) {
	case IMB_ARCH_AVX512:
		l = 16;
		break;
	case IMB_ARCH_AVX2:
		l = 8;
		break;
	default:
		l = 4;
		break;
	}
	return id == CRYP_MAC_HMAC_SHA2_512 ? l / 2 : l;
}

/*
 * Where a batch with n HMAC jobs of this algorithm computes them.  One
 * lane of a multi-buffer manager runs at a fraction of a single-buffer
 * implementation (measured on AVX-512 with 32 KiB packets: SHA-256 0.33
 * GB/s against 1.7 with SHA-NI; SHA-512 0.5 against EVP's 1.0), so the
 * main manager pays off once the batch fills about half its lanes against
 * SHA-NI, a quarter against EVP.  The AVX2 and SSE managers use SHA-NI
 * for SHA-256 themselves, and their SHA-1 lanes do not beat it.
 */
static enum imb_mac_route
mac_route(const struct imb_engine *e, enum cryp_mac_id id, uint32_t n,
    uint32_t pkt_len)
{
	uint32_t lanes = mb_lanes(e->arch, id), min;

	if (e->ni_mgr != NULL &&
	    (id == CRYP_MAC_HMAC_SHA1 || id == CRYP_MAC_HMAC_SHA2_256)) {
		if (e->arch == IMB_ARCH_AVX512 && n >= lanes / 2)
			return IMB_MAC_MB;
		if (n == 1 && pkt_len >= IMB_LONE_EVP_MIN)
			return IMB_MAC_EVP;
		return IMB_MAC_NI;
	}
	min = lanes / 4 > 2 ? lanes / 4 : 2;
	return n < min ? IMB_MAC_EVP : IMB_MAC_MB;
}

static void
run_batch(struct imb_engine *e, uint32_t n)
{
	uint32_t i, count[IMB_MAC_IDS] = { 0 };
	struct imb_slot *sl;
	struct cryp_session *s;

	/* HMAC jobs per algorithm, then a route for each operation. */
	for (i = 0; i < n; i++) {
		s = e->slots[i].op->sess;
		if (needs_scratch(s) && fits_hmac_job(e->slots[i].op) &&
		    (unsigned)s->mac->id < IMB_MAC_IDS)
			count[s->mac->id]++;
	}
	for (i = 0; i < n; i++) {
		sl = &e->slots[i];
		s = sl->op->sess;
		sl->staged = false;
		if (!needs_scratch(s))
			sl->route = IMB_MAC_MB;
		else if (!fits_hmac_job(sl->op) ||
		    (unsigned)s->mac->id >= IMB_MAC_IDS)
			sl->route = IMB_MAC_EVP;
		else
			sl->route = mac_route(
			    e, s->mac->id, count[s->mac->id], sl->op->pkt_len);
	}
	for (i = 0; i < n; i++)
		phase1(e, &e->slots[i]);
	job_drain(e->mgr);
	if (e->ni_mgr != NULL)
		job_drain(e->ni_mgr);
	for (i = 0; i < n; i++)
		phase2(e, &e->slots[i]);
	job_drain(e->mgr);
	if (e->ni_mgr != NULL)
		job_drain(e->ni_mgr);
	for (i = 0; i < n; i++)
		phase3(&e->slots[i]);
}

static void
imb_process(void *engine, struct cryp_op **ops, const struct cryp_op_ctx *ctx,
    uint32_t n)
{
	struct imb_engine *e = engine;
	struct imb_slot *sl;
	size_t used = 0, need;
	uint32_t i, nb = 0;

	if (e == NULL && (e = thread_engine()) == NULL) {
		for (i = 0; i < n; i++)
			ops[i]->status = QSSH_ERR_ALLOC;
		return;
	}
	for (i = 0; i < n; i++) {
		need = needs_scratch(ops[i]->sess)
		    ? (IMB_HEADROOM + 4 + (size_t)ops[i]->pkt_len + 63) &
			~(size_t)63
		    : 0;
		if (nb == IMB_CHUNK || need > e->arena_len - used) {
			run_batch(e, nb);
			nb = 0;
			used = 0;
		}
		sl = &e->slots[nb++];
		sl->op = ops[i];
		sl->iv = ctx[i].iv;
		sl->status = 0;
		sl->scratch = need > 0 ? e->arena + used + IMB_HEADROOM : NULL;
		used += need;
	}
	if (nb > 0)
		run_batch(e, nb);
}

static int
imb_peek(struct cryp_session *s, uint32_t seqnr, const uint8_t *in,
    uint8_t *out, size_t len)
{
	struct imb_engine *e = thread_engine();
	struct imb_state *st = s->be_state;
	struct imb_slot sl;

	if (e == NULL)
		return QSSH_ERR_ALLOC;
	if (s->cipher->id == CRYP_CIPHER_CHACHA20_POLY1305) {
		if (len > 64)
			return QSSH_ERR_INVALID_ARGUMENT;
		chacha_nonce(sl.nonce, seqnr);
		chacha_len_crypt(st->k1, sl.nonce, in, out, len);
		return 0;
	}
	sl.status = 0;
	memcpy(sl.iv2, s->iv, 16);
	submit_ctr1(e->mgr, &sl, st, s->cipher->key_len, in, out, len, sl.iv2);
	job_drain(e->mgr);
	return sl.status;
}

/* Primitives for the test vectors. */

static int
t_gcm(bool encrypt, const uint8_t *key, size_t key_len, const uint8_t iv[12],
    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
    uint8_t *out, uint8_t tag[16])
{
	struct imb_engine *e = thread_engine();
	struct gcm_key_data *k;
	struct imb_slot *sl;
	int r;

	if (e == NULL)
		return QSSH_ERR_ALLOC;
	if ((k = aligned_alloc(64, (sizeof(*k) + 63) & ~(size_t)63)) == NULL)
		return QSSH_ERR_ALLOC;
	if (key_len == 16)
		IMB_AES128_GCM_PRE(e->mgr, key, k);
	else if (key_len == 24)
		IMB_AES192_GCM_PRE(e->mgr, key, k);
	else if (key_len == 32)
		IMB_AES256_GCM_PRE(e->mgr, key, k);
	else {
		free(k);
		return QSSH_ERR_INVALID_ARGUMENT;
	}
	sl = &e->slots[0];
	sl->status = 0;
	submit_gcm(e->mgr, sl, k, key_len, encrypt, iv, aad, aad_len, in, out,
	    len, encrypt ? tag : sl->tag);
	job_drain(e->mgr);
	r = sl->status;
	if (r == 0 && !encrypt && !qssh_ct_eq(sl->tag, tag, 16)) {
		qssh_wipe(out, len);
		r = QSSH_ERR_MAC_INVALID;
	}
	qssh_wipe(k, sizeof(*k));
	free(k);
	return r;
}

static int
t_chacha20(const uint8_t key[32], uint32_t counter, const uint8_t nonce[12],
    const uint8_t *in, size_t len, uint8_t *out)
{
	struct imb_engine *e = thread_engine();
	struct chacha20_poly1305_context_data c;
	IMB_JOB *job;
	struct imb_slot *sl;

	if (e == NULL)
		return QSSH_ERR_ALLOC;
	if (counter == 0 && len <= 64) {
		chacha_len_crypt(key, nonce, in, out, len);
		return 0;
	}
	if (counter == 0) {
		/* Block 0 here, the rest from the library's update. */
		chacha_len_crypt(key, nonce, in, out, 64);
		IMB_CHACHA20_POLY1305_INIT(e->mgr, key, &c, nonce, NULL, 0);
		IMB_CHACHA20_POLY1305_ENC_UPDATE(
		    e->mgr, key, &c, out + 64, in + 64, len - 64);
		qssh_wipe(&c, sizeof(c));
		return 0;
	}
	if (counter != 1)
		return QSSH_ERR_NOT_SUPPORTED;
	sl = &e->slots[0];
	sl->status = 0;
	job = job_get(e->mgr, sl);
	job->cipher_mode = IMB_CIPHER_CHACHA20;
	job->key_len_in_bytes = 32;
	job->enc_keys = key;
	job->dec_keys = key;
	job->iv = nonce;
	job->iv_len_in_bytes = 12;
	job->src = in;
	job->dst = out;
	job->msg_len_to_cipher_in_bytes = len;
	job_submit(e->mgr);
	job_drain(e->mgr);
	return sl->status;
}

static int
t_poly1305(
    const uint8_t key[32], const uint8_t *msg, size_t len, uint8_t tag[16])
{
	struct imb_engine *e = thread_engine();
	struct imb_slot *sl;

	if (e == NULL)
		return QSSH_ERR_ALLOC;
	sl = &e->slots[0];
	sl->status = 0;
	submit_poly(e->mgr, sl, key, msg, len, tag);
	job_drain(e->mgr);
	return sl->status;
}

static int
t_chacha20_poly1305(bool encrypt, const uint8_t key[32],
    const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
    const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
	struct imb_engine *e = thread_engine();
	struct chacha20_poly1305_context_data c;
	uint8_t t[16];
	int r = 0;

	if (e == NULL)
		return QSSH_ERR_ALLOC;
	IMB_CHACHA20_POLY1305_INIT(e->mgr, key, &c, nonce, aad, aad_len);
	if (encrypt) {
		IMB_CHACHA20_POLY1305_ENC_UPDATE(e->mgr, key, &c, out, in, len);
		IMB_CHACHA20_POLY1305_ENC_FINALIZE(e->mgr, &c, tag, 16);
	} else {
		IMB_CHACHA20_POLY1305_DEC_UPDATE(e->mgr, key, &c, out, in, len);
		IMB_CHACHA20_POLY1305_DEC_FINALIZE(e->mgr, &c, t, 16);
		if (!qssh_ct_eq(t, tag, 16)) {
			qssh_wipe(out, len);
			r = QSSH_ERR_MAC_INVALID;
		}
	}
	qssh_wipe(&c, sizeof(c));
	return r;
}

static int
t_hmac(enum cryp_mac_id mac, const uint8_t *key, size_t key_len,
    const uint8_t *msg, size_t len, uint8_t *out)
{
	struct imb_engine *e = thread_engine();
	const struct cryp_mac_info *mi = cryp_mac_by_id(mac);
	uint8_t ipad[64] __attribute__((aligned(64)));
	uint8_t opad[64] __attribute__((aligned(64)));
	struct imb_slot *sl;

	if (e == NULL)
		return QSSH_ERR_ALLOC;
	if (mi == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	/* The library refuses an empty message; SSH never MACs one. */
	if (len == 0)
		return QSSH_ERR_NOT_SUPPORTED;
	hmac_pads(e->mgr, mac, key, key_len, ipad, opad);
	sl = &e->slots[0];
	sl->status = 0;
	submit_hmac(e->mgr, sl, mac, ipad, opad, msg, len, out, mi->mac_len);
	job_drain(e->mgr);
	qssh_wipe(ipad, sizeof(ipad));
	qssh_wipe(opad, sizeof(opad));
	return sl->status;
}

static const struct cryp_test_ops imb_test_ops = {
	t_gcm,
	t_chacha20,
	t_poly1305,
	t_chacha20_poly1305,
	t_hmac,
};

const struct cryp_backend_ops cryp_ipsecmb_ops = {
	.name = "ipsec-mb",
	.available = imb_available,
	.describe = imb_describe,
	.supports = imb_supports,
	.session_init = imb_session_init,
	.session_cleanup = imb_session_cleanup,
	.peek = imb_peek,
	.engine_new = imb_engine_new,
	.engine_free = imb_engine_free,
	.process = imb_process,
	.test = &imb_test_ops,
};

#endif /* QSSH_WITH_IPSECMB */
