# SPDX-License-Identifier: BSD-2-Clause
# The privilege separation monitor: requests in every state.
qssh_fuzz_target(NAME fuzz_monitor_msg
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/monitor_msg.c LIBS qssh_control)
