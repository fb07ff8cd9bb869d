"""``layer-cake network`` and ``layer-cake ping`` against real processes (network.md
§10; checklist items 46 and 47).

The topology: a host-cake on a fresh 127.0.0.1 port; a group made with
``layer-cake create --directory-at-host=<that host-cake>``, holding
test_server_10.py and two test_worker_10.py roles, under ``layer-cake run``;
and one stand-alone test_worker_10.py connected straight to the host-cake.
Each of the two tests builds it afresh; every process is ended by its PID.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

from twisted.trial import unittest

from layer_cake.test.support import listen_port

from layer_cake.process.home import GROUP_ROLE, Home
from layer_cake.test.test_process import wait_gone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, 'examples', 'multihosting')

# Generous: seven processes import Twisted on a shared 2-core machine.
DEADLINE = 120.0

STARTED = re.compile(r'Started "([^"]+)" \((\d+)\)')
NODE = re.compile(r'^((?:\+   )*)\[([A-Z]+)\] (\S+) \(([0-9a-f]{8})\)$')
ADDRESSED = re.compile(r'^((?:\+   )*)\[([A-Z]+)\] (\S+) \(([0-9a-f]{8})\) '
                       r'(\(not detected\)|\S+) <C>(\(not set\)|\S+) <L>(\(not set\)|\S+)$')
FULL = re.compile(r'^((?:\+   )*)\[([A-Z]+)\] (\S+) '
                  r'\(([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\)$')
WORKER_NAME = r'test-multihosting:worker-10:[-a-f0-9]{36}'
SEARCH = 'test-multihosting:worker-10:[-a-f0-9]+'
PUBLISHED = re.compile(r'^((?:\+   )*)# "(%s)" \(([0-9a-f]{8})\) 127\.0\.0\.1:(\d+)$' % (
    WORKER_NAME,))
SUBSCRIBED = re.compile(r'^((?:\+   )*)\? "(%s)" \(([0-9a-f]{8})\)$' % (re.escape(SEARCH),))
ROUTED = re.compile(r'^((?:\+   )*)<> "(%s)" \(([0-9a-f]{8}) -> ([0-9a-f]{8})\)$' % (
    WORKER_NAME,))
SESSION = re.compile(r'^((?:\+   )*)> "(%s)"\[([A-Z]+)\] '
                     r'\(127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:(\d+)\)$' % (WORKER_NAME,))
PINGED = re.compile(r'^\[(\d+)\] \.\.\. (\d+us|\d+\.\dms|\d+\.\ds|\d+[mhd])$')

INDENT = '+   '


def fresh_port():
    """A loopback port nobody listens on, for a server started later."""
    return listen_port()


def address(port):
    return json.dumps({'host': '127.0.0.1', 'port': port})


def environment():
    env = dict(os.environ)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    env.pop('LC_PARENT_PIPES', None)
    return env


def layer_cake(folder, *arguments):
    """(exit status, stdout, stderr) of one ``layer-cake`` command."""
    done = subprocess.run([sys.executable, '-m', 'layer_cake.cli.main'] + list(arguments),
                          cwd=folder, env=environment(), capture_output=True, text=True,
                          timeout=DEADLINE, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout, done.stderr


def depth(line):
    n = 0
    while line.startswith(INDENT * (n + 1)):
        n += 1
    return n


def nodes(text, pattern=NODE):
    """The node lines of a listing: (depth, scope, executable, id, ...)."""
    found = []
    for line in text.splitlines():
        m = pattern.match(line)
        if m:
            found.append((len(m.group(1)) // len(INDENT),) + m.groups()[1:])
    return found


def shape(found):
    """The tree as (depth, scope, executable), the group's roles in a fixed order."""
    rows = [row[:3] for row in found]
    return rows[:2] + sorted(rows[2:5], key=lambda r: r[2]) + rows[5:]


EXPECTED = [(0, 'HOST', 'host-cake'),
            (1, 'GROUP', 'group-cake'),
            (2, 'PROCESS', 'test_server_10.py'),
            (2, 'PROCESS', 'test_worker_10.py'),
            (2, 'PROCESS', 'test_worker_10.py'),
            (1, 'PROCESS', 'test_worker_10.py'),
            (1, 'PROCESS', 'layer-cake')]


def below(text, wanted):
    """The lines under the node line ``wanted`` (until the next node line)."""
    lines = text.splitlines()
    start = lines.index(wanted) + 1
    found = []
    for line in lines[start:]:
        if NODE.match(line) or ADDRESSED.match(line) or FULL.match(line):
            break
        found.append(line)
    return found


class Processes(object):
    """The processes of a topology, ended by PID."""

    def __init__(self, folder):
        self.folder = folder
        self.started = []               # Popen objects this fixture started
        self.roles = {}                 # role name -> pid, from group-cake's log
        self.group_pid = None
        self.files = []

    def start(self, argv, name, stderr_lines=None):
        log = open(os.path.join(self.folder, name + '.log'), 'wb')
        self.files.append(log)
        p = subprocess.Popen(argv, cwd=self.folder, env=environment(),
                             stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.PIPE if stderr_lines else subprocess.STDOUT)
        self.started.append(p)
        if stderr_lines:
            threading.Thread(target=self._read, args=(p, log), daemon=True).start()
        return p

    def _read(self, p, log):
        for raw in p.stderr:
            log.write(raw)
            m = STARTED.search(raw.decode('utf-8', 'replace'))
            if m:
                self.roles[m.group(1)] = int(m.group(2))

    def answering(self, p, port):
        deadline = time.monotonic() + DEADLINE
        while True:
            if p.poll() is not None:
                raise AssertionError('ended (%s) before answering at %d' % (p.returncode,
                                                                            port))
            try:
                socket.create_connection(('127.0.0.1', port), timeout=5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError('port %d not answering after %s s' % (port,
                                                                               DEADLINE))
                time.sleep(0.1)

    def end(self):
        """SIGINT to everything started here (run passes it on to group-cake), then
        SIGKILL to any process of the topology still there after a grace period."""
        for p in reversed(self.started):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in reversed(self.started):
            try:
                p.wait(DEADLINE / 4)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(DEADLINE / 4)
        pids = list(self.roles.values())
        if self.group_pid is not None:
            pids.append(self.group_pid)
        for pid in wait_gone(pids, 10.0):
            os.kill(pid, signal.SIGKILL)
        wait_gone(pids, 10.0)
        for p in self.started:
            if p.stderr is not None:
                p.stderr.close()
        for f in self.files:
            f.close()


class Topology(unittest.SynchronousTestCase):
    """Items 46 and 47, each on a topology of its own."""

    def setUp(self):
        self.folder = os.path.abspath(self.mktemp())
        os.makedirs(self.folder)
        self.processes = Processes(self.folder)
        self.addCleanup(self.processes.end)
        self.build()

    def cli(self, *arguments):
        status, out, err = layer_cake(self.folder, *arguments)
        if status != 0:
            raise AssertionError('layer-cake %s: %s %s' % (' '.join(arguments), status, err))
        return out

    def network(self, *flags):
        return self.cli('network', self.where(), *flags)

    def where(self):
        return '--connect-to-directory=%s' % (address(self.host_port),)

    def wait_until(self, flags, test, what):
        """The first ``network`` output (with ``flags``) for which ``test`` holds."""
        deadline = time.monotonic() + DEADLINE
        while True:
            out = self.network(*flags)
            if test(out):
                return out
            if time.monotonic() > deadline:
                raise AssertionError('no %s within %s s; last:\n%s' % (what, DEADLINE, out))
            time.sleep(0.5)

    def build(self):
        for name in os.listdir(EXAMPLES):
            if name.endswith('.py'):
                shutil.copy(os.path.join(EXAMPLES, name), self.folder)
        p = self.processes
        self.host_port = fresh_port()
        host_cake = p.start([sys.executable, os.path.join(ROOT, 'bin', 'host-cake'),
                             '--directory-at-host=%s' % (address(self.host_port),)],
                            'host-cake')
        p.answering(host_cake, self.host_port)
        self.cli('create', '--directory-at-host=%s' % (address(self.host_port),))
        self.cli('add', 'test_server_10.py', 'server',
                 '--server-address=%s' % (address(fresh_port()),))
        self.cli('add', 'test_worker_10.py', 'worker', '--role-count=2')
        p.start([sys.executable, '-m', 'layer_cake.cli.main', 'run', '--debug-level=OBJECT'],
                'run', stderr_lines=True)
        self.wait_until((), lambda out: shape(nodes(out))[:5] == EXPECTED[:5] and len(
            nodes(out)) == 6, 'group with its three roles')
        head = Home(os.path.join(self.folder, '.layer-cake')).locked_head(GROUP_ROLE)
        p.group_pid = head.pid if head is not None else None
        p.start([sys.executable, os.path.join(self.folder, 'test_worker_10.py'),
                 self.where()], 'worker')

        def settled(out):
            if shape(nodes(out)) != EXPECTED:
                return False
            sessions = [SESSION.match(line) for line in out.splitlines()]
            return sorted(m.group(3) for m in sessions if m) == ['GROUP', 'GROUP', 'HOST']
        self.wait_until(('--list-connected',), settled, 'settled tree with three sessions')

    def node_line(self, out, executable):
        """The one node line of ``executable`` (the server, host-cake, group-cake)."""
        lines = [line for line in out.splitlines()
                 if NODE.match(line) and NODE.match(line).group(3) == executable]
        self.assertEqual(len(lines), 1, out)
        return lines[0]

    def test_network(self):
        """Item 46: node lines with `+   ` per level (host-cake, the group and its three
        roles, the stand-alone worker, this command, in connect order);
        --directory-addresses with <C>/<L> and (not set); each --list-* option;
        --full-identity with 36-character UUIDs."""
        self.check_tree()
        self.check_directory_addresses()
        self.check_list_published()
        self.check_list_subscribed()
        self.check_list_routed()
        self.check_list_connected()
        self.check_full_identity()

    def test_ping(self):
        """Item 47: four `[i] ... <span>` lines for host-cake by its 8-hex prefix, a ping
        down through the group, "not present in directory" for deadbeef and "not a
        directory node" for a publication's id."""
        self.check_ping_host_cake()
        self.check_ping_through_the_group()
        self.check_ping_nobody()
        self.check_ping_a_publication()

    # Item 46.

    def check_tree(self):
        """Item 46: one node line per process, `+   ` once per level, 8-hex ids: host-cake
        on top, the group with its three roles, the stand-alone worker and this command
        last, in the order they connected."""
        out = self.network()
        found = nodes(out)
        self.assertEqual(len(found), len(out.splitlines()), out)
        self.assertEqual(shape(found), EXPECTED)
        self.assertEqual(len(set(row[3] for row in found)), len(found))

    def check_directory_addresses(self):
        """Item 46: --directory-addresses adds the primary IP, <C> the parent and <L> where
        children connect, each unset one as (not set)."""
        out = self.network('--directory-addresses')
        found = nodes(out, ADDRESSED)
        self.assertEqual(len(found), len(out.splitlines()), out)
        self.assertEqual(shape(found), EXPECTED)
        host = '127.0.0.1:%d' % (self.host_port,)
        by_place = {(row[0], row[2]): row for row in found}
        self.assertEqual(found[0][5:], ('(not set)', host))
        group = found[1]
        self.assertEqual(group[5], host)
        self.assertRegex(group[6], r'^127\.0\.0\.1:\d+$')
        for row in found[2:5]:
            self.assertEqual(row[5:], (group[6], '(not set)'))
        for row in found[5:]:
            self.assertEqual(row[5:], (host, '(not set)'))
        self.assertTrue(all(row[4] for row in found))
        self.assertIn((1, 'layer-cake'), by_place)

    def check_list_published(self):
        """Item 46: --list-published shows each worker's name, id and listener at its own
        process, at the group (its two) and at host-cake (all three)."""
        out = self.network('--list-published')
        published = {}
        for line in out.splitlines():
            m = PUBLISHED.match(line)
            if m:
                published.setdefault(m.group(2), []).append((m.group(3), m.group(4)))
        self.assertEqual(len(published), 3, out)
        self.assertEqual(len(set(v[0] for places in published.values() for v in places)), 3)
        under = below(out, self.node_line(out, 'host-cake'))
        self.assertEqual(len([line for line in under if line.startswith(INDENT + '# ')]), 3)
        under = below(out, self.node_line(out, 'group-cake'))
        self.assertEqual(len([line for line in under if line.startswith(INDENT * 2 + '# ')]),
                         2)
        self.assertEqual(below(out, self.node_line(out, 'test_server_10.py')), [])
        self.assertEqual(sorted(len(places) for places in published.values()), [2, 3, 3])

    def check_list_subscribed(self):
        """Item 46: --list-subscribed shows the server's search, with one id, at the
        server, the group and host-cake."""
        out = self.network('--list-subscribed')
        found = [SUBSCRIBED.match(line) for line in out.splitlines()]
        found = [(len(m.group(1)) // len(INDENT), m.group(3)) for m in found if m]
        self.assertEqual(sorted(d for d, _ in found), [1, 2, 3], out)
        self.assertEqual(len(set(i for _, i in found)), 1)

    def check_list_routed(self):
        """Item 46: --list-routed shows the matches made at host-cake (three) and at the
        group (two), from the server's subscription to each publication."""
        out = self.network('--list-routed', '--list-subscribed')
        subscribed = set(m.group(3) for m in map(SUBSCRIBED.match, out.splitlines()) if m)
        routed = [m for m in map(ROUTED.match, out.splitlines()) if m]
        self.assertEqual(sorted(len(m.group(1)) // len(INDENT) for m in routed),
                         [1, 1, 1, 2, 2], out)
        self.assertEqual(set(m.group(3) for m in routed), subscribed)

    def check_list_connected(self):
        """Item 46: --list-connected shows, under the server, its search and one
        `> "<name>"[SCOPE] (local -> publisher)` line per session: the group's workers
        at GROUP, the stand-alone one at HOST, to the listeners they publish."""
        out = self.network('--list-connected', '--list-published')
        server = self.node_line(out, 'test_server_10.py')
        under = below(out, server)
        level = depth(server)
        self.assertEqual(under[0], INDENT * (level + 1) + '? "%s" (%s)' % (
            SEARCH, SUBSCRIBED.match(under[0]).group(3)), out)
        sessions = [SESSION.match(line) for line in under[1:]]
        self.assertEqual(len(under), 4, out)
        self.assertTrue(all(m and len(m.group(1)) // len(INDENT) == level + 2
                            for m in sessions), out)
        listeners = {}
        for m in map(PUBLISHED.match, out.splitlines()):
            if m:
                listeners[m.group(2)] = m.group(4)
        self.assertEqual(sorted(m.group(3) for m in sessions), ['GROUP', 'GROUP', 'HOST'])
        for m in sessions:
            self.assertEqual(m.group(5), listeners[m.group(2)])
        standalone = [row for row in nodes(out) if row[:3] == (1, 'PROCESS',
                                                               'test_worker_10.py')]
        self.assertEqual(len(standalone), 1)

    def check_full_identity(self):
        """Item 46: --full-identity prints every id as its 36-character UUID."""
        out = self.network('--full-identity')
        found = nodes(out, FULL)
        self.assertEqual(len(found), len(out.splitlines()), out)
        self.assertEqual(shape(found), EXPECTED)
        self.assertTrue(all(len(row[3]) == 36 for row in found))

    # Item 47.

    def check_ping_host_cake(self):
        """Item 47: pinging host-cake by the 8-hex prefix of its id prints four lines
        `[i] ... <span>`."""
        top = nodes(self.network())[0]
        out = self.cli('ping', top[3], self.where())
        lines = out.splitlines()
        self.assertEqual(len(lines), 4, out)
        self.assertEqual([PINGED.match(line).group(1) for line in lines],
                         ['1', '2', '3', '4'])

    def check_ping_through_the_group(self):
        """A ping to a role inside the group travels down through group-cake and back."""
        found = nodes(self.network())
        server = [row for row in found if row[2] == 'test_server_10.py'][0]
        out = self.cli('ping', server[3], '--ping-count=2',
                       self.where())
        self.assertEqual(len([line for line in out.splitlines() if PINGED.match(line)]), 2,
                         out)

    def check_ping_nobody(self):
        """Item 47: a prefix no node has -> fault "not present in directory"."""
        self.assertFalse(any(row[3].startswith('deadbeef') for row in nodes(self.network())))
        status, out, err = layer_cake(self.folder, 'ping', 'deadbeef',
                                      self.where())
        self.assertEqual((status, out), (71, ''))
        self.assertEqual(err.strip(),
                         'layer-cake: cannot ping "deadbeef" (not present in directory)')

    def check_ping_a_publication(self):
        """Item 47: the id of a publication is no node -> fault "not a directory node"."""
        out = self.network('--list-published')
        published = [m.group(3) for m in map(PUBLISHED.match, out.splitlines()) if m][0]
        status, out, err = layer_cake(self.folder, 'ping', published,
                                      self.where())
        self.assertEqual(status, 71, out)
        self.assertEqual(err.strip(), 'layer-cake: cannot ping "%s" (not a directory node)' % (
            published,))


class Alone(unittest.SynchronousTestCase):
    """No host-cake to reach."""

    def test_only_its_own_node(self):
        """Item 46: with nothing at the directory address the command still succeeds and
        prints just its own node."""
        folder = self.mktemp()
        os.makedirs(folder)
        status, out, err = layer_cake(folder, 'network', '--directory-addresses',
                                      '--connect-to-directory=%s' % (address(fresh_port()),))
        self.assertEqual(status, 0, err)
        line, = out.splitlines()
        m = ADDRESSED.match(line)
        self.assertEqual(m.groups()[:3], ('', 'PROCESS', 'layer-cake'), line)
        self.assertEqual(m.group(7), '(not set)')

    def test_ping_itself(self):
        """Alone, the command's own node is the whole tree: a prefix of no id is not
        present, and a bad ping count is refused."""
        folder = self.mktemp()
        os.makedirs(folder)
        where = '--connect-to-directory=%s' % (address(fresh_port()),)
        status, _, err = layer_cake(folder, 'ping', 'deadbeef', where)
        self.assertEqual(status, 71)
        self.assertIn('not present in directory', err)
        status, _, err = layer_cake(folder, 'ping', 'deadbeef', '--ping-count=0', where)
        self.assertEqual(status, 71)
        self.assertIn('ping count', err)
