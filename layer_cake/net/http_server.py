"""The HTTP side of ``lc.listen(..., http_server=[...])`` (network.md §5).

Each request becomes one message to the listen controller, with a return
address of its own (a :class:`Reply`): whatever is sent to that address
becomes the response.  Requests on one connection are parsed as they
arrive, pipelined ones included, so the application may answer them in any
order; responses are written in request order.  Parsing and response
encoding live in :mod:`.http_codec`.

twisted.web's ``HTTPChannel`` is not used because it handles one request at
a time (it pauses reading until the current response is finished) and
answers malformed input with its own plain-text pages, where the spec asks
for concurrent pipelined requests and JSON error bodies.
"""

import collections
import re

from twisted.internet import protocol

from ..runtime import address as A

from ..runtime import point
from ..runtime.messages import Stop
from ..runtime.point import Point
from ..types import registry
from . import http_codec as H
from .direct_write import immediate_writer
from .endpoint import Endpoint
from .messages import Close

API_SERVER = 'Layer-Cake-API-server/1.0'
REST_SERVER = 'Layer-Cake-REST-server/1.0'

# Unanswered requests per connection before reading pauses.
MOST_PENDING = 64
# Answered reply addresses kept per connection, so a second answer is noticed.
REMEMBERED = 32


class Reply(Point):
    """The return address of one HTTP request; the first message sent to it is the answer."""

    def __init__(self, end, slot):
        Point.__init__(self)
        self._end = end
        self._slot = slot

    def _name(self):
        return 'HttpReply'

    def _handle(self, message, return_address, to_address):
        self._end.answer(self._slot, message)


class Slot(object):
    """One request's place in the response order."""

    __slots__ = ('data', 'close', 'reply', 'answered', 'head')

    def __init__(self, data=None, close=False, head=False):
        self.data = data
        self.close = close
        self.reply = None
        self.answered = data is not None
        self.head = head        # a HEAD request: the response goes without its body


class HttpServerEnd(Endpoint, protocol.Protocol):
    """One accepted HTTP connection."""

    proxy_name = 'HttpProxy'
    _writer = None

    def __init__(self, network, controller, listening, table, default_to_request, form):
        self.init_endpoint(network, controller, listening, accepted=True)
        self._table = table
        self._default = default_to_request
        self._form = form                     # (pattern, names) in REST mode, else None
        self._server = REST_SERVER if form is not None else API_SERVER
        self._parser = H.RequestParser()
        self._slots = collections.deque()
        self._answered = collections.deque()
        self._paused = False
        self._closing = False

    def connectionMade(self):
        # A response is one write that the client waits for: send it at once,
        # without Nagle holding it back or a reactor turn before it leaves.
        self._writer = immediate_writer(self.transport)
        self.network.attached(self)
        self.enter_proxy()
        self.report_open(self.transport)

    def dataReceived(self, data):
        if self._closing:
            return
        try:
            items = self._parser.feed(data)
        except Exception as e:          # a defect must cost one connection only
            items = [H.HttpError(400, '', 'cannot parse (%s)' % (e,), close=True)]
        for item in items:
            if self._closing:
                break
            if item is H.CONTINUE:
                if not self._slots:         # nothing earlier still to be answered
                    self._write(b'HTTP/1.1 100 Continue\r\n\r\n')
            elif isinstance(item, H.HttpError):
                self._refuse(item)
            else:
                self._request(item)
        self._flush()

    def _request(self, parsed):
        close = not parsed.keep_alive
        try:
            if self._form is not None:
                message = H.request_to_form(parsed, *self._form)
            else:
                message = H.request_to_message(parsed, self._table, self._default)
        except H.HttpError as e:
            e.close = e.close or close
            self._refuse(e)
            return
        slot = Slot(close=close, head=parsed.method == 'HEAD')
        slot.reply = Reply(self, slot)
        point.enter(slot.reply, None, self.proxy_address)
        self._slots.append(slot)
        if close:
            self._closing = True        # read no further requests on this connection
        if len(self._slots) >= MOST_PENDING and not self._paused:
            self._paused = True
            self.transport.pauseProducing()
        point.deliver(message, self.controller, slot.reply.object_address)

    def _refuse(self, error):
        self.warn('bad request (%d %s)' % (error.status, error.reason))
        self._slots.append(Slot(H.error_response_bytes(error, self._server), error.close))
        if error.close:
            self._closing = True

    def answer(self, slot, message):
        """The application's answer to one request (reactor thread)."""
        if slot.answered:
            self.warn('second answer to one request dropped (%s)' % (
                registry.message_to_tag(message),))
            return
        if self.finished:
            return          # the client has gone; the answer has nowhere to go
        slot.answered = True
        data = H.response_bytes(message, self._server, close=slot.close)
        if slot.head:
            data = data.split(b'\r\n\r\n', 1)[0] + b'\r\n\r\n'
        slot.data = data
        self._flush()

    def outbound(self, message, return_address, to_address):
        """A message sent to the connection's proxy."""
        if self.finished:
            return
        if isinstance(message, (Close, Stop)):
            self.close_on_request(message)
            return
        # Upstream applications may answer the connection: the oldest request takes it.
        for slot in self._slots:
            if not slot.answered:
                self.answer(slot, message)
                return
        self.warn('answer with no request waiting dropped (%s)' % (
            registry.message_to_tag(message),))

    def _write(self, data):
        if self._writer is None:
            self.transport.write(data)
        else:
            self._writer.write(data)

    def _flush(self):
        """Write the answered responses at the head of the order, together."""
        slots = self._slots
        ready = []
        close = False
        while slots and slots[0].data is not None:
            slot = slots.popleft()
            ready.append(slot.data)
            slot.data = b''
            self._retire(slot)
            if slot.close:
                close = True
                break
        if ready:
            self._write(ready[0] if len(ready) == 1 else b''.join(ready))
        if close:
            self._closing = True
            self.transport.loseConnection()
            return
        if self._paused and len(slots) < MOST_PENDING // 2:
            self._paused = False
            self.transport.resumeProducing()

    def _retire(self, slot):
        if slot.reply is None:
            return
        self._answered.append(slot)
        while len(self._answered) > REMEMBERED:
            old = self._answered.popleft()
            _remove(old.reply)
            old.reply = None

    def connectionLost(self, reason=None):
        for slot in list(self._slots) + list(self._answered):
            if slot.reply is not None:
                _remove(slot.reply)
                slot.reply = None
        self._slots.clear()
        self._answered.clear()
        self.report_closed(reason)


def _remove(reply):
    reply._alive = False
    A.remove(reply.object_address[-1])


def http_listener(request):
    """The maker of accepted ends for an HTTP listen request; ValueError if unusable."""
    form = None
    table = {}
    if request.http_server is not None:
        for t in request.http_server:
            name = getattr(t, '__name__', None)
            if name is None:
                raise ValueError('cannot serve %r (not a class)' % (t,))
            table[name] = t
    elif request.uri_form is not None:
        if request.uri_form.form is None:
            raise ValueError('uri form has no pattern')
        try:
            form = request.uri_form.compile_form()
        except re.error as e:
            raise ValueError('uri form "%s" does not compile (%s)' % (request.uri_form.form, e))
    default = request.default_to_request

    def make_end(network, controller, listening):
        return HttpServerEnd(network, controller, listening, table, default, form)
    return make_end



