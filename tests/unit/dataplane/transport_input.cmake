# SPDX-License-Identifier: BSD-2-Clause
# Feeding the transport's input while crypto workers hold packets: the
# room tport_input() takes, the refusal a fixed-chunk reader meets, and a
# paced reader under slowed workers.  Also run by the sanitizer build.
qssh_unit_test(NAME test_transport_input
  SOURCES test_transport_input.c test_transport_workers_xfer.c
  LIBS qssh_dataplane LABELS fast)
