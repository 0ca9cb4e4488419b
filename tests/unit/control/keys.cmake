# SPDX-License-Identifier: BSD-2-Clause
# Key module: in-memory tests, Wycheproof vectors, and OpenSSH interop.
qssh_unit_test(NAME test_key SOURCES test_key.c LIBS qssh_control
  LABELS fast)
target_include_directories(test_key PRIVATE ${CMAKE_SOURCE_DIR}/control/src)
qssh_unit_test(NAME test_key_vectors SOURCES test_key_vectors.c
  LIBS qssh_control LABELS fast)
qssh_unit_test(NAME test_key_interop SOURCES test_key_interop.c
  LIBS qssh_control LABELS slow interop)
target_include_directories(test_key_interop PRIVATE
  ${CMAKE_SOURCE_DIR}/control/src)
