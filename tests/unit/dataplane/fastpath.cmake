# SPDX-License-Identifier: BSD-2-Clause
# The dataplane engine driven in-process: client, control process and
# session played by the test; inline and with one crypto worker.
qssh_unit_test(NAME test_fastpath SOURCES test_fastpath.c
  LIBS qssh_dataplane LABELS fast)
