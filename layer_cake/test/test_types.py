"""The portable type system: hints, signatures, tags, registration, Any
(runtime.md §10 and §19 items 28-29)."""

import collections
import datetime
import enum
import typing
import uuid

from twisted.trial import unittest

import layer_cake as lc
from layer_cake.test.runtime_types import Person


class Colour(enum.Enum):
    RED = 1
    BLUE = 2


def hinted(self, a: int, b: dict[str, list[Person]], c: lc.TimeSpan, d: typing.Optional[float],
           e=None) -> list[list[float]]:
    return None


lc.bind(hinted)


class Annotated(object):
    when: datetime.datetime
    colour: Colour

    def __init__(self):
        self.when = None
        self.colour = Colour.RED


lc.bind(Annotated)


class Inferred(object):
    def __init__(self):
        self.count = 3
        self.ratio = 0.5
        self.name = 'x'
        self.tag = uuid.uuid4()
        self.person = Person()


lc.bind(Inferred)


class Explicit(object):
    def __init__(self, table: dict = None):
        self.table = table


lc.bind(Explicit, table=dict[str, int])


class RegistrationTests(unittest.SynchronousTestCase):

    def test_member_without_type(self):
        """Item 28: a member with no type information raises MessageRegistrationError naming it."""
        class Vague(object):
            def __init__(self):
                self.thing = None
        e = self.assertRaises(lc.MessageRegistrationError, lc.bind, Vague)
        self.assertEqual(str(e), 'cannot register "RegistrationTests.test_member_without_type.'
                                 '<locals>.Vague.thing" (not enough type information '
                                 'provided/discoverable)')

    def test_not_default_constructable(self):
        """Item 28: a class that cannot be built without arguments is refused."""
        class Needy(object):
            def __init__(self, x):
                self.x = x
        e = self.assertRaises(lc.MessageRegistrationError, lc.bind, Needy)
        self.assertIn('(not default constructable)', str(e))

    def test_def_type_identity(self):
        """Item 28: def_type(list[int]) is def_type(VectorOf(Integer8()))."""
        self.assertIs(lc.def_type(list[int]), lc.def_type(lc.VectorOf(lc.Integer8())))
        self.assertIs(lc.def_type(lc.VectorOf(int)), lc.def_type(list[int]))

    def test_hint_conversion(self):
        """Item 29: a function's parameter hints become the schema and `->` the return type."""
        r = lc.bind(hinted)
        from layer_cake.types.portable import registration_of
        r = registration_of(hinted)
        sig = {k: v.signature() for k, v in r.schema.items()}
        self.assertEqual(sig, {
            'a': 'integer8', 'b': 'map<unicode,vector<layer_cake.test.runtime_types.Person>>',
            'c': 'span', 'd': 'float8'})
        self.assertEqual(r.return_type.signature(), 'vector<vector<float8>>')

    def test_annotations_and_inference(self):
        """Class annotations, default-value inference and explicit keywords give member types."""
        from layer_cake.types.portable import registration_of
        self.assertEqual({k: v.signature() for k, v in registration_of(Annotated).schema.items()},
                         {'when': 'world', 'colour': 'layer_cake.test.test_types.Colour'})
        self.assertEqual({k: v.signature() for k, v in registration_of(Inferred).schema.items()},
                         {'count': 'integer8', 'ratio': 'float8', 'name': 'unicode',
                          'tag': 'uuid', 'person': 'layer_cake.test.runtime_types.Person'})
        self.assertEqual(registration_of(Explicit).schema['table'].signature(),
                         'map<unicode,integer8>')

    def test_unconvertible_hint(self):
        """def_type of an unconvertible hint raises `cannot convert hint`."""
        e = self.assertRaises(lc.PointConstructionError, lc.def_type, tuple[int, int])
        self.assertIn('cannot convert hint', str(e))
        self.assertRaises(lc.PointConstructionError, lc.def_type, lc.VectorOf)

    def test_lenient_parameter_hints(self):
        """An unusable parameter hint leaves the parameter untyped instead of failing the bind."""
        def loose(self, pair: tuple[int, int] = None, n: int = 0):
            return None
        r = lc.bind(loose)
        self.assertEqual(sorted(r.schema), ['n'])

    def test_bind_twice(self):
        """Binding an already bound message class again is a no-op."""
        self.assertIs(lc.bind(Person), lc.bind(Person))


class SignatureTests(unittest.SynchronousTestCase):

    def test_signatures(self):
        """Hints and portables give the signatures of §10.4."""
        cases = [
            (list[list[float]], 'vector<vector<float8>>'),
            (dict[uuid.UUID, Person], 'map<uuid,layer_cake.test.runtime_types.Person>'),
            (lc.ArrayOf(int, 4), 'array<integer8,4>'),
            (collections.deque[str], 'deque<unicode>'),
            (set[bytes], 'set<string>'),
            (lc.PointerTo(Person), 'pointer<layer_cake.test.runtime_types.Person>'),
            (bytearray, 'block'), (datetime.timedelta, 'delta'),
            (lc.ClockTime, 'clock'), (lc.Address, 'address'), (lc.Any, 'any'),
            (lc.Faulted, 'layer_cake.runtime.messages.Faulted'),
        ]
        for hint, signature in cases:
            self.assertEqual(lc.def_type(hint).signature(), signature)

    def test_tags(self):
        """Tags follow §10.5."""
        cases = [
            (list[int], 'list_int'), (list[list[float]], 'list_list_float'),
            (dict[uuid.UUID, Person], 'dict_UUID_Person'),
            (dict[str, list[Person]], 'dict_str_list_Person'),
            (lc.ArrayOf(int, 4), 'array_integer8_4'), (Colour, 'layer_cake.test.test_types_Colour'),
            (bool, 'bool'), (bytes, 'bytes'), (lc.TimeSpan, 'span'),
        ]
        for hint, tag in cases:
            self.assertEqual(lc.def_type(hint).tag(), tag)

    def test_signature_round_trip(self):
        """signature_to_portable parses back to the canonical instance."""
        for hint in (list[list[float]], dict[uuid.UUID, Person], lc.ArrayOf(int, 4), Colour):
            p = lc.def_type(hint)
            self.assertIs(lc.signature_to_portable(p.signature()), p)
        self.assertRaises(lc.PointConstructionError, lc.signature_to_portable, 'vector<nosuch.X>')

    def test_optional_spellings(self):
        """Optional[X] and X | None both convert like X."""
        self.assertIs(lc.def_type(typing.Optional[float]), lc.float_type)
        self.assertIs(lc.def_type(float | None), lc.float_type)


class AnyTests(unittest.SynchronousTestCase):

    def test_cast_to(self):
        """cast_to pairs a constructed value and leaves a registered instance alone."""
        p = Person()
        self.assertIs(lc.cast_to(p, lc.def_type(Person)), p)
        self.assertEqual(lc.cast_to([1], list[int]), ([1], lc.def_type(list[int])))

    def test_cast_back(self):
        """cast_back gives (value, portable) for all Any forms and refuses bare values."""
        self.assertEqual(lc.cast_back(None), (None, lc.Any()))
        p = Person()
        self.assertEqual(lc.cast_back(p), (p, lc.def_type(Person)))
        e = self.assertRaises(ValueError, lc.cast_back, [1])
        self.assertIn('cannot unroll', str(e))

    def test_message_to_tag(self):
        """message_to_tag names messages for logs."""
        self.assertEqual(lc.message_to_tag(None), '<none>')
        self.assertEqual(lc.message_to_tag(lc.Ack()), 'Ack')
        self.assertEqual(lc.message_to_tag(lc.cast_to([[1.0]], list[list[float]])),
                         'list_list_float')

    def test_make_and_fake(self):
        """make builds defaults and fake illustrative values of the right shape."""
        self.assertEqual(lc.make(list[int]), [])
        self.assertEqual(lc.make(lc.ArrayOf(int, 3)), [None, None, None])
        self.assertIsInstance(lc.make(Person), Person)
        f = lc.fake(dict[str, list[float]])
        self.assertEqual(list(f.values()), [[0.5]])

    def test_equal_to(self):
        """equal_to compares messages member by member."""
        self.assertTrue(lc.equal_to(Person('a', 1), Person('a', 1)))
        self.assertFalse(lc.equal_to(Person('a', 1), Person('a', 2)))
        self.assertTrue(lc.equal_to({'a': [Person('b')]}, {'a': [Person('b')]},
                                    dict[str, list[Person]]))

    def test_unbound_subclass_inherits(self):
        """An unbound subclass of a bound message is handled under its ancestor's registration."""
        class Special(lc.Ack):
            pass
        value, portable = lc.cast_back(Special())
        self.assertIs(portable, lc.def_type(lc.Ack))
