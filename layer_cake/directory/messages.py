"""The messages of publish/subscribe (network.md §7.2).

Requests (``PublishAs``, ``SubscribeTo``, ``ClearPublished``,
``ClearSubscribed``) go from an object to its process directory; every
answer and notification goes back to the object that asked.  The session
notifications (``Available``, ``Delivered``, ``Dropped``) arrive with the
other party as their return address, so ``self.reply()`` talks to it.
"""

import datetime
import uuid

from ..net.ipp import HostPort, ScopeOfDirectory
from ..runtime.messages import Faulted
from ..types import portable as P
from ..types import registry

HOST = ScopeOfDirectory.HOST


class PublishAs(object):
    """The request behind ``lc.publish``."""

    def __init__(self, name: str = None, scope: ScopeOfDirectory = HOST,
                 encrypted: bool = False):
        self.name = name
        self.scope = scope
        self.encrypted = encrypted


class SubscribeTo(object):
    """The request behind ``lc.subscribe``."""

    def __init__(self, search: str = None, scope: ScopeOfDirectory = HOST):
        self.search = search
        self.scope = scope


class Published(object):
    """``name`` is published; sessions arrive at ``listening_ipp`` (unset at PROCESS scope)."""

    def __init__(self, name: str = None, scope: ScopeOfDirectory = HOST,
                 encrypted: bool = False, published_id: uuid.UUID = None,
                 listening_ipp: HostPort = None, home_address: P.Address = None):
        self.name = name
        self.scope = scope
        self.encrypted = encrypted
        self.published_id = published_id
        self.listening_ipp = listening_ipp or HostPort()
        self.home_address = home_address


class NotPublished(Faulted):
    """A publish that was refused (the name is taken in this process, or no listener)."""

    def __init__(self, name: str = None, scope: ScopeOfDirectory = HOST, note: str = None):
        Faulted.__init__(self, 'cannot publish as "%s"' % (name,), note)
        self.name = name
        self.scope = scope
        self.note = note


class Subscribed(object):
    """``search`` is registered; matches arrive as ``Available``."""

    def __init__(self, search: str = None, scope: ScopeOfDirectory = HOST,
                 subscribed_id: uuid.UUID = None, home_address: P.Address = None):
        self.search = search
        self.scope = scope
        self.subscribed_id = subscribed_id
        self.home_address = home_address


class NotSubscribed(Faulted):
    """A subscribe that was refused (a repeat by the same object, or a bad expression)."""

    def __init__(self, search: str = None, scope: ScopeOfDirectory = HOST, note: str = None):
        Faulted.__init__(self, 'cannot subscribe to "%s"' % (search,), note)
        self.search = search
        self.scope = scope
        self.note = note


class Available(object):
    """A session with a matching publication is open (return address: the publisher)."""

    def __init__(self, name: str = None, scope: ScopeOfDirectory = None,
                 route_id: uuid.UUID = None, subscribed_id: uuid.UUID = None,
                 published_id: uuid.UUID = None, publisher_address: P.Address = None,
                 opened_at: datetime.datetime = None):
        self.name = name
        self.scope = scope
        self.route_id = route_id
        self.subscribed_id = subscribed_id
        self.published_id = published_id
        self.publisher_address = publisher_address
        self.opened_at = opened_at


class Delivered(object):
    """A subscriber's session reached the publisher (return address: the subscriber)."""

    def __init__(self, name: str = None, scope: ScopeOfDirectory = None,
                 route_id: uuid.UUID = None, subscribed_id: uuid.UUID = None,
                 published_id: uuid.UUID = None, subscriber_address: P.Address = None,
                 opened_at: datetime.datetime = None):
        self.name = name
        self.scope = scope
        self.route_id = route_id
        self.subscribed_id = subscribed_id
        self.published_id = published_id
        self.subscriber_address = subscriber_address
        self.opened_at = opened_at


class Dropped(object):
    """A session ended; ``remote_address`` is the other party."""

    def __init__(self, name: str = None, scope: ScopeOfDirectory = None,
                 route_id: uuid.UUID = None, subscribed_id: uuid.UUID = None,
                 published_id: uuid.UUID = None, remote_address: P.Address = None,
                 opened_at: datetime.datetime = None):
        self.name = name
        self.scope = scope
        self.route_id = route_id
        self.subscribed_id = subscribed_id
        self.published_id = published_id
        self.remote_address = remote_address
        self.opened_at = opened_at


class ClearPublished(object):
    """The request behind ``lc.clear_published``."""

    def __init__(self, name: str = None, scope: ScopeOfDirectory = None,
                 published_id: uuid.UUID = None, note: str = None):
        self.name = name
        self.scope = scope
        self.published_id = published_id
        self.note = note


class PublishedCleared(ClearPublished):
    """The publication is gone, and so is every session it had."""


class ClearSubscribed(object):
    """The request behind ``lc.clear_subscribed``."""

    def __init__(self, search: str = None, scope: ScopeOfDirectory = None,
                 subscribed_id: uuid.UUID = None, note: str = None):
        self.search = search
        self.scope = scope
        self.subscribed_id = subscribed_id
        self.note = note


class SubscribedCleared(ClearSubscribed):
    """The subscription is gone, and so is every session it had."""


for _c in (PublishAs, SubscribeTo, Published, NotPublished, Subscribed, NotSubscribed,
           Available, Delivered, Dropped, ClearPublished, PublishedCleared, ClearSubscribed,
           SubscribedCleared):
    registry.bind_message(_c)
del _c
