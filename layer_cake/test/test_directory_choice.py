"""The subscriber's route choice: nearest wins, upgrade, fallback (network.md §8.4, §8.5)."""

import uuid

from twisted.trial import unittest

from layer_cake.directory.choice import CLOSE, OPEN, Choice
from layer_cake.directory.listing import RouteOffer, RouteWithdrawal, Withdrawn
from layer_cake.net.ipp import HostPort, ScopeOfDirectory as S


def offer(scope, port, published_id=None):
    return RouteOffer(uuid.uuid4(), scope, uuid.uuid4(), published_id or uuid.uuid4(), 'n',
                      False, HostPort('127.0.0.1', port))


class Choosing(unittest.TestCase):

    def setUp(self):
        self.choice = Choice()

    def up(self, o):
        announce, actions = self.choice.opened(o.route_id)
        self.assertTrue(announce)
        return actions

    def test_first_offer_opens(self):
        """The first offer is opened at once."""
        o = offer(S.HOST, 1)
        self.assertEqual(self.choice.offer(o), [(OPEN, o)])
        self.assertEqual(self.up(o), [])

    def test_wider_is_only_kept(self):
        """A wider offer while a nearer session is up changes nothing (item 30, §7.3-8)."""
        group = offer(S.GROUP, 1)
        self.choice.offer(group)
        self.up(group)
        self.assertEqual(self.choice.offer(offer(S.HOST, 2)), [])
        self.assertIs(self.choice.active, group)

    def test_upgrade_closes_first(self):
        """A nearer offer closes the wider session, then opens the nearer (item 32)."""
        host = offer(S.HOST, 2)
        self.choice.offer(host)
        self.up(host)
        group = offer(S.GROUP, 1)
        self.assertEqual(self.choice.offer(group), [(CLOSE, host)])
        self.assertEqual(self.choice.closed(host.route_id), [(OPEN, group)])
        self.assertEqual(self.up(group), [])

    def test_nearer_while_opening(self):
        """A nearer offer while the wider one is still opening upgrades once it is up."""
        host = offer(S.HOST, 2)
        self.choice.offer(host)
        group = offer(S.GROUP, 1)
        self.assertEqual(self.choice.offer(group), [])
        self.assertEqual(self.up(host), [(CLOSE, host)])
        self.assertEqual(self.choice.closed(host.route_id), [(OPEN, group)])

    def test_fallback(self):
        """Losing the nearer session opens the wider one (item 31)."""
        group, host = offer(S.GROUP, 1), offer(S.HOST, 2)
        self.choice.offer(group)
        self.choice.offer(host)
        self.up(group)
        self.assertEqual(self.choice.lost(group.route_id), [(OPEN, host)])

    def test_fallback_never_to_the_same_publication(self):
        """A second route to the publication just lost is not tried (§8.4 New)."""
        pid = uuid.uuid4()
        group, host = offer(S.GROUP, 1, pid), offer(S.HOST, 1, pid)
        self.choice.offer(group)
        self.choice.offer(host)
        self.up(group)
        self.assertEqual(self.choice.lost(group.route_id), [])
        self.assertEqual(self.choice.offers, {})

    def test_fallback_never_to_the_same_listener(self):
        """Nor one to the same listener address under another id."""
        group, host = offer(S.GROUP, 7), offer(S.HOST, 7)
        self.choice.offer(group)
        self.choice.offer(host)
        self.up(group)
        self.assertEqual(self.choice.lost(group.route_id), [])

    def test_one_offer_per_scope(self):
        """A second offer at a scope already held is ignored unless it is the same route."""
        a = offer(S.HOST, 1)
        self.choice.offer(a)
        self.assertEqual(self.choice.offer(offer(S.HOST, 2)), [])
        again = RouteOffer(uuid.uuid4(), S.HOST, a.subscribed_id, a.published_id, 'n', False,
                           a.ipp)
        self.assertEqual(self.choice.offer(again), [])
        self.assertIs(self.choice.offers[S.HOST], again)

    def test_churn_keeps_the_session(self):
        """A withdrawal from tier churn leaves a session over a connection up (§7.3-11)."""
        host = offer(S.HOST, 2)
        self.choice.offer(host)
        self.up(host)
        w = RouteWithdrawal(host.route_id, S.HOST, host.subscribed_id, host.published_id,
                            Withdrawn.ORIGIN_LOST)
        self.assertEqual(self.choice.withdrawn(w, session_survives=True), [])
        self.assertIs(self.choice.active, host)
        self.assertEqual(self.choice.offers, {})

    def test_retraction_closes(self):
        """A retraction closes the session in use; the close then falls back."""
        group, host = offer(S.GROUP, 1), offer(S.HOST, 2)
        self.choice.offer(group)
        self.choice.offer(host)
        self.up(group)
        w = RouteWithdrawal(group.route_id, S.GROUP, group.subscribed_id, group.published_id,
                            Withdrawn.RETRACTED)
        self.assertEqual(self.choice.withdrawn(w, session_survives=True), [(CLOSE, group)])
        self.assertEqual(self.choice.closed(group.route_id), [(OPEN, host)])

    def test_retraction_never_falls_back_to_the_same_publication(self):
        """A retracted publication's other routes (made at wider nodes, their withdrawals
        still on the way) are not chosen when its session closes: the close opens the
        alternative (item 33 across processes)."""
        pid = uuid.uuid4()
        here, group, host = offer(S.PROCESS, 1, pid), offer(S.GROUP, 1, pid), offer(S.HOST, 2)
        for o in (here, group, host):
            self.choice.offer(o)
        self.up(here)
        w = RouteWithdrawal(here.route_id, S.PROCESS, here.subscribed_id, pid,
                            Withdrawn.RETRACTED)
        self.assertEqual(self.choice.withdrawn(w, session_survives=False), [(CLOSE, here)])
        self.assertEqual(self.choice.closed(here.route_id), [(OPEN, host)])
        self.assertEqual(list(self.choice.offers.values()), [host])

    def test_churn_keeps_other_routes(self):
        """A withdrawal from tier churn removes only its own route."""
        pid = uuid.uuid4()
        group, host = offer(S.GROUP, 1, pid), offer(S.HOST, 1, pid)
        self.choice.offer(group)
        self.choice.offer(host)
        self.up(group)
        w = RouteWithdrawal(host.route_id, S.HOST, host.subscribed_id, pid,
                            Withdrawn.ORIGIN_LOST)
        self.assertEqual(self.choice.withdrawn(w, session_survives=True), [])
        self.assertEqual(list(self.choice.offers.values()), [group])

    def test_withdrawn_while_opening(self):
        """A route withdrawn while it opens is closed as soon as it is up."""
        host = offer(S.HOST, 2)
        self.choice.offer(host)
        w = RouteWithdrawal(host.route_id, S.HOST, host.subscribed_id, host.published_id,
                            Withdrawn.RETRACTED)
        self.assertEqual(self.choice.withdrawn(w, session_survives=False), [])
        self.assertEqual(self.up(host), [(CLOSE, host)])
