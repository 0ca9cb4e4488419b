# SPDX-License-Identifier: BSD-2-Clause
# qssh (the client) against OpenSSH's sshd.  Each script creates a Unix user
# and starts sshd on a free port, so it needs root (skipped otherwise).
find_program(QSSH_TEST_SSHD sshd PATHS /usr/sbin /usr/local/sbin)
if(QSSH_TEST_SSHD AND TARGET qssh)
  foreach(_t qssh_exec qssh_auth qssh_knownhosts qssh_tty qssh_rsync_git)
    add_test(NAME interop_${_t}
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/${_t}.sh $<TARGET_FILE:qssh>)
    set_tests_properties(interop_${_t} PROPERTIES LABELS "interop;slow"
      TIMEOUT 300 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
  endforeach()
endif()
