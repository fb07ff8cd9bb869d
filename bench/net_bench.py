#!/usr/bin/env python3
"""Side-by-side network benchmark for layer-cake implementations.

ONE script that runs unchanged on the original library (PyPI
``seven-layer-cake``, imported as ``layer_cake``) and on the Twisted
re-implementation in this repository, using only the public API
(``import layer_cake as lc``). ``bench/net_run`` drives it; the HTTP load
itself comes from ``wrk``.

Modes
-----
server --port=N
    The tutorial HTTP server (bench/net_tutorial.py, a copy of
    doc/demos/threads/test_server_2.py: an ``lc.ObjectSpool`` of 8 thread
    workers behind ``lc.listen(..., http_server=[Xy])``) on 127.0.0.1:N,
    started with ``lc.create(server)`` as the tutorial does. It runs until
    SIGINT or SIGTERM (or ``--timeout`` seconds).
framed-server --port=N
    A framed-messaging server (``lc.listen`` without HTTP) on 127.0.0.1:N,
    started with ``lc.create``, that answers every ``Probe`` with a
    ``ProbeReply``. Runs until SIGINT/SIGTERM (or ``--timeout``).
framed-client --port=N [--count=5000] [--warmup=500]
    Connects once with ``lc.connect`` (retrying while the server is not up
    yet), then sends ``--warmup`` and then ``--count`` sequential
    ``Probe``/``ProbeReply`` round trips over that one connection: the next
    Probe is sent only after the previous reply has arrived. Prints ONE JSON
    line with ``per_second`` (timed pass only), the per-round-trip
    latency percentiles and the client process's CPU time (user + system,
    all threads) per timed round trip, or a line with ``error``.

Every process is bounded by a watchdog (``--timeout``).
"""

import argparse
import json
import os
import platform
import signal
import sys
import threading
import time

import layer_cake as lc

from net_tutorial import FramedServerMachine, Probe, ProbeReply, framed_server, server
from side import library_label

# Timestamps and figures recorded by the client actor (same process).
MARKS = {}


# ---------------------------------------------------------------------------
# The framed client: sequential request/reply over one connection.

def framed_client(self, port: int = 0, count: int = 5000, warmup: int = 500,
                  connect_seconds: float = 20.0):
    ipp = lc.HostPort('127.0.0.1', port)
    deadline = time.monotonic() + connect_seconds
    attempts = 0
    while True:
        attempts += 1
        lc.connect(self, ipp)
        m = self.input()
        if isinstance(m, lc.Connected):
            break
        if isinstance(m, lc.NotConnected) and time.monotonic() < deadline:
            time.sleep(0.05)
            continue
        MARKS['error'] = f'no connection after {attempts} attempt(s): {m}'
        return lc.Aborted()
    MARKS['connect_attempts'] = attempts
    remote = self.return_address

    bad = 0
    note = 'x' * 16
    # Warm-up (not timed).
    for i in range(warmup):
        self.send(Probe(i, note), remote)
        m = self.input()
        if not isinstance(m, ProbeReply) or m.seq != i:
            bad += 1
    # Timed pass: one Probe out, wait for its reply, repeat.
    lat = [0.0] * count
    clock = time.perf_counter
    c0 = os.times()
    t0 = clock()
    for i in range(count):
        s = clock()
        self.send(Probe(i, note), remote)
        m = self.input()
        lat[i] = clock() - s
        if not isinstance(m, ProbeReply) or m.seq != i:
            bad += 1
    t1 = clock()
    c1 = os.times()
    MARKS['t0'], MARKS['t1'], MARKS['lat'], MARKS['bad'] = t0, t1, lat, bad
    MARKS['cpu0'], MARKS['cpu1'] = c0, c1

    self.send(lc.Close(), remote)
    # Wait (bounded by the process watchdog) for the session to end.
    while True:
        m = self.input()
        if isinstance(m, (lc.Closed, lc.Faulted, lc.Stop)):
            break
    return lc.Ack()


lc.bind(framed_client)


class FramedClientMachine(lc.Point, lc.Stateless):
    """The same measurement as framed_client, as a machine (no thread of its own)."""

    def __init__(self, port: int = 0, count: int = 5000, warmup: int = 500,
                 connect_seconds: float = 20.0):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.server_port = port
        self.total = count
        self.warm = warmup
        self.deadline = time.monotonic() + connect_seconds
        self.attempts = 0
        self.remote = None
        self.seq = 0
        self.bad = 0
        self.sent_at = 0.0
        self.lat = [0.0] * count
        self.note = 'x' * 16


def FramedClientMachine_Start(self, message):
    self.attempts += 1
    lc.connect(self, lc.HostPort('127.0.0.1', self.server_port))


def FramedClientMachine_T1(self, message):
    FramedClientMachine_Start(self, message)


def FramedClientMachine_NotConnected(self, message):
    if time.monotonic() < self.deadline:
        self.start(lc.T1, 0.05)
        return
    MARKS['error'] = f'no connection after {self.attempts} attempt(s): {message}'
    self.complete(lc.Aborted())


def FramedClientMachine_Connected(self, message):
    MARKS['connect_attempts'] = self.attempts
    self.remote = self.return_address
    if self.warm == 0:
        MARKS['cpu0'] = os.times()
        MARKS['t0'] = time.perf_counter()
    self.sent_at = time.perf_counter()
    self.send(Probe(0, self.note), self.remote)


def FramedClientMachine_ProbeReply(self, message):
    now = time.perf_counter()
    i = self.seq
    if message.seq != i:
        self.bad += 1
    t = i - self.warm
    if t >= 0:
        self.lat[t] = now - self.sent_at
    i += 1
    self.seq = i
    if i == self.warm:
        MARKS['cpu0'] = os.times()
        MARKS['t0'] = now
    if i >= self.warm + self.total:
        MARKS['t1'] = now
        MARKS['cpu1'] = os.times()
        MARKS['lat'], MARKS['bad'] = self.lat, self.bad
        self.send(lc.Close(), self.remote)
        return
    self.sent_at = time.perf_counter()
    self.send(Probe(i, self.note), self.remote)


def FramedClientMachine_Closed(self, message):
    self.complete(lc.Ack())


def FramedClientMachine_Stop(self, message):
    self.complete(lc.Aborted())


lc.bind(FramedClientMachine, (lc.Start, lc.T1, lc.NotConnected, lc.Connected, ProbeReply,
                              lc.Closed, lc.Stop))


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, int(round(q / 100.0 * (len(sorted_values) - 1)))))
    return sorted_values[k]


def run_framed_client(a, result):
    with lc.channel() as ch:
        client = framed_client if a.actor == 'thread' else FramedClientMachine
        ch.create(client, port=a.port, count=a.count, warmup=a.warmup,
                  connect_seconds=min(20.0, a.timeout / 2))
        m = ch.input()
        while not isinstance(m, lc.Returned):
            m = ch.input()
    if 'error' in MARKS:
        raise RuntimeError(MARKS['error'])
    if 't1' not in MARKS:
        raise RuntimeError(f'client ended without figures: {m.message}')
    if MARKS['bad']:
        raise RuntimeError(f"{MARKS['bad']} replies were missing or out of order")
    seconds = MARKS['t1'] - MARKS['t0']
    lat = sorted(MARKS['lat'])
    c0, c1 = MARKS['cpu0'], MARKS['cpu1']
    cpu = (c1.user - c0.user) + (c1.system - c0.system)
    result.update(
        count=a.count,
        warmup=a.warmup,
        seconds=round(seconds, 6),
        per_second=round(a.count / seconds, 1) if seconds > 0 else None,
        p50_us=round(percentile(lat, 50) * 1e6, 1),
        p99_us=round(percentile(lat, 99) * 1e6, 1),
        max_us=round(lat[-1] * 1e6, 1),
        connect_attempts=MARKS.get('connect_attempts'),
        cpu_us_per_round_trip=round(cpu / a.count * 1e6, 1),
    )


# ---------------------------------------------------------------------------
# Servers: started the tutorial way, with lc.create.

def run_server(a, function, argv):
    """lc.create(function) with our own argv, until SIGINT/SIGTERM.

    lc.create parses sys.argv itself (``--name=value``, values in JSON) and
    turns SIGINT into a Stop for the created object on both libraries. A
    SIGTERM is turned into a SIGINT here so that either stops it the same
    way. A watchdog ends the process after --timeout seconds regardless.
    """
    def on_term(signum, frame):
        signal.raise_signal(signal.SIGINT) if hasattr(signal, 'raise_signal') \
            else os.kill(os.getpid(), signal.SIGINT)

    signal.signal(signal.SIGTERM, on_term)
    sys.argv = [sys.argv[0]] + argv
    lc.create(function)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('mode', choices=('server', 'framed-server', 'framed-client'))
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--count', type=int, default=5000, help='framed-client: timed round trips')
    p.add_argument('--warmup', type=int, default=500, help='framed-client: untimed round trips')
    p.add_argument('--actor', choices=('thread', 'machine'), default='thread',
                   help='framed-*: a function actor (own thread) or a Point+Stateless machine')
    p.add_argument('--label', default=None, help='name for this side (orig/ours)')
    p.add_argument('--timeout', type=float, default=None,
                   help='hard limit for the whole process, seconds '
                        '(default: 60 for the client, 600 for the servers)')
    a = p.parse_args(argv)
    if a.timeout is None:
        a.timeout = 60.0 if a.mode == 'framed-client' else 600.0

    lib, lib_path = library_label()
    result = {'mode': a.mode, 'actor': a.actor, 'label': a.label, 'library': lib, 'module_path': lib_path,
              'python': platform.python_version()}
    printed = threading.Event()

    def emit(line):
        sys.stdout.write(json.dumps(line) + '\n')
        sys.stdout.flush()
        printed.set()

    def watchdog():
        if printed.wait(a.timeout):
            time.sleep(15.0)        # results are out; grace period for the exit
            sys.stderr.write('net_bench: process did not exit after results\n')
            sys.stderr.flush()
            os._exit(0)
        if a.mode == 'framed-client':
            sys.stdout.write(json.dumps(dict(result, error=f'timeout after {a.timeout}s')) + '\n')
            sys.stdout.flush()
        else:
            sys.stderr.write(f'net_bench: {a.mode} stopped by its {a.timeout}s watchdog\n')
            sys.stderr.flush()
        os._exit(3)

    threading.Thread(target=watchdog, name='bench-watchdog', daemon=True).start()

    if a.mode == 'server':
        address = json.dumps({'host': '127.0.0.1', 'port': a.port})
        run_server(a, server, [f'--server-address={address}'])
        return 0
    if a.mode == 'framed-server':
        function = framed_server if a.actor == 'thread' else FramedServerMachine
        run_server(a, function, [f'--port={a.port}'])
        return 0

    try:
        run_framed_client(a, result)
    except Exception as e:
        emit(dict(result, error=f'{type(e).__name__}: {e}'))
        return 2
    emit(result)
    return 0


if __name__ == '__main__':
    sys.exit(main())
