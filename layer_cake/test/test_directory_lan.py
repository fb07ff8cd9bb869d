"""The LAN tier on one machine: the standard LAN address, a HOST node's automatic
LAN parent, lan-cake as a program, a twistd plugin and a role (network.md §8.6,
§9.2, §9.4; checklist item 38).

Nothing here reaches for a private address: the primary IP is stubbed where
it matters and the tiers then run on an in-memory reactor, and the real
lan-cake and host-cake processes listen on fresh 127.0.0.1 ports, never on
54195.  Across real (namespaced) hosts: ``test_lan_netns``.
"""

import os
import sys

from twisted.internet import defer, task
from twisted.python import usage
from twisted.trial import unittest

from layer_cake.directory import lan
from layer_cake.directory import lan_cake_tap
from layer_cake.directory.lan import (LAN_VARIABLE, automatic_lan_parent, directory_at_lan,
                                      standard_lan_address)
from layer_cake.directory.lan_cake import LAN_ACCEPT_AT, lan_tier
from layer_cake.directory.tier import Tier
from layer_cake.net.ipp import HostPort, ScopeOfDirectory as S
from layer_cake.test.support import set_environment
from layer_cake.test.test_cli import CliTestCase, environment
from layer_cake.test.test_directory_tier import (DEADLINE, Log, Net, Program, Seen,
                                                 TierProgramChecks, address_flag,
                                                 console_argv, first_wider_listing,
                                                 fresh_port, held,
                                                 publication, subscription, twistd_argv)

import layer_cake as lc


def lan_flag(port):
    return address_flag(port, 'directory-at-lan')


def lan_cake_argv(port):
    return console_argv(port, 'lan-cake', 'directory-at-lan')


def twistd_lan_cake_argv(port):
    return twistd_argv(port, 'lan-cake', 'directory-at-lan')


class Setting(object):
    """Set or remove LC_DIRECTORY_AT_LAN for one test; the tests' own 'off' comes back."""

    def lan_setting(self, value):
        set_environment(self, LAN_VARIABLE, value)

    def primary(self, ip):
        """Stub this host's primary IP (and forget what was last reported)."""
        self.patch(lan, 'get_local_ip', lambda: ip)
        self.patch(lan, '_reported', [None])


class StandardAddress(unittest.SynchronousTestCase, Setting):
    """Item 38: the standard LAN directory address from the primary IP."""

    def test_checklist(self):
        """192.168.1.37, 172.20.3.4 and 10.9.8.7 give .195 in their private range, port
        54195; 172.40.1.1, 8.8.8.8 and no IP give None."""
        for ip, wanted in [('192.168.1.37', HostPort('192.168.0.195', 54195)),
                           ('172.20.3.4', HostPort('172.16.0.195', 54195)),
                           ('172.40.1.1', None),
                           ('10.9.8.7', HostPort('10.0.0.195', 54195)),
                           ('8.8.8.8', None),
                           (None, None)]:
            self.primary(ip)
            self.assertEqual(directory_at_lan(), wanted, ip)

    def test_range_edges(self):
        """172.16-172.31 are private, 172.15 and 172.32 are not; 192.169 is not."""
        for ip, wanted in [('172.16.0.1', '172.16.0.195'), ('172.31.255.254', '172.16.0.195'),
                           ('172.15.1.1', None), ('172.32.1.1', None),
                           ('192.168.255.1', '192.168.0.195'), ('192.169.0.1', None),
                           ('10.255.255.254', '10.0.0.195'), ('11.0.0.1', None)]:
            found = standard_lan_address(ip)
            self.assertEqual(found.host if found is not None else None, wanted, ip)

    def test_not_a_dotted_quad(self):
        """Anything but four decimal octets gives None."""
        for ip in ['10.1.2', '10.1.2.3.4', '10.a.b.c', '10.-1.2.3', '10.1.2.300', '',
                   'fe80::1', ' 10.1.2.3', 42]:
            self.assertIsNone(standard_lan_address(ip), ip)

    def test_public_names(self):
        """lc.get_local_ip and lc.directory_at_lan are the directory's functions."""
        self.assertIn('get_local_ip', lc.__all__)
        self.assertIn('directory_at_lan', lc.__all__)
        self.assertIs(lc.directory_at_lan, directory_at_lan)
        self.assertIs(lc.get_local_ip, lan.get_local_ip)
        ip = lc.get_local_ip()
        self.assertTrue(ip is None or not ip.startswith(('127.', '0.', '169.254.')), ip)


class AutomaticParent(unittest.SynchronousTestCase, Setting):
    """Where a HOST node looks for lan-cake by itself, and the overrides."""

    def test_derived(self):
        """With no setting, the standard LAN address of the primary IP, else None with
        a console line saying why (once for the same reason)."""
        self.lan_setting(None)
        self.primary('192.168.7.8')
        self.assertEqual(automatic_lan_parent(), HostPort('192.168.0.195', 54195))
        self.primary('8.8.8.8')
        log = Log()
        self.assertIsNone(automatic_lan_parent(log))
        self.assertIsNone(automatic_lan_parent(log))
        self.assertEqual(log.lines, [('console', 'No standard LAN directory address: the '
                                                 'primary IP 8.8.8.8 is not in a private '
                                                 'range (give --directory-at-lan)')])

    def test_switched_off(self):
        """LC_DIRECTORY_AT_LAN=off: no automatic LAN parent, whatever the primary IP."""
        self.lan_setting('off')
        self.primary('10.9.8.7')
        log = Log()
        self.assertIsNone(automatic_lan_parent(log))
        self.assertIn('LC_DIRECTORY_AT_LAN=off', log.lines[0][1])

    def test_given_address(self):
        """LC_DIRECTORY_AT_LAN=<ip>:<port> names the LAN parent; a malformed value
        gives none (and says so) rather than a guess."""
        self.primary('10.9.8.7')
        self.lan_setting('127.0.0.1:29101')
        self.assertEqual(automatic_lan_parent(), HostPort('127.0.0.1', 29101))
        for bad in ['127.0.0.1', '127.0.0.1:', ':29101', '127.0.0.1:port', '1.2.3.4:70000']:
            self.lan_setting(bad)
            log = Log()
            self.assertIsNone(automatic_lan_parent(log), bad)
            self.assertIn('is not <ip>:<port>', log.lines[0][1])

    def test_host_node_connects_on_first_lan_listing(self):
        """A HOST node makes no connection for HOST listings; its first LAN listing
        connects it to the standard LAN address (in memory), where a LAN node then
        holds the listing; its retries follow the private schedule (32 s)."""
        self.lan_setting(None)
        self.primary('10.9.8.7')
        net = Net(self)
        host = net.tier(S.HOST, accept_at=HostPort('127.0.0.1', 4201))
        tried, far = first_wider_listing(self, net, host, S.HOST, S.LAN)
        self.assertEqual(tried, ('10.0.0.195', 54195))
        self.assertEqual(host.parent_link.address, HostPort('10.0.0.195', 54195))
        net.refuse()
        self.assertAlmostEqual(net.retry_in(), 32.0)
        top = net.tier(S.LAN, accept_at=HostPort('10.0.0.195', 54195))
        net.reactor.advance(32.0)
        net.connect()
        self.assertEqual(held(top), {far.published_id})

    def test_no_standard_address_no_connection(self):
        """A HOST node whose primary IP is not private stays alone with its LAN listings,
        and says why."""
        self.lan_setting(None)
        self.primary('8.8.8.8')
        net = Net(self)
        log = Log()
        host = net.tier(S.HOST, log=log)
        host.node.add(publication('far', S.LAN))
        host.node.add(subscription('far.*', S.LAN))
        self.assertEqual((net.reactor.tcpClients, host.parent_link), ([], None))
        self.assertIn('primary IP 8.8.8.8 is not in a private range',
                      ' '.join(text for _, text in log.lines))

    def test_explicit_parent_wins(self):
        """A HOST node given its LAN parent never asks for the automatic one."""
        self.lan_setting(None)

        def asked():
            raise AssertionError('the primary IP was asked for')
        self.patch(lan, 'get_local_ip', asked)
        net = Net(self)
        host = net.tier(S.HOST, connect_to=HostPort('127.0.0.1', 4202))
        host.node.add(publication('far', S.LAN))
        self.assertEqual([c[:2] for c in net.reactor.tcpClients], [('127.0.0.1', 4202)])

    def test_lan_node_never_guesses(self):
        """lan-cake's tier has no parent and looks for none, whatever it holds."""
        self.lan_setting(None)
        self.primary('10.9.8.7')
        net = Net(self)
        top = lan_tier(HostPort('127.0.0.1', 4203))
        self.assertEqual((top.scope, top.accept_at, top.auto_parent, top.parent_link),
                         (S.LAN, HostPort('127.0.0.1', 4203), None, None))
        plain = net.tier(S.LAN)
        plain.node.add(publication('far', S.LAN))
        plain.node.add(subscription('far', S.WAN))
        self.assertEqual((net.reactor.tcpClients, plain.parent_link), ([], None))
        self.assertEqual(lan_tier().accept_at, LAN_ACCEPT_AT)
        self.assertEqual(LAN_ACCEPT_AT, HostPort('0.0.0.0', 54195))


class LanCakeOptions(unittest.TestCase):
    """``twistd lan-cake``: options, service and plugin entry."""

    def test_options(self):
        """--directory-at-lan decodes to a HostPort (None when not given), --debug-level
        to a log level."""
        o = lan_cake_tap.Options()
        o.parseOptions(['--directory-at-lan={"host": "10.0.0.195", "port": 29101}',
                        '--debug-level=TRACE'])
        self.assertEqual(o['directory_at_lan'], HostPort('10.0.0.195', 29101))
        self.assertEqual(o['level'], lc.USER_LOG.TRACE)
        o = lan_cake_tap.Options()
        o.parseOptions([])
        self.assertEqual((o['directory_at_lan'], o['level']), (None, lc.USER_LOG.CONSOLE))

    def test_refused_options(self):
        """A bad address, an unknown level, TLS material that cannot be used and a
        flag of host-cake's are usage errors."""
        unusable = self.mktemp()
        with open(unusable, 'w') as f:
            f.write('a file, not a folder')
        for argv, words in [(['--directory-at-lan=[1'], 'cannot decode'),
                            (['--debug-level=LOUD'], 'unknown debug level'),
                            (['--encrypted-directory', '--tls-folder=%s' % (unusable,)],
                             'cannot encrypt the directory'),
                            (['--directory-at-host={"host": "127.0.0.1", "port": 1}'],
                             'directory-at-host')]:
            e = self.assertRaises(usage.UsageError, lan_cake_tap.Options().parseOptions, argv)
            self.assertIn(words, str(e))

    def test_make_service(self):
        """makeService gives a LAN tier with no parent, accepting at the given address
        or at 0.0.0.0:54195 (nothing is bound before twistd starts it)."""
        o = lan_cake_tap.Options()
        o.parseOptions(['--directory-at-lan={"host": "127.0.0.1", "port": 29101}'])
        s = lan_cake_tap.makeService(o)
        self.assertEqual((s.name, s.tier.scope, s.tier.accept_at, s.tier.parent_link),
                         ('lan-cake', S.LAN, HostPort('127.0.0.1', 29101), None))
        self.assertEqual(s.tier.executable, 'lan-cake')
        o = lan_cake_tap.Options()
        o.parseOptions([])
        self.assertEqual(lan_cake_tap.makeService(o).tier.accept_at,
                         HostPort('0.0.0.0', 54195))

    def test_plugin_found(self):
        """Twisted's plugin discovery (what twistd uses) finds lan-cake, made by the tap
        module."""
        from twisted.application.service import IServiceMaker
        from twisted.plugin import getPlugins
        makers = dict((m.tapname, m) for m in getPlugins(IServiceMaker))
        self.assertEqual(makers['lan-cake'].module, 'layer_cake.directory.lan_cake_tap')


@defer.inlineCallbacks
def output_with(program, text, seconds=DEADLINE):
    """Wait until ``text`` is in the program's output (fails if it ends first)."""
    from twisted.internet import reactor
    waited = 0.0
    while text not in program.output():
        if program.process.poll() is not None or waited > seconds:
            raise AssertionError('no %r in the output of %s:\n%s' % (
                text, program.process.args[:3], program.output()))
        yield task.deferLater(reactor, 0.1, lambda: None)
        waited += 0.1


class RealLanCake(unittest.TestCase, Setting, TierProgramChecks):
    """Real lan-cake and host-cake processes on 127.0.0.1, with HOST and GROUP tiers
    played by tiers in this process."""

    timeout = 4 * DEADLINE

    @defer.inlineCallbacks
    def meet_at_lan(self, argv_of, name):
        """lan-cake from ``argv_of``: two HOST tiers' LAN listings meet there, and the
        offer names the listener at the address its host connected from."""
        met = yield self.meet(argv_of, name, S.HOST, S.LAN, 'lan')
        self.assertEqual((met.offer.scope, met.offer.subscribed_id, met.offer.ipp),
                         (S.LAN, met.subscription.subscribed_id, HostPort('127.0.0.1', 41001)))
        yield output_with(met.program, 'LAN directory at 127.0.0.1:%d' % (met.port,))
        return met.program

    @defer.inlineCallbacks
    def test_lan_cake_console(self):
        """lan-cake: LAN listings of two hosts meet, the listener's host is the address
        the publishing host connected from; SIGINT ends it with Aborted."""
        top = yield self.meet_at_lan(lan_cake_argv, 'lan-cake')
        yield self.assert_interrupted(top, 'lan-cake')

    @defer.inlineCallbacks
    def test_twistd_lan_cake(self):
        """twistd -n lan-cake does the same and shuts down on SIGTERM."""
        top = yield self.meet_at_lan(twistd_lan_cake_argv, 'twistd')
        yield self.assert_terminated(top)

    def test_address_in_use(self):
        """lan-cake whose address is taken ends at once with a Faulted saying so."""
        return self.assert_address_in_use(lan_cake_argv, 'lan-cake')

    @defer.inlineCallbacks
    def test_host_cake_finds_lan_cake_by_setting(self):
        """host-cake with LC_DIRECTORY_AT_LAN=<lan-cake on loopback> stays alone until a
        LAN listing arrives, then connects there, and LAN listings of its groups meet at
        lan-cake (a LAN offer reaches the subscribing group)."""
        lan_port, host_port = fresh_port(), fresh_port()
        top = Program(self, lan_cake_argv(lan_port), 'lan-cake')
        yield top.answering(lan_port)
        setting = '%s=127.0.0.1:%d' % (LAN_VARIABLE, lan_port)
        host = Program(self, ['env', setting] + console_argv(host_port), 'host-cake')
        yield host.answering(host_port)
        offers = Seen()
        subscriber = Tier(S.GROUP, connect_to=HostPort('127.0.0.1', host_port),
                          on_local_offer=offers)
        publisher = Tier(S.GROUP, connect_to=HostPort('127.0.0.1', host_port))
        for tier in (subscriber, publisher):
            tier.startService()
            self.addCleanup(tier.stopService)
        s = subscription('lan:[0-9]+', S.LAN)
        subscriber.node.add(s)
        near = publication('host:1', S.HOST)
        publisher.node.add(near)
        self.assertNotIn('Connected to the LAN directory', host.output())
        p = publication('lan:1', S.LAN, host='0.0.0.0', port=41002)
        publisher.node.add(p)
        offer = yield offers.wait(lambda o: o.scope is S.LAN, what='offer at LAN scope')
        self.assertEqual(offer.published_id, p.published_id)
        yield output_with(host, 'Connected to the LAN directory at 127.0.0.1:%d' % (lan_port,))

    @defer.inlineCallbacks
    def test_host_cake_switched_off(self):
        """host-cake started by the tests (LC_DIRECTORY_AT_LAN=off) keeps a LAN listing
        to itself and says why."""
        host_port = fresh_port()
        host = Program(self, console_argv(host_port), 'host-cake')
        yield host.answering(host_port)
        group = Tier(S.GROUP, connect_to=HostPort('127.0.0.1', host_port))
        group.startService()
        self.addCleanup(group.stopService)
        group.node.add(publication('lan:1', S.LAN))
        yield output_with(host, 'No automatic LAN directory (LC_DIRECTORY_AT_LAN=off)')
        self.assertNotIn('Connected to the LAN directory', host.output())


LAUNCHER = """#!%s
from layer_cake.directory.lan_cake import main
main()
"""


class LanCakeRole(CliTestCase):
    """``layer-cake add lan-cake``: lan-cake as a role of a home."""

    timeout = 4 * DEADLINE

    def test_add_and_start(self):
        """With lan-cake on PATH (as an installed console script), add makes it a role
        with its settings checked by lan-cake itself; start runs it; stop ends it."""
        bin_folder = os.path.join(self.folder, 'bin')
        os.makedirs(bin_folder)
        launcher = os.path.join(bin_folder, 'lan-cake')
        with open(launcher, 'w') as f:
            f.write(LAUNCHER % (sys.executable,))
        os.chmod(launcher, 0o755)
        env = environment(PATH=bin_folder + os.pathsep + os.environ.get('PATH', ''))
        port = fresh_port()
        self.ok('create', env=env)
        self.assertIn('unknown arguments (directory-at-host)', self.fault(
            'add', 'lan-cake', '--directory-at-host={"host": "127.0.0.1", "port": 1}',
            env=env))
        self.ok('add', 'lan-cake', lan_flag(port), env=env)
        self.assertEqual(self.ok('list', env=env), 'lan-cake\n')
        self.assertEqual(self.settings('lan-cake')['directory_at_lan'],
                         HostPort('127.0.0.1', port))
        self.ok('start', env=env)
        self.wait_running(['group', 'lan-cake'])
        self.assertTrue(answers(port), 'lan-cake role not accepting at %d' % (port,))
        self.ok('stop', env=env)


def answers(port, seconds=DEADLINE):
    """True once 127.0.0.1:``port`` accepts a connection (False after ``seconds``)."""
    import socket
    import time
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        s = socket.socket()
        try:
            s.settimeout(5)
            s.connect(('127.0.0.1', port))
            return True
        except OSError:
            time.sleep(0.1)
        finally:
            s.close()
    return False
