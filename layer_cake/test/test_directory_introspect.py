"""Questions about the directory tree (network.md §8.7, §10): listings and pings
that travel along the tier links, opening a process's directory, and the lines
``layer-cake network`` prints for them."""

import uuid

from twisted.protocols import amp
from twisted.python.failure import Failure
from twisted.trial import unittest

import layer_cake as lc
from layer_cake.cli import network_verbs as N
from layer_cake.directory import introspect as I
from layer_cake.directory import tier as T
from layer_cake.directory import tier_protocol as TP
from layer_cake.directory.listing import Publication, Subscription
from layer_cake.directory.service import directory_address, process_directory
from layer_cake.net.ipp import HostPort, ScopeOfDirectory as S
from layer_cake.runtime import engine
from layer_cake.test.support import RuntimeTestCase
from layer_cake.test.test_directory_tier import (MIDDLE, TOP, Net, publication,
                                                 subscription)


class Tree(unittest.TestCase):
    """host-cake (TOP) with a group (MIDDLE) holding one process, and an asking
    process connected to host-cake after the group; all in memory."""

    timeout = 30

    def setUp(self):
        self.net = Net(self)
        self.top = self.net.tier(S.HOST, accept_at=HostPort('127.0.0.1', TOP),
                                 executable='host-cake', primary_ip='10.1.2.3')
        self.group = self.net.tier(S.GROUP, accept_at=HostPort('127.0.0.1', MIDDLE),
                                   connect_to=HostPort('127.0.0.1', TOP),
                                   executable='group-cake')
        self.net.connect()
        self.process = self.net.tier(S.PROCESS, connect_to=HostPort('127.0.0.1', MIDDLE),
                                     executable='test_worker_10.py')
        self.net.connect()
        self.asker = self.net.tier(S.PROCESS, connect_to=HostPort('127.0.0.1', TOP),
                                   executable='layer-cake')
        self.net.connect()

    def ids(self, *tiers):
        return [t.node.unique_id for t in tiers]

    def fetch(self, d):
        self.net.flush()
        return self.successResultOf(d)

    def refused(self, d, words):
        # Taken before the answer can arrive: AMP treats an error nobody is
        # waiting for as the end of the link.
        outcome = []
        d.addBoth(outcome.append)
        self.net.flush()
        failure, = outcome
        self.assertIsInstance(failure, Failure)
        failure.trap(TP.Unreachable)
        self.assertIn(words, failure.getErrorMessage())

    def test_alone_describes_itself(self):
        """A node with no parent is the top of its tree: the empty path names it, and its
        listing says so (no parent address, nothing below)."""
        alone = self.net.tier(S.PROCESS, auto_parent=None, executable='layer-cake')
        listing = self.successResultOf(alone.describe())
        self.assertEqual((listing.unique_id, listing.scope, listing.executable),
                         (alone.node.unique_id, S.PROCESS, 'layer-cake'))
        self.assertIsNone(listing.connect_to_directory.host)
        self.assertIsNone(listing.accept_directories_at.host)
        self.assertEqual(listing.sub_directory, [])
        self.assertTrue(listing.primary_ip)

    def test_list_from_the_root(self):
        """The empty path climbs to the top-most connected node, which answers with its
        children in the order they connected, each with how to reach it."""
        listing = self.fetch(self.asker.describe())
        self.assertEqual((listing.unique_id, listing.scope, listing.executable,
                          listing.primary_ip), (self.top.node.unique_id, S.HOST, 'host-cake',
                                                '10.1.2.3'))
        self.assertEqual(listing.accept_directories_at, HostPort('127.0.0.1', TOP))
        self.assertIsNone(listing.connect_to_directory.host)
        self.assertEqual([(c.unique_id, c.scope, c.executable) for c in listing.sub_directory],
                         [(self.group.node.unique_id, S.GROUP, 'group-cake'),
                          (self.asker.node.unique_id, S.PROCESS, 'layer-cake')])
        self.assertTrue(all(isinstance(c.connected_from, HostPort)
                            for c in listing.sub_directory))

    def test_down_the_path(self):
        """A path from the top reaches a node two links below, through the group."""
        p = publication('svc:1', S.HOST)
        self.process.node.add(p)
        path = self.ids(self.top, self.group, self.process)
        listing = self.fetch(self.asker.describe(path))
        self.assertEqual((listing.unique_id, listing.executable),
                         (self.process.node.unique_id, 'test_worker_10.py'))
        self.assertEqual(listing.connect_to_directory, HostPort('127.0.0.1', MIDDLE))
        self.assertEqual([x.published_id for x in listing.published], [p.published_id])

    def test_up_and_across(self):
        """From the process inside the group, a question climbs to the top and comes down
        to the asking process beside the group."""
        listing = self.fetch(self.process.describe(self.ids(self.top, self.asker)))
        self.assertEqual(listing.unique_id, self.asker.node.unique_id)

    def test_the_asker_itself(self):
        """A path that ends at the asking node is answered on the spot."""
        listing = self.successResultOf(self.asker.describe(self.ids(self.top, self.asker)))
        self.assertEqual(listing.unique_id, self.asker.node.unique_id)

    def test_routes_and_holdings(self):
        """The node where a match is made lists it as routed (name, subscription,
        publication), next to what it holds."""
        s = subscription('svc:.*')
        p = publication('svc:9', S.HOST)
        self.asker.node.add(s)
        self.process.node.add(p)
        self.net.flush()
        top = self.fetch(self.asker.describe())
        self.assertEqual([(r.name, r.subscribed_id, r.published_id) for r in top.routed],
                         [('svc:9', s.subscribed_id, p.published_id)])
        self.assertEqual([x.subscribed_id for x in top.subscribed], [s.subscribed_id])
        self.assertEqual([x.listening_ipp.host for x in top.published], ['127.0.0.1'])
        group = self.fetch(self.asker.describe(self.ids(self.top, self.group)))
        self.assertEqual(group.routed, [])

    def test_no_such_node(self):
        """A path naming nobody is answered UNREACHABLE with the reason, and the links
        stay up for the next question."""
        self.refused(self.asker.describe(self.ids(self.top) + [uuid.uuid4()]), 'no node')
        self.refused(self.asker.describe([uuid.uuid4()]), 'no node')
        self.refused(self.asker.ping(self.ids(self.top, self.group) + [uuid.uuid4()]),
                     'no node')
        self.assertIsNone(self.fetch(self.asker.ping(self.ids(self.top, self.group))))
        self.assertTrue(all(link.closed_because is None for link in self.top.children))

    def test_never_back_up(self):
        """A question coming down for a path the child is not on is refused there, not
        sent back up."""
        link = self.top.children[0]
        d = link.callRemote(TP.Describe, path=[str(uuid.uuid4())])
        self.refused(d, 'not on the path')
        d = link.callRemote(TP.Ping, path=[str(self.top.node.unique_id)])
        self.refused(d, 'not on the path')

    def test_bad_path(self):
        """A path that is not a list of ids is refused, and the link stays up."""
        d = self.asker.parent_link.protocol.callRemote(TP.Describe, path=['nonsense'])
        self.refused(d, 'not a list of ids')
        self.assertIsNone(self.fetch(self.asker.ping(self.ids(self.top))))

    def test_ping_through_the_tree(self):
        """A Ping with a path is answered by that node; without one, by the link's far
        end as before."""
        self.assertIsNone(self.fetch(self.asker.ping(self.ids(self.top, self.group,
                                                              self.process))))
        self.assertIsNone(self.fetch(self.asker.ping(self.ids(self.top))))
        self.assertEqual(self.fetch(self.asker.parent_link.ping()), {})

    def test_lost_on_the_way(self):
        """A link that closes while a question is on it fails the question, with a reason."""
        d = self.asker.describe(self.ids(self.top, self.group, self.process))
        to_top, to_group, from_asker = self.net.pumps
        from_asker.flush()              # the question reaches host-cake,
        to_top.flush()                  # then the group, which asks the process
        to_group.clientIO.loseConnection()     # ... which never gets to answer
        self.refused(d, 'no answer through')

    def test_long_listing_in_parts(self):
        """A listing longer than one AMP value comes back in parts cut from one snapshot,
        and arrives whole; no box goes over the limit."""
        many = [publication('svc:%04d:%s' % (i, 'x' * 200), S.HOST) for i in range(400)]
        for p in many:
            self.process.node.add(p)
        self.net.flush()
        listing = self.fetch(self.asker.describe(self.ids(self.top, self.group,
                                                          self.process)))
        self.assertEqual(sorted(x.published_id for x in listing.published),
                         sorted(p.published_id for p in many))
        self.assertEqual(len(self.process._snapshots), 1)
        data, _ = list(self.process._snapshots.values())[0]
        self.assertGreater(len(data), 2 * TP.PART)
        self.assertTrue(all(link.closed_because is None for link in self.top.children))

    def test_snapshot_expires(self):
        """A snapshot is dropped after SNAPSHOT_LIFE seconds; asking for a part of it then
        is refused."""
        for i in range(400):
            self.top.node.add(publication('svc:%04d:%s' % (i, 'y' * 200), S.HOST))
        first = self.top._part(None, None)
        token = first['snapshot']
        self.assertEqual(len(first['part']), TP.PART)
        self.assertEqual(self.top._part(token, TP.PART)['size'], first['size'])
        self.net.reactor.advance(T.SNAPSHOT_LIFE + 1)
        self.assertRaises(TP.Unreachable, self.top._part, token, TP.PART)


class Opening(unittest.TestCase):
    """Reaching for the parent, and saying how it went."""

    timeout = 30

    def setUp(self):
        self.net = Net(self)

    def test_connected(self):
        """With a parent address, open fires True once the parent has answered Hello."""
        self.net.tier(S.HOST, accept_at=HostPort('127.0.0.1', TOP))
        child = self.net.tier(S.PROCESS, auto_parent=None)
        d = child.open_directory(S.HOST, HostPort('127.0.0.1', TOP))
        self.assertNoResult(d)
        self.net.connect()
        self.assertIs(self.successResultOf(d), True)
        self.assertIs(self.successResultOf(child.open_directory()), True)

    def test_attempt_failed(self):
        """When the attempt to reach the parent fails, open fires False and the link
        keeps the reason."""
        child = self.net.tier(S.PROCESS, auto_parent=None)
        d = child.open_directory(S.HOST, HostPort('127.0.0.1', TOP))
        self.net.refuse()
        self.assertIs(self.successResultOf(d), False)
        self.assertTrue(child.parent_link.last_failure)

    def test_automatic_parent(self):
        """Without an address, a listing scope wider than the node starts the automatic
        parent; a scope that is not wider, or no automatic parent, opens nothing."""
        child = self.net.tier(S.PROCESS, auto_parent=HostPort('127.0.0.1', TOP))
        self.assertIs(self.successResultOf(child.open_directory(S.PROCESS)), False)
        self.assertIsNone(child.parent_link)
        d = child.open_directory(S.HOST)
        self.assertEqual(child.parent_link.address, HostPort('127.0.0.1', TOP))
        self.net.refuse()
        self.assertIs(self.successResultOf(d), False)
        lonely = self.net.tier(S.PROCESS, auto_parent=None)
        self.assertIs(self.successResultOf(lonely.open_directory(S.HOST)), False)


class ProcessQuestions(RuntimeTestCase):
    """The requests a program sends its own process directory."""

    def ask(self, ch, message, *replies):
        return ch.ask(message, replies, directory_address(), seconds=10.0)

    def test_open_without_parent(self):
        """OpenDirectory with no parent to reach answers at once, not connected."""
        ch = self.channel()
        m, i = self.ask(ch, I.OpenDirectory(S.HOST), I.DirectoryOpened)
        self.assertEqual(i, 0)
        self.assertFalse(m.connected)
        self.assertIn('no parent', m.note)

    def test_describe_and_ping_self(self):
        """Alone, the process's own node is the top: DescribeNode([]) lists it and a
        PingNode to it answers with the same sequence; an unknown node does not."""
        ch = self.channel()
        m, i = self.ask(ch, I.DescribeNode([]), I.DirectoryListing, I.NotDescribed)
        self.assertEqual((i, m.unique_id, m.scope),
                         (0, process_directory().node.unique_id, S.PROCESS))
        m, i = self.ask(ch, I.PingNode([m.unique_id], 7), I.NodePinged, I.NotPinged)
        self.assertEqual((i, m.sequence), (0, 7))
        m, i = self.ask(ch, I.PingNode([uuid.uuid4()], 8), I.NodePinged, I.NotPinged)
        self.assertEqual((i, m.sequence), (1, 8))
        self.assertIn('no node', m.note)
        m, i = self.ask(ch, I.DescribeNode([uuid.uuid4()]), I.DirectoryListing,
                        I.NotDescribed)
        self.assertEqual(i, 1)

    def test_enquiry_accepts_children(self):
        """Enquiry (§8.7): the node starts accepting child directories on loopback and
        answers where; asked again, the same place; a child node connects there and is
        listed under it."""
        ch = self.channel()
        m, i = self.ask(ch, lc.Enquiry(), lc.HostPort, lc.Faulted)
        self.assertEqual(i, 0)
        self.assertEqual(m.host, '127.0.0.1')
        self.assertGreater(m.port, 0)
        again, _ = self.ask(ch, lc.Enquiry(), lc.HostPort, lc.Faulted)
        self.assertEqual(again.port, m.port)
        child = T.Tier(S.LIBRARY, connect_to=m, auto_parent=None, executable='child.py',
                       reactor=engine.reactor)
        engine.call_and_wait(child.startService)
        self.addCleanup(engine.call_and_wait, child.stopService)
        import time
        deadline = time.monotonic() + 20.0
        while True:
            listing, _ = self.ask(ch, I.DescribeNode([]), I.DirectoryListing, I.NotDescribed)
            if listing.sub_directory:
                break
            self.assertLess(time.monotonic(), deadline, 'the child never appeared')
            time.sleep(0.05)
        self.assertEqual(len(listing.sub_directory), 1)

    def test_sessions_in_the_listing(self):
        """A process's listing shows each subscription with its in-process session, and
        what it publishes, subscribes and routes at its own node."""
        publisher, subscriber = self.channel(), self.channel()
        lc.publish(publisher, 'svc', scope=S.PROCESS)
        p, _ = publisher.select(lc.Published, seconds=10.0)
        lc.subscribe(subscriber, 'svc', scope=S.PROCESS)
        s, _ = subscriber.select(lc.Subscribed, seconds=10.0)
        subscriber.select(lc.Available, seconds=10.0)
        lc.subscribe(subscriber, 'nothing-.*', scope=S.PROCESS)
        quiet, _ = subscriber.select(lc.Subscribed, seconds=10.0)
        ch = self.channel()
        m, i = self.ask(ch, I.DescribeNode([]), I.DirectoryListing, I.NotDescribed)
        self.assertEqual(i, 0)
        self.assertEqual([x.published_id for x in m.published], [p.published_id])
        self.assertEqual([x.subscribed_id for x in m.subscribed],
                         [s.subscribed_id, quiet.subscribed_id])
        self.assertEqual([(r.name, r.subscribed_id, r.published_id) for r in m.routed],
                         [('svc', s.subscribed_id, p.published_id)])
        first, second = m.peer
        self.assertEqual((first.search, first.subscribed_id, second.search, second.sessions),
                         ('svc', s.subscribed_id, 'nothing-.*', []))
        session, = first.sessions
        self.assertEqual((session.name, session.scope, session.status, session.subscribed_id,
                          session.published_id),
                         ('svc', S.PROCESS, I.Session.IN_PROCESS, s.subscribed_id,
                          p.published_id))


class Lines(unittest.TestCase):
    """What ``layer-cake network`` prints for a listing."""

    def listing(self):
        return I.DirectoryListing(
            uuid.UUID('0d44e2f9-1111-2222-3333-444455556666'), 'test_server_10.py', S.PROCESS,
            '192.168.1.7', HostPort('127.0.0.1', 40100), None)

    def test_node_line(self):
        """The node line: bare scope, executable, 8-hex id or the full UUID, and with
        addresses the primary IP, <C> and <L>, an unset one as (not set)."""
        listing = self.listing()
        self.assertEqual(N.node_line(listing, False, False),
                         '[PROCESS] test_server_10.py (0d44e2f9)')
        self.assertEqual(N.node_line(listing, True, False),
                         '[PROCESS] test_server_10.py (0d44e2f9-1111-2222-3333-444455556666)')
        self.assertEqual(N.node_line(listing, False, True),
                         '[PROCESS] test_server_10.py (0d44e2f9) 192.168.1.7 '
                         '<C>127.0.0.1:40100 <L>(not set)')

    def test_session_lines(self):
        """One line per session state, as §10.1 writes them."""
        sid = uuid.UUID('aaaaaaaa-0000-0000-0000-000000000000')
        pid = uuid.UUID('bbbbbbbb-0000-0000-0000-000000000000')
        here, there = HostPort('127.0.0.1', 5001), HostPort('127.0.0.1', 6002)
        cases = [
            (I.NameSession('n', S.GROUP, I.Session.CONNECTED, sid, pid, here, there),
             '> "n"[GROUP] (127.0.0.1:5001 -> 127.0.0.1:6002)'),
            (I.NameSession('n', S.PROCESS, I.Session.IN_PROCESS, sid, pid),
             '> "n"[PROCESS] (aaaaaaaa -> bbbbbbbb)'),
            (I.NameSession('n', S.HOST, I.Session.PENDING, sid, pid, None, there,
                           'LoopOpened'),
             '> "n"[HOST] 127.0.0.1:6002 (unexpected "LoopOpened")'),
            (I.NameSession('n', None, I.Session.NO_ROUTE, sid), '> "n" (no active route)'),
            (I.NameSession('n', S.HOST, I.Session.FAILED, sid, pid, None, there,
                           'connection refused'),
             '> "n"[HOST] 127.0.0.1:6002 (connection refused)'),
        ]
        for session, line in cases:
            self.assertEqual(N.session_line(session, False), line)

    def test_list_lines(self):
        """Published with and without a listener, subscribed, routed and connected, each
        one level below the node (sessions two)."""
        sid = uuid.UUID('aaaaaaaa-0000-0000-0000-000000000000')
        pid = uuid.UUID('bbbbbbbb-0000-0000-0000-000000000000')
        listing = self.listing()
        listing.published = [Publication(pid, 'w:1', S.HOST, False, HostPort('127.0.0.1', 7)),
                             Publication(pid, 'inner', S.PROCESS)]
        listing.subscribed = [Subscription(sid, 'w:.*')]
        listing.routed = [I.Routed('w:1', sid, pid)]
        listing.peer = [I.SubscriberSessions('w:.*', sid, S.HOST, [
            I.NameSession('w:1', None, I.Session.NO_ROUTE, sid)])]
        lines = N.listing_lines(listing, False, True, True, True, True)
        self.assertEqual(lines, [
            (1, '# "w:1" (bbbbbbbb) 127.0.0.1:7'),
            (1, '# "inner" (bbbbbbbb)'),
            (1, '? "w:.*" (aaaaaaaa)'),
            (1, '<> "w:1" (aaaaaaaa -> bbbbbbbb)'),
            (1, '? "w:.*" (aaaaaaaa)'),
            (2, '> "w:1" (no active route)')])
        self.assertEqual(N.listing_lines(listing, False, False, False, False, False), [])


class Boxes(unittest.TestCase):
    """The new commands keep to AMP's limits."""

    def test_part_fits_a_box(self):
        """A full part with its keys and the other answer values stays under BOX_LIMIT."""
        box = TP.Describe.makeResponse({'part': b'x' * TP.PART, 'size': 10 ** 9,
                                        'snapshot': uuid.uuid4().hex}, amp.AMP())
        size = sum(len(k) + len(v) for k, v in box.items())
        self.assertLess(size, TP.BOX_LIMIT)
