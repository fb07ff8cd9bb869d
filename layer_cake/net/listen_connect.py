"""``lc.listen``, ``lc.connect`` and ``lc.stop_listening`` (network.md §2).

The calls return at once; the work happens on the reactor thread, in the
:class:`Network` add-on, and the outcome reaches the caller (the
controller) as a message.  The add-on also remembers every listener and
connection so that process shutdown closes them all.

The Twisted side (:mod:`.factories`, :mod:`.stream`) is imported by the first
request, when the runtime and its reactor are up anyway.
"""

import uuid

from ..runtime import engine
from ..runtime import log as L
from ..runtime import point
from ..runtime import start
from .ipp import HostPort
from .messages import (ConnectStream, ListenForStream, Listening, NotConnected, NotListening)

BACKLOG = 128

# TLS needs pyOpenSSL besides service_identity and cryptography; an install
# without the tls extra lacks it, and then an encrypted request is refused,
# saying why.
_TLS_PACKAGES = ('OpenSSL', 'cryptography', 'service_identity')
NO_TLS = 'encryption needs pyOpenSSL (the tls extra), which is not installed'


def tls_module():
    """The TLS module, imported on the first encrypted request; None without pyOpenSSL."""
    try:
        from . import tls
    except ImportError as e:
        if (e.name or '').split('.')[0] in _TLS_PACKAGES:
            return None
        raise
    return tls


class Network(object):
    """The process's listeners and connections (a runtime add-on)."""

    def __init__(self):
        self.quiet = True
        self.point = None
        self.address = None
        self._listeners = {}        # lid -> (port, Listening)
        self._ends = set()

    # The add-on protocol (runtime/start.py).

    def start(self):
        self.quiet = False
        self.point = start.enter_quiet('network')
        self.address = self.point.object_address

    def stop(self):
        if self.quiet:
            return
        if engine.reactor is not None and getattr(engine.reactor, 'running', False):
            try:
                engine.call_and_wait(self._close_everything)
            except Exception:
                pass
        self.quiet = True
        self._listeners.clear()
        self._ends.clear()

    def _close_everything(self):
        for port, _ in list(self._listeners.values()):
            port.stopListening()
        for end in list(self._ends):
            if end.transport is not None:
                end.transport.loseConnection()
        self.quiet = True

    # Book-keeping for the ends.

    def attached(self, end):
        self._ends.add(end)

    def opened(self, end):
        self._ends.add(end)

    def closed(self, end):
        self._ends.discard(end)

    def notify(self, message, controller):
        if not self.quiet:
            point.send(message, controller, self.address)

    # Requests (reactor thread).

    def listen(self, request, controller, wrap_factory=None, client_certificates=False):
        ipp = request.requested_ipp
        if self.quiet:
            self.notify(NotListening(request=request, error_code=0,
                                     error_text='cannot listen at "%s" (sockets shutting down)'
                                     % (ipp,)), controller)
            return
        try:
            make_end = self._listener_kind(request)
        except ValueError as e:
            self._not_listening(request, controller, 0, str(e))
            return
        placeholder = Listening(request=request, listening_ipp=HostPort(ipp.host, ipp.port),
                                controller_address=controller)
        from .factories import ListenFactory
        from twisted.internet.error import CannotListenError
        factory = ListenFactory(self, controller, placeholder, make_end)
        if wrap_factory is not None:
            factory = wrap_factory(factory)
        if request.encrypted:
            tls = tls_module()
            if tls is None:
                self._not_listening(request, controller, 0, NO_TLS)
                return
            try:
                factory = tls.wrap_server_factory(
                    factory, reactor=engine.reactor,
                    require_client_certificate=client_certificates)
            except tls.MaterialError as e:
                self._not_listening(request, controller, 0, 'no TLS material: %s' % (e,))
                return
        try:
            port = engine.reactor.listenTCP(ipp.port, factory, backlog=BACKLOG,
                                            interface=ipp.host or '')
        except CannotListenError as e:
            cause = e.socketError
            code = getattr(cause, 'errno', None) or 0
            text = getattr(cause, 'strerror', None) or str(cause)
            self._not_listening(request, controller, code, text)
            return
        except (OverflowError, ValueError, TypeError, OSError) as e:
            self._not_listening(request, controller, getattr(e, 'errno', None) or 0, str(e))
            return
        bound = port.getHost()
        placeholder.listening_ipp = HostPort(ipp.host or bound.host, bound.port)
        self._listeners[request.lid] = (port, placeholder)
        if L.USER_LOG.TRACE >= L.threshold:
            self.point.log(L.USER_TAG.TRACE, 'Listening on "%s", requested "%s"%s' % (
                placeholder.listening_ipp, ipp, ' (encrypted)' if request.encrypted else ''))
        self.notify(placeholder, controller)

    def _not_listening(self, request, controller, code, text):
        self.notify(NotListening(request=request, error_code=code,
                                 error_text='cannot listen at "%s" (%s)' % (
                                     request.requested_ipp, text)), controller)

    def _listener_kind(self, request):
        if request.http_server is not None or request.uri_form is not None:
            from .http_server import http_listener
            return http_listener(request)
        from .factories import framed_listener
        return framed_listener

    def stop_listening(self, lid, controller):
        entry = self._listeners.pop(lid, None)
        if entry is None:
            if L.USER_LOG.WARNING >= L.threshold:
                self.point.log(L.USER_TAG.WARNING, 'stop listening: unknown listen id %s' % (
                    lid,))
            self.notify(NotListening(request=ListenForStream(lid=lid), error_code=0,
                                     error_text='cannot stop listening (unknown id %s)' % (
                                         lid,)), controller)
            return
        port, listening = entry
        port.stopListening()
        self.notify(NotListening(request=listening.request, error_code=0,
                                 error_text='stopped listening at "%s"' % (
                                     listening.listening_ipp,)), controller)

    def connect(self, request, controller, wrap_factory=None):
        ipp = request.requested_ipp
        if self.quiet:
            self.notify(NotConnected(request=request, error_code=0,
                                     error_text='cannot connect to "%s" (sockets shutting down)'
                                     % (ipp,)), controller)
            return
        from .factories import ConnectFactory, framed_connector
        if request.http_client is not None:
            from .http_client import http_connector
            make_end = http_connector
        else:
            make_end = framed_connector
        factory = ConnectFactory(self, controller, request, make_end)
        if wrap_factory is not None:
            factory = wrap_factory(factory)
        if request.encrypted:
            tls = tls_module()
            if tls is None:
                self.notify(NotConnected(request=request, error_code=0,
                                         error_text='cannot connect to "%s" (%s)' % (ipp, NO_TLS)),
                            controller)
                return
            try:
                factory = tls.wrap_client_factory(factory, ipp.host, reactor=engine.reactor)
            except tls.MaterialError as e:
                self.notify(NotConnected(request=request, error_code=0,
                                         error_text='cannot connect to "%s" (no TLS material: %s)'
                                         % (ipp, e)), controller)
                return
        try:
            engine.reactor.connectTCP(ipp.host, ipp.port, factory, timeout=30)
        except (OverflowError, ValueError, TypeError, OSError) as e:
            self.notify(NotConnected(request=request, error_code=0,
                                     error_text='cannot connect to "%s" (%s)' % (ipp, e)),
                        controller)


network = Network()
start.add_on(network)


# The public calls.

def listen(self, requested_ipp, encrypted=False, http_server=None, uri_form=None,
           default_to_request=True, wrap_factory=None, client_certificates=False):
    """Listen at ``requested_ipp``; ``Listening``/``NotListening`` arrive at ``self``.

    ``wrap_factory(factory)``, when given, returns the factory to listen with
    in place of the one made here (inside TLS when encrypted): the directory
    puts its shared-secret handshake in front of publisher sessions this way.
    ``client_certificates``: an encrypted listener accepts only connectors that
    prove a certificate of the CA in the TLS folder (the encrypted directory's
    publisher sessions).
    """
    lid = uuid.uuid4()
    request = ListenForStream(lid=lid, requested_ipp=requested_ipp, encrypted=encrypted,
                              http_server=http_server, uri_form=uri_form,
                              default_to_request=default_to_request)
    engine.call(network.listen, request, self.object_address, wrap_factory,
                client_certificates)
    return lid


_UNSET = object()


def connect(self, requested_ipp, encrypted=False, keep_alive=False, http_client=None,
            layer_cake_json=_UNSET, application_json=_UNSET, keep_alive_period=None,
            wrap_factory=None):
    """Connect to ``requested_ipp``; ``Connected``/``NotConnected`` arrive at ``self``.

    ``application_json`` is another spelling of ``layer_cake_json``.
    ``keep_alive_period`` (seconds) replaces keep-alive's standard 60 s, for
    connections that must notice a silent peer sooner (directory sessions).
    ``wrap_factory`` as for :func:`listen`; a wrapper that gives up on a
    connection calls the factory's ``clientConnectionFailed`` (``NotConnected``).
    """
    if layer_cake_json is _UNSET:
        layer_cake_json = False if application_json is _UNSET else bool(application_json)
    elif application_json is not _UNSET and bool(application_json) != bool(layer_cake_json):
        raise TypeError('layer_cake_json and application_json disagree')
    request = ConnectStream(requested_ipp=requested_ipp, encrypted=encrypted,
                            keep_alive=keep_alive, http_client=http_client,
                            layer_cake_json=bool(layer_cake_json),
                            keep_alive_period=keep_alive_period)
    engine.call(network.connect, request, self.object_address, wrap_factory)


def stop_listening(self, lid):
    """Close the listener ``lid``; ``NotListening`` arrives at ``self``."""
    engine.call(network.stop_listening, lid, self.object_address)
