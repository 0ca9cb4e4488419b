# SPDX-License-Identifier: BSD-2-Clause
# ML-KEM-768 constant-time checks.
#  ct_mlkem           memcheck with the secrets marked undefined; the ML-KEM
#                     sources are compiled here with QSSH_MLKEM_CT_TEST=1 so
#                     that rho, public by design, can be declassified.
#  ct_mlkem_selftest  a deliberately leaky run that valgrind must fail.
#  ct_mlkem_nodiv     memcheck cannot see variable-time division, so the
#                     compiled ML-KEM code is checked for div instructions.
if(QSSH_CT_AVAILABLE)
  add_library(ct_mlkem_obj OBJECT
    ${CMAKE_SOURCE_DIR}/control/src/mlkem768.c
    ${CMAKE_SOURCE_DIR}/control/src/mlkem768_keccak.c)
  target_include_directories(ct_mlkem_obj PRIVATE
    ${CMAKE_SOURCE_DIR}/common/include ${CMAKE_SOURCE_DIR}/control/include
    ${CMAKE_SOURCE_DIR}/control/src ${VALGRIND_INCLUDE_DIR})
  target_compile_definitions(ct_mlkem_obj PRIVATE QSSH_MLKEM_CT_TEST=1)
  add_executable(ct_mlkem ${CMAKE_CURRENT_SOURCE_DIR}/ct_mlkem.c
    $<TARGET_OBJECTS:ct_mlkem_obj>)
  set_target_properties(ct_mlkem PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_include_directories(ct_mlkem PRIVATE
    ${CMAKE_SOURCE_DIR}/control/include ${VALGRIND_INCLUDE_DIR})
  target_link_libraries(ct_mlkem PRIVATE qssh_common)
  add_test(NAME ct_mlkem COMMAND ${QSSH_CT_VALGRIND} $<TARGET_FILE:ct_mlkem>)
  add_test(NAME ct_mlkem_selftest COMMAND ${QSSH_CT_VALGRIND}
    $<TARGET_FILE:ct_mlkem> --selftest-leak)
  set_tests_properties(ct_mlkem_selftest PROPERTIES WILL_FAIL TRUE)
else()
  add_test(NAME ct_mlkem COMMAND sh -c
    "echo 'ct_mlkem: ${QSSH_CT_SKIP_REASON}: skipped'; exit 77")
  add_test(NAME ct_mlkem_selftest COMMAND sh -c
    "echo 'ct_mlkem_selftest: ${QSSH_CT_SKIP_REASON}: skipped'; exit 77")
endif()
if(QSSH_CT_AVAILABLE AND CMAKE_OBJDUMP)
  add_test(NAME ct_mlkem_nodiv COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/nodiv.sh
    ${CMAKE_OBJDUMP} $<TARGET_OBJECTS:ct_mlkem_obj> COMMAND_EXPAND_LISTS)
  # the same check must fail on an object that divides
  add_library(ct_nodiv_selftest_obj OBJECT
    ${CMAKE_CURRENT_SOURCE_DIR}/nodiv_selftest.c)
  add_test(NAME ct_mlkem_nodiv_selftest COMMAND sh
    ${CMAKE_CURRENT_SOURCE_DIR}/nodiv.sh ${CMAKE_OBJDUMP}
    $<TARGET_OBJECTS:ct_nodiv_selftest_obj> COMMAND_EXPAND_LISTS)
  set_tests_properties(ct_mlkem_nodiv_selftest PROPERTIES WILL_FAIL TRUE)
else()
  add_test(NAME ct_mlkem_nodiv COMMAND sh -c
    "echo 'ct_mlkem_nodiv: objdump or valgrind missing: skipped'; exit 77")
  add_test(NAME ct_mlkem_nodiv_selftest COMMAND sh -c "exit 77")
endif()
set_tests_properties(ct_mlkem ct_mlkem_selftest ct_mlkem_nodiv
  ct_mlkem_nodiv_selftest PROPERTIES LABELS "ct;slow" SKIP_RETURN_CODE 77)
