#!/usr/bin/env python3
"""Side-by-side benchmark of child processes for layer-cake implementations.

ONE script that runs unchanged on the original library (PyPI
``seven-layer-cake``, imported as ``layer_cake``) and on the Twisted
re-implementation in this repository, using only the public API
(``import layer_cake as lc``). ``bench/proc_run`` drives it.

The child programs are the tutorial's (doc/demos/threads), copied into
bench/ so that the benchmark does not depend on the demo directory:
``proc_api.py`` (``Xy``), ``proc_texture.py`` (``texture``, a trivial
function) and ``proc_worker.py`` (``worker``, bound with
``entry_point=[Xy]``).

Modes
-----
start [--count=5] [--warmup=1]
    (a) ``self.create(lc.ProcessObject, texture, x=2, y=2)`` then wait for
    its ``lc.Returned``, one start after the other, by a function actor.
    Times each start-to-Returned with ``time.perf_counter()`` and prints ONE
    JSON line: the median of the timed starts (``seconds``), every start
    (``starts``), and for reference the time to run ``python -c pass`` and
    ``python -c "import layer_cake"`` as plain subprocesses (the floor any
    child start pays on that side).
library [--count=2000] [--warmup=200] [--window=1]
    (b) ``a = self.create(lc.ProcessObject, worker)`` (library mode), then
    ``--warmup`` and ``--count`` round trips ``Xy(2, 2)`` -> table, each
    sent only after the previous reply has arrived (``--window`` > 1 keeps
    that many in flight). Prints ONE JSON line with ``per_second``, the
    latency percentiles, the time to the first reply (child start-up
    included) and the time from ``Stop`` to ``Returned`` at the end.
server --port=N
    (c) The tutorial server (doc/demos/threads/test_server_2.py with
    ``--processes``): an ``lc.ObjectSpool`` of 8 ``lc.ProcessObject``
    ``worker`` children behind ``lc.listen(..., http_server=[Xy])`` on
    127.0.0.1:N, started with ``lc.create(server)``. Runs until SIGINT or
    SIGTERM (or ``--timeout``). The load comes from ``wrk`` (proc_run).

Every process is bounded by a watchdog (``--timeout``). The JSON lines also
list the child processes seen (``child_pids``) so that the runner can check
that none is left behind.
"""

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time

import layer_cake as lc

import procfs
from proc_api import Xy
from proc_texture import texture
from proc_worker import worker
from side import library_label

# Figures recorded by the driver actors (same process).
MARKS = {}


def child_pids(pid=None):
    """PIDs of the live processes whose parent is ``pid`` (default: this one)."""
    pid = os.getpid() if pid is None else pid
    out = []
    for p in procfs.all_pids():
        fields = procfs.stat_fields(p)
        if fields is not None and len(fields) > 1 and int(fields[1]) == pid and \
                fields[0] != 'Z':
            out.append(p)
    return sorted(out)


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, int(round(q / 100.0 * (len(sorted_values) - 1)))))
    return sorted_values[k]


# ---------------------------------------------------------------------------
# (a) A trivial function as a process, start to Returned.

def start_driver(self, count: int = 5, warmup: int = 1):
    times, results = [], []
    seen = set()
    for i in range(warmup + count):
        t0 = time.perf_counter()
        self.create(lc.ProcessObject, texture, x=2, y=2)
        while True:
            m = self.input()
            if isinstance(m, lc.Returned):
                break
            if isinstance(m, lc.Stop):
                return lc.Aborted()
        t1 = time.perf_counter()
        seen.update(child_pids())
        if i >= warmup:
            times.append(t1 - t0)
        results.append(m.message)
    MARKS['times'] = times
    MARKS['results'] = results
    MARKS['seen'] = seen
    return lc.Ack()


lc.bind(start_driver)


def is_table(value):
    """A 2x2 table of floats, bare or paired with its type."""
    if isinstance(value, tuple) and len(value) == 2:
        value = value[0]
    return (isinstance(value, list) and len(value) == 2 and
            all(isinstance(r, list) and len(r) == 2 and
                all(isinstance(x, float) for x in r) for r in value))


def time_subprocess(argv, n=3):
    """Median wall time of running argv n times (output discarded)."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd='/tmp', timeout=60, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_start(a, result):
    with lc.channel() as ch:
        ch.create(start_driver, count=a.count, warmup=a.warmup)
        m = ch.input()
        while not isinstance(m, lc.Returned):
            m = ch.input()
    if 'times' not in MARKS:
        raise RuntimeError(f'driver ended without figures: {m.message}')
    bad = [r for r in MARKS['results'] if not is_table(r)]
    if bad:
        raise RuntimeError(f'{len(bad)} start(s) did not return a 2x2 table, e.g. {bad[0]!r:.200}')
    times = MARKS['times']
    med = statistics.median(times)
    # Reference floors, measured in the same process right after.
    py = sys.executable
    result.update(
        count=a.count,
        warmup=a.warmup,
        seconds=round(med, 6),
        per_second=round(1.0 / med, 3),
        starts=[round(t, 4) for t in times],
        python_pass_s=round(time_subprocess([py, '-c', 'pass']), 4),
        import_lc_s=round(time_subprocess([py, '-c', 'import layer_cake']), 4),
        child_pids=sorted(MARKS['seen']),
    )


# ---------------------------------------------------------------------------
# (b) Round trips to a library-mode child.

def library_driver(self, count: int = 2000, warmup: int = 200, window: int = 1):
    t0 = time.perf_counter()
    a = self.create(lc.ProcessObject, worker)
    bad = 0

    def reply():
        """The next message: a table from the child, or None on anything else."""
        while True:
            m = self.input()
            if isinstance(m, list):
                return m
            if isinstance(m, lc.Returned):
                MARKS['error'] = f'worker ended early: {m.message!r:.200}'
                return None
            if isinstance(m, lc.Stop):
                MARKS['error'] = 'stopped'
                return None
            if isinstance(m, lc.Faulted):
                MARKS['error'] = f'fault: {m!r:.200}'
                return None

    # The first round trip includes the child's start-up.
    self.send(Xy(2, 2), a)
    m = reply()
    if m is None:
        return lc.Aborted()
    MARKS['first_reply_s'] = time.perf_counter() - t0
    MARKS['child_pids'] = child_pids()

    clock = time.perf_counter
    lat = []
    total = warmup + count
    sent = [0.0] * total
    n_sent = 0
    while n_sent < min(window, total):
        sent[n_sent] = clock()
        self.send(Xy(2, 2), a)
        n_sent += 1
    t_start = None
    for i in range(total):
        if i == warmup:
            t_start = clock()
        m = reply()
        now = clock()
        if m is None:
            return lc.Aborted()
        if not is_table(m):
            bad += 1
        if i >= warmup:
            lat.append(now - sent[i])
        if n_sent < total:
            sent[n_sent] = clock()
            self.send(Xy(2, 2), a)
            n_sent += 1
    t_end = clock()
    MARKS['t0'], MARKS['t1'], MARKS['lat'], MARKS['bad'] = t_start, t_end, lat, bad

    # Stop ends the child; the parent gets Returned(Aborted).
    s0 = clock()
    self.send(lc.Stop(), a)
    while True:
        m = self.input()
        if isinstance(m, lc.Returned):
            break
    MARKS['stop_s'] = clock() - s0
    MARKS['stop_returned'] = type(m.message).__name__
    return lc.Ack()


lc.bind(library_driver)


def run_library(a, result):
    with lc.channel() as ch:
        ch.create(library_driver, count=a.count, warmup=a.warmup, window=a.window)
        m = ch.input()
        while not isinstance(m, lc.Returned):
            m = ch.input()
    if 'error' in MARKS:
        raise RuntimeError(MARKS['error'])
    if 't1' not in MARKS:
        raise RuntimeError(f'driver ended without figures: {m.message}')
    if MARKS['bad']:
        raise RuntimeError(f"{MARKS['bad']} replies were not 2x2 tables")
    seconds = MARKS['t1'] - MARKS['t0']
    lat = sorted(MARKS['lat'])
    result.update(
        count=a.count,
        warmup=a.warmup,
        window=a.window,
        seconds=round(seconds, 6),
        per_second=round(a.count / seconds, 1) if seconds > 0 else None,
        p50_us=round(percentile(lat, 50) * 1e6, 1),
        p99_us=round(percentile(lat, 99) * 1e6, 1),
        max_us=round(lat[-1] * 1e6, 1),
        first_reply_s=round(MARKS['first_reply_s'], 4),
        stop_s=round(MARKS['stop_s'], 4),
        stop_returned=MARKS['stop_returned'],
        child_pids=MARKS.get('child_pids', []),
    )


# ---------------------------------------------------------------------------
# (c) The tutorial server with a spool of 8 worker processes.

SERVER_API = [Xy, ]


def server(self, server_address: lc.HostPort = None, workers: int = 8):
    server_address = server_address or lc.HostPort('127.0.0.1', 5050)

    lc.listen(self, server_address, http_server=SERVER_API)
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m

    # Eight workers behind one address, each a child process.
    worker_spool = self.create(lc.ObjectSpool, lc.ProcessObject, worker, object_count=workers)

    while True:
        m = self.input()
        if isinstance(m, Xy):
            pass
        elif isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)
            continue
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        else:
            continue

        # Callback for on_return: pass the answer back to the HTTP client.
        def respond(self, response, args):
            self.send(lc.cast_to(response, self.returned_type), args.return_address)

        a = self.create(lc.GetResponse, m, worker_spool)
        self.on_return(a, respond, return_address=self.return_address)


lc.bind(server)


def run_server(a):
    """lc.create(server) with our own argv, until SIGINT/SIGTERM.

    As in bench/net_bench.py: a SIGTERM is turned into a SIGINT, which
    lc.create of either library turns into a Stop for the server.
    """
    def on_term(signum, frame):
        os.kill(os.getpid(), signal.SIGINT)

    signal.signal(signal.SIGTERM, on_term)
    address = json.dumps({'host': '127.0.0.1', 'port': a.port})
    sys.argv = [sys.argv[0], f'--server-address={address}', f'--workers={a.workers}']
    lc.create(server)


# ---------------------------------------------------------------------------

DEFAULTS = {'start': (5, 1), 'library': (2000, 200)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('mode', choices=('start', 'library', 'server'))
    p.add_argument('--count', type=int, default=None,
                   help='start: timed starts (5); library: timed round trips (2000)')
    p.add_argument('--warmup', type=int, default=None,
                   help='start: untimed starts (1); library: untimed round trips (200)')
    p.add_argument('--window', type=int, default=1,
                   help='library: round trips in flight (1 = strictly sequential)')
    p.add_argument('--port', type=int, default=None, help='server: port on 127.0.0.1')
    p.add_argument('--workers', type=int, default=8, help='server: worker processes')
    p.add_argument('--label', default=None, help='name for this side (orig/ours)')
    p.add_argument('--timeout', type=float, default=None,
                   help='hard limit for the whole process, seconds (default 120; server 600)')
    a = p.parse_args(argv)
    if a.timeout is None:
        a.timeout = 600.0 if a.mode == 'server' else 120.0
    if a.mode in DEFAULTS:
        count, warmup = DEFAULTS[a.mode]
        a.count = count if a.count is None else a.count
        a.warmup = warmup if a.warmup is None else a.warmup
    if a.mode == 'server' and a.port is None:
        p.error('server needs --port')

    lib, lib_path = library_label()
    result = {'workload': a.mode, 'label': a.label, 'library': lib, 'module_path': lib_path,
              'python': platform.python_version()}
    printed = threading.Event()

    def emit(line):
        sys.stdout.write(json.dumps(line) + '\n')
        sys.stdout.flush()
        printed.set()

    def watchdog():
        if printed.wait(a.timeout):
            time.sleep(20.0)        # results are out; grace period for the exit
            sys.stderr.write(f'proc_bench: process did not exit after results; '
                             f'children left: {child_pids()}\n')
            sys.stderr.flush()
            os._exit(0)
        if a.mode != 'server':
            emit(dict(result, error=f'timeout after {a.timeout}s', child_pids=child_pids()))
        else:
            sys.stderr.write(f'proc_bench: server stopped by its {a.timeout}s watchdog\n')
            sys.stderr.flush()
        os._exit(3)

    threading.Thread(target=watchdog, name='bench-watchdog', daemon=True).start()

    if a.mode == 'server':
        run_server(a)
        return 0
    try:
        (run_start if a.mode == 'start' else run_library)(a, result)
    except Exception as e:
        emit(dict(result, error=f'{type(e).__name__}: {e}', child_pids=child_pids()))
        return 2
    emit(result)
    return 0


if __name__ == '__main__':
    sys.exit(main())
