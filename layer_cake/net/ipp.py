"""Network addresses as messages: HostPort, LocalPort and their helpers.

A ``HostPort`` is a portable value so it can travel inside requests and
notifications (``Listening.listening_ipp``) and be given on command lines.
"""

import enum
import ipaddress

from ..types import registry

LOCAL_HOST = '127.0.0.1'
DIRECTORY_PORT = 54195


class HostPort(object):
    """An IP (or host name) and a port."""

    def __init__(self, host: str = None, port: int = None):
        self.host = host
        self.port = port

    def __str__(self):
        if self.host is None:
            return '(not set)'
        return '%s:%s' % (self.host, self.port)

    def __repr__(self):
        return 'HostPort(%r, %r)' % (self.host, self.port)

    def __eq__(self, other):
        return isinstance(other, HostPort) and equal_ipp(self, other)

    def __hash__(self):
        return hash((self.host, self.port))

    def inet(self):
        """The ``(host, port)`` tuple of the socket API."""
        return (self.host, self.port)


class LocalPort(HostPort):
    """A port on this host's loopback address."""

    def __init__(self, port: int = None):
        HostPort.__init__(self, LOCAL_HOST, port)


registry.bind_message(HostPort, copy_before_sending=False)
registry.bind_message(LocalPort, copy_before_sending=False)


def equal_ipp(a, b):
    """True when both host and port are equal."""
    return a.host == b.host and a.port == b.port


class ScopeOfHost(enum.Enum):
    """Where an IPv4 address lives relative to this host."""
    LOCAL = 1
    PRIVATE = 2
    OTHER = 3


registry.register_enum(ScopeOfHost)


def is_loopback(host):
    """A loopback address (127.0.0.0/8, ::1) or ``localhost``."""
    if not host or not isinstance(host, str):
        return False
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_private_other(ip):
    """Classify a dotted IPv4 text: loopback, private range or anything else."""
    if not isinstance(ip, str):
        return ScopeOfHost.OTHER
    parts = ip.split('.')
    if len(parts) != 4:
        return ScopeOfHost.OTHER
    try:
        octets = [int(p) for p in parts]
    except ValueError:
        return ScopeOfHost.OTHER
    if any(o < 0 or o > 255 for o in octets):
        return ScopeOfHost.OTHER
    if octets[0] == 127:
        return ScopeOfHost.LOCAL
    if octets[0] == 10 or (octets[0] == 192 and octets[1] == 168) or (
            octets[0] == 172 and 16 <= octets[1] <= 31):
        return ScopeOfHost.PRIVATE
    return ScopeOfHost.OTHER


class ScopeOfDirectory(enum.Enum):
    """The reach of a directory; a smaller value is a wider scope (network.md §1)."""
    WAN = 1
    LAN = 2
    HOST = 3
    GROUP = 4
    PROCESS = 5
    LIBRARY = 6


registry.register_enum(ScopeOfDirectory)

DIRECTORY_AT_HOST = HostPort(LOCAL_HOST, DIRECTORY_PORT)
DIRECTORY_AT_LAN = HostPort('192.168.0.195', DIRECTORY_PORT)
