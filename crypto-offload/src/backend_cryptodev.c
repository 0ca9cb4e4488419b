/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DPDK cryptodev backend.  The EAL is started elsewhere (dataplane/eal.h);
 * cryp_cryptodev_attach() then picks one device (Intel QAT, else
 * crypto_aesni_mb, crypto_aesni_gcm, crypto_openssl), gives each queue
 * pair of the generic layer one device queue pair and creates the op,
 * mbuf and session pools.
 *
 * Buffers: the caller's packet is attached to mbufs as external buffers
 * (no copy), in segments of at most CDEV_SEG_MAX bytes because an mbuf
 * length is 16 bits.  For the cipher+MAC constructions the MAC input
 * starts with the 4-byte sequence number, which is not contiguous with the
 * packet: it goes in the headroom of a first mbuf segment of its own.
 * Tags are written and read in place through the digest pointers.
 *
 * chacha20-poly1305@openssh.com is not offered: cryptodev's
 * RTE_CRYPTO_AEAD_CHACHA20_POLY1305 is the RFC 8439 AEAD (96-bit nonce,
 * Poly1305 over padded AAD and ciphertext plus both lengths), while the SSH
 * construction MACs length || ciphertext with no padding or lengths, under
 * a key from block 0 of a 64-bit-nonce ChaCha20, with the length encrypted
 * under a second key.  DPDK 22.11 has no plain ChaCha20 cipher or Poly1305
 * auth transform to build it from.
 *
 * What a device cannot do is run on an OpenSSL twin of the session with the
 * same per-packet IV: peeking at the next packet length (16 bytes), HMAC
 * over 64 KiB or more on ipsec-mb based devices (its HMAC lanes have
 * 16-bit lengths) and AES-CTR packets across a wrap of the counter's low 32
 * bits (the devices increment 32 or 64 bits, SSH 128).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "crypto-offload/cryptodev.h"

#if QSSH_WITH_DPDK

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The session pool call is still experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API 1
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "common/log.h"
#include "common/util.h"
#include "cryp_int.h"

#define CDEV_MAX_QPS 8
#define CDEV_QP_DESC 2048
#define CDEV_DEPTH 1024
#define CDEV_BURST 64
/* Segment length: below the 16-bit mbuf limit, a multiple of 256. */
#define CDEV_SEG_MAX 65280u
#define CDEV_NB_OPS 16383
#define CDEV_NB_MBUFS 32767
#define CDEV_NB_SESS 16383
#define CDEV_POOL_CACHE 128
/* Per-op private area: the IV, then the operation it carries. */
#define CDEV_IV_OFF \
	(sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define CDEV_PRIV_LEN (16 + sizeof(struct cdev_priv))
/* Per-engine staging of sequence number || packet for the MAC modes. */
#define CDEV_ARENA (8u * 1024 * 1024)
/* ipsec-mb's HMAC jobs take messages below this length. */
#define CDEV_IMB_HMAC_MAX 65472u

enum cdev_cap {
	CAP_GCM128 = 1u << 0,
	CAP_GCM256 = 1u << 1,
	CAP_CTR128 = 1u << 2,
	CAP_CTR192 = 1u << 3,
	CAP_CTR256 = 1u << 4,
	CAP_SHA1 = 1u << 5,
	CAP_SHA256 = 1u << 6,
	CAP_SHA512 = 1u << 7,
	CAP_CHACHA_AEAD = 1u << 8,
};

struct cdev_global {
	pthread_mutex_t lock;
	bool attached;
	uint8_t dev_id;
	uint16_t nb_qps;
	bool qp_busy[CDEV_MAX_QPS];
	bool hw;
	uint32_t caps;
	uint32_t hmac_max; /* longer MAC inputs go to the twin */
	bool ctr_wrap_sw; /* CTR across a 32-bit wrap in software */
	struct rte_mempool *op_pool, *mbuf_pool, *sess_pool;
	char desc[192];
};

static struct cdev_global cd = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.desc = "not attached: DPDK EAL not started",
};

enum cdev_kind {
	KIND_NONE = 0, /* nothing to do: "none" without a MAC */
	KIND_AEAD,
	KIND_CIPHER,
	KIND_AUTH,
	KIND_CHAIN,
};

struct cdev_sess {
	void *rs; /* cryptodev session */
	struct cryp_session *sw; /* OpenSSL twin */
	enum cdev_kind kind;
	bool head; /* sequence number segment */
	uint32_t iv_len;
};

/* After the IV in each operation's private area. */
struct cdev_priv {
	struct cryp_op *op;
	uint32_t stage_off; /* UINT32_MAX: not staged */
	uint32_t stage_end;
};

struct cdev_engine {
	uint16_t qp;
	uint32_t inflight;
	uint32_t staged; /* chunks in use, freed in completion order */
	uint32_t a_head, a_tail;
	uint8_t *arena;
	struct rte_crypto_op *rops[CDEV_BURST];
	struct rte_crypto_op *deq[CDEV_BURST];
};

/* Capabilities. */

static bool
cap_cipher(uint8_t dev, enum rte_crypto_cipher_algorithm alg, uint16_t key)
{
	struct rte_cryptodev_sym_capability_idx idx;
	const struct rte_cryptodev_symmetric_capability *c;

	idx.type = RTE_CRYPTO_SYM_XFORM_CIPHER;
	idx.algo.cipher = alg;
	c = rte_cryptodev_sym_capability_get(dev, &idx);
	return c != NULL &&
	    rte_cryptodev_sym_capability_check_cipher(c, key, 16) == 0;
}

static bool
cap_auth(uint8_t dev, enum rte_crypto_auth_algorithm alg, uint16_t key,
    uint16_t digest)
{
	struct rte_cryptodev_sym_capability_idx idx;
	const struct rte_cryptodev_symmetric_capability *c;

	idx.type = RTE_CRYPTO_SYM_XFORM_AUTH;
	idx.algo.auth = alg;
	c = rte_cryptodev_sym_capability_get(dev, &idx);
	return c != NULL &&
	    rte_cryptodev_sym_capability_check_auth(c, key, digest, 0) == 0;
}

static bool
cap_aead(uint8_t dev, enum rte_crypto_aead_algorithm alg, uint16_t key)
{
	struct rte_cryptodev_sym_capability_idx idx;
	const struct rte_cryptodev_symmetric_capability *c;

	idx.type = RTE_CRYPTO_SYM_XFORM_AEAD;
	idx.algo.aead = alg;
	c = rte_cryptodev_sym_capability_get(dev, &idx);
	return c != NULL &&
	    rte_cryptodev_sym_capability_check_aead(c, key, 16, 4, 12) == 0;
}

static uint32_t
dev_caps(uint8_t dev)
{
	uint32_t caps = 0;

	if (cap_aead(dev, RTE_CRYPTO_AEAD_AES_GCM, 16))
		caps |= CAP_GCM128;
	if (cap_aead(dev, RTE_CRYPTO_AEAD_AES_GCM, 32))
		caps |= CAP_GCM256;
	if (cap_cipher(dev, RTE_CRYPTO_CIPHER_AES_CTR, 16))
		caps |= CAP_CTR128;
	if (cap_cipher(dev, RTE_CRYPTO_CIPHER_AES_CTR, 24))
		caps |= CAP_CTR192;
	if (cap_cipher(dev, RTE_CRYPTO_CIPHER_AES_CTR, 32))
		caps |= CAP_CTR256;
	if (cap_auth(dev, RTE_CRYPTO_AUTH_SHA1_HMAC, 20, 20))
		caps |= CAP_SHA1;
	if (cap_auth(dev, RTE_CRYPTO_AUTH_SHA256_HMAC, 32, 32))
		caps |= CAP_SHA256;
	if (cap_auth(dev, RTE_CRYPTO_AUTH_SHA512_HMAC, 64, 64))
		caps |= CAP_SHA512;
	if (cap_aead(dev, RTE_CRYPTO_AEAD_CHACHA20_POLY1305, 32))
		caps |= CAP_CHACHA_AEAD;
	return caps;
}

static void
caps_str(uint32_t caps, char *out, size_t len)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ CAP_GCM128, " aes128-gcm" },
		{ CAP_GCM256, " aes256-gcm" },
		{ CAP_CTR128, " aes128-ctr" },
		{ CAP_CTR192, " aes192-ctr" },
		{ CAP_CTR256, " aes256-ctr" },
		{ CAP_SHA1, " hmac-sha1" },
		{ CAP_SHA256, " hmac-sha2-256" },
		{ CAP_SHA512, " hmac-sha2-512" },
		{ CAP_CHACHA_AEAD, " rfc8439-chacha20-poly1305" },
	};
	size_t i, off = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i < QSSH_ARRAY_LEN(names); i++) {
		if ((caps & names[i].bit) == 0)
			continue;
		n = snprintf(out + off, len - off, "%s", names[i].name);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	if (off == 0)
		snprintf(out, len, " none");
}

/* Probe order: lower is preferred. */
static int
driver_rank(const char *drv)
{
	static const char *const order[] = {
		"crypto_qat",
		"crypto_aesni_mb",
		"crypto_aesni_gcm",
		"crypto_chacha20_poly1305",
		"crypto_openssl",
	};
	size_t i;

	for (i = 0; i < QSSH_ARRAY_LEN(order); i++)
		if (strcmp(drv, order[i]) == 0)
			return (int)i;
	return (int)QSSH_ARRAY_LEN(order);
}

static int
popcount32(uint32_t v)
{
	return __builtin_popcount(v);
}

static int
setup_device(uint8_t dev, const struct rte_cryptodev_info *info)
{
	struct rte_cryptodev_config conf;
	struct rte_cryptodev_qp_conf qconf;
	unsigned int sess_len;
	int socket = rte_cryptodev_socket_id(dev);
	uint16_t q;
	char name[RTE_MEMPOOL_NAMESIZE];

	if (socket < 0)
		socket = (int)SOCKET_ID_ANY;
	memset(&conf, 0, sizeof(conf));
	conf.socket_id = socket;
	conf.nb_queue_pairs = (uint16_t)(info->max_nb_queue_pairs < CDEV_MAX_QPS
		? info->max_nb_queue_pairs
		: CDEV_MAX_QPS);
	conf.ff_disable =
	    RTE_CRYPTODEV_FF_ASYMMETRIC_CRYPTO | RTE_CRYPTODEV_FF_SECURITY;
	sess_len = rte_cryptodev_sym_get_private_session_size(dev);
	snprintf(name, sizeof(name), "qssh_cdev_sess%u", dev);
	cd.sess_pool = rte_cryptodev_sym_session_pool_create(
	    name, CDEV_NB_SESS, sess_len, 0, 0, socket);
	snprintf(name, sizeof(name), "qssh_cdev_ops%u", dev);
	cd.op_pool =
	    rte_crypto_op_pool_create(name, RTE_CRYPTO_OP_TYPE_SYMMETRIC,
		CDEV_NB_OPS, CDEV_POOL_CACHE, CDEV_PRIV_LEN, socket);
	snprintf(name, sizeof(name), "qssh_cdev_mbuf%u", dev);
	cd.mbuf_pool = rte_pktmbuf_pool_create(name, CDEV_NB_MBUFS,
	    CDEV_POOL_CACHE, 0, RTE_PKTMBUF_HEADROOM + 64, socket);
	if (cd.sess_pool == NULL || cd.op_pool == NULL ||
	    cd.mbuf_pool == NULL) {
		qlog_verbose("cryptodev %u: cannot create pools: %s", dev,
		    rte_strerror(rte_errno));
		return QSSH_ERR_ALLOC;
	}
	if (rte_cryptodev_configure(dev, &conf) != 0) {
		qlog_verbose("cryptodev %u: configure failed", dev);
		return QSSH_ERR_BACKEND_UNAVAILABLE;
	}
	memset(&qconf, 0, sizeof(qconf));
	qconf.nb_descriptors = CDEV_QP_DESC;
	qconf.mp_session = cd.sess_pool;
	for (q = 0; q < conf.nb_queue_pairs; q++) {
		if (rte_cryptodev_queue_pair_setup(dev, q, &qconf, socket) !=
		    0) {
			qlog_verbose(
			    "cryptodev %u: queue pair %u setup failed", dev, q);
			return QSSH_ERR_BACKEND_UNAVAILABLE;
		}
	}
	if (rte_cryptodev_start(dev) != 0) {
		qlog_verbose("cryptodev %u: start failed", dev);
		return QSSH_ERR_BACKEND_UNAVAILABLE;
	}
	cd.nb_qps = conf.nb_queue_pairs;
	return 0;
}

static void
free_pools(void)
{
	rte_mempool_free(cd.sess_pool);
	rte_mempool_free(cd.op_pool);
	rte_mempool_free(cd.mbuf_pool);
	cd.sess_pool = cd.op_pool = cd.mbuf_pool = NULL;
}

int
cryp_cryptodev_attach(void)
{
	struct rte_cryptodev_info info;
	char capstr[160];
	uint8_t dev, ndev, best = 0;
	int best_rank = 1 << 30, best_score = 0, rank, score, r;
	uint32_t caps, best_caps = 0;
	bool hw;

	pthread_mutex_lock(&cd.lock);
	if (cd.attached) {
		pthread_mutex_unlock(&cd.lock);
		return 0;
	}
	if (rte_lcore_count() == 0 ||
	    rte_eal_process_type() != RTE_PROC_PRIMARY) {
		snprintf(cd.desc, sizeof(cd.desc),
		    "not attached: DPDK EAL not started");
		r = QSSH_ERR_BACKEND_UNAVAILABLE;
		goto out;
	}
	ndev = rte_cryptodev_count();
	qlog_verbose("cryptodev: %u device(s)", ndev);
	for (dev = 0; dev < ndev; dev++) {
		rte_cryptodev_info_get(dev, &info);
		caps = dev_caps(dev);
		caps_str(caps, capstr, sizeof(capstr));
		hw =
		    (info.feature_flags & RTE_CRYPTODEV_FF_HW_ACCELERATED) != 0;
		qlog_verbose("cryptodev %u: %s, driver %s, %s, %u queue "
			     "pairs, chaining %s, in-place SGL %s, "
			     "algorithms:%s",
		    dev, rte_cryptodev_name_get(dev), info.driver_name,
		    hw ? "hardware" : "software", info.max_nb_queue_pairs,
		    (info.feature_flags &
			RTE_CRYPTODEV_FF_SYM_OPERATION_CHAINING)
			? "yes"
			: "no",
		    (info.feature_flags & RTE_CRYPTODEV_FF_IN_PLACE_SGL) ? "yes"
									 : "no",
		    capstr);
		if ((info.feature_flags & RTE_CRYPTODEV_FF_SYMMETRIC_CRYPTO) ==
			0 ||
		    (info.feature_flags & RTE_CRYPTODEV_FF_IN_PLACE_SGL) == 0 ||
		    info.max_nb_queue_pairs == 0) {
			qlog_verbose("cryptodev %u: not usable (no symmetric "
				     "in-place scatter-gather)",
			    dev);
			continue;
		}
		if (hw && rte_eal_iova_mode() != RTE_IOVA_VA) {
			qlog_verbose("cryptodev %u: not usable (hardware needs "
				     "IOVA as VA for external buffers)",
			    dev);
			continue;
		}
		caps &= ~(uint32_t)CAP_CHACHA_AEAD;
		if ((info.feature_flags &
			RTE_CRYPTODEV_FF_SYM_OPERATION_CHAINING) == 0)
			caps &= CAP_GCM128 | CAP_GCM256;
		score = popcount32(caps);
		rank = driver_rank(info.driver_name);
		if (score > best_score ||
		    (score == best_score && score > 0 && rank < best_rank)) {
			best = dev;
			best_rank = rank;
			best_score = score;
			best_caps = caps;
		}
	}
	if (best_score == 0) {
		snprintf(cd.desc, sizeof(cd.desc),
		    "no usable cryptodev among %u device(s)", ndev);
		qlog_verbose("cryptodev backend unavailable: %s", cd.desc);
		r = QSSH_ERR_BACKEND_UNAVAILABLE;
		goto out;
	}
	rte_cryptodev_info_get(best, &info);
	if ((r = setup_device(best, &info)) != 0) {
		free_pools();
		snprintf(cd.desc, sizeof(cd.desc), "cryptodev %s did not start",
		    rte_cryptodev_name_get(best));
		qlog_verbose("cryptodev backend unavailable: %s", cd.desc);
		goto out;
	}
	cd.dev_id = best;
	cd.caps = best_caps;
	cd.hw = (info.feature_flags & RTE_CRYPTODEV_FF_HW_ACCELERATED) != 0;
	/* The ipsec-mb based PMDs share its HMAC job length limit. */
	cd.hmac_max = CDEV_IMB_HMAC_MAX;
	cd.ctr_wrap_sw = strcmp(info.driver_name, "crypto_openssl") != 0;
	snprintf(cd.desc, sizeof(cd.desc), "%s, driver %s, %s, %u queue pairs",
	    rte_cryptodev_name_get(best), info.driver_name,
	    cd.hw ? "hardware" : "software", cd.nb_qps);
	qlog_verbose("cryptodev backend: using %s; chacha20-poly1305 stays "
		     "on the CPU (the SSH construction is not cryptodev's "
		     "RFC 8439 AEAD)",
	    cd.desc);
	cd.attached = true;
	r = 0;
out:
	pthread_mutex_unlock(&cd.lock);
	return r;
}

const char *
cryp_cryptodev_describe(void)
{
	return cd.desc;
}

static bool
cdev_available(void)
{
	return __atomic_load_n(&cd.attached, __ATOMIC_ACQUIRE);
}

static const char *
cdev_describe(void)
{
	if (cdev_available() && !cd.hw)
		return "software device only; the CPU backends are faster";
	return cd.desc;
}

static bool
cdev_preferred(void)
{
	return cdev_available() && cd.hw;
}

static uint32_t
mac_cap(enum cryp_mac_id mac)
{
	switch (mac) {
	case CRYP_MAC_HMAC_SHA1:
		return CAP_SHA1;
	case CRYP_MAC_HMAC_SHA2_256:
		return CAP_SHA256;
	case CRYP_MAC_HMAC_SHA2_512:
		return CAP_SHA512;
	case CRYP_MAC_NONE:
		break;
	}
	return 0;
}

static bool
cdev_supports(enum cryp_cipher_id cipher, enum cryp_mac_id mac)
{
	uint32_t need;

	switch (cipher) {
	case CRYP_CIPHER_AES128_GCM:
		return (cd.caps & CAP_GCM128) != 0;
	case CRYP_CIPHER_AES256_GCM:
		return (cd.caps & CAP_GCM256) != 0;
	case CRYP_CIPHER_CHACHA20_POLY1305:
		return false;
	case CRYP_CIPHER_AES128_CTR:
		need = CAP_CTR128;
		break;
	case CRYP_CIPHER_AES192_CTR:
		need = CAP_CTR192;
		break;
	case CRYP_CIPHER_AES256_CTR:
		need = CAP_CTR256;
		break;
	case CRYP_CIPHER_NONE:
	default:
		need = 0;
		break;
	}
	need |= mac_cap(mac);
	return (cd.caps & need) == need;
}

/* Sessions. */

static enum rte_crypto_auth_algorithm
auth_alg(enum cryp_mac_id mac)
{
	switch (mac) {
	case CRYP_MAC_HMAC_SHA1:
		return RTE_CRYPTO_AUTH_SHA1_HMAC;
	case CRYP_MAC_HMAC_SHA2_256:
		return RTE_CRYPTO_AUTH_SHA256_HMAC;
	case CRYP_MAC_HMAC_SHA2_512:
	case CRYP_MAC_NONE:
		break;
	}
	return RTE_CRYPTO_AUTH_SHA512_HMAC;
}

static void
cdev_session_cleanup(struct cryp_session *s)
{
	struct cdev_sess *st = s->be_state;

	if (st == NULL)
		return;
	if (st->rs != NULL)
		(void)rte_cryptodev_sym_session_free(cd.dev_id, st->rs);
	cryp_session_free(st->sw);
	qssh_wipe(st, sizeof(*st));
	free(st);
	s->be_state = NULL;
}

static int
cdev_session_init(struct cryp_session *s)
{
	struct rte_crypto_sym_xform cx, ax, *first;
	struct cryp_session_params p;
	struct cdev_sess *st;
	bool etm = cryp_is_etm(s);
	int err = QSSH_ERR_INTERNAL;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return QSSH_ERR_ALLOC;
	s->be_state = st;
	memset(&cx, 0, sizeof(cx));
	memset(&ax, 0, sizeof(ax));
	if (s->cipher->aead) {
		cx.type = RTE_CRYPTO_SYM_XFORM_AEAD;
		cx.aead.op = s->encrypt ? RTE_CRYPTO_AEAD_OP_ENCRYPT
					: RTE_CRYPTO_AEAD_OP_DECRYPT;
		cx.aead.algo = RTE_CRYPTO_AEAD_AES_GCM;
		cx.aead.key.data = s->key;
		cx.aead.key.length = (uint16_t)s->cipher->key_len;
		cx.aead.iv.offset = CDEV_IV_OFF;
		cx.aead.iv.length = 12;
		cx.aead.digest_length = 16;
		cx.aead.aad_length = 4;
		st->kind = KIND_AEAD;
		st->iv_len = 12;
		first = &cx;
	} else {
		if (s->cipher->id != CRYP_CIPHER_NONE) {
			cx.type = RTE_CRYPTO_SYM_XFORM_CIPHER;
			cx.cipher.op = s->encrypt
			    ? RTE_CRYPTO_CIPHER_OP_ENCRYPT
			    : RTE_CRYPTO_CIPHER_OP_DECRYPT;
			cx.cipher.algo = RTE_CRYPTO_CIPHER_AES_CTR;
			cx.cipher.key.data = s->key;
			cx.cipher.key.length = (uint16_t)s->cipher->key_len;
			cx.cipher.iv.offset = CDEV_IV_OFF;
			cx.cipher.iv.length = 16;
			st->iv_len = 16;
		}
		if (s->mac != NULL) {
			ax.type = RTE_CRYPTO_SYM_XFORM_AUTH;
			ax.auth.op = s->encrypt ? RTE_CRYPTO_AUTH_OP_GENERATE
						: RTE_CRYPTO_AUTH_OP_VERIFY;
			ax.auth.algo = auth_alg(s->mac->id);
			ax.auth.key.data = s->mac_key;
			ax.auth.key.length = (uint16_t)s->mac->key_len;
			ax.auth.digest_length = (uint16_t)s->mac->mac_len;
			st->head = true;
		}
		if (s->cipher->id == CRYP_CIPHER_NONE && s->mac == NULL) {
			st->kind = KIND_NONE;
			first = NULL;
		} else if (s->cipher->id == CRYP_CIPHER_NONE) {
			st->kind = KIND_AUTH;
			first = &ax;
		} else if (s->mac == NULL) {
			st->kind = KIND_CIPHER;
			first = &cx;
		} else {
			/*
			 * RFC 4253: MAC the plaintext, so MAC before
			 * encrypting and after decrypting; ETM the reverse.
			 */
			st->kind = KIND_CHAIN;
			if (s->encrypt != etm) {
				first = &ax;
				ax.next = &cx;
			} else {
				first = &cx;
				cx.next = &ax;
			}
		}
	}
	if (first != NULL &&
	    (st->rs = rte_cryptodev_sym_session_create(
		 cd.dev_id, first, cd.sess_pool)) == NULL) {
		qlog_debug("cryptodev: session create failed: %s",
		    rte_strerror(rte_errno));
		err = rte_errno == ENOMEM ? QSSH_ERR_ALLOC
					  : QSSH_ERR_ALG_UNSUPPORTED;
		goto fail;
	}
	if (st->kind == KIND_CIPHER || st->kind == KIND_CHAIN ||
	    st->kind == KIND_AUTH) {
		memset(&p, 0, sizeof(p));
		p.cipher = s->cipher;
		p.mac = s->mac;
		p.key = s->key;
		p.iv = s->iv;
		p.mac_key = s->mac_key;
		p.encrypt = s->encrypt;
		if ((st->sw = cryp_session_new(
			 CRYP_BACKEND_OPENSSL, &p, &err)) == NULL)
			goto fail;
	}
	qssh_wipe(&cx, sizeof(cx));
	qssh_wipe(&ax, sizeof(ax));
	return 0;
fail:
	qssh_wipe(&cx, sizeof(cx));
	qssh_wipe(&ax, sizeof(ax));
	cdev_session_cleanup(s);
	return err;
}

static int
cdev_peek(struct cryp_session *s, uint32_t seqnr, const uint8_t *in,
    uint8_t *out, size_t len)
{
	struct cdev_sess *st = s->be_state;

	if (st->sw == NULL)
		return QSSH_ERR_INTERNAL;
	memcpy(st->sw->iv, s->iv, sizeof(s->iv));
	return cryp_openssl_ops.peek(st->sw, seqnr, in, out, len);
}

/* Engines: one device queue pair each. */

static void *
cdev_engine_new(void)
{
	struct cdev_engine *e;
	uint16_t q;

	if (!cdev_available())
		return NULL;
	pthread_mutex_lock(&cd.lock);
	for (q = 0; q < cd.nb_qps && cd.qp_busy[q]; q++)
		;
	if (q < cd.nb_qps)
		cd.qp_busy[q] = true;
	pthread_mutex_unlock(&cd.lock);
	if (q == cd.nb_qps)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->arena = aligned_alloc(64, CDEV_ARENA)) == NULL) {
		free(e);
		pthread_mutex_lock(&cd.lock);
		cd.qp_busy[q] = false;
		pthread_mutex_unlock(&cd.lock);
		return NULL;
	}
	e->qp = q;
	return e;
}

static void cdev_poll(void *engine);

static void
cdev_engine_free(void *engine)
{
	struct cdev_engine *e = engine;

	if (e == NULL)
		return;
	while (e->inflight > 0)
		cdev_poll(e);
	pthread_mutex_lock(&cd.lock);
	cd.qp_busy[e->qp] = false;
	pthread_mutex_unlock(&cd.lock);
	free(e->arena);
	free(e);
}

static pthread_once_t tkey_once = PTHREAD_ONCE_INIT;
static pthread_key_t tkey;
static _Thread_local struct cdev_engine *thread_eng;

static void
tkey_init(void)
{
	(void)pthread_key_create(&tkey, cdev_engine_free);
}

static struct cdev_engine *
thread_engine(void)
{
	static bool logged;

	if (thread_eng != NULL)
		return thread_eng;
	pthread_once(&tkey_once, tkey_init);
	if ((thread_eng = cdev_engine_new()) == NULL) {
		if (!__atomic_exchange_n(&logged, true, __ATOMIC_RELAXED))
			qlog_error("cryptodev: no free queue pair for a "
				   "thread; its operations run in OpenSSL");
		return NULL;
	}
	(void)pthread_setspecific(tkey, thread_eng);
	return thread_eng;
}

/* Operations. */

static void
ext_free_noop(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
}

static inline rte_iova_t
va_iova(const void *p)
{
	return (rte_iova_t)(uintptr_t)p;
}

/* Chain the caller's bytes behind head (which may be NULL). */
static struct rte_mbuf *
attach_bytes(struct rte_mbuf *head, uint8_t *p, uint32_t len)
{
	struct rte_mbuf_ext_shared_info *shinfo;
	struct rte_mbuf *m;
	uint32_t seg;

	while (len > 0) {
		seg = len < CDEV_SEG_MAX ? len : CDEV_SEG_MAX;
		if ((m = rte_pktmbuf_alloc(cd.mbuf_pool)) == NULL)
			goto fail;
		/* The mbuf's own data room holds the shared info. */
		shinfo = rte_pktmbuf_mtod(m, struct rte_mbuf_ext_shared_info *);
		shinfo->free_cb = ext_free_noop;
		shinfo->fcb_opaque = NULL;
		rte_mbuf_ext_refcnt_set(shinfo, 1);
		rte_pktmbuf_attach_extbuf(
		    m, p, va_iova(p), (uint16_t)seg, shinfo);
		m->data_len = (uint16_t)seg;
		m->pkt_len = seg;
		if (head == NULL) {
			head = m;
		} else if (rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			goto fail;
		}
		p += seg;
		len -= seg;
	}
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

/*
 * A chunk of the engine's arena, FIFO: devices complete the operations of
 * a queue pair in order.  UINT32_MAX when full.
 */
static uint32_t
stage_alloc(struct cdev_engine *e, uint32_t len, uint32_t *end)
{
	uint32_t off;

	len = (len + 63) & ~63u;
	if (e->staged == 0)
		e->a_head = e->a_tail = 0;
	if (e->staged == 0 || e->a_head > e->a_tail) {
		if (len <= CDEV_ARENA - e->a_head)
			off = e->a_head;
		else if (len < e->a_tail)
			off = 0;
		else
			return UINT32_MAX;
	} else if (len < e->a_tail - e->a_head) {
		off = e->a_head;
	} else {
		return UINT32_MAX;
	}
	e->a_head = off + len;
	*end = off + len;
	e->staged++;
	return off;
}

/* Fill a device operation for op; 0 or QSSH_ERR_ALLOC. */
static int
build_op(struct cdev_engine *e, struct rte_crypto_op *rop, struct cryp_op *op,
    const struct cryp_op_ctx *ctx, uint32_t stage_off, uint32_t stage_end)
{
	struct cryp_session *s = op->sess;
	struct cdev_sess *st = s->be_state;
	struct rte_crypto_sym_op *sym = rop->sym;
	struct rte_mbuf *m = NULL;
	uint8_t *priv = rte_crypto_op_ctod_offset(rop, uint8_t *, CDEV_IV_OFF);
	struct cdev_priv pv = { op, stage_off, stage_end };
	uint8_t *stage;
	uint32_t base;

	memcpy(priv, ctx->iv, st->iv_len);
	memcpy(priv + 16, &pv, sizeof(pv));
	if (st->head) {
		/* The MAC input must be contiguous: a staged copy. */
		stage = e->arena + stage_off;
		cryp_put_seqnr(stage, op->seqnr);
		memcpy(stage + 4, op->pkt, op->pkt_len);
		m = attach_bytes(NULL, stage, 4 + op->pkt_len);
	} else {
		m = attach_bytes(NULL, op->pkt, op->pkt_len);
	}
	if (m == NULL)
		return QSSH_ERR_ALLOC;
	rte_crypto_op_attach_sym_session(rop, st->rs);
	sym->m_src = m;
	sym->m_dst = NULL;
	base = st->head ? 4 : 0;
	switch (st->kind) {
	case KIND_AEAD:
		sym->aead.data.offset = 4;
		sym->aead.data.length = op->pkt_len - 4;
		sym->aead.aad.data = op->pkt;
		sym->aead.aad.phys_addr = va_iova(op->pkt);
		sym->aead.digest.data = op->tag;
		sym->aead.digest.phys_addr = va_iova(op->tag);
		return 0;
	case KIND_CIPHER:
	case KIND_CHAIN:
		if (cryp_is_etm(s)) {
			sym->cipher.data.offset = base + 4;
			sym->cipher.data.length = op->pkt_len - 4;
		} else {
			sym->cipher.data.offset = base;
			sym->cipher.data.length = op->pkt_len;
		}
		break;
	case KIND_AUTH:
	case KIND_NONE:
		break;
	}
	if (st->kind == KIND_AUTH || st->kind == KIND_CHAIN) {
		sym->auth.data.offset = 0;
		sym->auth.data.length = 4 + op->pkt_len;
		sym->auth.digest.data = op->tag;
		sym->auth.digest.phys_addr = va_iova(op->tag);
	}
	return 0;
}

/* Run on the OpenSSL twin what the device cannot do. */
static bool
needs_sw(const struct cryp_op *op, const struct cryp_op_ctx *ctx)
{
	const struct cryp_session *s = op->sess;
	const struct cdev_sess *st = s->be_state;
	uint64_t blocks;

	if (st->sw == NULL)
		return false;
	if (st->head && op->pkt_len >= cd.hmac_max - 4)
		return true;
	/* AES-CTR over several segments is not byte-exact on every PMD. */
	if (!s->cipher->aead && op->pkt_len > CDEV_SEG_MAX)
		return true;
	if (st->iv_len == 16 && cd.ctr_wrap_sw) {
		blocks = (op->pkt_len + 15) / 16;
		if (blocks > (1ull << 32) - qssh_get_u32be(ctx->iv + 12))
			return true;
	}
	return false;
}

static void
run_sw(struct cryp_op *op, const struct cryp_op_ctx *ctx)
{
	struct cdev_sess *st = op->sess->be_state;
	struct cryp_op t = *op, *tp = &t;

	t.sess = st->sw;
	cryp_openssl_ops.process(NULL, &tp, ctx, 1);
	op->status = t.status;
}

static void
complete(struct cdev_engine *e, struct rte_crypto_op *rop)
{
	uint8_t *priv = rte_crypto_op_ctod_offset(rop, uint8_t *, CDEV_IV_OFF);
	struct cdev_priv pv;
	struct cryp_op *op;
	struct cryp_session *s;
	uint8_t *stage = NULL;

	memcpy(&pv, priv + 16, sizeof(pv));
	op = pv.op;
	s = op->sess;
	if (pv.stage_off != UINT32_MAX)
		stage = e->arena + pv.stage_off;
	switch (rop->status) {
	case RTE_CRYPTO_OP_STATUS_SUCCESS:
		if (stage != NULL && s->cipher->id != CRYP_CIPHER_NONE)
			memcpy(op->pkt, stage + 4, op->pkt_len);
		op->status = 0;
		break;
	case RTE_CRYPTO_OP_STATUS_AUTH_FAILED:
		/* The device may have decrypted already: leave nothing. */
		if (s->cipher->aead || cryp_is_etm(s))
			qssh_wipe(op->pkt + 4, op->pkt_len - 4);
		else if (s->cipher->id != CRYP_CIPHER_NONE)
			qssh_wipe(op->pkt, op->pkt_len);
		op->status = QSSH_ERR_MAC_INVALID;
		break;
	default:
		op->status = QSSH_ERR_LIBCRYPTO;
		break;
	}
	qssh_wipe(priv, 16);
	if (stage != NULL) {
		qssh_wipe(stage, 4 + (size_t)op->pkt_len);
		e->a_tail = pv.stage_end;
		e->staged--;
	}
	rte_pktmbuf_free(rop->sym->m_src);
	rte_crypto_op_free(rop);
}

static void
cdev_poll(void *engine)
{
	struct cdev_engine *e = engine;
	uint16_t i, k;

	while (e->inflight > 0) {
		k = rte_cryptodev_dequeue_burst(
		    cd.dev_id, e->qp, e->deq, CDEV_BURST);
		if (k == 0)
			break;
		for (i = 0; i < k; i++)
			complete(e, e->deq[i]);
		e->inflight -= k;
	}
}

/* Hand e->rops[0..nb) to the device, completing others to make room. */
static void
enqueue_all(struct cdev_engine *e, uint16_t nb)
{
	uint16_t done = 0, k;

	while (done < nb) {
		k = rte_cryptodev_enqueue_burst(
		    cd.dev_id, e->qp, e->rops + done, nb - done);
		e->inflight += k;
		done += k;
		if (done < nb) {
			cdev_poll(e);
			rte_pause();
		}
	}
}

static void
cdev_submit(void *engine, struct cryp_op **ops, const struct cryp_op_ctx *ctx,
    uint32_t n)
{
	struct cdev_engine *e = engine;
	struct rte_crypto_op *rop;
	struct cdev_sess *st;
	uint32_t i, soff, send = 0;
	uint16_t nb = 0;
	int r;

	for (i = 0; i < n; i++) {
		st = ops[i]->sess->be_state;
		if (st->kind == KIND_NONE) {
			ops[i]->status = 0;
			continue;
		}
		if (needs_sw(ops[i], &ctx[i])) {
			run_sw(ops[i], &ctx[i]);
			continue;
		}
		soff = UINT32_MAX;
		if (st->head) {
			/*
			 * The arena is full: send what is built, then wait
			 * for completions (the arena holds any one packet).
			 */
			while ((soff = stage_alloc(e, 4 + ops[i]->pkt_len,
				    &send)) == UINT32_MAX) {
				enqueue_all(e, nb);
				nb = 0;
				cdev_poll(e);
				rte_pause();
			}
		}
		rop = rte_crypto_op_alloc(
		    cd.op_pool, RTE_CRYPTO_OP_TYPE_SYMMETRIC);
		if (rop == NULL) {
			r = QSSH_ERR_ALLOC;
		} else if ((r = build_op(
				e, rop, ops[i], &ctx[i], soff, send)) != 0) {
			rte_crypto_op_free(rop);
		} else {
			e->rops[nb++] = rop;
			continue;
		}
		ops[i]->status = r;
		if (soff != UINT32_MAX) {
			/* Last chunk allocated: give it back. */
			e->a_head = soff;
			e->staged--;
		}
	}
	enqueue_all(e, nb);
}

static void
cdev_process(void *engine, struct cryp_op **ops, const struct cryp_op_ctx *ctx,
    uint32_t n)
{
	struct cdev_engine *e = engine;
	uint32_t i;

	if (e == NULL && (e = thread_engine()) == NULL) {
		for (i = 0; i < n; i++) {
			if (((struct cdev_sess *)ops[i]->sess->be_state)->sw !=
			    NULL)
				run_sw(ops[i], &ctx[i]);
			else
				ops[i]->status = QSSH_ERR_BUSY;
		}
		return;
	}
	for (i = 0; i < n; i++)
		ops[i]->status = CRYP_OP_PENDING;
	cdev_submit(e, ops, ctx, n);
	while (e->inflight > 0) {
		cdev_poll(e);
		rte_pause();
	}
}

const struct cryp_backend_ops cryp_cryptodev_ops = {
	.name = "cryptodev",
	.available = cdev_available,
	.describe = cdev_describe,
	.supports = cdev_supports,
	.session_init = cdev_session_init,
	.session_cleanup = cdev_session_cleanup,
	.peek = cdev_peek,
	.engine_new = cdev_engine_new,
	.engine_free = cdev_engine_free,
	.process = cdev_process,
	.test = NULL,
	.submit = cdev_submit,
	.poll = cdev_poll,
	.max_depth = CDEV_DEPTH,
	.preferred = cdev_preferred,
};

#else /* !QSSH_WITH_DPDK */

int
cryp_cryptodev_attach(void)
{
	return QSSH_ERR_NOT_SUPPORTED;
}

const char *
cryp_cryptodev_describe(void)
{
	return "built without DPDK";
}

#endif /* QSSH_WITH_DPDK */
