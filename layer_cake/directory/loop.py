"""The publisher's end of subscriber sessions (network.md §8.4).

A publication wider than PROCESS gets a listener of its own.  A subscriber's
process connects to it (one connection per listener, shared by all its
subscriptions) and opens a *loop* per route: ``OpenLoop`` goes to the far
end's controller, this :class:`PublicationListener`, which answers
``LoopOpened`` with the publisher's address and tells the publisher
``Delivered``.  Closing a loop, losing the connection or clearing the
publication ends the session with ``Dropped`` to the publisher; the
subscriber's side sees ``LoopClosed`` or the connection close.

Application messages then travel straight over that connection: the
addresses in these messages are rewritten as they cross it, so each party
holds a working address of the other.
"""

import datetime
import uuid

from ..net.ipp import HostPort, ScopeOfDirectory
from ..net.listen_connect import listen, stop_listening
from ..net.messages import Accepted, Close, Closed, Listening, NotListening
from ..runtime.bind import bind
from ..runtime.messages import Start, Stop
from ..runtime.point import Point, Stateless
from ..types import portable as P
from ..types import registry
from .guarded import guarded
from .messages import Delivered, Dropped

__all__ = ['OpenLoop', 'LoopOpened', 'LoopRefused', 'CloseLoop', 'LoopClosed',
           'PublicationListener', 'ListenerUp', 'ListenerDown', 'listener_host']


class OpenLoop(object):
    """Subscriber side -> publication listener: open a session for a route."""

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


class ListenerUp(object):
    """Listener -> directory: sessions for ``published_id`` arrive at ``listening_ipp``."""

    def __init__(self, published_id: uuid.UUID = None, listening_ipp: HostPort = None):
        self.published_id = published_id
        self.listening_ipp = listening_ipp or HostPort()


class ListenerDown(object):
    """Listener -> directory: no listener (it failed or was stopped)."""

    def __init__(self, published_id: uuid.UUID = None, note: str = None):
        self.published_id = published_id
        self.note = note


for _c in (OpenLoop, LoopOpened, LoopRefused, CloseLoop, LoopClosed, ListenerUp,
           ListenerDown):
    registry.bind_message(_c)
del _c


def listener_host(scope):
    """Where a publication of ``scope`` listens: loopback unless it must leave the host."""
    if scope in (ScopeOfDirectory.LAN, ScopeOfDirectory.WAN):
        return '0.0.0.0'
    return '127.0.0.1'


class _Session(object):
    __slots__ = ('loop', 'subscriber', 'proxy', 'opened_at')

    def __init__(self, loop, subscriber, proxy, opened_at):
        self.loop = loop
        self.subscriber = subscriber
        self.proxy = proxy
        self.opened_at = opened_at


class PublicationListener(Point, Stateless):
    """The listener of one publication and the sessions opened through it.

    Created by the process directory (its parent) with the publication's
    details; ends, closing every connection it accepted, on ``Stop``.
    """

    def __init__(self, published_id=None, name=None, scope=None, encrypted=False,
                 publisher=None):
        Point.__init__(self)
        Stateless.__init__(self)
        self.published_id = published_id
        self.name = name
        self.scope = scope
        self.encrypted = encrypted
        self.publisher = publisher
        self.lid = None
        self.up = False
        self.sessions = {}          # route_id -> _Session
        self.connections = set()    # proxy addresses of accepted connections

    def _drop(self, route_id):
        session = self.sessions.pop(route_id, None)
        if session is None:
            return
        loop = session.loop
        self.forward(Dropped(self.name, loop.scope, loop.route_id, loop.subscribed_id,
                             loop.published_id, session.subscriber, session.opened_at),
                     self.publisher, session.subscriber)


@guarded
def PublicationListener_Start(self, message):
    self.lid = listen(self, HostPort(listener_host(self.scope), 0), encrypted=self.encrypted)


@guarded
def PublicationListener_Listening(self, message):
    self.up = True
    self.send(ListenerUp(self.published_id, message.listening_ipp), self.parent_address)


@guarded
def PublicationListener_NotListening(self, message):
    if not self.up:
        self.send(ListenerDown(self.published_id, str(message)), self.parent_address)
        self.complete(None)


@guarded
def PublicationListener_Accepted(self, message):
    self.connections.add(self.return_address)


@guarded
def PublicationListener_OpenLoop(self, message):
    if message.published_id != self.published_id or message.subscriber_address is None:
        self.reply(LoopRefused(message.route_id, 'no publication %s here' % (
            message.published_id,)))
        return
    if message.route_id in self.sessions:
        return
    now = datetime.datetime.now(datetime.timezone.utc)
    # The reply's return address leads back over the connection it came by.
    proxy = self.return_address[-1:]
    self.sessions[message.route_id] = _Session(message, message.subscriber_address, proxy, now)
    self.reply(LoopOpened(message.route_id, self.publisher, now))
    self.forward(Delivered(self.name, message.scope, message.route_id, message.subscribed_id,
                           message.published_id, message.subscriber_address, now),
                 self.publisher, message.subscriber_address)


@guarded
def PublicationListener_CloseLoop(self, message):
    self._drop(message.route_id)
    self.reply(LoopClosed(message.route_id))


@guarded
def PublicationListener_Closed(self, message):
    proxy = self.return_address[-1:]
    self.connections.discard(self.return_address)
    for route_id in [r for r, s in self.sessions.items() if s.proxy == proxy]:
        self._drop(route_id)


@guarded
def PublicationListener_Stop(self, message):
    for route_id in list(self.sessions):
        self._drop(route_id)
    for proxy in self.connections:
        self.send(Close(), proxy)
    if self.lid is not None:
        stop_listening(self, self.lid)
    self.complete(None)


bind(PublicationListener, (Start, Listening, NotListening, Accepted, OpenLoop, CloseLoop,
                           Closed, Stop))
