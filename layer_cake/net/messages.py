"""The messages of listen/connect (network.md §2.2) and of the transport itself.

Requests (``ListenForStream``, ``ConnectStream``) are kept inside the
notifications that answer them, so a controller with several listeners or
connections can tell them apart.
"""

import datetime
import enum
import uuid

from ..types import portable as P
from ..types import registry
from ..runtime.messages import Faulted
from .ipp import HostPort


class EndOfTransport(enum.Enum):
    """Why a connection ended."""
    ON_REQUEST = 1
    ABANDONED_BY_REMOTE = 2
    WENT_STALE = 3
    OUTBOUND_STREAMING = 4
    INBOUND_STREAMING = 5


registry.register_enum(EndOfTransport)


class ReForm(object):
    """A URI template: ``{name}`` fields, each with a regular expression (§5.6)."""

    def __init__(self, form: str = None, **entry):
        self.form = form
        self.entry = entry

    def entry_names(self):
        return sorted(self.entry)

    def compile_form(self):
        """(compiled pattern, field names), or (None, None) without a form.

        Raises ``re.error`` when the substituted pattern does not compile.
        """
        import re
        if self.form is None:
            return None, None
        pattern = self.form
        for name in self.entry_names():
            pattern = pattern.replace('{%s}' % (name,), '(?P<%s>%s)' % (name, self.entry[name]))
        return re.compile(pattern), self.entry_names()


registry.bind_message(ReForm, entry=P.MapOf(P.Unicode(), P.Unicode()))


class ListenForStream(object):
    """A listen request, as kept inside ``Listening``/``NotListening``."""

    def __init__(self, lid: uuid.UUID = None, requested_ipp: HostPort = None,
                 encrypted: bool = False, http_server: list[P.Type] = None,
                 uri_form: ReForm = None, default_to_request: bool = True):
        self.lid = lid
        self.requested_ipp = requested_ipp or HostPort()
        self.encrypted = encrypted
        self.http_server = http_server
        self.uri_form = uri_form
        self.default_to_request = default_to_request


class ConnectStream(object):
    """A connect request, as kept inside ``Connected``/``NotConnected``."""

    def __init__(self, requested_ipp: HostPort = None, encrypted: bool = False,
                 keep_alive: bool = False, http_client: str = None,
                 layer_cake_json: bool = False, keep_alive_period: float = None):
        self.requested_ipp = requested_ipp or HostPort()
        self.encrypted = encrypted
        self.keep_alive = keep_alive
        self.http_client = http_client
        self.layer_cake_json = layer_cake_json
        self.keep_alive_period = keep_alive_period    # seconds; None: the standard 60


class StopListening(object):
    """The request behind ``lc.stop_listening``."""

    def __init__(self, lid: uuid.UUID = None):
        self.lid = lid


class Listening(object):
    """A listener is up at ``listening_ipp`` (the real port when 0 was asked)."""

    def __init__(self, request: ListenForStream = None, listening_ipp: HostPort = None,
                 controller_address: P.Address = None):
        self.request = request or ListenForStream()
        self.listening_ipp = listening_ipp or HostPort()
        self.controller_address = controller_address


class NotListening(Faulted):
    """A listen failed, was stopped, or its listener went away."""

    def __init__(self, request: ListenForStream = None, error_code: int = None,
                 error_text: str = None):
        Faulted.__init__(self, error_text or 'cannot listen', None, error_code)
        self.request = request or ListenForStream()
        self.error_text = error_text


class Accepted(object):
    """A client connected; ``opened_ipp`` is the client's address."""

    def __init__(self, listening: Listening = None, opened_ipp: HostPort = None,
                 proxy_address: P.Address = None, opened_at: datetime.datetime = None):
        self.listening = listening or Listening()
        self.opened_ipp = opened_ipp or HostPort()
        self.proxy_address = proxy_address
        self.opened_at = opened_at


class NotAccepted(Faulted):
    """Declared for completeness; accept failures arrive as ``NotListening``."""

    def __init__(self, listening: Listening = None, error_code: int = None,
                 error_text: str = None):
        Faulted.__init__(self, error_text or 'cannot accept', None, error_code)
        self.listening = listening or Listening()
        self.error_text = error_text


class Connected(object):
    """A connect succeeded; ``opened_ipp`` is the LOCAL address of our socket."""

    def __init__(self, request: ConnectStream = None, opened_ipp: HostPort = None,
                 proxy_address: P.Address = None, opened_at: datetime.datetime = None):
        self.request = request or ConnectStream()
        self.opened_ipp = opened_ipp or HostPort()
        self.proxy_address = proxy_address
        self.opened_at = opened_at


class NotConnected(Faulted):
    """A connect failed (or a request's connection was lost)."""

    def __init__(self, request: ConnectStream = None, error_code: int = None,
                 error_text: str = None):
        Faulted.__init__(self, error_text or 'cannot connect', None, error_code)
        self.request = request or ConnectStream()
        self.error_text = error_text


class Close(object):
    """Sent by the application to a connection's proxy to end it."""

    def __init__(self, message: P.Any = None, reason: EndOfTransport = EndOfTransport.ON_REQUEST,
                 note: str = None, error_code: int = None):
        self.message = message
        self.reason = reason
        self.note = note
        self.error_code = error_code


class Closed(object):
    """To the controller when a connection has ended (exactly once per connection)."""

    def __init__(self, message: P.Any = None, reason: EndOfTransport = None, note: str = None,
                 error_code: int = None, opened_ipp: HostPort = None,
                 opened_at: datetime.datetime = None):
        self.message = message
        self.reason = reason
        self.note = note
        self.error_code = error_code
        self.opened_ipp = opened_ipp or HostPort()
        self.opened_at = opened_at


class KeepAlive(object):
    """Transport-internal: the connector starts keep-alive (never delivered)."""

    def __init__(self, seconds: float = None):
        self.seconds = seconds


class StillThere(object):
    """Transport-internal: a keep-alive beat (never delivered)."""

    def __init__(self, seconds: float = None):
        self.seconds = seconds


class OpenKeep(object):
    """Transport-internal: reserved for keep-alive negotiation (never delivered)."""


class Hello(object):
    """Transport-internal: the first frame each end writes (never delivered).

    Each end reports the connection open (``Accepted``/``Connected``) only
    when the other end's Hello has arrived, so a peer that does not speak
    the protocol (or a failed TLS handshake) never produces an open
    connection, and the listener learns of a client that has not yet spoken.
    """

    def __init__(self, version: int = 1):
        self.version = version


for _c in (ListenForStream, ConnectStream, StopListening, Listening, NotListening, Accepted,
           NotAccepted, Connected, NotConnected, Close, Closed, KeepAlive, StillThere, OpenKeep,
           Hello):
    registry.bind_message(_c)
del _c

# Consumed by the transport, never delivered to application objects.
TRANSPORT_MESSAGES = (KeepAlive, StillThere, OpenKeep, Hello)
