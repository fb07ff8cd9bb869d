"""What every verb of the ``layer-cake`` command shares: how it is declared,
what it is handed, and how it says no.

A verb is a plain function ``verb(cli, <flag>=<default>, ...)``: its hinted
keyword parameters are its flags, decoded by the same rules as any
layer-cake program (:mod:`layer_cake.process.command_line`), and ``cli`` is a
:class:`Cli` with the words, the home and the streams.  A verb either returns
(its output already written) or raises :class:`Refused`, which becomes the
one line ``layer-cake: <condition> (<explanation>)`` and exit status 71.
"""

import os
import sys

from ..process.home import Home, HomeError

__all__ = ['Cli', 'Refused', 'verb', 'VERBS']

# Every declared verb, by name, in the order of declaration.
VERBS = {}


class Refused(Exception):
    """A verb cannot do what it was asked; carries the fault's two parts."""

    def __init__(self, condition, explanation=None, exit_status=None):
        Exception.__init__(self, condition if explanation is None else '%s (%s)' % (
            condition, explanation))
        self.condition = condition
        self.explanation = explanation
        self.exit_status = exit_status


class Verb(object):
    """A function of the command table, with what ``--help`` says about it."""

    def __init__(self, function, words, least, most, forwards, summary):
        self.function = function
        self.name = function.__name__.rstrip('_')
        self.words = words              # usage text of the words, e.g. '<search>...'
        self.least = least              # fewest words accepted
        self.most = most                # most words accepted (None: any number)
        self.forwards = forwards        # unknown flags go on as settings
        self.summary = summary


def verb(words='', least=0, most=0, forwards=False):
    """Declare a verb taking between ``least`` and ``most`` words."""
    def declare(function):
        doc = (function.__doc__ or '').strip().splitlines()
        v = Verb(function, words, least, most, forwards, doc[0] if doc else '')
        VERBS[v.name] = v
        return function
    return declare


class Cli(object):
    """What a verb gets besides its flags."""

    def __init__(self, words, home_path=None, debug_level=None, forwarded=(), stdout=None,
                 stderr=None):
        self.words = list(words)
        self.home_path = home_path      # --home-path, or None
        self.debug_level = debug_level
        self.forwarded = list(forwarded)  # unknown flags, as written (create/add/update)
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr

    def home(self, path=None):
        """The home a verb works on: a word when the verb takes one, else --home-path."""
        return Home(path or self.home_path)

    def existing_home(self, path=None):
        """The home, checked to exist and be complete; Refused otherwise."""
        home = self.home(path)
        if not home.exists():
            # Said as condition and explanation, like every other fault.
            raise Refused('home "%s" does not exist' % (home.path,), 'not a folder' if
                          os.path.lexists(home.path) else 'no such folder')
        try:
            home.check()
        except HomeError as e:
            raise Refused(str(e))
        return home

    def write(self, line=''):
        self.stdout.write(line + '\n')


def refuse_if_running(home, names, doing):
    """The live-file rule (network.md §11.4): name the roles of ``names`` that run."""
    try:
        home.refuse_if_running(names, doing)
    except HomeError as e:
        raise Refused(str(e))


def select(home, patterns, group=False, sub_roles=False):
    """The roles a search selects; Refused for a bad pattern or when it selects nothing."""
    try:
        names = home.select(patterns, group, sub_roles)
    except HomeError as e:
        raise Refused(str(e))
    if patterns and not names:
        raise Refused('no roles matching "%s"' % (' '.join(patterns),))
    return names


def role_or_refuse(home, name):
    """``name`` when it is a role of ``home``."""
    if not home.has_role(name):
        raise Refused('no role "%s"' % (name,), 'in "%s"' % (home.path,))
    return name


def path_of(home, name, *rest):
    return os.path.join(home.path, 'role', name, *rest)
