"""Short texts of time for people reading a terminal: ``7h``, ``5.2s``, ``3d``."""

import datetime

__all__ = ['short_span', 'round_trip', 'now', 'iso']


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def short_span(seconds):
    """The largest whole unit of a span, with a decimal only below a minute."""
    if seconds is None:
        return '?'
    seconds = max(0.0, float(seconds))
    for unit, size in (('d', 86400), ('h', 3600), ('m', 60)):
        if seconds >= size:
            return '%d%s' % (seconds // size, unit)
    return '%.1fs' % (seconds,)


def round_trip(seconds):
    """A short span that still says something below a second: ``850us``, ``2.4ms``."""
    if seconds is None:
        return '?'
    seconds = max(0.0, float(seconds))
    if seconds < 0.001:
        return '%dus' % (round(seconds * 1e6),)
    if seconds < 1.0:
        return '%.1fms' % (seconds * 1e3,)
    return short_span(seconds)


def iso(when, local=False):
    """ISO text of an aware datetime, to the millisecond; local time with a lower-case t."""
    if local:
        when = when.astimezone()
        text = when.strftime('%Y-%m-%dt%H:%M:%S.') + '%03d' % (when.microsecond // 1000,)
        return text
    when = when.astimezone(datetime.timezone.utc)
    return when.strftime('%Y-%m-%dT%H:%M:%S.') + '%03d' % (when.microsecond // 1000,)
