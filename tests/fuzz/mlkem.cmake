# SPDX-License-Identifier: BSD-2-Clause
# ML-KEM-768 decapsulation and encapsulation on arbitrary keys/ciphertexts.
qssh_fuzz_target(NAME fuzz_mlkem_decaps
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/mlkem_decaps.c
  LIBS qssh_control OpenSSL::Crypto)
