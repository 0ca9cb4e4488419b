# SPDX-License-Identifier: BSD-2-Clause
# Key exchange speed: X25519, ML-KEM-768 and sntrup761 alone, and full
# in-memory exchanges per method.  A --smoke ctest entry is registered in
# tests/unit/control/kex_pq.cmake (tests are enabled after perf/ is read).
add_executable(qssh-kexbench ${CMAKE_CURRENT_LIST_DIR}/kexbench.c)
target_link_libraries(qssh-kexbench PRIVATE qssh_control qssh_dataplane
  qssh_common OpenSSL::Crypto)
