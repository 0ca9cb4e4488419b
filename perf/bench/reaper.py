#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""reaper.py PIDFILE CMD ARGS...: run CMD as a child of a child subreaper.

Processes that a daemon leaves behind without waiting for them (OpenSSH's
post-auth monitor exits without reaping its unprivileged child, for
instance) are re-parented to this process instead of init, and reaped
here, so that their CPU time ends up in this process's cutime/cstime
(/proc/PID/stat fields 16 and 17).  qssh-bench adds that to the
listener's own accounting to get the CPU time of whole connections.
PIDFILE receives "REAPER_PID CMD_PID" once CMD is started.  SIGTERM,
SIGINT and SIGHUP are passed on to CMD; the reaper exits with CMD's status
once CMD is gone.
"""
import ctypes
import os
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: reaper.py PIDFILE CMD [ARGS...]\n")
        return 2
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.stderr.write("reaper: prctl(PR_SET_CHILD_SUBREAPER) failed\n")
        return 1
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(sys.argv[2], sys.argv[2:])
        except OSError as e:
            sys.stderr.write("reaper: %s: %s\n" % (sys.argv[2], e))
        os._exit(127)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (os.getpid(), pid))
    os.rename(tmp, sys.argv[1])

    def forward(sig, _frame):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, forward)
    status = 0
    while True:
        try:
            wpid, st = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if wpid == pid:
            status = os.waitstatus_to_exitcode(st)
            break
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
