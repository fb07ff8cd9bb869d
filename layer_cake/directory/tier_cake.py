"""What host-cake and lan-cake have in common: a program that runs one directory
tier until it is stopped (network.md §9.1, §9.2).

A tier program is an ordinary layer-cake program whose main object is a
:class:`TierCake`: ``lc.create`` runs it, its parameters are the program's
flags, and ``layer-cake add`` can make it a role.  The subclass says which
tier it runs (:meth:`TierCake.make_tier`) and where it accepts children
(:meth:`TierCake.accept_address`, for the fault when that is impossible).
The object starts the tier at ``Start``; when the address cannot be bound it
ends at once with a ``Faulted`` saying why; Stop (Ctrl-C, SIGINT, SIGTERM)
stops the tier and ends it with ``Aborted``.

Handlers are found by the class's name, so :func:`bind_tier_cake` names
the shared ones after the subclass in its module before binding it.
"""

from ..types import portable as P
from ..runtime.bind import bind
from ..runtime.messages import Aborted, Faulted, Start, Stop
from ..runtime.point import Point, Stateless

__all__ = ['TierCake', 'bind_tier_cake']


class TierCake(Point, Stateless):
    """The main object of a tier program: run the tier of :meth:`make_tier`."""

    def __init__(self):
        Point.__init__(self)
        Stateless.__init__(self)
        self.tier = None

    def make_tier(self):
        """The Tier this program runs (not started yet)."""
        raise NotImplementedError

    def accept_address(self):
        """Where the tier accepts children (for the fault when it cannot)."""
        raise NotImplementedError

    def refusal(self):
        """A Faulted when the settings cannot be honoured, else None."""
        return None

    def _not_listening(self, failure):
        # From the tier's Deferred back into this object's own dispatch.
        self.send(Faulted('cannot accept directories at "%s"' % (self.accept_address(),),
                          failure.getErrorMessage()), self.object_address)

    def _stop_tier(self):
        tier, self.tier = self.tier, None
        if tier is not None and tier.running:
            tier.stopService()


def _start(self, message):
    refused = self.refusal()
    if refused is not None:
        self.complete(refused)
    self.tier = self.make_tier()
    self.tier.startService()
    self.tier.when_listening().addErrback(self._not_listening)


def _faulted(self, message):
    self._stop_tier()
    self.complete(message)


def _stop(self, message):
    self._stop_tier()
    self.complete(Aborted())


def bind_tier_cake(cls, namespace):
    """Bind ``cls``, a TierCake, to the shared handlers, named after it in
    ``namespace`` (the globals of its module, where ``bind`` looks first)."""
    for message, handler in ((Start, _start), (Faulted, _faulted), (Stop, _stop)):
        namespace['%s_%s' % (cls.__name__, message.__name__)] = handler
    bind(cls, (Start, Faulted, Stop), return_type=P.Any())
