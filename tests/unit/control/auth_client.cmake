# SPDX-License-Identifier: BSD-2-Clause
# Client user authentication: the method state machine and its helpers.
qssh_unit_test(NAME test_auth_client SOURCES test_auth_client.c
  LIBS qssh_control LABELS fast)
# Configuration around authentication and the kex (readconf, known_hosts).
qssh_unit_test(NAME test_auth_client_config SOURCES test_auth_client_config.c
  LIBS qssh_control LABELS fast)
