"""What ``twistd host-cake`` and ``twistd lan-cake`` have in common.

A tier under twistd is a service of twistd's own: :class:`TierService` binds
the tier's address in ``privilegedStartService`` (so a port that is taken
stops twistd at start, the way Twisted's own servers do), the tier logs
through Twisted's log (:class:`TwistedLog`), and it stops with twistd.  The
options of each plugin decode their HostPort flags with the types of the
console program's parameters (:func:`decode_host_ports`) and take
``--debug-level`` (:func:`decode_level`), ``--directory-secret``
(:data:`SECRET_OPTION`, read into ``secret``) and ``--encrypted-directory``
with ``--tls-folder`` (:data:`ENCRYPTED_FLAG`, :data:`TLS_FOLDER_OPTION`, the
material read into ``tls``).
"""

from twisted.application import service
from twisted.logger import Logger
from twisted.python import usage

from ..types.argument import decode_argument
from ..runtime import log as L
from ..process import command_line as C
from .link_tls import LinkTLSError, link_tls
from .secret import SecretError, configured_secret

__all__ = ['TwistedLog', 'TierService', 'TierOptions', 'DEBUG_LEVEL_OPTION', 'SECRET_OPTION',
           'ENCRYPTED_FLAG', 'TLS_FOLDER_OPTION']

DEBUG_LEVEL_OPTION = ['debug-level', None, 'CONSOLE',
                      'Directory logs at or above this level go to the log (NONE, FAULT, '
                      'WARNING, CONSOLE, OBJECT, TRACE, DEBUG).']

SECRET_OPTION = ['directory-secret', None, None,
                 'A file holding the shared secret every directory link must prove '
                 '(default: the file LAYER_CAKE_DIRECTORY_SECRET names; none: no secret).']

ENCRYPTED_FLAG = ['encrypted-directory', None,
                  'Run every directory link over mutual TLS (certificates of the CA in the '
                  'TLS folder at both ends).']

TLS_FOLDER_OPTION = ['tls-folder', None, None,
                     'The folder of TLS key material (default: $LC_TLS_FOLDER, else '
                     '~/.layer-cake-tls; made when empty).']


class TierOptions(usage.Options):
    """Options of a tier plugin: each flag of ``addresses`` (``directory-at-...``) is
    decoded with the type of the matching parameter of ``program`` (the console
    program's main object) and kept under the parameter's name (None when not
    given); ``--debug-level`` becomes a log level under ``level``."""

    synopsis = '[options]'
    program = None
    addresses = ()
    optFlags = [ENCRYPTED_FLAG]

    def postOptions(self):
        schema = C.schema_of(self.program)
        for flag in self.addresses:
            text = self[flag]
            name = flag.replace('-', '_')
            if text is None:
                self[name] = None
                continue
            try:
                self[name] = decode_argument(text, schema[name])
            except ValueError as e:
                raise usage.UsageError('cannot decode value for "%s" (%s)' % (flag, e))
        try:
            self['level'] = L.USER_LOG[self['debug-level']]
        except KeyError:
            raise usage.UsageError('unknown debug level "%s"' % (self['debug-level'],))
        try:
            self['secret'] = configured_secret(self.get('directory-secret'))
        except SecretError as e:
            raise usage.UsageError(str(e))
        try:
            self['tls'] = link_tls(self['encrypted-directory'],
                                   folder=self.get('tls-folder'))
        except LinkTLSError as e:
            raise usage.UsageError(str(e))


class TwistedLog(object):
    """The log methods a tier calls, written to Twisted's log at or above ``level``."""

    def __init__(self, level=L.USER_LOG.CONSOLE, namespace='host-cake'):
        self.level = level
        self.log = Logger(namespace=namespace)

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


class TierService(service.MultiService):
    """A tier made by ``make_tier(log)``, bound before twistd starts the application."""

    def __init__(self, name, make_tier, level=L.USER_LOG.CONSOLE):
        service.MultiService.__init__(self)
        self.name = name
        log = TwistedLog(level, namespace=name)
        self.tier = make_tier(log)
        if self.tier.tls is not None:
            self.tier.tls.log = log
        self.tier.setServiceParent(self)

    def privilegedStartService(self):
        service.MultiService.privilegedStartService(self)
        failure = self.tier.listen_failure
        if failure is not None:
            failure.raiseException()
