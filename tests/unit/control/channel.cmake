# SPDX-License-Identifier: BSD-2-Clause
qssh_unit_test(NAME test_control_channel
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_channel.c LIBS qssh_control)
