# SPDX-License-Identifier: BSD-2-Clause
# Malformed input on a live connection; wraps tport_set_keys_out() to build
# packets with the client's real keys.
qssh_unit_test(NAME test_control_malformed SOURCES test_malformed.c
  LIBS qssh_control LABELS fast)
target_link_options(test_control_malformed PRIVATE
  -Wl,--wrap=tport_set_keys_out)
