"""Time helpers and the text forms of the four time types.

The codec writes times as text, and the command line reads them the same way:

* WorldTime (aware ``datetime``): ISO 8601 ``YYYY-MM-DDTHH:MM:SS[.ffffff]``
  followed by ``+HHMM``/``-HHMM`` unless the offset is zero (UTC is written
  without a suffix, and text without a zone is read as UTC).
* TimeSpan (float seconds): ``[-][Nd][Nh][Nm][N[.f]s]``, zero is ``0s``.
* TimeDelta (``timedelta``): ``[-][D:]HH:MM:SS[.f]``.
* ClockTime (float epoch seconds): local time ``YYYY-MM-DDTHH:MM:SS[.f]``,
  no zone.

The float forms round-trip exactly: the fraction of a second is written with
as many digits as the float needs.  (A local ClockTime in the hour repeated
when daylight saving ends is ambiguous in its text; it reads back as the
first of the two.)  Failures raise :class:`ConversionDecodeFailed` or
:class:`ConversionEncodeFailed` with a short reason.
"""

import datetime
import decimal
import math
import re
import time

from .errors import ConversionDecodeFailed, ConversionEncodeFailed

__all__ = ['world_now', 'world_at', 'clock_now', 'text_to_world', 'world_to_text',
           'text_to_span', 'span_to_text', 'text_to_delta', 'delta_to_text',
           'text_to_clock', 'clock_to_text']

UTC = datetime.timezone.utc
_timezone = datetime.timezone
_datetime = datetime.datetime
_timedelta = datetime.timedelta


# Public helpers.

def world_now():
    """The current time as an aware UTC datetime."""
    return _datetime.now(UTC)


def world_at(year, month, day, hour=0, minute=0, second=0, microsecond=0):
    """The aware UTC datetime of the given calendar date and time of day."""
    return _datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def clock_now():
    """The current time as float seconds since the epoch (``time.time()``)."""
    return time.time()


# Fractions of a second, exactly.
#
# A float with a fraction is written with the digits of its shortest repr
# (for a non-integral float the integer part of that repr is its floor), and
# read back by parsing one decimal text ``<integer>.<digits>``, so the only
# rounding is float()'s own: every finite float comes back unchanged.

def _fraction(value):
    """The digits after the point in the shortest decimal form of a non-integral float."""
    text = repr(value)
    if 'e' in text:
        text = format(decimal.Decimal(text), 'f')
    return text[text.index('.') + 1:]


def _add_exactly(whole, text):
    """float(whole + text) for an int and a decimal text, with a single rounding."""
    ip, _, fp = text.partition('.')
    return float('%d.%s' % (whole + int(ip or 0), fp or '0'))


# WorldTime.

_from_iso = _datetime.fromisoformat


def world_to_text(value):
    """The ISO 8601 text of an aware datetime whose tzinfo is a datetime.timezone."""
    tz = value.tzinfo
    if type(tz) is not _timezone:
        if tz is None:
            raise ConversionEncodeFailed('cannot represent a naive datetime')
        raise ConversionEncodeFailed(
            'cannot represent zone "%s" (not a datetime.timezone)' % (tz,))
    text = value.isoformat()            # ends in +HH:MM (the offset is checked below)
    if tz is UTC:
        return text[:-6]
    offset = tz.utcoffset(None)
    if not offset:
        return text[:-6]
    if offset.seconds % 60 or offset.microseconds:
        raise ConversionEncodeFailed('cannot represent an offset of %s' % (offset,))
    return text[:-6] + text[-6:-3] + text[-2:]


def text_to_world(text):
    """The aware datetime of an ISO 8601 text; text without a zone is UTC.

    Besides the form written by world_to_text, the other ISO 8601 forms that
    ``datetime.fromisoformat`` reads are accepted (``Z``, ``+HH:MM``, a date).
    """
    if type(text) is not str:
        raise ConversionDecodeFailed('not a world time "%s"' % (text,))
    try:
        value = _from_iso(text)
    except ValueError:
        raise ConversionDecodeFailed('not a world time "%s"' % (text,))
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# TimeSpan.

_SPAN = re.compile(r'(-)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d*)?|\.\d+)s)?\Z')


def span_to_text(value):
    """The ``[-][Nd][Nh][Nm][N[.f]s]`` text of a span of float seconds."""
    if type(value) is not float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConversionEncodeFailed('not a span "%r"' % (value,))
        value = float(value)
    if not math.isfinite(value):
        raise ConversionEncodeFailed('cannot represent a span of %r' % (value,))
    sign = ''
    if value < 0:
        sign, value = '-', -value
    whole = math.floor(value)
    minutes, s = divmod(whole, 60)
    hours, m = divmod(minutes, 60)
    d, h = divmod(hours, 24)
    parts = [sign]
    if d:
        parts.append('%dd' % d)
    if h:
        parts.append('%dh' % h)
    if m:
        parts.append('%dm' % m)
    if whole != value:
        parts.append('%d.%ss' % (s, _fraction(value)))
    elif s or len(parts) == 1:
        parts.append('%ds' % s)
    return ''.join(parts)


def text_to_span(text):
    """The float seconds of a ``[-][Nd][Nh][Nm][N[.f]s]`` text."""
    m = _SPAN.match(text) if type(text) is str else None
    if m is None or m.lastindex is None or m.lastindex == 1 and m.group(1):
        raise ConversionDecodeFailed('not a span "%s"' % (text,))
    sign, d, h, mi, s = m.groups()
    whole = int(d or 0) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60
    if not s:
        value = float(whole)
    elif not whole:
        value = float(s)
    else:
        value = _add_exactly(whole, s)
    return -value if sign else value


# TimeDelta.

_DELTA = re.compile(r'(-)?(?:(\d+):)?(\d+):(\d\d):(\d\d)(?:\.(\d+))?\Z')


def delta_to_text(value):
    """The ``[-][D:]HH:MM:SS[.f]`` text of a timedelta."""
    if not isinstance(value, _timedelta):
        raise ConversionEncodeFailed('not a timedelta "%r"' % (value,))
    sign = ''
    if value.days < 0:
        sign, value = '-', -value
    minutes, s = divmod(value.seconds, 60)
    h, m = divmod(minutes, 60)
    if value.days:
        text = '%s%d:%02d:%02d:%02d' % (sign, value.days, h, m, s)
    else:
        text = '%s%02d:%02d:%02d' % (sign, h, m, s)
    if value.microseconds:
        text = '%s.%s' % (text, ('%06d' % value.microseconds).rstrip('0'))
    return text


def text_to_delta(text):
    """The timedelta of a ``[-][D:]HH:MM:SS[.f]`` text."""
    m = _DELTA.match(text) if type(text) is str else None
    if m is None:
        raise ConversionDecodeFailed('not a delta "%s"' % (text,))
    sign, d, h, mi, s, f = m.groups()
    if f:
        if len(f) <= 6:
            micro = int(f.ljust(6, '0'))
        else:
            micro = int(decimal.Decimal('0.' + f).scaleb(6).to_integral_value())
    else:
        micro = 0
    try:
        value = _timedelta(days=int(d or 0), hours=int(h), minutes=int(mi),
                           seconds=int(s), microseconds=micro)
    except OverflowError as e:
        raise ConversionDecodeFailed('not a delta "%s" (%s)' % (text, e))
    return -value if sign else value


# ClockTime.

_CLOCK = re.compile(r'(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?\Z')


def clock_to_text(value):
    """The local-time text (no zone) of float epoch seconds."""
    if type(value) is not float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConversionEncodeFailed('not a clock "%r"' % (value,))
        value = float(value)
    if not math.isfinite(value):
        raise ConversionEncodeFailed('cannot represent a clock of %r' % (value,))
    if value < 0:
        raise ConversionEncodeFailed('cannot represent a negative clock')
    whole = math.floor(value)
    try:
        t = time.localtime(whole)
    except (OverflowError, OSError, ValueError) as e:
        raise ConversionEncodeFailed('cannot represent a clock of %r (%s)' % (value, e))
    text = '%04d-%02d-%02dT%02d:%02d:%02d' % t[:6]
    if whole != value:
        text = '%s.%s' % (text, _fraction(value))
    return text


def text_to_clock(text):
    """The float epoch seconds of a local-time text."""
    m = _CLOCK.match(text) if type(text) is str else None
    if m is None:
        raise ConversionDecodeFailed('not a clock "%s"' % (text,))
    y, mo, d, h, mi, s, f = m.groups()
    try:
        whole = _datetime(int(y), int(mo), int(d), int(h), int(mi), int(s)).timestamp()
    except (ValueError, OverflowError, OSError) as e:
        raise ConversionDecodeFailed('not a clock "%s" (%s)' % (text, e))
    value = _add_exactly(int(whole), '.' + f) if f else whole
    if value < 0:
        raise ConversionDecodeFailed('cannot represent a negative clock')
    return value
