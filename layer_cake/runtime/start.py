"""Starting and stopping the runtime, and channels for ordinary code.

``start_up`` chooses the reactor (see :mod:`.engine`), enters the root and the
timer service, starts the add-ons that higher layers register (networking,
the process collector) and returns the root.  ``tear_down`` undoes it in
reverse order.
"""

import atexit
import threading

from . import address as A
from . import engine
from . import log as L
from .point import Channel, Point


class PB(object):
    """Process-wide settings and the last ``lc.create`` result."""

    tear_down_atexit = True
    output_value = None
    exit_status = None


class Quiet(Point):
    """An object that silently discards what it receives (root, timer service)."""

    def _post(self, message, return_address, to_address):
        pass


_lock = threading.RLock()
_root = None
_add_ons = []           # objects with start() and stop(), in start order
_atexit_registered = False


def add_on(service):
    """Have ``service.start()`` run at every start-up and ``service.stop()`` at tear-down."""
    if service not in _add_ons:
        _add_ons.append(service)
        if _root is not None:
            service.start()


def running():
    return _root is not None


def root():
    return _root


def start_up(logs=L.log_to_nowhere, reactor=None, clock=None, run_here=False):
    """Start the runtime (idempotent); returns the root object."""
    global _root, _atexit_registered
    with _lock:
        if _root is not None:
            return _root
        L.use_sink(logs)
        engine.attach(reactor, clock, run_here)
        _root = enter_quiet('root')
        timer_service = enter_quiet('timer')
        from . import point
        point._timer_service[0] = timer_service.object_address
        for service in _add_ons:
            service.start()
        if PB.tear_down_atexit and not _atexit_registered:
            _atexit_registered = True
            atexit.register(_tear_down_at_exit)
        return _root


def enter_quiet(name):
    q = Quiet()
    identity = A.allocate()
    q.object_address = (identity,)
    q._alive = True
    q._name = lambda: name
    A.enter(identity, q)
    return q


def tear_down():
    """Stop the add-ons (newest first), then the reactor the runtime started."""
    global _root
    with _lock:
        if _root is None:
            return
        for service in reversed(_add_ons):
            try:
                service.stop()
            except Exception:
                pass
        A.remove(_root.object_address[-1])
        from . import point
        A.remove(point._timer_service[0][-1])
        _root = None
        engine.detach()
        L.use_sink(None)


def _tear_down_at_exit():
    if PB.tear_down_atexit:
        tear_down()


def open_channel():
    """A channel (a synchronous object whose parent is the root) for ordinary code."""
    r = start_up()
    ch = Channel()
    from .point import enter
    enter(ch, None, r.object_address)
    return ch


def drop_channel(ch):
    """Remove a channel from the table; no Returned is sent for it."""
    ch._alive = False
    A.remove(ch.object_address[-1])


class channel(object):
    """``with lc.channel() as ch:`` — a channel for the duration of the block."""

    def __enter__(self):
        self._channel = open_channel()
        return self._channel

    def __exit__(self, *exc):
        drop_channel(self._channel)
        return False
