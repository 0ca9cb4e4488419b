/* SPDX-License-Identifier: BSD-2-Clause */
/* Internals of the key module shared by key.c, key_file.c and the tests. */
#ifndef QSSH_CONTROL_KEY_PRIVATE_H
#define QSSH_CONTROL_KEY_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "common/buf.h"
#include "control/key.h"

#define KEY_ED25519_PK_LEN 32
#define KEY_ED25519_SK_LEN 64 /* seed || public key, as OpenSSH stores it */
#define KEY_ED25519_SIG_LEN 64
#define KEY_RSA_MIN_BITS 1024
#define KEY_RSA_MAX_BITS 16384
#define KEY_RSA_DEFAULT_BITS 3072

struct key {
	enum key_type type;
	bool has_private;
	EVP_PKEY *pkey;
	/* Ed25519 raw material (the EVP_PKEY holds it too). */
	uint8_t ed_pk[KEY_ED25519_PK_LEN];
	uint8_t ed_sk[KEY_ED25519_SK_LEN];
};

/* Wraps pk (ownership moves to the key on success). */
int key_from_pkey(EVP_PKEY *pk, bool priv, struct key **out);
/* Wipes and releases everything the key holds; leaves *k all zero. */
void key_cleanup(struct key *k);

/* Non-negative BIGNUM as an mpint. */
int key_put_bn(struct qssh_buf *b, const BIGNUM *bn);
/* mpint to a fresh BIGNUM. */
int key_get_bn(struct qssh_view *v, BIGNUM **out);

/*
 * openssh-key-v1 private fields (PROTOCOL.key): string type, then the
 * type-specific fields.  The comment is not included.
 */
int key_put_private(const struct key *k, struct qssh_buf *b);
int key_get_private(struct qssh_view *v, struct key **out);

/* Checks that the private half matches the public half. */
int key_check_pair(const struct key *k);

/* bcrypt_pbkdf as used by OpenBSD and OpenSSH; rounds >= 1. */
int bcrypt_pbkdf(const char *pass, size_t passlen, const uint8_t *salt,
    size_t saltlen, uint8_t *key, size_t keylen, unsigned rounds);

/* RFC 4716 public key text (what key_load_public() reads). */
int key_parse_rfc4716(
    const char *text, size_t len, struct key **out, char **comment);

/*
 * Largest bcrypt rounds count key_parse_private() accepts; 0 (the default)
 * means no limit, like OpenSSH.  Fuzz targets lower it.
 */
void key_set_kdf_rounds_limit(unsigned max_rounds);

#endif
