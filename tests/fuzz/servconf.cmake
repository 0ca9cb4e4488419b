# SPDX-License-Identifier: BSD-2-Clause
qssh_fuzz_target(NAME fuzz_servconf
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/servconf.c
  LIBS qssh_control)
