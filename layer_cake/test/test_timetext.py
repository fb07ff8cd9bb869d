"""Time helpers and the text forms of WorldTime, TimeSpan, TimeDelta and ClockTime
(runtime.md §1 "Time helpers" and the time rows of §11.3)."""

import datetime
import math
import re
import time

from hypothesis import given, settings, strategies as st
from twisted.trial import unittest

from layer_cake.types import timetext as T
from layer_cake.types.errors import ConversionDecodeFailed, ConversionEncodeFailed

UTC = datetime.timezone.utc
FAST = settings(max_examples=200, deadline=None)


def offset(hours=0, minutes=0):
    return datetime.timezone(datetime.timedelta(hours=hours, minutes=minutes))


class Foreign(datetime.tzinfo):
    """A tzinfo that is not a datetime.timezone."""

    def utcoffset(self, dt):
        return datetime.timedelta(hours=1)

    def tzname(self, dt):
        return 'Foreign'

    def dst(self, dt):
        return datetime.timedelta(0)


zones = st.one_of(
    st.just(UTC),
    st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
        lambda m: datetime.timezone(datetime.timedelta(minutes=m))))

worlds = st.datetimes(min_value=datetime.datetime(1, 1, 2),
                      max_value=datetime.datetime(9999, 12, 30), timezones=zones)


def unambiguous(t):
    """True when the local time of t names one instant (not in a DST fold)."""
    whole = math.floor(t)
    return datetime.datetime.fromtimestamp(whole).replace(fold=0).timestamp() == whole


clocks = st.floats(min_value=0.0, max_value=4.0e9, allow_nan=False).filter(unambiguous)


class HelpersTest(unittest.TestCase):

    def test_world_now_is_aware_utc(self):
        """world_now() is an aware datetime in UTC, close to the system clock."""
        now = T.world_now()
        self.assertIs(now.tzinfo, UTC)
        self.assertLess(abs(now.timestamp() - time.time()), 5.0)

    def test_world_at(self):
        """world_at(y, m, d, ...) builds the aware UTC datetime of that moment."""
        self.assertEqual(T.world_at(2026, 11, 28, 12, 30, 15, 250),
                         datetime.datetime(2026, 11, 28, 12, 30, 15, 250, tzinfo=UTC))
        self.assertIs(T.world_at(2000, 1, 1).tzinfo, UTC)

    def test_clock_now(self):
        """clock_now() is float epoch seconds from the system clock."""
        now = T.clock_now()
        self.assertIsInstance(now, float)
        self.assertLess(abs(now - time.time()), 5.0)


class WorldTextTest(unittest.TestCase):

    def test_utc_has_no_suffix(self):
        """A UTC time is written YYYY-MM-DDTHH:MM:SS with no zone suffix."""
        self.assertEqual(T.world_to_text(T.world_at(2026, 1, 2, 3, 4, 5)), '2026-01-02T03:04:05')

    def test_offset_suffix(self):
        """A non-zero offset is written as +HHMM / -HHMM."""
        self.assertEqual(T.world_to_text(datetime.datetime(2026, 1, 2, 3, 4, 5,
                                                           tzinfo=offset(2))),
                         '2026-01-02T03:04:05+0200')
        self.assertEqual(T.world_to_text(datetime.datetime(2026, 1, 2, 3, 4, 5,
                                                           tzinfo=offset(-2, -30))),
                         '2026-01-02T03:04:05-0230')

    def test_microseconds(self):
        """Microseconds are written as .ffffff, and only when non-zero."""
        self.assertEqual(T.world_to_text(T.world_at(2026, 1, 2, 3, 4, 5, 60)),
                         '2026-01-02T03:04:05.000060')

    def test_naive_fails(self):
        """A naive datetime cannot be written: 'cannot represent a naive datetime'."""
        e = self.assertRaises(ConversionEncodeFailed, T.world_to_text,
                              datetime.datetime(2026, 1, 2))
        self.assertEqual(str(e), 'cannot represent a naive datetime')

    def test_foreign_tzinfo_fails(self):
        """A tzinfo that is not datetime.timezone cannot be written."""
        e = self.assertRaises(ConversionEncodeFailed, T.world_to_text,
                              datetime.datetime(2026, 1, 2, tzinfo=Foreign()))
        self.assertIn('not a datetime.timezone', str(e))

    def test_decode_without_zone_is_utc(self):
        """Text without a zone decodes as UTC."""
        d = T.text_to_world('2026-01-02T03:04:05')
        self.assertEqual(d, T.world_at(2026, 1, 2, 3, 4, 5))
        self.assertIs(d.tzinfo, UTC)

    def test_decode_offset(self):
        """+HHMM text decodes to a datetime.timezone of that offset."""
        d = T.text_to_world('2026-01-02T03:04:05.5+0200')
        self.assertEqual(d.utcoffset(), datetime.timedelta(hours=2))
        self.assertIsInstance(d.tzinfo, datetime.timezone)
        self.assertEqual(d.microsecond, 500000)

    def test_decode_garbage_fails(self):
        """Text that is not a time raises ConversionDecodeFailed."""
        for text in ['', 'yesterday', '2026-13-01T00:00:00', '2026-01-02T03:04:05+2500']:
            self.assertRaises(ConversionDecodeFailed, T.text_to_world, text)
        self.assertRaises(ConversionDecodeFailed, T.text_to_world, 12)

    @FAST
    @given(worlds)
    def test_round_trip(self, d):
        """Every aware datetime with a whole-minute datetime.timezone offset round-trips."""
        back = T.text_to_world(T.world_to_text(d))
        self.assertEqual(back, d)
        self.assertEqual(back.utcoffset(), d.utcoffset())


class SpanTextTest(unittest.TestCase):

    def test_examples(self):
        """93784.5 is 1d2h3m4.5s, zero is 0s, and whole units are left out when zero."""
        self.assertEqual(T.span_to_text(93784.5), '1d2h3m4.5s')
        self.assertEqual(T.span_to_text(0.0), '0s')
        self.assertEqual(T.span_to_text(3600.0), '1h')
        self.assertEqual(T.span_to_text(90), '1m30s')
        self.assertEqual(T.span_to_text(-0.25), '-0.25s')
        self.assertEqual(T.span_to_text(1e-7), '0.0000001s')

    def test_decode(self):
        """1d2h is 93600.0 (acceptance item 31); any subset of the units is accepted."""
        self.assertEqual(T.text_to_span('1d2h'), 93600.0)
        self.assertEqual(T.text_to_span('1d2h3m4.5s'), 93784.5)
        self.assertEqual(T.text_to_span('-90m'), -5400.0)
        self.assertEqual(T.text_to_span('0s'), 0.0)
        self.assertIsInstance(T.text_to_span('5s'), float)

    def test_bad(self):
        """Malformed spans and non-finite values are refused."""
        for text in ['', '-', '1x', '1.5h', 's', '1s2m', ' 1s']:
            self.assertRaises(ConversionDecodeFailed, T.text_to_span, text)
        for value in [float('nan'), float('inf'), 'x', True]:
            self.assertRaises(ConversionEncodeFailed, T.span_to_text, value)

    @FAST
    @given(st.floats(allow_nan=False, allow_infinity=False))
    def test_round_trip(self, value):
        """Every finite float comes back exactly, in the [-][Nd][Nh][Nm][N[.f]s] form."""
        text = T.span_to_text(value)
        self.assertRegex(text, r'^-?(\d+d)?(\d+h)?(\d+m)?(\d+(\.\d+)?s)?$')
        self.assertEqual(T.text_to_span(text), value)


class DeltaTextTest(unittest.TestCase):

    def test_examples(self):
        """1 day 5 s is 1:00:00:05; without days HH:MM:SS; fractions as .f."""
        self.assertEqual(T.delta_to_text(datetime.timedelta(days=1, seconds=5)), '1:00:00:05')
        self.assertEqual(T.delta_to_text(datetime.timedelta(minutes=90)), '01:30:00')
        self.assertEqual(T.delta_to_text(datetime.timedelta(seconds=-5.25)), '-00:00:05.25')

    def test_decode(self):
        """[-][D:]HH:MM:SS[.f] decodes to the timedelta."""
        self.assertEqual(T.text_to_delta('1:00:00:05'), datetime.timedelta(days=1, seconds=5))
        self.assertEqual(T.text_to_delta('-00:00:05.25'), datetime.timedelta(seconds=-5.25))
        self.assertEqual(T.text_to_delta('00:00:00.0000005'), datetime.timedelta(microseconds=0))

    def test_bad(self):
        """Malformed deltas raise ConversionDecodeFailed; non-timedeltas ConversionEncodeFailed."""
        for text in ['', '5', '1:2', '00:00:0x', '--00:00:01']:
            self.assertRaises(ConversionDecodeFailed, T.text_to_delta, text)
        self.assertRaises(ConversionEncodeFailed, T.delta_to_text, 5)

    @FAST
    @given(st.timedeltas())
    def test_round_trip(self, value):
        """Every timedelta round-trips."""
        self.assertEqual(T.text_to_delta(T.delta_to_text(value)), value)


class ClockTextTest(unittest.TestCase):

    def test_form(self):
        """A clock is written as local time YYYY-MM-DDTHH:MM:SS[.f] without a zone."""
        t = time.mktime((2026, 1, 2, 3, 4, 5, 0, 0, -1)) + 0.25
        self.assertEqual(T.clock_to_text(t), '2026-01-02T03:04:05.25')
        self.assertEqual(T.text_to_clock('2026-01-02T03:04:05.25'), t)

    def test_negative_fails(self):
        """A negative clock cannot be represented."""
        self.assertRaises(ConversionEncodeFailed, T.clock_to_text, -1.0)
        self.assertRaises(ConversionEncodeFailed, T.clock_to_text, float('nan'))

    def test_bad(self):
        """Malformed clock text raises ConversionDecodeFailed."""
        for text in ['', 'now', '2026-01-02T03:04', '2026-01-02T03:04:05+0200']:
            self.assertRaises(ConversionDecodeFailed, T.text_to_clock, text)

    @FAST
    @given(clocks)
    def test_round_trip(self, value):
        """Every non-negative float clock (outside a DST fold) comes back exactly."""
        text = T.clock_to_text(value)
        self.assertTrue(re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$', text), text)
        self.assertEqual(T.text_to_clock(text), value)
