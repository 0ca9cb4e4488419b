# SPDX-License-Identifier: BSD-2-Clause
qssh_unit_test(NAME test_eal SOURCES test_eal.c LIBS qssh_dataplane qssh_cryp
  LABELS fast)
