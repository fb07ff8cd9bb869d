"""TLS for ``encrypted=True`` listens and connects (network.md §2.5).

Key material lives in one folder (:func:`key_folder`): a private certificate
authority (``ca.pem``, ``ca.key``) and one node certificate (``node.pem``,
``node.key``) issued by it.  :func:`ensure_material` makes whatever is
missing on first use and leaves files a deployment put there alone.

A listener presents the node certificate; a connector trusts only the
certificates in ``ca.pem`` and checks, with ``service_identity``, that the
server's certificate names the host (DNS name or IP address) it dialled.
:func:`wrap_server_factory` and :func:`wrap_client_factory` put a Twisted
``TLSMemoryBIOFactory`` around any protocol factory.  The wrapped protocol
sees ``connectionMade`` as soon as TCP is up and, if it provides
``IHandshakeListener``, ``handshakeCompleted()`` once the peer is verified;
a failed, refused or overdue handshake ends in ``connectionLost`` with a
failure and no ``handshakeCompleted``.

Protocols that must not run before the peer is verified (directory links)
go behind :class:`VerifiedStart` (:func:`verified_factory`): the carried
protocol is connected only once the handshake is complete, and a handshake
that fails is reported, with a readable reason (:func:`refusal_text`), to a
callback instead of reaching the carried protocol at all.

Nothing here imports the global reactor at module level.
"""

import datetime
import ipaddress
import os
import socket
import tempfile
import threading
from contextlib import contextmanager

try:
    import fcntl
except ImportError:     # not POSIX: threads of one process are still serialised
    fcntl = None

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from OpenSSL import SSL, crypto
from service_identity import VerificationError
from twisted.internet import ssl
from twisted.internet.interfaces import IHandshakeListener
from twisted.protocols import policies
from twisted.protocols.tls import BufferingTLSTransport, TLSMemoryBIOFactory
from twisted.python.failure import Failure
from zope.interface import directlyProvides, implementer, providedBy

FOLDER_VARIABLE = 'LC_TLS_FOLDER'
NAMES_VARIABLE = 'LC_TLS_NAMES'
DEFAULT_FOLDER = os.path.join('~', '.layer-cake-tls')

CA_CERTIFICATE = 'ca.pem'
CA_KEY = 'ca.key'
NODE_CERTIFICATE = 'node.pem'
NODE_KEY = 'node.key'
LOCK = '.lock'

CA_DAYS = 20 * 365
NODE_DAYS = 10 * 365
CLOCK_SKEW = datetime.timedelta(days=1)     # hosts whose clocks disagree still agree

HANDSHAKE_TIMEOUT = 30.0        # seconds; the same bound connectTCP gives TCP itself
MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2
_THIS_MACHINE = {'': '127.0.0.1', '0.0.0.0': '127.0.0.1', '::': '::1'}

_in_process = threading.Lock()  # flock does not order threads sharing nothing else


class MaterialError(Exception):
    """The key folder holds something we cannot use, or lacks what is needed."""


class HandshakeTimeout(Exception):
    """The TLS handshake did not complete within the allowed time."""


def key_folder():
    """The folder of TLS key material: ``$LC_TLS_FOLDER``, else ``~/.layer-cake-tls``.

    Only names the folder; :func:`ensure_material` creates it.
    """
    folder = os.environ.get(FOLDER_VARIABLE) or DEFAULT_FOLDER
    return os.path.abspath(os.path.expanduser(folder))


def default_names():
    """The names a generated node certificate is valid for.

    ``localhost``, ``127.0.0.1``, ``::1``, this machine's host name and any
    names listed (comma or space separated) in ``$LC_TLS_NAMES``.
    """
    names = ['localhost', '127.0.0.1', '::1']
    hostname = socket.gethostname()
    if hostname:
        names.append(hostname)
    names.extend(os.environ.get(NAMES_VARIABLE, '').replace(',', ' ').split())
    return names


class Material(object):
    """The four files of one key folder, and loaders for what Twisted needs.

    Files are read at each use, so replacing them takes effect on the next
    listen or connect without a restart.
    """

    def __init__(self, folder):
        self.folder = folder
        self.ca_certificate_path = os.path.join(folder, CA_CERTIFICATE)
        self.ca_key_path = os.path.join(folder, CA_KEY)
        self.node_certificate_path = os.path.join(folder, NODE_CERTIFICATE)
        self.node_key_path = os.path.join(folder, NODE_KEY)

    def __repr__(self):
        return 'Material(%r)' % (self.folder,)

    def has_node(self):
        """Whether this folder can present a certificate (a listener needs one)."""
        return (os.path.exists(self.node_certificate_path)
                and os.path.exists(self.node_key_path))

    def ca_certificates(self):
        """Every certificate in ``ca.pem``, as Twisted ``Certificate`` objects."""
        return [ssl.Certificate(crypto.X509.from_cryptography(c))
                for c in _read_certificates(self.ca_certificate_path, 'trusted CA')]

    def trust_root(self):
        """The peers' certificates must chain to one of these (and only these)."""
        return ssl.trustRootFromCertificates(self.ca_certificates())

    def node_options(self):
        """Keyword arguments of ``CertificateOptions`` presenting the node certificate.

        ``node.pem`` may hold a chain: the node certificate first, then any
        intermediates to send along with it.
        """
        if not self.has_node():
            raise MaterialError('no node certificate in %s (%s and %s are needed to accept '
                                'encrypted connections)' % (self.folder, NODE_CERTIFICATE,
                                                            NODE_KEY))
        chain = _read_certificates(self.node_certificate_path, 'node')
        key = _read_key(self.node_key_path)
        if _public_bytes(key.public_key()) != _public_bytes(chain[0].public_key()):
            raise MaterialError('%s does not belong to the certificate in %s' % (
                self.node_key_path, self.node_certificate_path))
        return dict(privateKey=crypto.PKey.from_cryptography_key(key),
                    certificate=crypto.X509.from_cryptography(chain[0]),
                    extraCertChain=[crypto.X509.from_cryptography(c) for c in chain[1:]])


def ensure_material(folder=None, names=None):
    """The key material in *folder* (default :func:`key_folder`), made if missing.

    On first use this creates the folder (mode 0700), a private CA and a node
    certificate it signs, valid for *names* (default :func:`default_names`);
    every file is written 0600.  Files already there are used as they are:
    a folder with ``node.pem``/``node.key`` is never added to, and one with
    ``ca.pem``/``ca.key`` only gets a node certificate issued by that CA.
    Two threads or processes arriving together produce one consistent set:
    generation happens under a lock on ``.lock`` in the folder, and each file
    appears whole (written aside, then renamed into place).
    """
    material = Material(os.path.abspath(os.path.expanduser(folder or key_folder())))
    if _complete(material):
        return material
    try:
        _make_folder(material.folder)
        with _locked(material.folder):
            if not _complete(material):
                _generate_missing(material, names)
    except OSError as e:
        raise MaterialError('cannot prepare key material in %s (%s)' % (material.folder, e))
    return material


def server_options(material=None, require_client_certificate=False):
    """What a listener presents: the node certificate, TLS 1.2 or later.

    With *require_client_certificate*, a connector must also present a
    certificate issued by a CA in ``ca.pem`` (any name is accepted).
    """
    if material is None:
        material = ensure_material()
    options = material.node_options()
    if require_client_certificate:
        options['trustRoot'] = material.trust_root()
    return ssl.CertificateOptions(raiseMinimumTo=MINIMUM_VERSION, **options)


def client_options(host, material=None):
    """What a connector to *host* accepts: a certificate naming *host* from our CA.

    *host* is the name or address dialled; ``service_identity`` matches it
    against the certificate's DNS or IP subjectAltName entries.  An empty
    host, ``0.0.0.0`` or ``::`` (which reach this machine) is checked as
    ``127.0.0.1`` or ``::1``.  The node certificate, if there is one, is
    offered to servers that ask for it.
    """
    if material is None:
        material = ensure_material()
    if isinstance(host, bytes):
        host = host.decode('ascii')
    host = _THIS_MACHINE.get(host or '', host)
    extra = dict(raiseMinimumTo=MINIMUM_VERSION)
    if material.has_node():
        extra.update(material.node_options())
    return ssl.optionsForClientTLS(host, trustRoot=material.trust_root(),
                                   extraCertificateOptions=extra)


def wrap_server_factory(factory, material=None, reactor=None,
                        handshake_timeout=HANDSHAKE_TIMEOUT, require_client_certificate=False):
    """*factory*'s protocols behind TLS, for ``listenTCP``."""
    options = server_options(material, require_client_certificate)
    return TLSFactory(options, False, factory, reactor, handshake_timeout)


def wrap_client_factory(factory, host, material=None, reactor=None,
                        handshake_timeout=HANDSHAKE_TIMEOUT):
    """*factory*'s protocols behind TLS, for ``connectTCP`` to *host*."""
    options = client_options(host, material)
    return TLSFactory(options, True, factory, reactor, handshake_timeout)


class DeadlineTLSProtocol(BufferingTLSTransport):
    """A TLS connection that is dropped if its handshake is not done in time.

    Without a deadline, a peer that accepts TCP but never answers the
    handshake would hold the connection open with neither side told.
    """

    _deadline = None

    def makeConnection(self, transport):
        timeout = self.factory.handshake_timeout
        if timeout is not None:
            self._deadline = self.factory.reactor.callLater(timeout, self._overdue)
        BufferingTLSTransport.makeConnection(self, transport)

    def _overdue(self):
        self._deadline = None
        # Both Finished messages have been exchanged once the peer's has arrived.
        if self.getHandle().get_peer_finished() is None:
            self.failVerification(Failure(HandshakeTimeout(
                'TLS handshake not completed within %g seconds' % (
                    self.factory.handshake_timeout,))))

    def connectionLost(self, reason):
        if self._deadline is not None:
            if self._deadline.active():
                self._deadline.cancel()
            self._deadline = None
        BufferingTLSTransport.connectionLost(self, reason)


class TLSFactory(TLSMemoryBIOFactory):
    """A ``TLSMemoryBIOFactory`` with an injected reactor and a handshake deadline."""

    protocol = DeadlineTLSProtocol

    def __init__(self, options, is_client, wrapped_factory, reactor=None,
                 handshake_timeout=HANDSHAKE_TIMEOUT):
        if reactor is None:
            from twisted.internet import reactor
        TLSMemoryBIOFactory.__init__(self, options, is_client, wrapped_factory, clock=reactor)
        self.reactor = reactor
        self.handshake_timeout = handshake_timeout


# Starting the carried protocol only once the peer is verified.

@implementer(IHandshakeListener)
class VerifiedStart(policies.ProtocolWrapper):
    """Connects the wrapped protocol only after the TLS handshake has completed.

    Sits directly inside a :class:`DeadlineTLSProtocol`.  The wrapped protocol
    never sees a connection whose handshake failed; the factory's
    ``on_refused(text, peer)`` hears why instead.  A client hears a server's
    refusal of its certificate (TLS 1.3 finishes the client's side first) as
    a connection lost after the start, like any other loss.
    """

    verified = False

    def makeConnection(self, transport):
        directlyProvides(self, providedBy(transport))
        self.connected = 1
        self.transport = transport
        self.factory.registerProtocol(self)

    def handshakeCompleted(self):
        if self.transport.disconnecting:
            return              # a check after the handshake failed (service_identity)
        self.verified = True
        # Connected now, the wrapped protocol has no handshake left to hear of.
        self.wrappedProtocol.makeConnection(self)

    def dataReceived(self, data):
        if self.verified:
            self.wrappedProtocol.dataReceived(data)

    def connectionLost(self, reason):
        if self.verified:
            policies.ProtocolWrapper.connectionLost(self, reason)
            return
        self.factory.unregisterProtocol(self)
        on_refused = self.factory.on_refused
        if on_refused is not None:
            on_refused(refusal_text(reason), _peer_text(self.transport))


class VerifiedStartFactory(policies.WrappingFactory):
    """Builds a :class:`VerifiedStart` around each protocol of ``wrapped``."""

    protocol = VerifiedStart
    noisy = False

    def __init__(self, wrapped, on_refused=None):
        policies.WrappingFactory.__init__(self, wrapped)
        self.on_refused = on_refused

    # A client factory's notices pass through (``connectTCP`` uses them).
    def clientConnectionFailed(self, connector, reason):
        f = getattr(self.wrappedFactory, 'clientConnectionFailed', None)
        if f is not None:
            f(connector, reason)

    def clientConnectionLost(self, connector, reason):
        f = getattr(self.wrappedFactory, 'clientConnectionLost', None)
        if f is not None:
            f(connector, reason)


def verified_factory(factory, on_refused=None):
    """*factory*'s protocols, each connected only once the TLS handshake completed;
    ``on_refused(text, peer)`` hears each connection whose handshake failed."""
    return VerifiedStartFactory(factory, on_refused)


def refusal_text(reason):
    """Why a TLS handshake failed, in words (*reason* a Failure)."""
    value = reason.value if isinstance(reason, Failure) else reason
    if isinstance(value, VerificationError):
        names = [_identity_text(e) for e in getattr(value, 'errors', ()) or ()]
        return 'the certificate does not name %s, the address dialled' % (
            ', '.join(names) or value,)
    if isinstance(value, HandshakeTimeout):
        return str(value)
    if isinstance(value, SSL.Error):
        texts = []
        for entry in (value.args[0] if value.args else ()) or ():
            if isinstance(entry, tuple) and entry:
                texts.append(str(entry[-1]))
        text = ', '.join(t for t in texts if t) or str(value)
        for words, meaning in _ALERTS:
            if words in text:
                text += ' (%s)' % (meaning,)
                break
        return 'TLS handshake failed: %s' % (text,)
    return ('closed before the TLS handshake completed (%s; the other end refused it or '
            'does not speak TLS)') % (
        reason.getErrorMessage() if isinstance(reason, Failure) else value,)


# What OpenSSL's words mean for a deployment.
_ALERTS = (
    ('certificate verify failed', 'a certificate not issued by a trusted CA in ca.pem'),
    ('alert unknown ca', 'the other end does not trust the CA of our certificate'),
    ('alert bad certificate', 'the other end refused our certificate'),
    ('certificate required', 'the other end requires a certificate'),
    ('wrong version number', 'the other end does not speak TLS'),
)


def _identity_text(error):
    wanted = getattr(error, 'mismatched_id', None)
    for attribute in ('ip', 'hostname', 'pattern'):
        value = getattr(wanted, attribute, None)
        if value is not None:
            return str(value.decode('ascii', 'replace') if isinstance(value, bytes)
                       else value)
    return str(error)


def _peer_text(transport):
    peer = getattr(transport, 'getPeer', lambda: None)()
    host = getattr(peer, 'host', None)
    if host is None:
        return 'an unknown address'
    return '%s:%s' % (host, getattr(peer, 'port', '?'))


# Files.

def _complete(material):
    return os.path.exists(material.ca_certificate_path) and material.has_node()


def _make_folder(folder):
    if os.path.isdir(folder):
        return
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)     # the umask may have taken bits away; never add any


@contextmanager
def _locked(folder):
    with _in_process:
        fd = os.open(os.path.join(folder, LOCK), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)        # releases the flock too


def _generate_missing(material, names):
    exists = os.path.exists
    if exists(material.node_certificate_path) != exists(material.node_key_path):
        raise MaterialError('%s holds only one of %s and %s; supply both or neither' % (
            material.folder, NODE_CERTIFICATE, NODE_KEY))
    if material.has_node():
        return                  # supplied without a CA: used as it is, nothing to add
    if exists(material.ca_key_path) and not exists(material.ca_certificate_path):
        raise MaterialError('%s holds %s without %s; supply both or neither' % (
            material.folder, CA_KEY, CA_CERTIFICATE))
    now = datetime.datetime.now(datetime.timezone.utc)
    if not exists(material.ca_certificate_path):
        ca_key, ca_certificate = _issue_ca(now)
        _write_private(material.ca_key_path, _key_pem(ca_key))
        _write_private(material.ca_certificate_path, _certificate_pem(ca_certificate))
    elif exists(material.ca_key_path):
        ca_key = _read_key(material.ca_key_path)
        ca_certificate = _read_certificates(material.ca_certificate_path, 'CA')[0]
    else:
        return                  # ca.pem alone: enough to connect, not to listen
    node_key, node_certificate = _issue_node(now, ca_key, ca_certificate,
                                             names or default_names())
    _write_private(material.node_key_path, _key_pem(node_key))
    _write_private(material.node_certificate_path, _certificate_pem(node_certificate))


def _write_private(path, data):
    folder, name = os.path.split(path)
    fd, temporary = tempfile.mkstemp(prefix='.%s.' % (name,), suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:     # mkstemp made it 0600
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _read(path, what):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError as e:
        raise MaterialError('cannot read %s file %s (%s)' % (what, path, e.strerror))


def _read_certificates(path, what):
    data = _read(path, what + ' certificate')
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as e:
        raise MaterialError('%s is not a PEM certificate (%s)' % (path, e))
    return certificates


def _read_key(path):
    data = _read(path, 'private key')
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise MaterialError('%s is not an unencrypted PEM private key (%s)' % (path, e))


def _public_bytes(public_key):
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _certificate_pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM)


# Certificates.

def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'layer-cake'),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])


def _issue_ca(now):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name('layer-cake CA %s' % (socket.gethostname(),))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256()))
    return key, certificate


def _alternative_names(names):
    entries, seen = [], set()
    for name in names:
        try:
            entry = x509.IPAddress(ipaddress.ip_address(name))
        except ValueError:
            name = name.lower().rstrip('.')
            if not name or not name.isascii():
                continue        # an A-label is needed; skip rather than refuse
            entry = x509.DNSName(name)
        if entry not in seen:
            seen.add(entry)
            entries.append(entry)
    if not entries:
        raise MaterialError('no usable name for the node certificate in %r' % (names,))
    return entries


def _issue_node(now, ca_key, ca_certificate, names):
    key = ec.generate_private_key(ec.SECP256R1())
    entries = _alternative_names(names)
    dns = [e.value for e in entries if isinstance(e, x509.DNSName)]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(dns[-1] if dns else str(entries[0].value)))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + datetime.timedelta(days=NODE_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                              ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectAlternativeName(entries), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ca_certificate.public_key()), critical=False)
        .sign(ca_key, _digest_for(ca_key)))
    return key, certificate


def _digest_for(key):
    """Edwards-curve keys sign without a separate digest; the rest use SHA-256."""
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        return None
    return hashes.SHA256()
