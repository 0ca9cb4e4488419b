# SPDX-License-Identifier: BSD-2-Clause
# Only with DPDK built in: without it there is no EAL to start.
if(QSSH_WITH_DPDK)
  # Crypto workers on DPDK lcores (EAL in forked children) and the fallback
  # to threads; 16 MiB per combination.
  qssh_unit_test(NAME test_dpdk_workers
    SOURCES test_dpdk_workers.c test_transport_workers_xfer.c
    LIBS qssh_dataplane LABELS fast)
  # The same with 256 MiB for one combination per backend.
  add_test(NAME test_dpdk_workers_big COMMAND test_dpdk_workers)
  set_tests_properties(test_dpdk_workers_big PROPERTIES
    LABELS "unit;slow" ENVIRONMENT "QSSH_TEST_BIG=1")
endif()
