/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host and user keys: generation, the SSH wire format (RFC 4253 6.6,
 * RFC 5656, RFC 8709, RFC 8332), signatures, fingerprints and the file
 * formats OpenSSH reads and writes (PROTOCOL.key openssh-key-v1 with
 * bcrypt_pbkdf + aes256-ctr, PEM and PKCS#8, one-line public keys,
 * RFC 4716 public keys).
 */
#ifndef QSSH_CONTROL_KEY_H
#define QSSH_CONTROL_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

enum key_type {
	KEY_UNSPEC = 0,
	KEY_ED25519,
	KEY_ECDSA_P256,
	KEY_ECDSA_P384,
	KEY_ECDSA_P521,
	KEY_RSA,
};

enum key_fp_hash {
	KEY_FP_SHA256 = 0,
	KEY_FP_MD5,
};

enum key_format {
	KEY_FORMAT_OPENSSH = 0, /* openssh-key-v1 (default) */
	KEY_FORMAT_PEM, /* traditional PEM (RSA/EC) */
	KEY_FORMAT_PKCS8,
};

struct key;

/* New random key; bits is for RSA (0 = 3072) and ECDSA (256/384/521). */
int key_generate(enum key_type type, unsigned bits, struct key **out);
void key_free(struct key *k); /* wipes private parts; NULL is a no-op */
enum key_type key_get_type(const struct key *k);
bool key_is_private(const struct key *k);
unsigned key_bits(const struct key *k);
/* Public half only. */
int key_demote(const struct key *k, struct key **out);
bool key_equal_public(const struct key *a, const struct key *b);

/* "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa". */
const char *key_type_name(const struct key *k);
/* Display name: "ED25519", "ECDSA", "RSA". */
const char *key_type_short(const struct key *k);
/* From "ssh-ed25519", "ed25519", "ecdsa", "rsa" ...; KEY_UNSPEC if unknown. */
enum key_type key_type_from_name(const char *name);

/*
 * Signature algorithm names: "ssh-ed25519", "ecdsa-sha2-nistp256",
 * "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa".  Whether an algorithm name can be
 * used with a key.
 */
bool key_alg_matches(const struct key *k, const char *alg);
/* Key type for a signature/host key algorithm name; KEY_UNSPEC if none. */
enum key_type key_type_from_alg(const char *alg);

/* Public key blob (string-encoded inside SSH messages). */
int key_to_blob(const struct key *k, struct qssh_buf *b);
int key_from_blob(const uint8_t *blob, size_t len, struct key **out);

/*
 * Sign data; alg selects rsa-sha2-256/512 or ssh-rsa for RSA (NULL = key
 * default: rsa-sha2-512).  Appends the SSH signature blob
 * (string alg, string sig) to sig.
 */
int key_sign(const struct key *k, const char *alg, const uint8_t *data,
    size_t len, struct qssh_buf *sig);
/*
 * Verify an SSH signature blob.  If alg is not NULL the blob's algorithm
 * must equal it.  0 or QSSH_ERR_SIGNATURE_INVALID (or a parse error).
 */
int key_verify(const struct key *k, const char *alg, const uint8_t *sig,
    size_t siglen, const uint8_t *data, size_t len);

/* "SHA256:base64-without-padding" or "MD5:aa:bb:...". */
int key_fingerprint(const struct key *k, enum key_fp_hash hash, char **out);
/* OpenSSH's randomart box for a fingerprint. */
int key_randomart(const struct key *k, enum key_fp_hash hash, char **out);

/* "ssh-ed25519 AAAA... comment" (no newline). */
int key_format_public(const struct key *k, const char *comment, char **out);
/*
 * Parse one public key line: "type base64 [comment]".  *endp (if not NULL)
 * gets where parsing stopped.  *comment may be NULL.
 */
int key_parse_public(const char *line, struct key **out, char **comment);

/*
 * Private key files.  A key file readable by group or others is refused with
 * QSSH_ERR_KEY_BAD_PERMISSIONS (check_perms true).  Encrypted keys need
 * passphrase; QSSH_ERR_KEY_WRONG_PASSPHRASE if it is wrong or missing.
 */
int key_load_private(const char *path, const char *passphrase, bool check_perms,
    struct key **out, char **comment);
/* Same, from memory. */
int key_parse_private(const uint8_t *data, size_t len, const char *passphrase,
    struct key **out, char **comment);
/* Whether the private key data is encrypted. */
bool key_private_is_encrypted(const uint8_t *data, size_t len);
/*
 * Serialize; passphrase NULL or "" writes unencrypted; rounds is the bcrypt
 * KDF rounds (0 = 16).
 */
int key_serialize_private(const struct key *k, const char *passphrase,
    const char *comment, enum key_format format, unsigned rounds,
    struct qssh_buf *out);
/* Write with mode 0600 (and path.pub alongside if write_pub). */
int
key_save_private(const struct key *k, const char *path, const char *passphrase,
    const char *comment, enum key_format format, unsigned rounds);
/* Public key file: one-line or RFC 4716 "---- BEGIN SSH2 PUBLIC KEY ----". */
int key_load_public(const char *path, struct key **out, char **comment);
int key_format_rfc4716(const struct key *k, const char *comment, char **out);

#endif
