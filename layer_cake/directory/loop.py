"""The publisher's end of subscriber sessions (network.md §8.4).

A process's publications wider than PROCESS share one listener per kind of
address (loopback for GROUP and HOST, every interface for LAN) and
encryption.  A subscriber's process connects to it once, and that
connection carries the sessions of all its subscriptions with every
publication of this process.  Each session is a *loop*: ``OpenLoop`` goes to
the far end's controller, this :class:`SessionListener`, which answers
``LoopOpened`` with the publisher's address and tells the publisher
``Delivered``.  Closing a loop or losing the connection ends the session
with ``Dropped`` to the publisher; clearing a publication ends each of its
sessions with ``LoopEnded`` to the subscriber's side, which falls back.

Sharing the listener is what makes a new publication cheap to reach: no
port to open for it, and a subscriber that already talks to this process
opens the session over the connection it has (the spec's upstream gives
every publication a listener of its own; a session per connection costs a
connection, a handshake and a heartbeat each).

Application messages then travel straight over that connection: the
addresses in these messages are rewritten as they cross it, so each party
holds a working address of the other.

With a directory secret (:mod:`.secret`) the listener takes only
connections that prove it: nothing reaches ``OpenLoop`` before the
handshake, and a peer that fails it is never ``Accepted``.  In an encrypted
directory (:mod:`.link_tls`) the listener of encrypted publications also
requires each subscriber's process to prove a certificate of the directory's
CA, so a session is mutual TLS like the directory's own links.
"""

import datetime
import uuid

from ..net.ipp import HostPort, ScopeOfDirectory
from ..net.listen_connect import listen, stop_listening
from ..net.messages import Accepted, Close, Closed, Listening, NotListening
from ..runtime import engine
from ..runtime.bind import bind
from ..runtime.messages import Start, Stop
from ..runtime.point import Point, Stateless
from ..types import portable as P
from ..types import registry
from .guarded import guarded
from .messages import Delivered, Dropped
from .secret import session_wrapper

__all__ = ['OpenLoop', 'LoopOpened', 'LoopRefused', 'CloseLoop', 'LoopClosed', 'LoopEnded',
           'SessionListener', 'ListenerUp', 'ListenerDown', 'AddPublication',
           'RemovePublication', 'PublicationRemoved', 'listener_host']


class OpenLoop(object):
    """Subscriber side -> session listener: open a session for a route."""

    def __init__(self, name: str = None, scope: ScopeOfDirectory = None,
                 route_id: uuid.UUID = None, subscribed_id: uuid.UUID = None,
                 published_id: uuid.UUID = None, subscriber_address: P.Address = None):
        self.name = name
        self.scope = scope
        self.route_id = route_id
        self.subscribed_id = subscribed_id
        self.published_id = published_id
        self.subscriber_address = subscriber_address


class LoopOpened(object):
    """The session is open; ``publisher_address`` reaches the publisher."""

    def __init__(self, route_id: uuid.UUID = None, publisher_address: P.Address = None,
                 opened_at: datetime.datetime = None):
        self.route_id = route_id
        self.publisher_address = publisher_address
        self.opened_at = opened_at


class LoopRefused(object):
    """The publication is not (or no longer) here."""

    def __init__(self, route_id: uuid.UUID = None, note: str = None):
        self.route_id = route_id
        self.note = note


class CloseLoop(object):
    def __init__(self, route_id: uuid.UUID = None):
        self.route_id = route_id


class LoopClosed(object):
    def __init__(self, route_id: uuid.UUID = None):
        self.route_id = route_id


class LoopEnded(object):
    """Listener -> subscriber side: the publication went, and the session with it."""

    def __init__(self, route_id: uuid.UUID = None, note: str = None):
        self.route_id = route_id
        self.note = note


class ListenerUp(object):
    """Listener -> directory: sessions arrive at ``listening_ipp``."""

    def __init__(self, listening_ipp: HostPort = None):
        self.listening_ipp = listening_ipp or HostPort()


class ListenerDown(object):
    """Listener -> directory: it could not listen (and has ended)."""

    def __init__(self, note: str = None):
        self.note = note


class AddPublication(object):
    """Directory -> listener: accept sessions for this publication."""

    def __init__(self, published_id: uuid.UUID = None, name: str = None,
                 scope: ScopeOfDirectory = None, publisher: P.Address = None):
        self.published_id = published_id
        self.name = name
        self.scope = scope
        self.publisher = publisher


class RemovePublication(object):
    """Directory -> listener: end the publication's sessions, accept no more."""

    def __init__(self, published_id: uuid.UUID = None, note: str = None):
        self.published_id = published_id
        self.note = note


class PublicationRemoved(object):
    """Listener -> directory: every session of the publication has ended."""

    def __init__(self, published_id: uuid.UUID = None):
        self.published_id = published_id


for _c in (OpenLoop, LoopOpened, LoopRefused, CloseLoop, LoopClosed, LoopEnded, ListenerUp,
           ListenerDown, AddPublication, RemovePublication, PublicationRemoved):
    registry.bind_message(_c)
del _c


def listener_host(scope):
    """Where a publication of ``scope`` listens: loopback unless it must leave the host."""
    if scope in (ScopeOfDirectory.LAN, ScopeOfDirectory.WAN):
        return '0.0.0.0'
    return '127.0.0.1'


class _Publication(object):
    __slots__ = ('name', 'scope', 'publisher')

    def __init__(self, name, scope, publisher):
        self.name = name
        self.scope = scope
        self.publisher = publisher


class _Session(object):
    __slots__ = ('loop', 'subscriber', 'far_end', 'proxy', 'opened_at')

    def __init__(self, loop, subscriber, far_end, opened_at):
        self.loop = loop
        self.subscriber = subscriber
        self.far_end = far_end          # the subscriber's directory, over the connection
        self.proxy = far_end[-1:]       # ... and the connection itself
        self.opened_at = opened_at


class SessionListener(Point, Stateless):
    """One listener shared by this process's publications, and their sessions.

    Created by the process directory (its parent), which tells it which
    publications to serve; ends, closing every connection it accepted, on
    ``Stop``.
    """

    def __init__(self, host='127.0.0.1', encrypted=False, secret=None,
                 client_certificates=False):
        Point.__init__(self)
        Stateless.__init__(self)
        self.host = host
        self.encrypted = encrypted
        self.secret = secret        # a DirectorySecret every connection must prove
        # Encrypted, in an encrypted directory: subscribers prove a certificate too.
        self.client_certificates = client_certificates
        self.lid = None
        self.up = False
        self.publications = {}      # published_id -> _Publication
        self.sessions = {}          # route_id -> _Session
        self.connections = set()    # proxy addresses of accepted connections

    def _drop(self, route_id):
        session = self.sessions.pop(route_id, None)
        if session is None:
            return None
        loop = session.loop
        publication = self.publications.get(loop.published_id)
        if publication is not None:
            self.forward(Dropped(loop.name, loop.scope, loop.route_id, loop.subscribed_id,
                                 loop.published_id, session.subscriber, session.opened_at),
                         publication.publisher, session.subscriber)
        return session


@guarded
def SessionListener_Start(self, message):
    self.lid = listen(self, HostPort(self.host, 0), encrypted=self.encrypted,
                      wrap_factory=session_wrapper(self.secret, False, clock=engine.reactor),
                      client_certificates=self.client_certificates)


@guarded
def SessionListener_Listening(self, message):
    self.up = True
    self.send(ListenerUp(message.listening_ipp), self.parent_address)


@guarded
def SessionListener_NotListening(self, message):
    if not self.up:
        self.send(ListenerDown(str(message)), self.parent_address)
        self.complete(None)


@guarded
def SessionListener_AddPublication(self, message):
    self.publications[message.published_id] = _Publication(message.name, message.scope,
                                                           message.publisher)


@guarded
def SessionListener_RemovePublication(self, message):
    published_id = message.published_id
    for route_id in [r for r, s in self.sessions.items()
                     if s.loop.published_id == published_id]:
        session = self._drop(route_id)
        self.send(LoopEnded(route_id, message.note or 'no longer published'), session.far_end)
    self.publications.pop(published_id, None)
    self.reply(PublicationRemoved(published_id))


@guarded
def SessionListener_Accepted(self, message):
    self.connections.add(self.return_address)


@guarded
def SessionListener_OpenLoop(self, message):
    publication = self.publications.get(message.published_id)
    if publication is None or message.subscriber_address is None:
        self.reply(LoopRefused(message.route_id, 'no publication %s here' % (
            message.published_id,)))
        return
    if message.route_id in self.sessions:
        return
    now = datetime.datetime.now(datetime.timezone.utc)
    # The return address leads back over the connection it came by.
    self.sessions[message.route_id] = _Session(message, message.subscriber_address,
                                               self.return_address, now)
    self.reply(LoopOpened(message.route_id, publication.publisher, now))
    self.forward(Delivered(publication.name, message.scope, message.route_id,
                           message.subscribed_id, message.published_id,
                           message.subscriber_address, now),
                 publication.publisher, message.subscriber_address)


@guarded
def SessionListener_CloseLoop(self, message):
    self._drop(message.route_id)
    self.reply(LoopClosed(message.route_id))


@guarded
def SessionListener_Closed(self, message):
    proxy = self.return_address[-1:]
    self.connections.discard(self.return_address)
    for route_id in [r for r, s in self.sessions.items() if s.proxy == proxy]:
        self._drop(route_id)


@guarded
def SessionListener_Stop(self, message):
    for route_id in list(self.sessions):
        self._drop(route_id)
    for proxy in self.connections:
        self.send(Close(), proxy)
    if self.lid is not None:
        stop_listening(self, self.lid)
    self.complete(None)


bind(SessionListener, (Start, Listening, NotListening, AddPublication, RemovePublication,
                       Accepted, OpenLoop, CloseLoop, Closed, Stop))
