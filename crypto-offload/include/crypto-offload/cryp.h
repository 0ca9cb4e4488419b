/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Batch packet crypto for the SSH binary packet protocol.
 *
 * A session holds the keys of one connection in one direction.  An operation
 * encrypts (or decrypts and verifies) one whole SSH packet in place:
 *
 *   pkt[0..4)          uint32 packet_length
 *   pkt[4..pkt_len)    padding_length, payload, random padding
 *   tag[0..tag_len)    MAC or AEAD tag (written on encrypt, checked on decrypt)
 *
 * How the bytes are protected follows the algorithm: RFC 5647 AES-GCM (length
 * as AAD), PROTOCOL.chacha20poly1305 (length under its own key), RFC 4344
 * AES-CTR with RFC 4253 MAC over seqnr || plaintext, or -etm@openssh.com
 * (length clear, MAC over seqnr || length || ciphertext).
 *
 * Operations on one session are processed in the order they are enqueued
 * (GCM invocation counter and CTR stream state live in the session).
 * Backends: "openssl" (EVP, the reference), "ipsec-mb", "cryptodev" (later).
 * Every backend gives byte-identical output for the same inputs.
 */
#ifndef QSSH_CRYP_H
#define QSSH_CRYP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cryp_cipher_id {
	CRYP_CIPHER_NONE = 0,
	CRYP_CIPHER_AES128_GCM,
	CRYP_CIPHER_AES256_GCM,
	CRYP_CIPHER_CHACHA20_POLY1305,
	CRYP_CIPHER_AES128_CTR,
	CRYP_CIPHER_AES192_CTR,
	CRYP_CIPHER_AES256_CTR,
};

enum cryp_mac_id {
	CRYP_MAC_NONE = 0,
	CRYP_MAC_HMAC_SHA1,
	CRYP_MAC_HMAC_SHA2_256,
	CRYP_MAC_HMAC_SHA2_512,
};

struct cryp_cipher_info {
	const char *name; /* SSH name, "aes128-gcm@openssh.com" */
	enum cryp_cipher_id id;
	uint32_t key_len; /* bytes of key material to derive */
	uint32_t iv_len; /* bytes of IV to derive (0 for chacha) */
	uint32_t block_len; /* padding multiple (8 for chacha/none) */
	uint32_t tag_len; /* AEAD tag, 0 when a MAC is used */
	bool aead; /* integrity built in; MAC negotiation ignored */
};

struct cryp_mac_info {
	const char *name; /* "hmac-sha2-256-etm@openssh.com" */
	enum cryp_mac_id id;
	uint32_t key_len;
	uint32_t mac_len;
	bool etm;
};

/* Lookup by SSH name; NULL if unknown.  "none" is a cipher with id NONE. */
const struct cryp_cipher_info *cryp_cipher_by_name(const char *name);
const struct cryp_mac_info *cryp_mac_by_name(const char *name);
const struct cryp_cipher_info *cryp_cipher_by_id(enum cryp_cipher_id id);
const struct cryp_mac_info *cryp_mac_by_id(enum cryp_mac_id id);
/* All known ciphers / MACs, for -Q and tests; NULL-terminated arrays. */
const struct cryp_cipher_info *const *cryp_cipher_list(void);
const struct cryp_mac_info *const *cryp_mac_list(void);

enum cryp_backend_id {
	CRYP_BACKEND_OPENSSL = 0,
	CRYP_BACKEND_IPSECMB,
	CRYP_BACKEND_CRYPTODEV,
	CRYP_BACKEND_COUNT
};

const char *cryp_backend_name(enum cryp_backend_id id);
/* 0 or QSSH_ERR_NOT_FOUND. */
int cryp_backend_from_name(const char *name, enum cryp_backend_id *id);
/* Built in and usable on this CPU. */
bool cryp_backend_available(enum cryp_backend_id id);
bool cryp_backend_supports(
    enum cryp_backend_id id, enum cryp_cipher_id cipher, enum cryp_mac_id mac);
/*
 * The backend to use: $QSSH_CRYPTO_BACKEND if set and usable, else the
 * fastest the CPU supports.  Logs once which one and why.
 */
enum cryp_backend_id cryp_backend_default(void);

struct cryp_session_params {
	const struct cryp_cipher_info *cipher;
	const struct cryp_mac_info *mac; /* NULL or ignored when cipher->aead */
	const uint8_t *key; /* cipher->key_len bytes */
	const uint8_t *iv; /* cipher->iv_len bytes */
	const uint8_t *mac_key; /* mac->key_len bytes */
	bool encrypt;
};

struct cryp_session;

/* Largest packet_length an operation accepts (RFC 4253 6.1 allows more). */
#define CRYP_MAX_PACKET_LEN (256u * 1024u)

/*
 * A session on a backend.  Keys are copied into the session (and wiped at
 * free); callers wipe their own copies.  If the backend cannot do the
 * algorithm, NULL and *err = QSSH_ERR_ALG_UNSUPPORTED.
 */
struct cryp_session *cryp_session_new(
    enum cryp_backend_id be, const struct cryp_session_params *p, int *err);
void cryp_session_free(struct cryp_session *s);
enum cryp_backend_id cryp_session_backend(const struct cryp_session *s);
/* Bytes appended after the packet: tag_len or mac_len. */
uint32_t cryp_session_tag_len(const struct cryp_session *s);
/* Bytes that must be read before the packet length is known. */
uint32_t cryp_session_first_len(const struct cryp_session *s);
/*
 * Decrypt the packet_length of the next incoming packet from its first
 * cryp_session_first_len() bytes without changing session state.
 */
int cryp_session_peek_length(struct cryp_session *s, uint32_t seqnr,
    const uint8_t *first, size_t first_len, uint32_t *pkt_len);

struct cryp_op {
	struct cryp_session *sess;
	uint8_t *pkt; /* packet, starting at the length field */
	uint32_t pkt_len; /* 4 + packet_length */
	uint8_t *tag; /* cryp_session_tag_len() bytes */
	uint32_t seqnr; /* SSH sequence number of this packet */
	int status; /* 0 or QSSH_ERR_MAC_INVALID, ... */
	void *user; /* caller's cookie, untouched */
};

/* Process one operation now, on the calling thread. */
int cryp_op_process(struct cryp_op *op);

/*
 * Queue pair: an instance of a backend owned by one thread.  enqueue takes up
 * to n operations and returns how many it accepted (the rest still belong to
 * the caller); dequeue returns up to n completed operations with op->status
 * set.  A bad operation fails alone.
 */
struct cryp_qp;
struct cryp_qp *cryp_qp_new(enum cryp_backend_id be, uint32_t depth);
void cryp_qp_free(struct cryp_qp *qp);
uint32_t
cryp_enqueue_burst(struct cryp_qp *qp, struct cryp_op **ops, uint32_t n);
uint32_t
cryp_dequeue_burst(struct cryp_qp *qp, struct cryp_op **ops, uint32_t n);

#endif
