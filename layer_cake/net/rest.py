"""Dispatch of REST requests by resource, method and URI fields (network.md §5.6).

A server listening with ``uri_form=ReForm(...)`` delivers a ``FormRequest``
per request.  A :class:`ResourceDispatch` picks the function registered for
the request's resource (a class, named in lower case in the URI), its HTTP
method and the set of URI fields present, converts the field texts for the
function's parameters, calls it on behalf of the receiving object, and sends
the result back as the response.  Requests it cannot place are answered with
a 400 carrying a JSON ``Faulted`` (§5.4), as every other client error is.
"""

from ..types import registry
from ..types.codec import CodecJson
from .http_codec import JSON_TYPE, fault_body, request_fault
from .http_messages import HttpMethod, HttpResponse

__all__ = [
    'ResourceDispatch', 'decode_resource', 'decode_body', 'cannot_be_dispatched',
    'cannot_be_converted', 'UNUSABLE', 'NO_SIGNATURE',
]

# Parameter names that take a part of the request rather than a URI field.
SPECIAL = ('body', 'header', 'http')

UNUSABLE = 'unusable resource, method or URI'
NO_SIGNATURE = 'no matching call signature'


def decode_resource(body, portable):
    """The instance held in a layer-cake JSON body, or None when there is no body.

    Raises the codec's error when the body is not an encoding of ``portable``.
    """
    if not body:
        return None
    return CodecJson().decode(bytes(body), registry.def_type(portable))


def decode_body(cls):
    """A ``body`` converter that decodes as ``cls``, whatever resource it serves."""
    portable = registry.def_type(cls)

    def decode(body, resource=None):
        return decode_resource(body, portable)
    return decode


def _client_error(layer, request, reason):
    """The 400 for a request the dispatch cannot serve, noted in the log of ``layer``."""
    uri = getattr(request, 'request', None) or ''
    warning = getattr(layer, 'warning', None)
    if warning is not None:
        warning('cannot recover request "%s" (%s)' % (uri, reason))
    body = fault_body(request_fault(uri, reason, 400))
    return HttpResponse(status_code=400, reason_phrase='Client Error',
                        header={'Content-Type': JSON_TYPE}, body=bytearray(body))


def cannot_be_dispatched(self, request=None, reason=UNUSABLE):
    """The answer for a request with no registered function to serve it (400)."""
    return _client_error(self, request, reason)


def cannot_be_converted(self, request=None, name=None, reason=None):
    """The answer for a request whose field ``name`` its converter refused (400)."""
    text = 'no conversion for "%s"' % (name,)
    if reason:
        text = '%s (%s)' % (text, reason)
    return _client_error(self, request, text)


class ResourceDispatch(object):
    """Functions by (resource, method, fields present), for the requests of one ReForm."""

    def __init__(self, form, resource):
        names = form.entry_names()
        if 'resource' not in names:
            raise ValueError('form "%s" has no "resource" field' % (form.form,))
        self.form = form
        self._fields = frozenset(names) - {'resource'}
        self._resource = {}
        for cls in resource:
            if not isinstance(cls, type):
                raise ValueError('resource %r is not a class' % (cls,))
            self._resource[cls.__name__.lower()] = cls
        self._calls = {}        # (class, HttpMethod) -> {frozenset(fields): (f, kv)}

    def add(self, resource, method, f, /, **kv):
        """Register ``f`` for a resource, a method and the fields named in ``kv``.

        Each ``kv`` item names a parameter of ``f`` and its converter (None
        passes the text through).  A URI field is converted as ``c(text)``;
        ``body`` as ``c(body, UserDefined(resource))``; ``header`` and
        ``http`` as ``c(value)``.  The request must carry exactly the URI
        fields named for ``f`` to be called.  The first three arguments are
        positional only, so that a field may be named ``method`` or ``f``.
        """
        if not isinstance(resource, type) or self._resource.get(
                resource.__name__.lower()) is not resource:
            raise ValueError('%r is not one of the resources of this dispatch' % (resource,))
        if not isinstance(method, HttpMethod):
            raise ValueError('%r is not an HttpMethod' % (method,))
        if not callable(f):
            raise ValueError('%r is not callable' % (f,))
        fields = frozenset(name for name in kv if name not in SPECIAL)
        unknown = sorted(fields - self._fields)
        if unknown:
            raise ValueError('"%s" is not a field of the form "%s"' % (
                '", "'.join(unknown), self.form.form))
        for name, convert in kv.items():
            if convert is not None and not callable(convert):
                raise ValueError('converter of "%s" is not callable' % (name,))
        calls = self._calls.setdefault((resource, method), {})
        if fields in calls:
            raise ValueError('%s %s with fields (%s) is already registered' % (
                method.name, resource.__name__, ', '.join(sorted(fields))))
        calls[fields] = (f, dict(kv))

    def lookup(self, request):
        """(function, keyword arguments) that serve a ``FormRequest``.

        The function is called with the receiving object first; for a
        request that cannot be served it is :func:`cannot_be_dispatched` or
        :func:`cannot_be_converted`, which return the 400 to send.
        """
        entry = request.form_entry or {}
        cls = self._resource.get(entry.get('resource'))
        method = request.method
        method = HttpMethod.__members__.get(method) if isinstance(method, str) else None
        if cls is None or method is None:
            return cannot_be_dispatched, {'request': request}
        present = frozenset(name for name, text in entry.items()
                            if name != 'resource' and text is not None)
        found = self._calls.get((cls, method), {}).get(present)
        if found is None:
            return cannot_be_dispatched, {'request': request, 'reason': NO_SIGNATURE}
        f, kv = found
        kwargs = {}
        for name, convert in kv.items():
            if name == 'body':
                value = request.body
            elif name == 'header':
                value = request.header
            elif name == 'http':
                value = request.http
            else:
                value = entry[name]
            if convert is None:
                kwargs[name] = value
                continue
            try:
                if name == 'body':
                    kwargs[name] = convert(value, registry.def_type(cls))
                else:
                    kwargs[name] = convert(value)
            except Exception as e:
                return cannot_be_converted, {'request': request, 'name': name,
                                             'reason': str(e) or type(e).__name__}
        return f, kwargs

    def __call__(self, layer, request):
        """Serve ``request`` on behalf of ``layer``; a non-None result goes back as the answer."""
        f, kwargs = self.lookup(request)
        result = f(layer, **kwargs)
        if result is not None:
            layer.send(result, layer.return_address)
        return result
