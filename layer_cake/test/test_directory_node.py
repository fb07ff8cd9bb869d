"""The directory node's bookkeeping with fake links (network.md §8.2-§8.4, item 37)."""

import uuid

from twisted.trial import unittest

from layer_cake.directory.listing import (Publication, RouteOffer, Subscription, Withdrawn,
                                          decode_listing, encode_listing)
from layer_cake.directory.node import DirectoryNode
from layer_cake.net.ipp import HostPort, ScopeOfDirectory as S


class Recorder(object):
    """The node's environment: everything it decides, in order."""

    def __init__(self):
        self.events = []

    def push_up(self, listing):
        self.events.append(('up', listing))

    def retract_up(self, listing_id):
        self.events.append(('retract', listing_id))

    def offer(self, origin, offer):
        self.events.append(('offer', origin, offer))

    def withdraw(self, origin, withdrawal):
        self.events.append(('withdraw', origin, withdrawal))

    def advise(self, origin, publication):
        self.events.append(('advise', origin, publication))

    def warn(self, text):
        self.events.append(('warn', text))

    def kinds(self):
        return [e[0] for e in self.events]

    def of(self, kind):
        return [e for e in self.events if e[0] == kind]


class Child(object):
    """A child link as the node sees it: opaque, with the peer's address."""

    def __init__(self, peer_host='127.0.0.1'):
        self.peer_host = peer_host


def publication(name, scope=S.HOST, host='0.0.0.0', port=40001):
    return Publication(uuid.uuid4(), name, scope, False, HostPort(host, port), uuid.uuid4(),
                       uuid.uuid4())


def subscription(search, scope=S.HOST):
    return Subscription(uuid.uuid4(), search, scope, uuid.uuid4(), uuid.uuid4())


class Forwarding(unittest.TestCase):

    def node(self, scope):
        self.env = Recorder()
        return DirectoryNode(scope, self.env)

    def test_wider_goes_up(self):
        """A GROUP node pushes a HOST listing to its parent."""
        node = self.node(S.GROUP)
        p = publication('a', S.HOST)
        self.assertTrue(node.add(p, Child()))
        ups = self.env.of('up')
        self.assertEqual(len(ups), 1)
        self.assertEqual(ups[0][1].published_id, p.published_id)

    def test_own_scope_stays(self):
        """A GROUP listing at a GROUP node is held and matched, not pushed."""
        node = self.node(S.GROUP)
        self.assertTrue(node.add(publication('a', S.GROUP), Child()))
        self.assertTrue(node.add(subscription('a', S.GROUP), Child()))
        self.assertEqual(self.env.of('up'), [])
        self.assertEqual(len(self.env.of('offer')), 1)

    def test_narrower_ignored(self):
        """A HOST node ignores a GROUP listing: held nowhere, matched with nothing."""
        node = self.node(S.HOST)
        self.assertFalse(node.add(publication('a', S.GROUP), Child()))
        self.assertFalse(node.add(subscription('a', S.GROUP), Child()))
        self.assertEqual(self.env.events, [])
        self.assertEqual(node.publications, {})

    def test_host_rewrites_listener_host(self):
        """At GROUP and HOST nodes a listener's host becomes 127.0.0.1, its port kept."""
        for scope in (S.GROUP, S.HOST):
            node = self.node(scope)
            p = publication('a', S.LAN, host='0.0.0.0', port=41234)
            node.add(p, Child('10.0.0.7'))
            held = node.publications[p.published_id].listing
            self.assertEqual((held.listening_ipp.host, held.listening_ipp.port),
                             ('127.0.0.1', 41234))

    def test_lan_rewrites_to_peer(self):
        """At the LAN node a listener's host becomes the child connection's peer address."""
        node = self.node(S.LAN)
        p = publication('a', S.LAN, host='0.0.0.0', port=41234)
        node.add(p, Child('10.0.0.7'))
        held = node.publications[p.published_id].listing
        self.assertEqual((held.listening_ipp.host, held.listening_ipp.port),
                         ('10.0.0.7', 41234))

    def test_lost_child_removes_and_retracts(self):
        """Losing a child drops its listings, withdraws their routes (origin lost) and
        retracts them upward; the other child's listings stay."""
        node = self.node(S.GROUP)
        a, b = Child(), Child()
        p = publication('w:1', S.HOST)
        s = subscription('w:.*', S.HOST)
        node.add(p, a)
        node.add(s, b)
        self.env.events = []
        self.assertEqual(node.lose_origin(a), 1)
        self.assertEqual(self.env.kinds(), ['withdraw', 'retract'])
        _, origin, w = self.env.events[0]
        self.assertIs(origin, b)
        self.assertEqual((w.subscribed_id, w.published_id, w.reason),
                         (s.subscribed_id, p.published_id, Withdrawn.ORIGIN_LOST))
        self.assertEqual(self.env.events[1][1], p.published_id)
        self.assertIn(s.subscribed_id, node.subscriptions)
        self.assertEqual(node.routes, {})

    def test_upward_bulk(self):
        """On (re)connecting, the node pushes everything wider than itself, nothing else."""
        node = self.node(S.GROUP)
        wide = [publication('a', S.HOST), subscription('b', S.LAN)]
        for listing in wide + [publication('c', S.GROUP), subscription('d', S.GROUP)]:
            node.add(listing, Child())
        ids = sorted(str(listing.listing_id) for listing in node.upward())
        self.assertEqual(ids, sorted(str(listing.listing_id) for listing in wide))


class Matching(unittest.TestCase):

    def setUp(self):
        self.env = Recorder()
        self.node = DirectoryNode(S.HOST, self.env)

    def test_full_match_both_orders(self):
        """Regex full match (item 26): two of four names match, whichever comes first."""
        s = subscription('w:[-a-f0-9]+')
        names = ['w:%s' % uuid.uuid4(), 'w:xyz', 'w', 'w:%s' % uuid.uuid4()]
        pubs = [publication(n) for n in names]
        self.node.add(pubs[0])
        self.node.add(s)
        for p in pubs[1:]:
            self.node.add(p)
        offers = self.env.of('offer')
        self.assertEqual(sorted(o[2].name for o in offers), sorted([names[0], names[3]]))
        self.assertEqual(len(set(o[2].route_id for o in offers)), 2)
        self.assertTrue(all(o[2].scope is S.HOST for o in offers))

    def test_offer_carries_listener(self):
        """The offer names the publication, its listener and its process incarnation."""
        p = publication('svc', port=40404)
        s = subscription('svc')
        origin = Child()
        self.node.add(s, origin)
        self.node.add(p, Child())
        (_, to, offer), = self.env.of('offer')
        self.assertIs(to, origin)
        self.assertEqual((offer.published_id, offer.subscribed_id, offer.ipp.port,
                          offer.incarnation), (p.published_id, s.subscribed_id, 40404,
                                               p.incarnation))

    def test_duplicate_name_refused_and_advised(self):
        """A second id with a taken name is refused here, advised home, never pushed."""
        node = DirectoryNode(S.GROUP, self.env)
        first, second = publication('n'), publication('n')
        home = Child()
        node.add(first, Child())
        self.env.events = []
        self.assertFalse(node.add(second, home))
        self.assertEqual(self.env.kinds(), ['warn', 'advise'])
        self.assertIn('multiple ids, same name', self.env.events[0][1])
        self.assertIs(self.env.events[1][1], home)
        self.assertEqual(node.names['n'], first.published_id)

    def test_refresh_ignored(self):
        """The same id again from the same origin is a refresh: no second route."""
        origin = Child()
        p = publication('x')
        self.node.add(subscription('x'))
        self.node.add(p, origin)
        self.assertFalse(self.node.add(p, origin))
        self.assertEqual(len(self.env.of('offer')), 1)
        self.assertEqual(self.env.of('warn'), [])

    def test_same_id_elsewhere_warns(self):
        """The same id from another origin is logged and ignored."""
        p = publication('x')
        self.node.add(p, Child())
        self.assertFalse(self.node.add(p, Child()))
        self.assertEqual(len(self.env.of('warn')), 1)

    def test_bad_search_and_names(self):
        """A search that does not compile, and names with control characters, are refused."""
        self.assertFalse(self.node.add(subscription('('), Child()))
        self.assertFalse(self.node.add(publication('a\x00b'), Child()))
        self.assertFalse(self.node.add(publication(''), Child()))
        self.assertEqual(len(self.env.of('warn')), 3)
        self.assertEqual((self.node.publications, self.node.subscriptions), ({}, {}))

    def test_retraction_withdraws(self):
        """Removing a publication withdraws its routes (retracted) and retracts it upward."""
        node = DirectoryNode(S.GROUP, self.env)
        origin = Child()
        s = subscription('x')
        p = publication('x')
        node.add(s, origin)
        node.add(p)
        self.env.events = []
        self.assertTrue(node.remove(p.published_id))
        self.assertEqual(self.env.kinds(), ['withdraw', 'retract'])
        self.assertEqual(self.env.events[0][2].reason, Withdrawn.RETRACTED)
        self.assertNotIn('x', node.names)
        # The name is free again.
        self.assertTrue(node.add(publication('x')))

    def test_remove_from_wrong_origin(self):
        """Only the origin a listing came through can remove it."""
        p = publication('x')
        self.node.add(p, Child())
        self.assertFalse(self.node.remove(p.published_id, Child()))
        self.assertIn(p.published_id, self.node.publications)

    def test_offers_pass_down(self):
        """An offer from the parent goes on to the origin of its subscription."""
        node = DirectoryNode(S.GROUP, self.env)
        origin = Child()
        s = subscription('x', S.HOST)
        node.add(s, origin)
        offer = RouteOffer(uuid.uuid4(), S.HOST, s.subscribed_id, uuid.uuid4(), 'x')
        self.assertTrue(node.pass_offer(offer))
        self.assertIs(self.env.of('offer')[-1][1], origin)
        self.assertFalse(node.pass_offer(RouteOffer(uuid.uuid4(), S.HOST, uuid.uuid4())))


class Encoding(unittest.TestCase):

    def test_listing_round_trip(self):
        """Listings cross AMP as the runtime's JSON; a wrong type is refused."""
        p = publication('a:b', S.LAN, port=5)
        back = decode_listing(encode_listing(p), Publication)
        self.assertEqual(vars(back), vars(p))
        with self.assertRaises(ValueError):
            decode_listing(encode_listing(subscription('a')), Publication)
