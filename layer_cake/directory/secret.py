"""Shared-secret authentication of directory links and publisher sessions.

When a directory node is given a secret (a file whose bytes are the key),
every connection it makes or accepts starts with a short challenge-response
exchange on the raw byte stream, before the protocol it carries (AMP of a
directory link, frames of a publisher session) sees a single byte::

    each end, at once      MAGIC + its own fresh 32-byte nonce
    connector -> acceptor  HMAC-SHA256(key, LABEL + b'connector' + Nc + Na)
    acceptor -> connector  HMAC-SHA256(key, LABEL + b'acceptor'  + Na + Nc)

The acceptor checks the connector's proof before it sends its own, and
starts the carried protocol only after that; the connector starts its own
only once the acceptor's proof checks.  Both nonces and the direction are
inside each MAC, so an answer recorded on one connection is worthless on
another (the other end's nonce is fresh) and an answer cannot be reflected
back at its sender (the direction differs).  Proofs are compared with
:func:`hmac.compare_digest`.

A peer that sends anything but the handshake, a wrong proof, or nothing at
all within :data:`HANDSHAKE_TIMEOUT` seconds is cut off with a logged reason;
it has seen only the other end's nonce.  This is authentication, not
privacy: what follows is in clear unless the link also uses TLS.

:class:`SecretGuard` wraps the protocol a factory builds
(:func:`guarded_factory`), so the tier and session code stay as they are.
"""

import hashlib
import hmac
import os
import stat

from twisted.protocols import policies
from twisted.python.failure import Failure
from zope.interface import directlyProvides, providedBy

from .tier_protocol import RuntimeLog

__all__ = ['SecretError', 'SecretRefused', 'DirectorySecret', 'read_secret', 'SecretGuard',
           'guarded_factory', 'HANDSHAKE_TIMEOUT', 'MAGIC', 'NONCE_BYTES', 'PROOF_BYTES',
           'SECRET_VARIABLE', 'secret_from_environment', 'configured_secret', 'proof',
           'session_wrapper']

MAGIC = b'LCSECRET1'
NONCE_BYTES = 32
PROOF_BYTES = hashlib.sha256().digest_size
LABEL = b'layer-cake directory secret v1|'
HANDSHAKE_TIMEOUT = 10.0
SECRET_VARIABLE = 'LAYER_CAKE_DIRECTORY_SECRET'

CONNECTOR = b'connector'
ACCEPTOR = b'acceptor'


class SecretError(Exception):
    """The secret file cannot be used; the text says why."""


class SecretRefused(Exception):
    """A connection was cut off in the secret handshake; the text says why."""


class DirectorySecret(object):
    """The key of a secured directory, and where it came from (for logs)."""

    def __init__(self, key, origin='(given)'):
        if not isinstance(key, bytes) or not key:
            raise SecretError('the secret is empty')
        self._key = key
        self.origin = origin

    def proof(self, direction, own_nonce, other_nonce):
        return proof(self._key, direction, own_nonce, other_nonce)

    def __repr__(self):
        # Never the key itself.
        return 'DirectorySecret(%s)' % (self.origin,)


def proof(key, direction, own_nonce, other_nonce):
    """The MAC one end sends: over the direction and both nonces, its own first."""
    return hmac.new(key, LABEL + direction + b'|' + own_nonce + other_nonce,
                    hashlib.sha256).digest()


def read_secret(path, warn=None):
    """The DirectorySecret in the file at ``path`` (trailing white space dropped).

    Raises SecretError when it cannot be read or is empty; ``warn(text)`` hears
    that other users may read the file.
    """
    try:
        with open(path, 'rb') as f:
            key = f.read().rstrip()
        mode = os.stat(path).st_mode
    except OSError as e:
        raise SecretError('cannot read the directory secret %s (%s)' % (
            path, e.strerror or e))
    if not key:
        raise SecretError('the directory secret %s is empty' % (path,))
    if warn is not None and mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn('The directory secret %s may be read by other users (chmod 600)' % (path,))
    return DirectorySecret(key, path)


def secret_from_environment(environ=None, warn=None):
    """The DirectorySecret named by LAYER_CAKE_DIRECTORY_SECRET, or None when unset."""
    environ = os.environ if environ is None else environ
    path = environ.get(SECRET_VARIABLE)
    if not path:
        return None
    return read_secret(path, warn=warn)


def configured_secret(path=None, environ=None, warn=None):
    """The secret of a program: the file ``path`` (its ``--directory-secret``) when
    given, else the one LAYER_CAKE_DIRECTORY_SECRET names, else None (no secret).
    SecretError when the file cannot be used."""
    if path:
        return read_secret(path, warn=warn)
    return secret_from_environment(environ, warn=warn)


class SecretGuard(policies.ProtocolWrapper):
    """The handshake, then the wrapped protocol.

    ``factory`` is a :class:`_GuardFactory`; ``connector`` says which end this is.
    ``refused_because`` keeps the reason a connection was cut off (None while not).
    """

    refused_because = None
    authenticated = False

    def __init__(self, factory, wrapped, connector):
        policies.ProtocolWrapper.__init__(self, factory, wrapped)
        self.connector = connector
        self._buffer = b''
        self._own_nonce = None
        self._other_nonce = None
        self._sent_proof = False
        self._timeout = None

    # Twisted's side.

    def makeConnection(self, transport):
        # The wrapped protocol is not connected until the handshake is over.
        directlyProvides(self, providedBy(transport))
        self.connected = 1
        self.transport = transport
        self.factory.registerProtocol(self)
        self.connectionMade()

    def connectionMade(self):
        self._own_nonce = os.urandom(NONCE_BYTES)
        clock = self.factory.clock
        self._timeout = clock.callLater(self.factory.timeout, self._timed_out)
        self.transport.write(MAGIC + self._own_nonce)

    def dataReceived(self, data):
        if self.authenticated:
            self.wrappedProtocol.dataReceived(data)
            return
        if self.refused_because is not None:
            return
        self._buffer += data
        self._advance()

    def connectionLost(self, reason):
        self._cancel_timeout()
        if self.authenticated:
            policies.ProtocolWrapper.connectionLost(self, reason)
            return
        self.factory.unregisterProtocol(self)
        if self.refused_because is None:
            if self._sent_proof:
                self.refused_because = 'it refused our proof of the directory secret'
            else:
                self.refused_because = 'closed during the secret handshake'
            self.factory.log.warning('Refusing %s (%s; is it configured with the same '
                                     'directory secret?)' % (self._who(),
                                                              self.refused_because))
            self._tell_refused()

    def _tell_refused(self):
        self.factory.refused = self.refused_because
        if self.factory.on_refused is not None:
            self.factory.on_refused(self.refused_because)

    # The exchange.

    def _advance(self):
        if self._other_nonce is None:
            head = len(MAGIC) + NONCE_BYTES
            if not MAGIC.startswith(self._buffer[:len(MAGIC)]):
                return self._refuse('it did not begin the secret handshake (no directory '
                                    'secret configured there?)')
            if len(self._buffer) < head:
                return
            self._other_nonce = self._buffer[len(MAGIC):head]
            self._buffer = self._buffer[head:]
            if self._other_nonce == self._own_nonce:
                return self._refuse('it sent back our own nonce')
            if self.connector:
                self._sent_proof = True
                self.transport.write(self._secret().proof(CONNECTOR, self._own_nonce,
                                                          self._other_nonce))
        if len(self._buffer) < PROOF_BYTES:
            return
        answer, rest = self._buffer[:PROOF_BYTES], self._buffer[PROOF_BYTES:]
        self._buffer = b''
        direction = ACCEPTOR if self.connector else CONNECTOR
        expected = self._secret().proof(direction, self._other_nonce, self._own_nonce)
        if not hmac.compare_digest(answer, expected):
            return self._refuse('wrong proof of the directory secret')
        if not self.connector:
            self.transport.write(self._secret().proof(ACCEPTOR, self._own_nonce,
                                                      self._other_nonce))
        self._accepted(rest)

    def _accepted(self, rest):
        self._cancel_timeout()
        self.authenticated = True
        self.factory.log.trace('%s proved the directory secret' % (self._who(),))
        self.wrappedProtocol.makeConnection(self)
        if rest and self.connected and self.wrappedProtocol.connected:
            self.wrappedProtocol.dataReceived(rest)

    def _secret(self):
        return self.factory.secret

    def _refuse(self, reason):
        self.refused_because = reason
        self._cancel_timeout()
        self._buffer = b''
        self.factory.log.warning('Refusing %s (%s)' % (self._who(), reason))
        self._tell_refused()
        abort = getattr(self.transport, 'abortConnection', None)
        if abort is not None:
            abort()
        else:
            self.transport.loseConnection()

    def _timed_out(self):
        self._timeout = None
        if not self.authenticated and self.refused_because is None:
            self._refuse('no secret handshake within %g s' % (self.factory.timeout,))

    def _cancel_timeout(self):
        timeout, self._timeout = self._timeout, None
        if timeout is not None and timeout.active():
            timeout.cancel()

    def _who(self):
        peer = self.transport.getPeer() if self.transport is not None else None
        host = getattr(peer, 'host', None)
        side = 'the directory at' if self.connector else 'a connection from'
        if host is None:
            return '%s an unknown address' % (side,)
        return '%s %s:%s' % (side, host, getattr(peer, 'port', '?'))


class _GuardFactory(policies.WrappingFactory):
    protocol = SecretGuard
    noisy = False

    def __init__(self, wrapped, secret, connector, log=None, clock=None,
                 timeout=HANDSHAKE_TIMEOUT, on_refused=None):
        policies.WrappingFactory.__init__(self, wrapped)
        self.on_refused = on_refused
        self.refused = None             # why the last connection was cut off
        self.secret = secret
        self.connector = connector
        self.log = log or RuntimeLog('DirectorySecret')
        self._clock = clock
        self.timeout = timeout

    @property
    def clock(self):
        if self._clock is None:
            from twisted.internet import reactor
            self._clock = reactor
        return self._clock

    def buildProtocol(self, addr):
        wrapped = self.wrappedFactory.buildProtocol(addr)
        if wrapped is None:
            return None
        return self.protocol(self, wrapped, self.connector)

    # A client factory's notices pass through (endpoints do not use them); a
    # connection cut off in the handshake is, to the wrapped factory, one that
    # never connected.
    def clientConnectionFailed(self, connector, reason):
        f = getattr(self.wrappedFactory, 'clientConnectionFailed', None)
        if f is not None:
            f(connector, reason)

    def clientConnectionLost(self, connector, reason):
        refused, self.refused = self.refused, None
        if refused is not None:
            self.clientConnectionFailed(connector, Failure(SecretRefused(
                'directory secret: %s' % (refused,))))
            return
        f = getattr(self.wrappedFactory, 'clientConnectionLost', None)
        if f is not None:
            f(connector, reason)


def session_wrapper(secret, connector, log=None, clock=None):
    """The ``wrap_factory`` of ``lc.listen``/``lc.connect`` for publisher sessions
    (None without a secret): their connections pass the same handshake."""
    if secret is None:
        return None

    def wrap(factory):
        return guarded_factory(factory, secret, connector, log=log, clock=clock)
    return wrap


def guarded_factory(factory, secret, connector, log=None, clock=None,
                    timeout=HANDSHAKE_TIMEOUT, on_refused=None):
    """``factory`` itself when ``secret`` is None, else one whose connections must
    first pass the handshake (``connector``: this end connects).  ``log`` takes
    ``warning``/``trace``; ``on_refused(reason)`` hears each connection cut off."""
    if secret is None:
        return factory
    return _GuardFactory(factory, secret, connector, log=log, clock=clock, timeout=timeout,
                         on_refused=on_refused)
