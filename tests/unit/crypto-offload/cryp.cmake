# SPDX-License-Identifier: BSD-2-Clause
qssh_unit_test(NAME test_cryp SOURCES test_cryp.c LIBS qssh_cryp
  LABELS fast)
target_include_directories(test_cryp PRIVATE
  ${CMAKE_SOURCE_DIR}/crypto-offload/src)
qssh_unit_test(NAME test_cryp_cross SOURCES test_cryp_cross.c LIBS qssh_cryp
  LABELS fast)
target_include_directories(test_cryp_cross PRIVATE
  ${CMAKE_SOURCE_DIR}/crypto-offload/src)
# A tiny run of the benchmark, to keep it building and working.
if(TARGET qssh-cryptobench)
  add_test(NAME perf_cryptobench_smoke COMMAND qssh-cryptobench --smoke)
  set_tests_properties(perf_cryptobench_smoke PROPERTIES LABELS "fast;perf")
endif()
