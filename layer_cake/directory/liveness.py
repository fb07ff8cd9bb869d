"""Noticing a peer that vanished without closing its sockets (issue 7 item 4;
network.md §2.4, §7.3 item 9, §8.4, §8.6).

A host whose link goes down, or that loses power, sends no FIN and no RST:
its connections look open for as long as nothing is written to them, and
while something is, TCP retransmits for many minutes.  The directory
therefore beats on every connection that leaves the host, with one
setting, the *heartbeat period* P (:data:`HEARTBEAT`, 2 s; the environment
variable :data:`HEARTBEAT_VARIABLE`, ``LC_HEARTBEAT``, replaces it for a
process and for the processes it starts):

* **Sessions** (subscriber to publisher): framed keep-alive (:mod:`..net.keep_alive`)
  with period P each way.  The subscriber sends a beat P (±5 %) after the
  publisher's and wants the next one within P (±5 %) plus 3 s, so a
  publisher that has gone silent is Dropped, and the subscriber falls back,
  at most ``2.1 P + 3`` seconds (7.2 s) after the last beat it heard.

* **Directory links** (AMP, child tier to parent tier): each end of a link
  whose peer is not on this host (:func:`leaves_host`) sends a ``Ping``
  every P seconds after the previous answer and closes the link when an
  answer takes longer than :data:`LINK_WINDOW` (3 s).  Both ends do it for
  themselves, so neither depends on the other's setting.  The child then
  follows its reconnect schedule; the parent loses the child as an origin
  and withdraws its routes as ORIGIN_LOST (tier churn: sessions are ended
  only by their own heartbeat).  Bound: ``P + 3`` seconds (5 s) after the
  last answer.

Links and sessions on loopback do not need it: a local peer that dies
closes its sockets.  Application-level pings were chosen over TCP's own
keep-alive options: they also catch a peer whose process hangs (SIGSTOP),
they work the same on every platform and over TLS, and ``task.Clock``
drives them in tests.
"""

import os

from ..net.ipp import is_loopback
from .tier_protocol import Ping, RuntimeLog

__all__ = ['HEARTBEAT', 'HEARTBEAT_VARIABLE', 'LINK_WINDOW', 'SHORTEST', 'LONGEST',
           'heartbeat', 'leaves_host', 'LinkHeartbeat', 'watch_link', 'unwatch_link']

# Seconds between beats, on sessions and on directory links that leave the host.
HEARTBEAT = 2.0
HEARTBEAT_VARIABLE = 'LC_HEARTBEAT'

# The range a setting of the variable may take.
SHORTEST = 0.1
LONGEST = 3600.0

# Seconds a directory link's Ping has for its answer.
LINK_WINDOW = 3.0

_warned = set()


def heartbeat(environ=None):
    """The heartbeat period of this process: ``LC_HEARTBEAT`` when it holds a
    number of seconds in [SHORTEST, LONGEST], else :data:`HEARTBEAT`."""
    environ = os.environ if environ is None else environ
    text = environ.get(HEARTBEAT_VARIABLE)
    if not text:
        return HEARTBEAT
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is None or not SHORTEST <= seconds <= LONGEST:
        if text not in _warned:
            _warned.add(text)
            RuntimeLog('Liveness').warning(
                '%s=%s is not a number of seconds from %s to %s; using %s' % (
                    HEARTBEAT_VARIABLE, text, SHORTEST, LONGEST, HEARTBEAT))
        return HEARTBEAT
    return seconds


def leaves_host(host):
    """Does a connection to ``host`` leave this host?  (Unknown: no.)"""
    return bool(host) and not is_loopback(host)     # a name other than localhost: yes


class LinkHeartbeat(object):
    """Pings the far end of one AMP directory link (a TierProtocol), and closes
    the link when an answer is late.  ``clock`` is an IReactorTime."""

    def __init__(self, link, clock, period=None, window=LINK_WINDOW):
        self.link = link
        self.clock = clock
        self.period = heartbeat() if period is None else period
        self.window = window
        self.beats = 0              # pings answered so far
        self._next = None           # pending call: the next ping
        self._deadline = None       # pending call: the answer is late
        self.running = False

    def start(self):
        self.running = True
        self._next = self.clock.callLater(self.period, self._ping)

    def stop(self):
        self.running = False
        for name in ('_next', '_deadline'):
            call = getattr(self, name)
            setattr(self, name, None)
            if call is not None and call.active():
                call.cancel()

    def _ping(self):
        self._next = None
        if not self.running:
            return
        self._deadline = self.clock.callLater(self.window, self._late)
        self.link.ask(Ping).addCallback(self._answered)

    def _answered(self, answer):
        if not self.running or self._deadline is None:
            return
        # Any answer (even a refusal) shows the far end is there; no answer
        # at all means the link went, and stop() follows.
        if self._deadline.active():
            self._deadline.cancel()
        self._deadline = None
        self.beats += 1
        self._next = self.clock.callLater(self.period, self._ping)

    def _late(self):
        self._deadline = None
        self.stop()
        # Nothing buffered for a vanished peer should hold the close up.
        self.link.close_link('no answer to a ping within %g s' % (self.window,), abort=True)


def watch_link(link, host, clock):
    """Start beating on ``link`` when ``host`` (its peer) is not on this host."""
    if not leaves_host(host):
        return None
    link.heartbeat = LinkHeartbeat(link, clock)
    link.heartbeat.start()
    return link.heartbeat


def unwatch_link(link):
    """Stop the heartbeat of ``link``, if it has one."""
    beating = getattr(link, 'heartbeat', None)
    if beating is not None:
        beating.stop()
