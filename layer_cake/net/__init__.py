"""Networking: listen/connect with framed messages, remote addresses, HTTP."""

from .ipp import (HostPort, LocalPort, LOCAL_HOST, DIRECTORY_PORT, DIRECTORY_AT_HOST,
                  DIRECTORY_AT_LAN, equal_ipp, ScopeOfHost, local_private_other,
                  ScopeOfDirectory)
from .messages import (EndOfTransport, ReForm, ListenForStream, ConnectStream, Listening,
                       NotListening, Accepted, NotAccepted, Connected, NotConnected, Close,
                       Closed)
from .http_messages import HttpMethod, HttpRequest, HttpResponse, FormRequest
from .listen_connect import listen, connect, stop_listening
from .rest import (ResourceDispatch, decode_resource, decode_body, cannot_be_dispatched,
                   cannot_be_converted)

__all__ = [
    'HostPort', 'LocalPort', 'LOCAL_HOST', 'DIRECTORY_PORT', 'DIRECTORY_AT_HOST',
    'DIRECTORY_AT_LAN', 'equal_ipp', 'ScopeOfHost', 'local_private_other', 'ScopeOfDirectory',
    'EndOfTransport', 'ReForm', 'ListenForStream', 'ConnectStream', 'Listening', 'NotListening',
    'Accepted', 'NotAccepted', 'Connected', 'NotConnected', 'Close', 'Closed',
    'HttpMethod', 'HttpRequest', 'HttpResponse', 'FormRequest',
    'listen', 'connect', 'stop_listening',
    'ResourceDispatch', 'decode_resource', 'decode_body', 'cannot_be_dispatched',
    'cannot_be_converted',
]
