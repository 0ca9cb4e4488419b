# SPDX-License-Identifier: BSD-2-Clause
# sntrup761: arithmetic, encodings, round trips, implicit rejection, NIST KAT.
qssh_unit_test(NAME test_sntrup761 SOURCES test_sntrup761.c
  LIBS qssh_control OpenSSL::Crypto LABELS fast)
target_include_directories(test_sntrup761 PRIVATE
  ${CMAKE_SOURCE_DIR}/control/src)
# The same binary with 1000 deterministic key pairs and round trips.
add_test(NAME test_sntrup761_slow COMMAND test_sntrup761)
set_tests_properties(test_sntrup761_slow PROPERTIES LABELS "unit;slow"
  ENVIRONMENT "QSSH_SNTRUP_ROUNDTRIPS=0;QSSH_SNTRUP_ROUNDTRIPS_SLOW=1000")
