"""The program behind every process of bench/pubsub_bench.py, on both libraries.

    python3 bench/pubsub_actor.py --mode=<mode> [--name=...] [--search=...]
        [--scope=HOST] [--out=<file>] [--clock=wall|perf] [--limit=<s>] ...

A stand-alone process, or a role of a composite process (``layer-cake add
pubsub_actor.py <role> --mode=...``). ``lc.create(actor)`` parses the flags
(the ``--name=value`` form both libraries accept). Everything the process
has to tell the driver goes as lines appended to ``--out`` (flushed at
once); each line is a word followed by its values. Times are taken by the
actors themselves: ``--clock=wall`` is ``time.time()`` (comparable across
processes), ``--clock=perf`` is ``time.perf_counter()`` (one process only).
``--limit`` starts a watchdog that writes ``watchdog`` and ends the process
with status 3 after that many seconds.

Modes:

* ``sub``: subscribe to ``--search`` at ``--scope``; a line ``available
  <name> <scope> <t>`` per Available and ``dropped <name> <scope> <t>`` per
  Dropped. With ``--reply=1`` it sends ``Stamp(name, t)`` to the publisher
  of each Available.
* ``pub``: publish the names of ``--name`` (comma-separated; or ``--count``
  names ``<name><first+i, 5 digits>``) at ``--scope``; ``published <ok>
  <refused> <t> <pid>`` once every answer is back. With ``--go-file`` it
  waits for that file to exist before publishing. ``{pid}`` in ``--name``
  stands for the process id (roles started with ``--role-count``).
* ``scale-sub``: after ``--go-file`` exists, subscribe to ``--count``
  searches ``<name><first+j, 4 digits>[0-9]`` (ten names each); ``subscribed
  <n> <refused> <t>`` when every answer is back, ``progress <k> <t>`` every
  100 distinct names Available, and ``matched <k> <t>`` at ``--expect``;
  on Stop, ``final <names Available> <Dropped> <missing> <first ten
  missing>``.
* ``cycle``: ``--warmup`` + ``--cycles`` rounds of: t0, publish
  ``<name><i>``, wait for ``Published`` and for the subscriber's ``Stamp``
  (latency = stamp - t0), clear the publication, wait for
  ``PublishedCleared``, sleep ``--pause``. A line ``cycle <i> <latency ms>
  <Published ms>`` per round, then ``done``. Waits for ``--go-file`` first.
* ``process``: a ``sub`` object (``--reply=1``) and a ``cycle`` in one
  process, both at ``--scope`` with ``--clock``; the process ends after
  ``done``.

Public API only (``import layer_cake as lc``). No per-library branches.
"""

import json
import os
import sys
import threading
import time

import layer_cake as lc
from pubsub_api import Stamp

_lock = threading.Lock()
_files = {}


def write(out, *fields):
    line = ' '.join(str(f) for f in fields) + '\n'
    with _lock:
        if not out:
            sys.stderr.write(line)
            sys.stderr.flush()
            return
        f = _files.get(out)
        if f is None:
            f = _files[out] = open(out, 'a')
        f.write(line)
        f.flush()


def watchdog(limit, out):
    def run():
        time.sleep(limit)
        write(out, 'watchdog', limit)
        os._exit(3)
    threading.Thread(target=run, daemon=True).start()


def wait_go(go_file):
    while go_file and not os.path.exists(go_file):
        time.sleep(0.005)


def scope_name(scope):
    return getattr(scope, 'name', scope)


def run_sub(self, search, scope, out, clock, reply):
    lc.subscribe(self, search, scope=lc.ScopeOfDirectory[scope])
    m = self.input()
    if not isinstance(m, lc.Subscribed):
        write(out, 'error', 'subscribe', type(m).__name__)
        return m
    write(out, 'subscribed', repr(clock()))
    while True:
        m = self.input()
        if isinstance(m, lc.Available):
            t = clock()
            write(out, 'available', m.name, scope_name(m.scope), repr(t))
            if reply:
                self.send(Stamp(m.name, t), m.publisher_address)
        elif isinstance(m, lc.Dropped):
            t = clock()
            write(out, 'dropped', m.name, scope_name(m.scope), repr(t))
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        elif isinstance(m, lc.Faulted):
            write(out, 'error', 'faulted', str(m).replace('\n', ' '))
            return m


def run_pub(self, names, scope, out, clock, go_file):
    wait_go(go_file)
    for n in names:
        lc.publish(self, n, scope=lc.ScopeOfDirectory[scope])
    ok = refused = 0
    while ok + refused < len(names):
        m = self.input()
        if isinstance(m, lc.Published):
            ok += 1
        elif isinstance(m, lc.NotPublished):
            refused += 1
            if refused <= 3:
                write(out, 'error', 'not-published', m.name, str(m).replace('\n', ' '))
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
    write(out, 'published', ok, refused, repr(clock()), os.getpid())
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()


def run_scale_sub(self, prefix, first, count, expect, scope, out, clock, go_file):
    wait_go(go_file)
    for j in range(first, first + count):
        lc.subscribe(self, '%s%04d[0-9]' % (prefix, j), scope=lc.ScopeOfDirectory[scope])
    answered = refused = 0
    seen = set()
    dropped = 0
    done = False
    while True:
        m = self.input()
        if isinstance(m, lc.Available):
            if m.name not in seen:
                seen.add(m.name)
                k = len(seen)
                if k % 100 == 0:
                    write(out, 'progress', k, repr(clock()))
                if k == expect and not done:
                    done = True
                    write(out, 'matched', k, repr(clock()))
        elif isinstance(m, lc.Subscribed) or isinstance(m, lc.NotSubscribed):
            answered += 1
            if isinstance(m, lc.NotSubscribed):
                refused += 1
            if answered == count:
                write(out, 'subscribed', answered - refused, refused, repr(clock()))
        elif isinstance(m, lc.Dropped):
            dropped += 1
            if dropped <= 3:
                write(out, 'dropped', m.name, scope_name(m.scope), repr(clock()))
        elif isinstance(m, lc.Stop):
            missing = ['%s%04d%d' % (prefix, j, i) for j in range(first, first + count)
                       for i in range(10)]
            missing = [n for n in missing if n not in seen]
            write(out, 'final', len(seen), dropped, len(missing), ','.join(missing[:10]) or '-')
            return lc.Aborted()


def run_cycle(self, prefix, scope, out, clock, warmup, cycles, pause, go_file):
    wait_go(go_file)
    write(out, 'go', repr(clock()))
    latencies, published_ms = [], []
    for i in range(warmup + cycles):
        name = '%s%d' % (prefix, i)
        t0 = clock()
        lc.publish(self, name, scope=lc.ScopeOfDirectory[scope])
        published = stamp = None
        t_published = None
        while published is None or stamp is None:
            m = self.input()
            if isinstance(m, lc.Published) and m.name == name:
                published, t_published = m, clock()
            elif isinstance(m, lc.NotPublished):
                write(out, 'error', 'not-published', name, str(m).replace('\n', ' '))
                return m
            elif isinstance(m, Stamp) and m.name == name:
                stamp = m
            elif isinstance(m, lc.Stop):
                return lc.Aborted()
        latency = (stamp.t - t0) * 1e3
        to_published = (t_published - t0) * 1e3
        if i >= warmup:
            latencies.append(latency)
            published_ms.append(to_published)
        write(out, 'cycle', i, '%.4f' % latency, '%.4f' % to_published)
        lc.clear_published(self, published)
        while True:
            m = self.input()
            if isinstance(m, lc.PublishedCleared):
                break
            if isinstance(m, lc.Stop):
                return lc.Aborted()
        time.sleep(pause)
    write(out, 'done', json.dumps({'latency_ms': latencies, 'published_ms': published_ms}))
    return None


def actor(self, mode: str = None, name: str = None, search: str = None, scope: str = 'HOST',
          out: str = None, clock: str = 'wall', reply: int = 0, first: int = 0, count: int = 0,
          expect: int = 0, warmup: int = 2, cycles: int = 20, pause: float = 0.05,
          go_file: str = None, limit: float = 0.0):
    if limit:
        watchdog(limit, out)
    tick = time.perf_counter if clock == 'perf' else time.time
    write(out, 'pid', os.getpid(), mode)
    if mode == 'sub':
        return run_sub(self, search, scope, out, tick, reply)
    if name and '{pid}' in name:
        name = name.replace('{pid}', str(os.getpid()))
    if mode == 'pub':
        if count:
            names = ['%s%05d' % (name, i) for i in range(first, first + count)]
        else:
            names = name.split(',')
        return run_pub(self, names, scope, out, tick, go_file)
    if mode == 'scale-sub':
        return run_scale_sub(self, name, first, count, expect, scope, out, tick, go_file)
    if mode == 'cycle':
        run_cycle(self, name, scope, out, tick, warmup, cycles, pause, go_file)
        while True:
            m = self.input()
            if isinstance(m, lc.Stop):
                return lc.Aborted()
    if mode == 'process':
        s = self.create(actor, mode='sub', search=search, scope=scope, out=out, clock=clock,
                        reply=1)
        r = run_cycle(self, name, scope, out, tick, warmup, cycles, pause, go_file)
        self.send(lc.Stop(), s)
        while not isinstance(self.input(), lc.Returned):
            pass
        return r
    write(out, 'error', 'unknown mode', mode)
    return None


lc.bind(actor)

if __name__ == '__main__':
    lc.create(actor)
