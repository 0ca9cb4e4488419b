# SPDX-License-Identifier: BSD-2-Clause
qssh_unit_test(NAME test_common_buf SOURCES test_buf.c LIBS qssh_common)
qssh_unit_test(NAME test_common_util SOURCES test_util.c LIBS qssh_common)
