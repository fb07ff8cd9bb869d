"""The parent's end of a child process: a ProcessProtocol that speaks frames.

:class:`ChildProtocol` collects the child's stdout (its result), carries
frames both ways over the control pipes of :mod:`.pipes` with the framing of
:class:`layer_cake.net.framed_end.FramedEnd`, and tells the ProcessObject
that owns it what happened with the three messages of :mod:`.child_messages`:
``ChildReady`` (the child's first frame arrived: it can take messages),
``ChildBroken`` (the child wrote something that is not a frame) and
``ChildEnded`` (the process has exited and every pipe is drained).

A Proxy in the object table stands for the child: an address ending in the
proxy's id reaches the object with the rest of that address in the child.
"""

from ..runtime import address as A
from ..runtime import engine
from ..runtime import log as L
from ..runtime import point
from ..net.endpoint import Proxy
from ..net.framed_end import FramedEnd
from ..net.messages import EndOfTransport, Hello
from .captured import OUTPUT_LIMIT, CapturedProcess
from .child_messages import ChildBroken, ChildEnded, ChildReady
from .pipes import FROM_CHILD, TO_CHILD


class ChildProtocol(FramedEnd, CapturedProcess):
    """One running child, as seen from the parent (reactor thread only)."""

    proxy_name = 'ProcessProxy'

    def __init__(self, controller, output_limit=OUTPUT_LIMIT):
        self.controller = controller
        self.init_captured(engine.reactor, output_limit)

    @property
    def proxy_address(self):
        return self.proxy.object_address if self.proxy is not None else A.NO_SUCH_ADDRESS

    # Twisted's side.

    def connectionMade(self):
        CapturedProcess.connectionMade(self)
        self.proxy = Proxy(self)
        point.enter(self.proxy, None, self.controller)

    def childDataReceived(self, fd, data):
        if fd == FROM_CHILD:
            self.frames_received(data)
        else:
            CapturedProcess.childDataReceived(self, fd, data)

    def ended_with(self, code, signal):
        self.finished = True
        self._drop_proxy()
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
