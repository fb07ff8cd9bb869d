"""Liveness of directory links and sessions that leave the host (issue 7 item 4;
network.md §2.4, §8.6): the heartbeat setting, and the Ping heartbeat on AMP
links, driven by an in-memory reactor's clock."""

import os
import uuid

from twisted.internet.address import IPv4Address
from twisted.protocols import amp
from twisted.test import iosim
from twisted.trial import unittest

import layer_cake as lc
from layer_cake.directory import liveness
from layer_cake.directory import process_directory
from layer_cake.directory.listing import Withdrawn
from layer_cake.directory.liveness import (HEARTBEAT, HEARTBEAT_VARIABLE, LINK_WINDOW,
                                           heartbeat, leaves_host)
from layer_cake.directory.tier import FIRST_RETRY
from layer_cake.net.ipp import HostPort, ScopeOfDirectory as S
from layer_cake.test.support import RuntimeTestCase
from layer_cake.test.test_directory_tier import (Local, Net, TOP, held, publication,
                                                 subscription)

REMOTE = '10.0.0.11'


def complete_from(net, peer_host):
    """Complete the oldest connection attempt as if the child connected from
    ``peer_host``; the pump is the test's own (Net.flush leaves it alone)."""
    reactor = net.reactor
    for i, client in enumerate(reactor.tcpClients):
        for server in reactor.tcpServers:
            if server[0] == client[1]:
                reactor.tcpClients.remove(client)
                reactor.connectors.pop(i)
                child_end = client[2].buildProtocol(None)
                parent_end = server[1].buildProtocol(None)
                parent_transport = iosim.FakeTransport(
                    parent_end, True, peerAddress=IPv4Address('TCP', peer_host, 50123))
                return iosim.connect(parent_end, parent_transport, child_end,
                                     iosim.makeFakeClient(child_end), clock=reactor)
    raise AssertionError('no connection attempt to complete')


def commands(stream):
    """The AMP command names in what one end wrote."""
    return [b.get(amp.COMMAND) for b in amp.parseString(b''.join(stream))]


class Setting(unittest.TestCase):

    def test_standard_period(self):
        """Without LC_HEARTBEAT the period is HEARTBEAT (2 s), and sessions use it."""
        self.assertEqual(heartbeat({}), HEARTBEAT)
        self.assertEqual(HEARTBEAT, 2.0)
        self.assertEqual(process_directory.SESSION_HEARTBEAT, HEARTBEAT)

    def test_variable(self):
        """LC_HEARTBEAT replaces the period with its number of seconds."""
        self.assertEqual(heartbeat({HEARTBEAT_VARIABLE: '0.5'}), 0.5)
        self.assertEqual(heartbeat({HEARTBEAT_VARIABLE: '30'}), 30.0)

    def test_bad_variable(self):
        """A value that is not a number of seconds in range leaves the standard period."""
        for text in ('fast', '0', '-1', '1e9', 'nan'):
            self.assertEqual(heartbeat({HEARTBEAT_VARIABLE: text}), HEARTBEAT, text)

    def test_module_setting(self):
        """The module setting is read each time (a program may set it before starting)."""
        self.patch(liveness, 'HEARTBEAT', 4.0)
        self.assertEqual(heartbeat({}), 4.0)

    def test_leaves_host(self):
        """Loopback peers (and unknown ones) do not leave the host; others do."""
        for host in (None, '', 'localhost', '127.0.0.1', '127.1.2.3', '::1'):
            self.assertFalse(leaves_host(host), host)
        for host in ('10.0.0.195', '192.168.0.7', '8.8.8.8', 'lan-cake.example'):
            self.assertTrue(leaves_host(host), host)


class LinkHeartbeat(unittest.TestCase):

    timeout = 30

    def setUp(self):
        self.patch(liveness, 'HEARTBEAT', 2.0)
        self.net = Net(self)

    def test_loopback_links_are_quiet(self):
        """A link between tiers of one host carries no pings, however long it is idle."""
        top = self.net.tier(S.HOST, accept_at=HostPort('127.0.0.1', TOP))
        child = self.net.tier(S.GROUP, connect_to=HostPort('127.0.0.1', TOP))
        pump = self.net.connect()
        pump.clientIO.stream[:] = []
        pump.serverIO.stream[:] = []
        self.net.reactor.advance(60)
        self.assertEqual((pump.clientIO.stream, pump.serverIO.stream), ([], []))
        self.assertIsNone(getattr(child.parent_link.protocol, 'heartbeat', None))
        self.assertIsNone(getattr(top.children[0], 'heartbeat', None))

    def test_child_pings_a_remote_parent(self):
        """A child whose parent is on another host pings it every period; while the
        answers come, the link stays up."""
        self.net.tier(S.LAN, accept_at=HostPort('10.0.0.195', TOP))
        child = self.net.tier(S.HOST, connect_to=HostPort('10.0.0.195', TOP))
        pump = self.net.connect()
        link = child.parent_link
        self.assertTrue(link.introduced)
        for _ in range(5):
            pump.clientIO.stream[:] = []
            self.net.reactor.advance(HEARTBEAT)
            self.assertEqual(commands(pump.clientIO.stream), [b'Ping'])
            self.net.flush()
        self.assertTrue(link.introduced)
        self.assertEqual(link.protocol.heartbeat.beats, 5)
        self.assertEqual(child.log.warnings(), [])

    def test_child_closes_a_silent_parent(self):
        """A remote parent that stops answering is given up LINK_WINDOW after the ping:
        the link closes and the child tries again within FIRST_RETRY."""
        self.net.tier(S.LAN, accept_at=HostPort('10.0.0.195', TOP))
        child = self.net.tier(S.HOST, connect_to=HostPort('10.0.0.195', TOP))
        pump = self.net.connect()
        self.net.pumps.remove(pump)     # from now on nothing crosses
        self.addCleanup(self.net.pumps.append, pump)    # for the closes at the end
        protocol = child.parent_link.protocol
        self.net.reactor.advance(HEARTBEAT)
        self.net.reactor.advance(LINK_WINDOW - 0.1)
        self.assertFalse(protocol.transport.disconnecting)
        self.net.reactor.advance(0.2)
        self.assertTrue(protocol.transport.disconnecting)
        self.assertIn('no answer to a ping within 3 s', protocol.closed_because)
        self.assertTrue(any('no answer to a ping' in w for w in child.log.warnings()))
        pump.flush()                    # the close reaches the child's end
        self.assertFalse(child.parent_link.connected)
        retries = [c.getTime() - self.net.reactor.seconds()
                   for c in self.net.reactor.getDelayedCalls() if c.active()]
        self.assertTrue(any(0 < r <= FIRST_RETRY for r in retries), retries)

    def test_parent_drops_a_silent_remote_child(self):
        """A parent pings a child connected from another host; when the child stops
        answering, it is dropped LINK_WINDOW after the ping, and what came through it
        is withdrawn as ORIGIN_LOST (tier churn: sessions stay up)."""
        top = self.net.tier(S.LAN, accept_at=HostPort('0.0.0.0', TOP))
        watcher = Local()
        watching = self.net.tier(S.HOST, connect_to=HostPort('127.0.0.1', TOP), local=watcher)
        self.net.connect()
        far = self.net.tier(S.HOST, connect_to=HostPort('127.0.0.1', TOP))
        pump = complete_from(self.net, REMOTE)
        self.addCleanup(self.net.pumps.append, pump)    # for the closes at the end
        remote, = [c for c in top.children if c.peer_host == REMOTE]
        self.assertIsNotNone(remote.heartbeat)
        p = publication('far:1', S.LAN)
        far.node.add(p)
        watching.node.add(subscription('far:.*', S.LAN))
        pump.flush()
        self.net.flush()
        self.assertEqual([o.published_id for o in watcher.offers], [p.published_id])
        # One beat answered, then the child's host vanishes.
        self.net.reactor.advance(HEARTBEAT)
        pump.flush()
        self.assertEqual(remote.heartbeat.beats, 1)
        self.net.reactor.advance(HEARTBEAT)
        self.net.reactor.advance(LINK_WINDOW - 0.1)
        self.assertFalse(remote.transport.disconnecting)
        self.net.reactor.advance(0.2)
        self.assertTrue(remote.transport.disconnecting)
        pump.flush()
        self.net.flush()
        self.assertNotIn(remote, top.children)
        self.assertNotIn(p.published_id, held(top))
        withdrawal, = watcher.withdrawals
        self.assertEqual((withdrawal.published_id, withdrawal.reason),
                         (p.published_id, Withdrawn.ORIGIN_LOST))
        self.assertTrue(any('no answer to a ping' in w for w in top.log.warnings()))

    def test_heartbeat_stops_with_the_link(self):
        """A link that closes leaves no heartbeat call behind."""
        self.net.tier(S.LAN, accept_at=HostPort('10.0.0.195', TOP))
        child = self.net.tier(S.HOST, connect_to=HostPort('10.0.0.195', TOP))
        pump = self.net.connect()
        beating = child.parent_link.protocol.heartbeat
        pump.serverIO.loseConnection()
        self.net.flush()
        self.assertFalse(beating.running)
        self.assertEqual((beating._next, beating._deadline), (None, None))


class SessionPeriod(RuntimeTestCase):

    def test_session_connection_uses_the_setting(self):
        """A session connection to a publisher's listener asks for keep-alive with the
        period LC_HEARTBEAT gives."""
        from layer_cake.directory.listing import RouteOffer
        from layer_cake.directory.service import process_directory as directory
        from layer_cake.runtime import engine
        calls = []
        self.patch(process_directory, 'connect', lambda *a, **kw: calls.append(kw))
        self.patch(os, 'environ', dict(os.environ, **{HEARTBEAT_VARIABLE: '0.7'}))
        subscriber = self.channel()
        lc.subscribe(subscriber, 'svc')
        s, _ = self.receive(subscriber, lc.Subscribed)
        d = directory()
        offer = RouteOffer(uuid.uuid4(), S.HOST, s.subscribed_id, uuid.uuid4(), 'svc', False,
                           HostPort('127.0.0.1', 40999), uuid.uuid4())
        engine.call_and_wait(lambda: d.node.pass_offer(offer))
        options, = calls
        self.assertEqual((options['keep_alive'], options['keep_alive_period']), (True, 0.7))
