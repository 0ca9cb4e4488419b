# SPDX-License-Identifier: BSD-2-Clause
# qssh, the OpenSSH-compatible client.
add_executable(qssh
  ${CMAKE_CURRENT_SOURCE_DIR}/qssh.c
  ${CMAKE_CURRENT_SOURCE_DIR}/qssh_conn.c
  ${CMAKE_CURRENT_SOURCE_DIR}/qssh_auth.c
  ${CMAKE_CURRENT_SOURCE_DIR}/qssh_session.c
  ${CMAKE_CURRENT_SOURCE_DIR}/qssh_tty.c)
target_link_libraries(qssh PRIVATE qssh_control qssh_drivers OpenSSL::Crypto)
