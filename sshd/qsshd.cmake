# SPDX-License-Identifier: BSD-2-Clause
# qsshd: the OpenSSH-compatible daemon (embedded default mode).
add_executable(qsshd
  ${CMAKE_CURRENT_LIST_DIR}/qsshd_main.c
  ${CMAKE_CURRENT_LIST_DIR}/qsshd_monitor.c
  ${CMAKE_CURRENT_LIST_DIR}/qsshd_control.c
  ${CMAKE_CURRENT_LIST_DIR}/qsshd_dataplane.c
  ${CMAKE_CURRENT_LIST_DIR}/qsshd_pam.c
  ${CMAKE_CURRENT_LIST_DIR}/qsshd_login.c)
set_target_properties(qsshd PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
target_include_directories(qsshd PRIVATE ${CMAKE_CURRENT_LIST_DIR}
  ${PAM_INCLUDE_DIR})
target_link_libraries(qsshd PRIVATE qssh_control qssh_dataplane qssh_cryp
  qssh_drivers qssh_common ${PAM_LIBRARY} crypt)
# Symbols bound at start-up (full RELRO): no lazy binding in every forked
# process, and the GOT read-only.
target_link_options(qsshd PRIVATE -Wl,-z,now -Wl,-z,relro)
