# SPDX-License-Identifier: BSD-2-Clause
# Starts the DPDK EAL without hugepages; skips itself where it cannot.
qssh_unit_test(NAME test_cryp_cryptodev SOURCES test_cryp_cryptodev.c
  LIBS qssh_dataplane qssh_cryp LABELS fast)
