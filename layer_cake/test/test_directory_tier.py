"""Directory tiers over AMP: links, reconnection, bad input, and host-cake
as a real process (network.md §8.2, §8.6, §9.1; items 34, 35, 37)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

from twisted.internet import defer, protocol, task
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.testing import MemoryReactorClock
from twisted.protocols import amp
from twisted.python import usage
from twisted.python.failure import Failure
from twisted.test import iosim
from twisted.internet.testing import StringTransport
from twisted.trial import unittest

from layer_cake.test.support import listen_port

from layer_cake.directory import host_cake_tap
from layer_cake.directory import tier_protocol as TP
from layer_cake.directory.lan import automatic_lan_parent
from layer_cake.directory.listing import (Publication, RouteOffer, RouteWithdrawal,
                                          Subscription, Withdrawn, encode_listing)
from layer_cake.directory.tier import (ChildFactory, FIRST_RETRY, ParentLink, Tier,
                                       reconnect_delay, standard_parent)
from layer_cake.net.ipp import DIRECTORY_AT_HOST, HostPort, ScopeOfDirectory as S
from layer_cake.process.entry import FAULTY_EXIT, exit_status_of
from layer_cake.runtime.messages import Aborted

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(ROOT, 'twisted', 'plugins', 'layer_cake_plugins.py')

# Ports of the in-memory reactor (nothing is bound).
TOP = 4101
MIDDLE = 4102


class Log(object):
    """A tier's log, kept."""

    def __init__(self):
        self.lines = []

    def _add(self, level, words):
        self.lines.append((level, ' '.join(str(w) for w in words)))

    def fault(self, *words):
        self._add('fault', words)

    def warning(self, *words):
        self._add('warning', words)

    def console(self, *words):
        self._add('console', words)

    def trace(self, *words):
        self._add('trace', words)

    def warnings(self):
        return [text for level, text in self.lines if level == 'warning']


class Pinned(object):
    """An RNG that returns the given values in turn, the last one forever."""

    def __init__(self, *values):
        self.values = list(values)

    def random(self):
        if len(self.values) > 1:
            return self.values.pop(0)
        return self.values[0]


def publication(name, scope=S.HOST, host='0.0.0.0', port=40001):
    return Publication(uuid.uuid4(), name, scope, False, HostPort(host, port), uuid.uuid4(),
                       uuid.uuid4())


def subscription(search, scope=S.HOST):
    return Subscription(uuid.uuid4(), search, scope, uuid.uuid4(), uuid.uuid4())


class Local(object):
    """What a tier hands to this process's own listings."""

    def __init__(self):
        self.offers = []
        self.withdrawals = []
        self.advice = []

    def callbacks(self):
        return {'on_local_offer': self.offers.append,
                'on_local_withdraw': self.withdrawals.append,
                'on_local_advice': self.advice.append}


class Net(object):
    """Tiers on one in-memory reactor; connections complete when the test says so."""

    def __init__(self, test):
        self.test = test
        self.reactor = MemoryReactorClock()
        self.completer = iosim.ConnectionCompleter(self.reactor)
        self.pumps = []
        self.tiers = []
        test.addCleanup(self.close)

    def tier(self, scope, local=None, rng=None, start=True, **kw):
        if local is not None:
            kw.update(local.callbacks())
        kw.setdefault('watch', lambda *args: None)     # no rendezvous in memory
        t = Tier(scope, reactor=self.reactor, log=kw.pop('log', None) or Log(),
                 rng=rng or Pinned(0.5), **kw)
        self.tiers.append(t)
        if start:
            t.startService()
        return t

    def close(self):
        """Stop every tier; in-memory connections close only when pumped."""
        stopping = [t.stopService() for t in self.tiers if t.running]
        self.flush()
        return defer.gatherResults(stopping)

    def connect(self):
        """Complete the oldest connection attempt; returns its pump."""
        pump = self.completer.succeedOnce()
        self.test.assertIsNotNone(pump, 'no connection attempt to complete')
        self.pumps.append(pump)
        self.flush()
        return pump

    def refuse(self):
        """Fail the oldest connection attempt."""
        self.completer.failOnce()

    def flush(self):
        moved = True
        while moved:
            moved = False
            for pump in self.pumps:
                if pump.flush():
                    moved = True

    def retry_in(self):
        """Seconds until the one pending retry (fails unless there is exactly one)."""
        calls = [c for c in self.reactor.getDelayedCalls() if c.active()]
        self.test.assertEqual(len(calls), 1, calls)
        return calls[0].getTime() - self.reactor.seconds()


def held(tier):
    """The ids a tier's node holds."""
    return set(tier.node.publications) | set(tier.node.subscriptions)


class Links(unittest.TestCase):

    timeout = 30

    def setUp(self):
        self.net = Net(self)
        self.top = self.net.tier(S.HOST, accept_at=HostPort('127.0.0.1', TOP))

    def test_hello_then_bulk_push(self):
        """A connecting child says Hello first, then pushes each listing wider than itself,
        one Push per listing; the parent holds them with that child as their origin."""
        child = self.net.tier(S.GROUP, connect_to=HostPort('127.0.0.1', TOP), start=False,
                              executable='group-cake', accept_at=HostPort('127.0.0.1', MIDDLE))
        wide = [publication('a', S.HOST), subscription('b.*', S.LAN)]
        for listing in wide + [publication('c', S.GROUP)]:
            child.node.add(listing)
        child.startService()
        pump = self.net.completer.succeedOnce(greet=False)
        self.net.pumps.append(pump)
        boxes = amp.parseString(b''.join(pump.clientIO.stream))
        self.assertEqual([b[amp.COMMAND] for b in boxes], [b'Hello', b'Push', b'Push'])
        self.net.flush()
        link, = self.top.children
        self.assertTrue(link.introduced)
        self.assertEqual((link.unique_id, link.scope, link.executable, link.accept_at,
                          link.incarnation),
                         (child.node.unique_id, S.GROUP, 'group-cake',
                          HostPort('127.0.0.1', MIDDLE), child.incarnation))
        self.assertEqual(held(self.top), set(listing.listing_id for listing in wide))
        self.assertTrue(all(h.origin is link for h in self.top.node.publications.values()))
        self.assertTrue(child.parent_link.introduced)
        self.assertEqual((child.parent_link.parent_id, child.parent_link.parent_scope),
                         (self.top.node.unique_id, S.HOST))

    def test_match_offers_to_the_right_child(self):
        """A match at the parent goes down as an Offer to the subscriber's child only,
        carrying the listener as seen from the host (127.0.0.1, port kept)."""
        to_sub, to_pub, to_other = Local(), Local(), Local()
        there = HostPort('127.0.0.1', TOP)
        sub = self.net.tier(S.GROUP, connect_to=there, local=to_sub)
        self.net.connect()
        pub = self.net.tier(S.GROUP, connect_to=there, local=to_pub)
        self.net.connect()
        other = self.net.tier(S.GROUP, connect_to=there, local=to_other)
        self.net.connect()
        s = subscription('svc:[0-9]+')
        sub.node.add(s)
        other.node.add(subscription('nothing'))
        p = publication('svc:1', host='0.0.0.0', port=41234)
        pub.node.add(p)
        self.net.flush()
        offer, = to_sub.offers
        self.assertEqual((offer.subscribed_id, offer.published_id, offer.scope, offer.name),
                         (s.subscribed_id, p.published_id, S.HOST, 'svc:1'))
        self.assertEqual((offer.ipp.host, offer.ipp.port), ('127.0.0.1', 41234))
        self.assertEqual((to_pub.offers, to_other.offers), ([], []))

    def test_lost_child_removes_and_retracts_upward(self):
        """Losing a child drops its listings at its parent, which retracts them further up;
        the subscriber of the lost publication hears the route withdrawn (origin lost)."""
        middle = self.net.tier(S.GROUP, accept_at=HostPort('127.0.0.1', MIDDLE),
                               connect_to=HostPort('127.0.0.1', TOP))
        self.net.connect()
        process = self.net.tier(S.PROCESS, connect_to=HostPort('127.0.0.1', MIDDLE))
        lost = self.net.connect()
        watcher = Local()
        watching = self.net.tier(S.GROUP, connect_to=HostPort('127.0.0.1', TOP), local=watcher)
        self.net.connect()
        p = publication('w:1')
        kept = publication('w:2', S.GROUP)
        process.node.add(p)
        process.node.add(kept)
        watching.node.add(subscription('w:.*'))
        self.net.flush()
        self.assertIn(p.published_id, held(middle))
        self.assertIn(p.published_id, held(self.top))
        self.assertEqual(len(watcher.offers), 1)
        lost.clientIO.loseConnection()
        self.net.flush()
        self.assertEqual(held(middle), set())
        self.assertNotIn(p.published_id, held(self.top))
        withdrawal, = watcher.withdrawals
        self.assertEqual((withdrawal.published_id, withdrawal.reason),
                         (p.published_id, Withdrawn.ORIGIN_LOST))
        # The process itself keeps what it published, for the next connection.
        self.assertEqual(held(process), {p.published_id, kept.published_id})

    def test_ping_both_ways(self):
        """Ping is answered by the parent and by the child."""
        child = self.net.tier(S.GROUP, connect_to=HostPort('127.0.0.1', TOP))
        self.net.connect()
        up = child.parent_link.ping()
        down = self.top.children[0].ask(TP.Ping)
        self.net.flush()
        self.assertEqual(self.successResultOf(up), {})
        self.assertEqual(self.successResultOf(down), {})

    def test_advice_reaches_home(self):
        """A name taken at the parent is advised down to the second publisher's own process."""
        first, second = Local(), Local()
        there = HostPort('127.0.0.1', TOP)
        a = self.net.tier(S.GROUP, connect_to=there, local=first)
        self.net.connect()
        b = self.net.tier(S.GROUP, connect_to=there, local=second)
        self.net.connect()
        a.node.add(publication('same'))
        self.net.flush()
        late = publication('same')
        b.node.add(late)
        self.net.flush()
        self.assertEqual([p.published_id for p in second.advice], [late.published_id])
        self.assertEqual(first.advice, [])
        self.assertTrue(any('multiple ids, same name' in w for w in self.top.log.warnings()))

    def test_retraction_travels_up_as_retracted(self):
        """An owner's retraction reaches the top as RETRACTED, so the subscriber's session
        ends; a lost link reaches it as ORIGIN_LOST (tier churn, sessions stay)."""
        watcher = Local()
        there = HostPort('127.0.0.1', TOP)
        watching = self.net.tier(S.GROUP, connect_to=there, local=watcher)
        self.net.connect()
        pub = self.net.tier(S.GROUP, connect_to=there)
        self.net.connect()
        s = subscription('r')
        watching.node.add(s)
        p = publication('r')
        pub.node.add(p)
        self.net.flush()
        self.assertTrue(pub.node.remove(p.published_id))
        self.net.flush()
        withdrawal, = watcher.withdrawals
        self.assertEqual(withdrawal.reason, Withdrawn.RETRACTED)
        self.assertEqual(held(self.top), {s.subscribed_id})


class Reconnecting(unittest.TestCase):

    timeout = 30

    def test_loopback_schedule(self):
        """A refused loopback parent is retried 8 s ±10 % later (RNG pinned at both ends);
        losing an established connection retries within 1 s, then the schedule resumes."""
        net = Net(self)
        there = HostPort('127.0.0.1', TOP)
        child = net.tier(S.GROUP, connect_to=there, rng=Pinned(1.0, 0.0, 1.0, 0.5))
        self.assertEqual(len(net.reactor.tcpClients), 1)
        net.refuse()
        self.assertAlmostEqual(net.retry_in(), 8.8)
        net.reactor.advance(8.7)
        self.assertEqual(net.reactor.tcpClients, [])
        net.reactor.advance(0.2)
        self.assertEqual(len(net.reactor.tcpClients), 1)
        net.refuse()
        self.assertAlmostEqual(net.retry_in(), 7.2)
        net.reactor.advance(7.2)
        net.tier(S.HOST, accept_at=there)
        pump = net.connect()
        self.assertTrue(child.parent_link.introduced)
        pump.serverIO.loseConnection()
        net.flush()
        self.assertFalse(child.parent_link.connected)
        first = net.retry_in()
        self.assertTrue(0 < first <= FIRST_RETRY, first)
        net.reactor.tcpServers.clear()          # the parent is gone for good
        net.reactor.advance(first)
        net.refuse()
        self.assertAlmostEqual(net.retry_in(), 8.0)

    def test_delay_by_address_class(self):
        """Reconnect delays follow the parent's address: loopback 8 s, private 32 s,
        other 120 s, spread ±10 %."""
        for host, base in [('127.0.0.1', 8.0), ('localhost', 8.0), ('10.1.2.3', 32.0),
                           ('192.168.1.5', 32.0), ('172.20.0.1', 32.0), ('8.8.8.8', 120.0)]:
            self.assertAlmostEqual(reconnect_delay(host, Pinned(0.5)), base)
            self.assertAlmostEqual(reconnect_delay(host, Pinned(0.0)), base * 0.9)
            self.assertAlmostEqual(reconnect_delay(host, Pinned(1.0)), base * 1.1)
        link = ParentLink(HostPort('10.0.0.195', 54195), None, rng=Pinned(0.5))
        self.assertAlmostEqual(link.retry_delay(1), 32.0)

    def test_repush_on_reconnect(self):
        """When the parent comes back (a new one on the same port), both children push
        everything again, including what was added while disconnected and nothing
        retracted meanwhile, and the parent matches anew."""
        net = Net(self)
        there = HostPort('127.0.0.1', TOP)
        top = net.tier(S.HOST, accept_at=there)
        got = Local()
        sub = net.tier(S.GROUP, connect_to=there, local=got)
        net.connect()
        pub = net.tier(S.GROUP, connect_to=there)
        net.connect()
        s = subscription('x:.*')
        sub.node.add(s)
        p, gone = publication('x:1'), publication('x:gone')
        pub.node.add(p)
        pub.node.add(gone)
        net.flush()
        self.assertEqual(len(got.offers), 2)
        top.stopService()
        net.flush()
        net.reactor.tcpServers.clear()
        self.assertFalse(sub.parent_link.connected or pub.parent_link.connected)
        late = publication('x:2')
        pub.node.add(late)
        pub.node.remove(gone.published_id)
        again = net.tier(S.HOST, accept_at=there)
        net.reactor.advance(FIRST_RETRY)
        net.connect()
        net.connect()
        self.assertEqual(held(again), {s.subscribed_id, p.published_id, late.published_id})
        fresh = got.offers[2:]
        self.assertEqual(sorted(o.name for o in fresh), ['x:1', 'x:2'])
        self.assertTrue(set(o.route_id for o in fresh).isdisjoint(
            o.route_id for o in got.offers[:2]))
        self.assertEqual(pub.parent_link.connections, 2)


def first_wider_listing(test, net, tier, near, far):
    """Give ``tier`` a publication and a subscription at scope ``near`` (no connection
    follows), then a publication at ``far``: the (host, port) of the one connection
    attempt that makes, and that publication."""
    tier.node.add(publication('near', near))
    tier.node.add(subscription('near.*', near))
    test.assertEqual((net.reactor.tcpClients, tier.parent_link), ([], None))
    wide = publication('wide', far)
    tier.node.add(wide)
    (host, port, _, _, _), = net.reactor.tcpClients
    return (host, port), wide


class AutoConnect(unittest.TestCase):

    timeout = 30

    def test_first_wider_listing_connects(self):
        """Without a parent, GROUP listings make no connection; the first HOST listing
        connects to the automatic parent, which then holds it."""
        net = Net(self)
        there = HostPort('127.0.0.1', TOP + 50)
        group = net.tier(S.GROUP, auto_parent=there)
        tried, h = first_wider_listing(self, net, group, S.GROUP, S.HOST)
        self.assertEqual(tried, ('127.0.0.1', TOP + 50))
        top = net.tier(S.HOST, accept_at=there)
        net.connect()
        self.assertEqual(held(top), {h.published_id})

    def test_wider_listing_from_a_child_connects(self):
        """A wider listing arriving from a child triggers the auto-connect too."""
        net = Net(self)
        there = HostPort('127.0.0.1', TOP + 51)
        group = net.tier(S.GROUP, accept_at=HostPort('127.0.0.1', MIDDLE), auto_parent=there)
        process = net.tier(S.PROCESS, connect_to=HostPort('127.0.0.1', MIDDLE))
        net.connect()
        self.assertEqual(net.reactor.tcpClients, [])
        process.node.add(subscription('s', S.HOST))
        net.flush()
        self.assertEqual([c[1] for c in net.reactor.tcpClients], [TOP + 51])
        self.assertIsNotNone(group.parent_link)

    def test_standard_parents(self):
        """PROCESS and GROUP nodes look for host-cake at 127.0.0.1:54195; a HOST node
        asks for the automatic LAN parent (switched off in the tests, so a LAN listing
        connects nowhere); LAN and LIBRARY nodes look for nobody."""
        self.assertEqual(standard_parent(S.PROCESS), DIRECTORY_AT_HOST)
        self.assertEqual(standard_parent(S.GROUP), DIRECTORY_AT_HOST)
        self.assertIs(standard_parent(S.HOST), automatic_lan_parent)
        for scope in (S.LAN, S.LIBRARY):
            self.assertIsNone(standard_parent(scope))
        net = Net(self)
        host = net.tier(S.HOST)
        host.node.add(publication('far', S.LAN))
        self.assertEqual((net.reactor.tcpClients, host.parent_link), ([], None))
        self.assertEqual(Tier(S.PROCESS).auto_parent, DIRECTORY_AT_HOST)


class Nonsense(amp.Command):
    """A command no tier knows."""
    arguments = []
    response = []


class BadInput(unittest.TestCase):
    """Each bad input is refused with a reason; the tier keeps serving the good child."""

    timeout = 30

    def setUp(self):
        self.net = Net(self)
        self.top = self.net.tier(S.HOST, accept_at=HostPort('127.0.0.1', TOP))
        self.good_local = Local()
        self.good = self.net.tier(S.GROUP, connect_to=HostPort('127.0.0.1', TOP),
                                  local=self.good_local)
        self.net.connect()
        self.good.node.add(subscription('ok:[0-9]+'))
        self.served = 0

    def assert_still_serving(self):
        self.served += 1
        self.good.node.add(publication('ok:%d' % (self.served,)))
        self.net.flush()
        # Matched at the good child's own node (GROUP) and at the tier (HOST).
        at_host = [o for o in self.good_local.offers if o.scope is S.HOST]
        self.assertEqual(len(at_host), self.served)

    def raw(self):
        """A bare AMP client connected to the tier: (client, its ChildLink, pump)."""
        client = TP.TierProtocol()
        client.log = Log()
        server = ChildFactory(self.top).buildProtocol(None)
        pump = iosim.connect(server, iosim.makeFakeServer(server), client,
                             iosim.makeFakeClient(client), clock=self.net.reactor)
        self.net.pumps.append(pump)
        return client, server, pump

    def call(self, client, command, **kw):
        """The outcome of a command: [answer] or [Failure] (AMP wants errbacks at once)."""
        outcome = []
        client.callRemote(command, **kw).addBoth(outcome.append)
        self.net.flush()
        self.assertEqual(len(outcome), 1, 'no answer')
        return outcome

    def introduced(self, scope=S.GROUP):
        client, server, pump = self.raw()
        d = self.call(client, TP.Hello, unique_id=str(uuid.uuid4()), scope=scope.name,
                      executable='test', incarnation=str(uuid.uuid4()))
        self.assertEqual(d[0]['scope'], 'HOST')
        return client, server, pump

    def refused(self, outcome, kind, words):
        """The command was answered with an error of ``kind`` whose text has ``words``
        (AMP turns an error code a command declares back into its exception)."""
        failure, = outcome
        self.assertIsInstance(failure, Failure)
        failure.trap(kind)
        self.assertIn(words, str(failure.value))

    def assert_closed(self, server, words):
        self.assertIsNone(server.transport)
        self.assertIn(words, server.closed_because)
        self.assertTrue(any(words in w for w in self.top.log.warnings()),
                        self.top.log.warnings())
        self.assertNotIn(server, self.top.children)

    def assert_open(self, client, server):
        self.assertIsNotNone(server.transport)
        self.assertIsNone(server.closed_because)
        d = self.call(client, TP.Push, listing=encode_listing(publication('after')))
        self.assertEqual(d, [{'held': True}])

    def test_malformed_box(self):
        """A box that is neither command nor answer closes that link only."""
        client, server, pump = self.raw()
        client.transport.write(amp.AmpBox(nonsense=b'1').serialize())
        self.net.flush()
        self.assert_closed(server, 'neither a command nor an answer')
        self.assert_still_serving()

    def test_answer_to_no_question(self):
        """An answer to a question never asked closes that link only."""
        client, server, pump = self.raw()
        client.transport.write(amp.AmpBox(_answer=b'77').serialize())
        self.net.flush()
        self.assert_closed(server, 'neither a command nor an answer')
        self.assert_still_serving()

    def test_oversized_box(self):
        """A box past 64 KiB is refused as it arrives, before it is even complete."""
        client, server, pump = self.raw()
        box = amp.AmpBox({b'_command': b'Push', b'_ask': b'1', b'a': b'x' * 35000,
                          b'b': b'y' * 35000})
        client.transport.write(box.serialize()[:-2])      # no end of box
        self.net.flush()
        self.assert_closed(server, 'a box of more than %d bytes' % (TP.BOX_LIMIT,))
        self.assert_still_serving()

    def test_long_key(self):
        """A key longer than AMP allows closes that link only."""
        client, server, pump = self.raw()
        client.transport.write(b'\x01\x00' + b'k' * 256)
        self.net.flush()
        self.assert_closed(server, 'a key of 256 bytes')
        self.assert_still_serving()

    def test_oversized_listing(self):
        """A listing text past the listing limit is refused with an error; the link stays."""
        client, server, pump = self.introduced()
        d = self.call(client, TP.Push, listing='x' * (TP.TEXT_LIMIT + 1))
        self.refused(d, TP.Refused, 'longer than %d' % (TP.TEXT_LIMIT,))
        self.assert_open(client, server)
        self.assert_still_serving()

    def test_unknown_command(self):
        """An unknown command gets AMP's UNHANDLED answer; the link stays."""
        client, server, pump = self.introduced()
        (failure,) = self.call(client, Nonsense)
        failure.trap(amp.UnhandledCommand)
        self.assert_open(client, server)
        self.assert_still_serving()

    def test_undecodable_listing(self):
        """A listing that does not decode (or is not a listing) is refused; the link stays."""
        client, server, pump = self.introduced()
        self.refused(self.call(client, TP.Push, listing='{"value": '), TP.Refused,
                     'does not decode')
        self.refused(self.call(client, TP.Push, listing=encode_listing(HostPort('h', 1))),
                     TP.Refused, 'does not decode (a HostPort)')
        self.assert_open(client, server)
        self.assert_still_serving()

    def test_listing_without_id(self):
        """A listing without its id or scope is refused."""
        client, server, pump = self.introduced()
        p = publication('noid')
        p.published_id = None
        self.refused(self.call(client, TP.Push, listing=encode_listing(p)), TP.Refused,
                     'no published_id')
        self.assert_open(client, server)

    def test_bad_regex(self):
        """A search that does not compile is refused with the reason; the link stays."""
        client, server, pump = self.introduced()
        d = self.call(client, TP.Push, listing=encode_listing(subscription('(')))
        self.refused(d, TP.Refused, 'bad expression')
        self.assertEqual(held(self.top) - {s for s in self.good.node.subscriptions}, set())
        self.assert_open(client, server)
        self.assert_still_serving()

    def test_control_characters(self):
        """Names and searches with control characters are refused; the link stays."""
        client, server, pump = self.introduced()
        d = self.call(client, TP.Push, listing=encode_listing(publication('a\x07b')))
        self.refused(d, TP.Refused, 'control characters')
        d = self.call(client, TP.Push, listing=encode_listing(subscription('a\nb')))
        self.refused(d, TP.Refused, 'control characters')
        self.assert_open(client, server)
        self.assert_still_serving()

    def test_bad_retraction(self):
        """A retraction whose id is not a UUID is refused; the link stays."""
        client, server, pump = self.introduced()
        self.refused(self.call(client, TP.Retract, listing_id='nope'), TP.Refused,
                     'not a UUID')
        self.assert_open(client, server)

    def test_missing_argument(self):
        """A command without its argument is answered MALFORMED and its link closed."""
        client, server, pump = self.introduced()
        d = []
        client.callRemoteString(b'Push').addBoth(d.append)
        self.net.flush()
        self.refused(d, amp.RemoteAmpError, 'malformed Push')
        self.assertEqual(d[0].value.errorCode, TP.MALFORMED)
        self.assert_closed(server, 'malformed Push')
        self.assert_still_serving()

    def test_push_before_hello(self):
        """A Push before Hello is refused and the link closed."""
        client, server, pump = self.raw()
        d = self.call(client, TP.Push, listing=encode_listing(publication('early')))
        self.refused(d, TP.NotIntroduced, 'Hello first')
        self.assertIsNone(server.transport)
        self.assert_still_serving()

    def test_hello_refused(self):
        """A Hello from a node no narrower than the parent, or with a bad id, is refused
        and its link closed."""
        for scope, unique_id, words in [('HOST', str(uuid.uuid4()), 'no child of'),
                                        ('GROUP', 'not-an-id', 'not a UUID'),
                                        ('NOWHERE', str(uuid.uuid4()), 'no scope named')]:
            client, server, pump = self.raw()
            d = self.call(client, TP.Hello, unique_id=unique_id, scope=scope,
                          executable='test', incarnation=str(uuid.uuid4()))
            self.refused(d, TP.HelloRefused, words)
            self.assertIsNone(server.transport)
        self.assert_still_serving()

    def test_bad_offer_down(self):
        """A child refuses an offer that does not decode, and keeps its parent link."""
        link = self.top.children[0]
        self.refused(self.call(link, TP.Offer, offer='garbage'), TP.Refused, 'does not decode')
        d = self.call(link, TP.Withdraw, withdrawal=encode_listing(
            RouteWithdrawal(uuid.uuid4(), S.HOST, None, uuid.uuid4())))
        self.refused(d, TP.Refused, 'no subscribed_id')
        d = self.call(link, TP.Offer, offer=encode_listing(
            RouteOffer(uuid.uuid4(), S.HOST, uuid.uuid4(), uuid.uuid4(), 'x')))
        self.assertEqual(d, [{'passed': False}])
        self.assertTrue(self.good.parent_link.introduced)
        self.assert_still_serving()


    # Commands told, not asked (what the tiers themselves send).

    def told(self, client, command, **kw):
        """Send ``command`` unasked; no box may come back."""
        received = []
        client.ampBoxReceived = received.append
        try:
            client.tell(command, **kw)
            self.net.flush()
        finally:
            del client.ampBoxReceived
        self.assertEqual(received, [])

    def test_told_push_held(self):
        """A Push told, not asked, is held and matched, and nothing is answered."""
        client, server, pump = self.introduced()
        p = publication('ok:900')
        self.told(client, TP.Push, listing=encode_listing(p))
        self.assertIn(p.published_id, held(self.top))
        self.assertEqual(len([o for o in self.good_local.offers if o.scope is S.HOST]), 1)
        self.assertIsNotNone(server.transport)

    def test_told_refusal_logged_here(self):
        """A refused Push that came unasked is logged by the tier; the link stays."""
        client, server, pump = self.introduced()
        self.told(client, TP.Push, listing='{"value": ')
        self.told(client, TP.Retract, listing_id='nope')
        warnings = self.top.log.warnings()
        self.assertTrue(any('Refused Push' in w and 'does not decode' in w for w in warnings),
                        warnings)
        self.assertTrue(any('Refused Retract' in w and 'not a UUID' in w for w in warnings),
                        warnings)
        self.assertIsNone(server.closed_because)
        self.assert_open(client, server)
        self.assert_still_serving()

    def test_told_before_hello(self):
        """A Push told before Hello closes the link, as the asked one does."""
        client, server, pump = self.raw()
        self.told(client, TP.Push, listing=encode_listing(publication('early')))
        self.assert_closed(server, 'Hello first')
        self.assert_still_serving()

    def test_told_malformed(self):
        """A told Push without its argument closes the link as malformed."""
        client, server, pump = self.introduced()
        client._sendBoxCommand(b'Push', amp.AmpBox(), requiresAnswer=False)
        self.net.flush()
        self.assert_closed(server, 'malformed Push')
        self.assert_still_serving()

    def test_told_bad_offer_down(self):
        """A child logs an offer told that does not decode, and keeps its parent link."""
        link = self.top.children[0]
        link.tell(TP.Offer, offer='garbage')
        self.net.flush()
        self.assertTrue(any('Refused Offer' in w for w in self.good.log.warnings()),
                        self.good.log.warnings())
        self.assertTrue(self.good.parent_link.introduced)
        self.assert_still_serving()


class BoxReading(unittest.TestCase):
    """Boxes read at the start of a box go through one loop; the rest through AMP's
    parser.  Either way the same boxes come out, however the bytes are cut."""

    def boxes(self, chunks):
        got = []

        class Recording(TP.TierProtocol):
            def ampBoxReceived(self, box):
                got.append(dict(box))
        p = Recording()
        p.makeConnection(StringTransport())
        for chunk in chunks:
            p.dataReceived(chunk)
        return got, p

    def test_any_cut(self):
        """Three boxes (one with an empty value, one near a key's limit) cut into two
        reads at every offset, and one byte at a time."""
        sent = [{b'_command': b'Push', b'listing': b'x' * 300},
                {b'_command': b'Retract', b'listing_id': b'', b'k' * 255: b'v'},
                {b'_answer': b'7'}]
        data = b''.join(amp.AmpBox(b).serialize() for b in sent)
        for cut in range(len(data) + 1):
            got, p = self.boxes([data[:cut], data[cut:]])
            self.assertEqual(got, sent, cut)
            self.assertEqual(p._unprocessed, b'')
        got, p = self.boxes([data[i:i + 1] for i in range(len(data))])
        self.assertEqual(got, sent)

    def test_limits_still_hold(self):
        """A key too long, or a box over the limit, read at the start of a box,
        closes the link as AMP's parser does."""
        got, p = self.boxes([b'\x01\x00' + b'k' * 256])
        self.assertEqual(got, [])
        self.assertIn('a key of 256 bytes', p.closed_because)
        big = b''.join(amp.AmpBox({b'a%d' % i: b'x' * 60000}).serialize()[:-2]
                       for i in range(2)) + b'\x00\x00'
        got, p = self.boxes([big])
        self.assertEqual(got, [])
        self.assertIn('a box of more than', p.closed_because)


class HostCakeOptions(unittest.TestCase):

    def test_options(self):
        """twistd host-cake options decode to HostPorts and a log level."""
        o = host_cake_tap.Options()
        o.parseOptions(['--directory-at-host={"host": "127.0.0.1", "port": 29100}',
                        '--directory-at-lan={"host": "10.0.0.195", "port": 54195}',
                        '--debug-level=TRACE'])
        self.assertEqual(o['directory_at_host'], HostPort('127.0.0.1', 29100))
        self.assertEqual(o['directory_at_lan'], HostPort('10.0.0.195', 54195))
        o = host_cake_tap.Options()
        o.parseOptions([])
        self.assertEqual((o['directory_at_host'], o['directory_at_lan']), (None, None))

    def test_refused_options(self):
        """TLS material that cannot be used, a bad address and an unknown level are
        usage errors."""
        unusable = self.mktemp()
        with open(unusable, 'w') as f:
            f.write('a file, not a folder')
        for argv, words in [(['--encrypted-directory', '--tls-folder=%s' % (unusable,)],
                             'cannot encrypt the directory'),
                            (['--directory-at-host=[1'], 'cannot decode'),
                            (['--debug-level=LOUD'], 'unknown debug level')]:
            e = self.assertRaises(usage.UsageError, host_cake_tap.Options().parseOptions, argv)
            self.assertIn(words, str(e))

    def test_make_service(self):
        """makeService gives a HOST tier accepting at the given address, under lan-cake
        when one is given."""
        o = host_cake_tap.Options()
        o.parseOptions(['--directory-at-host={"host": "127.0.0.1", "port": 29100}',
                        '--directory-at-lan={"host": "10.0.0.195", "port": 54195}'])
        s = host_cake_tap.makeService(o)
        self.assertEqual(s.tier.scope, S.HOST)
        self.assertEqual(s.tier.accept_at, HostPort('127.0.0.1', 29100))
        self.assertEqual(s.tier.parent_link.address, HostPort('10.0.0.195', 54195))
        o = host_cake_tap.Options()
        o.parseOptions([])
        s = host_cake_tap.makeService(o)
        self.assertEqual(s.tier.accept_at, DIRECTORY_AT_HOST)
        self.assertIsNone(s.tier.parent_link)

    def test_plugin_entry(self):
        """The plugin file names the tap module and the command host-cake."""
        space = {}
        with open(PLUGINS) as f:
            exec(compile(f.read(), PLUGINS, 'exec'), space)
        maker = space['host_cake']
        self.assertEqual(maker.tapname, 'host-cake')
        self.assertEqual(maker.module, 'layer_cake.directory.host_cake_tap')


# host-cake as a real process.

# Generous: each start imports Twisted, and the machine is shared.
DEADLINE = 60.0


def fresh_port():
    """A loopback port nobody listens on, for a server started later."""
    return listen_port()


def address_flag(port, flag='directory-at-host'):
    return '--%s=%s' % (flag, json.dumps({'host': '127.0.0.1', 'port': port}))


def console_argv(port, program='host-cake', flag='directory-at-host'):
    """``program`` (from bin/) accepting at ``flag`` = 127.0.0.1:``port``."""
    return [sys.executable, os.path.join(ROOT, 'bin', program), address_flag(port, flag),
            '--debug-level=TRACE']


def twistd_argv(port, program='host-cake', flag='directory-at-host'):
    """``twistd -n <program>`` accepting at ``flag`` = 127.0.0.1:``port``."""
    twistd = os.path.join(os.path.dirname(sys.executable), 'twistd')
    return [twistd, '-n', '--pidfile=', '--logfile=-', program, address_flag(port, flag),
            '--debug-level=TRACE']


class Program(object):
    """A program run by a test, its output in a file, killed by PID at the end."""

    def __init__(self, test, argv, name, env=None):
        env = dict(os.environ, **(env or {}))
        env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
        folder = test.mktemp()
        os.makedirs(folder)
        self.output_path = os.path.join(folder, name + '.log')
        with open(self.output_path, 'wb') as output:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output,
                                            stderr=subprocess.STDOUT, env=env, cwd=folder)
        self.pid = self.process.pid
        test.addCleanup(self.kill)

    def output(self):
        with open(self.output_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def kill(self, sig=signal.SIGKILL):
        if self.process.poll() is None:
            try:
                os.kill(self.pid, sig)
            except OSError:
                pass
        if sig == signal.SIGKILL:
            self.process.wait(DEADLINE)

    @defer.inlineCallbacks
    def ended(self, seconds=DEADLINE):
        """The exit status, once the program has ended."""
        from twisted.internet import reactor
        deadline = time.monotonic() + seconds
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError('still running after %s s:\n%s' % (seconds,
                                                                         self.output()))
            yield task.deferLater(reactor, 0.05, lambda: None)
        return self.process.returncode

    @defer.inlineCallbacks
    def answering(self, port, seconds=DEADLINE):
        """Wait until ``port`` accepts a connection (fails if the program ends first)."""
        from twisted.internet import reactor
        from twisted.internet.error import ConnectError
        deadline = time.monotonic() + seconds
        while True:
            if self.process.poll() is not None:
                raise AssertionError('ended (%s) before answering:\n%s' % (
                    self.process.returncode, self.output()))
            endpoint = TCP4ClientEndpoint(reactor, '127.0.0.1', port, timeout=5)
            try:
                p = yield endpoint.connect(protocol.Factory.forProtocol(protocol.Protocol))
            except ConnectError:
                if time.monotonic() > deadline:
                    raise AssertionError('port %d not answering after %s s:\n%s' % (
                        port, seconds, self.output()))
                yield task.deferLater(reactor, 0.1, lambda: None)
                continue
            p.transport.loseConnection()
            return


class Seen(object):
    """Things a callback was given, and Deferreds for the ones still to come."""

    def __init__(self):
        self.items = []
        self._waiting = []

    def __call__(self, item):
        self.items.append(item)
        for entry in list(self._waiting):
            test, d = entry
            if test(item):
                self._waiting.remove(entry)
                d.callback(item)

    def wait(self, test=lambda item: True, seconds=DEADLINE, what='it'):
        """The first item (already seen or still to come) for which ``test`` holds."""
        from twisted.internet import reactor
        for item in self.items:
            if test(item):
                return defer.succeed(item)
        d = defer.Deferred()
        self._waiting.append((test, d))

        def late(failure):
            failure.trap(defer.TimeoutError)
            raise AssertionError('no %s within %s s' % (what, seconds))
        return d.addTimeout(seconds, reactor).addErrback(late)


class Met(object):
    """What :meth:`TierProgramChecks.meet` made."""


class TierProgramChecks(object):
    """A tier program run as a process (host-cake, lan-cake): its children played by
    tiers in this process, and how it ends."""

    def child(self, scope, port, **kw):
        """A tier of ``scope`` in this process whose parent is the program on ``port``;
        its ``up`` and ``down`` see the parent link come and go."""
        up, down = Seen(), Seen()
        tier = Tier(scope, connect_to=HostPort('127.0.0.1', port), on_parent_up=up,
                    on_parent_down=down, **kw)
        tier.up, tier.down = up, down
        tier.startService()
        self.addCleanup(tier.stopService)
        return tier

    @defer.inlineCallbacks
    def meet(self, argv_of, name, child_scope, scope, prefix):
        """Run ``argv_of(port)`` on a fresh port; once it answers, two child tiers of
        ``child_scope`` give it a subscription ``<prefix>:[0-9]+`` and a publication
        ``<prefix>:1`` (listening at 0.0.0.0:41001), both at ``scope``; wait for the
        offer that follows."""
        met = Met()
        met.port = fresh_port()
        met.program = Program(self, argv_of(met.port), name)
        yield met.program.answering(met.port)
        met.offers = Seen()
        met.subscriber = self.child(child_scope, met.port, on_local_offer=met.offers)
        met.publisher = self.child(child_scope, met.port)
        met.subscription = subscription(prefix + ':[0-9]+', scope)
        met.publication = publication(prefix + ':1', scope, port=41001)
        met.subscriber.node.add(met.subscription)
        met.publisher.node.add(met.publication)
        met.offer = yield met.offers.wait(
            lambda o: o.published_id == met.publication.published_id,
            what='offer from %s' % (name,))
        return met

    @defer.inlineCallbacks
    def assert_interrupted(self, program, name):
        """SIGINT ends the console program with Aborted."""
        program.kill(signal.SIGINT)
        status = yield program.ended()
        self.assertEqual(status, exit_status_of(Aborted()))
        self.assertIn('%s: aborted' % (name,), program.output())

    @defer.inlineCallbacks
    def assert_terminated(self, program):
        """SIGTERM shuts twistd down; twistd then ends by that signal, as it always does."""
        program.kill(signal.SIGTERM)
        status = yield program.ended()
        self.assertEqual(status, -signal.SIGTERM)
        self.assertIn('Server Shut Down.', program.output())

    @defer.inlineCallbacks
    def assert_address_in_use(self, argv_of, name):
        """The program whose address is taken ends at once with a Faulted saying so."""
        taken = socket.socket()
        taken.bind(('127.0.0.1', 0))
        taken.listen(1)
        self.addCleanup(taken.close)
        program = Program(self, argv_of(taken.getsockname()[1]), name)
        status = yield program.ended()
        self.assertEqual(status, FAULTY_EXIT)
        self.assertIn('cannot accept directories at', program.output())


class RealHostCake(unittest.TestCase, TierProgramChecks):
    """Real host-cake processes on 127.0.0.1, with groups played by tiers in this process."""

    timeout = 4 * DEADLINE

    @defer.inlineCallbacks
    def churn(self, argv_of, name):
        met = yield self.meet(argv_of, name, S.GROUP, S.HOST, 'e2e')
        port, offers, subscriber, publisher = met.port, met.offers, met.subscriber, met.publisher
        s, p, first, host = met.subscription, met.publication, met.offer, met.program
        self.assertEqual((first.scope, first.subscribed_id, first.ipp),
                         (S.HOST, s.subscribed_id, HostPort('127.0.0.1', 41001)))

        # SIGKILL: both groups lose their parent and keep their listings.
        host.kill()
        yield subscriber.down.wait(what='subscriber losing host-cake')
        yield publisher.down.wait(what='publisher losing host-cake')
        self.assertEqual(held(publisher), {p.published_id})
        again = Program(self, argv_of(port), name + '-again')
        yield again.answering(port)

        # Both groups reconnect and push again, so the new host-cake matches anew ...
        repushed = yield offers.wait(
            lambda o: o.published_id == p.published_id and o.route_id != first.route_id,
            what='offer after re-push')
        self.assertEqual(repushed.subscribed_id, s.subscribed_id)
        self.assertEqual((publisher.parent_link.connections,
                          subscriber.parent_link.connections), (2, 2))
        # ... and a publication made now reaches the existing subscriber.
        late = publication('e2e:2', port=41002)
        publisher.node.add(late)
        fresh = yield offers.wait(lambda o: o.published_id == late.published_id,
                                  what='offer for a new publication')
        self.assertEqual(fresh.ipp, HostPort('127.0.0.1', 41002))
        return again

    @defer.inlineCallbacks
    def test_host_cake_churn(self):
        """host-cake: a HOST publication and subscription from two groups meet; after
        SIGKILL and a restart on the same port both groups re-push, are matched again, and a
        new publication is matched (item 34, the directory's part)."""
        again = yield self.churn(console_argv, 'host-cake')
        yield self.assert_interrupted(again, 'host-cake')
        self.assertIn('HOST directory at 127.0.0.1:', again.output())

    @defer.inlineCallbacks
    def test_twistd_host_cake_churn(self):
        """twistd -n host-cake does the same, and shuts down on SIGTERM (twistd then ends
        by that signal, as it always does)."""
        again = yield self.churn(twistd_argv, 'twistd')
        yield self.assert_terminated(again)
        self.assertIn('HOST directory at 127.0.0.1:', again.output())

    @defer.inlineCallbacks
    def test_address_in_use(self):
        """host-cake whose address is taken ends at once with a Faulted saying so."""
        yield self.assert_address_in_use(console_argv, 'host-cake')

    @defer.inlineCallbacks
    def test_unusable_tls_material(self):
        """host-cake --encrypted-directory whose TLS folder cannot be used ends at once
        with a Faulted saying so."""
        unusable = os.path.abspath(self.mktemp())
        with open(unusable, 'w') as f:
            f.write('a file, not a folder')
        host = Program(self, console_argv(fresh_port()) + ['--encrypted-directory'],
                       'host-cake', env={'LC_TLS_FOLDER': unusable})
        status = yield host.ended()
        self.assertEqual(status, FAULTY_EXIT)
        self.assertIn('cannot encrypt the directory', host.output())
