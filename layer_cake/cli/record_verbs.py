"""Verbs that read what roles leave behind: ``history``, ``returned``, ``log``.

Every role keeps its last starts and stops with the value it returned
(``start_stop.json``) and, when it ran in the background, rolling log files
named by their UTC start time.  These verbs only read; they never need a role
to be stopped.
"""

import collections
import datetime
import json
import os
import re
import shutil
import time

from ..types import portable as P
from ..types.codec import CodecJson
from ..types.errors import CodecError
from ..types.timetext import text_to_span, text_to_world
from ..runtime.messages import TimedOut
from ..runtime.storage import File
from ..process import role as R
from ..process.home import GROUP_ROLE
from .spans import iso, now, short_span
from .verb import Refused, path_of, role_or_refuse, verb

__all__ = ['history', 'returned', 'log', 'read_history']

_ANY = P.Any()

# How far back --last=<period> goes.
PERIODS = {
    'MONTH': 30 * 86400.0, 'WEEK': 7 * 86400.0, 'DAY': 86400.0, 'HOUR': 3600.0,
    'MINUTE': 60.0, 'HALF': 1800.0, 'QUARTER': 900.0, 'TEN': 600.0, 'FIVE': 300.0,
}

RETURNED_POLL = 1.0

# The leading UTC time of a stored log line.
STAMP = re.compile(r'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}) (\S) ')
STAMP_WIDTH = 23


def read_history(home, name):
    """The role's start/stop records, oldest first; Refused naming the file."""
    path = path_of(home, name, 'start_stop')
    try:
        return list(File(path, R.HISTORY_TYPE).recover())
    except FileNotFoundError:
        return []
    except (OSError, CodecError, ValueError) as e:
        raise Refused('cannot read history "%s.json"' % (path,), str(e).splitlines()[0])


def type_name(value):
    return 'None' if value is None else type(value).__name__


def _span(a, b):
    return (b - a).total_seconds() if a is not None and b is not None else None


@verb(words='<role>', least=1, most=1)
def history(cli, long_listing: bool = False):
    """Print a role's remembered executions, oldest first."""
    home = cli.existing_home()
    name = role_or_refuse(home, cli.words[0])
    moment = now()
    for i, record in enumerate(read_history(home, name)):
        if long_listing:
            if record.stop is None:
                cli.write('[%d] %s ... ?' % (i, iso(record.start)))
            else:
                cli.write('[%d] %s ... %s (%s) %s' % (
                    i, iso(record.start), iso(record.stop),
                    short_span(_span(record.start, record.stop)), type_name(record.returned)))
        elif record.stop is None:
            cli.write('[%d] %s ago ... ?' % (i, short_span(_span(record.start, moment))))
        else:
            cli.write('[%d] %s ago ... %s (%s)' % (
                i, short_span(_span(record.start, moment)),
                short_span(_span(record.start, record.stop)), type_name(record.returned)))


def _pick(records, start):
    index = start if start is not None else -1
    try:
        return records[index], index in (-1, len(records) - 1)
    except IndexError:
        raise Refused('no execution [%d]' % (index,), '%d remembered' % (len(records),))


@verb(words='[<role>]', most=1)
def returned(cli, start: int = None, timeout: float = None):
    """Print the value a role returned (latest execution unless --start)."""
    home = cli.existing_home()
    name = role_or_refuse(home, cli.words[0] if cli.words else GROUP_ROLE)
    records = read_history(home, name)
    if not records:
        raise Refused('no executions of "%s"' % (name,), 'nothing returned yet')
    record, latest = _pick(records, start)
    deadline = None if timeout is None else time.monotonic() + timeout
    while record.stop is None:
        if not latest:
            raise Refused('nothing returned by "%s" [%s]' % (name, start),
                          'the execution ended without a record')
        if home.locked_head(name) is None:
            # Not running, and still no stop: it ended without recording one (killed).
            record, _ = _pick(read_history(home, name), start)
            if record.stop is None:
                raise Refused('nothing returned by "%s"' % (name,),
                              'the process ended without recording a value')
            break
        if deadline is not None and time.monotonic() >= deadline:
            return TimedOut()
        time.sleep(RETURNED_POLL if deadline is None else
                   max(0.0, min(RETURNED_POLL, deadline - time.monotonic())))
        record, _ = _pick(read_history(home, name), start)
    # A Faulted is shown like any value: the command itself has succeeded.
    text = CodecJson().encode(record.returned, _ANY)
    cli.write(json.dumps(json.loads(text)['value'][1], indent=4))


# Logs.

def _log_lines(folder):
    """(stamp, tag, line) of every stored line, oldest first; a line without a stamp
    (the rest of a long text) takes the stamp of the line before it."""
    try:
        names = sorted(n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n)))
    except FileNotFoundError:
        return
    stamp, tag = '', ''
    for n in names:
        try:
            with open(os.path.join(folder, n), encoding='utf-8', errors='replace') as f:
                for line in f:
                    line = line.rstrip('\n')
                    m = STAMP.match(line)
                    if m is not None:
                        stamp, tag = m.group(1), m.group(2)
                    yield stamp, tag, line
        except FileNotFoundError:
            continue        # rolled away while reading


def _world(text, what):
    try:
        return text_to_world(text)
    except Exception:
        raise Refused('cannot decode value for "%s"' % (what,), 'not a time "%s"' % (text,))


def _seconds(text, what):
    try:
        return text_to_span(text)
    except Exception:
        raise Refused('cannot decode value for "%s"' % (what,), 'not a span "%s"' % (text,))


def _sampled(name, lines, write):
    """Tab-separated values of the ``&`` lines logged as ``name (k=v,...)``."""
    keys = None
    prefix = ' - %s (' % (name,)
    for stamp, tag, line in lines:
        if tag != '&':
            continue
        at = line.find(prefix)
        if at < 0 or not line.endswith(')'):
            continue
        pairs = [p.partition('=') for p in line[at + len(prefix):-1].split(',')]
        if keys is None:
            keys = [k for k, _, _ in pairs]
            write('\t'.join(keys))
        write('\t'.join(v for _, _, v in pairs))


@verb(words='<role>', least=1, most=1)
def log(cli, clock: bool = False, tail: int = None, from_: str = None, last: str = None,
        start: int = None, back: str = None, to: str = None, span: str = None,
        count: int = None, sample: str = None, tags: str = None):
    """Print stored log lines of a role between a beginning and an ending."""
    home = cli.existing_home()
    name = role_or_refuse(home, cli.words[0])
    beginnings = [k for k, v in (('tail', tail), ('from_', from_), ('last', last),
                                 ('start', start), ('back', back)) if v is not None]
    endings = [k for k, v in (('to', to), ('span', span), ('count', count)) if v is not None]
    if len(beginnings) > 1:
        raise Refused('conflicting beginnings', ', '.join(beginnings))
    if len(endings) > 1:
        raise Refused('conflicting endings', ', '.join(endings))
    if sample is not None and tags is not None:
        raise Refused('conflicting options', 'sample, tags')
    if not beginnings:
        tail = max(1, shutil.get_terminal_size().lines - 2)

    begin = end = None
    moment = now()
    if from_ is not None:
        begin = _world(from_, 'from_')
    elif last is not None:
        if last.upper() not in PERIODS:
            raise Refused('cannot decode value for "last"', 'one of %s' % (', '.join(PERIODS),))
        begin = moment - datetime.timedelta(seconds=PERIODS[last.upper()])
    elif back is not None:
        begin = moment - datetime.timedelta(seconds=_seconds(back, 'back'))
    elif start is not None:
        records = read_history(home, name)
        record, _ = _pick(records, start)
        begin = record.start
        if not endings and record.stop is not None:
            end = record.stop
    if to is not None:
        end = _world(to, 'to')
    elif span is not None:
        if begin is None:
            raise Refused('cannot use --span', 'it needs a beginning time')
        end = begin + datetime.timedelta(seconds=_seconds(span, 'span'))
    if begin is not None and end is not None and end < begin:
        raise Refused('end before beginning', '%s < %s' % (iso(end), iso(begin)))

    low = iso(begin) if begin is not None else None
    high = iso(end) if end is not None else None
    lines = _log_lines(path_of(home, name, 'logs'))
    lines = ((s, t, line) for s, t, line in lines
             if (low is None or s >= low) and (high is None or s <= high))
    if tags is not None:
        lines = ((s, t, line) for s, t, line in lines if t in tags)
    if tail is not None:
        lines = iter(collections.deque(lines, maxlen=tail))
    if sample is not None:
        _sampled(sample, lines, cli.write)
        return
    written = 0
    for s, t, line in lines:
        if count is not None and written >= count:
            break
        if clock and s and line.startswith(s):
            stamp = datetime.datetime.strptime(s, '%Y-%m-%dT%H:%M:%S.%f').replace(
                tzinfo=datetime.timezone.utc)
            line = iso(stamp, local=True) + line[STAMP_WIDTH:]
        cli.write(line)
        written += 1
