# SPDX-License-Identifier: BSD-2-Clause
# Only with DPDK built in: without it there is no EAL to start.
if(QSSH_WITH_DPDK)
  qssh_unit_test(NAME test_eal SOURCES test_eal.c LIBS qssh_dataplane qssh_cryp
    LABELS fast)
endif()
