"""Framed connections: the protocol that carries messages between processes.

One :class:`FramedStream` per TCP (or TLS) connection: the frame handling of
:class:`.framed_end.FramedEnd` over a Twisted transport, plus the opening
``Hello`` exchange, keep-alive and the connection's life cycle.
"""

from twisted.internet import protocol

from ..runtime.messages import Stop
from . import frame as F
from .direct_write import immediate_writer
from .endpoint import Endpoint
from .framed_end import FramedEnd
from .keep_alive import ACCEPTOR_WINDOW, CONNECTOR_WINDOW, Keeper
from .messages import Close, EndOfTransport, Hello

_HELLO = Hello()


class FramedStream(FramedEnd, Endpoint, protocol.Protocol):
    """A connection carrying frames (network.md §2, §3, §4)."""

    proxy_name = 'FramedProxy'
    keeper = None
    _writer = None

    def __init__(self, network, controller, opening, accepted, keep_alive=False,
                 keep_alive_period=None):
        self.init_endpoint(network, controller, opening, accepted)
        self._parser = F.FrameParser()
        self._keep_alive = keep_alive
        self._keep_alive_period = keep_alive_period
        self._broken = False

    # Twisted's side.

    def connectionMade(self):
        # Frames are small request/response exchanges: do not wait to coalesce.
        self._writer = immediate_writer(self.transport)
        self.network.attached(self)
        self.enter_proxy()
        self.write_message(_HELLO, (), self.proxy_address)

    dataReceived = FramedEnd.frames_received

    def connectionLost(self, reason=None):
        if self.keeper is not None:
            self.keeper.stop()
        self.report_closed(reason)

    # Inbound.

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
        self.keeper = Keeper(lambda m: self.write_message(m, (), self.proxy_address),
                             self._went_stale, window, self.trace, self._keep_alive_period)
        return self.keeper

    def _went_stale(self):
        self._break(EndOfTransport.WENT_STALE, 'unresponsive')

    # Outbound.

    def write_frame(self, data):
        if self._writer is None:
            self.transport.write(data)
        else:
            self._writer.write(data)

    def to_the_end(self, message, return_address):
        # Close or Stop sent to the proxy itself ends the connection.
        if type(message) in (Close, Stop):
            self.close_on_request(message)
            return True
        return False

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
