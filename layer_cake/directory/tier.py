"""Directory tiers joined over AMP (network.md §8.1, §8.2, §8.6).

A *tier* is one :class:`.node.DirectoryNode` with its connections: children
connect to it (each connection a :class:`ChildLink`, the *origin* of what
arrives through it) and it connects to its own parent (a :class:`ParentLink`).
:class:`Tier` is the Twisted service that holds the three together and is
the node's environment:

* a listing wider than the node goes up the parent link while it is
  connected; while it is not, nothing is queued -- every (re)connection
  begins with ``Hello`` and one ``Push`` per listing the node holds above its
  own scope, so the parent always ends up with the node's current set;
* an offer, withdrawal or advice goes down the child link it belongs to, or,
  for this process's own listings (origin None), to a callback of the owner;
* losing a child drops what came through it, and the parent is told;
* losing the parent drops nothing: the link reconnects forever, on the
  schedule of §8.6 (8 s for a loopback parent, 32 s private, 120 s other,
  each ±10 %, but within a second of losing an established connection);
  while it waits for a parent on this host's loopback it also watches for
  that parent to announce itself (:mod:`.rendezvous`) and then tries at once;
  a tier that begins to accept children at a fixed loopback port announces it.
* a link whose other end is on another host is pinged from this end every
  heartbeat period and closed when an answer is late (:mod:`.liveness`), so a
  host that vanished without closing its sockets is noticed;
* with a secret (:mod:`.secret`) every link first proves it, and in an
  encrypted directory (:mod:`.link_tls`) every link runs over mutual TLS; a
  link that fails either never reaches the node.

Sessions between publishers and subscribers never pass through here, so the
loss of a tier ends none of them.

Questions about the tree travel along the same links (network.md §8.7,
:mod:`.introspect`): :meth:`Tier.describe` fetches the listing of the node at
a path and :meth:`Tier.ping` has it answer, whether that node is this one,
above it or below it; each tier on the way passes the question on.
:meth:`Tier.open_directory` reaches for the parent and says when it answered,
or when an attempt failed.

Everything runs on the reactor thread.  The reactor is injected (``reactor``,
the global one by default) and so is the random source of the reconnect
spread (``rng``, anything with ``random()``), so tests drive both.
"""

import collections
import os
import random
import sys
import uuid

from twisted.application import service
from twisted.application.internet import ClientService
from twisted.internet import defer, protocol
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint

from ..types.errors import CodecError, ConversionError
from ..net.ipp import (DIRECTORY_AT_HOST, HostPort, ScopeOfDirectory, ScopeOfHost,
                       local_private_other)
from .introspect import NOT_DETECTED, ChildNode, DirectoryListing, Routed, primary_ip
from .lan import automatic_lan_parent
from .liveness import unwatch_link, watch_link
from .listing import Withdrawn, decode_listing, encode_listing, wider
from .node import DirectoryNode
from .secret import guarded_factory
from . import rendezvous
from .tier_protocol import (PART, Advise, Describe, Hello, HelloRefused, NotIntroduced, Offer,
                            Ping, Push, Refused, Retract, RuntimeLog, TierProtocol,
                            Unreachable, Withdraw, host_port_from, host_port_text,
                            listing_from, offer_from, publication_from, reason_from,
                            scope_from, uuid_from, withdrawal_from)

__all__ = ['ChildLink', 'ChildFactory', 'ParentProtocol', 'ParentLink', 'Tier',
           'STANDARD_PARENT', 'standard_parent', 'reconnect_delay', 'RECONNECT_DELAY',
           'RECONNECT_SPREAD', 'FIRST_RETRY', 'BACKLOG', 'CONNECT_TIMEOUT', 'LISTING_LIMIT',
           'SNAPSHOT_LIFE', 'SNAPSHOTS']

# Seconds between attempts to reach a parent, by the class of its address (§8.6).
RECONNECT_DELAY = {ScopeOfHost.LOCAL: 8.0, ScopeOfHost.PRIVATE: 32.0, ScopeOfHost.OTHER: 120.0}
RECONNECT_SPREAD = 0.1

# The first retry after losing a connection that was up comes within this many seconds.
FIRST_RETRY = 1.0

# Connections waiting to be accepted by a tier.
BACKLOG = 50

# Seconds before a connect attempt to a parent is given up.
CONNECT_TIMEOUT = 10.0

# The longest listing (bytes of JSON) a tier takes from another node.
LISTING_LIMIT = 64 * 1024 * 1024

# A listing too long for one answer is kept this many seconds for the
# questions that fetch its other parts; a tier keeps at most SNAPSHOTS.
SNAPSHOT_LIFE = 60.0
SNAPSHOTS = 8


def reconnect_delay(host, rng):
    """Seconds before the next attempt to reach a parent at ``host``."""
    if host == 'localhost':
        where = ScopeOfHost.LOCAL
    else:
        where = local_private_other(host)
    spread = RECONNECT_SPREAD * (2.0 * rng.random() - 1.0)
    return RECONNECT_DELAY[where] * (1.0 + spread)


class _Standard(object):
    def __repr__(self):
        return 'STANDARD_PARENT'


# ``auto_parent`` default: whatever the node's scope connects to by itself.
STANDARD_PARENT = _Standard()


def standard_parent(scope):
    """Where a node of ``scope`` connects when a wider listing first appears (§8.6).

    PROCESS and GROUP nodes look for host-cake on this host.  A HOST node
    looks for lan-cake at the standard LAN address, worked out when that
    listing appears (a function: :func:`.lan.automatic_lan_parent`), and stays
    alone when there is none.  LAN nodes and library processes never look.
    """
    if scope in (ScopeOfDirectory.PROCESS, ScopeOfDirectory.GROUP):
        return DIRECTORY_AT_HOST
    if scope is ScopeOfDirectory.HOST:
        return automatic_lan_parent
    return None


def _executable():
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else 'python'


# The parent's side of one child.

class ChildLink(TierProtocol):
    """One child connected to this tier: the *origin* of what arrives through it.

    ``peer_host`` is the address the child connected from (the LAN node
    rewrites listeners with it); the Hello fields say who the child is.
    """

    news = {Push.commandName: (Push, 'pushed'), Retract.commandName: (Retract, 'retracted')}

    def __init__(self, tier):
        TierProtocol.__init__(self)
        self.tier = tier
        self.log = tier.log
        self.introduced = False
        self.peer_host = None
        self.peer = None
        self.unique_id = None
        self.scope = None
        self.executable = None
        self.primary_ip = None
        self.accept_at = None
        self.incarnation = None
        self.peer_certificate = None    # SHA-256 digest of the child's, over mutual TLS

    def connectionMade(self):
        TierProtocol.connectionMade(self)
        peer = self.transport.getPeer()
        self.peer_host = getattr(peer, 'host', None)
        self.peer = HostPort(self.peer_host, getattr(peer, 'port', None))
        if self.tier.tls is not None:
            self.peer_certificate = self.tier.tls.peer_digest(self.transport)
        watch_link(self, self.peer_host, self.tier.reactor)     # a child on another host
        self.tier._child_connected(self)

    def connectionLost(self, reason):
        unwatch_link(self)
        TierProtocol.connectionLost(self, reason)
        self.tier._child_lost(self)

    def _need_hello(self):
        if not self.introduced:
            raise NotIntroduced('Hello first')

    @Hello.responder
    def hello(self, unique_id, scope, executable, incarnation, primary_ip=None,
              accept_at=None):
        node = self.tier.node
        if self.introduced:
            raise HelloRefused('Hello again')
        try:
            unique_id = uuid_from(unique_id, 'unique_id')
            incarnation = uuid_from(incarnation, 'incarnation')
            scope = scope_from(scope)
            accept_at = host_port_from(accept_at)
        except Refused as e:
            raise HelloRefused(str(e))
        if not wider(node.scope, scope):
            raise HelloRefused('a %s node is no child of a %s node' % (scope.name,
                                                                      node.scope.name))
        self.unique_id = unique_id
        self.scope = scope
        self.executable = executable
        self.primary_ip = primary_ip
        self.accept_at = accept_at
        self.incarnation = incarnation
        self.introduced = True
        self.tier._child_introduced(self)
        return {'unique_id': str(node.unique_id), 'scope': node.scope.name}

    @Push.responder
    def pushed(self, listing):
        self._need_hello()
        return {'held': self.tier.node.add(listing_from(listing), self)}

    @Retract.responder
    def retracted(self, listing_id, reason=None):
        self._need_hello()
        listing_id = uuid_from(listing_id, 'listing_id')
        return {'removed': self.tier.node.remove(listing_id, self, reason_from(reason))}

    def route(self, command, path, **arguments):
        return self.tier.route(command, path, False, **arguments)

    # What the node sends down through this child.

    def send_offer(self, offer):
        self.tell(Offer, offer=encode_listing(offer))

    def send_withdrawal(self, withdrawal):
        self.tell(Withdraw, withdrawal=encode_listing(withdrawal))

    def send_advice(self, publication):
        self.tell(Advise, publication=encode_listing(publication))

    def __repr__(self):
        return '<ChildLink %s %s from %s>' % (self.scope.name if self.scope else '?',
                                             self.executable or '?', self.peer)


class ChildFactory(protocol.ServerFactory):
    """Builds a :class:`ChildLink` for every child that connects to ``tier``."""

    noisy = False

    def __init__(self, tier):
        self.tier = tier

    def buildProtocol(self, addr):
        link = ChildLink(self.tier)
        link.factory = self
        return link


# The child's side of its parent.

class ParentProtocol(TierProtocol):
    """The connection of a :class:`ParentLink`: what comes down goes to the node."""

    news = {Offer.commandName: (Offer, 'offered'), Withdraw.commandName: (Withdraw, 'withdrawn'),
            Advise.commandName: (Advise, 'advised')}

    def __init__(self, link):
        TierProtocol.__init__(self)
        self.link = link
        self.log = link.log

    def connectionMade(self):
        TierProtocol.connectionMade(self)
        watch_link(self, self.link.address.host, self.link.reactor)    # a parent elsewhere
        self.link._connected(self)

    def connectionLost(self, reason):
        unwatch_link(self)
        TierProtocol.connectionLost(self, reason)
        self.link._lost(self, reason)

    @Offer.responder
    def offered(self, offer):
        return {'passed': self.link.node.pass_offer(offer_from(offer))}

    @Withdraw.responder
    def withdrawn(self, withdrawal):
        return {'passed': self.link.node.pass_withdrawal(withdrawal_from(withdrawal))}

    @Advise.responder
    def advised(self, publication):
        return {'passed': self.link.node.pass_advice(publication_from(publication))}

    def route(self, command, path, **arguments):
        router = self.link.router
        if router is None:
            return TierProtocol.route(self, command, path, **arguments)
        return router.route(command, path, True, **arguments)


class _Attempts(object):
    """An endpoint that reports each connect attempt that fails."""

    def __init__(self, endpoint, failed):
        self.endpoint = endpoint
        self.failed = failed

    def connect(self, factory):
        d = self.endpoint.connect(factory)

        def failed(failure):
            self.failed(failure)
            return failure
        return d.addErrback(failed)


class _RetryClock(object):
    """The ClientService's clock, keeping the retry it schedules, so that a hint
    that the parent is there can bring that retry forward."""

    def __init__(self, clock):
        self.clock = clock
        self._retry = None

    def seconds(self):
        return self.clock.seconds()

    def callLater(self, delay, f, *args, **kw):
        call = self.clock.callLater(delay, f, *args, **kw)
        self._retry = (call, f, args, kw)
        return call

    def getDelayedCalls(self):
        return self.clock.getDelayedCalls()

    def hurry(self):
        """Make the pending retry now; False when none is pending."""
        retry, self._retry = self._retry, None
        if retry is None or not retry[0].active():
            return False
        call, f, args, kw = retry
        call.cancel()
        f(*args, **kw)
        return True


class _ParentFactory(protocol.Factory):
    noisy = False

    def __init__(self, link):
        self.link = link

    def buildProtocol(self, addr):
        p = ParentProtocol(self.link)
        p.factory = self
        return p


class ParentLink(service.Service):
    """Keeps ``node`` connected to its parent at ``address``, forever.

    On every connection it says ``Hello`` (``introduce()`` returns the Hello
    fields beyond the node's own id and scope: ``executable``,
    ``primary_ip``, ``accept_at``, ``incarnation``) and pushes
    ``node.upward()``, one listing per command; while connected it forwards
    :meth:`push` and :meth:`retract`.  What comes down goes to the node's
    ``pass_offer``/``pass_withdrawal``/``pass_advice``.  ``on_up(link)`` and
    ``on_down(link)`` are called when the parent answers Hello and when the
    connection goes.  ``router`` (the Tier) answers the questions that come
    down for nodes at a path; :meth:`when_tried` tells the outcome of the next
    attempt to reach the parent.

    While it is not connected, ``watch(address, hint, reactor, log)`` (by
    default :func:`.rendezvous.watch`) tells it when a tier announces the
    parent's address; :meth:`hint` then makes the next attempt at once.

    ``endpoint`` replaces the TCP endpoint to ``address`` (tests).
    """

    name = 'parent-link'

    def __init__(self, address, node, introduce=None, log=None, reactor=None, rng=None,
                 endpoint=None, on_up=None, on_down=None, connect_timeout=CONNECT_TIMEOUT,
                 router=None, watch=None, secret=None, tls=None):
        self.address = address
        self.secret = secret            # a DirectorySecret: the parent must prove it
        self.tls = tls                  # a LinkTLS: the link runs over mutual TLS
        self.node = node
        self.introduce = introduce or (lambda: {})
        self.log = log or RuntimeLog('ParentLink')
        self._reactor = reactor
        self.rng = rng or random.Random()
        self._endpoint = endpoint
        self.on_up = on_up
        self.on_down = on_down
        self.connect_timeout = connect_timeout
        self.router = router
        self.protocol = None            # the connection while there is one
        self.parent_id = None           # the parent's unique_id, once it answered Hello
        self.parent_scope = None
        self.connections = 0            # connections made so far
        self.incarnation = uuid.uuid4()
        self._after_loss = False
        self._waiting = []
        self._trying = []
        self.last_failure = None        # why the last attempt failed, while it has
        self._client = None
        self._clock = None
        self._watch = watch or rendezvous.watch
        self._watching = None           # the Watch, while not connected
        self._hurried = False           # a hint came during an attempt

    @property
    def reactor(self):
        if self._reactor is None:
            from twisted.internet import reactor
            self._reactor = reactor
        return self._reactor

    @property
    def connected(self):
        """True while a connection to the parent is up."""
        return self.protocol is not None

    @property
    def introduced(self):
        """True while connected and the parent has answered Hello."""
        return self.protocol is not None and self.parent_id is not None

    def retry_delay(self, attempt):
        """The ClientService retry policy: seconds before attempt number ``attempt``."""
        if self._hurried:
            self._hurried = False
            return 0.0
        if self._after_loss:
            self._after_loss = False
            return FIRST_RETRY * (0.5 + 0.5 * self.rng.random())
        return reconnect_delay(self.address.host, self.rng)

    def startService(self):
        service.Service.startService(self)
        endpoint = self._endpoint
        if endpoint is None:
            endpoint = TCP4ClientEndpoint(self.reactor, self.address.host, self.address.port,
                                          timeout=self.connect_timeout)
        endpoint = _Attempts(endpoint, self._attempt_failed)
        self._clock = _RetryClock(self.reactor)
        factory = guarded_factory(_ParentFactory(self), self.secret, True, log=self.log,
                                  clock=self._reactor, on_refused=self._handshake_failed)
        if self.tls is not None:
            factory = self.tls.connecting(factory, self.address.host, self.reactor,
                                          on_refused=self._handshake_failed)
        self._client = ClientService(endpoint, factory,
                                     retryPolicy=self.retry_delay, clock=self._clock)
        self._client.startService()

    def stopService(self):
        service.Service.stopService(self)
        self._stop_watching()
        client, self._client = self._client, None
        if client is None:
            return defer.succeed(None)
        return client.stopService()

    # Hints that the parent is there.

    def hint(self):
        """A tier may have begun to accept children at the parent's address: while
        waiting to try again, try now; while trying, try again at once should this
        attempt fail; while connected, nothing."""
        if self.protocol is not None or self._client is None:
            return
        if self._clock.hurry():
            self.log.trace('The directory at %s announced itself; trying at once' % (
                self.address,))
        else:
            self._hurried = True

    def _start_watching(self):
        if self._watching is None:
            self._watching = self._watch(self.address, self.hint, self.reactor, self.log)

    def _stop_watching(self):
        watching, self._watching = self._watching, None
        self._hurried = False
        if watching is not None:
            watching.stop()

    # The connection.

    def _connected(self, p):
        self._stop_watching()
        self.protocol = p
        self.parent_id = None
        self.connections += 1
        node = self.node
        hello = {'unique_id': str(node.unique_id), 'scope': node.scope.name,
                 'executable': _executable(), 'incarnation': str(self.incarnation)}
        hello.update(self.introduce())
        if isinstance(hello.get('accept_at'), HostPort):
            hello['accept_at'] = host_port_text(hello['accept_at'])
        p.ask(Hello, **hello).addCallback(self._introduced, p)
        for listing in node.upward():
            p.tell(Push, listing=encode_listing(listing))

    def _introduced(self, answer, p):
        if answer is None or p is not self.protocol:
            return
        try:
            self.parent_id = uuid.UUID(answer['unique_id'])
            self.parent_scope = ScopeOfDirectory[answer['scope']]
        except (ValueError, KeyError):
            p.close_link('a Hello answer that does not say who the parent is')
            return
        self.log.console('Connected to the %s directory at %s' % (self.parent_scope.name,
                                                                  self.address))
        self.last_failure = None
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            d.callback(self)
        self._tried(True)
        if self.on_up is not None:
            self.on_up(self)

    def _lost(self, p, reason=None):
        if p is not self.protocol:
            return
        was_introduced = self.parent_id is not None
        self.protocol = None
        self.parent_id = None
        if was_introduced:
            self._after_loss = True
        if self.running:
            self._start_watching()
        if was_introduced:
            self.log.console('Lost the directory at %s' % (self.address,))
        else:
            refused = self.tls.lost_text(reason) if self.tls is not None else None
            if refused is not None:
                self.log.warning('The directory at %s refused this node (%s)' % (
                    self.address, refused))
            self.last_failure = refused or 'the connection closed before Hello was answered'
        self._tried(False)
        if self.on_down is not None:
            self.on_down(self)

    def _attempt_failed(self, failure):
        self.last_failure = failure.getErrorMessage()
        if self.running and self._watching is None and self._client is not None:
            # The parent is not there: watch for it from now on.  Watching
            # costs (Twisted's inotify finds the C library with ldconfig), so
            # a parent that answers at once is never watched for; and a tier
            # that came up while the watch began is caught by trying once more
            # at once.
            self._start_watching()
            if self._watching is not None:
                self._hurried = True
        self._tried(False)

    def _handshake_failed(self, reason):
        # The parent is there but the directory secret or TLS failed.
        self.last_failure = reason
        self._tried(False)

    def _tried(self, introduced):
        trying, self._trying = self._trying, []
        for d in trying:
            d.callback(introduced)

    def when_tried(self):
        """A Deferred that fires with True once the parent has answered Hello, or with
        False when an attempt to reach it fails first (``last_failure`` says why)."""
        if self.introduced:
            return defer.succeed(True)
        d = defer.Deferred()
        self._trying.append(d)
        return d

    def when_introduced(self):
        """A Deferred that fires with this link once the parent has answered Hello."""
        if self.introduced:
            return defer.succeed(self)
        d = defer.Deferred()
        self._waiting.append(d)
        return d

    # Upward.

    def push(self, listing):
        """Send one listing up (nothing while disconnected: reconnecting re-pushes)."""
        if self.protocol is not None:
            self.protocol.tell(Push, listing=encode_listing(listing))

    def retract(self, listing_id, reason=Withdrawn.RETRACTED):
        """Tell the parent a listing is gone, and why (nothing while disconnected)."""
        if self.protocol is not None:
            self.protocol.tell(Retract, listing_id=str(listing_id), reason=reason.name)

    def ping(self):
        """A Deferred that fires with {} when the parent answers, None when it does not."""
        if self.protocol is None:
            return defer.succeed(None)
        return self.protocol.ask(Ping)


# The tier.

class Tier(service.MultiService):
    """A directory node of ``scope`` with its child listener and its parent link.

    ``accept_at``: a HostPort where children may connect (None: none do);
    :meth:`when_listening` tells the bound address (``accepting_at``) or why
    there is none (``listen_failure``).
    ``connect_to``: the parent's HostPort, connected from the start; without one,
    the node connects to ``auto_parent`` (by default :func:`standard_parent`
    of the scope; None never) the first time it holds a listing wider than
    itself.  The owner's callbacks take what the node routes to this
    process's own listings: ``on_local_offer(RouteOffer)``,
    ``on_local_withdraw(RouteWithdrawal)``, ``on_local_advice(Publication)``;
    ``on_parent_up(link)``/``on_parent_down(link)`` follow the parent link.
    ``log`` is anything with ``warning``/``console``/``trace`` (a Point will do).
    ``on_describe()``, when given, returns the ``peer`` part of this node's
    listing (a process's subscriptions and their sessions).  ``watch`` is
    the parent link's (see :class:`ParentLink`).

    The owner adds and removes its own listings with ``tier.node.add(listing)``
    and ``tier.node.remove(listing_id)``, on the reactor thread.
    """

    name = 'directory-tier'

    def __init__(self, scope, accept_at=None, connect_to=None, auto_parent=STANDARD_PARENT,
                 on_local_offer=None, on_local_withdraw=None, on_local_advice=None,
                 on_parent_up=None, on_parent_down=None, unique_id=None, executable=None,
                 incarnation=None, primary_ip=None, log=None, reactor=None, rng=None,
                 on_describe=None, watch=None, secret=None, tls=None):
        service.MultiService.__init__(self)
        self.secret = secret            # a DirectorySecret: every link must prove it
        self.tls = tls                  # a LinkTLS: every link runs over mutual TLS
        self.node = DirectoryNode(scope, self, unique_id)
        self.accept_at = accept_at
        self.connect_to = connect_to
        self.auto_parent = standard_parent(scope) if auto_parent is STANDARD_PARENT \
            else auto_parent
        self.on_local_offer = on_local_offer
        self.on_local_withdraw = on_local_withdraw
        self.on_local_advice = on_local_advice
        self.on_parent_up = on_parent_up
        self.on_parent_down = on_parent_down
        self.executable = executable or _executable()
        self.incarnation = incarnation or uuid.uuid4()
        self.primary_ip = primary_ip
        self.on_describe = on_describe
        self.log = log or RuntimeLog('DirectoryTier')
        self._reactor = reactor
        self.rng = rng or random.Random()
        self.watch = watch
        self.parent_link = None
        self._losing = False            # within lose_origin: retractions are ORIGIN_LOST
        self.children = []              # ChildLinks, in the order they connected
        self.accepting_at = None        # the bound address, once listening
        self.listen_failure = None      # the Failure, when it cannot listen
        self._listened = False
        self._listen_waiters = []
        self._port = None
        self._snapshots = collections.OrderedDict()    # token -> (bytes, expiry call)
        self._detected_ip = None
        if connect_to is not None:
            self.connect_parent(connect_to)

    @property
    def reactor(self):
        if self._reactor is None:
            from twisted.internet import reactor
            self._reactor = reactor
        return self._reactor

    @property
    def scope(self):
        return self.node.scope

    # Service.

    def privilegedStartService(self):
        self._listen()
        service.MultiService.privilegedStartService(self)

    def startService(self):
        self._listen()
        service.MultiService.startService(self)

    def stopService(self):
        stopping = [defer.maybeDeferred(service.MultiService.stopService, self)]
        port, self._port = self._port, None
        if port is not None:
            stopping.append(defer.maybeDeferred(port.stopListening))
        for child in list(self.children):
            if child.transport is not None:
                child.transport.loseConnection()
        for token in list(self._snapshots):
            self._drop_snapshot(token)
        return defer.gatherResults(stopping, consumeErrors=True).addCallback(lambda _: None)

    def _listen(self):
        if self._listened or self.accept_at is None:
            return
        self._listened = True
        where = self.accept_at
        endpoint = TCP4ServerEndpoint(self.reactor, where.port or 0, backlog=BACKLOG,
                                      interface=where.host or '')
        factory = guarded_factory(ChildFactory(self), self.secret, False, log=self.log,
                                  clock=self._reactor)
        if self.tls is not None:
            factory = self.tls.accepting(factory, self.reactor)
        endpoint.listen(factory).addCallbacks(self._bound, self._not_bound)

    def _bound(self, port):
        self._port = port
        bound = port.getHost()
        self.accepting_at = HostPort(self.accept_at.host, getattr(bound, 'port', None))
        self.log.console('%s directory at %s' % (self.scope.name, self.accepting_at))
        if self.accept_at.port:
            # Nodes of this host may be waiting for this address (a port the
            # kernel chose is nobody's parent yet).
            rendezvous.announce(self.accepting_at, self.log)
        self._tell_listeners(self.accepting_at)

    def _not_bound(self, failure):
        self.listen_failure = failure
        self.log.fault('Cannot accept directories at %s (%s)' % (self.accept_at,
                                                               failure.getErrorMessage()))
        self._tell_listeners(failure)

    def _tell_listeners(self, result):
        waiting, self._listen_waiters = self._listen_waiters, []
        for d in waiting:
            d.callback(result)

    def when_listening(self):
        """A Deferred that fires with the bound HostPort, or fails when there is none."""
        if self.accept_at is None or self.accepting_at is not None:
            return defer.succeed(self.accepting_at)
        if self.listen_failure is not None:
            return defer.fail(self.listen_failure)
        d = defer.Deferred()
        self._listen_waiters.append(d)
        return d

    def accept_children(self, at):
        """Accept children at ``at`` unless already set to (network.md §8.7,
        ``Enquiry``); a Deferred of the bound HostPort, as :meth:`when_listening`."""
        if self.accept_at is None:
            self.accept_at = at
            if self.running:
                self._listen()
        return self.when_listening()

    # The parent.

    def connect_parent(self, address):
        """Connect to a parent at ``address`` (and keep connecting); returns the link."""
        if self.parent_link is not None:
            return self.parent_link
        self.parent_link = ParentLink(address, self.node, introduce=self._introduction,
                                      log=self.log, reactor=self._reactor, rng=self.rng,
                                      on_up=self.on_parent_up, on_down=self.on_parent_down,
                                      router=self, watch=self.watch, secret=self.secret,
                                      tls=self.tls)
        self.parent_link.setServiceParent(self)
        return self.parent_link

    def ensure_parent(self):
        """Connect to the automatic parent now, if there is none yet; the link or None.
        An ``auto_parent`` that is a function is asked each time (with the log)."""
        if self.parent_link is None and self.auto_parent is not None:
            parent = self.auto_parent
            if callable(parent):
                parent = parent(self.log)
            if parent is not None:
                self.log.trace('Connecting to the directory at %s' % (parent,))
                self.connect_parent(parent)
        return self.parent_link

    def open_directory(self, scope=ScopeOfDirectory.HOST, connect_to=None):
        """Reach for the parent: ``connect_to`` when there is no parent link yet, else
        the automatic parent as if a listing of ``scope`` had been registered here.
        A Deferred fires with True once the parent has answered, False when the
        next attempt fails or there is no parent to reach."""
        if self.parent_link is None:
            if connect_to is not None:
                self.connect_parent(connect_to)
            elif wider(scope, self.scope):
                self.ensure_parent()
        if self.parent_link is None:
            return defer.succeed(False)
        return self.parent_link.when_tried()

    def _introduction(self):
        return {'executable': self.executable, 'incarnation': str(self.incarnation),
                'primary_ip': self.primary_ip, 'accept_at': self.accepting_at}

    # Children.

    def _child_connected(self, link):
        self.children.append(link)

    def _child_introduced(self, link):
        self.log.trace('Child %s %s (%s) from %s' % (link.scope.name, link.executable,
                                                    link.unique_id, link.peer))

    def lose_origin(self, origin):
        """Drop everything that came through ``origin``; the parent hears ORIGIN_LOST,
        so routes made above survive as tier churn (sessions stay open).  Owners
        with origins of their own call this rather than ``node.lose_origin``."""
        self._losing = True
        try:
            return self.node.lose_origin(origin)
        finally:
            self._losing = False

    def _child_lost(self, link):
        if link in self.children:
            self.children.remove(link)
        gone = self.lose_origin(link)
        if link.introduced:
            self.log.trace('Lost child %s %s (%d listings)' % (link.scope.name,
                                                              link.executable, gone))

    # The node's environment.

    def push_up(self, listing):
        if self.parent_link is None:
            # The first listing wider than this node: find the parent.  Its
            # connection pushes everything, this listing included.
            self.ensure_parent()
        else:
            self.parent_link.push(listing)

    def retract_up(self, listing_id):
        if self.parent_link is not None:
            reason = Withdrawn.ORIGIN_LOST if self._losing else Withdrawn.RETRACTED
            self.parent_link.retract(listing_id, reason)

    def offer(self, origin, offer):
        if origin is not None:
            origin.send_offer(offer)
        elif self.on_local_offer is not None:
            self.on_local_offer(offer)

    def withdraw(self, origin, withdrawal):
        if origin is not None:
            origin.send_withdrawal(withdrawal)
        elif self.on_local_withdraw is not None:
            self.on_local_withdraw(withdrawal)

    def advise(self, origin, publication):
        if origin is not None:
            origin.send_advice(publication)
        elif self.on_local_advice is not None:
            self.on_local_advice(publication)

    def warn(self, text):
        self.log.warning(text)

    # What this node says about itself, and questions for other nodes.

    def listing(self):
        """This node's DirectoryListing, as it stands."""
        node = self.node
        routed = []
        for subscribed_id, published_id in node.routes.values():
            held = node.publications.get(published_id)
            routed.append(Routed(held.listing.name if held is not None else None,
                                 subscribed_id, published_id))
        ip = self.primary_ip
        if ip is None:
            if self._detected_ip is None:
                self._detected_ip = primary_ip() or NOT_DETECTED
            ip = self._detected_ip
        link = self.parent_link
        children = [ChildNode(c.unique_id, c.scope, c.executable, c.peer)
                    for c in self.children if c.introduced]
        return DirectoryListing(
            node.unique_id, self.executable, node.scope, ip,
            link.address if link is not None else None, self.accepting_at,
            [h.listing for h in node.publications.values()],
            [h.listing for h in node.subscriptions.values()], routed,
            self.on_describe() if self.on_describe is not None else [], children)

    def describe(self, path=()):
        """A Deferred that fires with the DirectoryListing of the node at ``path`` (a
        list of unique ids from the top of the tree; empty: the top itself), or
        fails with Unreachable."""
        path = list(path)
        try:
            hop = self._hop(path, False)
        except Unreachable as e:
            return defer.fail(e)
        if hop is None:
            return defer.maybeDeferred(self.listing)
        return self._fetch(hop, [str(i) for i in path])

    def ping(self, path):
        """A Deferred that fires with None once the node at ``path`` answers a Ping, or
        fails with Unreachable."""
        path = list(path)
        try:
            hop = self._hop(path, False)
        except Unreachable as e:
            return defer.fail(e)
        if hop is None:
            return defer.succeed(None)
        return self._pass(hop, Ping, path=[str(i) for i in path]).addCallback(lambda _: None)

    def route(self, command, path, from_above, **arguments):
        """Answer a Describe or a Ping with a path that arrived over a link (from the
        parent when ``from_above``), or pass it on."""
        try:
            ids = [uuid.UUID(text) for text in path]
        except (ValueError, TypeError, AttributeError):
            raise Unreachable('a path that is not a list of ids')
        hop = self._hop(ids, from_above)
        if hop is not None:
            return self._pass(hop, command, path=path, **arguments)
        if command is Ping:
            return {}
        return self._part(arguments.get('snapshot'), arguments.get('offset'))

    def _hop(self, path, from_above):
        """The link a question for the node at ``path`` goes on by, or None when it is
        this node's to answer; Unreachable when it has nowhere to go.  A question
        climbs until it meets a node of the path, then follows the path down."""
        me = self.node.unique_id
        if me in path:
            i = path.index(me)
            if i == len(path) - 1:
                return None
            below = path[i + 1]
            for child in self.children:
                if child.introduced and child.unique_id == below:
                    return child
            raise Unreachable('no node %s below %s' % (below, me))
        if from_above:
            raise Unreachable('node %s is not on the path' % (me,))
        link = self.parent_link
        if link is not None and link.introduced:
            return link.protocol
        if not path:
            return None                 # this node is the top of its tree
        raise Unreachable('no node %s in this directory' % (path[-1],))

    def _pass(self, link, command, **arguments):
        if link.transport is None or link.closed_because is not None:
            return defer.fail(Unreachable('the link to %s is closed' % (link.describe(),)))
        d = defer.maybeDeferred(link.callRemote, command, **arguments)
        d.addErrback(self._not_passed, link)
        # AMP takes a failure nobody handled by the time the answer arrives as
        # a broken link; the caller's Deferred is separate, so that never happens.
        answer = defer.Deferred()
        d.chainDeferred(answer)
        return answer

    def _not_passed(self, failure, link):
        if failure.check(Unreachable):
            return failure
        raise Unreachable('no answer through %s (%s)' % (link.describe(),
                                                        failure.getErrorMessage()))

    @defer.inlineCallbacks
    def _fetch(self, hop, path):
        answer = yield self._pass(hop, Describe, path=path)
        size, snapshot = answer['size'], answer.get('snapshot')
        if size > LISTING_LIMIT:
            raise Unreachable('a listing of %d bytes (the limit is %d)' % (size,
                                                                           LISTING_LIMIT))
        parts = [answer['part']]
        got = len(answer['part'])
        while got < size:
            if snapshot is None or not parts[-1]:
                raise Unreachable('a listing cut short (%d of %d bytes)' % (got, size))
            answer = yield self._pass(hop, Describe, path=path, snapshot=snapshot, offset=got)
            parts.append(answer['part'])
            got += len(answer['part'])
        try:
            return decode_listing(b''.join(parts).decode('utf-8'), DirectoryListing)
        except (CodecError, ConversionError, ValueError, TypeError, KeyError,
                RecursionError) as e:
            raise Unreachable('a listing that does not decode (%s)' % (e,))

    def _part(self, snapshot, offset):
        """The answer to a Describe of this node: the whole listing when it fits, else
        the part at ``offset`` of a snapshot kept for the questions to come."""
        if snapshot is None:
            try:
                data = encode_listing(self.listing()).encode('utf-8')
            except Exception as e:
                self.log.fault('Cannot describe this directory (%s: %s)' % (
                    type(e).__name__, e))
                raise Unreachable('cannot describe node %s (%s)' % (self.node.unique_id, e))
            if len(data) <= PART:
                return {'part': data, 'size': len(data)}
            snapshot = uuid.uuid4().hex
            self._keep_snapshot(snapshot, data)
            offset = 0
        kept = self._snapshots.get(snapshot)
        if kept is None:
            raise Unreachable('listing %s is gone (kept for %s s)' % (snapshot, SNAPSHOT_LIFE))
        data = kept[0]
        offset = max(0, offset or 0)
        return {'part': data[offset:offset + PART], 'size': len(data), 'snapshot': snapshot}

    def _keep_snapshot(self, token, data):
        while len(self._snapshots) >= SNAPSHOTS:
            self._drop_snapshot(next(iter(self._snapshots)))
        call = self.reactor.callLater(SNAPSHOT_LIFE, self._drop_snapshot, token)
        self._snapshots[token] = (data, call)

    def _drop_snapshot(self, token):
        kept = self._snapshots.pop(token, None)
        if kept is not None and kept[1].active():
            kept[1].cancel()
