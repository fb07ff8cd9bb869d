"""``twistd lan-cake``: the directory of a local network as a Twisted application.

::

    twistd [-n] lan-cake [--directory-at-lan=<HostPort JSON>] [--directory-secret=<path>]
                         [--encrypted-directory] [--tls-folder=<path>]
                         [--debug-level=<level>]

The same LAN tier as the console script, as a service of twistd's own
(:mod:`.tier_tap`): it binds ``--directory-at-lan`` (default every address
of the host, port 54195) in ``privilegedStartService``, logs through
Twisted's log, and stops with twistd.  It has no parent.  With
``--encrypted-directory`` every link runs over mutual TLS with the material
of ``--tls-folder``; its certificate must name the address host-cakes dial.
"""

from ..runtime import log as L
from .lan_cake import LanCake, lan_tier
from .tier_tap import (DEBUG_LEVEL_OPTION, SECRET_OPTION, TLS_FOLDER_OPTION, TierOptions,
                       TierService)

__all__ = ['Options', 'makeService', 'LanCakeService']


class Options(TierOptions):
    longdesc = ('Run the directory of a local network: the host-cakes of the network '
                'connect to it to publish and subscribe across hosts.')
    program = LanCake
    addresses = ('directory-at-lan',)
    optParameters = [['directory-at-lan', None, None, 'Where to accept host-cakes, a '
                      'HostPort as JSON (default {"host": "0.0.0.0", "port": 54195}).'],
                     DEBUG_LEVEL_OPTION, SECRET_OPTION, TLS_FOLDER_OPTION]


def LanCakeService(directory_at_lan=None, level=L.USER_LOG.CONSOLE, reactor=None,
                   secret=None, tls=None):
    """The LAN tier as a service bound before twistd starts the application."""
    return TierService('lan-cake', lambda log: lan_tier(directory_at_lan, log=log,
                                                        reactor=reactor, secret=secret,
                                                        tls=tls),
                       level=level)


def makeService(options):
    """The service twistd runs for ``twistd lan-cake``."""
    return LanCakeService(options['directory_at_lan'], level=options['level'],
                          secret=options.get('secret'), tls=options.get('tls'))
