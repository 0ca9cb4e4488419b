# SPDX-License-Identifier: BSD-2-Clause
# Post-quantum hybrid kex: mlkem768x25519-sha256, sntrup761x25519-sha512.
qssh_unit_test(NAME test_control_kex_pq SOURCES test_kex_pq.c
  LIBS qssh_control OpenSSL::Crypto LABELS fast)
if(TARGET qssh-kexbench)
  add_test(NAME perf_kexbench_smoke COMMAND qssh-kexbench --smoke)
  set_tests_properties(perf_kexbench_smoke PROPERTIES LABELS "perf;fast")
endif()
