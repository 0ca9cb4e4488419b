/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ML-KEM-768 (FIPS 203): key generation, encapsulation and decapsulation
 * with the input checks of FIPS 203 section 7.  Constant time in all secret
 * data; SHA-3 and SHAKE are computed internally (FIPS 202).
 *
 * All functions return 0 or a negative QSSH_ERR_*:
 *   QSSH_ERR_KEY_LENGTH      ek or dk has the wrong length
 *   QSSH_ERR_KEY_INVALID     ek fails the modulus check (7.2) or dk fails
 *                            the hash check (7.3)
 *   QSSH_ERR_INVALID_FORMAT  ciphertext has the wrong length (7.3)
 *   QSSH_ERR_INVALID_ARGUMENT a NULL pointer
 *   QSSH_ERR_LIBCRYPTO       the random generator failed
 * On failure every (non-NULL) output buffer is zeroed.
 */
#ifndef QSSH_CONTROL_MLKEM768_H
#define QSSH_CONTROL_MLKEM768_H

#include <stddef.h>
#include <stdint.h>

#define MLKEM768_EK_LEN 1184 /* encapsulation (public) key */
#define MLKEM768_DK_LEN 2400 /* decapsulation (private) key */
#define MLKEM768_CT_LEN 1088 /* ciphertext */
#define MLKEM768_SS_LEN 32 /* shared secret */
#define MLKEM768_SEED_LEN 32 /* each of d, z and m */

/*
 * ML-KEM.KeyGen_internal(d, z): deterministic key pair from the seeds d
 * and z (32 bytes each).  The 64-byte seed form of a key is d || z.
 */
int
mlkem768_keygen_seeded(uint8_t ek[MLKEM768_EK_LEN], uint8_t dk[MLKEM768_DK_LEN],
    const uint8_t d[MLKEM768_SEED_LEN], const uint8_t z[MLKEM768_SEED_LEN]);

/*
 * The same from the 64-byte seed d || z as one string (the seed form of a
 * private key); QSSH_ERR_KEY_LENGTH unless seed_len is 64.
 */
int mlkem768_keygen_from_seed(uint8_t ek[MLKEM768_EK_LEN],
    uint8_t dk[MLKEM768_DK_LEN], const uint8_t *seed, size_t seed_len);

/* ML-KEM.KeyGen: key pair from fresh randomness. */
int mlkem768_keygen(uint8_t ek[MLKEM768_EK_LEN], uint8_t dk[MLKEM768_DK_LEN]);

/*
 * ML-KEM.Encaps_internal(ek, m) after the encapsulation key check of
 * FIPS 203 section 7.2 (length and modulus check).
 */
int
mlkem768_encaps_seeded(uint8_t ct[MLKEM768_CT_LEN], uint8_t ss[MLKEM768_SS_LEN],
    const uint8_t *ek, size_t ek_len, const uint8_t m[MLKEM768_SEED_LEN]);

/* ML-KEM.Encaps: as above with fresh randomness m. */
int mlkem768_encaps(uint8_t ct[MLKEM768_CT_LEN], uint8_t ss[MLKEM768_SS_LEN],
    const uint8_t *ek, size_t ek_len);

/*
 * ML-KEM.Decaps after the checks of FIPS 203 section 7.3 (ciphertext and
 * key lengths, hash of the embedded encapsulation key).  A ciphertext that
 * does not re-encrypt identically is not an error: the result is the
 * implicit-rejection secret J(z || ct), selected in constant time.
 */
int mlkem768_decaps(uint8_t ss[MLKEM768_SS_LEN], const uint8_t *dk,
    size_t dk_len, const uint8_t *ct, size_t ct_len);

/* The checks alone: FIPS 203 section 7.2 (ek) and 7.3 (dk). */
int mlkem768_check_ek(const uint8_t *ek, size_t ek_len);
int mlkem768_check_dk(const uint8_t *dk, size_t dk_len);

#endif
