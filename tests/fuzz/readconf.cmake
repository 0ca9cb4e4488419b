# SPDX-License-Identifier: BSD-2-Clause
qssh_fuzz_target(NAME fuzz_readconf
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/readconf.c
  LIBS qssh_control)
