/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to crypto-offload: the session layout and the backend interface. */
#ifndef QSSH_CRYP_INT_H
#define QSSH_CRYP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto-offload/cryp.h"
#include "cryp_test.h"

#define CRYP_KEY_MAX 64
#define CRYP_MAC_KEY_MAX 64
#define CRYP_TAG_MAX 64

struct cryp_session {
	enum cryp_backend_id be;
	const struct cryp_cipher_info *cipher;
	const struct cryp_mac_info *mac; /* NULL for AEAD or no MAC */
	bool encrypt;
	uint32_t tag_len;
	uint32_t first_len;
	/* GCM: fixed field || invocation counter; CTR: counter block. */
	uint8_t iv[16];
	uint8_t key[CRYP_KEY_MAX];
	uint8_t mac_key[CRYP_MAC_KEY_MAX];
	void *be_state; /* owned by the backend */
};

/*
 * Per-operation inputs computed in enqueue order by the generic layer, so
 * that a backend may process operations of one session in any order.
 */
struct cryp_op_ctx {
	uint8_t iv[16]; /* GCM nonce (12) or CTR counter block */
};

struct cryp_backend_ops {
	const char *name;
	bool (*available)(void);
	/* Short description of the features in use, for the log line. */
	const char *(*describe)(void);
	bool (*supports)(enum cryp_cipher_id cipher, enum cryp_mac_id mac);
	int (*session_init)(struct cryp_session *s);
	void (*session_cleanup)(struct cryp_session *s);
	/*
	 * Decrypt len bytes of the start of the next packet without changing
	 * state: CTR with the current counter, chacha with K_1 and seqnr.
	 */
	int (*peek)(struct cryp_session *s, uint32_t seqnr, const uint8_t *in,
	    uint8_t *out, size_t len);
	/* Per-queue-pair state; NULL engine means the thread's own. */
	void *(*engine_new)(void);
	void (*engine_free)(void *engine);
	/* Process n prepared operations; sets op->status on each. */
	void (*process)(void *engine, struct cryp_op **ops,
	    const struct cryp_op_ctx *ctx, uint32_t n);
	const struct cryp_test_ops *test;
	/*
	 * Asynchronous backends only (NULL otherwise).  submit takes all n
	 * prepared operations of a queue pair's engine (never more than
	 * max_depth outstanding) and sets op->status when each completes;
	 * poll collects completions.  Until then op->status is
	 * CRYP_OP_PENDING.  process stays synchronous.
	 */
	void (*submit)(void *engine, struct cryp_op **ops,
	    const struct cryp_op_ctx *ctx, uint32_t n);
	void (*poll)(void *engine);
	uint32_t max_depth;
	/* Chosen by default when available (hardware offload). */
	bool (*preferred)(void);
};

/* op->status of an operation an asynchronous backend still holds. */
#define CRYP_OP_PENDING 1

extern const struct cryp_backend_ops cryp_openssl_ops;
extern const struct cryp_backend_ops cryp_ipsecmb_ops;
extern const struct cryp_backend_ops cryp_cryptodev_ops;

const struct cryp_backend_ops *cryp_backend_ops(enum cryp_backend_id id);

/* Write the uint32 SSH sequence number big-endian. */
static inline void
cryp_put_seqnr(uint8_t out[4], uint32_t seqnr)
{
	out[0] = (uint8_t)(seqnr >> 24);
	out[1] = (uint8_t)(seqnr >> 16);
	out[2] = (uint8_t)(seqnr >> 8);
	out[3] = (uint8_t)seqnr;
}

static inline bool
cryp_is_etm(const struct cryp_session *s)
{
	return s->mac != NULL && s->mac->etm;
}

#endif
