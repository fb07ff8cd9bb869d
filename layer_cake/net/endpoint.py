"""What every kind of connection end shares, whatever it speaks.

An end has a controller (the object that called ``listen`` or ``connect``),
a proxy (the local object standing for the remote end), and a life cycle the
controller sees as exactly one ``Accepted``/``Connected`` followed by exactly
one ``Closed`` -- or, for a connect that never opened, one ``NotConnected``.
Framed streams, HTTP server connections and HTTP client sessions all mix
this in.
"""

import datetime
import errno
import os
import threading

from ..runtime import address as A
from ..runtime import engine
from ..runtime import log as L
from ..runtime import point
from ..runtime.point import Point
from .ipp import HostPort
from .messages import Accepted, Close, Closed, Connected, EndOfTransport, NotConnected


class Proxy(Point):
    """The local object standing for a connection's far end.

    A message sent to the proxy, or to an address routed through it, is
    handed to its end on the reactor thread (the engine queues it like any
    machine's message, so sends keep their order).
    """

    def __init__(self, end):
        Point.__init__(self)
        self._end = end

    def _name(self):
        return self._end.proxy_name

    def _post(self, message, return_address, to_address):
        # On the reactor thread the frame is written at once, saving a trip
        # through the ready queue; other threads go through the engine.
        if threading.get_ident() == engine.reactor_ident:
            if self._alive:
                self._end.outbound(message, return_address, to_address)
        else:
            engine.post(self, message, return_address, to_address)

    def _handle(self, message, return_address, to_address):
        self._end.outbound(message, return_address, to_address)


def host_port(address):
    """The HostPort of a Twisted IPv4Address (or anything with host/port)."""
    return HostPort(getattr(address, 'host', None), getattr(address, 'port', None))


def error_code_of(failure_or_exception):
    """The OS errno behind a Twisted failure or exception, or None."""
    e = getattr(failure_or_exception, 'value', failure_or_exception)
    for candidate in (getattr(e, 'osError', None), getattr(e, 'socketError', None), e):
        code = getattr(candidate, 'errno', None)
        if isinstance(code, int):
            return code
        if isinstance(candidate, int):
            return candidate
    from twisted.internet import error as E
    if isinstance(e, E.ConnectionRefusedError):
        return errno.ECONNREFUSED
    if isinstance(e, E.TimeoutError):
        return errno.ETIMEDOUT
    return None


def error_text_of(failure_or_exception):
    e = getattr(failure_or_exception, 'value', failure_or_exception)
    code = error_code_of(e)
    if code is not None:
        return os.strerror(code)
    return str(e) or type(e).__name__


class Endpoint(object):
    """The controller-facing life cycle of one connection end.

    ``opening`` is the ``Listening`` of the listener that accepted this end,
    or the ``ConnectStream`` request of the connect that made it.
    """

    proxy_name = 'Proxy'
    proxy = None
    opened = False
    finished = False
    opened_ipp = None
    opened_at = None

    def init_endpoint(self, network, controller, opening, accepted):
        self.network = network
        self.controller = controller
        self.opening = opening
        self.accepted = accepted
        self._ending = None

    @property
    def proxy_address(self):
        return self.proxy.object_address if self.proxy is not None else A.NO_SUCH_ADDRESS

    def enter_proxy(self, proxy=None):
        """Give this end its proxy object (entered in the object table)."""
        self.proxy = proxy if proxy is not None else Proxy(self)
        point.enter(self.proxy, None, self.controller)
        return self.proxy.object_address

    def report_open(self, transport):
        """Tell the controller the connection is open (once)."""
        if self.opened or self.finished:
            return
        self.opened = True
        self.opened_at = datetime.datetime.now(datetime.timezone.utc)
        if self.proxy is None:
            self.enter_proxy()
        if self.accepted:
            self.opened_ipp = host_port(transport.getPeer())
            m = Accepted(listening=self.opening, opened_ipp=self.opened_ipp,
                         proxy_address=self.proxy_address, opened_at=self.opened_at)
        else:
            self.opened_ipp = host_port(transport.getHost())
            m = Connected(request=self.opening, opened_ipp=self.opened_ipp,
                          proxy_address=self.proxy_address, opened_at=self.opened_at)
        self.network.opened(self)
        self.notify(m)

    def set_ending(self, reason, note=None, error_code=None, message=None):
        """Remember why this end is closing (the first reason wins)."""
        if self._ending is None:
            self._ending = (reason, note, error_code, message)

    def close_on_request(self, message):
        """End the connection for a ``Close`` (or ``Stop``) sent to it; queued output goes first."""
        if isinstance(message, Close):
            self.set_ending(EndOfTransport.ON_REQUEST, message.note, message.error_code,
                            message.message)
        else:
            self.set_ending(EndOfTransport.ON_REQUEST)
        self.transport.loseConnection()

    def report_closed(self, failure=None):
        """The transport has gone: one Closed, or NotConnected if it never opened."""
        if self.finished:
            return
        self.finished = True
        self.network.closed(self)
        if not self.opened:
            if self._ending is not None:
                text = self._ending[1] or self._ending[0].name.lower()
            elif failure is not None:
                text = error_text_of(failure)
            else:
                text = 'connection closed while opening'
            self.failed_to_open(text, error_code_of(failure) if failure is not None else None)
            self._drop_proxy()
            return
        if self._ending is not None:
            reason, note, code, message = self._ending
        else:
            reason, message = EndOfTransport.ABANDONED_BY_REMOTE, None
            code = error_code_of(failure) if failure is not None else None
            note = os.strerror(code) if code is not None else None
        closed = Closed(message=message, reason=reason, note=note, error_code=code,
                        opened_ipp=self.opened_ipp, opened_at=self.opened_at)
        self.notify(closed)
        self._drop_proxy()

    def failed_to_open(self, text, code=None):
        if self.accepted:
            self.warn('connection dropped before it opened (%s)' % (text,))
            return
        ipp = self.opening.requested_ipp
        self.notify(NotConnected(request=self.opening, error_code=code or 0,
                                 error_text='cannot connect to "%s" (%s)' % (ipp, text)))

    def _drop_proxy(self):
        proxy = self.proxy
        if proxy is not None and proxy._alive:
            proxy._alive = False
            A.remove(proxy.object_address[-1])

    def notify_source(self):
        """The return address of notifications (the proxy; a session for HTTP clients)."""
        return self.proxy_address if self.proxy is not None else self.network.address

    def notify(self, message):
        """Send a notification to the controller."""
        if self.network.quiet:
            return
        point.send(message, self.controller, self.notify_source())

    def warn(self, text):
        if L.USER_LOG.WARNING >= L.threshold:
            who = self.proxy if self.proxy is not None else self.network.point
            if who is not None:
                who.log(L.USER_TAG.WARNING, text)

    def trace(self, text):
        if L.USER_LOG.TRACE >= L.threshold:
            who = self.proxy if self.proxy is not None else self.network.point
            if who is not None:
                who.log(L.USER_TAG.TRACE, text)
