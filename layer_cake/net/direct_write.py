"""Writing to a TCP socket at once when nothing is queued ahead.

Twisted queues every ``transport.write`` until the reactor next finds the
socket writable: an extra reactor turn and two epoll changes per write.  For
small request/response exchanges (frames, AMP boxes) that turn is most of a
hop's latency.  :class:`DirectWriter` hands the data to the socket at once
when the transport has nothing queued, and leaves whatever the socket does
not take (and every error, and every TLS transport) to Twisted as before, so
ordering and flow control are unchanged.
"""

__all__ = ['DirectWriter']


def _socket_send(transport):
    """The socket's send of a plain TCP transport whose buffer we can see, or None."""
    # Not at module level: twisted.internet.tcp imports OpenSSL when it can,
    # and a transport exists only once the reactor has imported it anyway.
    from twisted.internet import tcp
    if not isinstance(transport, tcp.Connection) or getattr(transport, 'TLS', True):
        return None
    for name in ('dataBuffer', '_tempDataLen', 'disconnecting', '_writeDisconnected',
                 'connected', 'socket'):
        if not hasattr(transport, name):
            return None
    return transport.socket.send


class DirectWriter(object):
    """``write(data)`` for one transport, straight to its socket when possible."""

    __slots__ = ('transport', '_send')

    def __init__(self, transport):
        self.transport = transport
        self._send = _socket_send(transport)

    def write(self, data):
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
