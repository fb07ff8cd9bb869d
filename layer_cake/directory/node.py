"""One directory node's bookkeeping: listings, uniqueness, matching, routes
(network.md §8.2-§8.4).

Every tier is the same node with a different scope: the directory inside an
application process (PROCESS), group-cake (GROUP), host-cake (HOST) and
lan-cake (LAN).  :class:`DirectoryNode` holds what reached it -- each listing
with its *origin*, the child link it came through (None for this process's
own) -- and decides; it does no I/O.  What it decides goes out through an
*environment* object the owner supplies::

    push_up(listing)                  send a listing to the parent (if any)
    retract_up(listing_id)            tell the parent a listing is gone
    offer(origin, route_offer)        toward the subscription's home
    withdraw(origin, withdrawal)      toward the subscription's home
    advise(origin, publication)       its name is taken here; toward its home
    warn(text)                        log a warning

so the same node runs under AMP links, in-process test doubles and the
process directory alike.  A name belongs to its first publication; at the
LAN node a publisher of the same identity may reclaim it (:mod:`.name_binding`).
"""

import uuid

from ..net.ipp import HostPort, LOCAL_HOST, ScopeOfDirectory
from .ids import fresh_id
from .listing import (Publication, RouteOffer, RouteWithdrawal, Subscription, Withdrawn,
                      check_name, compile_search, wider)
from .matching import MatchIndex
from .name_binding import reclaims

__all__ = ['DirectoryNode']


class _Held(object):
    """A listing as this node holds it."""

    __slots__ = ('listing', 'origin', 'search')

    def __init__(self, listing, origin, search=None):
        self.listing = listing
        self.origin = origin
        self.search = search


class DirectoryNode(object):
    """The listings and routes of one node of ``scope``."""

    def __init__(self, scope, environment, unique_id=None):
        self.scope = scope
        self.env = environment
        self.unique_id = unique_id or uuid.uuid4()
        self.publications = {}      # published_id -> _Held
        self.subscriptions = {}     # subscribed_id -> _Held
        self.names = {}             # name -> published_id (one per node)
        self.routes = {}            # route_id -> (subscribed_id, published_id)
        self._route_of = {}         # (subscribed_id, published_id) -> route_id
        self._routes_by = {}        # listing id -> {route_id} of the routes it is in
        self._index = MatchIndex()  # which names a search matches, and the reverse

    # What arrives.

    def add(self, listing, origin=None):
        """Take a publication or subscription from ``origin`` (None: this process)."""
        if not isinstance(listing, (Publication, Subscription)) or listing.listing_id is None:
            self.env.warn('ignored a listing without an id')
            return False
        if wider(self.scope, listing.scope):
            return False                # narrower than this node: not ours to hold
        if isinstance(listing, Publication):
            return self._add_publication(listing, origin)
        return self._add_subscription(listing, origin)

    def _add_publication(self, p, origin):
        held = self.publications.get(p.published_id)
        if held is not None:
            if held.origin is not origin:
                self.env.warn('publication %s of "%s" arrived again from elsewhere' % (
                    p.published_id, p.name))
            return False                # a refresh
        why = check_name(p.name)
        if why is not None:
            self.env.warn('ignored a publication (%s)' % (why,))
            return False
        other = self.names.get(p.name)
        if other is not None:
            old = self.publications[other]
            if not reclaims(self.scope, old.origin, origin):
                self.env.warn('multiple ids, same name "%s" (%s kept, %s refused)' % (
                    p.name, other, p.published_id))
                self.env.advise(origin, p)
                return False
            # The same identity, over another link: its publisher is back (name_binding).
            self.env.warn('"%s" reclaimed by its publisher (%s replaces %s)' % (
                p.name, p.published_id, other))
            self.remove(other, old.origin, Withdrawn.ORIGIN_LOST)
            self.env.advise(old.origin, old.listing)
        if origin is not None:
            p = self._rewritten(p, origin)
        held = self.publications[p.published_id] = _Held(p, origin)
        self.names[p.name] = p.published_id
        self._index.add_name(p.name, p.published_id)
        for subscribed_id in self._index.searches_matching(p.name):
            self._route(self.subscriptions[subscribed_id], held)
        if wider(p.scope, self.scope):
            self.env.push_up(p)
        return True

    def _add_subscription(self, s, origin):
        held = self.subscriptions.get(s.subscribed_id)
        if held is not None:
            if held.origin is not origin:
                self.env.warn('subscription %s to "%s" arrived again from elsewhere' % (
                    s.subscribed_id, s.search))
            return False
        search, why = compile_search(s.search)
        if search is None:
            self.env.warn('ignored a subscription (%s)' % (why,))
            return False
        held = self.subscriptions[s.subscribed_id] = _Held(s, origin, search)
        self._index.add_search(s.subscribed_id, s.search, search)
        for published_id in self._index.names_matching(s.subscribed_id):
            self._route(held, self.publications[published_id])
        if wider(s.scope, self.scope):
            self.env.push_up(s)
        return True

    def _rewritten(self, p, origin):
        """The publication as seen from here: its listener's host as this node reaches it."""
        if self.scope in (ScopeOfDirectory.GROUP, ScopeOfDirectory.HOST):
            host = LOCAL_HOST
        elif self.scope in (ScopeOfDirectory.LAN, ScopeOfDirectory.WAN):
            host = getattr(origin, 'peer_host', None) or p.listening_ipp.host
        else:
            return p
        copy = Publication(p.published_id, p.name, p.scope, p.encrypted,
                           HostPort(host, p.listening_ipp.port), p.home_id, p.incarnation)
        return copy

    def _route(self, s, p):
        key = (s.listing.subscribed_id, p.listing.published_id)
        if key in self._route_of:
            return
        route_id = fresh_id()
        self.routes[route_id] = key
        self._route_of[key] = route_id
        for listing_id in key:
            routes = self._routes_by.get(listing_id)
            if routes is None:
                routes = self._routes_by[listing_id] = set()
            routes.add(route_id)
        pub = p.listing
        self.env.offer(s.origin, RouteOffer(route_id, self.scope, key[0], key[1], pub.name,
                                            pub.encrypted, pub.listening_ipp,
                                            pub.incarnation))

    # What goes away.

    def remove(self, listing_id, origin=None, reason=Withdrawn.RETRACTED):
        """Drop a listing (and its routes); tell the parent.  False when not held here
        (or held from another origin)."""
        held = self.publications.get(listing_id)
        table = self.publications
        if held is None:
            held = self.subscriptions.get(listing_id)
            table = self.subscriptions
        if held is None or held.origin is not origin:
            return False
        del table[listing_id]
        listing = held.listing
        if table is self.publications:
            if self.names.get(listing.name) == listing_id:
                del self.names[listing.name]
                self._index.remove_name(listing.name)
        else:
            self._index.remove_search(listing_id)
        for route_id in list(self._routes_by.get(listing_id, ())):
            self._end_route(route_id, reason)
        if wider(listing.scope, self.scope):
            self.env.retract_up(listing_id)
        return True

    def lose_origin(self, origin):
        """A child link is gone: everything that came through it goes too."""
        gone = [i for i, h in self.publications.items() if h.origin is origin]
        gone += [i for i, h in self.subscriptions.items() if h.origin is origin]
        for listing_id in gone:
            self.remove(listing_id, origin, Withdrawn.ORIGIN_LOST)
        return len(gone)

    def _end_route(self, route_id, reason):
        sid, pid = self.routes.pop(route_id)
        del self._route_of[(sid, pid)]
        for listing_id in (sid, pid):
            routes = self._routes_by.get(listing_id)
            if routes is not None:
                routes.discard(route_id)
                if not routes:
                    del self._routes_by[listing_id]
        s = self.subscriptions.get(sid)
        if s is not None:
            self.env.withdraw(s.origin, RouteWithdrawal(route_id, self.scope, sid, pid, reason))

    # What passes through on its way down.

    def pass_offer(self, offer):
        """A route offer from the parent: on toward its subscription's home."""
        s = self.subscriptions.get(offer.subscribed_id)
        if s is None:
            return False
        self.env.offer(s.origin, offer)
        return True

    def pass_withdrawal(self, withdrawal):
        s = self.subscriptions.get(withdrawal.subscribed_id)
        if s is None:
            return False
        self.env.withdraw(s.origin, withdrawal)
        return True

    def pass_advice(self, publication):
        p = self.publications.get(publication.published_id)
        if p is None:
            return False
        self.env.advise(p.origin, publication)
        return True

    # What the parent is told when the link to it (re)opens.

    def upward(self):
        """Every listing held here whose scope is wider than this node's."""
        found = [h.listing for h in self.publications.values() if wider(h.listing.scope,
                                                                        self.scope)]
        found += [h.listing for h in self.subscriptions.values() if wider(h.listing.scope,
                                                                         self.scope)]
        return found
