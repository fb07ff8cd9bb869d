"""The parent's end of a child process: a ProcessProtocol that speaks frames.

:class:`ChildProtocol` collects the child's stdout (its result), carries
frames both ways over the control pipes of :mod:`.pipes` with the framing of
:class:`layer_cake.net.framed_end.FramedEnd`, and tells the ProcessObject
that owns it what happened with three internal messages: ``ChildReady`` (the
child's first frame arrived: it can take messages), ``ChildBroken`` (the
child wrote something that is not a frame) and ``ChildEnded`` (the process
has exited and every pipe is drained).

A Proxy in the object table stands for the child: an address ending in the
proxy's id reaches the object with the rest of that address in the child.
"""

from twisted.internet import error as E
from twisted.internet import protocol

from ..types import registry
from ..runtime import address as A
from ..runtime import engine
from ..runtime import log as L
from ..runtime import point
from ..net.endpoint import Proxy
from ..net.framed_end import FramedEnd
from ..net.messages import EndOfTransport, Hello
from .pipes import FROM_CHILD, TO_CHILD

# The most a child may print as its result.
OUTPUT_LIMIT = 64 << 20

# Reaping without SIGCHLD (a reactor in a thread other than the main one
# cannot have the handler): look again at these intervals once the pipes
# have closed.
REAP_INTERVALS = (0.002, 0.01, 0.05, 0.1, 0.25)


class ChildReady(object):
    """The child has opened its end of the control pipes."""


class ChildBroken(object):
    """The child wrote bytes that are not frames; the link is unusable."""

    def __init__(self, note: str = None):
        self.note = note


class ChildEnded(object):
    """The child process is gone: its exit code, or the signal that ended it."""

    def __init__(self, exit_code: int = None, signal: int = None):
        self.exit_code = exit_code
        self.signal = signal


for _m in (ChildReady, ChildBroken, ChildEnded):
    registry.bind_message(_m, copy_before_sending=False, message_trail=False,
                          execution_trace=False)


class ChildProtocol(FramedEnd, protocol.ProcessProtocol):
    """One running child, as seen from the parent (reactor thread only)."""

    proxy_name = 'ProcessProxy'

    def __init__(self, controller, output_limit=OUTPUT_LIMIT):
        self.controller = controller
        self.output = bytearray()
        self.output_limit = output_limit
        self.output_overflow = False
        self.ended = False
        self.pid = None
        self._reaping = None

    @property
    def proxy_address(self):
        return self.proxy.object_address if self.proxy is not None else A.NO_SUCH_ADDRESS

    # Twisted's side.

    def connectionMade(self):
        self.pid = self.transport.pid
        self.proxy = Proxy(self)
        point.enter(self.proxy, None, self.controller)

    def childDataReceived(self, fd, data):
        if fd == 1:
            if len(self.output) + len(data) > self.output_limit:
                self.output_overflow = True
                return
            self.output += data
        elif fd == FROM_CHILD:
            self.frames_received(data)

    def childConnectionLost(self, fd):
        transport = self.transport
        if not getattr(transport, 'pipes', None) and not self.ended:
            # Every pipe is closed: the child is exiting.  Make sure it is
            # reaped even where no SIGCHLD handler is installed.
            self._reap(0)

    def _reap(self, step):
        self._reaping = None
        if self.ended or getattr(self.transport, 'lostProcess', True):
            return
        try:
            self.transport.reapProcess()
        except Exception:
            pass
        if self.ended or getattr(self.transport, 'lostProcess', True):
            return
        delay = REAP_INTERVALS[min(step, len(REAP_INTERVALS) - 1)]
        self._reaping = engine.reactor.callLater(delay, self._reap, step + 1)

    def processEnded(self, reason):
        self.ended = True
        if self._reaping is not None and self._reaping.active():
            self._reaping.cancel()
        self.finished = True
        self._drop_proxy()
        value = reason.value
        code = getattr(value, 'exitCode', None)
        signal = getattr(value, 'signal', None)
        if isinstance(value, E.ProcessDone):
            code = 0
        self._tell(ChildEnded(exit_code=code, signal=signal))

    # The framed link.

    def write_frame(self, data):
        if not self.ended:
            self.transport.writeToChild(TO_CHILD, data)

    def _transport_message(self, message):
        if isinstance(message, Hello) and not self.opened:
            self.opened = True
            self._tell(ChildReady())

    def _break(self, reason, note):
        if reason is EndOfTransport.OUTBOUND_STREAMING:
            return      # one message could not be encoded; it was dropped with a warning
        if self._broken:
            return
        self._broken = True
        self.warn('bad frame from the child (%s)' % (note,))
        self._tell(ChildBroken(note=note))

    # Signals.

    def signal(self, name):
        """Send the child ``name`` ('TERM', 'KILL', 'INT'); False when it has gone."""
        if self.ended or self.transport is None:
            return False
        try:
            self.transport.signalProcess(name)
            return True
        except (E.ProcessExitedAlready, OSError):
            return False

    # Helpers.

    def _tell(self, message):
        point.send(message, self.controller, self.proxy_address)

    def _drop_proxy(self):
        proxy = self.proxy
        if proxy is not None and proxy._alive:
            proxy._alive = False
            A.remove(proxy.object_address[-1])

    def warn(self, text):
        if L.USER_LOG.WARNING >= L.threshold:
            who = A.objects.get(self.controller[-1])
            if who is not None:
                who.log(L.USER_TAG.WARNING, text)
