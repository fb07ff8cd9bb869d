"""The HTTP side of ``lc.connect(..., http_client='/')`` (network.md §6).

``Connected`` comes from a client *session*: any number of local objects
send requests to it, it keeps them in a FIFO, puts one at a time on the
wire (HTTP/1.1 has no multiplexing) and gives each response to the sender
of the request it answers.  Every sender gets exactly one answer: the
response, a local 400 when the queue is full, a local 500 when the
response cannot be read, or a ``NotConnected`` fault when the connection
is lost before its response arrives.  Request encoding and response
parsing live in :mod:`.http_client_codec`.
"""

import collections

from twisted.internet import protocol

from ..runtime import point
from ..runtime.messages import Faulted, Stop
from ..runtime.point import Point
from ..types import registry
from . import http_client_codec as H
from .endpoint import Endpoint
from .messages import Close, EndOfTransport, NotConnected


class ClientSession(Point):
    """The address HTTP requests are sent to; queues them for its connection."""

    def __init__(self, end):
        Point.__init__(self)
        self._end = end

    def _name(self):
        return 'HttpClientSession'

    def _handle(self, message, return_address, to_address):
        self._end.enqueue(message, return_address)


class HttpClientEnd(Endpoint, protocol.Protocol):
    """One HTTP client connection and its request queue."""

    proxy_name = 'HttpProxy'
    session = None

    def __init__(self, network, controller, request):
        self.init_endpoint(network, controller, request, accepted=False)
        self._prefix = request.http_client
        self._json = request.layer_cake_json
        ipp = request.requested_ipp
        self._host = '%s:%s' % (ipp.host, ipp.port)
        self._queue = collections.deque()     # (message, sender) not yet answered
        self._on_wire = False
        self._parser = H.ResponseParser()

    def notify_source(self):
        if self.session is not None:
            return self.session.object_address
        return Endpoint.notify_source(self)

    def connectionMade(self):
        self.network.attached(self)
        self.enter_proxy()
        self.session = ClientSession(self)
        point.enter(self.session, None, self.controller)
        self.report_open(self.transport)

    # Requests.

    def outbound(self, message, return_address, to_address):
        """A message sent to the raw proxy: Close/Stop end the connection at once."""
        if isinstance(message, (Close, Stop)):
            self.close_on_request(message)
            return
        self.enqueue(message, return_address)

    def enqueue(self, message, sender):
        if self.finished:
            return
        if len(self._queue) >= H.CLIENT_QUEUE_LIMIT:
            self.warn('request queue overflow')
            self._answer(sender, H.overflow_response())
            return
        self._queue.append((message, sender))
        self._next()

    def _next(self):
        while self._queue and not self._on_wire and not self.finished:
            message, sender = self._queue[0]
            if isinstance(message, Close):
                self._queue.popleft()
                self.close_on_request(message)
                return
            try:
                data = H.request_bytes(message, self._prefix, self._json, self._host)
            except ValueError as e:
                self._queue.popleft()
                self.warn('cannot send %s (%s)' % (registry.message_to_tag(message), e))
                self._answer(sender, Faulted('cannot send request', str(e)))
                continue
            self._on_wire = True
            self.transport.write(data)

    # Responses.

    def dataReceived(self, data):
        if self.finished:
            return
        self._responses(self._parser.feed(data))

    def _responses(self, items):
        for item in items:
            if not self._on_wire or not self._queue:
                self.warn('response with no request waiting')
                self._break('unexpected response')
                return
            _, sender = self._queue.popleft()
            self._on_wire = False
            if isinstance(item, H.ResponseError):
                self.warn('bad response (%s)' % (item,))
                self._answer(sender, H.error_response(str(item)))
                self._break(str(item))
                return
            self._answer(sender, H.response_to_message(item, self._json))
        self._next()

    def _answer(self, sender, message):
        point.send(message, sender, self.notify_source())

    def _break(self, note):
        self.set_ending(EndOfTransport.INBOUND_STREAMING, note)
        self.transport.loseConnection()

    def connectionLost(self, reason=None):
        if not self.finished:
            try:
                self._responses(self._parser.connection_lost())
            except Exception:
                pass
        lost = NotConnected(request=self.opening, error_code=0,
                            error_text='cannot complete request to "%s" (connection lost)' % (
                                self.opening.requested_ipp,))
        while self._queue:
            message, sender = self._queue.popleft()
            if not isinstance(message, Close):
                self._answer(sender, lost)
        session = self.session
        if session is not None and session._alive:
            session._alive = False
            from ..runtime import address as A
            A.remove(session.object_address[-1])
        self.report_closed(reason)


def http_connector(network, controller, request):
    return HttpClientEnd(network, controller, request)



