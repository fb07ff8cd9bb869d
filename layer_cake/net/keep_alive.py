"""Keep-alive on a framed connection (network.md §2.4).

The connecting end starts it with ``KeepAlive(s)``; from then on both ends
play the same game: after hearing ``StillThere(x)`` wait ``x``, send a
``StillThere`` of your own and expect an answer within its period plus a
response window.  A missed answer ends the connection as WENT_STALE.
Periods are 60 s with a ±5 % spread from :data:`rng` (tests pin it); time
comes from the runtime's clock, so ``task.Clock`` drives it in tests.
"""

import os
import random

from ..runtime import engine
from .messages import KeepAlive, StillThere

PERIOD = 60.0
SPREAD = 0.05
CONNECTOR_WINDOW = 3.0
ACCEPTOR_WINDOW = 5.0
LOGGED = 3          # beats logged per connection; the rest are silent

rng = random.Random()
os.register_at_fork(after_in_child=rng.seed)     # a forked process spreads its own way


def period(seconds=None):
    """One keep-alive period: 60 s (or ``seconds``) ±5 %."""
    return (seconds or PERIOD) * (1.0 + rng.uniform(-SPREAD, SPREAD))


class Keeper(object):
    """The keep-alive state of one connection end.

    ``send(message)`` writes a transport message to the peer; ``stale()``
    ends the connection.  ``window`` is this end's response window.
    """

    def __init__(self, send, stale, window, log=None, seconds=None):
        self._send = send
        self._stale = stale
        self._window = window
        self._seconds = seconds     # this end's period (None: the standard one)
        self._log = log
        self._beat = None           # pending call: send our next StillThere
        self._deadline = None       # pending call: the peer is stale
        self._logged = 0
        self.running = False

    def start(self):
        """Connector side: ask the peer to start, and expect its first beat."""
        s = period(self._seconds)
        self.running = True
        self._out(KeepAlive(seconds=s))
        self._expect(s)

    def received(self, message):
        """A transport message from the peer."""
        if isinstance(message, KeepAlive):
            if self.running:
                return
            self.running = True
            # Stay quiet for the requested period, then beat; from then on use
            # the connector's period (a short one asks for quick detection).
            if self._seconds is None and isinstance(message.seconds, (int, float)) and \
                    0 < message.seconds < PERIOD:
                self._seconds = float(message.seconds)
            self._schedule_beat(message.seconds)
        elif isinstance(message, StillThere):
            self.running = True
            self._cancel('_deadline')
            self._schedule_beat(message.seconds)

    def stop(self):
        self.running = False
        self._cancel('_beat')
        self._cancel('_deadline')

    def _schedule_beat(self, seconds):
        self._cancel('_beat')
        try:
            seconds = max(float(seconds), 0.0)
        except (TypeError, ValueError):
            seconds = PERIOD
        self._beat = engine.clock.callLater(seconds, self._beat_now)

    def _beat_now(self):
        self._beat = None
        s = period(self._seconds)
        self._out(StillThere(seconds=s))
        self._expect(s)

    def _expect(self, s):
        self._cancel('_deadline')
        self._deadline = engine.clock.callLater(s + self._window, self._expired)

    def _expired(self):
        self._deadline = None
        self.stop()
        self._stale()

    def _out(self, message):
        if self._log is not None and self._logged < LOGGED:
            self._logged += 1
            self._log('keep-alive %s (%.1f s)' % (type(message).__name__, message.seconds))
        self._send(message)

    def _cancel(self, name):
        pending = getattr(self, name)
        setattr(self, name, None)
        if pending is not None and pending.active():
            pending.cancel()
