# SPDX-License-Identifier: BSD-2-Clause
# sntrup761 decapsulation of arbitrary secret key and ciphertext bytes.
qssh_fuzz_target(NAME fuzz_sntrup_decaps
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/sntrup_decaps.c LIBS qssh_control)
# Each run is a full decapsulation (about a millisecond): fewer mutations.
if(NOT QSSH_FUZZ)
  set_tests_properties(fuzz_sntrup_decaps PROPERTIES
    ENVIRONMENT "QSSH_FUZZ_RUNS=1500")
endif()
