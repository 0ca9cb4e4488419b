# SPDX-License-Identifier: BSD-2-Clause
qssh_unit_test(NAME test_control_auth_server
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_auth_server.c
  LIBS qssh_control)
qssh_unit_test(NAME test_control_auth_server_kex
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_auth_server_kex.c
  LIBS qssh_control OpenSSL::Crypto LABELS fast)
qssh_unit_test(NAME test_control_auth_server_monitor
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_auth_server_monitor.c
  LIBS qssh_control LABELS fast)
