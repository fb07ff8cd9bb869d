"""``layer-cake <verb> [<word>...] [--<name>=<value>...]``: the entry point.

The command is a plain program rather than an ``lc.create`` main object: most
verbs only read and write files, and a verb that runs processes (``run``,
``start``) hands the supervising to group-cake, so they need neither the
runtime nor a reactor.  Only ``network`` and ``ping`` start the runtime, to
take part in the directory while they run.  What the command shares with
every layer-cake program is the command line (the same parser and value
decoding, network.md §11.1) and the way it ends: a result on stdout, or one
line ``layer-cake: <condition> (<explanation>)`` on stderr and exit status 71.
"""

import os
import sys

from ..types import portable as P
from ..runtime.log import USER_LOG
from ..runtime.messages import Faulted
from ..process import command_line as C
from ..process.entry import FAULTY_EXIT, write_output
from . import (material_verbs, network_verbs, record_verbs, role_verbs,  # noqa: F401
               running_verbs)
from .verb import VERBS, Cli, Refused

__all__ = ['main', 'layer_cake']

PROGRAM = 'layer-cake'


def _global_flags(home_path: str = None, debug_level: USER_LOG = None, help: bool = False):
    """The flags every verb takes."""


GLOBAL = C.function_schema(_global_flags)


def _kind(portable):
    if isinstance(portable, P.Enumeration):
        return '|'.join(portable.element.__members__)
    return portable.signature()


def _flag_lines(schema):
    def long(name):
        bare = name.rstrip('_')
        return bare.replace('_', '-') + name[len(bare):]
    shorts = {}
    for name in schema:
        shorts.setdefault(C.initials(name), []).append(name)
    lines = []
    for name, p in schema.items():
        text = '--%s' % (long(name),)
        if not isinstance(p, P.Boolean):
            text += '=<%s>' % (_kind(p),)
        short = C.initials(name)
        if len(shorts[short]) == 1:
            text += ' (-%s)' % (short,)
        lines.append('  ' + text)
    return lines


# The order --help lists the verbs in: describe, run, look back.
ORDER = ('create', 'add', 'list', 'update', 'edit', 'delete', 'destroy', 'resource', 'model',
         'script', 'run', 'start', 'stop', 'status', 'history', 'returned', 'log', 'network',
         'ping')


def _place(name):
    return ORDER.index(name) if name in ORDER else len(ORDER)


def usage():
    lines = ['usage: %s <verb> [<word>...] [--<name>=<value>...]' % (PROGRAM,), '', 'verbs:']
    width = max(len(v) for v in VERBS)
    for name, v in sorted(VERBS.items(), key=lambda item: _place(item[0])):
        lines.append('  %-*s  %s' % (width, name, v.summary))
    lines += ['', 'flags of every verb:'] + _flag_lines(GLOBAL)
    lines += ['', 'see "%s <verb> --help" for the words and flags of a verb' % (PROGRAM,)]
    return '\n'.join(lines) + '\n'


def _names():
    return sorted(VERBS, key=_place)


def verb_usage(v):
    lines = ['usage: %s %s%s%s' % (PROGRAM, v.name, ' ' + v.words if v.words else '',
                                   ' [--<name>=<value>...]'), '', v.summary]
    schema = C.function_schema(v.function)
    if schema:
        lines += ['', 'flags:'] + _flag_lines(schema)
    if v.forwards:
        lines += ['', 'other flags are passed on as settings']
    lines += ['', 'flags of every verb:'] + _flag_lines(GLOBAL)
    return '\n'.join(lines) + '\n'


def parse(arguments):
    """(verb, Cli, keyword arguments) for a command line; Refused when it is not usable."""
    words, flags = C.break_arguments(arguments)
    try:
        given, flags = C.extract(GLOBAL, flags)
    except C.ArgumentError as e:
        raise Refused(e.condition, e.explanation)
    if given.get('help'):
        v = VERBS.get(words[0]) if words else None
        return ('help', v), None, {}
    if not words:
        raise Refused('no sub-command', 'one of %s' % (', '.join(_names()),))
    v = VERBS.get(words[0])
    if v is None:
        raise Refused('unknown sub-command "%s"' % (words[0],), 'one of %s' % (
            ', '.join(_names()),))
    schema = C.function_schema(v.function)
    try:
        C.check_collisions(GLOBAL, schema)
        kwargs, flags = C.extract(schema, flags)
        forwarded = []
        if v.forwards:
            forwarded = [arguments[f.position] for f in flags]
        else:
            C.unknown(flags)
    except C.ArgumentError as e:
        raise Refused(e.condition, e.explanation)
    words = words[1:]
    if len(words) < v.least or (v.most is not None and len(words) > v.most):
        raise Refused('wrong number of words for "%s"' % (v.name,), 'usage: %s %s %s' % (
            PROGRAM, v.name, v.words or '(none)'))
    cli = Cli(words, home_path=given.get('home_path'), debug_level=given.get('debug_level'),
              forwarded=forwarded)
    return v, cli, kwargs


def layer_cake(arguments, stdout=None, stderr=None):
    """Carry out one command line; returns the exit status."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        v, cli, kwargs = parse(arguments)
        if isinstance(v, tuple):
            stdout.write(verb_usage(v[1]) if v[1] is not None else usage())
            stdout.flush()
            return 0
        cli.stdout, cli.stderr = stdout, stderr
        value = v.function(cli, **kwargs)
    except Refused as e:
        value = Faulted(e.condition, e.explanation, exit_status=e.exit_status)
    except KeyboardInterrupt:
        value = Faulted('aborted', 'user or software interrupt')
    except Exception as e:
        # Never a traceback: the unexpected is still one line.
        value = Faulted('cannot complete command', '%s: %s' % (type(e).__name__, e))
    _, status = write_output(value, PROGRAM, stdout=stdout, stderr=stderr,
                             maps_as_objects=True)
    return status


def main():
    try:
        status = layer_cake(sys.argv[1:])
    except BrokenPipeError:
        # A reader (head, grep -q) went away; nothing more to say.
        status = FAULTY_EXIT
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except OSError:
            pass
    sys.exit(status)


if __name__ == '__main__':
    main()
