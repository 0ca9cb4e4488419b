# SPDX-License-Identifier: BSD-2-Clause
qssh_fuzz_target(NAME fuzz_channel
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/channel.c LIBS qssh_control)
