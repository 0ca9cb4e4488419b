# SPDX-License-Identifier: BSD-2-Clause
qssh_fuzz_target(NAME fuzz_authkeys_line
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/authkeys_line.c LIBS qssh_control)
qssh_fuzz_target(NAME fuzz_known_hosts
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/hostfile_known_hosts.c
  LIBS qssh_control)
