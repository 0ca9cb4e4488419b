# SPDX-License-Identifier: BSD-2-Clause
add_executable(qssh-cryptobench ${CMAKE_CURRENT_LIST_DIR}/cryptobench.c)
target_link_libraries(qssh-cryptobench PRIVATE qssh_dataplane qssh_cryp qssh_common
  OpenSSL::Crypto)
# The --smoke ctest entry is registered in tests/unit/crypto-offload/cryp.cmake
# (tests are enabled after perf/ is read).
