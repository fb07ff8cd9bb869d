"""The Twisted factories behind ``lc.listen`` and ``lc.connect``.

Each makes the end of one connection with a ``make_end`` function: a
:class:`.stream.FramedStream` for framed messages (:func:`framed_listener`,
:func:`framed_connector`), or the HTTP ends of :mod:`.http_server` and
:mod:`.http_client`.  :mod:`.listen_connect` imports this module with its
first request, so that ``import layer_cake`` brings in no Twisted.
"""

from twisted.internet import protocol

from .endpoint import error_code_of, error_text_of
from .messages import NotConnected
from .stream import FramedStream

__all__ = ['ListenFactory', 'ConnectFactory', 'framed_listener', 'framed_connector']


class ListenFactory(protocol.Factory):
    """Makes the accepted end of each connection for one listener."""

    def __init__(self, network, controller, listening, make_end):
        self.network = network
        self.controller = controller
        self.listening = listening
        self.make_end = make_end

    def buildProtocol(self, addr):
        return self.make_end(self.network, self.controller, self.listening)


class ConnectFactory(protocol.ClientFactory):
    """Makes the connecting end, and reports a connect that failed."""

    def __init__(self, network, controller, request, make_end):
        self.network = network
        self.controller = controller
        self.request = request
        self.make_end = make_end

    def buildProtocol(self, addr):
        return self.make_end(self.network, self.controller, self.request)

    def clientConnectionFailed(self, connector, reason):
        self.network.notify(NotConnected(
            request=self.request, error_code=error_code_of(reason) or 0,
            error_text='cannot connect to "%s" (%s)' % (self.request.requested_ipp,
                                                        error_text_of(reason))),
            self.controller)


def framed_listener(network, controller, listening):
    return FramedStream(network, controller, listening, accepted=True)


def framed_connector(network, controller, request):
    return FramedStream(network, controller, request, accepted=False,
                        keep_alive=request.keep_alive,
                        keep_alive_period=request.keep_alive_period)
