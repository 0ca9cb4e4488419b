# SPDX-License-Identifier: BSD-2-Clause
# The relay between the dataplane and a connection's control process.
qssh_fuzz_target(NAME fuzz_relay_control
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/relay_control.c LIBS qssh_dataplane)
qssh_fuzz_target(NAME fuzz_relay_records
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/relay_records.c LIBS qssh_dataplane)
qssh_fuzz_target(NAME fuzz_relay_keys
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/relay_keys.c LIBS qssh_dataplane)
