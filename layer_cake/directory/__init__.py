"""Publish/subscribe: the directory that connects services by name (network.md §7-§10)."""

from .api import clear_published, clear_subscribed, publish, subscribe
from .lan import directory_at_lan, get_local_ip
from .messages import (Available, ClearPublished, ClearSubscribed, Delivered, Dropped,
                       NotPublished, NotSubscribed, Published, PublishedCleared, Subscribed,
                       SubscribedCleared)

__all__ = ['publish', 'subscribe', 'clear_published', 'clear_subscribed', 'Published',
           'NotPublished', 'Subscribed', 'NotSubscribed', 'Available', 'Delivered', 'Dropped',
           'ClearPublished', 'PublishedCleared', 'ClearSubscribed', 'SubscribedCleared',
           'get_local_ip', 'directory_at_lan']
