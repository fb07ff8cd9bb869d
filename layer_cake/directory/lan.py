"""The standard LAN directory address, and where a HOST node looks for lan-cake
(network.md §8.6, §9.4).

Every host of a private network can work out, without being told, where
lan-cake should be: take the host's primary IP, keep its private range and
put station 195 in it (``10.0.0.195``, ``172.16.0.195`` or
``192.168.0.195``), port 54195.  :func:`directory_at_lan` does that; it gives
None when the primary IP is unknown or not in a private range, and then
nothing is guessed.

A HOST node (host-cake) with no ``--directory-at-lan`` connects there the
first time it holds a LAN listing (:func:`automatic_lan_parent`).  The
environment variable ``LC_DIRECTORY_AT_LAN`` overrides that for every
host-cake started with it: ``off`` means no automatic LAN parent at all,
``<ip>:<port>`` names another address.  The tests set ``off`` for everything
they start on the machine's own network, so no test there ever reaches for
a private address.
"""

import os

from ..net.ipp import DIRECTORY_PORT, HostPort
from .introspect import primary_ip

__all__ = ['LAN_STATION', 'LAN_VARIABLE', 'get_local_ip', 'standard_lan_address',
           'directory_at_lan', 'automatic_lan_parent']

# The last octet of the standard LAN directory address.
LAN_STATION = 195

# The environment variable that overrides the automatic LAN parent.
LAN_VARIABLE = 'LC_DIRECTORY_AT_LAN'
_OFF = 'off'

# The primary IPv4 address of this host, or None (network.md §1, §9.4).
get_local_ip = primary_ip


def _octets(ip):
    if not isinstance(ip, str):
        return None
    parts = ip.split('.')
    if len(parts) != 4 or not all(p.isdigit() and len(p) <= 3 for p in parts):
        return None
    octets = [int(p) for p in parts]
    if any(o > 255 for o in octets):
        return None
    return octets


def standard_lan_address(ip):
    """The standard LAN directory address for a host whose primary IP is ``ip``
    (dotted quad text), or None when ``ip`` is not in a private range."""
    octets = _octets(ip)
    if octets is None:
        return None
    first, second = octets[0], octets[1]
    if first == 10:
        host = '10.0.0.%d'
    elif first == 172 and 16 <= second <= 31:
        host = '172.16.0.%d'
    elif first == 192 and second == 168:
        host = '192.168.0.%d'
    else:
        return None
    return HostPort(host % (LAN_STATION,), DIRECTORY_PORT)


def directory_at_lan():
    """Where lan-cake is expected on this host's network: a HostPort, or None when
    it cannot be derived from this host's primary IP (network.md §9.4)."""
    return standard_lan_address(get_local_ip())


def _setting(text):
    """The HostPort that ``LC_DIRECTORY_AT_LAN`` names, or None (off or malformed)."""
    host, colon, port = text.strip().rpartition(':')
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return HostPort(host, int(port))


_reported = [None]


def _report(log, text):
    # Said once for each new reason: a bulk push of many listings says it once.
    if log is not None and _reported[0] != text:
        _reported[0] = text
        log.console(text)


def automatic_lan_parent(log=None):
    """Where a HOST node without a configured parent connects when its first LAN
    listing appears: ``LC_DIRECTORY_AT_LAN`` when set, else :func:`directory_at_lan`.
    None means it stays alone; ``log`` (anything with ``console``) hears why."""
    setting = os.environ.get(LAN_VARIABLE)
    if setting is not None:
        if setting.strip().lower() == _OFF:
            _report(log, 'No automatic LAN directory (%s=%s)' % (LAN_VARIABLE, setting))
            return None
        address = _setting(setting)
        if address is None:
            _report(log, 'No automatic LAN directory (%s=%r is not <ip>:<port> or %s)' % (
                LAN_VARIABLE, setting, _OFF))
        return address
    ip = get_local_ip()
    address = standard_lan_address(ip)
    if address is None:
        _report(log, 'No standard LAN directory address: the primary IP %s is not in a '
                     'private range (give --directory-at-lan)' % (ip or '(not detected)',))
    return address
