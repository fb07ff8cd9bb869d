#!/usr/bin/env python3
"""Side-by-side runtime benchmark for layer-cake implementations.

ONE script that runs unchanged on the original library (PyPI
``seven-layer-cake``, imported as ``layer_cake``) and on the Twisted
re-implementation in this repository. It uses only the public API
(``import layer_cake as lc``).

Each invocation runs ONE workload: a warm-up pass (not timed) and then one
timed pass in the same process, and prints ONE JSON line on stdout, e.g.

    {"workload": "machines", "label": "orig", "count": 50000,
     "seconds": 3.35, "per_second": 14933.1, ...}

or, on failure, a line with an "error" field (exit status 2, or 3 on timeout).
``bench/run`` calls it once per (side, workload, repetition).

Workloads (timed with time.perf_counter by the actors themselves)
------------------------------------------------------------------
machines
    Two ``lc.Point`` + ``lc.Stateless`` machines bound with dispatch tables.
    ``Sender`` streams ``count`` registered ``Tick`` messages to
    ``Receiver``; the receiver answers every ``batch`` messages with
    ``lc.Ack`` and the sender keeps at most ``window + batch`` messages
    unacknowledged. (Flow control is required: receive queues are bounded at
    ``lc.PEAK_BEFORE_DROPPED`` = 16384 and overflow is dropped silently.)
    Timed from the sender's first send to the receiver's completion.
machines-quiet
    The same, with the machine classes bound ``lifecycle=False,
    message_trail=False, execution_trace=False``: the dispatch path without
    the cost of producing log records.
threads
    The same stream between two function actors (each its own thread),
    ``stream_sender`` / ``stream_receiver``, using ``self.send`` and
    ``self.input()``.
spool
    Request/response round trips through an ``lc.ObjectSpool`` of 8
    ``spool_worker`` function actors (each replies with
    ``self.send(Response, self.return_address)``). A ``spool_client``
    function actor keeps ``in_flight`` (16) requests outstanding, each
    through an ``lc.GetResponse`` child, with ``self.on_return`` callbacks
    run via ``self.debrief()`` / ``lc.OnReturned``. Timed from the first
    request to the last response. The spool keeps its defaults
    (``responsiveness=5.0``: the spool gives each request a 25 s timeout).
spool-untimed
    The same with ``responsiveness=None``: no per-request timeout timer.

Every process is bounded: a watchdog thread ends it (exit status 3, JSON
error line) after ``--timeout`` seconds.
"""

import argparse
import json
import os
import platform
import sys
import threading
import time

import layer_cake as lc

from side import library_label

# Timestamps recorded by the actors themselves (same process, so one clock).
MARKS = {}


def mark(name):
    MARKS[name] = time.perf_counter()


# ---------------------------------------------------------------------------
# Messages.

class Tick(object):
    """One item of a stream."""

    def __init__(self, seq: int = 0):
        self.seq = seq


class Request(object):
    """A request handled by a spool worker."""

    def __init__(self, seq: int = 0):
        self.seq = seq


class Response(object):
    """A spool worker's answer to a Request."""

    def __init__(self, seq: int = 0):
        self.seq = seq


lc.bind(Tick)
lc.bind(Request)
lc.bind(Response)


# ---------------------------------------------------------------------------
# (a) machines: Point + Stateless, dispatch tables, <Class>_<Tag> handlers.

class Receiver(lc.Point, lc.Stateless):
    def __init__(self, count: int = 0, batch: int = 500):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.count = count
        self.batch = batch
        self.tally = 0   # NB: not 'received' - that is a Point method upstream


def Receiver_Start(self, message):
    pass


def Receiver_Tick(self, message):
    self.tally += 1
    r = self.tally
    if r % self.batch == 0 or r == self.count:
        self.send(lc.Ack(), self.return_address)
    if r >= self.count:
        mark('t1')
        self.complete(lc.Ack())


def Receiver_Stop(self, message):
    self.complete(lc.Aborted())


lc.bind(Receiver, (lc.Start, Tick, lc.Stop))


class Sender(lc.Point, lc.Stateless):
    def __init__(self, receiver, count: int = 0, window: int = 1000, batch: int = 500):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.receiver = receiver
        self.count = count
        self.window = window
        self.batch = batch
        self.sent = 0
        self.acks = 0
        self.expected_acks = (count + batch - 1) // batch


def send_ticks(self, n):
    n = min(n, self.count - self.sent)
    receiver = self.receiver
    for _ in range(n):
        self.sent += 1
        self.send(Tick(self.sent), receiver)


def Sender_Start(self, message):
    mark('t0')
    send_ticks(self, self.window)


def Sender_Ack(self, message):
    self.acks += 1
    if self.acks >= self.expected_acks:
        self.complete(lc.Ack())
    send_ticks(self, self.batch)


def Sender_Stop(self, message):
    self.complete(lc.Aborted())


lc.bind(Sender, (lc.Start, lc.Ack, lc.Stop))


# The same pair with the runtime's per-object logging switched off
# (lifecycle/message_trail/execution_trace), to separate dispatch cost from
# the cost of generating log records that go nowhere.
class QuietReceiver(Receiver):
    pass


class QuietSender(Sender):
    pass


QuietReceiver_Start = Receiver_Start
QuietReceiver_Tick = Receiver_Tick
QuietReceiver_Stop = Receiver_Stop
QuietSender_Start = Sender_Start
QuietSender_Ack = Sender_Ack
QuietSender_Stop = Sender_Stop

QUIET = dict(lifecycle=False, message_trail=False, execution_trace=False)
lc.bind(QuietReceiver, (lc.Start, Tick, lc.Stop), **QUIET)
lc.bind(QuietSender, (lc.Start, lc.Ack, lc.Stop), **QUIET)


def run_machines(ch, count, window, batch, quiet=False):
    receiver_type, sender_type = (QuietReceiver, QuietSender) if quiet else (Receiver, Sender)
    r = ch.create(receiver_type, count=count, batch=batch)
    ch.create(sender_type, r, count=count, window=window, batch=batch)
    wait_returned(ch, 2)
    return count


# ---------------------------------------------------------------------------
# (b) threads: two function actors, self.send / self.input().

def stream_receiver(self, count: int = 0, batch: int = 500):
    received = 0
    while received < count:
        m = self.input()
        if isinstance(m, Tick):
            received += 1
            if received % batch == 0 or received == count:
                self.send(lc.Ack(), self.return_address)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
    mark('t1')
    return lc.Ack()


def stream_sender(self, receiver, count: int = 0, window: int = 1000, batch: int = 500):
    expected_acks = (count + batch - 1) // batch
    sent = 0
    acks = 0
    mark('t0')
    n = min(window, count)
    for _ in range(n):
        sent += 1
        self.send(Tick(sent), receiver)
    while acks < expected_acks:
        m = self.input()
        if isinstance(m, lc.Ack):
            acks += 1
            n = min(batch, count - sent)
            for _ in range(n):
                sent += 1
                self.send(Tick(sent), receiver)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
    return lc.Ack()


lc.bind(stream_receiver)
lc.bind(stream_sender)


def run_threads(ch, count, window, batch):
    r = ch.create(stream_receiver, count=count, batch=batch)
    ch.create(stream_sender, r, count=count, window=window, batch=batch)
    wait_returned(ch, 2)
    return count


# ---------------------------------------------------------------------------
# (c) spool: ObjectSpool of thread workers, GetResponse children, callbacks.

def spool_worker(self):
    while True:
        m = self.input()
        if isinstance(m, Request):
            self.send(Response(m.seq), self.return_address)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


def spool_client(self, spool, count: int = 0, in_flight: int = 16):
    state = {'issued': 0, 'answered': 0, 'bad': 0}

    def issue():
        state['issued'] += 1
        a = self.create(lc.GetResponse, Request(state['issued']), spool)
        self.on_return(a, answered)

    def answered(self, value, args):
        state['answered'] += 1
        if not isinstance(value, Response):
            state['bad'] += 1
        if state['issued'] < count:
            issue()

    mark('t0')
    for _ in range(min(in_flight, count)):
        issue()
    while state['answered'] < count:
        m = self.input()
        if isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
    mark('t1')
    MARKS['bad'] = state['bad']
    return lc.Ack()


lc.bind(spool_worker)
lc.bind(spool_client)


def run_spool(ch, count, spool, in_flight):
    ch.create(spool_client, spool, count=count, in_flight=in_flight)
    wait_returned(ch, 1)
    bad = MARKS.pop('bad', 0)
    if bad:
        raise RuntimeError(f'{bad} of {count} spool responses were not Response')
    return count


# ---------------------------------------------------------------------------
# Driver.

def wait_returned(ch, n, faults_ok=False):
    """Wait on the channel for n Returned messages (children ending)."""
    for _ in range(n):
        m = ch.input()
        while not isinstance(m, lc.Returned):
            m = ch.input()
        v = m.message
        if isinstance(v, tuple):        # (value, portable) for cast values
            v = v[0]
        if isinstance(v, lc.Faulted) and not faults_ok:
            raise RuntimeError(f'child ended with a fault: {v}')


DEFAULTS = {
    # workload: (count, warm-up count)
    'machines': (50000, 5000),
    'machines-quiet': (100000, 10000),
    'threads': (50000, 5000),
    'spool': (5000, 500),
    'spool-untimed': (5000, 500),
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('workload', choices=sorted(DEFAULTS))
    p.add_argument('--count', type=int, default=None)
    p.add_argument('--warmup', type=int, default=None)
    p.add_argument('--scale', type=float, default=1.0,
                   help='multiply the default count and warm-up (quick smoke runs)')
    p.add_argument('--window', type=int, default=1000,
                   help='stream workloads: initial unacknowledged messages')
    p.add_argument('--batch', type=int, default=500,
                   help='stream workloads: messages per Ack')
    p.add_argument('--in-flight', type=int, default=16,
                   help='spool workload: outstanding requests')
    p.add_argument('--workers', type=int, default=8,
                   help='spool workload: object_count of the spool')
    p.add_argument('--responsiveness', default='default',
                   help="spool workload: 'default' (leave the spool's default), 'none', or seconds")
    p.add_argument('--label', default=None, help='name for this side (orig/ours)')
    p.add_argument('--timeout', type=float, default=60.0,
                   help='hard limit for the whole process, seconds')
    a = p.parse_args(argv)

    if a.workload == 'spool-untimed' and a.responsiveness == 'default':
        a.responsiveness = 'none'
    count, warmup = DEFAULTS[a.workload]
    count = max(1, int(count * a.scale))
    warmup = int(warmup * a.scale)
    if a.count is not None:
        count = a.count
    if a.warmup is not None:
        warmup = a.warmup

    lib, lib_path = library_label()
    result = {
        'workload': a.workload,
        'label': a.label,
        'library': lib,
        'module_path': lib_path,
        'python': platform.python_version(),
        'count': count,
    }
    printed = threading.Event()

    def watchdog():
        if printed.wait(a.timeout):
            # Results are out; give the runtime's exit a grace period.
            time.sleep(15.0)
            sys.stderr.write('runtime_bench: process did not exit after results\n')
            sys.stderr.flush()
            os._exit(0)
        err = dict(result, error=f'timeout after {a.timeout}s')
        sys.stdout.write(json.dumps(err) + '\n')
        sys.stdout.flush()
        os._exit(3)

    threading.Thread(target=watchdog, name='bench-watchdog', daemon=True).start()

    def emit(line):
        sys.stdout.write(json.dumps(line) + '\n')
        sys.stdout.flush()
        printed.set()

    try:
        figures = run(a, count, warmup)
    except Exception as e:
        emit(dict(result, error=f'{type(e).__name__}: {e}'))
        return 2
    result.update(figures)
    emit(result)
    return 0


def run(a, count, warmup):
    """Start the runtime, warm up, time one pass. Return the figures."""
    t_start = time.perf_counter()
    with lc.channel() as ch:
        t_runtime = time.perf_counter()
        spool = None
        if a.workload.startswith('spool'):
            kw = {}
            if a.responsiveness != 'default':
                kw['responsiveness'] = None if a.responsiveness == 'none' else float(a.responsiveness)
            spool = ch.create(lc.ObjectSpool, spool_worker, object_count=a.workers, **kw)

        def one_pass(n):
            MARKS.clear()
            t_outer0 = time.perf_counter()
            if a.workload == 'machines':
                run_machines(ch, n, a.window, a.batch)
            elif a.workload == 'machines-quiet':
                run_machines(ch, n, a.window, a.batch, quiet=True)
            elif a.workload == 'threads':
                run_threads(ch, n, a.window, a.batch)
            else:
                run_spool(ch, n, spool, a.in_flight)
            t_outer1 = time.perf_counter()
            return MARKS['t1'] - MARKS['t0'], t_outer1 - t_outer0

        if warmup > 0:
            one_pass(warmup)
        seconds, outer = one_pass(count)

        if spool is not None:
            # Workers block in input() forever; stop the spool (which stops them).
            ch.send(lc.Stop(), spool)
            wait_returned(ch, 1, faults_ok=True)

    figures = dict(
        seconds=round(seconds, 6),
        per_second=round(count / seconds, 1) if seconds > 0 else None,
        outer_seconds=round(outer, 6),
        startup_seconds=round(t_runtime - t_start, 6),
    )
    if spool is not None:
        figures['responsiveness'] = a.responsiveness
    return figures


if __name__ == '__main__':
    sys.exit(main())
