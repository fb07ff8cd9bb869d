"""The shared-secret handshake of directory links (layer_cake.directory.secret)."""

import os
import tempfile

from twisted.internet import protocol, task
from twisted.protocols import amp
from twisted.internet.testing import StringTransport
from twisted.test import iosim
from twisted.trial import unittest

from layer_cake.directory import secret as S
from layer_cake.directory import tier_protocol as TP


class Raw(protocol.Protocol):
    """A peer, or the carried protocol: writes ``opening`` once connected, keeps what
    it gets and what it was told."""

    def __init__(self, opening=b''):
        self.opening = opening
        self.received = b''
        self.made = False
        self.lost = False

    def connectionMade(self):
        self.made = True
        if self.opening:
            self.transport.write(self.opening)

    def dataReceived(self, data):
        self.received += data

    def connectionLost(self, reason):
        self.lost = True


class Factory(protocol.Factory):
    def __init__(self, greeting=b''):
        self.built = []
        self.greeting = greeting

    def buildProtocol(self, addr):
        p = Raw(self.greeting)
        self.built.append(p)
        return p


class Log(object):
    def __init__(self):
        self.warnings = []
        self.traces = []

    def warning(self, *words):
        self.warnings.append(' '.join(str(w) for w in words))

    def trace(self, *words):
        self.traces.append(' '.join(str(w) for w in words))

    def console(self, *words):
        pass

    fault = warning


def guarded(key, connector, log, clock, greeting=b''):
    inner = Factory(greeting)
    secret = None if key is None else S.DirectorySecret(key)
    return inner, S.guarded_factory(inner, secret, connector, log=log, clock=clock)


class Handshake(unittest.TestCase):

    def setUp(self):
        self.clock = task.Clock()
        self.server_log = Log()
        self.client_log = Log()

    def link(self, server_key, client_key, server_greeting=b'', client_greeting=b''):
        self.server_inner, server = guarded(server_key, False, self.server_log, self.clock,
                                            server_greeting)
        self.client_inner, client = guarded(client_key, True, self.client_log, self.clock,
                                            client_greeting)
        s = server.buildProtocol(None)
        c = client.buildProtocol(None)
        self.s, self.c = s, c
        self.pump = iosim.connect(s, iosim.makeFakeServer(s), c, iosim.makeFakeClient(c),
                                  greet=False)
        self.pump.flush()
        return s, c

    def test_good_secret(self):
        s, c = self.link(b'k' * 32, b'k' * 32, server_greeting=b'from server',
                         client_greeting=b'from client')
        self.assertTrue(s.authenticated)
        self.assertTrue(c.authenticated)
        server_in, client_in = self.server_inner.built[0], self.client_inner.built[0]
        self.assertTrue(server_in.made and client_in.made)
        self.assertEqual(server_in.received, b'from client')
        self.assertEqual(client_in.received, b'from server')
        self.assertEqual(self.server_log.warnings, [])
        self.assertEqual(self.client_log.warnings, [])
        # The timeout went with the handshake.
        self.assertEqual(self.clock.getDelayedCalls(), [])
        # Traffic after the handshake passes both ways.
        client_in.transport.write(b' more')
        self.pump.flush()
        self.assertEqual(server_in.received, b'from client more')

    def test_wrong_secret(self):
        s, c = self.link(b'right', b'wrong', server_greeting=b'listing')
        self.assertFalse(s.authenticated)
        self.assertFalse(c.authenticated)
        self.assertIn('wrong proof of the directory secret', self.server_log.warnings[0])
        # The acceptor never started its protocol: the peer saw nothing of it.
        self.assertFalse(self.server_inner.built[0].made)
        self.assertFalse(self.client_inner.built[0].made)
        self.assertTrue(self.client_log.warnings)

    def test_acceptor_with_wrong_secret(self):
        # The connector refuses an acceptor that cannot prove the secret.
        server = S._GuardFactory(Factory(), S.DirectorySecret(b'other'), False,
                                 log=self.server_log, clock=self.clock)
        s = server.buildProtocol(None)
        # A false acceptor that checks nothing: it answers with its own key.

        def lenient():
            if s._other_nonce is None and len(s._buffer) >= len(S.MAGIC) + S.NONCE_BYTES:
                s._other_nonce = s._buffer[len(S.MAGIC):len(S.MAGIC) + S.NONCE_BYTES]
                s._buffer = b''
                s.transport.write(s._secret().proof(S.ACCEPTOR, s._own_nonce, s._other_nonce))
        s._advance = lenient
        client_inner, client = guarded(b'mine', True, self.client_log, self.clock)
        c = client.buildProtocol(None)
        pump = iosim.connect(s, iosim.makeFakeServer(s), c, iosim.makeFakeClient(c),
                             greet=False)
        pump.flush()
        self.assertFalse(c.authenticated)
        self.assertFalse(client_inner.built[0].made)
        self.assertIn('wrong proof', self.client_log.warnings[0])

    def test_replayed_answer(self):
        key = b'shared'
        # Connection 1: an honest connector, its bytes written by hand.
        own = os.urandom(S.NONCE_BYTES)
        recorder_inner, server = guarded(key, False, self.server_log, self.clock)
        first = server.buildProtocol(None)
        raw = Raw()
        pump = iosim.connect(first, iosim.makeFakeServer(first), raw,
                             iosim.makeFakeClient(raw), greet=False)
        raw.transport.write(S.MAGIC + own)
        pump.flush()
        their = raw.received[len(S.MAGIC):len(S.MAGIC) + S.NONCE_BYTES]
        answer = S.proof(key, S.CONNECTOR, own, their)
        raw.transport.write(answer)
        pump.flush()
        self.assertTrue(first.authenticated)
        recorded = S.MAGIC + own + answer
        # Connection 2: the same bytes again fail, the acceptor's nonce is new.
        self.server_log.warnings[:] = []
        inner2, server2 = guarded(key, False, self.server_log, self.clock)
        second = server2.buildProtocol(None)
        replay = Raw(recorded)
        pump = iosim.connect(second, iosim.makeFakeServer(second), replay,
                             iosim.makeFakeClient(replay), greet=False)
        pump.flush()
        self.assertFalse(second.authenticated)
        self.assertFalse(inner2.built[0].made)
        self.assertIn('wrong proof', self.server_log.warnings[0])

    def test_reflected_nonce(self):
        # A peer that echoes the acceptor's own greeting back is cut off.
        inner, server = guarded(b'k', False, self.server_log, self.clock)
        s = server.buildProtocol(None)
        t = StringTransport()
        s.makeConnection(t)
        s.dataReceived(t.value())
        self.assertIn('our own nonce', self.server_log.warnings[0])
        self.assertFalse(inner.built[0].made)

    def test_stalled_peer_times_out(self):
        inner, server = guarded(b'k', False, self.server_log, self.clock)
        s = server.buildProtocol(None)
        silent = Raw(S.MAGIC[:4])
        pump = iosim.connect(s, iosim.makeFakeServer(s), silent,
                             iosim.makeFakeClient(silent), greet=False)
        pump.flush()
        self.assertIsNone(s.refused_because)
        self.clock.advance(S.HANDSHAKE_TIMEOUT - 0.1)
        self.assertIsNone(s.refused_because)
        self.clock.advance(0.2)
        self.assertIn('no secret handshake within', s.refused_because)
        pump.flush()
        self.assertTrue(silent.lost)
        self.assertFalse(inner.built[0].made)

    def test_peer_closes_mid_handshake(self):
        inner, server = guarded(b'k', False, self.server_log, self.clock)
        s = server.buildProtocol(None)
        quitter = Raw(S.MAGIC + b'x' * 5)
        pump = iosim.connect(s, iosim.makeFakeServer(s), quitter,
                             iosim.makeFakeClient(quitter), greet=False)
        pump.flush()
        quitter.transport.loseConnection()
        pump.flush()
        self.assertIn('closed during the secret handshake', self.server_log.warnings[0])
        self.assertFalse(inner.built[0].made)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_push_without_handshake_is_refused(self):
        # An unsecured child speaks AMP at once: its Push never reaches the tier.
        seen = []

        class Tier(TP.TierProtocol):
            @TP.Push.responder
            def pushed(self, listing):
                seen.append(listing)
                return {'held': True}

        built = []

        class TierFactory(protocol.Factory):
            def buildProtocol(self, addr):
                p = Tier()
                built.append(p)
                return p

        server = S.guarded_factory(TierFactory(), S.DirectorySecret(b'k'), False,
                                   log=self.server_log, clock=self.clock)
        s = server.buildProtocol(None)
        child = amp.AMP()
        pump = iosim.connect(s, iosim.makeFakeServer(s), child, iosim.makeFakeClient(child),
                             greet=False)
        answers = []
        child.callRemote(TP.Push, listing='x').addBoth(answers.append)
        pump.flush()
        self.assertEqual(seen, [])
        self.assertFalse(built[0].transport)
        self.assertIn('did not begin the secret handshake', self.server_log.warnings[0])
        # The child got nothing but the acceptor's greeting, and lost the link.
        self.assertEqual(len(answers), 1)

    def test_secured_child_unsecured_parent(self):
        # The parent's AMP closes at the greeting; the child logs why.
        client_inner, client = guarded(b'k', True, self.client_log, self.clock)
        c = client.buildProtocol(None)
        parent = TP.TierProtocol()
        parent.log = Log()
        pump = iosim.connect(parent, iosim.makeFakeServer(parent), c,
                             iosim.makeFakeClient(c), greet=False)
        pump.flush()
        pump.flush()
        self.assertFalse(c.authenticated)
        self.assertTrue(parent.closed_because)
        self.assertIn('closed during the secret handshake', self.client_log.warnings[0])
        self.assertFalse(client_inner.built[0].made)

    def test_no_secret_is_the_plain_factory(self):
        inner = Factory()
        self.assertIs(S.guarded_factory(inner, None, True), inner)


class SecretFile(unittest.TestCase):

    def write(self, data, mode=0o600):
        fd, path = tempfile.mkstemp(prefix='secret-', dir=self.mktemp_dir())
        os.write(fd, data)
        os.close(fd)
        os.chmod(path, mode)
        return path

    def mktemp_dir(self):
        d = self.mktemp()
        os.makedirs(d)
        return d

    def test_read(self):
        warnings = []
        secret = S.read_secret(self.write(b'abc\n'), warn=warnings.append)
        self.assertEqual(secret.proof(b'x', b'1', b'2'), S.proof(b'abc', b'x', b'1', b'2'))
        self.assertEqual(warnings, [])
        self.assertNotIn('abc', repr(secret))

    def test_readable_by_others_warns(self):
        warnings = []
        S.read_secret(self.write(b'abc', 0o644), warn=warnings.append)
        self.assertIn('chmod 600', warnings[0])

    def test_empty_or_missing(self):
        self.assertRaises(S.SecretError, S.read_secret, self.write(b' \n'))
        self.assertRaises(S.SecretError, S.read_secret, '/nonexistent/secret')

    def test_environment(self):
        path = self.write(b'abc')
        self.assertIsNone(S.secret_from_environment({}))
        secret = S.secret_from_environment({S.SECRET_VARIABLE: path})
        self.assertEqual(secret.origin, path)


class SecuredTiers(unittest.TestCase):
    """Tiers with secrets on one in-memory reactor (test_directory_tier's Net)."""

    timeout = 30

    def setUp(self):
        from layer_cake.test.test_directory_tier import Log as TierLog, Net, publication
        from layer_cake.net.ipp import HostPort, ScopeOfDirectory
        self.S = ScopeOfDirectory
        self.HostPort = HostPort
        self.publication = publication
        self.net = Net(self)
        self.top_log = TierLog()
        self.top = self.net.tier(ScopeOfDirectory.LAN, accept_at=HostPort('127.0.0.1', 4111),
                                 secret=S.DirectorySecret(b'lan secret'), log=self.top_log)
        self.TierLog = TierLog

    def child(self, key):
        log = self.TierLog()
        secret = None if key is None else S.DirectorySecret(key)
        child = self.net.tier(self.S.HOST, connect_to=self.HostPort('127.0.0.1', 4111),
                              start=False, secret=secret, log=log)
        child.node.add(self.publication('wide', self.S.LAN))
        tried = []
        child.startService()
        child.parent_link.when_tried().addCallback(tried.append)
        self.net.connect()
        return child, log, tried

    def test_good_secret(self):
        child, log, tried = self.child(b'lan secret')
        self.assertEqual(tried, [True])
        link, = self.top.children
        self.assertTrue(link.introduced)
        self.assertEqual(len(self.top.node.publications), 1)
        self.assertEqual(self.top_log.warnings(), [])

    def test_wrong_secret(self):
        child, log, tried = self.child(b'guess')
        self.assertEqual(tried, [False])
        self.assertIn('refused our proof of the directory secret',
                      child.parent_link.last_failure)
        self.assertEqual(self.top.children, [])
        self.assertEqual(self.top.node.publications, {})
        self.assertTrue(any('wrong proof' in w for w in self.top_log.warnings()))
        self.assertFalse(child.parent_link.introduced)

    def test_no_secret(self):
        # An unsecured child's Hello and Push never reach the secured tier.
        child, log, tried = self.child(None)
        self.assertEqual(self.top.children, [])
        self.assertEqual(self.top.node.publications, {})
        self.assertTrue(any('did not begin the secret handshake' in w
                            for w in self.top_log.warnings()))
        self.assertFalse(child.parent_link.introduced)


class ProgramOptions(unittest.TestCase):

    def secret_file(self):
        d = self.mktemp()
        os.makedirs(d)
        path = os.path.join(d, 'secret')
        with open(path, 'wb') as f:
            f.write(b'sesame\n')
        os.chmod(path, 0o600)
        return path

    def test_twistd_options(self):
        from twisted.python import usage
        from layer_cake.directory import host_cake_tap, lan_cake_tap
        path = self.secret_file()
        for tap in (host_cake_tap, lan_cake_tap):
            options = tap.Options()
            options.parseOptions(['--directory-secret', path])
            self.assertEqual(options['secret'].origin, path)
            options = tap.Options()
            self.assertRaises(usage.UsageError, options.parseOptions,
                              ['--directory-secret', path + '.missing'])
        service = host_cake_tap.makeService(self.parsed(host_cake_tap, path))
        self.assertEqual(service.tier.secret.origin, path)
        service = lan_cake_tap.makeService(self.parsed(lan_cake_tap, path))
        self.assertEqual(service.tier.secret.origin, path)

    def parsed(self, tap, path):
        options = tap.Options()
        options.parseOptions(['--directory-secret', path])
        return options

    def test_console_programs(self):
        from layer_cake.directory.host_cake import HostCake
        from layer_cake.directory.lan_cake import LanCake
        path = self.secret_file()
        for cls in (HostCake, LanCake):
            cake = cls(directory_secret=path)
            self.assertIsNone(cake.refusal())
            self.assertEqual(cake.make_tier().secret.origin, path)
            cake = cls(directory_secret=path + '.missing')
            self.assertIn('cannot read the directory secret', cake.refusal().explanation)


class LoopbackOnly(unittest.TestCase):
    """host-cake and group-cake accept on loopback addresses only."""

    def test_host_cake(self):
        from twisted.python import usage
        from layer_cake.directory import host_cake_tap
        from layer_cake.directory.host_cake import HostCake
        from layer_cake.net.ipp import DIRECTORY_AT_HOST, HostPort
        self.assertEqual(DIRECTORY_AT_HOST.host, '127.0.0.1')
        self.assertIsNone(HostCake().refusal())
        self.assertIsNone(HostCake(directory_at_host=HostPort('127.0.0.2', 5000)).refusal())
        for host in ('0.0.0.0', '10.0.0.5'):
            f = HostCake(directory_at_host=HostPort(host, 5000)).refusal()
            self.assertIn('loopback address only', f.explanation)
            options = host_cake_tap.Options()
            self.assertRaises(usage.UsageError, options.parseOptions,
                              ['--directory-at-host={"host": "%s", "port": 5000}' % (host,)])

    def test_group_cake(self):
        import inspect
        from layer_cake.supervisor import group_cake
        self.assertIn("accept_at=HostPort('127.0.0.1', 0)",
                      inspect.getsource(group_cake.GroupCake.open_directory))


class GroupCakeSecret(unittest.TestCase):

    def test_twistd_option(self):
        from layer_cake.supervisor import group_cake_tap
        options = group_cake_tap.Options()
        options.parseOptions(['--directory-secret=/etc/lc/secret'])
        self.assertEqual(options['settings'], {'directory_secret': '/etc/lc/secret'})

    def test_unreadable_secret_is_a_fault(self):
        from layer_cake.supervisor.group_cake import GroupCake, GroupFault
        group = GroupCake(directory_secret='/nonexistent/secret')
        e = self.assertRaises(GroupFault, group.open_directory)
        self.assertIn('cannot read the directory secret', e.fault.explanation)
