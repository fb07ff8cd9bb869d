"""The codec's generated functions (codec.py, "The compiled path") against its
general walk: the same text, the same values and the same errors."""

import datetime
import itertools
import json
import uuid

from hypothesis import HealthCheck, given, settings, strategies as st
from twisted.trial import unittest

from layer_cake.directory import tier_protocol as TP
from layer_cake.directory.listing import (Publication, RouteOffer, RouteWithdrawal,
                                          Subscription, Withdrawn)
from layer_cake.directory.loop import LoopOpened, OpenLoop
from layer_cake.net import frame as F
from layer_cake.net.ipp import HostPort, ScopeOfDirectory
from layer_cake.test import codec_types as T
from layer_cake.test.test_codec import general_only
from layer_cake.types import codec as C
from layer_cake.types import portable as P
from layer_cake.types import registry as R
from layer_cake.types.codec import CodecJson

ANY = R.def_type(P.Any)
UTC = datetime.timezone.utc
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

codec = CodecJson()
pretty = CodecJson(pretty_format=True)


class Spot(object):
    """A class met inside another (as HostPort is)."""

    def __init__(self, host: str = None, port: int = None):
        self.host = host
        self.port = port

    def __eq__(self, other):
        return type(other) is Spot and vars(other) == vars(self)


R.bind_message(Spot)


class Mixed(object):
    """One member of each kind the generated functions take."""

    def __init__(self, ident: uuid.UUID = None, color: T.Color = None, spot: Spot = None,
                 name: str = None, flag: bool = False, count: int = 0, ratio: float = 0.0,
                 when: datetime.datetime = None, delta: datetime.timedelta = None,
                 span: P.TimeSpan = None, clock: P.ClockTime = None,
                 where: P.Address = None, to: P.TargetAddress = None):
        self.ident = ident
        self.color = color
        self.spot = spot or Spot()
        self.name = name
        self.flag = flag
        self.count = count
        self.ratio = ratio
        self.when = when
        self.delta = delta
        self.span = span
        self.clock = clock
        self.where = where
        self.to = to


R.bind_message(Mixed)
MIXED = R.def_type(Mixed).signature()


class Bare(object):
    """A message without members."""


R.bind_message(Bare)


class Looped(object):
    """A class that holds itself: left to the general path."""

    def __init__(self, name: str = None, next: 'Looped' = None):
        self.name = name
        self.next = next


R.bind_message(Looped)


def outcome(f, *args):
    """('ok', result) or ('error', what was raised): what a call gives, to compare two paths."""
    try:
        return 'ok', f(*args)
    except Exception as e:
        return 'error', '%s: %s' % (type(e).__name__, e)


def same_values(a, b):
    return type(a) is type(b) and vars(a) == vars(b)


uuids = st.uuids()
uuid_texts = st.one_of(uuids.map(str), uuids.map(lambda u: str(u).upper()),
                       uuids.map(lambda u: u.hex), uuids.map(lambda u: '{%s}' % (u,)),
                       uuids.map(lambda u: 'urn:uuid:%s' % (u,)),
                       uuids.map(lambda u: str(u)[:-1] + '_'),
                       uuids.map(lambda u: ' ' + str(u)[1:]),
                       uuids.map(lambda u: '+' + str(u)[1:]),
                       uuids.map(lambda u: str(u).replace('-', '_', 1)),
                       st.text(max_size=40))
anything = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6),
                     st.just(float('inf')), st.lists(st.integers(0, 9), max_size=3),
                     st.tuples(st.integers(0, 9)), uuids, st.sampled_from(T.Color),
                     st.sampled_from(ScopeOfDirectory), st.builds(Spot),
                     st.builds(Spot, st.text(max_size=4), st.integers()),
                     st.builds(HostPort, st.text(max_size=4), st.integers()),
                     st.datetimes(timezones=st.just(UTC)), st.datetimes(),
                     st.timedeltas(), st.binary(max_size=3), st.just(object()))
good = {
    'ident': st.none() | uuids, 'color': st.none() | st.sampled_from(T.Color),
    'spot': st.builds(Spot, st.none() | st.text(max_size=4), st.none() | st.integers()),
    'name': st.none() | st.text(max_size=8), 'flag': st.none() | st.booleans(),
    'count': st.none() | st.integers(), 'ratio': st.none() | st.floats(allow_nan=False),
    'when': st.none() | st.datetimes(timezones=st.just(UTC)),
    'delta': st.none() | st.timedeltas(), 'span': st.none() | st.floats(0, 1e6),
    'clock': st.none() | st.floats(0, 4e9),
    'where': st.none() | st.lists(st.integers(0, 99), max_size=3).map(tuple),
    'to': st.none() | st.lists(st.integers(0, 99), max_size=3).map(tuple),
}


@st.composite
def mixeds(draw):
    """A Mixed with good members, and now and then a bad one."""
    m = Mixed()
    for name, values in good.items():
        setattr(m, name, draw(st.one_of(values, anything) if draw(st.integers(0, 5)) == 0
                              else values))
    return m


class Book(object):
    """An address hook that numbers addresses from 1 on every encode."""

    def __init__(self):
        self.book = []

    def __call__(self, address):
        self.book.append([len(self.book) + 1, list(address)])
        return len(self.book)


class EncodeTest(unittest.TestCase):

    def test_classes_compiled(self):
        """The messages of publish -> Available take the generated functions."""
        values = [Mixed(uuid.uuid4(), T.Color.RED, Spot('a', 1)), Publication(uuid.uuid4()),
                  RouteOffer(uuid.uuid4()), OpenLoop('n'), LoopOpened(uuid.uuid4()),
                  Subscription(uuid.uuid4(), 'x'), RouteWithdrawal(uuid.uuid4()), Bare()]
        for v in values:
            text = C.encode_any(v)
            self.assertTrue(callable(C._text_out[type(v)]), type(v))
            pretty.encode(v, ANY)
            self.assertTrue(callable(C._flat_out[type(v)]), type(v))
            C.decode_any(text)
            C.decode_any(text)
            self.assertTrue(callable(C._flat_in[R.def_type(type(v)).signature()]), type(v))
        self.assertEqual(C.encode_any(Bare()), general_only(C.encode_any, Bare()))
        C.encode_any(T.Everything())
        self.assertIs(C._text_out[T.Everything], False)
        outcome(C.encode_any, Looped('a', Looped('b')))
        self.assertIs(C._text_out[Looped], False)

    @PROPERTY
    @given(mixeds())
    def test_encodings_identical(self, m):
        """Generated and general encoders give the same text, or the same error."""
        fast = outcome(codec.encode, m, ANY)
        self.assertEqual(fast, general_only(outcome, codec.encode, m, ANY))
        self.assertEqual(outcome(C.encode_any, m), fast)
        self.assertEqual(outcome(pretty.encode, m, ANY),
                         general_only(outcome, pretty.encode, m, ANY))

    def test_edge_values(self):
        """Special floats, big and negative ints, text needing escapes, every enum member."""
        values = [('ratio', x) for x in (float('nan'), float('inf'), -float('inf'), -0.0,
                                         1e300, 5e-324, 3, True, '1')]
        values += [('count', x) for x in (2 ** 70, -2 ** 70, -1, 0, False, 1.0)]
        values += [('name', x) for x in ('', 'naïve ☃ "q" \\ \n \x00 \ud800 %s %%', b'x')]
        values += [('color', x) for x in list(T.Color) + ['RED', 1]]
        values += [('where', x) for x in ((), (0,), [1, 2], (1, 'a'), (True,), 'ab')]
        values += [('when', x) for x in (datetime.datetime(2026, 1, 1),
                                         datetime.datetime(2026, 1, 1, tzinfo=UTC))]
        for name, x in values:
            m = Mixed(uuid.uuid4(), T.Color.RED, Spot('h', 1))
            setattr(m, name, x)
            for c in (codec, pretty):
                self.assertEqual(outcome(c.encode, m, ANY),
                                 general_only(outcome, c.encode, m, ANY), (name, x))

    @PROPERTY
    @given(mixeds())
    def test_encodings_with_hook_identical(self, m):
        """With an address hook too, and the hook is given the same addresses in turn."""
        one, two = Book(), Book()
        fast = outcome(C.encode_any, m, one)
        self.assertEqual(fast, general_only(outcome, C.encode_any, m, two))
        if fast[0] == 'ok':
            self.assertEqual(one.book, two.book)

    @PROPERTY
    @given(st.one_of(st.builds(RouteOffer, uuids, st.sampled_from(ScopeOfDirectory), uuids,
                               uuids, st.text(max_size=8), st.booleans(),
                               st.builds(HostPort, st.text(max_size=8), st.integers(0, 65535)),
                               uuids),
                     st.builds(Publication, uuids, st.text(max_size=8)),
                     st.builds(RouteWithdrawal, uuids, st.sampled_from(ScopeOfDirectory),
                               uuids, uuids, st.sampled_from(Withdrawn)),
                     st.builds(OpenLoop, st.text(max_size=8), st.sampled_from(ScopeOfDirectory),
                               uuids, uuids, uuids, st.lists(st.integers(1, 99), min_size=1,
                                                             max_size=3).map(tuple)),
                     st.builds(LoopOpened, uuids, st.lists(st.integers(1, 99), min_size=1,
                                                           max_size=3).map(tuple),
                               st.datetimes(timezones=st.just(UTC)))))
    def test_frames_identical(self, message):
        """A frame is the same bytes whichever way its body was made."""
        def frame():
            saved = F._keys
            F._keys = itertools.count(1)
            try:
                return F.encode_frame(message, (7,), (8, 9), 10)
            finally:
                F._keys = saved
        fast = frame()
        self.assertEqual(fast, general_only(frame))
        _, body, book = list(F.FrameParser().feed(fast))[0]
        back = F.read_body(body, F.read_book(book, 10, (11,)))
        slow = general_only(F.read_body, body, F.read_book(book, 10, (11,)))
        self.assertTrue(same_values(back, slow))


def member_word(name):
    """Good words of a Mixed member, and any word now and then."""
    bad = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6),
                    st.lists(st.integers(-1, 9), max_size=3), st.dictionaries(
                        st.sampled_from(['host', 'port', 'x']), st.integers() | st.text(),
                        max_size=3))
    words = {
        'ident': uuid_texts, 'color': st.sampled_from(['RED', 'BLUE', 'red', 'PURPLE']),
        'spot': st.fixed_dictionaries({'host': st.none() | st.text(max_size=4),
                                       'port': st.none() | st.integers()}),
        'name': st.text(max_size=6), 'flag': st.booleans(), 'count': st.integers(),
        'ratio': st.floats(allow_nan=False) | st.integers(),
        'when': st.sampled_from(['2026-11-29T16:00:00.25', '2026-11-29T16:00:00+02:00',
                                 '2026-11-29', 'yesterday']),
        'delta': st.sampled_from(['1:00:00', 'P1D', '0:00:01.5', 'x']),
        'span': st.sampled_from(['1h2m', '5s', '1.5s', 'x']),
        'clock': st.sampled_from(['2026-11-29T16:00:00', '1h', 'x']),
        'where': st.lists(st.integers(0, 99), max_size=3), 'to': st.lists(st.integers(0, 9)),
    }[name]
    return st.one_of(words, words, bad)


@st.composite
def mixed_words(draw):
    word = {}
    for name in Mixed().__dict__:
        if draw(st.integers(0, 30)) > 0:
            word[name] = draw(member_word(name))
    if draw(st.integers(0, 30)) == 0:
        word['extra'] = 1
    return word


class DecodeTest(unittest.TestCase):

    def setUp(self):
        general_only(C.decode_any, C.encode_any(Mixed()))        # the type has been met

    @PROPERTY
    @given(mixed_words(), st.booleans())
    def test_decodings_equal(self, word, book):
        """Generated and general decoders give equal values, or the same error."""
        text = json.dumps({'value': [MIXED, word, []]})
        hook = F._Inbound({k: (k,) for k in range(100)}) if book else None
        for decode in (lambda: C.decode_any(text, hook), lambda: codec.decode(text, ANY, hook)):
            fast = outcome(decode)
            slow = general_only(outcome, decode)
            self.assertEqual(fast[0], slow[0], (fast, slow))
            if fast[0] == 'ok':
                self.assertTrue(same_values(fast[1], slow[1]), (vars(fast[1]), vars(slow[1])))
            else:
                self.assertEqual(fast, slow)

    @PROPERTY
    @given(uuid_texts)
    def test_uuid_texts(self, text):
        """Every UUID text uuid.UUID reads is read as it reads it; the others are refused."""
        word = dict(vars(Mixed()), ident=text, spot={'host': None, 'port': None})
        value = outcome(C.decode_any, json.dumps({'value': [MIXED, word, []]}))
        try:
            expected = uuid.UUID(text)
        except ValueError:
            self.assertEqual(value[0], 'error')
            self.assertIn('not a UUID', value[1])
        else:
            self.assertEqual(value[0], 'ok')
            self.assertEqual(value[1].ident, expected)
            self.assertIs(type(value[1].ident), uuid.UUID)
            self.assertEqual(value[1].ident.is_safe, expected.is_safe)

    def test_offer_refused_as_before(self):
        """A malformed or mistyped offer is refused with the same error both ways."""
        good = C.encode_any(RouteOffer(uuid.uuid4(), ScopeOfDirectory.HOST, uuid.uuid4(),
                                       uuid.uuid4(), 'n', False, HostPort('h', 1),
                                       uuid.uuid4()))
        word = json.loads(good)['value']
        texts = [good, good[:-3], good.replace('"HOST"', '"NOWHERE"'),
                 good.replace('"port":1', '"port":"1"'), json.dumps(
                     {'value': [word[0], dict(word[1], route_id='nope'), []]}),
                 json.dumps({'value': [word[0], dict(word[1], ipp=None), []]}),
                 json.dumps({'value': [word[0], dict(word[1], scope=3), []]})]
        for text in texts:
            for _ in range(2):
                fast = outcome(TP.offer_from, text)
                slow = general_only(outcome, TP.offer_from, text)
                if fast[0] == 'ok':
                    self.assertTrue(same_values(fast[1], slow[1]))
                else:
                    self.assertEqual(fast, slow)
