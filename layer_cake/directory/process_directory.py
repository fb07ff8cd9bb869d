"""The directory inside every layer-cake process (network.md §7, §8.2, §8.4).

:class:`ProcessDirectory` is the home node of this process's publications
and subscriptions.  It answers ``lc.publish``/``lc.subscribe`` and the
clears, holds a :class:`.node.DirectoryNode` of PROCESS scope (so names
published and searched in this process meet here first; its
:class:`.tier.Tier` carries wider listings up to group-cake or host-cake and
brings their route offers back), and runs the
subscriber side of every session: for each (subscription, matched name) a
:class:`.choice.Choice` picks the nearest route, and the session is opened
in-process (both objects here) or over a connection to the listener of
the publication's process (:mod:`.loop`), one connection per listener shared
by every subscription of this process.  The process's own publications share
a listener per kind of address and encryption, opened on the first of them
and closed a grace period after the last is cleared.

Everything happens on the reactor thread, pushed by events: an offer opens
a session at once, and a connection's close drops it at once.
"""

import datetime
import uuid

from ..net.ipp import HostPort, ScopeOfDirectory
from ..net.listen_connect import connect
from ..net.messages import Close, Closed, Connected, NotConnected
from ..runtime import engine
from ..runtime import log as L
from ..runtime.bind import bind
from ..runtime.messages import Enquiry, Faulted, Returned, Start, Stop
from ..runtime.point import Point, Stateless, deliver, watch_end
from .choice import CLOSE, OPEN, Choice
from .introspect import (DescribeNode, DirectoryOpened, NodePinged, NotDescribed, NotPinged,
                         OpenDirectory, PingNode, subscriber_sessions)
from .listing import Publication, Subscription, check_name, compile_search
from .loop import (AddPublication, CloseLoop, ListenerDown, ListenerUp, LoopClosed, LoopEnded,
                   LoopOpened, LoopRefused, OpenLoop, PublicationRemoved, RemovePublication,
                   SessionListener, listener_host)
from .guarded import guarded
from .ids import fresh_id
from .liveness import HEARTBEAT, heartbeat
from .messages import (Available, ClearPublished, ClearSubscribed, Delivered, Dropped,
                       NotPublished, NotSubscribed, PublishAs, Published, PublishedCleared,
                       SubscribeTo, Subscribed, SubscribedCleared)
from .tier import STANDARD_PARENT, Tier
from .secret import session_wrapper

__all__ = ['ProcessDirectory', 'COMPLETE_A_LOOP', 'GRACE_BEFORE_CLEARANCE', 'SESSION_HEARTBEAT']

PROCESS = ScopeOfDirectory.PROCESS

# Seconds a publication listener has to answer OpenLoop before the attempt
# counts as a lost session (and the subscriber falls back).
COMPLETE_A_LOOP = 3.0

# Seconds a connection to a session listener stays open without sessions,
# and a session listener without publications.
GRACE_BEFORE_CLEARANCE = 8.0

# Seconds between heartbeats on a session connection, each way: the standard
# value of :func:`.liveness.heartbeat`, which ``LC_HEARTBEAT`` replaces.  A
# publisher that stops answering (SIGSTOP, a host that vanished without
# closing its sockets) is declared gone -- Dropped, then fallback -- when the
# answer to the subscriber's beat is missing for this period plus
# keep-alive's 3 s response window: at most 2.1 periods plus 3 s (7.2 s)
# after the last beat heard (the periods have a 5 % spread).
SESSION_HEARTBEAT = HEARTBEAT


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


class _Local(object):
    """A publication or subscription made by an object of this process."""

    __slots__ = ('owner', 'text', 'scope', 'encrypted', 'listener', 'ipp', 'clearing')

    def __init__(self, owner, text, scope, encrypted=False):
        self.owner = owner          # the publishing or subscribing object
        self.text = text            # name or search
        self.scope = scope
        self.encrypted = encrypted
        self.listener = None        # a publication's _Listener
        self.ipp = None             # ... and where it listens, once it does
        self.clearing = None        # (requester, note) while a clear waits for the listener


class _Listener(object):
    """A session listener of this process, and the publications it serves."""

    __slots__ = ('key', 'address', 'ipp', 'published', 'idle')

    def __init__(self, key, address):
        self.key = key              # (host, encrypted)
        self.address = address      # the SessionListener
        self.ipp = None             # where it listens, once it does
        self.published = set()      # published_ids it serves
        self.idle = None            # the clearance timer while it serves none


class _Session(object):
    """One route being opened, in use or being closed, at the subscriber's side."""

    __slots__ = ('offer', 'key', 'peer', 'up', 'publisher', 'opened_at', 'timer')

    def __init__(self, offer, key, peer=None):
        self.offer = offer
        self.key = key              # (subscribed_id, name): the Choice it belongs to
        self.peer = peer            # (host, port) of the listener; None in-process
        self.up = False
        self.publisher = None
        self.opened_at = None
        self.timer = None


class _Peer(object):
    """The connection to one session listener (a publisher process), shared by this process."""

    __slots__ = ('ipp', 'proxy', 'local', 'routes', 'idle')

    def __init__(self, ipp):
        self.ipp = ipp
        self.proxy = None           # set on Connected
        self.local = None           # ... with our end's address
        self.routes = set()
        self.idle = None            # the clearance timer while no route uses it


class ProcessDirectory(Point, Stateless):
    """This process's directory node and its subscriber sessions."""

    def __init__(self, connect_to=None, auto_parent=STANDARD_PARENT, scope=PROCESS,
                 secret=None, tls=None):
        Point.__init__(self)
        self.secret = secret        # a DirectorySecret (secret.py): links and sessions
        Stateless.__init__(self)
        self.incarnation = uuid.uuid4()
        # The PROCESS node, its link to a parent tier (explicit, or found the
        # first time a listing wider than PROCESS appears), and what comes
        # back down for this process's own subscriptions.
        # LIBRARY: a library child's node, under its parent process's (§9.5).
        self.tier = Tier(scope, connect_to=connect_to, auto_parent=auto_parent,
                         on_local_offer=self.offered, on_local_withdraw=self.withdrawn,
                         on_local_advice=self.advised, incarnation=self.incarnation,
                         log=self, reactor=engine.reactor,
                         on_describe=lambda: subscriber_sessions(self), secret=secret,
                         tls=tls)
        self.node = self.tier.node
        self.publications = {}      # published_id -> _Local
        self.names = {}             # name -> published_id (unique in the process)
        self.subscriptions = {}     # subscribed_id -> _Local
        self.searches = {}          # (subscriber, search) -> subscribed_id
        self.choices = {}           # (subscribed_id, name) -> Choice
        self.route_keys = {}         # route_id -> (subscribed_id, name)
        self.sessions = {}          # route_id -> _Session
        self.peers = {}             # (host, port) -> _Peer
        self.listeners = {}         # (host, encrypted) -> _Listener
        self.listener_at = {}       # SessionListener address -> _Listener

    # Publishing.

    def publish(self, request, owner):
        name, scope = request.name, request.scope
        why = check_name(name)
        if why is None and not isinstance(scope, ScopeOfDirectory):
            why = 'no scope'
        if why is None and name in self.names:
            why = 'already published'
        if why is not None:
            self.send(NotPublished(name, scope, why), owner)
            return
        published_id = fresh_id()
        watch_end(owner)
        local = _Local(owner, name, scope, request.encrypted)
        self.publications[published_id] = local
        self.names[name] = published_id
        if scope.value >= PROCESS.value:
            self._published(published_id, HostPort())
            return
        key = (listener_host(scope), bool(request.encrypted))
        listener = self.listeners.get(key)
        if listener is None:
            listener = _Listener(key, self.create(SessionListener, key[0], key[1],
                                                  self.secret, self.tier.tls is not None))
            self.listeners[key] = self.listener_at[listener.address] = listener
        if listener.idle is not None:
            if listener.idle.active():
                listener.idle.cancel()
            listener.idle = None
        local.listener = listener
        listener.published.add(published_id)
        self.send(AddPublication(published_id, name, scope, owner), listener.address)
        if listener.ipp is not None:
            self._published(published_id, listener.ipp)

    def _published(self, published_id, ipp):
        local = self.publications[published_id]
        local.ipp = ipp
        # Made for this one send and never touched again: delivered without
        # the deep copy a send makes of a message with a HostPort inside
        # (this object keeps no message trail, so there is nothing to log),
        # and so not in the way of the push that follows.
        deliver(Published(local.text, local.scope, local.encrypted, published_id, ipp,
                          self.object_address), local.owner, self.object_address)
        self.node.add(Publication(published_id, local.text, local.scope, local.encrypted, ipp,
                                  self.node.unique_id, self.incarnation))

    def listener_up(self, address, ipp):
        listener = self.listener_at.get(address)
        if listener is None or listener.ipp is not None:
            return
        listener.ipp = ipp
        for published_id in list(listener.published):
            local = self.publications.get(published_id)
            if local is not None and local.ipp is None and local.clearing is None:
                self._published(published_id, ipp)

    def listener_down(self, address, note):
        listener = self._forget_listener(address)
        if listener is None:
            return
        for published_id in listener.published:
            local = self.publications.pop(published_id, None)
            if local is None:
                continue
            self.names.pop(local.text, None)
            if local.clearing is not None:
                self._send_cleared(local, published_id, *local.clearing)
            else:
                self.send(NotPublished(local.text, local.scope, note or 'cannot listen'),
                          local.owner)

    def _forget_listener(self, address):
        listener = self.listener_at.pop(address, None)
        if listener is None:
            return None
        if self.listeners.get(listener.key) is listener:
            del self.listeners[listener.key]
        if listener.idle is not None and listener.idle.active():
            listener.idle.cancel()
        listener.idle = None
        return listener

    def _listener_idle(self, listener):
        listener.idle = None
        if not listener.published and self.listener_at.get(listener.address) is listener:
            self._forget_listener(listener.address)
            self.send(Stop(), listener.address)

    def clear_published(self, request, requester):
        published_id = request.published_id
        if published_id is None and request.name is not None:
            published_id = self.names.get(request.name)
        local = self.publications.get(published_id)
        if local is None or local.clearing is not None:
            if requester is not None:
                self.send(PublishedCleared(request.name, request.scope, published_id,
                                           'not published'), requester)
            return
        # In-process sessions end now (the node withdraws their routes); those
        # over connections end at the listener, which then answers.
        self.node.remove(published_id)
        self.names.pop(local.text, None)
        if local.listener is None:
            del self.publications[published_id]
            self._send_cleared(local, published_id, requester, request.note)
            return
        local.clearing = (requester, request.note)
        self.send(RemovePublication(published_id, request.note), local.listener.address)

    def publication_removed(self, address, published_id):
        listener = self.listener_at.get(address)
        local = self.publications.get(published_id)
        if local is None or local.clearing is None or local.listener is not listener:
            return
        del self.publications[published_id]
        listener.published.discard(published_id)
        if not listener.published and listener.idle is None:
            listener.idle = engine.clock.callLater(GRACE_BEFORE_CLEARANCE,
                                                   self._listener_idle, listener)
        self._send_cleared(local, published_id, *local.clearing)

    def _send_cleared(self, local, published_id, requester, note):
        if requester is not None:
            self.send(PublishedCleared(local.text, local.scope, published_id, note), requester)

    def listener_ended(self, address):
        """A listener ended without being asked (it is only ever asked when idle)."""
        listener = self._forget_listener(address)
        if listener is None:
            return
        for published_id in listener.published:
            local = self.publications.get(published_id)
            if local is not None and local.clearing is not None:
                del self.publications[published_id]
                self._send_cleared(local, published_id, *local.clearing)

    # Subscribing.

    def subscribe(self, request, owner):
        search, scope = request.search, request.scope
        compiled, why = compile_search(search)
        if why is None and not isinstance(scope, ScopeOfDirectory):
            why = 'no scope'
        if why is None and (owner, search) in self.searches:
            why = 'already subscribed'
        if why is not None:
            self.send(NotSubscribed(search, scope, why), owner)
            return
        subscribed_id = fresh_id()
        watch_end(owner)
        self.subscriptions[subscribed_id] = _Local(owner, search, scope)
        self.searches[(owner, search)] = subscribed_id
        self.send(Subscribed(search, scope, subscribed_id, self.object_address), owner)
        self.node.add(Subscription(subscribed_id, search, scope, self.node.unique_id,
                                   self.incarnation))

    def clear_subscribed(self, request, requester):
        subscribed_id = request.subscribed_id
        local = self.subscriptions.get(subscribed_id)
        if local is None:
            if requester is not None:
                self.send(SubscribedCleared(request.search, request.scope, subscribed_id,
                                            'not subscribed'), requester)
            return
        for key in [k for k in self.choices if k[0] == subscribed_id]:
            choice = self.choices.pop(key)
            for offer in choice.offers.values():
                self.route_keys.pop(offer.route_id, None)
            if choice.active is not None:
                self._end_for_good(choice.active.route_id)
        del self.subscriptions[subscribed_id]
        self.searches.pop((local.owner, local.text), None)
        self.node.remove(subscribed_id)
        if requester is not None:
            self.send(SubscribedCleared(local.text, local.scope, subscribed_id, request.note),
                      requester)

    @guarded
    def owner_ended(self, address):
        """An object that published or subscribed has ended: retract what it left."""
        for published_id in [i for i, p in self.publications.items() if p.owner == address]:
            self.clear_published(ClearPublished(published_id=published_id), None)
        for subscribed_id in [i for i, s in self.subscriptions.items() if s.owner == address]:
            self.clear_subscribed(ClearSubscribed(subscribed_id=subscribed_id), None)

    def _end_for_good(self, route_id):
        """End a session whose subscription is going: Dropped to both, no fallback."""
        session = self.sessions.pop(route_id, None)
        if session is None:
            return
        if session.timer is not None and session.timer.active():
            session.timer.cancel()
        if session.up:
            self._drop_subscriber(session)
        if session.peer is None:
            if session.up:
                self._drop_publisher(session)
            return
        peer = self.peers.get(session.peer)
        if peer is not None:
            if peer.proxy is not None:
                self.send(CloseLoop(route_id), peer.proxy)
            self._leave_peer(peer, route_id)

    # Routes arrive and go (from the node).

    @guarded
    def offered(self, offer):
        subscription = self.subscriptions.get(offer.subscribed_id)
        if subscription is None:
            return
        local = self.publications.get(offer.published_id)
        if local is not None and local.clearing is not None:
            return      # made at a wider node before the clear reached it
        key = (offer.subscribed_id, offer.name)
        choice = self.choices.get(key)
        if choice is None:
            choice = self.choices[key] = Choice()
        self.route_keys[offer.route_id] = key
        self._apply(key, choice.offer(offer))

    @guarded
    def withdrawn(self, withdrawal):
        key = self.route_keys.pop(withdrawal.route_id, None)
        choice = self.choices.get(key)
        if choice is None:
            return
        session = self.sessions.get(withdrawal.route_id)
        survives = session is not None and session.peer is not None
        self._apply(key, choice.withdrawn(withdrawal, survives))

    @guarded
    def advised(self, publication):
        if L.USER_LOG.WARNING >= L.threshold:
            self.warning('"%s" is published elsewhere under another id; %s is not visible '
                         'beyond the nearest directory' % (publication.name,
                                                            publication.published_id))

    def _apply(self, key, actions):
        for action, offer in actions:
            if action == OPEN:
                self._open(key, offer)
            elif action == CLOSE:
                self._close(offer.route_id)

    # Sessions, subscriber side.

    def _open(self, key, offer):
        local = self.publications.get(offer.published_id)
        if local is not None:
            session = self.sessions[offer.route_id] = _Session(offer, key)
            self._session_up(session, local.owner, _now())
            return
        peer_key = (offer.ipp.host, offer.ipp.port)
        session = self.sessions[offer.route_id] = _Session(offer, key, peer_key)
        peer = self.peers.get(peer_key)
        if peer is None:
            peer = self.peers[peer_key] = _Peer(offer.ipp)
            connect(self, HostPort(offer.ipp.host, offer.ipp.port),
                    encrypted=offer.encrypted, keep_alive=True,
                    keep_alive_period=heartbeat(),
                    wrap_factory=session_wrapper(self.secret, True, clock=engine.reactor))
        if peer.idle is not None:
            if peer.idle.active():
                peer.idle.cancel()
            peer.idle = None
        peer.routes.add(offer.route_id)
        if peer.proxy is not None:
            self._open_loop(peer, session)

    def _open_loop(self, peer, session):
        offer = session.offer
        subscriber = self.subscriptions[offer.subscribed_id].owner
        self.send(OpenLoop(offer.name, offer.scope, offer.route_id, offer.subscribed_id,
                           offer.published_id, subscriber), peer.proxy)
        session.timer = engine.clock.callLater(COMPLETE_A_LOOP, self._loop_timed_out,
                                               offer.route_id)

    def _loop_timed_out(self, route_id):
        session = self.sessions.get(route_id)
        if session is None or session.up:
            return
        session.timer = None
        why = 'no answer within %s seconds' % (COMPLETE_A_LOOP,)
        self.warning('%s from the publisher of "%s" at %s:%s' % (
            why, session.offer.name, session.offer.ipp.host, session.offer.ipp.port))
        peer = self.peers.get(session.peer)
        if peer is not None and peer.proxy is not None:
            self.send(CloseLoop(route_id), peer.proxy)
        self._failed(route_id, why)

    def loop_opened(self, message):
        session = self.sessions.get(message.route_id)
        if session is None or session.up:
            return
        if session.timer is not None and session.timer.active():
            session.timer.cancel()
        session.timer = None
        self._session_up(session, message.publisher_address, message.opened_at or _now())

    def _session_up(self, session, publisher, opened_at):
        session.up = True
        session.publisher = publisher
        session.opened_at = opened_at
        choice = self.choices.get(session.key)
        if choice is None:
            return
        announce, actions = choice.opened(session.offer.route_id)
        if announce:
            subscriber = self.subscriptions[session.offer.subscribed_id].owner
            self._tell(Available, session, subscriber, publisher)
            if session.peer is None:
                self._delivered(session)
        self._apply(session.key, actions)

    def _tell(self, notice, session, to, other):
        """Send ``to`` a session notice (Available, Delivered, Dropped) naming ``other``,
        as if ``other`` had sent it (so that a reply reaches it)."""
        offer = session.offer
        self.forward(notice(offer.name, offer.scope, offer.route_id, offer.subscribed_id,
                            offer.published_id, other, session.opened_at), to, other)

    def _subscriber_of(self, session):
        local = self.subscriptions.get(session.offer.subscribed_id)
        return local.owner if local is not None else None

    def _delivered(self, session):
        self._tell(Delivered, session, session.publisher, self._subscriber_of(session))

    def _drop_subscriber(self, session):
        subscriber = self._subscriber_of(session)
        if subscriber is not None:
            self._tell(Dropped, session, subscriber, session.publisher)

    def _drop_publisher(self, session):
        self._tell(Dropped, session, session.publisher, self._subscriber_of(session))

    def _close(self, route_id):
        """Close a session the choice wants closed (an upgrade or a retraction)."""
        session = self.sessions.get(route_id)
        if session is None:
            return
        if session.peer is None:
            self._closed(route_id, publisher_too=True)
            return
        peer = self.peers.get(session.peer)
        if peer is None or peer.proxy is None:
            self._lost(route_id)
            return
        self.send(CloseLoop(route_id), peer.proxy)

    def loop_closed(self, message):
        self._closed(message.route_id)

    def _closed(self, route_id, publisher_too=False):
        session = self.sessions.pop(route_id, None)
        if session is None:
            return
        if session.up:
            self._drop_subscriber(session)
            if publisher_too:
                self._drop_publisher(session)
        self._leave_peer(self.peers.get(session.peer), route_id)
        choice = self.choices.get(session.key)
        if choice is not None:
            self._apply(session.key, choice.closed(route_id))

    def _failed(self, route_id, why):
        """Opening a session failed: remember why (for ``--list-connected``), fall back."""
        session = self.sessions.get(route_id)
        choice = self.choices.get(session.key) if session is not None else None
        if choice is not None and not session.up:
            choice.failed = (session.offer, why)
        self._lost(route_id)

    def _lost(self, route_id):
        """A session (or its opening) failed: Dropped if it was up, then fall back."""
        session = self.sessions.pop(route_id, None)
        if session is None:
            return
        if session.timer is not None and session.timer.active():
            session.timer.cancel()
        if session.up:
            self._drop_subscriber(session)
        self._leave_peer(self.peers.get(session.peer), route_id)
        choice = self.choices.get(session.key)
        if choice is not None:
            self._apply(session.key, choice.lost(route_id))

    def _leave_peer(self, peer, route_id):
        if peer is None:
            return
        peer.routes.discard(route_id)
        if not peer.routes and peer.proxy is not None and peer.idle is None:
            peer.idle = engine.clock.callLater(GRACE_BEFORE_CLEARANCE, self._clear_peer, peer)

    def _clear_peer(self, peer):
        peer.idle = None
        if not peer.routes and self.peers.get((peer.ipp.host, peer.ipp.port)) is peer:
            del self.peers[(peer.ipp.host, peer.ipp.port)]
            if peer.proxy is not None:
                self.send(Close(), peer.proxy)

    # Connections to listeners.

    def _peer_of(self, ipp):
        return self.peers.get((ipp.host, ipp.port))

    def connected(self, message):
        peer = self._peer_of(message.request.requested_ipp)
        if peer is None:
            self.send(Close(), self.return_address)
            return
        peer.proxy = self.return_address
        peer.local = message.opened_ipp
        for route_id in list(peer.routes):
            session = self.sessions.get(route_id)
            if session is not None:
                self._open_loop(peer, session)
        if not peer.routes:
            self._leave_peer(peer, None)

    def not_connected(self, message):
        ipp = message.request.requested_ipp
        peer = self.peers.pop((ipp.host, ipp.port), None)
        if peer is None:
            return
        self.warning('cannot reach a publisher at %s:%s (%s)' % (ipp.host, ipp.port, message))
        for route_id in list(peer.routes):
            self._failed(route_id, str(message))

    def closed(self, message):
        proxy = self.return_address
        for key, peer in list(self.peers.items()):
            if peer.proxy == proxy:
                del self.peers[key]
                if peer.idle is not None and peer.idle.active():
                    peer.idle.cancel()
                for route_id in list(peer.routes):
                    self._lost(route_id)
                return


@guarded
def ProcessDirectory_Start(self, message):
    self.tier.startService()


@guarded
def ProcessDirectory_PublishAs(self, message):
    self.publish(message, self.return_address)


@guarded
def ProcessDirectory_SubscribeTo(self, message):
    self.subscribe(message, self.return_address)


@guarded
def ProcessDirectory_ClearPublished(self, message):
    self.clear_published(message, self.return_address)


@guarded
def ProcessDirectory_ClearSubscribed(self, message):
    self.clear_subscribed(message, self.return_address)


@guarded
def ProcessDirectory_ListenerUp(self, message):
    self.listener_up(self.return_address, message.listening_ipp)


@guarded
def ProcessDirectory_ListenerDown(self, message):
    self.listener_down(self.return_address, message.note)


@guarded
def ProcessDirectory_PublicationRemoved(self, message):
    self.publication_removed(self.return_address, message.published_id)


@guarded
def ProcessDirectory_Returned(self, message):
    self.listener_ended(self.return_address)


@guarded
def ProcessDirectory_LoopOpened(self, message):
    self.loop_opened(message)


@guarded
def ProcessDirectory_LoopRefused(self, message):
    self.warning('publisher refused a session (%s)' % (message.note,))
    self._failed(message.route_id, message.note or 'refused')


@guarded
def ProcessDirectory_LoopClosed(self, message):
    self.loop_closed(message)


@guarded
def ProcessDirectory_LoopEnded(self, message):
    # The publication was cleared: Dropped, then fall back.
    self._lost(message.route_id)


@guarded
def ProcessDirectory_Connected(self, message):
    self.connected(message)


@guarded
def ProcessDirectory_NotConnected(self, message):
    self.not_connected(message)


@guarded
def ProcessDirectory_Closed(self, message):
    self.closed(message)


@guarded
def ProcessDirectory_OpenDirectory(self, message):
    # Questions about the tree (network.md §8.7): the tier does the work and
    # the answer goes back to whoever asked.
    requester, scope = self.return_address, message.scope

    def tried(connected):
        link = self.tier.parent_link
        note = None if connected or link is None else link.last_failure
        if link is None and not connected:
            note = 'no parent to connect to'
        self.send(DirectoryOpened(scope, connected, note), requester)
    self.tier.open_directory(scope, message.connect_to).addCallback(tried)


@guarded
def ProcessDirectory_Enquiry(self, message):
    # Where a child directory (a library process) may connect: the node
    # starts accepting on loopback the first time it is asked.
    requester = self.return_address
    self.tier.accept_children(HostPort('127.0.0.1', 0)).addCallbacks(
        lambda ipp: self.send(ipp, requester),
        lambda failure: self.send(Faulted('cannot accept directories', failure.getErrorMessage()),
                                  requester))


@guarded
def ProcessDirectory_DescribeNode(self, message):
    requester, path = self.return_address, message.path
    self.tier.describe(path).addCallbacks(
        lambda listing: self.send(listing, requester),
        lambda failure: self.send(NotDescribed(path, failure.getErrorMessage()), requester))


@guarded
def ProcessDirectory_PingNode(self, message):
    requester, sequence = self.return_address, message.sequence
    self.tier.ping(message.path).addCallbacks(
        lambda _: self.send(NodePinged(sequence), requester),
        lambda failure: self.send(NotPinged(sequence, failure.getErrorMessage()), requester))


@guarded
def ProcessDirectory_Stop(self, message):
    for listener in list(self.listener_at.values()):
        self._forget_listener(listener.address)
    self.tier.stopService()
    self.complete(None)


bind(ProcessDirectory, (Start, PublishAs, SubscribeTo, ClearPublished, ClearSubscribed,
                        ListenerUp, ListenerDown, PublicationRemoved, Returned, LoopOpened,
                        LoopRefused, LoopClosed, LoopEnded, Connected, NotConnected, Closed,
                        OpenDirectory, DescribeNode, PingNode, Enquiry, Stop),
     lifecycle=False, message_trail=False, execution_trace=False)
