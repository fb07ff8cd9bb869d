"""Which route a subscriber uses for one matched name (network.md §8.4, §8.5).

For each (subscription, matched name) the subscriber's home keeps the routes
offered -- at most one per scope -- and uses the nearest: PROCESS before
GROUP before HOST before LAN.  A nearer offer upgrades the session (the old
one is closed first, so there are never two at once); a lost session falls
back to the nearest remaining route, never to the publication or listener
that was just lost; a wider offer is only remembered.

:class:`Choice` is that rule and nothing else: each event returns what to do,
as ``('open', offer)`` or ``('close', offer)``; the owner does it and reports
back with :meth:`opened`, :meth:`closed` or :meth:`lost`.
"""

from .listing import Withdrawn, wider

__all__ = ['Choice', 'OPEN', 'CLOSE']

OPEN = 'open'
CLOSE = 'close'

# States of the route in use.
IDLE = 'idle'
OPENING = 'opening'
UP = 'up'
CLOSING = 'closing'


def _same_place(a, b):
    """Two offers that reach the same publication, or the same listener."""
    if a.published_id == b.published_id:
        return True
    return a.ipp is not None and b.ipp is not None and a.ipp.port and (
        a.ipp.host, a.ipp.port) == (b.ipp.host, b.ipp.port)


class Choice(object):
    """The offers for one (subscription, name), and the one in use."""

    def __init__(self):
        self.offers = {}        # scope -> RouteOffer
        self.active = None      # the offer being opened, in use or being closed
        self.state = IDLE
        self.failed = None      # (offer, why) of the last attempt that failed, until one opens

    # Offers come and go.

    def offer(self, offer):
        held = self.offers.get(offer.scope)
        if held is not None:
            if not _same_place(held, offer):
                return []                       # one route per scope: the first stays
            self.offers[offer.scope] = offer    # the same route, offered again
            if self.active is held:
                self.active = offer if self.state == IDLE else self.active
            return []
        self.offers[offer.scope] = offer
        if self.state == IDLE:
            return self._open_nearest()
        if self.state == UP and wider(self.active.scope, offer.scope):
            return self._close()
        return []

    def withdrawn(self, withdrawal, session_survives):
        """A route is withdrawn; ``session_survives``: an open session over a
        connection outlives a withdrawal caused by tier churn."""
        held = self.offers.get(withdrawal.scope)
        if held is None or held.route_id != withdrawal.route_id:
            held = None
            for scope, o in self.offers.items():
                if o.route_id == withdrawal.route_id:
                    held = o
                    break
            if held is None:
                return []
        del self.offers[held.scope]
        if withdrawal.reason is Withdrawn.RETRACTED:
            # The publication is gone: its routes made at other nodes are
            # on their way out too, and must not be chosen meanwhile.
            for scope, o in list(self.offers.items()):
                if o.published_id == held.published_id:
                    del self.offers[scope]
        if self.active is None or self.active.route_id != held.route_id:
            return []
        if withdrawal.reason is Withdrawn.ORIGIN_LOST and session_survives and \
                self.state == UP:
            return []
        if self.state == UP:
            return self._close()
        return []

    # The owner reports.

    def opened(self, route_id):
        """The session is up: (announce it with ``Available``?, what to do next)."""
        if self.active is None or self.active.route_id != route_id or self.state != OPENING:
            return False, []
        self.state = UP
        self.failed = None
        held = self.offers.get(self.active.scope)
        if held is None or not _same_place(held, self.active):
            return True, self._close()          # withdrawn while it opened
        if self._nearer() is not None:
            return True, self._close()
        return True, []

    def closed(self, route_id):
        """A close this choice asked for is complete."""
        if self.active is None or self.active.route_id != route_id:
            return []
        self.active = None
        self.state = IDLE
        return self._open_nearest()

    def lost(self, route_id):
        """The session (or its opening) failed; fall back, never to the same place."""
        if self.active is None or self.active.route_id != route_id:
            return []
        gone = self.active
        self.active = None
        self.state = IDLE
        for scope, o in list(self.offers.items()):
            if _same_place(o, gone):
                del self.offers[scope]
        return self._open_nearest()

    # Choosing.

    def _nearest(self):
        if not self.offers:
            return None
        return self.offers[max(self.offers, key=lambda s: s.value)]

    def _nearer(self):
        best = self._nearest()
        if best is not None and self.active is not None and wider(self.active.scope, best.scope):
            return best
        return None

    def _open_nearest(self):
        best = self._nearest()
        if best is None:
            return []
        self.active = best
        self.state = OPENING
        return [(OPEN, best)]

    def _close(self):
        self.state = CLOSING
        return [(CLOSE, self.active)]

    def empty(self):
        return not self.offers and self.active is None
