# SPDX-License-Identifier: BSD-2-Clause
# ML-KEM-768: Wycheproof vectors, SHA-3 against OpenSSL, API checks.
qssh_unit_test(NAME test_mlkem SOURCES test_mlkem.c LIBS qssh_control
  LABELS fast)
target_include_directories(test_mlkem PRIVATE ${CMAKE_SOURCE_DIR}/control/src)
