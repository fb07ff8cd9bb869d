"""``twistd host-cake``: the host's directory as a Twisted application.

::

    twistd [-n] host-cake [--directory-at-host=<HostPort JSON>]
                          [--directory-at-lan=<HostPort JSON>]
                          [--debug-level=<level>]

The same HOST tier as the console script, as a service of twistd's own: it
binds its address in ``privilegedStartService`` (so a port that is taken
stops twistd at start, the way Twisted's own servers do), logs through
Twisted's log, and stops with twistd.  ``--encrypted-directory`` is accepted
for the console script's sake and refused: encryption is not supported yet.
"""

from twisted.application import service
from twisted.logger import Logger
from twisted.python import usage

from ..types.argument import decode_argument
from ..runtime import log as L
from ..process import command_line as C
from .host_cake import ENCRYPTION_NOT_SUPPORTED, HostCake, host_tier

__all__ = ['Options', 'makeService', 'HostCakeService', 'TwistedLog']


class Options(usage.Options):
    synopsis = '[options]'
    longdesc = ('Run the directory of this host: the groups and processes of the host '
                'connect to it to publish and subscribe across groups.')

    optParameters = [
        ['directory-at-host', None, None, 'Where to accept groups and processes, a HostPort '
                                          'as JSON (default {"host": "127.0.0.1", '
                                          '"port": 54195}).'],
        ['directory-at-lan', None, None, 'lan-cake address, a HostPort as JSON.'],
        ['debug-level', None, 'CONSOLE', 'Directory logs at or above this level go to the '
                                         'log (NONE, FAULT, WARNING, CONSOLE, OBJECT, TRACE, '
                                         'DEBUG).'],
    ]
    optFlags = [
        ['encrypted-directory', None, 'Encrypt the directory connections (not supported '
                                      'yet).'],
    ]

    def postOptions(self):
        schema = C.schema_of(HostCake)
        for option in ('directory-at-host', 'directory-at-lan'):
            text = self[option]
            name = option.replace('-', '_')
            if text is None:
                self[name] = None
                continue
            try:
                self[name] = decode_argument(text, schema[name])
            except ValueError as e:
                raise usage.UsageError('cannot decode value for "%s" (%s)' % (option, e))
        if self['encrypted-directory']:
            raise usage.UsageError(ENCRYPTION_NOT_SUPPORTED)
        try:
            self['level'] = L.USER_LOG[self['debug-level']]
        except KeyError:
            raise usage.UsageError('unknown debug level "%s"' % (self['debug-level'],))


class TwistedLog(object):
    """The log methods a tier calls, written to Twisted's log at or above ``level``."""

    log = Logger(namespace='host-cake')

    def __init__(self, level=L.USER_LOG.CONSOLE):
        self.level = level

    def _emit(self, level, method, words):
        if level >= self.level:
            method(' '.join(str(w) for w in words).replace('{', '{{').replace('}', '}}'))

    def fault(self, *words):
        self._emit(L.USER_LOG.FAULT, self.log.critical, words)

    def warning(self, *words):
        self._emit(L.USER_LOG.WARNING, self.log.warn, words)

    def console(self, *words):
        self._emit(L.USER_LOG.CONSOLE, self.log.info, words)

    def trace(self, *words):
        self._emit(L.USER_LOG.TRACE, self.log.debug, words)


class HostCakeService(service.MultiService):
    """The HOST tier, bound before twistd starts the application."""

    name = 'host-cake'

    def __init__(self, directory_at_host=None, directory_at_lan=None,
                 level=L.USER_LOG.CONSOLE, reactor=None):
        service.MultiService.__init__(self)
        self.tier = host_tier(directory_at_host, directory_at_lan, log=TwistedLog(level),
                              reactor=reactor)
        self.tier.setServiceParent(self)

    def privilegedStartService(self):
        service.MultiService.privilegedStartService(self)
        failure = self.tier.listen_failure
        if failure is not None:
            failure.raiseException()


def makeService(options):
    """The service twistd runs for ``twistd host-cake``."""
    return HostCakeService(options['directory_at_host'], options['directory_at_lan'],
                           level=options['level'])
