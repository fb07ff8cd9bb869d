"""Several hosts on one machine: lan-cake, host-cakes and applications in network
namespaces of the test's own, joined by a bridge (network.md §8.2, §8.6, §9.2,
§9.4; issue 7's test bed).

The test bed (:class:`TestBed`) makes, for one test, a namespace holding
only a bridge (``br0``, 10.0.0.1) and one namespace per host, each with
``lo`` up and an ``eth0`` (one end of a veth pair whose other end is a port
of the bridge) in 10.0.0.0/24, with a default route through the bridge's
namespace so that a host has a primary IP (nothing is forwarded from there).
The names carry this process's id and a random part
(``lct-<pid>-<hex>-<host>``), so runs never meet.  Everything is made with
``ip -n <namespace>``: nothing is configured in the machine's own network
namespace, and no process there connects anywhere; every private address is
used only inside these namespaces.  Cleanup is registered before anything is
made, and removes every process left in each namespace (by PID, from
``ip netns pids``) and every namespace (with it its veth ends and the
bridge), also when a test fails.

Processes run with ``ip netns exec`` (which becomes the program, so the PID
is the program's) and without the tests' ``LC_DIRECTORY_AT_LAN=off``, so
each host-cake works out lan-cake's address itself; each namespace has its
own rendezvous folder, as separate hosts would.  The tests wait for lines
and ``E2E`` events the programs print, with generous deadlines.

Skipped unless running as root where network namespaces, veth pairs and
bridges can be made.
"""

import os
import shutil
import signal
import subprocess
import sys
import uuid

from twisted.trial import unittest

from layer_cake.directory.lan import LAN_VARIABLE
from layer_cake.directory.rendezvous import FOLDER_VARIABLE
from layer_cake.directory.secret import SECRET_VARIABLE
from layer_cake.test.test_directory_e2e import PUBSUB, ROOT, Program, holders, network_until

# Generous: every process imports Twisted, and the machine is shared.
DEADLINE = 60.0

NETWORK = '10.0.0.%d'
BRIDGE_IP = NETWORK % 1
LAN_IP = NETWORK % 195
HOSTS = {'A': NETWORK % 11, 'B': NETWORK % 12, 'C': NETWORK % 13}
OTHER_LAN_IP = NETWORK % 133
OTHER_LAN_PORT = 29101


def environment():
    env = dict(os.environ)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return env


def run(argv, check=True):
    """Run a command to its end: (status, output)."""
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=DEADLINE, env=environment())
    if check and done.returncode != 0:
        raise AssertionError('%s: %s %s' % (' '.join(argv), done.returncode,
                                            done.stderr.strip()))
    return done.returncode, done.stdout + done.stderr


class CannotMake(Exception):
    """This machine cannot make the test bed (no namespaces, veth pairs or bridges)."""


def _could(argv):
    status, output = run(argv, check=False)
    if status != 0:
        raise CannotMake('%s: %s' % (' '.join(argv), output.strip()))


class TestBed(object):
    """Network namespaces of one test: a bridge and the hosts on it."""

    def __init__(self, test):
        self.test = test
        self.prefix = 'lct-%d-%s' % (os.getpid(), uuid.uuid4().hex[:6])
        self.bridge = self.prefix + '-br'
        self.made = []                  # namespaces, in the order they were made
        self.hosts = {}                 # name -> namespace
        self.folders = {}               # name -> rendezvous folder

    def make_bridge(self):
        self._namespace(self.bridge)
        _could(['ip', '-n', self.bridge, 'link', 'add', 'br0', 'type', 'bridge'])
        run(['ip', '-n', self.bridge, 'addr', 'add', BRIDGE_IP + '/24', 'dev', 'br0'])
        run(['ip', '-n', self.bridge, 'link', 'set', 'br0', 'up'])

    def _namespace(self, name):
        _could(['ip', 'netns', 'add', name])
        self.made.append(name)
        run(['ip', '-n', name, 'link', 'set', 'lo', 'up'])

    def add_host(self, name, *addresses):
        """Namespace ``name`` on the bridge with ``addresses`` on its eth0."""
        ns = '%s-%s' % (self.prefix, name.lower())
        self._namespace(ns)
        port = 'v' + name.lower()
        # Both ends are made inside the bridge's namespace; one moves to the host's.
        _could(['ip', '-n', self.bridge, 'link', 'add', port, 'type', 'veth', 'peer', 'name',
                'eth0', 'netns', ns])
        run(['ip', '-n', self.bridge, 'link', 'set', port, 'master', 'br0', 'up'])
        for ip in addresses:
            run(['ip', '-n', ns, 'addr', 'add', ip + '/24', 'dev', 'eth0'])
        run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up'])
        run(['ip', '-n', ns, 'route', 'add', 'default', 'via', BRIDGE_IP, 'dev', 'eth0'])
        self.hosts[name] = ns
        folder = os.path.abspath(self.test.mktemp())
        os.makedirs(folder)
        self.folders[name] = folder
        return ns

    def link_down(self, name):
        """Pull host ``name``'s cable: its port on the bridge goes down.  Nothing in the
        host hears of it, and nothing is closed."""
        run(['ip', '-n', self.bridge, 'link', 'set', 'v' + name.lower(), 'down'])

    def argv(self, host, *command):
        """``command`` run in ``host``'s namespace, with that host's environment."""
        return ['ip', 'netns', 'exec', self.hosts[host], 'env', '-u', LAN_VARIABLE,
                '%s=%s' % (FOLDER_VARIABLE, self.folders[host])] + list(command)

    def remove(self):
        """End every process left in the namespaces made, then remove them all."""
        for ns in reversed(self.made):
            status, output = run(['ip', 'netns', 'pids', ns], check=False)
            if status == 0:
                for pid in output.split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except (ValueError, OSError):
                        pass
        problems = []
        for ns in reversed(self.made):
            status, output = run(['ip', 'netns', 'del', ns], check=False)
            if status != 0:
                problems.append('%s: %s' % (ns, output.strip()))
        self.made = []
        status, output = run(['ip', 'netns', 'list'], check=False)
        left = [line for line in output.splitlines() if line.startswith(self.prefix)]
        if problems or left:
            raise AssertionError('test bed not removed: %s %s' % (problems, left))


def python(*arguments):
    return [sys.executable] + list(arguments)


class LanTestCase(unittest.TestCase):
    """A test bed per test, removed at the end whatever happens."""

    timeout = 170

    def setUp(self):
        if not hasattr(os, 'geteuid') or os.geteuid() != 0:
            raise unittest.SkipTest('needs root to make network namespaces')
        if shutil.which('ip') is None:
            raise unittest.SkipTest('needs the ip command (iproute2) for network namespaces')
        self.bed = TestBed(self)
        self.addCleanup(self.bed.remove)
        try:
            self.bed.make_bridge()
        except CannotMake as e:
            raise unittest.SkipTest('cannot make network namespaces here (%s)' % (e,))

    def add_hosts(self, lan_ip):
        try:
            self.bed.add_host('L', lan_ip)
            for name, ip in sorted(HOSTS.items()):
                self.bed.add_host(name, ip)
        except CannotMake as e:
            raise unittest.SkipTest('cannot make veth pairs here (%s)' % (e,))

    def standard_lan(self):
        """lan-cake at the standard LAN address and a host-cake in each of A, B and C,
        all listening: (lan-cake, {host: host-cake})."""
        self.add_hosts(LAN_IP)
        lan = self.start('L', 'lan-cake', *python(os.path.join(ROOT, 'bin', 'lan-cake'),
                                                  '--debug-level=TRACE'))
        lan.wait_line(r'LAN directory at 0\.0\.0\.0:54195', seconds=DEADLINE)
        hosts = {h: self.host_cake(h) for h in ('A', 'B', 'C')}
        for program in hosts.values():
            program.wait_line(r'HOST directory at 127\.0\.0\.1:54195', seconds=DEADLINE)
        return lan, hosts

    def fallback_in_c(self, subscriber, start):
        """Publish lct:lan at LAN scope in C: it becomes the subscriber's session (its
        next Available from event ``start`` on); the Published event."""
        c = self.pubsub('C', 'pub-c', '--publish=lct:lan@LAN')
        _, again = c.wait_event(event='published', name='lct:lan', seconds=DEADLINE)
        _, fallback = subscriber.wait_event(start, event='available', seconds=DEADLINE)
        self.assertEqual((fallback['name'], fallback['scope'], fallback['published_id']),
                         ('lct:lan', 'LAN', again['published_id']))
        c.wait_event(event='delivered', name='lct:lan', seconds=DEADLINE)
        return again

    def start(self, host, name, *command):
        return Program(self, self.bed.argv(host, *command), name)

    def host_cake(self, host, *flags):
        return self.start(host, 'host-cake-' + host.lower(),
                          *python(os.path.join(ROOT, 'bin', 'host-cake'),
                                  '--debug-level=TRACE', *flags))

    def pubsub(self, host, tag, *flags):
        return self.start(host, tag, *python(PUBSUB, '--tag=%s' % (tag,), *flags))

    def network(self, host, until, what, *flags):
        """(tree(), text) of the first ``layer-cake network`` listing made inside
        ``host`` whose tree satisfies ``until``."""
        argv = self.bed.argv(host, *python('-m', 'layer_cake.cli.main', 'network', *flags))
        return network_until(self, argv, until, what)


def output(program):
    """Everything the program has written so far."""
    with program.changed:
        return '\n'.join(program.lines)


def names_seen(program, event):
    return sorted(set(e.get('name') for e in program.select(event=event)))


class ZeroConfiguration(LanTestCase):
    """lan-cake at the standard LAN address; nothing else is configured."""

    def test_across_hosts(self):
        """host-cakes in A, B and C find lan-cake at 10.0.0.195:54195 by themselves; a
        LAN publication in B becomes Available in A, its HOST and GROUP publications
        never do; layer-cake network in A shows the tree under lan-cake; SIGKILL of B's
        publisher gives Dropped in A, and the same name published in C is Available."""
        lan, hosts = self.standard_lan()

        subscriber = self.pubsub('A', 'sub-a', '--subscribe=lct:.*@LAN')
        b = self.pubsub('B', 'pub-b', '--publish=lct:group@GROUP,lct:host@HOST,lct:lan@LAN')
        subscriber.wait_event(event='subscribed', seconds=DEADLINE)
        _, published = b.wait_event(event='published', name='lct:lan', seconds=DEADLINE)
        for h in ('A', 'B'):
            hosts[h].wait_line(r'Connected to the LAN directory at 10\.0\.0\.195:54195',
                               seconds=DEADLINE)

        _, available = subscriber.wait_event(event='available', seconds=DEADLINE)
        self.assertEqual((available['name'], available['scope'], available['published_id']),
                         ('lct:lan', 'LAN', published['published_id']))
        self.assertEqual(names_seen(subscriber, 'available'), ['lct:lan'])
        b.wait_event(event='delivered', name='lct:lan', seconds=DEADLINE)

        # The tree as seen from A: lan-cake on top, the host-cakes of A and B below.
        def settled(nodes):
            return (len(nodes) == 6 and nodes[0][:3] == [0, 'LAN', 'lan-cake']
                    and 'lct:lan' in nodes[0][4])
        nodes, text = self.network('A', settled, 'LAN root over A and B', '--list-published')
        self.assertEqual(sorted(tuple(n[:3]) for n in nodes[1:]),
                         [(1, 'HOST', 'host-cake'), (1, 'HOST', 'host-cake'),
                          (2, 'PROCESS', 'layer-cake'), (2, 'PROCESS', 'pubsub.py'),
                          (2, 'PROCESS', 'pubsub.py')])
        self.assertEqual(holders(nodes, 'lct:lan'), [(0, 'LAN', 'lan-cake'),
                                                     (1, 'HOST', 'host-cake'),
                                                     (2, 'PROCESS', 'pubsub.py')], text)
        self.assertEqual(holders(nodes, 'lct:host'), [(1, 'HOST', 'host-cake'),
                                                      (2, 'PROCESS', 'pubsub.py')], text)
        self.assertEqual(holders(nodes, 'lct:group'), [(2, 'PROCESS', 'pubsub.py')], text)
        self.assertIn('# "lct:lan" (%s) %s:%d' % (published['published_id'][:8], HOSTS['B'],
                                                  published['port']), text)
        self.assertNotIn('lct:host', output(hosts['A']) + output(lan))
        self.assertNotIn('lct:group', output(hosts['A']) + output(lan))

        # B's publisher dies: A is dropped; then C publishes the same name.
        start = len(subscriber.events)
        b.kill()
        subscriber.wait_event(start, event='dropped', name='lct:lan',
                              published_id=published['published_id'], seconds=DEADLINE)
        hosts['B'].wait_line(r'Lost child PROCESS pubsub\.py', seconds=DEADLINE)
        again = self.fallback_in_c(subscriber, start)
        hosts['C'].wait_line(r'Connected to the LAN directory at 10\.0\.0\.195:54195',
                             seconds=DEADLINE)

        # A's session goes straight to C's listener.
        _, text = self.network('A', lambda nodes: 'lct:lan' in nodes[0][4], 'C listed',
                               '--list-published', '--list-connected')
        self.assertIn('> "lct:lan"[LAN] (%s:' % (HOSTS['A'],), text)
        self.assertIn(' -> %s:%d)' % (HOSTS['C'], again['port']), text)

        self.assertEqual(names_seen(subscriber, 'available'), ['lct:lan'])
        self.assertEqual(names_seen(subscriber, 'dropped'), ['lct:lan'])
        for program in list(hosts.values()) + [lan]:
            self.assertNotIn('No standard LAN directory', output(program))
            self.assertNotIn('No automatic LAN directory', output(program))


class Overrides(LanTestCase):
    """lan-cake elsewhere than the standard address: every program is told."""

    def test_given_addresses(self):
        """twistd lan-cake on 10.0.0.133:29101; host-cake in A with --directory-at-lan,
        group-cake in B with --directory-at-lan, a process in C with
        --connect-to-directory: LAN publications of B and C become Available to a
        subscriber in A that has no configuration of its own."""
        self.add_hosts(OTHER_LAN_IP)
        where = '{"host": "%s", "port": %d}' % (OTHER_LAN_IP, OTHER_LAN_PORT)
        twistd = os.path.join(os.path.dirname(sys.executable), 'twistd')
        lan = self.start('L', 'twistd-lan-cake', twistd, '-n', '--pidfile=', '--logfile=-',
                         'lan-cake', '--directory-at-lan=' + where, '--debug-level=TRACE')
        lan.wait_line(r'LAN directory at 10\.0\.0\.133:29101', seconds=DEADLINE)
        host_a = self.host_cake('A', '--directory-at-lan=' + where)
        host_a.wait_line(r'HOST directory at 127\.0\.0\.1:54195', seconds=DEADLINE)
        # host-cake's explicit parent is connected from the start.
        host_a.wait_line(r'Connected to the LAN directory at 10\.0\.0\.133:29101',
                         seconds=DEADLINE)

        home = os.path.abspath(self.mktemp())
        for folder in ('script', 'resource', 'role', 'departures', 'arrivals'):
            os.makedirs(os.path.join(home, folder))
        run(self.bed.argv('B', *python(PUBSUB, '--create-role', '--home-path=%s' % (home,),
                                       '--role-name=pub-b', '--tag=pub-b',
                                       '--publish=lct:b@LAN')))
        group = self.start('B', 'group-cake-b', *python(
            '-m', 'layer_cake.supervisor.group_cake', '--home-path=%s' % (home,),
            '--debug-level=CONSOLE', '--directory-at-lan=' + where))
        c = self.pubsub('C', 'pub-c', '--publish=lct:c@LAN', '--connect-to-directory=' + where)
        subscriber = self.pubsub('A', 'sub-a', '--subscribe=lct:.*@LAN')

        _, b = group.wait_event(event='published', name='lct:b', seconds=DEADLINE)
        _, c_published = c.wait_event(event='published', name='lct:c', seconds=DEADLINE)
        for name, published in (('lct:b', b), ('lct:c', c_published)):
            _, available = subscriber.wait_event(event='available', name=name,
                                                 seconds=DEADLINE)
            self.assertEqual((available['scope'], available['published_id']),
                             ('LAN', published['published_id']))
        group.wait_event(event='delivered', name='lct:b', seconds=DEADLINE)
        c.wait_event(event='delivered', name='lct:c', seconds=DEADLINE)
        self.assertNotIn('10.0.0.195', output(host_a))


class VanishedHost(LanTestCase):
    """A host that goes away without closing its sockets (issue 7 item 4)."""

    def test_link_down(self):
        """B's port on the bridge goes down (its cable pulled): nothing is closed, yet the
        heartbeats end A's session with B's publisher (Dropped), lan-cake drops B's
        host-cake and B's host-cake its lan-cake link; the same name published in C
        afterwards becomes Available in A.  (The time this takes is measured by
        bench/liveness_netns.py, not asserted here.)"""
        lan, hosts = self.standard_lan()
        subscriber = self.pubsub('A', 'sub-a', '--subscribe=lct:lan@LAN')
        b = self.pubsub('B', 'pub-b', '--publish=lct:lan@LAN')
        _, published = b.wait_event(event='published', name='lct:lan', seconds=DEADLINE)
        _, available = subscriber.wait_event(event='available', seconds=DEADLINE)
        self.assertEqual(available['published_id'], published['published_id'])
        b.wait_event(event='delivered', name='lct:lan', seconds=DEADLINE)
        hosts['B'].wait_line(r'Connected to the LAN directory at 10\.0\.0\.195:54195',
                             seconds=DEADLINE)

        start = len(subscriber.events)
        lan_mark, _ = lan.mark()
        b_mark, _ = hosts['B'].mark()
        self.bed.link_down('B')
        _, dropped = subscriber.wait_event(start, event='dropped', seconds=DEADLINE)
        self.assertEqual((dropped['name'], dropped['published_id']),
                         ('lct:lan', published['published_id']))
        lan.wait_line(r'Closing the directory link with 10\.0\.0\.12:\d+ \(no answer to a ping',
                      lan_mark, seconds=DEADLINE)
        lan.wait_line(r'Lost child HOST host-cake', lan_mark, seconds=DEADLINE)
        hosts['B'].wait_line(r'Lost the directory at 10\.0\.0\.195:54195', b_mark,
                             seconds=DEADLINE)
        # B's processes still run: only the link went.
        self.assertIsNone(b.process.poll())

        self.fallback_in_c(subscriber, start)
        self.assertEqual(len(subscriber.select(start, event='dropped')), 1)


class SecuredDirectory(LanTestCase):
    """lan-cake with a directory secret: a host with the wrong secret is refused."""

    def secret_file(self, name, data):
        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        path = os.path.join(folder, name)
        with open(path, 'wb') as f:
            f.write(data)
        os.chmod(path, 0o600)
        return path

    def secured(self, path, *command):
        return ['env', '%s=%s' % (SECRET_VARIABLE, path)] + list(command)

    def test_wrong_secret_refused(self):
        """lan-cake, host-cakes A and C and their processes share a secret; host-cake B
        has another.  lan-cake refuses B (logged), B logs why, B's LAN publication is
        never Available in A, while C's is, over a session that passed the handshake."""
        self.add_hosts(LAN_IP)
        right = self.secret_file('right', os.urandom(32).hex().encode('ascii'))
        wrong = self.secret_file('wrong', os.urandom(32).hex().encode('ascii'))
        lan = self.start('L', 'lan-cake', *python(os.path.join(ROOT, 'bin', 'lan-cake'),
                                                  '--debug-level=TRACE',
                                                  '--directory-secret=' + right))
        lan.wait_line(r'LAN directory at 0\.0\.0\.0:54195', seconds=DEADLINE)
        keys = {'A': right, 'B': wrong, 'C': right}
        hosts = {h: self.host_cake(h, '--directory-secret=' + keys[h]) for h in keys}
        for program in hosts.values():
            program.wait_line(r'HOST directory at 127\.0\.0\.1:54195', seconds=DEADLINE)

        subscriber = self.start('A', 'sub-a', *self.secured(keys['A'], *python(
            PUBSUB, '--tag=sub-a', '--subscribe=lct:.*@LAN')))
        b = self.start('B', 'pub-b', *self.secured(keys['B'], *python(
            PUBSUB, '--tag=pub-b', '--publish=lct:b@LAN')))
        subscriber.wait_event(event='subscribed', seconds=DEADLINE)
        b.wait_event(event='published', name='lct:b', seconds=DEADLINE)
        hosts['B'].wait_line(r'refused our proof of the directory secret', seconds=DEADLINE)
        lan.wait_line(r'Refusing a connection from %s:\d+ \(wrong proof of the directory '
                      r'secret\)' % (HOSTS['B'].replace('.', r'\.'),), seconds=DEADLINE)

        c = self.start('C', 'pub-c', *self.secured(keys['C'], *python(
            PUBSUB, '--tag=pub-c', '--publish=lct:c@LAN')))
        _, published = c.wait_event(event='published', name='lct:c', seconds=DEADLINE)
        _, available = subscriber.wait_event(event='available', seconds=DEADLINE)
        self.assertEqual((available['name'], available['published_id']),
                         ('lct:c', published['published_id']))
        c.wait_event(event='delivered', name='lct:c', seconds=DEADLINE)
        self.assertEqual(names_seen(subscriber, 'available'), ['lct:c'])
        self.assertNotIn('Connected to the LAN directory', output(hosts['B']))
        self.assertNotIn('lct:b', output(lan))


class EncryptedDirectory(LanTestCase):
    """lan-cake, host-cakes and processes with an encrypted directory (mutual TLS): the
    hosts that share the CA meet; a host with a CA of its own is refused."""

    def key_folder(self, host, ca=None):
        """A key folder for ``host``: empty, or holding the CA of folder ``ca`` (each
        host then issues its own node certificate, for its own names and address)."""
        folder = os.path.join(os.path.abspath(self.mktemp()), 'tls-' + host)
        os.makedirs(folder)
        if ca is not None:
            from layer_cake.net import tls
            for name in (tls.CA_CERTIFICATE, tls.CA_KEY):
                shutil.copy(os.path.join(ca, name), folder)
        return folder

    def with_keys(self, folder, *command):
        return ['env', 'LC_TLS_FOLDER=%s' % (folder,)] + list(command)

    def test_untrusted_host_refused(self):
        """lan-cake on the standard address proves a certificate naming 10.0.0.195 with
        no configuration beyond the shared CA; A and C share that CA, B has its own.
        B refuses lan-cake's certificate (logged: not from a CA it trusts) and lan-cake
        logs B's refusal; B's LAN publication never reaches A, C's does, over links
        that all passed TLS."""
        self.add_hosts(LAN_IP)
        try:
            from layer_cake.net import tls
        except ImportError:
            raise unittest.SkipTest('needs pyOpenSSL (the tls extra)')
        ca = self.key_folder('ca')
        tls.ensure_material(ca)
        keys = {'L': self.key_folder('L', ca), 'A': self.key_folder('A', ca),
                'B': self.key_folder('B'), 'C': self.key_folder('C', ca)}
        lan = self.start('L', 'lan-cake', *self.with_keys(keys['L'], *python(
            os.path.join(ROOT, 'bin', 'lan-cake'), '--debug-level=TRACE',
            '--encrypted-directory')))
        lan.wait_line(r'LAN directory at 0\.0\.0\.0:54195', seconds=DEADLINE)
        hosts = {h: self.start(h, 'host-cake-' + h.lower(), *self.with_keys(keys[h], *python(
            os.path.join(ROOT, 'bin', 'host-cake'), '--debug-level=TRACE',
            '--encrypted-directory'))) for h in ('A', 'B', 'C')}
        for program in hosts.values():
            program.wait_line(r'HOST directory at 127\.0\.0\.1:54195', seconds=DEADLINE)

        def pubsub(host, tag, *flags):
            return self.start(host, tag, *self.with_keys(keys[host], *python(
                PUBSUB, '--tag=%s' % (tag,), '--encrypted-process', *flags)))
        subscriber = pubsub('A', 'sub-a', '--subscribe=lct:.*@LAN')
        b = pubsub('B', 'pub-b', '--publish=lct:b@LAN')
        subscriber.wait_event(event='subscribed', seconds=DEADLINE)
        b.wait_event(event='published', name='lct:b', seconds=DEADLINE)
        hosts['B'].wait_line(r'Cannot use the directory at 10\.0\.0\.195:54195 \(TLS '
                             r'handshake failed: certificate verify failed',
                             seconds=DEADLINE)
        lan.wait_line(r'Refusing a directory connection from %s:\d+ \(TLS handshake '
                      r'failed: .*unknown ca' % (HOSTS['B'].replace('.', r'\.'),),
                      seconds=DEADLINE)

        c = pubsub('C', 'pub-c', '--publish=lct:c@LAN')
        _, published = c.wait_event(event='published', name='lct:c', seconds=DEADLINE)
        _, available = subscriber.wait_event(event='available', seconds=DEADLINE)
        self.assertEqual((available['name'], available['published_id']),
                         ('lct:c', published['published_id']))
        c.wait_event(event='delivered', name='lct:c', seconds=DEADLINE)
        for h in ('A', 'C'):
            hosts[h].wait_line(r'Connected to the LAN directory at 10\.0\.0\.195:54195',
                               seconds=DEADLINE)
        self.assertEqual(names_seen(subscriber, 'available'), ['lct:c'])
        self.assertNotIn('Connected to the LAN directory', output(hosts['B']))
        self.assertNotIn('lct:b', output(lan))
