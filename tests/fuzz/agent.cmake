# SPDX-License-Identifier: BSD-2-Clause
# SSH agent client: reply parsers and the framing over a socket.
qssh_fuzz_target(NAME fuzz_agent_reply
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/agent_reply.c LIBS qssh_control)
