# SPDX-License-Identifier: BSD-2-Clause
# qssh-bench: the loopback comparison with OpenSSH (a bash script with
# helpers in perf/bench/).  It is copied into the binary directory with
# the locations of the binaries and helpers filled in, so that
# build/bin/qssh-bench works from anywhere.
set(QSSH_BENCH_BINDIR ${CMAKE_RUNTIME_OUTPUT_DIRECTORY})
set(QSSH_BENCH_LIBDIR ${CMAKE_CURRENT_LIST_DIR}/bench)
set(QSSH_BENCH_SRCDIR ${CMAKE_SOURCE_DIR})
configure_file(${CMAKE_CURRENT_LIST_DIR}/qssh-bench
  ${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/qssh-bench @ONLY
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
  GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# Smoke test: a quick run writes a CSV with the expected columns (no
# timing is checked).  enable_testing() is already on when perf/ is read.
add_test(NAME qssh_bench_smoke
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/bench/smoke.sh
    ${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/qssh-bench)
set_tests_properties(qssh_bench_smoke PROPERTIES
  LABELS "perf;slow" SKIP_RETURN_CODE 77 TIMEOUT 120 RUN_SERIAL TRUE)
