# SPDX-License-Identifier: BSD-2-Clause
qssh_fuzz_target(NAME fuzz_transport
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/transport.c LIBS qssh_dataplane)
qssh_fuzz_target(NAME fuzz_transport_aead
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/transport_aead.c LIBS qssh_dataplane)
