# SPDX-License-Identifier: BSD-2-Clause
# qssh (the client) against OpenSSH's sshd (and Dropbear, and qsshd).  Each
# script creates a Unix user and starts sshd on a free port, so it needs
# root (skipped otherwise).
find_program(QSSH_TEST_SSHD sshd PATHS /usr/sbin /usr/local/sbin)
if(QSSH_TEST_SSHD AND TARGET qssh)
  foreach(_t qssh_exec qssh_auth qssh_knownhosts qssh_tty qssh_rsync_git
      qssh_matrix qssh_dropbear qssh_rsync_big qssh_pq)
    set(_args $<TARGET_FILE:qssh>)
    if(_t STREQUAL "qssh_pq" AND TARGET qsshd)
      list(APPEND _args $<TARGET_FILE:qsshd>)
    endif()
    add_test(NAME interop_${_t}
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/${_t}.sh ${_args})
    set_tests_properties(interop_${_t} PROPERTIES LABELS "interop;slow"
      TIMEOUT 300 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
  endforeach()
endif()
