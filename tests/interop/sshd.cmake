# SPDX-License-Identifier: BSD-2-Clause
# qsshd against OpenSSH's ssh (need root: they create a Unix user; skipped
# with 77 otherwise).
find_program(QSSH_OPENSSH_SSH_CLIENT ssh)
if(QSSH_OPENSSH_SSH_CLIENT AND TARGET qsshd)
  foreach(_t sshd_auth sshd_session sshd_sandbox sshd_config)
    add_test(NAME interop_${_t}
      COMMAND ${CMAKE_CURRENT_LIST_DIR}/${_t}.sh $<TARGET_FILE:qsshd>)
    set_tests_properties(interop_${_t} PROPERTIES LABELS "interop;slow"
      TIMEOUT 120 SKIP_RETURN_CODE 77)
  endforeach()
endif()
