# SPDX-License-Identifier: BSD-2-Clause
qssh_unit_test(NAME test_dataplane_transport SOURCES test_transport.c
  LIBS qssh_dataplane ZLIB::ZLIB LABELS fast)
