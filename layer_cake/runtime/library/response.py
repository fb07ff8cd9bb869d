"""One request, one response: ``GetResponse``; and a plain wait: ``Delay``.

Both are stateless machines on the reactor.  ``GetResponse`` sends the request
from its own address, so the server's reply comes back to it and nowhere
else, and ends with that reply; its parent gets the reply in ``Returned``
(a pending-request table for free, with ``on_return``).
"""

from ...types import portable as P
from ...types.registry import cast_back, cast_to
from ..bind import bind
from ..messages import Aborted, Start, Stop, T1, TimedOut, Unknown
from ..point import Point, Stateless


def returned_value(returned):
    """A child's termination value in its Any form, ``cast_to(value, type)``.

    A bare value (from a child with no declared return type) is passed on as it is.
    """
    try:
        value, portable = cast_back(returned.message)
    except ValueError:
        return returned.message
    return cast_to(value, portable)


class GetResponse(Point, Stateless):
    """Send ``request`` to ``server_address``; end with the first message that comes back.

    With ``seconds`` the wait is bounded: ``TimedOut(T1)`` when it expires.
    ``Stop`` ends it with ``Aborted()``.
    """

    def __init__(self, request, server_address: P.Address, seconds: float = None):
        Point.__init__(self)
        Stateless.__init__(self)
        self.request = request
        self.server_address = server_address
        self.seconds = seconds


def GetResponse_Start(self, message):
    self.send(self.request, self.server_address)
    if self.seconds is not None:
        self.start(T1, self.seconds)


def GetResponse_T1(self, message):
    self.complete(TimedOut(message))


def GetResponse_Stop(self, message):
    self.complete(Aborted())


def GetResponse_Unknown(self, message):
    # Any other message is the response, whatever its type.
    self.complete(cast_to(message, self.received_type))


bind(GetResponse, (Start, T1, Stop, Unknown), return_type=P.Any(), thread='get-response')


class Delay(Point, Stateless):
    """End with ``TimedOut(T1)`` after ``seconds``; ``Stop`` ends it with ``Aborted()``.

    Without ``seconds`` it waits for ``Stop``.
    """

    def __init__(self, seconds: float = None):
        Point.__init__(self)
        Stateless.__init__(self)
        self.seconds = seconds


def Delay_Start(self, message):
    if self.seconds is not None:
        self.start(T1, self.seconds)


def Delay_T1(self, message):
    self.complete(TimedOut(message))


def Delay_Stop(self, message):
    self.complete(Aborted())


bind(Delay, (Start, T1, Stop), thread='delay')
