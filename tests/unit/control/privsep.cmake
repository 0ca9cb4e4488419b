# SPDX-License-Identifier: BSD-2-Clause
# The pre-auth sandbox (needs root; skipped otherwise) and the monitor.
qssh_unit_test(NAME test_control_privsep
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_privsep.c
  LIBS qssh_control)
qssh_unit_test(NAME test_control_monitor
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_monitor.c
  LIBS qssh_control)
