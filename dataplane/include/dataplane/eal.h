/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DPDK EAL start-up for appliance mode.  Starting the EAL is optional:
 * when it fails the caller keeps the thread runtime and the CPU crypto
 * backends.  After the EAL is up the cryptodev backend of crypto-offload is
 * attached (cryp_cryptodev_attach()).
 */
#ifndef QSSH_DATAPLANE_EAL_H
#define QSSH_DATAPLANE_EAL_H

#include <stdbool.h>

/*
 * No hugepages, no shared runtime files (several processes and normal
 * users can start it), no PCI scan, software crypto devices.  For Intel
 * QAT drop --no-pci and allow the device: "-a 0000:3d:01.0".
 */
#define DP_EAL_DEFAULT_ARGS                                     \
	"--no-huge -m 128 --no-shconf --no-pci --no-telemetry " \
	"--vdev=crypto_aesni_mb --vdev=crypto_aesni_gcm "       \
	"--vdev=crypto_openssl"

/* Largest argument string and number of arguments accepted. */
#define DP_EAL_ARGS_MAX 1024
#define DP_EAL_ARGC_MAX 64

/*
 * Start the EAL once per process with args (EAL options separated by
 * blanks, no quoting; NULL means DP_EAL_DEFAULT_ARGS), then attach the
 * cryptodev backend.  The calling thread keeps its CPU affinity.  Returns
 * 0, QSSH_ERR_INVALID_ARGUMENT when args are refused before the EAL sees
 * them (options that would end the process, such as --help, or other
 * process types than primary), QSSH_ERR_BACKEND_UNAVAILABLE when the EAL
 * did not start (one line is logged), QSSH_ERR_NOT_SUPPORTED when built
 * without DPDK.  The EAL cannot start twice: later calls return the
 * result of the one attempt without trying again (refused args do not
 * count as an attempt).
 */
int dp_eal_start(const char *args);

/* The EAL is up. */
bool dp_eal_running(void);

#endif
