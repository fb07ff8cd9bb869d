"""Framed connections: the protocol that carries messages between processes.

One :class:`FramedStream` per TCP (or TLS) connection.  Outbound, its proxy
hands it ``(message, return_address, to_address)``; it encodes a frame and
writes it.  Inbound, it parses frames, rewrites their addresses (see
:mod:`.frame`) and delivers each message to its local destination -- or,
when the destination is another connection's proxy, re-frames the body for
that connection without decoding it.
"""

from twisted.internet import protocol

from ..runtime import address as A
from ..runtime import engine
from ..runtime import point
from ..runtime.messages import Stop
from ..types.errors import CodecError
from . import frame as F
from .endpoint import Endpoint, Proxy
from .keep_alive import ACCEPTOR_WINDOW, CONNECTOR_WINDOW, Keeper
from .messages import Close, EndOfTransport, Hello, TRANSPORT_MESSAGES

_HELLO = Hello()


class FramedStream(Endpoint, protocol.Protocol):
    """A connection carrying frames (network.md §2, §3, §4)."""

    proxy_name = 'FramedProxy'
    keeper = None

    def __init__(self, network, controller, opening, accepted, keep_alive=False):
        self.init_endpoint(network, controller, opening, accepted)
        self._parser = F.FrameParser()
        self._keep_alive = keep_alive
        self._broken = False

    # Twisted's side.

    def connectionMade(self):
        # Frames are small request/response exchanges: do not wait to coalesce.
        no_delay = getattr(self.transport, 'setTcpNoDelay', None)
        if no_delay is not None:
            try:
                no_delay(True)
            except Exception:
                pass
        self.network.attached(self)
        self.enter_proxy()
        self._write_message(_HELLO, (), self.proxy_address)

    def dataReceived(self, data):
        if self._broken:
            return
        held = engine.hold()
        try:
            for part in self._parser.feed(data):
                self._inbound(*part)
                if self._broken:
                    return
        except F.FrameError as e:
            self._break(EndOfTransport.INBOUND_STREAMING, str(e))
        except Exception as e:      # a defect here must cost one connection, not the process
            self._break(EndOfTransport.INBOUND_STREAMING, 'cannot receive (%s)' % (e,))
        finally:
            engine.release(held)

    def connectionLost(self, reason=None):
        if self.keeper is not None:
            self.keeper.stop()
        self.report_closed(reason)

    # Inbound.

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
        message = F.read_body(body, F.read_book(book, pid, termination))
        if type(message) in TRANSPORT_MESSAGES:
            self._transport_message(message)
            return
        if not self.opened:
            raise F.FrameError('%s before the opening Hello' % (type(message).__name__,))
        point.deliver(message, to_path or termination, return_address)

    def _transport_message(self, message):
        if isinstance(message, Hello):
            if not self.opened:
                self.report_open(self.transport)
                if self._keep_alive and not self.accepted:
                    self._start_keeper().start()
            return
        if self.keeper is None:
            self._start_keeper()
        self.keeper.received(message)

    def _start_keeper(self):
        window = ACCEPTOR_WINDOW if self.accepted else CONNECTOR_WINDOW
        self.keeper = Keeper(lambda m: self._write_message(m, (), self.proxy_address),
                             self._went_stale, window, self.trace)
        return self.keeper

    def _went_stale(self):
        self._break(EndOfTransport.WENT_STALE, 'unresponsive')

    # Outbound.

    def outbound(self, message, return_address, to_address):
        """A message sent to the proxy (or through it); reactor thread."""
        if self.finished or self._broken:
            return
        to_path = to_address[:-1]
        if not to_path and type(message) in (Close, Stop):
            self.close_on_request(message)
            return
        self._write_message(message, to_path, return_address)

    def relay(self, to_path, return_address, book, body):
        """A frame passing through this process on its way out of this connection."""
        if self.finished or self._broken:
            return
        try:
            data = F.relay_frame(to_path, return_address, book, body,
                                 self.proxy.object_address[-1])
        except F.FrameError as e:
            self.warn('cannot relay (%s)' % (e,))
            return
        self.transport.write(data)

    def _write_message(self, message, to_path, return_address):
        try:
            data = F.encode_frame(message, to_path, return_address,
                                  self.proxy.object_address[-1])
        except (CodecError, F.FrameError, ValueError, TypeError) as e:
            self.warn('cannot send %s (%s)' % (type(message).__name__, e))
            self._break(EndOfTransport.OUTBOUND_STREAMING, str(e))
            return
        self.transport.write(data)

    def _break(self, reason, note):
        """End the connection because of a fault on this side."""
        if self._broken:
            return
        self._broken = True
        if reason is EndOfTransport.INBOUND_STREAMING:
            self.warn('closing connection (%s)' % (note,))
        self.set_ending(reason, note)
        if self.keeper is not None:
            self.keeper.stop()
        self.transport.loseConnection()
