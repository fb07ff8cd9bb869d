"""A child process as a ProcessProtocol sees it: its stdout, its end, its signals.

:class:`CapturedProcess` is what every kind of child shares -- a
ProcessObject's child, a Utility's program, a group's role: stdout is
collected (up to a limit) as the child's result, the end is reported once as
``(exit code, signal)`` through :meth:`ended_with`, and signals are sent by
name.  :class:`ProgramProcess` is a Utility's program.  A reactor running
in a thread other than the main one cannot install
a SIGCHLD handler, so once every pipe has closed the child is reaped here,
asking again at growing intervals until its exit status is there.
"""

from twisted.internet import error as E
from twisted.internet import protocol

from ..runtime import engine
from ..runtime import point
from .child_messages import ChildEnded

# The most a child may print as its result.
OUTPUT_LIMIT = 64 << 20

# Reaping without SIGCHLD: look again at these intervals once the pipes have closed.
REAP_INTERVALS = (0.002, 0.01, 0.05, 0.1, 0.25)


class CapturedProcess(protocol.ProcessProtocol):
    """Collect stdout, reap, report the end; ``reactor`` provides ``callLater``."""

    output_limit = OUTPUT_LIMIT
    output_overflow = False
    ended = False
    pid = None
    _reaping = None

    def init_captured(self, reactor, output_limit=OUTPUT_LIMIT):
        self.reactor = reactor
        self.output = bytearray()
        self.output_limit = output_limit

    def ended_with(self, code, signal):
        """The child has gone and its pipes are drained (override)."""

    # Twisted's side.

    def connectionMade(self):
        self.pid = self.transport.pid

    def childDataReceived(self, fd, data):
        if fd != 1:
            return
        if len(self.output) + len(data) > self.output_limit:
            self.output_overflow = True
            return
        self.output += data

    def childConnectionLost(self, fd):
        if not getattr(self.transport, 'pipes', None) and not self.ended:
            self._reap(0)

    def _reap(self, step):
        self._reaping = None
        transport = self.transport
        if self.ended or getattr(transport, 'lostProcess', True):
            return
        try:
            transport.reapProcess()
        except Exception:
            pass
        if self.ended or getattr(transport, 'lostProcess', True):
            return
        delay = REAP_INTERVALS[min(step, len(REAP_INTERVALS) - 1)]
        self._reaping = self.reactor.callLater(delay, self._reap, step + 1)

    def processEnded(self, reason):
        self.ended = True
        if self._reaping is not None and self._reaping.active():
            self._reaping.cancel()
        value = reason.value
        code = 0 if isinstance(value, E.ProcessDone) else getattr(value, 'exitCode', None)
        self.ended_with(code, getattr(value, 'signal', None))

    def signal(self, name):
        """Send the child ``name`` ('INT', 'TERM', 'KILL'); False when it has gone."""
        if self.ended or self.transport is None:
            return False
        try:
            self.transport.signalProcess(name)
            return True
        except (E.ProcessExitedAlready, OSError):
            return False


class ProgramProcess(CapturedProcess):
    """A Utility's program: feed stdin, collect stdout, tell the owner when it has gone."""

    def __init__(self, owner, feed):
        self.owner = owner
        self.feed = feed
        self.init_captured(engine.reactor)

    def connectionMade(self):
        CapturedProcess.connectionMade(self)
        if self.feed is not None:
            self.transport.writeToChild(0, self.feed)
            self.transport.closeChildFD(0)

    def ended_with(self, code, signal):
        point.send(ChildEnded(exit_code=code, signal=signal), self.owner, self.owner)
