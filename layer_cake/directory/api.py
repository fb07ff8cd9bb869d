"""``lc.publish``, ``lc.subscribe`` and the clears (network.md §7.1).

Each call sends one request to this process's directory and returns at
once; the answer (``Published``, ``Subscribed``, ``PublishedCleared``, ...)
and every later notification arrive at the calling object as messages.
"""

from ..net.ipp import ScopeOfDirectory
from .messages import ClearPublished, ClearSubscribed, PublishAs, SubscribeTo
from .service import directory_address

__all__ = ['publish', 'subscribe', 'clear_published', 'clear_subscribed']


def publish(self, name, scope=ScopeOfDirectory.HOST, encrypted=False):
    """Offer ``self`` as ``name`` within ``scope``; ``Published`` or ``NotPublished`` follows."""
    self.send(PublishAs(name, scope, encrypted), directory_address())


def subscribe(self, search, scope=ScopeOfDirectory.HOST):
    """Look for names matching ``search`` in full; ``Subscribed`` then ``Available`` per match."""
    self.send(SubscribeTo(search, scope), directory_address())


def clear_published(self, published, note=None):
    """Withdraw a publication (its ``Published``); its sessions are dropped first."""
    self.send(ClearPublished(published.name, published.scope, published.published_id, note),
              directory_address())


def clear_subscribed(self, subscribed, note=None):
    """Withdraw a subscription (its ``Subscribed``); its sessions are dropped first."""
    self.send(ClearSubscribed(subscribed.search, subscribed.scope, subscribed.subscribed_id,
                              note), directory_address())
