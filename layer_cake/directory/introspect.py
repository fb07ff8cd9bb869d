"""What a directory node says about itself, and how to ask it (network.md §8.7, §10).

``layer-cake network`` draws the directory tree by asking one node after
another to describe itself; ``layer-cake ping`` times a round trip to one
node.  Neither opens a connection of its own: every question travels along
the links the tree already has, up from the asking process and down to the
node it names.  A node is named by its *path*: the unique ids of the nodes
from the top of the tree down to it.  The empty path names the top-most
node the asker's tree reaches.

This module holds the values of that exchange (registered messages, so they
cross AMP as the runtime's own JSON text) and the requests a program sends
to its own process directory to take part:

``OpenDirectory(scope, connect_to)``
    connect this process's node to its parent (``connect_to``, else where a
    node of this process's scope looks by itself when it holds a listing of
    ``scope``); ``DirectoryOpened`` follows once the parent has answered or
    an attempt to reach it has failed.
``DescribeNode(path)``
    ``DirectoryListing`` of the node at ``path``, or ``NotDescribed``.
``PingNode(path, sequence)``
    ``NodePinged`` once the node at ``path`` has answered, or ``NotPinged``.
"""

import enum
import socket
import uuid

from ..net.ipp import HostPort, ScopeOfDirectory
from ..runtime.messages import Faulted
from ..types import registry
from .listing import Publication, Subscription

__all__ = ['DirectoryListing', 'Routed', 'SubscriberSessions', 'NameSession', 'Session',
           'ChildNode', 'OpenDirectory', 'DirectoryOpened', 'DescribeNode', 'NotDescribed',
           'PingNode', 'NodePinged', 'NotPinged', 'NOT_DETECTED', 'primary_ip',
           'subscriber_sessions']

HOST = ScopeOfDirectory.HOST

# What a listing says when this host's own address is not known.
NOT_DETECTED = '(not detected)'

# A documentation address (TEST-NET-1): connecting a UDP socket towards it
# only chooses the outgoing interface; nothing is ever sent.
_PROBE = ('192.0.2.123', 9)


def primary_ip():
    """The address this host uses to reach other hosts, or None.

    Loopback, unspecified and link-local answers mean there is no such
    address.
    """
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(_PROBE)
        ip = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    if not isinstance(ip, str) or ip.startswith(('127.', '0.', '169.254.')):
        return None
    return ip


class Session(enum.Enum):
    """How one matched name of a subscription is served right now."""
    NO_ROUTE = 1        # nothing offered, or every offer failed
    IN_PROCESS = 2      # the publisher is an object of the same process
    CONNECTED = 3       # over a connection to the publication's listener
    PENDING = 4         # being opened; ``note`` says what it waits for
    FAILED = 5          # no route in use; the last attempt failed (``note`` says why)


registry.register_enum(Session)


class NameSession(object):
    """The active route of one matched name at a subscriber's home node."""

    def __init__(self, name: str = None, scope: ScopeOfDirectory = None,
                 status: Session = Session.NO_ROUTE, subscribed_id: uuid.UUID = None,
                 published_id: uuid.UUID = None, local_ipp: HostPort = None,
                 remote_ipp: HostPort = None, note: str = None):
        self.name = name
        self.scope = scope                  # the active route's scope (None: no route)
        self.status = status
        self.subscribed_id = subscribed_id
        self.published_id = published_id
        self.local_ipp = local_ipp or HostPort()    # our end of the connection
        self.remote_ipp = remote_ipp or HostPort()  # the publication's listener
        self.note = note


class SubscriberSessions(object):
    """A subscription of this process and a session per name it matched."""

    def __init__(self, search: str = None, subscribed_id: uuid.UUID = None,
                 scope: ScopeOfDirectory = HOST, sessions: list[NameSession] = None):
        self.search = search
        self.subscribed_id = subscribed_id
        self.scope = scope
        self.sessions = sessions or []


class Routed(object):
    """A match made at this node."""

    def __init__(self, name: str = None, subscribed_id: uuid.UUID = None,
                 published_id: uuid.UUID = None):
        self.name = name
        self.subscribed_id = subscribed_id
        self.published_id = published_id


class ChildNode(object):
    """A node connected to this one from below: ask it with the parent's path plus
    ``unique_id``.  ``connected_from`` is the far end of its connection."""

    def __init__(self, unique_id: uuid.UUID = None, scope: ScopeOfDirectory = None,
                 executable: str = None, connected_from: HostPort = None):
        self.unique_id = unique_id
        self.scope = scope
        self.executable = executable
        self.connected_from = connected_from or HostPort()


class DirectoryListing(object):
    """One node as it describes itself.

    ``published``, ``subscribed``: every listing the node holds;
    ``routed``: the matches made here; ``peer``: at a process's node, its
    subscriptions and their sessions; ``sub_directory``: the nodes below, in
    the order they connected.  An address that is not set has no host.
    """

    def __init__(self, unique_id: uuid.UUID = None, executable: str = None,
                 scope: ScopeOfDirectory = None, primary_ip: str = NOT_DETECTED,
                 connect_to_directory: HostPort = None, accept_directories_at: HostPort = None,
                 published: list[Publication] = None, subscribed: list[Subscription] = None,
                 routed: list[Routed] = None, peer: list[SubscriberSessions] = None,
                 sub_directory: list[ChildNode] = None):
        self.unique_id = unique_id
        self.executable = executable
        self.scope = scope
        self.primary_ip = primary_ip
        self.connect_to_directory = connect_to_directory or HostPort()
        self.accept_directories_at = accept_directories_at or HostPort()
        self.published = published or []
        self.subscribed = subscribed or []
        self.routed = routed or []
        self.peer = peer or []
        self.sub_directory = sub_directory or []


# Requests to this process's own directory, and their answers.

class OpenDirectory(object):
    """Have this process's node reach its parent (``connect_to``, else the automatic
    one for a listing of ``scope``)."""

    def __init__(self, scope: ScopeOfDirectory = HOST, connect_to: HostPort = None):
        self.scope = scope
        self.connect_to = connect_to


class DirectoryOpened(object):
    """``connected``: the parent answered; otherwise ``note`` says why not."""

    def __init__(self, scope: ScopeOfDirectory = HOST, connected: bool = False,
                 note: str = None):
        self.scope = scope
        self.connected = connected
        self.note = note


class DescribeNode(object):
    """Ask for the listing of the node at ``path`` (empty: the top of the tree)."""

    def __init__(self, path: list[uuid.UUID] = None):
        self.path = path or []


class NotDescribed(Faulted):
    """The node at ``path`` could not be asked; ``note`` says why."""

    def __init__(self, path: list[uuid.UUID] = None, note: str = None):
        Faulted.__init__(self, 'cannot describe the directory', note)
        self.path = path or []
        self.note = note


class PingNode(object):
    """Ask the node at ``path`` for an answer; ``sequence`` comes back with it."""

    def __init__(self, path: list[uuid.UUID] = None, sequence: int = 0):
        self.path = path or []
        self.sequence = sequence


class NodePinged(object):
    """The node answered the ping numbered ``sequence``."""

    def __init__(self, sequence: int = 0):
        self.sequence = sequence


class NotPinged(Faulted):
    """The ping numbered ``sequence`` found no node to answer it."""

    def __init__(self, sequence: int = 0, note: str = None):
        Faulted.__init__(self, 'cannot ping', note)
        self.sequence = sequence
        self.note = note


for _c in (NameSession, SubscriberSessions, Routed, ChildNode, DirectoryListing):
    registry.bind_message(_c)
for _c in (OpenDirectory, DirectoryOpened, DescribeNode, NotDescribed, PingNode, NodePinged,
           NotPinged):
    registry.bind_message(_c, copy_before_sending=False, message_trail=False)
del _c


# The sessions part of a process's listing.

def _session(directory, key, choice):
    subscribed_id, name = key
    offer = choice.active
    if offer is None and choice.failed is not None:
        failed, why = choice.failed
        return NameSession(name, failed.scope, Session.FAILED, subscribed_id,
                           failed.published_id, None,
                           HostPort(failed.ipp.host, failed.ipp.port), why)
    if offer is None:
        return NameSession(name, None, Session.NO_ROUTE, subscribed_id)
    found = NameSession(name, offer.scope, Session.PENDING, subscribed_id, offer.published_id)
    session = directory.sessions.get(offer.route_id)
    if session is None:
        found.note = 'Closed'
        return found
    if session.peer is None:
        if session.up:
            found.status = Session.IN_PROCESS
        else:
            found.note = 'Available'
        return found
    found.remote_ipp = HostPort(offer.ipp.host, offer.ipp.port)
    peer = directory.peers.get(session.peer)
    if peer is None or peer.proxy is None:
        found.note = 'Connected'
    elif not session.up:
        found.note = 'LoopOpened'
    else:
        found.status = Session.CONNECTED
        local = getattr(peer, 'local', None)
        if local is not None:
            found.local_ipp = HostPort(local.host, local.port)
    return found


def subscriber_sessions(directory):
    """Each subscription of a :class:`.process_directory.ProcessDirectory` with the
    state of every name it matched, in the order they were made."""
    found = []
    by_subscription = {}
    for subscribed_id, local in directory.subscriptions.items():
        entry = SubscriberSessions(local.text, subscribed_id, local.scope)
        by_subscription[subscribed_id] = entry
        found.append(entry)
    for key, choice in list(directory.choices.items()):
        entry = by_subscription.get(key[0])
        if entry is not None:
            entry.sessions.append(_session(directory, key, choice))
    return found
