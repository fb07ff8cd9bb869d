"""Processes by PID, read from /proc and ended by signal: what the drivers share.

The drivers (cli_bench.py, pubsub_bench.py, proc_bench.py) watch processes
that neither library reports to them -- roles, groups, child processes -- and
must end whatever is left without a library's help, so they go to /proc and
os.kill by PID. Linux only; only the standard library is used, so that this
runs under either side's python.
"""

import os
import signal
import subprocess
import time


def stat_fields(pid):
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...), or None
    when there is no such process."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            text = f.read()
        # pid (comm) S ppid ...; comm may hold spaces and parentheses.
        return text[text.rindex(')') + 2:].split()
    except (OSError, ValueError):
        return None


def alive(pid):
    """Running, and not a zombie (a zombie has ended; only its parent's reaping is due)."""
    s = stat_fields(pid)
    return s is not None and s[0] != 'Z'


def parent_of(pid):
    """The parent's PID, or None."""
    s = stat_fields(pid)
    if s is None:
        return None
    try:
        return int(s[1])
    except (ValueError, IndexError):
        return None


def cpu_ticks(pid):
    """User + system CPU time used so far by pid, in clock ticks (SC_CLK_TCK), or None."""
    s = stat_fields(pid)
    if s is None:
        return None
    return int(s[11]) + int(s[12])


def cpu_seconds(pid):
    """User + system CPU time used so far by pid, in seconds, or None."""
    t = cpu_ticks(pid)
    return None if t is None else t / os.sysconf('SC_CLK_TCK')


def all_pids():
    return [int(n) for n in os.listdir('/proc') if n.isdigit()]


def kill(pids):
    """SIGKILL those of pids still alive, in the order given; the list of them."""
    left = [p for p in pids if alive(p)]
    for p in left:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    return left


def interrupt_then_kill(procs, grace):
    """SIGINT each of ``procs`` (Popen objects) still running, then SIGKILL whatever
    is left ``grace`` seconds later; the ones that had to be killed."""
    live = [p for p in procs if p.poll() is None]
    for p in live:
        try:
            p.send_signal(signal.SIGINT)
        except OSError:
            pass
    end = time.monotonic() + grace
    killed = []
    for p in live:
        try:
            p.wait(max(0.0, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            killed.append(p)
    return killed
