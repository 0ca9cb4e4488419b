# SPDX-License-Identifier: BSD-2-Clause
# Crypto worker engine throughput: inline against pinned workers.
add_executable(qssh-workerbench ${CMAKE_CURRENT_LIST_DIR}/workerbench.c)
target_link_libraries(qssh-workerbench PRIVATE qssh_dataplane qssh_cryp
  qssh_common)
