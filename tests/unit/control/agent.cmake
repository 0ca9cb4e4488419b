# SPDX-License-Identifier: BSD-2-Clause
# SSH agent client: against OpenSSH's ssh-agent, and against a fake agent
# that answers malformed replies.
qssh_unit_test(NAME test_agent SOURCES test_agent.c LIBS qssh_control
  LABELS slow interop)
qssh_unit_test(NAME test_agent_fake SOURCES test_agent_fake.c
  LIBS qssh_control LABELS fast)
target_include_directories(test_agent_fake PRIVATE
  ${CMAKE_SOURCE_DIR}/control/src)
