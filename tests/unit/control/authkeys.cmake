# SPDX-License-Identifier: BSD-2-Clause
qssh_unit_test(NAME test_control_authkeys
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_authkeys.c
  LIBS qssh_control)
