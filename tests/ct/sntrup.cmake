# SPDX-License-Identifier: BSD-2-Clause
# sntrup761 constant-time checks.
#  ct_sntrup761           memcheck with the randomness and the secret key
#                         marked undefined; sntrup761.c is compiled here with
#                         QSSH_SNTRUP761_CT_TEST=1 so that what is public by
#                         design (rejection-sampling retries, h) is declared so.
#  ct_sntrup761_selftest  a deliberately leaky run that valgrind must fail.
#  ct_sntrup761_nodiv     the compiled sntrup761 code has no division
#                         instruction (memcheck cannot see their timing).
if(QSSH_CT_AVAILABLE)
  add_library(ct_sntrup761_obj OBJECT
    ${CMAKE_SOURCE_DIR}/control/src/sntrup761.c)
  target_include_directories(ct_sntrup761_obj PRIVATE
    ${CMAKE_SOURCE_DIR}/common/include ${CMAKE_SOURCE_DIR}/control/include
    ${CMAKE_SOURCE_DIR}/control/src ${VALGRIND_INCLUDE_DIR})
  target_compile_definitions(ct_sntrup761_obj PRIVATE QSSH_SNTRUP761_CT_TEST=1)
  add_executable(ct_sntrup761 ${CMAKE_CURRENT_SOURCE_DIR}/ct_sntrup761.c
    $<TARGET_OBJECTS:ct_sntrup761_obj>)
  set_target_properties(ct_sntrup761 PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_include_directories(ct_sntrup761 PRIVATE
    ${CMAKE_SOURCE_DIR}/control/include ${VALGRIND_INCLUDE_DIR})
  target_link_libraries(ct_sntrup761 PRIVATE qssh_common OpenSSL::Crypto)
  add_test(NAME ct_sntrup761 COMMAND ${QSSH_CT_VALGRIND}
    $<TARGET_FILE:ct_sntrup761>)
  add_test(NAME ct_sntrup761_selftest COMMAND ${QSSH_CT_VALGRIND}
    $<TARGET_FILE:ct_sntrup761> --selftest-leak)
  set_tests_properties(ct_sntrup761_selftest PROPERTIES WILL_FAIL TRUE)
else()
  add_test(NAME ct_sntrup761 COMMAND sh -c
    "echo 'ct_sntrup761: ${QSSH_CT_SKIP_REASON}: skipped'; exit 77")
  add_test(NAME ct_sntrup761_selftest COMMAND sh -c
    "echo 'ct_sntrup761_selftest: ${QSSH_CT_SKIP_REASON}: skipped'; exit 77")
endif()
if(QSSH_CT_AVAILABLE AND CMAKE_OBJDUMP)
  add_test(NAME ct_sntrup761_nodiv COMMAND sh
    ${CMAKE_CURRENT_SOURCE_DIR}/nodiv.sh ${CMAKE_OBJDUMP}
    $<TARGET_OBJECTS:ct_sntrup761_obj> COMMAND_EXPAND_LISTS)
else()
  add_test(NAME ct_sntrup761_nodiv COMMAND sh -c
    "echo 'ct_sntrup761_nodiv: objdump or valgrind missing: skipped'; exit 77")
endif()
set_tests_properties(ct_sntrup761 ct_sntrup761_selftest ct_sntrup761_nodiv
  PROPERTIES LABELS "ct;slow" SKIP_RETURN_CODE 77)
