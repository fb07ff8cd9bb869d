"""``twistd group-cake``: group-cake as a Twisted application.

::

    twistd [-n] group-cake [--home-path=<home>] [--retry=<RetryIntervals JSON>]
                           [--main-role=<role>] [--debug-level=<level>]
                           [--directory-at-host=<HostPort JSON>]
                           [--directory-at-lan=<HostPort JSON>]
                           [--encrypted-directory] [--directory-secret=<path>]
                           [<search>...]

The same main object as the console script runs inside twistd's reactor, as
role ``group`` of the home: the group's stored settings apply under the
options given here, and the group's lock is held while it runs.  Object logs
go to Twisted's log.  Roles run in the foreground manner (their logs on the
shared stderr) under ``twistd -n`` and in the background manner (rolling log
files in each role) when twistd daemonizes.  Stopping twistd stops the group.
"""

import os
import sys

from twisted.application import service
from twisted.internet import defer
from twisted.logger import Logger
from twisted.python import usage

from ..types import portable as P
from ..types.argument import decode_argument
from ..runtime import log as L
from ..runtime.point import enter, send
from ..runtime.messages import Stop
from ..runtime.start import start_up, tear_down
from ..process import command_line as C
from ..process import role as R
from ..process.home import GROUP_ROLE, Home
from .group_cake import GroupCake

__all__ = ['Options', 'makeService', 'GroupCakeService']


class Options(usage.Options):
    synopsis = '[options] [<search>...]'
    longdesc = ('Run the roles of a layer-cake home (those whose names a search matches at '
                'the start; every role when none is given) as one composite process.')

    optParameters = [
        ['home-path', None, None, 'The home folder (default .layer-cake).'],
        ['retry', None, None, 'Restart schedule, a RetryIntervals as JSON, '
                              'e.g. {"regular_steps": 30.0}.'],
        ['main-role', None, None, 'The role whose end ends the group.'],
        ['debug-level', None, 'CONSOLE', 'Object logs at or above this level go to the log '
                                         '(NONE, FAULT, WARNING, CONSOLE, OBJECT, TRACE, '
                                         'DEBUG).'],
        ['directory-at-host', None, None, 'host-cake address, a HostPort as JSON.'],
        ['directory-at-lan', None, None, 'lan-cake address, a HostPort as JSON.'],
        ['directory-secret', None, None, 'A file holding the shared secret every directory '
                                         'link must prove (default: the file '
                                         'LAYER_CAKE_DIRECTORY_SECRET names).'],
    ]
    optFlags = [
        ['encrypted-directory', None, 'Run the group directory links over mutual TLS.'],
    ]

    def parseArgs(self, *search):
        self['search'] = list(search)

    def postOptions(self):
        schema = C.schema_of(GroupCake)
        settings = {}
        for option in ('retry', 'main-role', 'directory-at-host', 'directory-at-lan',
                       'directory-secret'):
            text = self[option]
            if text is None:
                continue
            name = option.replace('-', '_')
            try:
                settings[name] = decode_argument(text, schema[name])
            except ValueError as e:
                raise usage.UsageError('cannot decode value for "%s" (%s)' % (option, e))
        if self['encrypted-directory']:
            settings['encrypted_directory'] = True
        try:
            self['level'] = L.USER_LOG[self['debug-level']]
        except KeyError:
            raise usage.UsageError('unknown debug level "%s"' % (self['debug-level'],))
        self['settings'] = settings


class GroupCakeService(service.Service):
    """Runs one GroupCake main object for as long as the service runs."""

    name = 'group-cake'
    log = Logger()

    def __init__(self, search, settings, home_path=None, level=L.USER_LOG.CONSOLE,
                 background=False, reactor=None):
        self.search = list(search)
        self.settings = dict(settings)
        self.home_path = os.path.abspath(home_path or R.DEFAULT_HOME)
        self.level = level
        self.background = background
        self._reactor = reactor
        self.address = None
        self.value = None
        self.role = None
        self._ended = defer.Deferred()
        self._stopping = False

    @property
    def reactor(self):
        if self._reactor is None:
            from twisted.internet import reactor
            self._reactor = reactor
        return self._reactor

    def startService(self):
        service.Service.startService(self)
        self.reactor.callWhenRunning(self._begin)

    def _begin(self):
        home = Home(self.home_path)
        role = R.Role(home.path, GROUP_ROLE, persistent=True,
                      executable=os.path.abspath(sys.argv[0]) if sys.argv else None)
        settings = dict(self.settings)
        if home.exists() and role.exists():
            stored = R.any_to_settings(role.settings())
            stored.update(settings)
            settings = stored
            if not role.take_lock():
                self.log.error('group-cake: role {path} is running', path=role.lock_path())
                self.reactor.stop()
                return
            self.role = role
        R.use(role)
        C.CL.origin = C.ProcessOrigin.START if self.background else C.ProcessOrigin.RUN
        C.CL.debug_level = self.level
        C.CL.home_path = home.path
        C.CL.role_name = GROUP_ROLE
        root = start_up(logs=L.TwistedSink(self.level), reactor=self.reactor)
        main = GroupCake(*self.search, **settings)
        self.address = enter(main, P.registration_of(GroupCake), root.object_address,
                             object_ending=self._main_ended)

    def _main_ended(self, value, parent_address, object_address):
        # Called while the runtime delivers a message; finish after it.
        self.address = None
        self.reactor.callLater(0, self._finish, value)

    def _finish(self, value):
        self.value = value
        self.log.info('group-cake: {result}', result=value)
        if self.role is not None:
            self.role.release_lock()
        tear_down()
        self._ended.callback(value)
        if not self._stopping and self.reactor.running:
            self.reactor.stop()

    def stopService(self):
        service.Service.stopService(self)
        self._stopping = True
        if self.address is None:
            return None
        send(Stop(), self.address, self.address)
        return self._ended.addCallback(lambda _: None)


def makeService(options):
    """The service twistd runs for ``twistd group-cake``."""
    parent = getattr(options, 'parent', None)
    background = parent is not None and not parent.get('nodaemon', False)
    return GroupCakeService(options['search'], options['settings'],
                            home_path=options['home-path'], level=options['level'],
                            background=background)
