/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The DPDK cryptodev backend's start-up.  crypto-offload never starts the
 * DPDK EAL itself: whoever starts it (dataplane/eal.h) calls
 * cryp_cryptodev_attach() afterwards.  Until a device is attached,
 * cryp_backend_available(CRYP_BACKEND_CRYPTODEV) is false.
 */
#ifndef QSSH_CRYP_CRYPTODEV_H
#define QSSH_CRYP_CRYPTODEV_H

#include <stdbool.h>

/*
 * Probe the cryptodevs of a running EAL (Intel QAT first, then
 * crypto_aesni_mb, crypto_aesni_gcm, crypto_openssl), configure and start
 * the best usable one and create its pools.  Logs what it found at
 * VERBOSE.  0, QSSH_ERR_BACKEND_UNAVAILABLE when no device is usable (the
 * reason is logged), QSSH_ERR_NOT_SUPPORTED without DPDK.  Calling it
 * again after success does nothing.
 */
int cryp_cryptodev_attach(void);

/* Why the backend is unavailable, or the device in use. */
const char *cryp_cryptodev_describe(void);

#endif
