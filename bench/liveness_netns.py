"""Link down -> Dropped across hosts, on the network-namespace test bed.

    sudo python3 bench/liveness_netns.py [--reps 5] [--heartbeat SECONDS]

Each repetition makes a fresh test bed of layer_cake/test/test_lan_netns.py
(namespaces ``lct-<pid>-<hex>-*``: a bridge, lan-cake at 10.0.0.195, hosts A
and B), starts lan-cake, a host-cake in A and B, a subscriber in A
(``lct:lan`` at LAN scope) and a publisher of that name in B, waits until
A's session with B is up, then a random 1.5 to 1.5 + 2 periods more (so
the cut falls anywhere in the heartbeat's cycle), then
pulls B's cable (its port on the bridge goes down, inside the bed's own
bridge namespace) and measures, from just before that command:

* link down -> Dropped at A's subscriber (the session heartbeat), and
* link down -> lan-cake's "Lost child HOST host-cake" (the link heartbeat),

each as the moment this script read the line from the process's output.
Printed per repetition and as median [min-max].  ``--heartbeat`` sets
``LC_HEARTBEAT`` for every process (default: not set, the standard 2 s).

Root only.  Nothing is configured in the machine's own namespace and no
process there connects anywhere; every process and namespace made is
removed by PID / by name at the end of each repetition, also on failure.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from layer_cake.directory.liveness import HEARTBEAT_VARIABLE, heartbeat  # noqa: E402
from layer_cake.test import test_directory_e2e as E  # noqa: E402
from layer_cake.test import test_lan_netns as N  # noqa: E402


class Timed(E.Program):
    """A Program that notes when each line was read."""

    def __init__(self, *args):
        self.read_at = []
        E.Program.__init__(self, *args)

    def _line(self, raw):
        self.read_at.append(time.monotonic())
        E.Program._line(self, raw)


class Shim(object):
    """What TestBed and Program ask of a test case."""

    def __init__(self):
        self.cleanups = []
        self.base = tempfile.mkdtemp(prefix='lct-bench-')
        self.count = 0

    def mktemp(self):
        self.count += 1
        return os.path.join(self.base, str(self.count))

    def addCleanup(self, f, *args):
        self.cleanups.append((f, args))

    def clean(self):
        while self.cleanups:
            f, args = self.cleanups.pop()
            try:
                f(*args)
            except Exception as e:
                print('cleanup: %s' % (e,), file=sys.stderr)


def line_time(program, index):
    with program.changed:
        return program.read_at[index]


def event_time(program, event):
    """When the line of ``event`` (a dict from program.events) was read."""
    with program.changed:
        wanted = event
        for i, line in enumerate(program.lines):
            if line.startswith('E2E ') and E.json.loads(line[4:]) == wanted:
                return program.read_at[i]
    raise AssertionError('event line not found')


def one(deadline):
    shim = Shim()
    try:
        bed = N.TestBed(shim)
        shim.addCleanup(bed.remove)
        bed.make_bridge()
        bed.add_host('L', N.LAN_IP)
        for name in ('A', 'B'):
            bed.add_host(name, N.HOSTS[name])

        def start(host, name, *argv):
            return Timed(shim, bed.argv(host, *argv), name)
        lan = start('L', 'lan-cake', *N.python(os.path.join(ROOT, 'bin', 'lan-cake'),
                                               '--debug-level=TRACE'))
        lan.wait_line(r'LAN directory at', seconds=deadline)
        for h in ('A', 'B'):
            start(h, 'host-cake-' + h, *N.python(os.path.join(ROOT, 'bin', 'host-cake'),
                                                 '--debug-level=TRACE')
                  ).wait_line(r'HOST directory at', seconds=deadline)
        sub = start('A', 'sub', *N.python(E.PUBSUB, '--tag=sub', '--subscribe=lct:lan@LAN'))
        pub = start('B', 'pub', *N.python(E.PUBSUB, '--tag=pub', '--publish=lct:lan@LAN'))
        sub.wait_event(event='available', seconds=deadline)
        pub.wait_event(event='delivered', seconds=deadline)
        time.sleep(1.5 + random.uniform(0.0, 2.0 * heartbeat()))
        mark = len(sub.events)
        lan_mark, _ = lan.mark()
        down = time.monotonic()
        bed.link_down('B')
        _, dropped = sub.wait_event(mark, event='dropped', seconds=deadline)
        i, _ = lan.wait_line(r'Lost child HOST host-cake', lan_mark, seconds=deadline)
        return event_time(sub, dropped) - down, line_time(lan, i) - down
    finally:
        shim.clean()


def summary(values):
    return '%.2f s [%.2f-%.2f]' % (statistics.median(values), min(values), max(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--heartbeat', type=float, default=None)
    parser.add_argument('--deadline', type=float, default=60.0)
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit('needs root (network namespaces)')
    if options.heartbeat is not None:
        os.environ[HEARTBEAT_VARIABLE] = str(options.heartbeat)
    dropped, lost = [], []
    for rep in range(options.reps):
        d, l = one(options.deadline)
        dropped.append(d)
        lost.append(l)
        print('rep %d: link down -> Dropped %.2f s; -> lan-cake lost child %.2f s' % (
            rep + 1, d, l), flush=True)
    print('heartbeat %s s: link down -> Dropped %s; link down -> lan-cake lost child %s' % (
        os.environ.get(HEARTBEAT_VARIABLE, 'standard'), summary(dropped), summary(lost)))


if __name__ == '__main__':
    threading.current_thread().name = 'bench'
    main()
