"""The standard messages every layer-cake program knows."""

import datetime

from ..types import portable as P
from ..types import registry


def _bind(*classes, **kw):
    for c in classes:
        registry.bind_message(c, **kw)


class Start(object):
    """First message to every machine, from its parent."""


class Stop(object):
    """A request to terminate."""


class Pause(object):
    """Conventional: suspend activity."""


class Resume(object):
    """Conventional: resume activity."""


_bind(Start, Stop, Pause, Resume)


class Returned(object):
    """To a parent when one of its children has ended."""

    def __init__(self, message: P.Any = None):
        self.message = message

    def cast_back(self):
        return registry.cast_back(self.message)


_bind(Returned)


class Ready(object):
    """A readiness report."""


class NotReady(object):
    """A report of not being ready."""


class Ping(object):
    """Conventional request."""


class Enquiry(object):
    """Conventional request."""


class Discover(object):
    """Conventional request."""


class Inspect(object):
    """Conventional request."""


class Ack(object):
    """Conventional positive answer."""


class Nak(object):
    """Conventional negative answer."""


class Anything(object):
    """A carrier for any Any-form value."""

    def __init__(self, thing: P.Any = None):
        self.thing = thing


class T1(object):
    """Predeclared timer."""


class T2(object):
    """Predeclared timer."""


class T3(object):
    """Predeclared timer."""


class T4(object):
    """Predeclared timer."""


class SelectTimer(object):
    """The private timer of ``select(seconds=...)``."""


class StartTimer(object):
    """A request to the timer service (from ``start``)."""

    def __init__(self, timer: P.Type = None, seconds: float = 1.0, repeating: bool = False):
        self.timer = timer
        self.seconds = seconds
        self.repeating = repeating


class CancelTimer(object):
    """A request to the timer service (from ``cancel``)."""

    def __init__(self, timer: P.Type = None):
        self.timer = timer


_bind(Ready, NotReady, Ping, Enquiry, Discover, Inspect, Ack, Nak, Anything, T1, T2, T3, T4,
      SelectTimer, StartTimer, CancelTimer, copy_before_sending=False)


class Faulted(object):
    """The base of all bad news; ``str()`` gives ``condition (explanation)``."""

    def __init__(self, condition: str = 'fault', explanation: str = None,
                 error_code: int = None, exit_status: int = None):
        self.condition = condition
        self.explanation = explanation
        self.error_code = error_code
        self.exit_status = exit_status

    def __str__(self):
        if self.explanation:
            return '%s (%s)' % (self.condition, self.explanation)
        return '%s' % (self.condition,)


class Aborted(Faulted):
    """The conventional answer to Stop."""

    def __init__(self):
        Faulted.__init__(self, 'aborted', 'user or software interrupt')


class TimedOut(Faulted):
    """A timer expired before the expected event."""

    def __init__(self, timer: P.Any = None):
        name = 'ding'
        if timer is not None and registry.is_message(timer):
            name = type(timer).__name__
        Faulted.__init__(self, 'timed out', '"%s" exceeded' % (name,))
        self.timer = timer


class TemporarilyUnavailable(Faulted):
    """A service cannot take requests now."""

    def __init__(self, text: str = None, unavailable: list[str] = None):
        Faulted.__init__(self, text)
        self.text = text
        self.unavailable = unavailable if unavailable is not None else []


class Busy(Faulted):
    """Load shedding: the request was turned away."""

    def __init__(self, condition: str = None, explanation: str = None):
        Faulted.__init__(self, condition, explanation)


class Overloaded(Faulted):
    """A queue was full."""

    def __init__(self, text: str = None):
        Faulted.__init__(self, text)
        self.text = text


class OutOfService(Faulted):
    """A service is not in operation."""

    def __init__(self, text: str = None):
        Faulted.__init__(self, text)
        self.text = text


class ToBeConfirmed(Faulted):
    """An outcome is not known yet."""

    def __init__(self, text: str = None):
        Faulted.__init__(self, text)
        self.text = text


_bind(Faulted, Aborted, TimedOut, TemporarilyUnavailable, Busy, Overloaded, OutOfService,
      ToBeConfirmed)


class Unknown(object):
    """Dispatch catch-all marker; never sent."""


class JoinSpool(object):
    """Add an external worker to an ObjectSpool."""

    def __init__(self, worker_address: P.Address = None, role_name: str = None):
        self.worker_address = worker_address
        self.role_name = role_name


class LeaveSpool(object):
    """Remove a worker from an ObjectSpool."""

    def __init__(self, worker_address: P.Address = None, role_name: str = None):
        self.worker_address = worker_address
        self.role_name = role_name


class CommandResponse(object):
    """The result of a role-maintenance flag."""

    def __init__(self, command: str = None, note: str = None):
        self.command = command
        self.note = note


class StartStop(object):
    """One entry of a role's start/stop history."""

    def __init__(self, start: datetime.datetime = None, stop: datetime.datetime = None,
                 returned: P.Any = None):
        self.start = start
        self.stop = stop
        self.returned = returned


_bind(Unknown, JoinSpool, LeaveSpool, CommandResponse, StartStop)
