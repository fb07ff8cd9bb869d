"""Object logs: levels, tags, records and the sinks that render them.

Every record an object logs goes through ``twisted.logger`` (a publisher of
our own, so a Twisted application can add observers) and is rendered in the
layer-cake line format.  Records below the active sink's level are never
built: ``threshold`` is read on the hot path before any formatting happens.

``twisted.logger`` is imported with the first sink (at start-up), not with
this module: a program that never starts the runtime, such as most verbs of
the ``layer-cake`` command, then imports no Twisted at all.
"""

import datetime
import enum
import os
import sys
import threading
import time

from ..types import registry
from ..types import portable as P


class USER_LOG(enum.IntEnum):
    NONE = 100
    FAULT = 6
    WARNING = 5
    CONSOLE = 4
    OBJECT = 3
    TRACE = 2
    DEBUG = 1


class USER_TAG(enum.Enum):
    CREATED = '+'
    DESTROYED = 'X'
    SENT = '>'
    RECEIVED = '<'
    STARTED = '('
    ENDED = ')'
    FAULT = '!'
    WARNING = '?'
    CONSOLE = '^'
    TRACE = '~'
    DEBUG = '_'
    SAMPLE = '&'
    CHECK = '='


TAG_LEVEL = {
    USER_TAG.CREATED: USER_LOG.OBJECT, USER_TAG.DESTROYED: USER_LOG.OBJECT,
    USER_TAG.SENT: USER_LOG.OBJECT, USER_TAG.RECEIVED: USER_LOG.OBJECT,
    USER_TAG.STARTED: USER_LOG.OBJECT, USER_TAG.ENDED: USER_LOG.OBJECT,
    USER_TAG.FAULT: USER_LOG.FAULT, USER_TAG.WARNING: USER_LOG.WARNING,
    USER_TAG.CONSOLE: USER_LOG.CONSOLE, USER_TAG.TRACE: USER_LOG.TRACE,
    USER_TAG.DEBUG: USER_LOG.DEBUG, USER_TAG.SAMPLE: USER_LOG.TRACE,
    USER_TAG.CHECK: USER_LOG.WARNING,
}

# Twisted's level for each of ours (filled with the publisher, below).
_TWISTED_LEVEL = {}


class PointLog(object):
    """One log record: when, what kind, which object, and the text."""

    def __init__(self, stamp: P.ClockTime = None, tag: USER_TAG = USER_TAG.CONSOLE,
                 address: P.Address = None, name: str = None, state: str = None,
                 text: str = None):
        self.stamp = stamp
        self.tag = tag
        self.address = address
        self.name = name
        self.state = state
        self.text = text


registry.bind_message(PointLog, copy_before_sending=False)


def render(record, pid=True):
    """The layer-cake line for a record."""
    when = datetime.datetime.fromtimestamp(record.stamp, datetime.timezone.utc)
    stamp = when.strftime('%Y-%m-%dT%H:%M:%S.') + '%03d' % (when.microsecond // 1000,)
    state = '[%s]' % (record.state,) if record.state else ''
    address = record.address[-1] if record.address else 0
    line = '%s %s <%08x>%s%s - %s' % (stamp, record.tag.value, address, record.name, state,
                                       record.text)
    if pid:
        return '[%08d] %s' % (os.getpid(), line)
    return line


class Sink(object):
    """Where records at or above ``level`` go; an ILogObserver."""

    level = USER_LOG.NONE

    def __call__(self, event):
        record = event.get('lc_record')
        if record is not None and TAG_LEVEL[record.tag] >= self.level:
            self.write(record)

    def write(self, record):
        pass


class StreamSink(Sink):
    """Render records onto a text stream (stderr by default), one line each."""

    def __init__(self, level=USER_LOG.DEBUG, stream=None, pid=True):
        self.level = USER_LOG(level)
        self.stream = stream
        self.pid = pid
        self.lock = threading.Lock()

    def write(self, record):
        stream = self.stream or sys.stderr
        line = render(record, self.pid) + '\n'
        with self.lock:
            stream.write(line)
            stream.flush()


class NowhereSink(Sink):
    """Discard everything."""


class TwistedSink(Sink):
    """Hand records on to Twisted's global log publisher (for twistd and apps)."""

    def __init__(self, level=USER_LOG.CONSOLE):
        from twisted.logger import globalLogPublisher
        _make_publisher()
        self.level = USER_LOG(level)
        self.publish = globalLogPublisher

    def write(self, record):
        self.publish({
            'log_namespace': 'layer_cake', 'log_level': _TWISTED_LEVEL[TAG_LEVEL[record.tag]],
            'log_time': record.stamp, 'log_format': '{lc_line}',
            'lc_line': render(record, pid=False), 'log_system': 'layer_cake'})


log_to_stderr = StreamSink(USER_LOG.DEBUG)
log_to_nowhere = NowhereSink()


def select_logs(level):
    """A sink writing records at or above ``level`` to stderr."""
    if not isinstance(level, USER_LOG):
        level = USER_LOG[level] if isinstance(level, str) else USER_LOG(level)
    if level == USER_LOG.NONE:
        return log_to_nowhere
    return StreamSink(level)


# The publisher every record goes through (made by the first use_sink), and
# the active threshold.
publisher = None
_sink = None
threshold = USER_LOG.NONE


def _make_publisher():
    global publisher
    if publisher is None:
        from twisted.logger import LogLevel, LogPublisher
        _TWISTED_LEVEL.update({
            USER_LOG.FAULT: LogLevel.critical, USER_LOG.WARNING: LogLevel.warn,
            USER_LOG.CONSOLE: LogLevel.info, USER_LOG.OBJECT: LogLevel.debug,
            USER_LOG.TRACE: LogLevel.debug, USER_LOG.DEBUG: LogLevel.debug,
        })
        publisher = LogPublisher()
    return publisher


def use_sink(sink):
    """Make ``sink`` the one observer of object logs."""
    global _sink, threshold
    if _sink is not None:
        publisher.removeObserver(_sink)
    _sink = sink
    if sink is None:
        threshold = USER_LOG.NONE
        return
    _make_publisher().addObserver(sink)
    threshold = getattr(sink, 'level', USER_LOG.DEBUG)


def emit(tag, address, name, state, text):
    """Build and publish one record (callers check ``threshold`` first)."""
    record = PointLog(time.time(), tag, address, name, state, text)
    publish = publisher if publisher is not None else _make_publisher()
    publish({'log_namespace': 'layer_cake', 'log_level': _TWISTED_LEVEL[TAG_LEVEL[tag]],
             'log_time': record.stamp, 'log_format': '{lc_line}', 'lc_record': record,
             'lc_line': text})


def words_to_text(words, kv):
    """The text of a user log call: words joined by a space, then (k=v,k=v)."""
    text = ' '.join(str(w) for w in words)
    if kv:
        pairs = ','.join('%s=%s' % (k, v) for k, v in kv.items())
        text = '%s (%s)' % (text, pairs) if text else pairs
    return text
