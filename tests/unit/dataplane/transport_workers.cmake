# SPDX-License-Identifier: BSD-2-Clause
# Transport on the crypto worker engine (threads runtime), 16 MiB per
# combination; also what the sanitizer build runs.
qssh_unit_test(NAME test_transport_workers
  SOURCES test_transport_workers.c test_transport_workers_xfer.c
  LIBS qssh_dataplane LABELS fast)

# 256 MiB each way for every backend x runtime x worker count x algorithm,
# rekeyed half-way: one ctest test per backend x runtime so that ctest -j
# runs them side by side.  Not built with sanitizers: that build runs the
# 16 MiB matrices above and in dpdk_workers.cmake instead.  The test needs
# arguments, so it is registered here rather than with qssh_unit_test().
if(NOT QSSH_SANITIZE)
  add_executable(test_transport_workers_big
    test_transport_workers_big.c test_transport_workers_xfer.c)
  set_target_properties(test_transport_workers_big PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_include_directories(test_transport_workers_big PRIVATE
    ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(test_transport_workers_big PRIVATE qssh_dataplane
    ${CMOCKA_LIBRARY})
  set(_tw_backends openssl)
  if(QSSH_WITH_IPSECMB)
    list(APPEND _tw_backends ipsec-mb)
  endif()
  set(_tw_runtimes threads)
  if(QSSH_WITH_DPDK)
    list(APPEND _tw_backends cryptodev)
    list(APPEND _tw_runtimes dpdk)
  endif()
  foreach(_be ${_tw_backends})
    foreach(_rt ${_tw_runtimes})
      string(REPLACE "-" "" _n "test_transport_workers_big_${_be}_${_rt}")
      add_test(NAME ${_n} COMMAND test_transport_workers_big ${_be} ${_rt})
      # 77: backend not usable here or the EAL did not start.
      set_tests_properties(${_n} PROPERTIES LABELS "unit;slow"
        SKIP_RETURN_CODE 77)
    endforeach()
  endforeach()
endif()
