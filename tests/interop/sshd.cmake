# SPDX-License-Identifier: BSD-2-Clause
# qsshd against OpenSSH's ssh (need root: they create a Unix user; skipped
# with 77 otherwise).
find_program(QSSH_OPENSSH_SSH_CLIENT ssh)
if(QSSH_OPENSSH_SSH_CLIENT AND TARGET qsshd)
  foreach(_t sshd_auth sshd_session sshd_sandbox sshd_config sshd_kex sshd_kbdint sshd_clients sshd_tty sshd_abuse sshd_sameconfig sshd_keyopts sshd_login)
    add_test(NAME interop_${_t}
      COMMAND ${CMAKE_CURRENT_LIST_DIR}/${_t}.sh $<TARGET_FILE:qsshd>)
    set_tests_properties(interop_${_t} PROPERTIES LABELS "interop;slow"
      TIMEOUT 120 SKIP_RETURN_CODE 77)
  endforeach()
endif()
if(TEST interop_sshd_login)
  # It installs /etc/ssh/sshrc for a moment, which every sshd on the machine
  # would run: nothing else may run meanwhile.
  set_tests_properties(interop_sshd_login PROPERTIES RUN_SERIAL TRUE)
endif()
if(TEST interop_sshd_abuse)
  # 2000 failing logins from parallel clients: alone, with more time.
  set_tests_properties(interop_sshd_abuse PROPERTIES RUN_SERIAL TRUE
    TIMEOUT 300)
endif()
# Bulk data through the dataplane process, with OpenSSH's ssh and qssh.
if(QSSH_OPENSSH_SSH_CLIENT AND TARGET qsshd AND TARGET qssh)
  add_test(NAME interop_sshd_bulk
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/sshd_bulk.sh $<TARGET_FILE:qsshd>
      $<TARGET_FILE:qssh>)
  set_tests_properties(interop_sshd_bulk PROPERTIES LABELS "interop;slow"
    TIMEOUT 400 SKIP_RETURN_CODE 77)
endif()
