# SPDX-License-Identifier: BSD-2-Clause
qssh_unit_test(NAME test_dataplane_ring SOURCES test_ring.c
  LIBS qssh_dataplane LABELS fast)
qssh_unit_test(NAME test_dataplane_workers SOURCES test_workers.c
  LIBS qssh_dataplane LABELS fast)
# A tiny run of the benchmark, to keep it building and working.
if(TARGET qssh-workerbench)
  add_test(NAME perf_workerbench_smoke COMMAND qssh-workerbench --smoke)
  set_tests_properties(perf_workerbench_smoke PROPERTIES LABELS "fast;perf")
endif()
