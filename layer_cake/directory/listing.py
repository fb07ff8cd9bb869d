"""What directory nodes tell each other (network.md §8.2-§8.4).

A *listing* is a publication or a subscription as the directory tree sees it:
its id, its name (or search), its scope and where it lives.  A *route offer*
is a match made at some node, sent down to the subscription's home so that
the subscriber can open a session; a *withdrawal* ends such a route.

These are registered message types, so they cross AMP between tiers as the
runtime's own JSON encoding (one codec everywhere), and every listing carries
the incarnation id of its process, so that a restarted process is never
mistaken for the one before it.
"""

import enum
import re
import uuid

from ..net.ipp import HostPort, ScopeOfDirectory
from ..types import registry
from ..types.codec import decode_any, encode_any

__all__ = ['Publication', 'Subscription', 'RouteOffer', 'RouteWithdrawal', 'Withdrawn',
           'wider', 'encode_listing', 'decode_listing', 'NAME_LIMIT', 'check_name',
           'compile_search']

# Longest name or search accepted anywhere in the tree.
NAME_LIMIT = 512


class Publication(object):
    """A published name: sessions are opened to ``listening_ipp`` (unset in-process)."""

    def __init__(self, published_id: uuid.UUID = None, name: str = None,
                 scope: ScopeOfDirectory = ScopeOfDirectory.HOST, encrypted: bool = False,
                 listening_ipp: HostPort = None, home_id: uuid.UUID = None,
                 incarnation: uuid.UUID = None):
        self.published_id = published_id
        self.name = name
        self.scope = scope
        self.encrypted = encrypted
        self.listening_ipp = listening_ipp or HostPort()
        self.home_id = home_id
        self.incarnation = incarnation

    @property
    def listing_id(self):
        return self.published_id


class Subscription(object):
    """A search (a regular expression matched in full against published names)."""

    def __init__(self, subscribed_id: uuid.UUID = None, search: str = None,
                 scope: ScopeOfDirectory = ScopeOfDirectory.HOST, home_id: uuid.UUID = None,
                 incarnation: uuid.UUID = None):
        self.subscribed_id = subscribed_id
        self.search = search
        self.scope = scope
        self.home_id = home_id
        self.incarnation = incarnation

    @property
    def listing_id(self):
        return self.subscribed_id


class RouteOffer(object):
    """A match made at a node of ``scope``: the subscriber may open a session to ``ipp``."""

    def __init__(self, route_id: uuid.UUID = None, scope: ScopeOfDirectory = None,
                 subscribed_id: uuid.UUID = None, published_id: uuid.UUID = None,
                 name: str = None, encrypted: bool = False, ipp: HostPort = None,
                 incarnation: uuid.UUID = None):
        self.route_id = route_id
        self.scope = scope
        self.subscribed_id = subscribed_id
        self.published_id = published_id
        self.name = name
        self.encrypted = encrypted
        self.ipp = ipp or HostPort()
        self.incarnation = incarnation        # the publisher's process


class Withdrawn(enum.Enum):
    """Why a route ended: its publication or subscription was retracted, or
    the tier that made it lost the connection it came through (tier churn,
    which must not end a session that is already open)."""
    RETRACTED = 1
    ORIGIN_LOST = 2


registry.register_enum(Withdrawn)


class RouteWithdrawal(object):
    """A route made at some node is gone."""

    def __init__(self, route_id: uuid.UUID = None, scope: ScopeOfDirectory = None,
                 subscribed_id: uuid.UUID = None, published_id: uuid.UUID = None,
                 reason: Withdrawn = Withdrawn.RETRACTED):
        self.route_id = route_id
        self.scope = scope
        self.subscribed_id = subscribed_id
        self.published_id = published_id
        self.reason = reason


for _c in (Publication, Subscription, RouteOffer, RouteWithdrawal):
    registry.bind_message(_c)
del _c


def wider(a, b):
    """True when scope ``a`` reaches further than scope ``b`` (LAN is wider than HOST)."""
    return a.value < b.value


def encode_listing(value):
    """The JSON text of a listing, offer or withdrawal, naming its type (for AMP)."""
    return encode_any(value)


def decode_listing(text, cls):
    """The ``cls`` value held in ``text``; raises CodecError or ValueError when it is not one."""
    value = decode_any(text)
    if not isinstance(value, cls):
        raise ValueError('not a %s' % (cls.__name__,))
    return value


def check_name(text, what='name'):
    """None when ``text`` is an acceptable name or search, else why not."""
    if not isinstance(text, str) or not text:
        return 'empty %s' % (what,)
    if len(text) > NAME_LIMIT:
        return '%s longer than %d characters' % (what, NAME_LIMIT)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return '%s with control characters' % (what,)
    return None


def compile_search(search):
    """(compiled expression, None) or (None, why not)."""
    why = check_name(search, 'search')
    if why is not None:
        return None, why
    try:
        return re.compile(search), None
    except (re.error, RecursionError, OverflowError) as e:
        return None, 'bad expression (%s)' % (e,)
