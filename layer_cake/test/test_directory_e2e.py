"""Publish/subscribe end to end: real host-cake, group-cake and application
processes on 127.0.0.1 (network.md §7.3, §8.4-§8.6; checklist items 28-36).

The applications are ``programs/pubsub.py``: each publishes and subscribes
what its arguments say and writes one ``E2E {json}`` line per event on
stderr (a role's stderr is its group-cake's).  Every host-cake runs on a
fresh port and every process and group is pointed at the test's own
host-cake (or at a port nobody listens on), never at the machine's
host-cake.  Where a test must act in the middle of a scenario (clear a
publication, count connections) this test process takes part with its own
runtime.  Tests wait for events with generous deadlines and never for a
fixed time; every process is killed by PID in the cleanups.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

from twisted.trial import unittest

import layer_cake as lc
from layer_cake.directory import rendezvous, service
from layer_cake.directory.listing import RouteOffer
from layer_cake.directory.service import process_directory
from layer_cake.directory.tier import Tier
from layer_cake.runtime import engine
from layer_cake.test.support import RuntimeTestCase, listen_port
from layer_cake.test.test_process import alive

S = lc.ScopeOfDirectory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PUBSUB = os.path.join(ROOT, 'layer_cake', 'test', 'programs', 'pubsub.py')

# Generous: every process imports Twisted on a shared 2-core machine.
DEADLINE = 90.0

STARTED = re.compile(r'Started "([^"]+)" \((\d+)\)')
NODE = re.compile(r'^((?:\+   )*)\[([A-Z]+)\] (\S+) \(([0-9a-f]{8})\)$')
PUBLISHED = re.compile(r'^((?:\+   )*)# "([^"]+)" \(([0-9a-f]{8})\)')
INDENT = '+   '


def fresh_port():
    """A loopback port nobody listens on, for a server started later."""
    return listen_port()


def address_text(port):
    return json.dumps({'host': '127.0.0.1', 'port': port})


def environment():
    env = dict(os.environ)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    env.pop('LC_PARENT_PIPES', None)
    return env


def wait_until(condition, what, seconds=DEADLINE):
    """Poll ``condition()`` until it is true (fails the test after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError('no %s within %s s' % (what, seconds))
        time.sleep(0.05)


def matches(event, fields):
    for key, wanted in fields.items():
        value = event.get(key)
        if callable(wanted):
            if not wanted(value):
                return False
        elif value != wanted:
            return False
    return True


class Program(object):
    """A process run by a test: its output (stdout and stderr) read line by line, the
    ``E2E`` events parsed, role PIDs noted from group-cake's log; killed by PID at the
    end, with the roles it started."""

    def __init__(self, test, argv, name):
        self.name = name
        folder = os.path.abspath(test.mktemp())
        os.makedirs(folder)
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, env=environment(),
                                        cwd=folder)
        self.pid = self.process.pid
        self.lines = []
        self.events = []
        self.roles = []             # (role, pid) in launch order
        self.closed = False
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        test.addCleanup(self.kill_all)

    def _read(self):
        try:
            for raw in self.process.stdout:
                self._line(raw)
        except (ValueError, OSError):
            pass            # the stream was closed by the cleanup while being read
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def _line(self, raw):
        line = raw.decode('utf-8', 'replace').rstrip('\n')
        with self.changed:
            self.lines.append(line)
            if line.startswith('E2E '):
                try:
                    self.events.append(json.loads(line[4:]))
                except ValueError:
                    pass
            m = STARTED.search(line)
            if m:
                self.roles.append((m.group(1), int(m.group(2))))
            self.changed.notify_all()

    def _wait(self, find, what, seconds):
        deadline = time.monotonic() + seconds
        with self.changed:
            while True:
                found = find()
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    why = 'ended' if self.closed else 'nothing within %s s' % (seconds,)
                    raise AssertionError('%s: no %s (%s); last lines:\n%s' % (
                        self.name, what, why, '\n'.join(self.lines[-15:])))
                self.changed.wait(min(left, 1.0))

    def wait_event(self, start=0, seconds=DEADLINE, **fields):
        """(index, event) of the first event from ``start`` on with these fields (a
        callable tests its field)."""
        def find():
            for i in range(start, len(self.events)):
                if matches(self.events[i], fields):
                    return i, self.events[i]
            return None
        return self._wait(find, 'event %r' % (fields,), seconds)

    def wait_line(self, pattern, start=0, seconds=DEADLINE):
        """(index, match) of the first log line from ``start`` on matching ``pattern``."""
        compiled = re.compile(pattern)

        def find():
            for i in range(start, len(self.lines)):
                m = compiled.search(self.lines[i])
                if m:
                    return i, m
            return None
        return self._wait(find, 'line matching %r' % (pattern,), seconds)

    def select(self, start=0, **fields):
        with self.changed:
            return [e for e in self.events[start:] if matches(e, fields)]

    def mark(self):
        """(lines so far, events so far)."""
        with self.changed:
            return len(self.lines), len(self.events)

    def role_pid(self, role, start=0):
        """The PID of the ``start``-th (0: first) launch of ``role``."""
        def find():
            launched = [pid for name, pid in self.roles if name == role]
            return launched[start] if len(launched) > start else None
        return self._wait(find, 'launch %d of role %s' % (start + 1, role), DEADLINE)

    def kill(self, sig=signal.SIGKILL):
        if self.process.poll() is None:
            try:
                os.kill(self.pid, sig)
            except OSError:
                pass
        if sig == signal.SIGKILL:
            self.process.wait(DEADLINE)

    def kill_all(self):
        self.kill()
        for _, pid in self.roles:
            if alive(pid) and _is_ours(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        if self.process.stdout is not None:
            self.process.stdout.close()


def _is_ours(pid):
    """Is ``pid`` (still) one of our test programs, not a process that reused the PID?"""
    try:
        with open('/proc/%d/cmdline' % (pid,), 'rb') as f:
            return b'pubsub.py' in f.read()
    except OSError:
        return False


class Processes(object):
    """Starting host-cake, groups and stand-alone applications for a test."""

    def host_cake(self, port=None, name='host-cake', extra=()):
        """(host-cake on ``port`` or a fresh one, its port), once it accepts;
        ``extra`` flags follow."""
        port = port or fresh_port()
        host = Program(self, [sys.executable, os.path.join(ROOT, 'bin', 'host-cake'),
                              '--directory-at-host=%s' % (address_text(port),),
                              '--debug-level=TRACE'] + list(extra), name)
        host.wait_line(r'HOST directory at 127\.0\.0\.1:%d' % (port,))
        return host, port

    def network(self, port, until, what, *flags):
        """The first ``layer-cake network`` listing (asking the host-cake on ``port``)
        whose tree() satisfies ``until``; polled with a deadline."""
        argv = [sys.executable, '-m', 'layer_cake.cli.main', 'network',
                '--connect-to-directory=%s' % (address_text(port),)] + list(flags)
        return network_until(self, argv, until, what)[0]

    def application(self, tag, directory_port, publish=None, subscribe=None, ping=None,
                    extra=()):
        """pubsub.py as a stand-alone process whose parent is the directory on that port
        (``extra`` flags follow)."""
        argv = [sys.executable, PUBSUB, '--tag=%s' % (tag,),
                '--connect-to-directory=%s' % (address_text(directory_port),)]
        argv += settings(publish, subscribe, ping) + list(extra)
        return Program(self, argv, tag)

    def group(self, name, host_port, roles, retry=None, extra=()):
        """group-cake running ``roles`` ({role: dict(publish=, subscribe=, ping=)}, tagged
        with their role names) under the host-cake on ``host_port``."""
        home = os.path.abspath(self.mktemp())
        for folder in ('script', 'resource', 'role', 'departures', 'arrivals'):
            os.makedirs(os.path.join(home, folder))
        making = []
        for role, given in roles.items():
            argv = [sys.executable, PUBSUB, '--create-role', '--home-path=%s' % (home,),
                    '--role-name=%s' % (role,), '--tag=%s' % (role,)] + settings(**given)
            making.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL,
                                           stderr=subprocess.PIPE, env=environment(),
                                           cwd=home))
        for p in making:
            _, err = p.communicate(timeout=DEADLINE)
            self.assertEqual(p.returncode, 0, err)
        argv = [sys.executable, '-m', 'layer_cake.supervisor.group_cake',
                '--home-path=%s' % (home,), '--debug-level=CONSOLE',
                '--directory-at-host=%s' % (address_text(host_port),)]
        if retry is not None:
            argv.append('--retry={"regular_steps": %s}' % (retry,))
        return Program(self, argv + list(extra), name)


def network_until(test, argv, until, what):
    """(tree(), text) of the first listing printed by ``argv`` (a ``layer-cake
    network`` command) whose tree satisfies ``until``; polled with a deadline."""
    folder = os.path.abspath(test.mktemp())
    os.makedirs(folder)
    deadline = time.monotonic() + DEADLINE
    while True:
        done = subprocess.run(argv, cwd=folder, env=environment(), capture_output=True,
                              text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
        test.assertEqual(done.returncode, 0, done.stderr)
        nodes = tree(done.stdout)
        if until(nodes):
            return nodes, done.stdout
        if time.monotonic() > deadline:
            raise AssertionError('no listing with %s within %s s; last:\n%s' % (
                what, DEADLINE, done.stdout))
        time.sleep(0.5)


def tree(text):
    """The nodes of a ``layer-cake network --list-published`` listing, in order, as
    [depth, scope, executable, id, [published names]]."""
    found = []
    for line in text.splitlines():
        m = NODE.match(line)
        if m:
            found.append([len(m.group(1)) // len(INDENT), m.group(2), m.group(3), m.group(4),
                          []])
            continue
        m = PUBLISHED.match(line)
        if m and found and len(m.group(1)) // len(INDENT) == found[-1][0] + 1:
            found[-1][4].append(m.group(2))
    return found


def holders(nodes, name):
    """(depth, scope, executable) of each node listing ``name`` as published."""
    return [tuple(n[:3]) for n in nodes if name in n[4]]


def settings(publish=None, subscribe=None, ping=None):
    argv = []
    if publish:
        argv.append('--publish=%s' % (publish,))
    if subscribe:
        argv.append('--subscribe=%s' % (subscribe,))
    if ping:
        argv.append('--ping=%s' % (ping,))
    return argv


def sessions(events):
    """The available/dropped events of one subscriber, as (event, scope, published_id)."""
    return [(e['event'], e['scope'], e['published_id']) for e in events
            if e['event'] in ('available', 'dropped')]


class Applications(unittest.SynchronousTestCase, Processes):
    """Stand-alone applications under one host-cake."""

    def test_killed_subscriber(self):
        """Item 28: SIGKILL of the subscriber's process gives the publisher Dropped whose
        remote_address is the subscriber_address of its Delivered."""
        host, port = self.host_cake()
        publisher = self.application('p', port, publish='k28@HOST')
        subscriber = self.application('s', port, subscribe='k28@HOST')
        _, a = subscriber.wait_event(event='available', name='k28')
        _, d = publisher.wait_event(event='delivered', route_id=a['route_id'])
        self.assertEqual((a['scope'], a['same_return'], d['same_return']), ('HOST', True, True))
        self.assertEqual(d['subscribed_id'], a['subscribed_id'])
        subscriber.kill()
        _, dropped = publisher.wait_event(event='dropped', route_id=a['route_id'])
        self.assertEqual(dropped['address'], d['address'])

    def test_killed_publisher_then_a_new_one(self):
        """SIGKILL of a publisher gives each of its subscribers Dropped naming it; a new
        publisher of the same name (a new process, a new published_id and listener) is
        then Available to both, and nothing still refers to the old one."""
        host, port = self.host_cake()
        old = self.application('old', port, publish='k@HOST')
        _, published = old.wait_event(event='published')
        one = self.application('one', port, subscribe='k@HOST', ping=0.5)
        two = self.application('two', port, subscribe='k@HOST', ping=0.5)
        firsts = [p.wait_event(event='available', name='k')[1] for p in (one, two)]
        self.assertEqual(set(a['published_id'] for a in firsts), {published['published_id']})
        old.kill()
        for p, a in zip((one, two), firsts):
            _, d = p.wait_event(event='dropped', route_id=a['route_id'])
            self.assertEqual(d['address'], a['address'])
        new = self.application('new', port, publish='k@HOST')
        _, again = new.wait_event(event='published')
        self.assertNotEqual(again['published_id'], published['published_id'])
        for p in (one, two):
            _, a = p.wait_event(event='available', name='k', published_id=again['published_id'])
            mark = p.mark()[1]
            p.wait_event(start=mark, event='ack', published_id=again['published_id'])
            self.assertEqual(sessions(p.select(tag=a['tag'])),
                             [('available', 'HOST', published['published_id']),
                              ('dropped', 'HOST', published['published_id']),
                              ('available', 'HOST', again['published_id'])])
        self.assertEqual(len(new.select(event='delivered')), 2)

    def test_late_host_cake(self):
        """A publisher and a subscriber waiting for a host-cake that is not there yet
        connect when it starts because it announced itself (network.md §8.6, the
        rendezvous folder, one of the test's own), not because a retry came due: the
        subscriber logs the announcement before it connects, and gets Available."""
        where = os.path.abspath(self.mktemp())
        saved = os.environ[rendezvous.FOLDER_VARIABLE]
        os.environ[rendezvous.FOLDER_VARIABLE] = where
        self.addCleanup(os.environ.__setitem__, rendezvous.FOLDER_VARIABLE, saved)
        port = fresh_port()
        trace = ['--debug-level=TRACE']
        publisher = Program(self, [sys.executable, PUBSUB, '--tag=p', '--publish=late@HOST',
                                   '--connect-to-directory=%s' % (address_text(port),)] + trace,
                            'p')
        subscriber = Program(self, [sys.executable, PUBSUB, '--tag=s', '--subscribe=late@HOST',
                                    '--connect-to-directory=%s' % (address_text(port),)]
                             + trace, 's')
        publisher.wait_event(event='published', name='late')
        subscriber.wait_event(event='subscribed')
        self.host_cake(port)
        announced, _ = subscriber.wait_line(
            r'The directory at 127\.0\.0\.1:%d announced itself; trying at once' % (port,))
        connected, _ = subscriber.wait_line(
            r'Connected to the HOST directory at 127\.0\.0\.1:%d' % (port,))
        self.assertLess(announced, connected)
        _, a = subscriber.wait_event(event='available', name='late')
        self.assertEqual(a['scope'], 'HOST')
        publisher.wait_event(event='delivered', route_id=a['route_id'])


class Groups(unittest.SynchronousTestCase, Processes):
    """Two groups (group-cake with pubsub roles) under one host-cake."""

    def test_scope_confinement(self):
        """Item 29: A publishes g at GROUP and h at HOST; a subscriber in B (HOST, g|h)
        gets Available for h only, a subscriber in A gets both; layer-cake network
        --list-published shows g only in A and h at host-cake too."""
        host, port = self.host_cake()
        a = self.group('A', port, {'apub': dict(publish='g@GROUP,h@HOST'),
                                   'asub': dict(subscribe='g|h@HOST')})
        b = self.group('B', port, {'bsub': dict(subscribe='g|h@HOST', ping=0.5)})
        ids = dict((name, a.wait_event(tag='apub', event='published', name=name)[1][
            'published_id']) for name in ('g', 'h'))
        for name in ('g', 'h'):
            _, seen = a.wait_event(tag='asub/0', event='available', name=name)
            self.assertEqual((seen['scope'], seen['published_id']), ('GROUP', ids[name]))
        i, seen = b.wait_event(tag='bsub/0', event='available', name='h')
        self.assertEqual((seen['scope'], seen['published_id']), ('HOST', ids['h']))
        # g was published before h: had it left group A, B would have heard of it first.
        for _ in range(2):
            i, _ = b.wait_event(start=i + 1, tag='bsub/0', event='ack', name='h')
        self.assertEqual([e['name'] for e in b.select(tag='bsub/0', event='available')],
                         ['h'])
        self.assertEqual(a.select(event='dropped') + b.select(event='dropped'), [])
        # layer-cake network --list-published: g only in A, h at host-cake too.
        nodes = self.network(port, lambda n: len(holders(n, 'h')) == 3, 'h at three nodes',
                             '--list-published')
        self.assertEqual(holders(nodes, 'h'), [(0, 'HOST', 'host-cake'),
                                               (1, 'GROUP', 'group-cake'),
                                               (2, 'PROCESS', 'pubsub.py')])
        self.assertEqual(holders(nodes, 'g'), [(1, 'GROUP', 'group-cake'),
                                               (2, 'PROCESS', 'pubsub.py')])
        groups = [n for n in nodes if n[1] == 'GROUP']
        self.assertEqual(sorted(n[4] for n in groups), [[], ['g', 'h']])

    def test_nearest_fallback_upgrade(self):
        """Items 30-32: with n at GROUP in A and at HOST from B, the A subscriber has one
        session, GROUP with A's; killing A's publisher gives Dropped(A) then Available(HOST,
        B) and Delivered at B; A's publisher restarted gives Dropped(B) then Available(GROUP,
        A') and Dropped at B; restarting B meanwhile changes nothing at the subscriber."""
        host, port = self.host_cake()
        a = self.group('A', port, {'an': dict(publish='n@GROUP'),
                                   'as': dict(subscribe='n@HOST,sentinel:.*@HOST', ping=0.5)},
                       retry=1.0)
        _, an = a.wait_event(tag='an', event='published')
        _, first = a.wait_event(tag='as/0', event='available', name='n')
        self.assertEqual((first['scope'], first['published_id']), ('GROUP', an['published_id']))

        # Item 30: B's HOST publication of n reaches the subscriber's process before B's
        # sentinel does (one publisher, one path down); it opens nothing.
        b = self.group('B', port, {'bn': dict(publish='n@HOST,sentinel:b@HOST')}, retry=1.0)
        _, bn = b.wait_event(tag='bn', event='published', name='n')
        i, _ = a.wait_event(tag='as/1', event='available', name='sentinel:b')
        a.wait_event(start=i + 1, tag='as/0', event='ack', published_id=an['published_id'])
        self.assertEqual(sessions(a.select(tag='as/0')),
                         [('available', 'GROUP', an['published_id'])])

        # Item 31: fallback.
        os.kill(a.role_pid('an'), signal.SIGKILL)
        i, dropped = a.wait_event(tag='as/0', event='dropped')
        self.assertEqual((dropped['route_id'], dropped['address']),
                         (first['route_id'], first['address']))
        _, second = a.wait_event(start=i + 1, tag='as/0', event='available')
        self.assertEqual((second['scope'], second['published_id']), ('HOST', bn['published_id']))
        _, delivered = b.wait_event(tag='bn', event='delivered', route_id=second['route_id'])
        self.assertEqual(delivered['subscribed_id'], first['subscribed_id'])

        # Item 32: the group restarts A's publisher: upgrade.
        again_pid = a.role_pid('an', 1)
        _, again = a.wait_event(tag='an', event='published', pid=again_pid)
        self.assertNotEqual(again['published_id'], an['published_id'])
        i, dropped = a.wait_event(tag='as/0', event='dropped', route_id=second['route_id'])
        self.assertEqual(dropped['address'], second['address'])
        _, third = a.wait_event(start=i + 1, tag='as/0', event='available')
        self.assertEqual((third['scope'], third['published_id']),
                         ('GROUP', again['published_id']))
        _, gone = b.wait_event(tag='bn', event='dropped', route_id=second['route_id'])
        self.assertEqual(gone['address'], delivered['address'])

        # B restarts while the subscriber is on A: its sentinel comes back, n does not move.
        _, seen = a.mark()
        os.kill(b.role_pid('bn'), signal.SIGKILL)
        b_again = b.role_pid('bn', 1)
        _, bn2 = b.wait_event(tag='bn', event='published', name='sentinel:b', pid=b_again)
        i, _ = a.wait_event(start=seen, tag='as/1', event='available',
                            published_id=bn2['published_id'])
        a.wait_event(start=i + 1, tag='as/0', event='ack', published_id=again['published_id'])
        self.assertEqual(sessions(a.select(start=seen, tag='as/0')), [])
        self.assertEqual(sessions(a.select(tag='as/0')),
                         [('available', 'GROUP', an['published_id']),
                          ('dropped', 'GROUP', an['published_id']),
                          ('available', 'HOST', bn['published_id']),
                          ('dropped', 'HOST', bn['published_id']),
                          ('available', 'GROUP', again['published_id'])])

    def test_host_cake_churn(self):
        """Item 34: SIGKILL of host-cake ends no session (no Dropped anywhere, requests keep
        being answered); host-cake restarted on its port hears from both groups again and a
        new HOST publisher becomes Available to the existing subscriber; layer-cake network
        shows both groups."""
        host, port = self.host_cake()
        a = self.group('A', port, {'as': dict(subscribe='t:.*@HOST', ping=0.5)})
        b = self.group('B', port, {'bt': dict(publish='t:1@HOST')})
        _, first = a.wait_event(tag='as/0', event='available', name='t:1')
        self.assertEqual(first['scope'], 'HOST')
        lost = r'GroupCake - Lost the directory at 127\.0\.0\.1:%d' % (port,)
        connected = r'GroupCake - Connected to the HOST directory at 127\.0\.0\.1:%d' % (port,)
        marks = [g.mark() for g in (a, b)]
        host.kill()
        for g, (line, _) in zip((a, b), marks):
            g.wait_line(lost, start=line)
        i = marks[0][1]
        for _ in range(3):
            i, _ = a.wait_event(start=i + 1, tag='as/0', event='ack', name='t:1')
        marks = [g.mark() for g in (a, b)]
        again, _ = self.host_cake(port, 'host-cake-again')
        for g, (line, _) in zip((a, b), marks):
            g.wait_line(connected, start=line)
        again.wait_line(r'Child GROUP group-cake')
        i, _ = again.wait_line(r'Child GROUP group-cake')
        again.wait_line(r'Child GROUP group-cake', start=i + 1)
        late = self.application('late', port, publish='t:2@HOST')
        _, published = late.wait_event(event='published')
        _, seen = a.wait_event(tag='as/0', event='available', name='t:2')
        self.assertEqual((seen['scope'], seen['published_id']),
                         ('HOST', published['published_id']))
        i, _ = a.wait_event(start=a.mark()[1], tag='as/0', event='ack', name='t:1')
        self.assertEqual(a.select(event='dropped') + b.select(event='dropped'), [])
        # layer-cake network shows both groups under the new host-cake, B's t:1 there.
        nodes = self.network(port, lambda n: len(holders(n, 't:1')) == 3, 't:1 re-pushed',
                             '--list-published')
        self.assertEqual([tuple(n[:3]) for n in nodes if n[0] < 2 and n[1] != 'PROCESS'],
                         [(0, 'HOST', 'host-cake'), (1, 'GROUP', 'group-cake'),
                          (1, 'GROUP', 'group-cake')])
        self.assertEqual(holders(nodes, 't:2'), [(0, 'HOST', 'host-cake'),
                                                 (1, 'PROCESS', 'pubsub.py')])
        self.assertEqual(len(a.select(tag='as/0', event='available', name='t:1')), 1)

    def test_duplicate_name_in_a_group(self):
        """Item 36: two roles of one group publish dup at HOST: both get Published, the
        group warns "multiple ids, same name" and the refused one's process is advised; a
        subscriber in another group gets exactly one Available (the kept one); each
        publisher's own in-process subscriber gets Available(PROCESS) from it."""
        host, port = self.host_cake()
        a = self.group('A', port, {'d1': dict(publish='dup@HOST', subscribe='dup@HOST'),
                                   'd2': dict(publish='dup@HOST', subscribe='dup@HOST')})
        b = self.group('B', port, {'bsub': dict(subscribe='dup@HOST', ping=0.5)})
        published = dict((role, a.wait_event(tag=role, event='published')[1])
                         for role in ('d1', 'd2'))
        _, m = a.wait_line(r'GroupCake - multiple ids, same name "dup" \((\S+) kept, (\S+) '
                           r'refused\)')
        kept, refused = m.group(1), m.group(2)
        by_id = dict((p['published_id'], p) for p in published.values())
        self.assertEqual(set(by_id), {kept, refused})
        a.wait_line(r'\[%08d\] .*"dup" is published elsewhere under another id; %s' % (
            by_id[refused]['pid'], refused))
        for role, p in published.items():
            _, own = a.wait_event(tag=role + '/0', event='available')
            self.assertEqual((own['scope'], own['published_id']), ('PROCESS', p['published_id']))
        i, seen = b.wait_event(tag='bsub/0', event='available', name='dup')
        self.assertEqual((seen['scope'], seen['published_id']), ('HOST', kept))
        for _ in range(3):
            i, _ = b.wait_event(start=i + 1, tag='bsub/0', event='ack')
        self.assertEqual(len(b.select(tag='bsub/0', event='available')), 1)
        self.assertEqual(a.select(event='dropped') + b.select(event='dropped'), [])


class TakingPart(RuntimeTestCase, Processes):
    """This process takes part (its own runtime and process directory) beside real
    host-cake, group-cake and application processes."""

    log_level = lc.USER_LOG.WARNING

    def join(self, port):
        """Make this process's directory a child of the directory on ``port``."""
        d = process_directory()
        engine.call_and_wait(d.tier.connect_parent, lc.HostPort('127.0.0.1', port))
        wait_until(lambda: d.tier.parent_link.introduced, 'Hello answered on port %d' % (port,))

    def receive(self, ch, *types, saving=None, seconds=DEADLINE):
        return RuntimeTestCase.receive(self, ch, *types, saving=saving, seconds=seconds)

    def test_clears_across_processes(self):
        """Item 33 across processes: clear_published drops every session of the
        publication (a role in the group and one in this process), both fall back to the
        HOST alternative; publishing again re-matches; clear_subscribed drops its session
        at the remote publisher, and a later publication gives it nothing."""
        host, port = self.host_cake()
        a = self.group('A', port, {'as': dict(subscribe='c@HOST', ping=0.5)})
        b = self.group('B', port, {'bc': dict(publish='c@HOST')})
        _, bc = b.wait_event(tag='bc', event='published')
        _, first = a.wait_event(tag='as/0', event='available')
        self.assertEqual((first['scope'], first['published_id']), ('HOST', bc['published_id']))
        _, m = a.wait_line(r'GROUP directory at 127\.0\.0\.1:(\d+)')
        self.join(int(m.group(1)))              # this process is now in group A

        # A nearer publication here: the role in A upgrades to it, and so does a
        # subscriber of this process (in-process, PROCESS scope).
        publisher, subscriber = self.channel(), self.channel()
        lc.publish(publisher, 'c', S.GROUP)
        p1, _ = self.receive(publisher, lc.Published)
        i, _ = a.wait_event(tag='as/0', event='dropped', route_id=first['route_id'])
        _, near = a.wait_event(start=i + 1, tag='as/0', event='available')
        self.assertEqual((near['scope'], near['published_id']), ('GROUP', str(p1.published_id)))
        lc.subscribe(subscriber, 'c')
        subscribed, _ = self.receive(subscriber, lc.Subscribed)
        here, _ = self.receive(subscriber, lc.Available)
        self.assertEqual((here.scope, here.published_id), (S.PROCESS, p1.published_id))
        delivered = {}
        for _ in range(2):
            d, _ = self.receive(publisher, lc.Delivered)
            delivered[d.route_id] = d
        self.assertEqual(set(delivered), {here.route_id, uuid.UUID(near['route_id'])})

        # Clear it: both sessions dropped (at both ends), both subscribers fall back.
        lc.clear_published(publisher, p1)
        dropped = {}
        while True:
            m, _ = self.receive(publisher, lc.Dropped, lc.PublishedCleared)
            if isinstance(m, lc.PublishedCleared):
                break
            dropped[m.route_id] = m
        self.assertEqual(m.published_id, p1.published_id)
        self.assertEqual(set(dropped), set(delivered))
        for route_id, d in dropped.items():
            self.assertEqual(d.remote_address, delivered[route_id].subscriber_address)
        d, _ = self.receive(subscriber, lc.Dropped)
        self.assertEqual((d.route_id, d.remote_address), (here.route_id, here.publisher_address))
        fallback, _ = self.receive(subscriber, lc.Available, lc.Dropped)
        self.assertIsInstance(fallback, lc.Available)
        self.assertEqual((fallback.scope, str(fallback.published_id)),
                         (S.HOST, bc['published_id']))
        i, _ = a.wait_event(tag='as/0', event='dropped', route_id=near['route_id'])
        j, back = a.wait_event(start=i + 1, tag='as/0', event='available')
        self.assertEqual((back['scope'], back['published_id']), ('HOST', bc['published_id']))
        b.wait_event(tag='bc', event='delivered', route_id=str(fallback.route_id))

        # clear_subscribed: this subscriber's session ends at B's publisher too.
        lc.clear_subscribed(subscriber, subscribed)
        d, _ = self.receive(subscriber, lc.Dropped)
        self.assertEqual(d.route_id, fallback.route_id)
        m, _ = self.receive(subscriber, lc.SubscribedCleared)
        self.assertEqual(m.subscribed_id, subscribed.subscribed_id)
        b.wait_event(tag='bc', event='dropped', route_id=str(fallback.route_id))

        # The same name again: it matches the role in A anew, and nothing else.
        lc.publish(publisher, 'c', S.GROUP)
        p2, _ = self.receive(publisher, lc.Published)
        self.assertNotEqual(p2.published_id, p1.published_id)
        i, _ = a.wait_event(start=j + 1, tag='as/0', event='dropped',
                            route_id=back['route_id'])
        _, again = a.wait_event(start=i + 1, tag='as/0', event='available')
        self.assertEqual((again['scope'], again['published_id']),
                         ('GROUP', str(p2.published_id)))
        d, _ = self.receive(publisher, lc.Delivered)
        self.assertEqual(str(d.subscribed_id), first['subscribed_id'])
        self.channel().send(lc.Enquiry(), subscriber.object_address)
        m, _ = self.receive(subscriber, lc.Available, lc.Dropped, lc.Enquiry)
        self.assertIsInstance(m, lc.Enquiry)

    def test_a_new_publisher_is_not_the_old_one(self):
        """A publisher killed and started again is a new publication (new published_id and
        listener): a subscriber here gets Dropped(old) then Available(new); a route naming
        the old publication at the new listener (as a reused port would look) is refused
        there, is never Delivered, and leaves the shared connection working."""
        host, port = self.host_cake()
        self.join(port)
        old = self.application('old', port, publish='again@HOST')
        _, was = old.wait_event(event='published')
        subscriber = self.channel()
        lc.subscribe(subscriber, 'again')
        self.receive(subscriber, lc.Subscribed)
        first, _ = self.receive(subscriber, lc.Available)
        self.assertEqual(str(first.published_id), was['published_id'])
        old.kill()
        d, _ = self.receive(subscriber, lc.Dropped)
        self.assertEqual((d.route_id, d.remote_address),
                         (first.route_id, first.publisher_address))
        new = self.application('new', port, publish='again@HOST')
        _, now = new.wait_event(event='published')
        second, _ = self.receive(subscriber, lc.Available)
        self.assertEqual(str(second.published_id), now['published_id'])
        self.assertNotEqual(second.published_id, first.published_id)
        new.wait_event(event='delivered', route_id=str(second.route_id))

        probe = self.channel()
        lc.subscribe(probe, 'not-published')
        probing, _ = self.receive(probe, lc.Subscribed)
        stale = RouteOffer(uuid.uuid4(), S.HOST, probing.subscribed_id, first.published_id,
                           'again', False, lc.HostPort('127.0.0.1', now['port']), uuid.uuid4())
        engine.call_and_wait(process_directory().node.pass_offer, stale)
        wait_until(lambda: any('refused a session' in t for t in self.logs.texts()),
                   'refusal of the stale route')
        subscriber.send(lc.Enquiry(), second.publisher_address)
        self.receive(subscriber, lc.Ack)
        self.channel().send(lc.Enquiry(), probe.object_address)
        m, _ = self.receive(probe, lc.Available, lc.Enquiry)
        self.assertIsInstance(m, lc.Enquiry)
        self.assertEqual(new.select(event='delivered', subscribed_id=str(
            probing.subscribed_id)), [])
        self.assertEqual(len(new.select(event='delivered')), 1)


class Counting(object):
    """A listener that only counts the connections made to it."""

    def __init__(self, test):
        self.socket = socket.socket()
        self.socket.bind(('127.0.0.1', 0))
        self.socket.listen(8)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.accepted = []
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        test.addCleanup(self.close)

    def _accept(self):
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.accepted.append(connection)

    def close(self):
        self.running = False
        self.thread.join(DEADLINE)
        for c in self.accepted:
            c.close()
        self.socket.close()


class AutoConnect(RuntimeTestCase, Processes):
    """Item 35: a node with no parent given connects to its automatic parent when, and
    only when, a listing wider than itself appears.  The automatic parent is the
    machine's 127.0.0.1:54195, which tests never touch: it is replaced here by the test's
    own host-cake or by a listener counting connections."""

    def parent_link(self, tier):
        return engine.call_and_wait(lambda: tier.parent_link)

    def test_process_connects_on_a_host_listing(self):
        """A process without --connect-to-directory matches PROCESS-scope names with no
        connection at all; its first HOST publication connects it to the automatic parent
        (host-cake), where a subscriber in another process finds it, and it appears in
        layer-cake network."""
        host, port = self.host_cake()
        lc.tear_down()
        service.AUTO_PARENT = lc.HostPort('127.0.0.1', port)     # restored by setUp's cleanup
        lc.start_up(logs=lc.log_to_nowhere)
        tier = process_directory().tier
        publisher, subscriber = self.channel(), self.channel()
        lc.publish(publisher, 'inner', S.PROCESS)
        self.receive(publisher, lc.Published)
        lc.subscribe(subscriber, 'inner', S.PROCESS)
        self.receive(subscriber, lc.Subscribed)
        a, _ = self.receive(subscriber, lc.Available)
        self.assertEqual(a.scope, S.PROCESS)
        self.assertIsNone(self.parent_link(tier))
        lc.publish(publisher, 'auto:wide')
        wide = None
        while wide is None:
            m, _ = self.receive(publisher, lc.Published, lc.Delivered)
            if isinstance(m, lc.Published):
                wide = m
        wait_until(lambda: engine.call_and_wait(
            lambda: tier.parent_link is not None and tier.parent_link.introduced),
            'connection to the automatic parent')
        self.assertEqual(self.parent_link(tier).address, lc.HostPort('127.0.0.1', port))
        host.wait_line(r'Child PROCESS ')
        other = self.application('other', port, subscribe='auto:.*@HOST')
        _, seen = other.wait_event(event='available', name='auto:wide')
        self.assertEqual((seen['scope'], seen['published_id']), ('HOST', str(wide.published_id)))
        d, _ = self.receive(publisher, lc.Delivered)
        self.assertEqual(str(d.route_id), seen['route_id'])
        me = process_directory().node.unique_id.hex[:8]
        nodes = self.network(port, lambda n: any(x[3] == me for x in n), 'this process')
        mine, = [tuple(n[:2]) for n in nodes if n[3] == me]
        self.assertEqual(mine, (1, 'PROCESS'))

    def test_private_group_opens_no_connection(self):
        """A GROUP tier (what group-cake runs) whose processes publish and subscribe only at
        GROUP and PROCESS scope never connects to its automatic parent, a listener counting
        connections, and still matches them; a HOST publication then makes it connect."""
        counting = Counting(self)
        tier = Tier(S.GROUP, accept_at=lc.HostPort('127.0.0.1', 0),
                    auto_parent=lc.HostPort('127.0.0.1', counting.port),
                    executable='group-cake', reactor=engine.reactor)
        engine.call_and_wait(tier.startService)
        self.addCleanup(engine.call_and_wait, tier.stopService)
        wait_until(lambda: engine.call_and_wait(lambda: tier.accepting_at) is not None,
                   'the GROUP tier listening')
        port = tier.accepting_at.port
        publisher = self.application('pub', port, publish='q@GROUP,r@PROCESS')
        subscriber = self.application('sub', port, subscribe='q|r@GROUP', ping=0.5)
        _, published = publisher.wait_event(event='published', name='q')
        i, a = subscriber.wait_event(event='available', name='q')
        self.assertEqual((a['scope'], a['published_id']), ('GROUP', published['published_id']))
        for _ in range(2):
            i, _ = subscriber.wait_event(start=i + 1, event='ack', name='q')
        publisher.wait_event(event='delivered', route_id=a['route_id'])
        self.assertEqual(len(counting.accepted), 0)
        self.assertIsNone(self.parent_link(tier))
        self.assertEqual([e['name'] for e in subscriber.select(event='available')], ['q'])
        self.application('wide', port, publish='w@HOST')
        wait_until(lambda: len(counting.accepted) > 0, 'a connection to the automatic parent')
