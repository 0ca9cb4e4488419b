# SPDX-License-Identifier: BSD-2-Clause
# Key parsers: blobs and signatures, public key text, private key files.
qssh_fuzz_target(NAME fuzz_key_blob
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/key_blob.c LIBS qssh_control)
qssh_fuzz_target(NAME fuzz_key_public
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/key_public.c LIBS qssh_control)
target_include_directories(fuzz_key_public PRIVATE
  ${CMAKE_SOURCE_DIR}/control/src)
qssh_fuzz_target(NAME fuzz_key_private
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/key_private.c LIBS qssh_control)
target_include_directories(fuzz_key_private PRIVATE
  ${CMAKE_SOURCE_DIR}/control/src)
# Encrypted seeds run bcrypt_pbkdf on many mutations: fewer of them.
if(NOT QSSH_FUZZ)
  set_tests_properties(fuzz_key_private PROPERTIES
    ENVIRONMENT "QSSH_FUZZ_RUNS=4000")
endif()
