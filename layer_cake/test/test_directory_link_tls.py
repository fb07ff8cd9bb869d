"""Mutual TLS on directory links (layer_cake.directory.link_tls): tiers on the real
reactor over 127.0.0.1, with key material made for each test."""

import contextlib
import os
import shutil
import uuid

from twisted.internet import defer, reactor, task
from twisted.trial import unittest

import layer_cake as lc
from layer_cake.directory import host_cake_tap, lan_cake_tap
from layer_cake.directory import secret as SECRET
from layer_cake.directory.link_tls import LinkTLS, LinkTLSError, link_tls
from layer_cake.directory.tier import Tier
from layer_cake.net import tls
from layer_cake.net.ipp import HostPort, ScopeOfDirectory as S
from layer_cake.test.support import RuntimeTestCase
from layer_cake.test.test_directory_tier import publication

WAIT = 30.0


class Log(object):
    """A tier's log: keeps the warnings, and says when one containing a text came."""

    def __init__(self):
        self.warnings = []
        self._waiting = []

    def warning(self, *words):
        text = ' '.join(str(w) for w in words)
        self.warnings.append(text)
        for words, d in list(self._waiting):
            if words in text:
                self._waiting.remove((words, d))
                d.callback(text)

    fault = warning

    def console(self, *words):
        pass

    def trace(self, *words):
        pass

    def when_warned(self, words):
        """A Deferred of the first warning containing ``words``."""
        for text in self.warnings:
            if words in text:
                return defer.succeed(text)
        d = defer.Deferred()
        self._waiting.append((words, d))
        return d.addTimeout(WAIT, reactor)


@defer.inlineCallbacks
def held_names(tier, count):
    """The names of the publications ``tier`` holds, once it holds ``count``."""
    for _ in range(int(WAIT / 0.01)):
        held = tier.node.publications.values()
        if len(held) >= count:
            return sorted(h.listing.name for h in held)
        yield task.deferLater(reactor, 0.01, lambda: None)
    raise AssertionError('%s holds %d publications, not %d' % (tier, len(held), count))


class Folders(object):
    """Key folders under the test's temporary directory."""

    def folder(self, name):
        return os.path.join(os.path.abspath(self.mktemp()), name)

    def material(self, name='own', names=None):
        return tls.ensure_material(self.folder(name), names)

    def same_ca(self, base, names):
        """Material with a node certificate for ``names`` from ``base``'s CA."""
        folder = self.folder('same-ca')
        os.makedirs(folder)
        for f in (tls.CA_CERTIFICATE, tls.CA_KEY):
            shutil.copy(os.path.join(base.folder, f), folder)
        return tls.ensure_material(folder, names)

    def trusting_only(self, base):
        """Material that trusts ``base``'s CA but whose own certificate is from another."""
        other = self.material('other')
        shutil.copy(base.ca_certificate_path, other.ca_certificate_path)
        return other


class TLSTiers(Folders):
    """Tiers on the real reactor whose links run TLS with material of this test."""

    timeout = 60

    def setUp(self):
        self.base = self.material('base')
        self.tiers = []

    def tearDown(self):
        return defer.gatherResults([defer.maybeDeferred(t.stopService)
                                    for t in self.tiers if t.running])

    @defer.inlineCallbacks
    def top(self, material, secret=None):
        """A LAN tier accepting at 127.0.0.1 (TLS with ``material`` unless None)."""
        log = Log()
        wrap = None if material is None else LinkTLS(material, log=log)
        top = Tier(S.LAN, accept_at=HostPort('127.0.0.1', 0), auto_parent=None, log=log,
                   tls=wrap, secret=secret)
        self.tiers.append(top)
        top.startService()
        at = yield top.when_listening()
        return top, log, at

    @defer.inlineCallbacks
    def child(self, at, material, secret=None):
        """A HOST tier with a LAN listing, connecting to ``at``: (tier, log, introduced)."""
        log = Log()
        wrap = None if material is None else LinkTLS(material, log=log)
        child = Tier(S.HOST, connect_to=at, log=log, tls=wrap, secret=secret)
        self.tiers.append(child)
        child.node.add(publication('wide', S.LAN))
        child.startService()
        introduced = yield child.parent_link.when_tried().addTimeout(WAIT, reactor)
        return child, log, introduced

    def material_copy(self):
        # Another node certificate of the same CA, as a second host would have.
        return self.same_ca(self.base, ['localhost', '127.0.0.1'])


class EncryptedLinks(TLSTiers, unittest.TestCase):

    @defer.inlineCallbacks
    def test_same_ca(self):
        """Both ends with certificates of one CA: the child is introduced over TLS and its
        listing reaches the parent; neither end warns."""
        top, top_log, at = yield self.top(self.base)
        child, log, introduced = yield self.child(at, self.material_copy())
        self.assertTrue(introduced)
        link, = top.children
        self.assertTrue(link.introduced)
        self.assertIsInstance(link.transport, tls.VerifiedStart)
        self.assertIsInstance(link.transport.transport, tls.DeadlineTLSProtocol)
        names = yield held_names(top, 1)
        self.assertEqual(names, ['wide'])
        self.assertEqual((top_log.warnings, log.warnings), ([], []))

    @defer.inlineCallbacks
    def test_untrusted_parent(self):
        """A child whose CA is another refuses the parent's certificate: not introduced,
        the reason kept and logged; the parent logs the refusal and holds nothing."""
        top, top_log, at = yield self.top(self.base)
        child, log, introduced = yield self.child(at, self.material('stranger'))
        self.assertFalse(introduced)
        self.assertIn('certificate verify failed', child.parent_link.last_failure)
        self.assertIn('not issued by a trusted CA', child.parent_link.last_failure)
        self.assertTrue(any('Cannot use the directory at 127.0.0.1:%d' % (at.port,) in w
                            for w in log.warnings), log.warnings)
        warned = yield top_log.when_warned('Refusing a directory connection from 127.0.0.1')
        self.assertIn('TLS handshake failed', warned)
        self.assertEqual((top.children, top.node.publications), ([], {}))

    @defer.inlineCallbacks
    def test_untrusted_child(self):
        """A child that trusts the parent but shows a certificate of another CA is
        refused by the parent: the parent logs why and never hears its Hello; the child
        is not introduced and says it was refused."""
        top, top_log, at = yield self.top(self.base)
        child, log, introduced = yield self.child(at, self.trusting_only(self.base))
        self.assertFalse(introduced)
        warned = yield top_log.when_warned('Refusing a directory connection from 127.0.0.1')
        self.assertIn('certificate verify failed', warned)
        self.assertIn('TLS', child.parent_link.last_failure)
        self.assertEqual((top.children, top.node.publications), ([], {}))

    @defer.inlineCallbacks
    def test_wrong_host_name(self):
        """A parent whose certificate (from the trusted CA) does not name the address
        dialled is refused by the child (service_identity); the parent holds nothing."""
        top, top_log, at = yield self.top(self.same_ca(self.base, ['example.invalid']))
        child, log, introduced = yield self.child(at, self.base)
        self.assertFalse(introduced)
        self.assertIn('does not name 127.0.0.1', child.parent_link.last_failure)
        self.assertTrue(any('does not name' in w for w in log.warnings), log.warnings)
        self.assertEqual((top.children, top.node.publications), ([], {}))

    @defer.inlineCallbacks
    def test_plain_child(self):
        """A child without TLS never reaches an encrypted parent: refused, with a reason."""
        top, top_log, at = yield self.top(self.base)
        child, log, introduced = yield self.child(at, None)
        self.assertFalse(introduced)
        yield top_log.when_warned('Refusing a directory connection from 127.0.0.1')
        self.assertEqual((top.children, top.node.publications), ([], {}))

    @defer.inlineCallbacks
    def test_plain_parent(self):
        """An encrypted child does not talk in clear to a parent without TLS."""
        top, top_log, at = yield self.top(None)
        child, log, introduced = yield self.child(at, self.base)
        self.assertFalse(introduced)
        self.assertTrue(any('Cannot use the directory' in w for w in log.warnings),
                        log.warnings)
        self.assertEqual(top.node.publications, {})

    @defer.inlineCallbacks
    def test_with_secret(self):
        """TLS and the shared secret together: the secret handshake runs inside TLS."""
        secret = SECRET.DirectorySecret(b'both')
        top, top_log, at = yield self.top(self.base, secret=secret)
        child, log, introduced = yield self.child(at, self.material_copy(), secret=secret)
        self.assertTrue(introduced)
        names = yield held_names(top, 1)
        self.assertEqual(names, ['wide'])
        child2, log2, introduced2 = yield self.child(at, self.material_copy(),
                                                     secret=SECRET.DirectorySecret(b'guess'))
        self.assertFalse(introduced2)
        self.assertEqual(len(top.children), 1)


class CertificateNames(TLSTiers, unittest.TestCase):
    """LAN names over mutual TLS are bound to the certificate that published them."""

    @defer.inlineCallbacks
    def publish(self, at, material, name='svc'):
        log = Log()
        child = Tier(S.HOST, connect_to=at, log=log, tls=LinkTLS(material, log=log))
        self.tiers.append(child)
        p = publication(name, S.LAN)
        child.node.add(p)
        child.startService()
        introduced = yield child.parent_link.when_tried().addTimeout(WAIT, reactor)
        self.assertTrue(introduced)
        return child, p

    @defer.inlineCallbacks
    def held_by(self, top, published_id):
        for _ in range(int(WAIT / 0.01)):
            if top.node.names.get('svc') == published_id:
                return
            yield task.deferLater(reactor, 0.01, lambda: None)
        self.fail('svc is held by %s, not %s' % (top.node.names.get('svc'), published_id))

    @defer.inlineCallbacks
    def test_only_the_same_certificate_reclaims(self):
        """Another host (another certificate of the same CA) cannot take a live name;
        the host with the first one's certificate, over a new link, reclaims it at once."""
        top, top_log, at = yield self.top(self.base)
        first_host = self.material_copy()
        child, first = yield self.publish(at, first_host)
        yield self.held_by(top, first.published_id)
        other, refused = yield self.publish(at, self.material_copy())
        yield top_log.when_warned('multiple ids, same name "svc"')
        self.assertEqual(top.node.names['svc'], first.published_id)
        again, second = yield self.publish(at, first_host)
        yield self.held_by(top, second.published_id)
        self.assertTrue(any('"svc" reclaimed by its publisher' in w for w in top_log.warnings))
        digests = set(link.peer_certificate for link in top.children)
        self.assertEqual(len(digests), 2)


class Configuration(Folders, unittest.TestCase):

    def test_link_tls(self):
        """Unencrypted: None.  Encrypted: material made in an empty folder, its node
        certificate valid for this host's names.  A folder that cannot be used is a
        LinkTLSError saying why."""
        self.assertIsNone(link_tls(False))
        folder = self.folder('made')
        made = link_tls(True, folder=folder)
        self.assertEqual(made.material.folder, folder)
        self.assertTrue(made.material.has_node())
        unusable = os.path.abspath(self.mktemp())
        with open(unusable, 'w') as f:
            f.write('not a folder')
        e = self.assertRaises(LinkTLSError, link_tls, True, folder=unusable)
        self.assertIn('cannot encrypt the directory', str(e))

    def test_twistd_options(self):
        """--encrypted-directory with --tls-folder gives each plugin's tier that material;
        without the flag there is no TLS."""
        folder = self.folder('plugin')
        for tap in (host_cake_tap, lan_cake_tap):
            o = tap.Options()
            o.parseOptions(['--encrypted-directory', '--tls-folder=%s' % (folder,)])
            service = tap.makeService(o)
            self.assertEqual(service.tier.tls.material.folder, folder)
            self.assertIs(service.tier.tls.log, service.tier.log)
            o = tap.Options()
            o.parseOptions([])
            self.assertIsNone(tap.makeService(o).tier.tls)

    def test_console_programs(self):
        """host-cake and lan-cake with encrypted_directory take the material of
        LC_TLS_FOLDER; their tiers run TLS."""
        from layer_cake.directory.host_cake import HostCake
        from layer_cake.directory.lan_cake import LanCake
        for cls in (HostCake, LanCake):
            cake = cls(encrypted_directory=True)
            self.assertIsNone(cake.refusal())
            self.assertEqual(cake.make_tier().tls.material.folder, tls.key_folder())
            self.assertIsNone(cls().make_tier().tls)


class EncryptedPrograms(unittest.SynchronousTestCase):
    """host-cake, groups and applications as real processes, sharing the test run's
    key folder (LC_TLS_FOLDER, layer_cake/test/__init__.py)."""

    def setUp(self):
        from layer_cake.test import test_directory_e2e as E2E
        self.E2E = E2E
        self.processes = E2E.Processes()
        # Processes' methods take the test case as self.
        for name in ('host_cake', 'application', 'group', 'network'):
            setattr(self, name, getattr(E2E.Processes, name).__get__(self))

    def test_encrypted_host(self):
        """Under host-cake --encrypted-directory, applications with --encrypted-process
        meet and their session carries messages; an application without it is refused
        with a logged reason and meets nobody; `layer-cake network
        --encrypted-directory` lists the tree."""
        host, port = self.host_cake(extra=['--encrypted-directory'])
        encrypted = ['--encrypted-process']
        publisher = self.application('p', port, publish='sealed@HOST', extra=encrypted)
        subscriber = self.application('s', port, subscribe='sealed@HOST', ping=0.2,
                                      extra=encrypted)
        _, a = subscriber.wait_event(event='available', name='sealed')
        self.assertEqual(a['scope'], 'HOST')
        publisher.wait_event(event='delivered', route_id=a['route_id'])
        subscriber.wait_event(event='ack')
        plain = self.application('q', port, subscribe='sealed@HOST')
        plain.wait_event(event='subscribed')
        host.wait_line(r'Refusing a directory connection from 127\.0\.0\.1:\d+ \(TLS '
                       r'handshake failed: .*does not speak TLS')
        nodes = self.network(port, lambda n: ['sealed'] in [x[4] for x in n],
                             'the encrypted publication', '--list-published',
                             '--encrypted-directory')
        self.assertEqual([n[1] for n in nodes if n[0] == 0], ['HOST'])
        # The plain process is not in the tree and met nobody.
        applications = [n for n in nodes if n[0] == 1 and n[2].endswith('pubsub.py')]
        self.assertEqual(len(applications), 2, nodes)
        self.assertEqual(plain.select(event='available'), [])

    def test_encrypted_group(self):
        """group-cake --encrypted-directory starts its roles with --encrypted-process:
        a role's GROUP publication reaches its sibling, and a HOST publication reaches a
        process of another group through an encrypted host-cake."""
        host, port = self.host_cake(extra=['--encrypted-directory'])
        group = self.group('g', port, {'gp': dict(publish='inside@GROUP,outside@HOST'),
                                       'gs': dict(subscribe='inside@GROUP')},
                           extra=['--encrypted-directory'])
        _, a = group.wait_event(event="available", name="inside",
                                tag=lambda t: t.startswith("gs"))
        self.assertEqual(a['scope'], 'GROUP')
        outsider = self.application('o', port, subscribe='outside@HOST',
                                    extra=['--encrypted-process'])
        _, b = outsider.wait_event(event='available', name='outside')
        self.assertEqual(b['scope'], 'HOST')
        # The group's tier takes TLS only, so the roles' links prove the flag too.
        for role in ('gp', 'gs'):
            group.wait_line(r' --role-name=%s .* --encrypted-process$' % (role,))


class EncryptedSessions(RuntimeTestCase):
    """An encrypted publication of a process in an encrypted directory takes sessions
    only from subscribers that prove a certificate of its CA."""

    def test_subscriber_needs_a_certificate(self):
        """A subscriber that trusts the publisher but has no certificate cannot open a
        session (listed as failed); with one from the CA it opens and carries messages."""
        from layer_cake.test.support import Child
        from layer_cake.test.test_directory_session import (nobody_listens, offered_session,
                                                            wait_failed_session)
        child = Child(self, 'layer_cake.test.programs.publications', '--names=m',
                      '--connect-to-directory={"host": "127.0.0.1", "port": %d}' % (
                          nobody_listens(),), '--encrypted', '--encrypted-process')
        _, name, published_id, port = child.line_starting('published ').split()
        published_id, port = uuid.UUID(published_id), int(port)
        own = tls.ensure_material()
        trusting = os.path.join(os.path.abspath(self.mktemp()), 'trusting')
        os.makedirs(trusting)
        shutil.copy(own.ca_certificate_path, trusting)
        with folder_variable(trusting):
            anonymous, _ = offered_session(self, 'm', published_id, port, encrypted=True,
                                           expect=None)
            wait_failed_session(self, anonymous)
        ch, a = offered_session(self, 'm', published_id, port, encrypted=True)
        child.line_starting('delivered m')
        ch.send(lc.Enquiry(), a.publisher_address)
        self.receive(ch, lc.Ack)


@contextlib.contextmanager
def folder_variable(folder):
    """LC_TLS_FOLDER names ``folder`` within the block (each connect reads it)."""
    before = os.environ.get(tls.FOLDER_VARIABLE)
    os.environ[tls.FOLDER_VARIABLE] = folder
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(tls.FOLDER_VARIABLE, None)
        else:
            os.environ[tls.FOLDER_VARIABLE] = before
