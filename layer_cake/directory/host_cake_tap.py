"""``twistd host-cake``: the host's directory as a Twisted application.

::

    twistd [-n] host-cake [--directory-at-host=<HostPort JSON>]
                          [--directory-at-lan=<HostPort JSON>]
                          [--directory-secret=<path>] [--encrypted-directory]
                          [--tls-folder=<path>] [--debug-level=<level>]

The same HOST tier as the console script, as a service of twistd's own
(:mod:`.tier_tap`): it binds its address in ``privilegedStartService``, logs
through Twisted's log, and stops with twistd.  Without
``--directory-at-lan`` it looks for lan-cake at the standard LAN address
once a LAN listing appears, as the console script does.  With
``--encrypted-directory`` every link runs over mutual TLS with the material
of ``--tls-folder`` (default ``$LC_TLS_FOLDER``, else ``~/.layer-cake-tls``).
"""

from twisted.python import usage

from ..runtime import log as L
from .host_cake import HostCake, host_tier, loopback_only
from .tier_tap import (DEBUG_LEVEL_OPTION, SECRET_OPTION, TLS_FOLDER_OPTION, TierOptions,
                       TierService, TwistedLog)

__all__ = ['Options', 'makeService', 'HostCakeService', 'TwistedLog']


class Options(TierOptions):
    longdesc = ('Run the directory of this host: the groups and processes of the host '
                'connect to it to publish and subscribe across groups.')
    program = HostCake
    addresses = ('directory-at-host', 'directory-at-lan')
    optParameters = [
        ['directory-at-host', None, None, 'Where to accept groups and processes, a HostPort '
                                          'as JSON (default {"host": "127.0.0.1", '
                                          '"port": 54195}).'],
        ['directory-at-lan', None, None, 'lan-cake address, a HostPort as JSON (default: '
                                         'the standard LAN address, when there is one).'],
        DEBUG_LEVEL_OPTION,
        SECRET_OPTION,
        TLS_FOLDER_OPTION,
    ]

    def postOptions(self):
        TierOptions.postOptions(self)
        why = loopback_only(self['directory_at_host'])
        if why is not None:
            raise usage.UsageError(why)


def HostCakeService(directory_at_host=None, directory_at_lan=None, level=L.USER_LOG.CONSOLE,
                    reactor=None, secret=None, tls=None):
    """The HOST tier as a service bound before twistd starts the application."""
    return TierService('host-cake', lambda log: host_tier(directory_at_host, directory_at_lan,
                                                          log=log, reactor=reactor,
                                                          secret=secret, tls=tls),
                       level=level)


def makeService(options):
    """The service twistd runs for ``twistd host-cake``."""
    return HostCakeService(options['directory_at_host'], options['directory_at_lan'],
                           level=options['level'], secret=options.get('secret'),
                           tls=options.get('tls'))
