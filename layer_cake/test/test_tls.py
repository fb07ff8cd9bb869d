"""TLS key material and wrappers for encrypted listen/connect (network.md §2.5, §17 item 12).

Every test has its own key folder under the trial temporary directory
(``$LC_TLS_FOLDER`` is pointed there too), so the user's home is never
touched.  Connections use real sockets on 127.0.0.1, port 0.
"""

import datetime
import hashlib
import os
import shutil
import socket
import sys
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import NameOID
from OpenSSL import SSL
from service_identity.exceptions import VerificationError
from twisted.internet import defer, protocol, reactor, task, utils
from twisted.internet.interfaces import IHandshakeListener
from twisted.protocols import basic, policies
from twisted.trial import unittest
from zope.interface import implementer

from layer_cake.net import tls
from layer_cake.test.support import set_environment

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = (tls.CA_CERTIFICATE, tls.CA_KEY, tls.NODE_CERTIFICATE, tls.NODE_KEY)
MARKER = b'plaintext-marker-7c1f9e'
WAIT = 20.0


def contents(folder):
    """The bytes of each material file present in *folder*."""
    found = {}
    for name in FILES:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            with open(path, 'rb') as f:
                found[name] = f.read()
    return found


class KeyFolderMixin(object):
    """A fresh, private ``$LC_TLS_FOLDER`` for each test."""

    def setUp(self):
        self.base = os.path.abspath(self.mktemp())
        os.makedirs(self.base)
        self.set_environment(tls.FOLDER_VARIABLE, os.path.join(self.base, 'default-keys'))
        self.set_environment(tls.NAMES_VARIABLE, None)

    def set_environment(self, name, value):
        set_environment(self, name, value)

    def folder(self, name='keys'):
        return os.path.join(self.base, name)

    def assert_consistent(self, folder):
        """The node certificate and both keys belong together and to the CA."""
        found = contents(folder)
        self.assertEqual(sorted(found), sorted(FILES))
        ca = x509.load_pem_x509_certificate(found[tls.CA_CERTIFICATE])
        node = x509.load_pem_x509_certificate(found[tls.NODE_CERTIFICATE])
        node.verify_directly_issued_by(ca)
        for certificate, key_name in ((ca, tls.CA_KEY), (node, tls.NODE_KEY)):
            key = serialization.load_pem_private_key(found[key_name], password=None)
            self.assertEqual(public(key.public_key()), public(certificate.public_key()))
        return ca, node


def task_tick():
    """A Deferred that fires on the next reactor turn (for polling a condition)."""
    return task.deferLater(reactor, 0, lambda: None)


def write_own_ca(folder, key):
    """Put a self-signed CA of *key*'s kind in *folder*, as a user would."""
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Test CA')])
    digest = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, digest))
    os.makedirs(folder)
    with open(os.path.join(folder, tls.CA_CERTIFICATE), 'wb') as f:
        f.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(os.path.join(folder, tls.CA_KEY), 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.TraditionalOpenSSL
                                  if isinstance(key, rsa.RSAPrivateKey)
                                  else serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def public(key):
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


class MaterialTests(KeyFolderMixin, unittest.TestCase):

    def test_key_folder_from_environment(self):
        """key_folder() is $LC_TLS_FOLDER when set, and naming it creates nothing."""
        wanted = self.folder('elsewhere')
        self.set_environment(tls.FOLDER_VARIABLE, wanted)
        self.assertEqual(tls.key_folder(), wanted)
        self.assertFalse(os.path.exists(wanted))

    def test_key_folder_default(self):
        """Without $LC_TLS_FOLDER, key_folder() is ~/.layer-cake-tls."""
        self.set_environment(tls.FOLDER_VARIABLE, None)
        self.set_environment('HOME', self.folder('home'))
        self.assertEqual(tls.key_folder(), os.path.join(self.folder('home'), '.layer-cake-tls'))
        self.assertFalse(os.path.exists(self.folder('home')))

    def test_generated_once_with_private_permissions(self):
        """First use makes a CA and a node certificate it signs, folder 0700 and files 0600."""
        folder = self.folder()
        material = tls.ensure_material(folder)
        self.assertEqual(material.folder, folder)
        self.assertEqual(os.stat(folder).st_mode & 0o777, 0o700)
        for name in FILES:
            self.assertEqual(os.stat(os.path.join(folder, name)).st_mode & 0o777, 0o600, name)
        self.assertEqual(sorted(n for n in os.listdir(folder) if not n.startswith('.')),
                         sorted(FILES))
        ca, node = self.assert_consistent(folder)
        self.assertTrue(ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
        self.assertFalse(
            node.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
        names = node.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        self.assertIn('localhost', names.get_values_for_type(x509.DNSName))
        self.assertIn(socket.gethostname().lower(), names.get_values_for_type(x509.DNSName))
        self.assertIn('127.0.0.1', [str(a) for a in names.get_values_for_type(x509.IPAddress)])

    def test_second_call_reuses(self):
        """A second ensure_material() returns the same files, byte for byte."""
        folder = self.folder()
        tls.ensure_material(folder)
        first = contents(folder)
        again = tls.ensure_material(folder)
        self.assertEqual(again.folder, folder)
        self.assertEqual(contents(folder), first)

    def test_default_folder_used(self):
        """With no folder argument the material goes to key_folder()."""
        material = tls.ensure_material()
        self.assertEqual(material.folder, os.environ[tls.FOLDER_VARIABLE])
        self.assert_consistent(material.folder)

    def test_concurrent_threads(self):
        """Eight threads generating at once end with one consistent set, no leftovers."""
        folder = self.folder()
        barrier = threading.Barrier(8)
        results, errors = [], []

        def generate():
            try:
                barrier.wait()
                results.append(tls.ensure_material(folder).folder)
            except BaseException as e:
                errors.append(e)
        threads = [threading.Thread(target=generate) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT)
        self.assertEqual(errors, [])
        self.assertEqual(results, [folder] * 8)
        self.assert_consistent(folder)
        self.assertEqual([n for n in os.listdir(folder) if n.endswith('.tmp')], [])

    @defer.inlineCallbacks
    def test_concurrent_processes(self):
        """Three processes generating at once all see one consistent set."""
        folder = self.folder()
        script = ('import hashlib, os, sys\n'
                  'from layer_cake.net import tls\n'
                  'm = tls.ensure_material(sys.argv[1])\n'
                  'for p in (m.ca_certificate_path, m.node_certificate_path):\n'
                  '    print(hashlib.sha256(open(p, "rb").read()).hexdigest())\n')
        env = dict(os.environ, PYTHONPATH=ROOT)
        runs = [utils.getProcessOutputAndValue(sys.executable, ['-c', script, folder], env=env)
                for _ in range(3)]
        outputs = yield defer.gatherResults(runs)
        for out, err, code in outputs:
            self.assertEqual(code, 0, err)
        self.assertEqual(len(set(out for out, _, _ in outputs)), 1)
        self.assert_consistent(folder)
        found = contents(folder)
        self.assertEqual(outputs[0][0].split(), [
            hashlib.sha256(found[n]).hexdigest().encode()
            for n in (tls.CA_CERTIFICATE, tls.NODE_CERTIFICATE)])

    def test_supplied_node_used_as_is(self):
        """A folder with ca.pem, node.pem and node.key (no ca.key) is used and not added to."""
        own = self.folder('own')
        tls.ensure_material(own)
        supplied = self.folder('supplied')
        os.makedirs(supplied)
        for name in (tls.CA_CERTIFICATE, tls.NODE_CERTIFICATE, tls.NODE_KEY):
            shutil.copy(os.path.join(own, name), supplied)
        before = contents(supplied)
        material = tls.ensure_material(supplied)
        self.assertEqual(contents(supplied), before)
        self.assertNotIn(tls.CA_KEY, contents(supplied))
        self.assertIsNotNone(tls.server_options(material))

    def test_supplied_ca_issues_node(self):
        """A folder with only the CA pair gets a node certificate signed by that CA."""
        own = self.folder('own')
        tls.ensure_material(own)
        supplied = self.folder('supplied')
        os.makedirs(supplied)
        for name in (tls.CA_CERTIFICATE, tls.CA_KEY):
            shutil.copy(os.path.join(own, name), supplied)
        tls.ensure_material(supplied)
        self.assert_consistent(supplied)
        self.assertEqual(contents(supplied)[tls.CA_CERTIFICATE],
                         contents(own)[tls.CA_CERTIFICATE])
        self.assertNotEqual(contents(supplied)[tls.NODE_KEY], contents(own)[tls.NODE_KEY])

    def test_certificate_only_material_connects_but_cannot_listen(self):
        """ca.pem alone is enough for client_options but server_options refuses it."""
        own = self.folder('own')
        tls.ensure_material(own)
        trusting = self.folder('trusting')
        os.makedirs(trusting)
        shutil.copy(os.path.join(own, tls.CA_CERTIFICATE), trusting)
        material = tls.ensure_material(trusting)
        self.assertEqual(sorted(contents(trusting)), [tls.CA_CERTIFICATE])
        self.assertIsNotNone(tls.client_options('127.0.0.1', material))
        self.assertRaises(tls.MaterialError, tls.server_options, material)

    def test_incomplete_pairs_refused(self):
        """A certificate without its key (or a CA key without its certificate) is an error."""
        own = self.folder('own')
        tls.ensure_material(own)
        for name in (tls.NODE_CERTIFICATE, tls.CA_KEY):
            half = self.folder('half-' + name)
            os.makedirs(half)
            shutil.copy(os.path.join(own, name), half)
            self.assertRaises(tls.MaterialError, tls.ensure_material, half)

    def test_unusable_folder_refused(self):
        """A folder that cannot be created gives MaterialError, not a bare OSError."""
        blocker = self.folder('a-file')
        with open(blocker, 'w') as f:
            f.write('not a folder')
        self.assertRaises(tls.MaterialError, tls.ensure_material,
                          os.path.join(blocker, 'keys'))

    def test_mismatched_node_key_refused(self):
        """A node.key that does not belong to node.pem is refused before any connection."""
        one, two = self.folder('one'), self.folder('two')
        tls.ensure_material(one)
        tls.ensure_material(two)
        shutil.copy(os.path.join(two, tls.NODE_KEY), one)
        self.assertRaises(tls.MaterialError, tls.server_options, tls.ensure_material(one))

    def test_names(self):
        """Explicit names, and $LC_TLS_NAMES in the defaults, end up in subjectAltName."""
        folder = self.folder()
        tls.ensure_material(folder, names=['Example.Test', '10.1.2.3', 'example.test'])
        node = x509.load_pem_x509_certificate(contents(folder)[tls.NODE_CERTIFICATE])
        names = node.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        self.assertEqual(names.get_values_for_type(x509.DNSName), ['example.test'])
        self.assertEqual([str(a) for a in names.get_values_for_type(x509.IPAddress)],
                         ['10.1.2.3'])
        self.set_environment(tls.NAMES_VARIABLE, 'a.example, 10.0.0.9')
        self.assertEqual(tls.default_names()[-2:], ['a.example', '10.0.0.9'])


@implementer(IHandshakeListener)
class LineEnd(basic.LineReceiver):
    """One end of a test connection: records events, echoes or says a line."""

    delimiter = b'\n'

    def __init__(self, echo=False, say_after_handshake=None, say_on_connect=None):
        self.echo = echo
        self.say_after_handshake = say_after_handshake
        self.say_on_connect = say_on_connect
        self.events = []
        self.lines = []
        self.reason = None
        self.first_line = defer.Deferred()
        self.lost = defer.Deferred()

    def connectionMade(self):
        self.events.append('made')
        if self.say_on_connect is not None:
            self.transport.write(self.say_on_connect)

    def handshakeCompleted(self):
        self.events.append('handshake')
        if self.say_after_handshake is not None:
            self.sendLine(self.say_after_handshake)

    def lineReceived(self, line):
        self.events.append('line')
        self.lines.append(line)
        if self.echo:
            self.sendLine(line)
        if not self.first_line.called:
            self.first_line.callback(line)

    def connectionLost(self, reason):
        self.events.append('lost')
        self.reason = reason
        self.lost.callback(None)   # the reason is kept above, not raised


class Ends(protocol.ClientFactory):
    """Builds LineEnds and lets the test wait for the first one."""

    def __init__(self, **options):
        self.options = options
        self.built = []
        self.first = defer.Deferred()

    def buildProtocol(self, addr):
        end = LineEnd(**self.options)
        end.factory = self
        self.built.append(end)
        if not self.first.called:
            self.first.callback(end)
        return end


class WiretapProtocol(policies.ProtocolWrapper):
    """Records the raw bytes crossing the socket, both ways."""

    def dataReceived(self, data):
        self.factory.raw.append(data)
        policies.ProtocolWrapper.dataReceived(self, data)

    def write(self, data):
        self.factory.raw.append(data)
        policies.ProtocolWrapper.write(self, data)

    def writeSequence(self, data):
        self.factory.raw.extend(data)
        policies.ProtocolWrapper.writeSequence(self, data)


class Wiretap(policies.WrappingFactory):
    """Sits between the socket and (here) the TLS layer."""

    protocol = WiretapProtocol

    def __init__(self, wrapped):
        policies.WrappingFactory.__init__(self, wrapped)
        self.raw = []


class ConnectionTests(KeyFolderMixin, unittest.TestCase):

    timeout = 60

    def setUp(self):
        KeyFolderMixin.setUp(self)
        self.material = tls.ensure_material(self.folder())
        self.factories = []
        self.addCleanup(self.close_all)

    def listen(self, ends, factory=None):
        """Listen on 127.0.0.1 port 0; the port stops at the end of the test."""
        self.factories.append(ends)
        port = reactor.listenTCP(0, factory or ends, interface='127.0.0.1')
        self.addCleanup(port.stopListening)
        return port.getHost().port

    def connect(self, port, ends, factory=None):
        self.factories.append(ends)
        reactor.connectTCP('127.0.0.1', port, factory or ends, timeout=WAIT)

    def wait(self, d):
        return d.addTimeout(WAIT, reactor)

    def close_all(self):
        """Drop every connection still open and wait until each end has seen it."""
        waits = []
        for ends in self.factories:
            for end in ends.built:
                if end.reason is None:
                    end.transport.abortConnection()
                waits.append(end.lost)
        return self.wait(defer.gatherResults(waits))

    @defer.inlineCallbacks
    def both_lost(self, server_ends, client_ends):
        server = yield self.wait(server_ends.first)
        client = yield self.wait(client_ends.first)
        yield self.wait(defer.gatherResults([server.lost, client.lost]))
        return server, client

    @defer.inlineCallbacks
    def test_line_round_trip_encrypted(self):
        """A line echoes over TLS after handshakeCompleted on both ends; the wire hides it."""
        server_ends = Ends(echo=True)
        tap = Wiretap(tls.wrap_server_factory(server_ends, self.material, reactor))
        port = self.listen(server_ends, tap)
        client_ends = Ends(say_after_handshake=MARKER)
        self.connect(port, client_ends,
                     tls.wrap_client_factory(client_ends, '127.0.0.1', self.material, reactor))
        client = yield self.wait(client_ends.first)
        line = yield self.wait(client.first_line)
        server = server_ends.built[0]
        self.assertEqual(line, MARKER)
        self.assertEqual(server.lines, [MARKER])
        self.assertEqual(client.events, ['made', 'handshake', 'line'])
        self.assertEqual(server.events, ['made', 'handshake', 'line'])
        self.assertTrue(client.transport.getPeerCertificate())
        wire = b''.join(tap.raw)
        self.assertGreater(len(wire), 2 * len(MARKER))
        self.assertNotIn(MARKER, wire)
        client.transport.loseConnection()
        yield self.wait(defer.gatherResults([client.lost, server.lost]))
        self.assertEqual(client.events[-1], 'lost')

    @defer.inlineCallbacks
    def test_names_in_certificate_accepted(self):
        """localhost, 127.0.0.1, this host's name, '' and 0.0.0.0 all verify as this machine."""
        server_ends = Ends(echo=True)
        port = self.listen(server_ends, tls.wrap_server_factory(server_ends, self.material))
        for host in ('localhost', '127.0.0.1', socket.gethostname(), '', '0.0.0.0'):
            client_ends = Ends(say_after_handshake=host.encode())
            self.connect(port, client_ends,
                         tls.wrap_client_factory(client_ends, host, self.material))
            client = yield self.wait(client_ends.first)
            line = yield self.wait(client.first_line)
            self.assertEqual(line, host.encode())
            client.transport.loseConnection()
            yield self.wait(client.lost)

    @defer.inlineCallbacks
    def test_plain_client_against_tls_server(self):
        """A plain client's bytes end the TLS server's connection with no handshakeCompleted."""
        server_ends = Ends(echo=True)
        port = self.listen(server_ends, tls.wrap_server_factory(server_ends, self.material))
        client_ends = Ends(say_on_connect=MARKER + b'\n')
        self.connect(port, client_ends)
        server, client = yield self.both_lost(server_ends, client_ends)
        self.assertNotIn('handshake', server.events)
        self.assertEqual(server.lines, [])
        self.assertIsInstance(server.reason.value, SSL.Error)
        self.assertEqual(client.lines, [])

    @defer.inlineCallbacks
    def test_tls_client_against_plain_server(self):
        """A TLS client meeting plain bytes fails: connectionLost with a failure, no handshake."""
        server_ends = Ends(say_on_connect=b'plain greeting\n')
        port = self.listen(server_ends)
        client_ends = Ends()
        self.connect(port, client_ends,
                     tls.wrap_client_factory(client_ends, '127.0.0.1', self.material))
        server, client = yield self.both_lost(server_ends, client_ends)
        self.assertEqual(client.events, ['made', 'lost'])
        self.assertIsInstance(client.reason.value, SSL.Error)
        self.assertEqual(client.lines, [])

    @defer.inlineCallbacks
    def check_refused_by_client(self, client_factory, client_ends, server_ends):
        self.connect(self.server_port, client_ends, client_factory)
        server, client = yield self.both_lost(server_ends, client_ends)
        self.assertEqual(client.events, ['made', 'lost'])
        self.assertNotIn('handshake', server.events)
        return client.reason.value

    def tls_server(self, material=None, **options):
        server_ends = Ends(echo=True)
        self.server_port = self.listen(
            server_ends, tls.wrap_server_factory(server_ends, material or self.material,
                                                 **options))
        return server_ends

    @defer.inlineCallbacks
    def test_other_host_name_refused(self):
        """A client expecting example.invalid rejects the certificate (service_identity)."""
        server_ends = self.tls_server()
        client_ends = Ends(say_after_handshake=MARKER)
        reason = yield self.check_refused_by_client(
            tls.wrap_client_factory(client_ends, 'example.invalid', self.material),
            client_ends, server_ends)
        self.assertIsInstance(reason, VerificationError)

    @defer.inlineCallbacks
    def test_other_address_refused(self):
        """A client expecting 127.0.0.2 rejects a certificate naming 127.0.0.1 (IP check)."""
        server_ends = self.tls_server()
        client_ends = Ends(say_after_handshake=MARKER)
        reason = yield self.check_refused_by_client(
            tls.wrap_client_factory(client_ends, '127.0.0.2', self.material),
            client_ends, server_ends)
        self.assertIsInstance(reason, VerificationError)

    @defer.inlineCallbacks
    def test_other_ca_refused(self):
        """A client trusting a different CA rejects the server's certificate."""
        server_ends = self.tls_server()
        client_ends = Ends(say_after_handshake=MARKER)
        other = tls.ensure_material(self.folder('other'))
        reason = yield self.check_refused_by_client(
            tls.wrap_client_factory(client_ends, '127.0.0.1', other),
            client_ends, server_ends)
        self.assertIsInstance(reason, SSL.Error)

    @defer.inlineCallbacks
    def test_handshake_timeout(self):
        """A peer that never starts the handshake is dropped at the deadline (HandshakeTimeout)."""
        server_ends = self.tls_server(handshake_timeout=0.5)
        client_ends = Ends()
        self.connect(self.server_port, client_ends)
        server, client = yield self.both_lost(server_ends, client_ends)
        self.assertEqual(server.events, ['made', 'lost'])
        self.assertIsInstance(server.reason.value, tls.HandshakeTimeout)

    @defer.inlineCallbacks
    def test_deadline_spares_completed_handshake(self):
        """The handshake deadline firing after a completed handshake leaves the connection up."""
        self.tls_server()
        client_ends = Ends(say_after_handshake=b'first')
        self.connect(self.server_port, client_ends,
                     tls.wrap_client_factory(client_ends, '127.0.0.1', self.material))
        client = yield self.wait(client_ends.first)
        yield self.wait(client.first_line)
        self.assertIsInstance(client.transport, tls.DeadlineTLSProtocol)
        deadline = client.transport._deadline
        self.assertTrue(deadline.active())
        deadline.reset(0)
        while deadline.active():
            yield self.wait(task_tick())
        client.sendLine(b'second')
        while len(client.lines) < 2 and client.reason is None:
            yield self.wait(task_tick())
        self.assertEqual(client.lines, [b'first', b'second'])
        self.assertNotIn('lost', client.events)

    @defer.inlineCallbacks
    def test_client_certificate_required(self):
        """require_client_certificate: a CA-issued client cert is accepted, none is refused."""
        server_ends = self.tls_server(require_client_certificate=True)
        client_ends = Ends(say_after_handshake=MARKER)
        self.connect(self.server_port, client_ends,
                     tls.wrap_client_factory(client_ends, '127.0.0.1', self.material))
        client = yield self.wait(client_ends.first)
        line = yield self.wait(client.first_line)
        self.assertEqual(line, MARKER)
        client.transport.loseConnection()
        yield self.wait(client.lost)

        trusting = self.folder('trusting')
        os.makedirs(trusting)
        shutil.copy(self.material.ca_certificate_path, trusting)
        anonymous = Ends(say_after_handshake=MARKER)
        self.connect(self.server_port, anonymous, tls.wrap_client_factory(
            anonymous, '127.0.0.1', tls.ensure_material(trusting)))
        client = yield self.wait(anonymous.first)
        yield self.wait(client.lost)
        refused = server_ends.built[1]
        yield self.wait(refused.lost)
        self.assertNotIn('handshake', refused.events)
        self.assertEqual(refused.lines, [])
        self.assertIsInstance(refused.reason.value, SSL.Error)
        self.assertEqual(client.lines, [])
        # Under TLS 1.3 the client finishes first and hears the refusal after.
        self.assertIn(client.events, (['made', 'lost'], ['made', 'handshake', 'lost']))
        self.assertIsInstance(client.reason.value, SSL.Error)

    @defer.inlineCallbacks
    def test_own_rsa_and_ed25519_ca(self):
        """A user's RSA or Ed25519 CA issues the node certificate, and connections verify."""
        for kind, key in (('rsa', rsa.generate_private_key(public_exponent=65537,
                                                            key_size=2048)),
                          ('ed25519', ed25519.Ed25519PrivateKey.generate())):
            folder = self.folder('own-' + kind)
            write_own_ca(folder, key)
            material = tls.ensure_material(folder)
            self.assert_consistent(folder)
            self.tls_server(material)
            client_ends = Ends(say_after_handshake=kind.encode())
            self.connect(self.server_port, client_ends,
                         tls.wrap_client_factory(client_ends, '127.0.0.1', material))
            client = yield self.wait(client_ends.first)
            line = yield self.wait(client.first_line)
            self.assertEqual(line, kind.encode())
            client.transport.loseConnection()
            yield self.wait(client.lost)

    @defer.inlineCallbacks
    def test_supplied_material_round_trip(self):
        """A server with supplied files (no ca.key) and a client holding only ca.pem talk."""
        supplied, trusting = self.folder('supplied'), self.folder('trusting')
        os.makedirs(supplied)
        os.makedirs(trusting)
        for name in (tls.CA_CERTIFICATE, tls.NODE_CERTIFICATE, tls.NODE_KEY):
            shutil.copy(os.path.join(self.material.folder, name), supplied)
        shutil.copy(self.material.ca_certificate_path, trusting)
        self.tls_server(tls.ensure_material(supplied))
        client_ends = Ends(say_after_handshake=MARKER)
        self.connect(self.server_port, client_ends, tls.wrap_client_factory(
            client_ends, 'localhost', tls.ensure_material(trusting)))
        client = yield self.wait(client_ends.first)
        line = yield self.wait(client.first_line)
        self.assertEqual(line, MARKER)
        self.assertEqual(sorted(contents(trusting)), [tls.CA_CERTIFICATE])
        client.transport.loseConnection()
        yield self.wait(client.lost)
