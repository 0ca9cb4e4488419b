# SPDX-License-Identifier: BSD-2-Clause
# Only with DPDK built in: without it there is no EAL to start.
if(QSSH_WITH_DPDK)
  # Crypto workers on DPDK lcores (EAL in forked children), cryptodev on
  # worker threads, a slowed lcore worker, and the fallback to threads;
  # 16 MiB per combination.  The 256 MiB matrix is in
  # transport_workers.cmake.
  qssh_unit_test(NAME test_dpdk_workers
    SOURCES test_dpdk_workers.c test_transport_workers_xfer.c
    LIBS qssh_dataplane LABELS fast)
endif()
