/* SPDX-License-Identifier: BSD-2-Clause */
/* Algorithm tables: SSH names and the sizes the key exchange derives. */
#include <string.h>

#include "common/err.h"
#include "crypto-offload/cryp.h"

static const struct cryp_cipher_info cipher_none = { "none", CRYP_CIPHER_NONE,
	0, 0, 8, 0, false };
static const struct cryp_cipher_info cipher_aes128_gcm = {
	"aes128-gcm@openssh.com", CRYP_CIPHER_AES128_GCM, 16, 12, 16, 16, true
};
static const struct cryp_cipher_info cipher_aes256_gcm = {
	"aes256-gcm@openssh.com", CRYP_CIPHER_AES256_GCM, 32, 12, 16, 16, true
};
static const struct cryp_cipher_info cipher_chacha = {
	"chacha20-poly1305@openssh.com", CRYP_CIPHER_CHACHA20_POLY1305, 64, 0,
	8, 16, true
};
static const struct cryp_cipher_info cipher_aes128_ctr = { "aes128-ctr",
	CRYP_CIPHER_AES128_CTR, 16, 16, 16, 0, false };
static const struct cryp_cipher_info cipher_aes192_ctr = { "aes192-ctr",
	CRYP_CIPHER_AES192_CTR, 24, 16, 16, 0, false };
static const struct cryp_cipher_info cipher_aes256_ctr = { "aes256-ctr",
	CRYP_CIPHER_AES256_CTR, 32, 16, 16, 0, false };

/* Indexed by enum cryp_cipher_id. */
static const struct cryp_cipher_info *const ciphers[] = {
	&cipher_none,
	&cipher_aes128_gcm,
	&cipher_aes256_gcm,
	&cipher_chacha,
	&cipher_aes128_ctr,
	&cipher_aes192_ctr,
	&cipher_aes256_ctr,
	NULL,
};

static const struct cryp_mac_info mac_sha1 = { "hmac-sha1", CRYP_MAC_HMAC_SHA1,
	20, 20, false };
static const struct cryp_mac_info mac_sha256 = { "hmac-sha2-256",
	CRYP_MAC_HMAC_SHA2_256, 32, 32, false };
static const struct cryp_mac_info mac_sha512 = { "hmac-sha2-512",
	CRYP_MAC_HMAC_SHA2_512, 64, 64, false };
static const struct cryp_mac_info mac_sha1_etm = { "hmac-sha1-etm@openssh.com",
	CRYP_MAC_HMAC_SHA1, 20, 20, true };
static const struct cryp_mac_info mac_sha256_etm = {
	"hmac-sha2-256-etm@openssh.com", CRYP_MAC_HMAC_SHA2_256, 32, 32, true
};
static const struct cryp_mac_info mac_sha512_etm = {
	"hmac-sha2-512-etm@openssh.com", CRYP_MAC_HMAC_SHA2_512, 64, 64, true
};

static const struct cryp_mac_info *const macs[] = {
	&mac_sha256_etm,
	&mac_sha512_etm,
	&mac_sha1_etm,
	&mac_sha256,
	&mac_sha512,
	&mac_sha1,
	NULL,
};

const struct cryp_cipher_info *
cryp_cipher_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; ciphers[i] != NULL; i++) {
		if (strcmp(ciphers[i]->name, name) == 0)
			return ciphers[i];
	}
	return NULL;
}

const struct cryp_mac_info *
cryp_mac_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; macs[i] != NULL; i++) {
		if (strcmp(macs[i]->name, name) == 0)
			return macs[i];
	}
	return NULL;
}

const struct cryp_cipher_info *
cryp_cipher_by_id(enum cryp_cipher_id id)
{
	size_t i;

	for (i = 0; ciphers[i] != NULL; i++) {
		if (ciphers[i]->id == id)
			return ciphers[i];
	}
	return NULL;
}

/* The plain (non-ETM) variant; ETM is a property of the negotiated name. */
const struct cryp_mac_info *
cryp_mac_by_id(enum cryp_mac_id id)
{
	switch (id) {
	case CRYP_MAC_HMAC_SHA1:
		return &mac_sha1;
	case CRYP_MAC_HMAC_SHA2_256:
		return &mac_sha256;
	case CRYP_MAC_HMAC_SHA2_512:
		return &mac_sha512;
	case CRYP_MAC_NONE:
		break;
	}
	return NULL;
}

const struct cryp_cipher_info *const *
cryp_cipher_list(void)
{
	return ciphers;
}

const struct cryp_mac_info *const *
cryp_mac_list(void)
{
	return macs;
}

static const char *const backend_names[CRYP_BACKEND_COUNT] = {
	[CRYP_BACKEND_OPENSSL] = "openssl",
	[CRYP_BACKEND_IPSECMB] = "ipsec-mb",
	[CRYP_BACKEND_CRYPTODEV] = "cryptodev",
};

const char *
cryp_backend_name(enum cryp_backend_id id)
{
	if ((unsigned)id >= CRYP_BACKEND_COUNT)
		return "unknown";
	return backend_names[id];
}

int
cryp_backend_from_name(const char *name, enum cryp_backend_id *id)
{
	unsigned i;

	if (name == NULL)
		return QSSH_ERR_NOT_FOUND;
	for (i = 0; i < CRYP_BACKEND_COUNT; i++) {
		if (strcmp(backend_names[i], name) == 0) {
			if (id != NULL)
				*id = (enum cryp_backend_id)i;
			return 0;
		}
	}
	return QSSH_ERR_NOT_FOUND;
}
