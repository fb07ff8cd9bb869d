"""The child's end of the pipes to its parent (see :mod:`.pipes`).

:class:`ParentLink` is the framing of
:class:`layer_cake.net.framed_end.FramedEnd` over the two control pipes,
opened once the main object exists: a message the parent sends to the
child's termination reaches the main object (``Stop`` goes to the entry
object, which relays it exactly as it does a signal), and a reply to an
address that came in over the pipes goes back over them.  Its first frame,
``Hello``, tells the parent the child can take messages.

:func:`watch_parent` is the lifeline: a thread that waits for the parent's
end of the pipe to close, then stops the main object and, if the process is
still there ``grace`` seconds later, ends it.  It works even when the
reactor is busy, so a child never outlives its parent for long.
"""

import os
import select
import threading
import time

from twisted.internet import protocol
from twisted.internet import stdio

from ..runtime import address as A
from ..runtime import engine
from ..runtime import log as L
from ..runtime import point
from ..runtime.messages import Stop
from ..net.endpoint import Proxy
from ..net.framed_end import FramedEnd
from ..net.messages import EndOfTransport, Hello

# Seconds between the parent going and the child ending regardless.
ORPHAN_GRACE = 2.0

_LOST = select.POLLHUP | select.POLLERR | select.POLLNVAL


class ParentLink(FramedEnd, protocol.Protocol):
    """Frames between this (child) process and its parent (reactor thread)."""

    proxy_name = 'ParentProxy'
    opened = True

    def __init__(self, main, entry):
        self.controller = main
        self.entry = entry

    def connectionMade(self):
        self.proxy = Proxy(self)
        point.enter(self.proxy, None, self.entry)
        self.write_message(Hello(), (), self.proxy.object_address)

    def dataReceived(self, data):
        self.frames_received(data)

    def connectionLost(self, reason=None):
        self.finished = True
        proxy = self.proxy
        if proxy is not None and proxy._alive:
            proxy._alive = False
            A.remove(proxy.object_address[-1])

    def deliver_local(self, message, to_path, return_address):
        if not to_path and type(message) is Stop:
            point.deliver(message, self.entry, return_address)
            return
        point.deliver(message, to_path or self.controller, return_address)

    def write_frame(self, data):
        self.transport.write(data)

    def _transport_message(self, message):
        pass

    def _break(self, reason, note):
        if reason is EndOfTransport.OUTBOUND_STREAMING:
            return      # that one message was dropped with a warning
        if self._broken:
            return
        self._broken = True
        self.warn('bad frame from the parent (%s)' % (note,))
        self.transport.loseConnection()

    def warn(self, text):
        if L.USER_LOG.WARNING >= L.threshold and self.proxy is not None:
            self.proxy.log(L.USER_TAG.WARNING, text)


def open_parent_link(pipes, main, entry):
    """Start the link over ``pipes`` (read fd, write fd); reactor thread."""
    link = ParentLink(main, entry)
    read_fd, write_fd = pipes
    stdio.StandardIO(link, stdin=read_fd, stdout=write_fd, reactor=engine.reactor)
    return link


def watch_parent(read_fd, entry, grace=ORPHAN_GRACE, exit_status=71):
    """Stop ``entry`` when the parent goes; end the process ``grace`` seconds later."""
    watched = os.dup(read_fd)

    def run():
        poller = select.poll()
        poller.register(watched, 0)     # hang-ups are reported whatever the mask
        while True:
            try:
                events = poller.poll()
            except InterruptedError:
                continue
            if any(e & _LOST for _, e in events):
                break
        point.send(Stop(), entry, A.NO_SUCH_ADDRESS)
        time.sleep(grace)
        os._exit(exit_status)

    threading.Thread(target=run, name='parent-watchdog', daemon=True).start()
