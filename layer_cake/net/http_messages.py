"""The messages of the HTTP bridge (network.md §5.3, §5.6)."""

import enum

from ..types import portable as P
from ..types import registry


class HttpMethod(enum.Enum):
    CONNECT = 1
    DELETE = 2
    GET = 3
    HEAD = 4
    OPTIONS = 5
    PATCH = 6
    POST = 7
    PUT = 8
    TRACE = 9


registry.register_enum(HttpMethod)


class HttpRequest(object):
    """A raw HTTP request: what the server delivers for names it does not serve."""

    def __init__(self, method: str = 'POST', request_uri: str = '/', http: str = 'HTTP/1.1',
                 header: dict[str, str] = None, body: bytearray = None):
        self.method = method
        self.request_uri = request_uri
        self.http = http
        self.header = {} if header is None else header
        self.body = body


class HttpResponse(object):
    """A raw HTTP response: status, reason, headers and an optional body.

    Its declared body type is bytes; the HTTP server also takes text (sent as
    ``text/plain``) or any message or value (sent as JSON) in ``body``.
    """

    def __init__(self, http: str = 'HTTP/1.1', status_code: int = 200,
                 reason_phrase: str = 'OK', header: dict[str, str] = None,
                 body: bytearray = None):
        self.http = http
        self.status_code = status_code
        self.reason_phrase = reason_phrase
        self.header = {} if header is None else header
        self.body = body


class FormRequest(object):
    """A request that matched a ``ReForm``: the URI's named fields in ``form_entry``."""

    def __init__(self, method: str = None, request: str = None,
                 form_entry: dict[str, str] = None, http: str = 'HTTP/1.1',
                 header: dict[str, str] = None, body: bytearray = None):
        self.method = method
        self.request = request
        self.form_entry = {} if form_entry is None else form_entry
        self.http = http
        self.header = {} if header is None else header
        self.body = body


registry.bind_message(HttpRequest)
registry.bind_message(HttpResponse)
registry.bind_message(FormRequest, form_entry=P.MapOf(P.Unicode(), P.Unicode()))
