"""Writing to a TCP socket at once when nothing is queued ahead.

Twisted queues every ``transport.write`` until the reactor next finds the
socket writable: an extra reactor turn and two epoll changes per write.  For
small request/response exchanges (frames, AMP boxes) that turn is most of a
hop's latency.  :class:`DirectWriter` hands the data to the socket at once
when the transport has nothing queued, and leaves whatever the socket does
not take (and every error, and every TLS transport) to Twisted as before, so
ordering and flow control are unchanged.

Writing at once costs a system call per message, and a burst of messages
read together (a peer pushing hundreds of listings, say) would be answered
with as many calls.  So while a read is being handled (:func:`cork` ...
:func:`uncork`, around a ``dataReceived``), each writer sends its first
write at once and leaves the rest to Twisted, which sends them together on
its next turn: one answer goes out as fast as before, a burst of answers in
two calls per connection.  Nothing is held outside Twisted's own buffer, so
a connection closed meanwhile still sends everything written before.
"""

__all__ = ['DirectWriter', 'cork', 'uncork', 'immediate_writer']

_corked = None      # writers holding data, while a read is handled (reactor thread)


def cork():
    """Begin handling a read: until :func:`uncork`, one direct write per writer."""
    global _corked
    if _corked is not None:
        return False                # within another read: the outer one sends
    _corked = []
    return True


def uncork(corked):
    """End handling a read begun with :func:`cork`."""
    global _corked
    if not corked:
        return
    for w in _corked:
        w._wrote = False
    _corked = None


def immediate_writer(transport):
    """The DirectWriter of ``transport``, with Nagle switched off where it can be:
    for request/response exchanges whose far end waits on each small write."""
    no_delay = getattr(transport, 'setTcpNoDelay', None)
    if no_delay is not None:
        try:
            no_delay(True)
        except Exception:
            pass                # not a TCP socket after all (tests, pipes)
    return DirectWriter(transport)


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

    __slots__ = ('transport', '_send', '_wrote')

    def __init__(self, transport):
        self.transport = transport
        self._send = _socket_send(transport)
        self._wrote = False         # wrote at once during this read

    def write(self, data):
        if _corked is not None and self._send is not None:
            if self._wrote:
                self.transport.write(data)      # with the rest, on Twisted's next turn
                return
            self._wrote = True
            _corked.append(self)
        self._write(data)

    def _write(self, data):
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
