# SPDX-License-Identifier: BSD-2-Clause
# Transport on the crypto worker engine (threads runtime).
qssh_unit_test(NAME test_transport_workers
  SOURCES test_transport_workers.c test_transport_workers_xfer.c
  LIBS qssh_dataplane LABELS fast)
# 256 MiB each way, rekeyed in the middle, one combination per backend.
qssh_unit_test(NAME test_transport_workers_big
  SOURCES test_transport_workers_big.c test_transport_workers_xfer.c
  LIBS qssh_dataplane LABELS slow)
