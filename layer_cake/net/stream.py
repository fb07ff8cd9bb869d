"""Framed connections: the protocol that carries messages between processes.

One :class:`FramedStream` per TCP (or TLS) connection: the frame handling of
:class:`.framed_end.FramedEnd` over a Twisted transport, plus the opening
``Hello`` exchange, keep-alive and the connection's life cycle.
"""

from twisted.internet import protocol

from ..runtime.messages import Stop
from . import frame as F
from .endpoint import Endpoint
from .framed_end import FramedEnd
from .keep_alive import ACCEPTOR_WINDOW, CONNECTOR_WINDOW, Keeper
from .messages import Close, EndOfTransport, Hello

_HELLO = Hello()


def _direct_send(transport):
    """The socket's send of a plain TCP transport whose buffer we can see, or None."""
    # Not at module level: twisted.internet.tcp imports OpenSSL when it can,
    # and a connection exists only once the reactor has imported it anyway.
    from twisted.internet import tcp
    if not isinstance(transport, tcp.Connection) or getattr(transport, 'TLS', True):
        return None
    for name in ('dataBuffer', '_tempDataLen', 'disconnecting', '_writeDisconnected',
                 'connected', 'socket'):
        if not hasattr(transport, name):
            return None
    return transport.socket.send


class FramedStream(FramedEnd, Endpoint, protocol.Protocol):
    """A connection carrying frames (network.md §2, §3, §4)."""

    proxy_name = 'FramedProxy'
    keeper = None
    _send = None

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
        no_delay = getattr(self.transport, 'setTcpNoDelay', None)
        if no_delay is not None:
            try:
                no_delay(True)
            except Exception:
                pass
        self._send = _direct_send(self.transport)
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
        # Twisted queues every write until the socket is next found writable:
        # an extra reactor turn and two epoll changes per frame.  When nothing
        # is queued, the frame goes to the socket at once; whatever the socket
        # does not take (and any error) is left to Twisted as before.
        t = self.transport
        if self._send is not None and not (t._tempDataLen or t.dataBuffer or t.disconnecting or
                                           t._writeDisconnected or t.TLS) and t.connected:
            try:
                sent = self._send(data)
            except OSError:
                sent = 0
            if sent >= len(data):
                return
            data = data[sent:]
        t.write(data)

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
