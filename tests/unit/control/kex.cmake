# SPDX-License-Identifier: BSD-2-Clause
qssh_unit_test(NAME test_control_kex SOURCES test_kex.c
  LIBS qssh_control OpenSSL::Crypto LABELS fast)
