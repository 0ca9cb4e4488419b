# SPDX-License-Identifier: BSD-2-Clause
qssh_fuzz_target(NAME fuzz_kexinit
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/kex_init.c LIBS qssh_control)
qssh_fuzz_target(NAME fuzz_kex_server
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/kex_server.c LIBS qssh_control)
