"""LAN names bound to the identity that published them (directory/name_binding.py)."""

import uuid

from twisted.trial import unittest

from layer_cake.directory.listing import Publication, Subscription, Withdrawn
from layer_cake.directory.name_binding import link_identity, reclaims
from layer_cake.directory.node import DirectoryNode
from layer_cake.net.ipp import HostPort, ScopeOfDirectory as S
from layer_cake.test.test_directory_node import Recorder


class Tier(object):
    def __init__(self, secret):
        self.secret = secret


class Link(object):
    """A child link of lan-cake as the node sees it."""

    def __init__(self, peer_host, secret='a secret', scope=S.HOST, executable='host-cake',
                 certificate=None):
        self.tier = Tier(secret)
        self.introduced = True
        self.peer_host = peer_host
        self.scope = scope
        self.executable = executable
        self.peer_certificate = certificate


def publication(name):
    return Publication(uuid.uuid4(), name, S.LAN, False, HostPort('0.0.0.0', 40001),
                       uuid.uuid4(), uuid.uuid4())


class LanNode(object):
    """A LAN node with a subscriber to "svc"; ``publish`` adds a publication of it."""

    def setUp(self):
        self.env = Recorder()
        self.node = DirectoryNode(S.LAN, self.env)
        self.subscriber = Link('10.0.0.11')
        self.sub = Subscription(uuid.uuid4(), 'svc', S.LAN, uuid.uuid4(), uuid.uuid4())
        self.node.add(self.sub, self.subscriber)

    def publish(self, link):
        p = publication('svc')
        return p, self.node.add(p, link)


class Reclaiming(LanNode, unittest.TestCase):

    def test_another_host_cannot_take_a_live_name(self):
        first, held = self.publish(Link('10.0.0.12'))
        self.assertTrue(held)
        second, held = self.publish(Link('10.0.0.13'))
        self.assertFalse(held)
        self.assertEqual(self.node.names['svc'], first.published_id)
        (_, origin, advised), = self.env.of('advise')
        self.assertEqual(advised.published_id, second.published_id)

    def test_same_identity_reclaims_at_once(self):
        old_link, new_link = Link('10.0.0.12'), Link('10.0.0.12')
        first, _ = self.publish(old_link)
        (_, _, offer), = self.env.of('offer')
        second, held = self.publish(new_link)
        self.assertTrue(held)
        self.assertEqual(self.node.names['svc'], second.published_id)
        self.assertNotIn(first.published_id, self.node.publications)
        # The old route is withdrawn, the new one offered; the old link is told.
        (_, _, withdrawal), = self.env.of('withdraw')
        self.assertEqual((withdrawal.route_id, withdrawal.reason),
                         (offer.route_id, Withdrawn.ORIGIN_LOST))
        offers = self.env.of('offer')
        self.assertEqual(offers[-1][2].published_id, second.published_id)
        (_, origin, advised), = self.env.of('advise')
        self.assertIs(origin, old_link)
        self.assertEqual(advised.published_id, first.published_id)
        # Its old link, when it finally goes, takes nothing of the new one's.
        self.assertEqual(self.node.lose_origin(old_link), 0)
        self.assertEqual(self.node.names['svc'], second.published_id)

    def test_same_link_does_not_reclaim(self):
        link = Link('10.0.0.12')
        first, _ = self.publish(link)
        _, held = self.publish(link)
        self.assertFalse(held)
        self.assertEqual(self.node.names['svc'], first.published_id)

    def test_other_program_on_the_same_host_does_not_reclaim(self):
        first, _ = self.publish(Link('10.0.0.12'))
        _, held = self.publish(Link('10.0.0.12', scope=S.GROUP, executable='group-cake'))
        self.assertFalse(held)
        self.assertEqual(self.node.names['svc'], first.published_id)

    def test_without_a_secret_first_keeps_it(self):
        first, _ = self.publish(Link('10.0.0.12', secret=None))
        _, held = self.publish(Link('10.0.0.12', secret=None))
        self.assertFalse(held)
        self.assertEqual(self.node.names['svc'], first.published_id)

    def test_only_at_the_lan_node(self):
        self.assertFalse(reclaims(S.HOST, Link('127.0.0.1'), Link('127.0.0.1')))
        self.assertTrue(reclaims(S.LAN, Link('10.0.0.9'), Link('10.0.0.9')))
        self.assertFalse(reclaims(S.LAN, None, Link('10.0.0.9')))
        self.assertIsNone(link_identity(object()))


class CertificateIdentity(LanNode, unittest.TestCase):
    """Over mutual TLS the identity is the certificate, not the address."""

    def test_same_certificate_from_another_address_reclaims(self):
        first, _ = self.publish(Link('10.0.0.12', secret=None, certificate='AA:01'))
        second, held = self.publish(Link('10.0.0.99', secret=None, certificate='AA:01'))
        self.assertTrue(held)
        self.assertEqual(self.node.names['svc'], second.published_id)

    def test_other_certificate_from_the_same_address_cannot(self):
        first, _ = self.publish(Link('10.0.0.12', certificate='AA:01'))
        _, held = self.publish(Link('10.0.0.12', certificate='BB:02'))
        self.assertFalse(held)
        self.assertEqual(self.node.names['svc'], first.published_id)

    def test_certificate_against_address_identity(self):
        # A link with a certificate and one without are never the same identity.
        first, _ = self.publish(Link('10.0.0.12'))
        _, held = self.publish(Link('10.0.0.12', certificate='AA:01'))
        self.assertFalse(held)
