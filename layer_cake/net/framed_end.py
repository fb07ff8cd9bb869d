"""The end of a framed link, whatever carries its bytes.

A TCP connection (:mod:`.stream`) and the pipes between a parent and a child
process (:mod:`layer_cake.process`) move messages the same way: frames in
the one format of :mod:`.frame`, addresses rewritten at a proxy.  This
mixin holds that common part.  Inbound, it parses frames, rewrites their
addresses and delivers each message to its local destination -- or, when the
destination is another link's proxy, re-frames the body for that link
without decoding it.  Outbound, its proxy hands it ``(message,
return_address, to_address)`` and it writes a frame.

A class using it provides ``proxy`` (the local object standing for the far
end), ``controller`` (the local termination: what an address reduced to
nothing designates), ``write_frame(data)``, ``_transport_message(message)``
and ``_break(reason, note)``; it may override ``deliver_local`` and
``to_the_end`` (a message sent to the proxy itself).
"""

from ..runtime import address as A
from ..runtime import engine
from ..runtime import point
from ..types.errors import CodecError
from . import frame as F
from .direct_write import cork, uncork
from .endpoint import Proxy
from .messages import EndOfTransport, TRANSPORT_MESSAGES


_NO_BOOK = {}       # read-only: the book of a frame without one


class FramedEnd(object):
    """Frames in, deliveries out; messages in, frames out."""

    proxy = None
    controller = None
    opened = False
    finished = False
    _broken = False
    _parser = None

    # Inbound.

    def frames_received(self, data):
        """Parse ``data`` and deliver every complete frame; a bad frame breaks the link."""
        if self._broken:
            return
        if self._parser is None:
            self._parser = F.FrameParser()
        corked = cork()
        held = engine.hold()
        try:
            for part in self._parser.feed(data):
                self._inbound(*part)
                if self._broken:
                    return
        except F.FrameError as e:
            self._break(EndOfTransport.INBOUND_STREAMING, str(e))
        except Exception as e:      # a defect here must cost one link, not the process
            self._break(EndOfTransport.INBOUND_STREAMING, 'cannot receive (%s)' % (e,))
        finally:
            engine.release(held)
            uncork(corked)

    def _inbound(self, header, body, book):
        pid = self.proxy.object_address[-1]
        termination = self.controller
        to_path, return_address = F.read_header(header, pid, termination)
        if to_path:
            target = A.objects.get(to_path[-1])
            relay = getattr(target._end, 'relay', None) if isinstance(target, Proxy) else None
            if relay is not None and target is not self.proxy:
                # Passing through: the body stays as it is.
                relay(to_path[:-1], return_address, F.read_book(book, pid, termination), body)
                return
        message = F.read_body(body, F.read_book(book, pid, termination) if book else _NO_BOOK)
        if type(message) in TRANSPORT_MESSAGES:
            self._transport_message(message)
            return
        if not self.opened:
            raise F.FrameError('%s before the opening Hello' % (type(message).__name__,))
        self.deliver_local(message, to_path, return_address)

    def deliver_local(self, message, to_path, return_address):
        """Hand an arriving message to its local destination (empty path: the termination)."""
        point.deliver(message, to_path or self.controller, return_address)

    # Outbound.

    def outbound(self, message, return_address, to_address):
        """A message sent to the proxy (or through it); reactor thread."""
        if self.finished or self._broken:
            return
        to_path = to_address[:-1]
        if not to_path and self.to_the_end(message, return_address):
            return
        try:
            data = F.encode_frame(message, to_path, return_address,
                                  self.proxy.object_address[-1])
        except (CodecError, F.FrameError, ValueError, TypeError) as e:
            self._cannot_send(message, e)
            return
        self.write_frame(data)

    def to_the_end(self, message, return_address):
        """A message addressed to the proxy itself; True when it was dealt with here."""
        return False

    def relay(self, to_path, return_address, book, body):
        """A frame passing through this process on its way out of this link."""
        if self.finished or self._broken:
            return
        try:
            data = F.relay_frame(to_path, return_address, book, body,
                                 self.proxy.object_address[-1])
        except F.FrameError as e:
            self.warn('cannot relay (%s)' % (e,))
            return
        self.write_frame(data)

    def write_message(self, message, to_path, return_address):
        """Encode and write one frame; a message that cannot be encoded breaks the link."""
        try:
            data = F.encode_frame(message, to_path, return_address,
                                  self.proxy.object_address[-1])
        except (CodecError, F.FrameError, ValueError, TypeError) as e:
            self._cannot_send(message, e)
            return False
        self.write_frame(data)
        return True

    def _cannot_send(self, message, e):
        self.warn('cannot send %s (%s)' % (type(message).__name__, e))
        self._break(EndOfTransport.OUTBOUND_STREAMING, str(e))
