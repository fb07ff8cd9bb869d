"""The JSON codec (runtime.md §11 and §19 items 26-27): shipments, the word of
every portable type, pointers, Any, Incognito, errors, and property tests."""

import collections
import datetime
import json
import math
import re
import uuid

from hypothesis import HealthCheck, given, settings, strategies as st
from twisted.trial import unittest

from layer_cake.test import codec_types as T
from layer_cake.types import codec as C
from layer_cake.types import portable as P
from layer_cake.types import registry as R
from layer_cake.types.codec import CodecJson, value_to_word, word_to_value
from layer_cake.types.errors import CodecError, CodecRuntimeError, CodecUsageError
from layer_cake.types.incognito import Incognito, TypeNotBound

UTC = datetime.timezone.utc
PLUS2 = datetime.timezone(datetime.timedelta(hours=2))
ANY = R.def_type(P.Any)
ALIAS = re.compile(r'^(\d+):([0-9a-f-]{36})$')
PROPERTY = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

codec = CodecJson()


def round_trip(value, portable, codec=codec):
    return codec.decode(codec.encode(value, portable), portable)


def shipment(text):
    return json.loads(text)


def everything():
    """An Everything with a value in every member (acceptance item 27)."""
    return T.Everything(
        flag=True, count=-7, ratio=0.25, name='naïve ☃', raw=b'hi\n\xff',
        block=bytearray(b'\x00\x01binary'),
        when=datetime.datetime(2026, 11, 28, 12, 30, 15, 250, tzinfo=PLUS2),
        delta=datetime.timedelta(days=1, seconds=5),
        ident=uuid.UUID('12345678-1234-5678-1234-567812345678'), color=T.Color.BLUE,
        span=93784.5, clock=1700000000.25, table={'a': 1, 'b': 2}, tags={3, 1, 2},
        people=[T.Person('ann', 31), T.Person('bob', None)], kind=T.Person,
        thing=R.cast_to([[0.5]], list[list[float]]), where=(1, 2, 3),
        by_id={uuid.UUID(int=5): T.Person('cy', 5)})


class AcceptanceTest(unittest.TestCase):

    def test_item_26_exact_encoding(self):
        """§19 item 26: a cast list[list[float]] encodes as the exact compact Any triple."""
        text = CodecJson().encode(R.cast_to([[0.5]], R.def_type(list[list[float]])), P.Any())
        self.assertEqual(text, '{"value":["vector<vector<float8>>",[[0.5]],[]]}')

    def test_item_26_decode_identity(self):
        """§19 item 26: decoding gives the value and the canonical portable of def_type."""
        text = '{"value":["vector<vector<float8>>",[[0.5]],[]]}'
        value, portable = CodecJson().decode(text, P.Any())
        self.assertEqual(value, [[0.5]])
        self.assertIs(portable, R.def_type(list[list[float]]))

    def test_item_27_message_round_trip(self):
        """§19 item 27: a message with every listed member type round-trips (equal_to)."""
        m = everything()
        back = round_trip(m, P.Any())
        self.assertIsInstance(back, T.Everything)
        self.assertTrue(R.equal_to(m, back))
        self.assertIsInstance(back.block, bytearray)
        self.assertIsInstance(back.tags, set)
        self.assertEqual(back.where, (1, 2, 3))
        self.assertIs(back.kind, T.Person)
        self.assertIs(back.color, T.Color.BLUE)
        self.assertEqual(back.thing, ([[0.5]], R.def_type(list[list[float]])))
        self.assertIs(back.thing[1], R.def_type(list[list[float]]))

    def test_item_27_words(self):
        """§19 item 27: the words are the §11.3 forms (time texts, pairs, base64, signature)."""
        word = shipment(codec.encode(everything(), P.Any()))['value']
        self.assertEqual(word[0], 'layer_cake.test.codec_types.Everything')
        self.assertEqual(word[2], [])
        w = word[1]
        self.assertEqual(w['when'], '2026-11-28T12:30:15.000250+0200')
        self.assertEqual(w['span'], '1d2h3m4.5s')
        self.assertEqual(w['delta'], '1:00:00:05')
        self.assertEqual(w['table'], [['a', 1], ['b', 2]])
        self.assertEqual(sorted(w['tags']), [1, 2, 3])
        self.assertEqual(w['raw'], 'hi\n\xff')
        self.assertEqual(w['block'], 'AAFiaW5hcnk=')
        self.assertEqual(w['ident'], '12345678-1234-5678-1234-567812345678')
        self.assertEqual(w['color'], 'BLUE')
        self.assertEqual(w['kind'], 'layer_cake.test.codec_types.Person')
        self.assertEqual(w['thing'], ['vector<vector<float8>>', [[0.5]], []])
        self.assertEqual(w['where'], [1, 2, 3])
        self.assertEqual(w['people'], [{'name': 'ann', 'age': 31}, {'name': 'bob', 'age': None}])
        self.assertEqual(w['by_id'], [['00000000-0000-0000-0000-000000000005',
                                       {'name': 'cy', 'age': 5}]])

    def test_item_27_utc_world_time(self):
        """§19 item 27: a UTC WorldTime is written without suffix and comes back in UTC."""
        m = T.Everything(when=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
        self.assertEqual(shipment(codec.encode(m, P.Any()))['value'][1]['when'],
                         '2026-01-02T03:04:05')
        back = round_trip(m, P.Any())
        self.assertEqual(back.when, m.when)
        self.assertIs(back.when.tzinfo, UTC)

    def test_item_27_nested_any(self):
        """§19 item 27: an Any inside an Any inside a message round-trips."""
        inner = T.Box(thing=R.cast_to({1: 'one'}, dict[int, str]))
        m = T.Box(thing=inner)
        text = codec.encode(m, P.Any())
        self.assertEqual(shipment(text)['value'], [
            'layer_cake.test.codec_types.Box',
            {'thing': ['layer_cake.test.codec_types.Box',
                       {'thing': ['map<integer8,unicode>', [[1, 'one']], []]}, []]}, []])
        back = codec.decode(text, P.Any())
        self.assertEqual(back.thing.thing, ({1: 'one'}, R.def_type(dict[int, str])))

    def test_item_27_pointer_cycle(self):
        """§19 item 27: a PointerTo cycle of two nodes round-trips with identity preserved."""
        a, b = T.Node(1), T.Node(2)
        a.next, b.next = b, a
        p = P.PointerTo(T.Node)
        text = codec.encode(a, p)
        s = shipment(text)
        self.assertEqual(len(s['pointer']), 2)
        x = codec.decode(text, p)
        self.assertEqual((x.value, x.next.value), (1, 2))
        self.assertIs(x.next.next, x)
        self.assertIsNot(x, a)

    def test_item_27_naive_datetime(self):
        """§19 item 27: a naive datetime fails with 'cannot encode, near "<member>" (...)'."""
        m = T.Everything(when=datetime.datetime(2026, 1, 2))
        e = self.assertRaises(CodecRuntimeError, codec.encode, m, P.Any())
        self.assertEqual(str(e), 'cannot encode, near "when" (cannot represent a naive datetime)')
        self.assertEqual(e.path, 'when')
        self.assertEqual(e.detail, 'cannot represent a naive datetime')


class ShipmentTest(unittest.TestCase):

    def test_none_as_any(self):
        """None as Any is {"value":null} and decodes to None."""
        self.assertEqual(codec.encode(None, P.Any()), '{"value":null}')
        self.assertIsNone(codec.decode('{"value":null}', P.Any()))

    def test_registered_message_triple(self):
        """A registered message as Any is [<module>.<Name>, {members}, []]; None is null."""
        self.assertEqual(codec.encode(T.Person('ann'), P.Any()),
                         '{"value":["layer_cake.test.codec_types.Person",'
                         '{"name":"ann","age":null},[]]}')

    def test_pretty_layout(self):
        """Pretty layout sorts keys, indents by 4 and uses ': '."""
        text = CodecJson(pretty_format=True).encode(T.Person('ann', 3), R.def_type(T.Person))
        self.assertEqual(text, '{\n    "value": {\n        "age": 3,\n        "name": "ann"\n'
                               '    }\n}')
        self.assertEqual(CodecJson(pretty_format=True).decode(text, T.Person).age, 3)

    def test_compact_layout(self):
        """Compact layout has no spaces after ',' and ':'."""
        text = codec.encode(R.cast_to({'a': [1, 2]}, dict[str, list[int]]), P.Any())
        self.assertEqual(text, '{"value":["map<unicode,vector<integer8>>",[["a",[1,2]]],[]]}')

    def test_no_pointer_key_without_pointers(self):
        """The pointer table appears only when pointers occur."""
        self.assertNotIn('pointer', shipment(codec.encode(everything(), P.Any())))

    def test_hints_accepted_as_portable(self):
        """encode/decode accept a type expression (hint) as well as a portable."""
        self.assertEqual(codec.encode([1], list[int]), '{"value":[1]}')
        self.assertEqual(codec.decode('{"value":[1]}', list[int]), [1])

    def test_bytes_text_accepted(self):
        """decode reads UTF-8 bytes as well as str."""
        self.assertEqual(codec.decode(b'{"value":"\xc3\xa9"}', str), '\xe9')


class WordsTest(unittest.TestCase):

    def word(self, value, portable):
        return shipment(codec.encode(value, portable))['value']

    def test_scalars_message(self):
        """Every scalar portable round-trips inside a message (Integer2..Word)."""
        m = T.Scalars()
        m.i2, m.i4, m.u2, m.u4, m.u8 = -2, -4, 2, 4, 2 ** 64 - 1
        m.f4, m.byte, m.character, m.rune = 0.5, 255, b'\x80', '☃'
        m.string, m.unicode, m.target = b'hi\n', 'text', (7, 8)
        m.word = {'any': [1, 'json', None, True, {'x': 2.5}]}
        back = round_trip(m, P.Any())
        self.assertTrue(R.equal_to(m, back))
        self.assertEqual(back.target, (7, 8))

    def test_string_one_code_point_per_byte(self):
        """String (bytes) is a string of one code point per byte: b'hi\\n' -> "hi\\n"."""
        self.assertEqual(codec.encode(b'hi\n', bytes), '{"value":"hi\\n"}')
        self.assertEqual(codec.decode('{"value":"\\u00ff"}', bytes), b'\xff')

    def test_block_base64(self):
        """Block (bytearray) is base64 text."""
        self.assertEqual(self.word(bytearray(b'abc'), bytearray), 'YWJj')
        self.assertEqual(codec.decode('{"value":"YWJj"}', bytearray), bytearray(b'abc'))

    def test_float_accepts_int(self):
        """An int is written for a float, and an int word decodes to a float."""
        self.assertEqual(codec.encode(2, float), '{"value":2}')
        back = codec.decode('{"value":2}', float)
        self.assertEqual(back, 2.0)
        self.assertIs(type(back), float)

    def test_bool_is_not_an_int(self):
        """True is not an Integer8 value (no transform bool/Integer8)."""
        e = self.assertRaises(CodecRuntimeError, codec.encode, True, int)
        self.assertEqual(str(e), 'cannot encode (no transform bool/Integer8)')

    def test_enum_by_name(self):
        """An Enumeration is written as its member name."""
        self.assertEqual(self.word(T.Color.GREEN, T.Color), 'GREEN')
        self.assertIs(codec.decode('{"value":"RED"}', T.Color), T.Color.RED)

    def test_map_pairs_any_key(self):
        """MapOf is a list of [key, value] pairs for any key type (enum, address, int)."""
        self.assertEqual(self.word({T.Color.RED: [1]}, P.MapOf(T.Color, list[int])),
                         [['RED', [1]]])
        self.assertEqual(codec.decode('{"value":[[[1,2],"x"]]}', P.MapOf(P.Address, str)),
                         {(1, 2): 'x'})

    def test_containers_message(self):
        """Arrays, deques, maps with non-str keys and nested containers round-trip."""
        m = T.Containers()
        m.grid = [[1.0, 2.0], [3.0, 4.5]]
        m.queue = collections.deque(['a', 'b'])
        m.by_color = {T.Color.RED: [1, 2], T.Color.BLUE: []}
        m.by_address = {(1, 2): R.cast_to('x', str), (3,): T.Person('p', 1), (4,): None}
        m.nested = [{1: {'a', 'b'}}, {}]
        m.persons = [T.Person('a', 1), None]
        back = round_trip(m, T.Containers)
        self.assertTrue(R.equal_to(m, back))
        self.assertIsInstance(back.queue, collections.deque)

    def test_array_length(self):
        """ArrayOf encode needs the exact length; decode pads with defaults and drops extras."""
        p = P.ArrayOf(int, 4)
        e = self.assertRaises(CodecRuntimeError, codec.encode, [1, 2, 3], p)
        self.assertEqual(str(e), 'cannot encode (array [3] vs type [4])')
        self.assertEqual(codec.decode('{"value":[1,2]}', p), [1, 2, None, None])
        self.assertEqual(codec.decode('{"value":[1,2,3,4,5]}', p), [1, 2, 3, 4])
        q = P.ArrayOf(list[int], 2)
        self.assertEqual(codec.decode('{"value":[[1]]}', q), [[1], []])

    def test_user_defined_defaults_and_extras(self):
        """Absent members keep constructor defaults; extra members are ignored."""
        m = codec.decode('{"value":{"count":3,"nosuch":1}}', T.Everything)
        self.assertEqual(m.count, 3)
        self.assertEqual(m.ratio, 0.0)
        self.assertEqual(m.people, [])
        self.assertFalse(hasattr(m, 'nosuch'))

    def test_none_members_null(self):
        """None scalar, Any, Type, Address and PointerTo members are written as null."""
        w = self.word(T.Everything(), T.Everything)
        for name in ['name', 'when', 'color', 'kind', 'thing', 'where', 'span']:
            self.assertIsNone(w[name])

    def test_type_values(self):
        """Type holds a registered class (its path), an enum class or a portable (signature)."""
        self.assertEqual(self.word(T.Person, P.Type()), 'layer_cake.test.codec_types.Person')
        self.assertIs(codec.decode(codec.encode(T.Color, P.Type()), P.Type()), T.Color)
        p = R.def_type(dict[str, list[float]])
        self.assertEqual(self.word(p, P.Type()), 'map<unicode,vector<float8>>')
        self.assertIs(codec.decode(codec.encode(p, P.Type()), P.Type()), p)
        self.assertIs(codec.decode('{"value":"integer8"}', P.Type()), R.def_type(int))

    def test_type_not_bound(self):
        """A Type naming a class not loaded here decodes as TypeNotBound, which re-encodes as is."""
        t = codec.decode('{"value":"nosuch.module.Thing"}', P.Type())
        self.assertIsInstance(t, TypeNotBound)
        self.assertEqual(t.module_name, 'nosuch.module.Thing')
        self.assertEqual(codec.encode(t, P.Type()), '{"value":"nosuch.module.Thing"}')

    def test_address_tuple(self):
        """An Address is an array of ints and decodes to a tuple."""
        self.assertEqual(codec.encode((1, 2), P.Address()), '{"value":[1,2]}')
        self.assertEqual(codec.decode('{"value":[1,2]}', P.Address()), (1, 2))

    def test_address_hooks(self):
        """address_out/address_in map every Address and TargetAddress on its way out and in."""
        m = T.Scalars()
        m.target = (5, 6)
        box = T.Box(thing=R.cast_to([(1,), (2, 3)], list[P.Address]))
        seen = []

        def out(a):
            seen.append(a)
            return 'key-%s' % ('-'.join(map(str, a)),)

        text = codec.encode([box, m], list[P.Any], address_out=out)
        self.assertEqual(seen, [(1,), (2, 3), (5, 6)])
        self.assertIn('"key-2-3"', text)
        back = codec.decode(text, list[P.Any],
                            address_in=lambda w: tuple(int(x) for x in w.split('-')[1:]) + (9,))
        self.assertEqual(back[0].thing[0], [(1, 9), (2, 3, 9)])
        self.assertEqual(back[1].target, (5, 6, 9))

    def test_word_passes_through(self):
        """Word values pass through unconverted in both directions."""
        w = {'a': [1, None, 'x']}
        self.assertEqual(codec.decode(codec.encode(w, P.Word()), P.Word()), w)

    def test_unbound_subclass_uses_ancestor(self):
        """An instance of an unbound subclass of a bound class encodes under the ancestor."""
        class Sub(T.Person):
            pass
        text = codec.encode(Sub('x', 1), P.Any())
        self.assertIn('"layer_cake.test.codec_types.Person"', text)
        self.assertIs(type(codec.decode(text, P.Any())), T.Person)

    def test_not_portable(self):
        """A class bound with not_portable=True cannot be encoded."""
        e = self.assertRaises(CodecRuntimeError, codec.encode, T.Private(), P.Any())
        self.assertEqual(str(e), 'cannot encode ("layer_cake.test.codec_types.Private" is '
                                 'not portable)')

    def test_word_functions(self):
        """value_to_word/word_to_value convert one word without a shipment (command line)."""
        self.assertEqual(word_to_value(json.loads('2'), P.Integer8()), 2)
        self.assertEqual(word_to_value('1d2h', P.TimeSpan()), 93600.0)
        self.assertEqual(word_to_value({'name': 'n'}, T.Person).name, 'n')
        self.assertEqual(value_to_word([T.Color.RED], list[T.Color]), ['RED'])
        self.assertEqual(value_to_word((1, 2), P.Address(), address_out=list), [1, 2])
        e = self.assertRaises(CodecRuntimeError, word_to_value, 'abc', P.Integer8())
        self.assertEqual(str(e), 'cannot decode (no transform str/Integer8)')
        n = T.Node(1)
        n.next = n
        e = self.assertRaises(CodecRuntimeError, value_to_word, n, P.PointerTo(T.Node))
        self.assertEqual(str(e), 'cannot encode (pointers need a shipment)')


class PointerTest(unittest.TestCase):

    def test_aliases(self):
        """Aliases are "<n>:<uuid>" with n from 1100 and one uuid per encode call."""
        a, b = T.Node(1), T.Node(2)
        a.next = b
        p = P.PointerTo(T.Node)
        s1 = shipment(codec.encode(a, p))
        s2 = shipment(codec.encode(a, p))
        m = [ALIAS.match(alias) for alias, _ in s1['pointer']]
        self.assertEqual([int(x.group(1)) for x in m], [1100, 1101])
        self.assertEqual(m[0].group(2), m[1].group(2))
        self.assertEqual(s1['value'], s1['pointer'][0][0])
        self.assertNotEqual(ALIAS.match(s2['value']).group(2), m[0].group(2))

    def test_shared_identity(self):
        """Each distinct object is encoded once and shared references decode to one object."""
        ann, bob = T.Person('ann', 1), T.Person('bob', 2)
        p = list[P.PointerTo(T.Person)]
        text = codec.encode([ann, bob, ann, None], p)
        self.assertEqual(len(shipment(text)['pointer']), 2)
        back = codec.decode(text, p)
        self.assertIs(back[0], back[2])
        self.assertIsNot(back[0], back[1])
        self.assertIsNone(back[3])
        self.assertEqual([x.name for x in back[:3]], ['ann', 'bob', 'ann'])

    def test_self_cycle(self):
        """A node pointing to itself round-trips to a node pointing to itself."""
        n = T.Node(5)
        n.next = n
        x = round_trip(n, P.PointerTo(T.Node))
        self.assertIs(x.next, x)

    def test_any_lists_aliases_inside(self):
        """An Any triple lists every alias used inside it, pointers of pointers included."""
        a, b = T.Node(1), T.Node(2)
        a.next, b.next = b, a
        text = codec.encode(T.Box(thing=R.cast_to(a, P.PointerTo(T.Node))), P.Any())
        s = shipment(text)
        aliases = [alias for alias, _ in s['pointer']]
        self.assertEqual(s['value'][2], aliases)
        self.assertEqual(s['value'][1]['thing'][2], aliases)
        back = codec.decode(text, P.Any())
        self.assertIs(back.thing[0].next.next, back.thing[0])

    def test_pointer_to_pointer(self):
        """PointerTo(PointerTo(X)) gives each level its own alias and round-trips."""
        p = P.PointerTo(P.PointerTo(T.Person))
        ann = T.Person('ann', 1)
        text = codec.encode([ann, ann], P.VectorOf(p))
        self.assertEqual(len(shipment(text)['pointer']), 2)
        back = codec.decode(text, P.VectorOf(p))
        self.assertIs(back[0], back[1])
        self.assertEqual(back[0].name, 'ann')

    def test_unknown_alias(self):
        """A pointer to an alias missing from the table fails to decode."""
        e = self.assertRaises(CodecRuntimeError, codec.decode, '{"value":"1100:x"}',
                              P.PointerTo(T.Node))
        self.assertEqual(str(e), 'cannot decode (unknown pointer "1100:x")')


class IncognitoTest(unittest.TestCase):

    def test_unknown_signature(self):
        """An Any with an unknown signature decodes to Incognito holding signature and word."""
        text = '{"value":["far.away.Thing",{"x":[1,2]},[]]}'
        m = codec.decode(text, P.Any())
        self.assertIsInstance(m, Incognito)
        self.assertEqual(m.type_name, 'far.away.Thing')
        self.assertEqual(m.decoded_word, {'x': [1, 2]})
        self.assertEqual(codec.encode(m, P.Any()), text)

    def test_relay_to_a_process_that_knows_the_type(self):
        """An Incognito re-encoded as Any re-emits signature and word; the original comes back."""
        m = everything()
        known = 'layer_cake.test.codec_types.Everything'
        hidden = codec.encode(m, P.Any()).replace(known, 'elsewhere.Everything')
        relayed = codec.encode(codec.decode(hidden, P.Any()), P.Any())
        self.assertEqual(relayed, hidden)
        back = codec.decode(relayed.replace('elsewhere.Everything', known), P.Any())
        self.assertTrue(R.equal_to(m, back))

    def test_relay_with_pointers(self):
        """An Incognito keeps the pointers used inside it, so a relayed cycle survives."""
        a, b = T.Node(1), T.Node(2)
        a.next, b.next = b, a
        known = '"pointer<layer_cake.test.codec_types.Node>"'
        text = codec.encode(T.Box(thing=R.cast_to(a, P.PointerTo(T.Node))), P.Any())
        hidden = text.replace(known, '"pointer<far.Node>"')
        box = codec.decode(hidden, P.Any())
        self.assertIsInstance(box.thing, Incognito)
        self.assertEqual(len(box.thing.saved_pointers), 2)
        relayed = codec.encode(T.Box(thing=box.thing), P.Any())
        back = codec.decode(relayed.replace('"pointer<far.Node>"', known), P.Any())
        x = back.thing[0]
        self.assertEqual((x.value, x.next.value), (1, 2))
        self.assertIs(x.next.next, x)


class EncodeErrorTest(unittest.TestCase):

    def check(self, value, portable, text):
        e = self.assertRaises(CodecRuntimeError, codec.encode, value, portable)
        self.assertEqual(str(e), text)

    def test_no_transform(self):
        """Values that do not fit their type fail with 'no transform <python>/<Portable>'."""
        self.check(1, P.Any(), 'cannot encode (no transform int/Any)')
        self.check(datetime.datetime(2026, 1, 1), P.MapOf(str, int),
                   'cannot encode (no transform datetime/MapOf)')
        self.check(T.Everything(ratio='x'), T.Everything,
                   'cannot encode, near "ratio" (no transform str/Float8)')
        self.check([1, 2], P.Any(), 'cannot encode (no transform list/Any)')

    def test_null_structure(self):
        """None for a list or class member is 'null structure'."""
        self.check(T.Holder(people=None, person=T.Person()), T.Holder,
                   'cannot encode, near "people" (null structure)')
        self.check(T.Holder(people=[], person=None), T.Holder,
                   'cannot encode, near "person" (null structure)')
        self.check(None, list[int], 'cannot encode (null structure)')

    def test_path(self):
        """The error names the member/index trail, e.g. people[1].age."""
        m = T.Everything(people=[T.Person('a', 1), T.Person('b', 'old')])
        self.check(m, P.Any(), 'cannot encode, near "people[1].age" (no transform str/Integer8)')
        self.check({'k': [1, 'x']}, dict[str, list[int]],
                   'cannot encode, near "[0][1]" (no transform str/Integer8)')

    def test_bad_word(self):
        """A Word that JSON cannot hold fails as a codec error."""
        e = self.assertRaises(CodecRuntimeError, codec.encode, {1, 2}, P.Word())
        self.assertTrue(str(e).startswith('cannot encode ('))

    def test_usage(self):
        """A non-type where a portable is expected is a CodecUsageError."""
        self.assertRaises(CodecUsageError, codec.encode, 1, object())
        self.assertRaises(CodecUsageError, codec.decode, 12, int)


class DecodeErrorTest(unittest.TestCase):

    def check(self, text, portable, message):
        e = self.assertRaises(CodecRuntimeError, codec.decode, text, portable)
        self.assertEqual(str(e), message)

    def test_malformed_json(self):
        """Text that is not JSON fails with the parser's reason."""
        self.check('{"value":', P.Any(),
                   'cannot decode (Expecting value: line 1 column 10 (char 9))')
        self.check('', P.Any(), 'cannot decode (Expecting value: line 1 column 1 (char 0))')

    def test_not_a_shipment(self):
        """JSON that is not {"value": ...} fails."""
        self.check('[1]', P.Any(), 'cannot decode (not a shipment)')
        self.check('{"valu":1}', P.Any(), 'cannot decode (not a shipment)')
        self.check('{"value":1,"pointer":7}', int, 'cannot decode (bad pointer table)')

    def test_wrong_shapes(self):
        """A word of the wrong JSON type fails with 'no transform <word>/<Portable>'."""
        self.check('{"value":"x"}', list[int], 'cannot decode (no transform str/VectorOf)')
        self.check('{"value":[1,"a"]}', list[int],
                   'cannot decode, near "[1]" (no transform str/Integer8)')
        self.check('{"value":[1]}', T.Person, 'cannot decode (no transform list/UserDefined)')
        self.check('{"value":["a"]}', dict[str, int],
                   'cannot decode, near "[0]" (not a [key, value] pair)')
        self.check('{"value":["ab"]}', dict[str, str],
                   'cannot decode, near "[0]" (not a [key, value] pair)')
        self.check('{"value":[1,2]}', P.Any(), 'cannot decode (not an Any triple)')
        self.check('{"value":2.5}', int, 'cannot decode (no transform float/Integer8)')
        self.check('{"value":[1.5]}', P.Address(), 'cannot decode (no transform list/Address)')

    def test_unknown_enum(self):
        """An unknown enum name fails with 'undefined enum'."""
        self.check('{"value":{"color":"PURPLE"}}', T.Everything,
                   'cannot decode, near "color" (undefined enum "PURPLE")')

    def test_null_structure(self):
        """null for a structured member fails with 'null structure'."""
        self.check('{"value":{"people":null}}', T.Everything,
                   'cannot decode, near "people" (null structure)')
        self.check('{"value":{"people":[null]}}', T.Everything,
                   'cannot decode, near "people[0]" (null structure)')

    def test_bad_texts(self):
        """Bad base64, UUID, time and byte-string texts fail with a reason."""
        self.check('{"value":"***"}', bytearray, 'cannot decode (not base64)')
        self.check('{"value":"nope"}', uuid.UUID, 'cannot decode (not a UUID "nope")')
        self.check('{"value":"soon"}', P.TimeSpan(), 'cannot decode (not a span "soon")')
        self.check('{"value":"\\u2603"}', bytes, 'cannot decode (not a byte string)')
        self.check('{"value":{"people":[{"age":"x"}]}}', T.Everything,
                   'cannot decode, near "people[0].age" (no transform str/Integer8)')

    def test_odd_signatures(self):
        """A signature that does not parse is an unknown type: Incognito / TypeNotBound."""
        self.assertEqual(codec.decode('{"value":["5",1,[]]}', P.Any()).type_name, '5')
        self.assertEqual(codec.decode('{"value":["vector<",1,[]]}', P.Any()).type_name,
                         'vector<')
        self.assertEqual(codec.decode('{"value":"5"}', P.Type()).module_name, '5')

    def test_array_padding_is_bounded(self):
        """A wire signature cannot make the decoder pad an array by millions of defaults."""
        self.check('{"value":["array<integer8,100000000>",[1],[]]}', P.Any(),
                   'cannot decode (array [1] vs type [100000000])')

    def test_unhashable(self):
        """A set or map key that decodes to an unhashable value fails as a codec error."""
        e = self.assertRaises(CodecRuntimeError, codec.decode, '{"value":[[1]]}', set[int])
        self.assertTrue(str(e).startswith('cannot decode'))


# Property tests: values of every portable type.

def json_words(max_leaves=8):
    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda ch: st.lists(ch, max_size=3) | st.dictionaries(st.text(max_size=5), ch,
                                                              max_size=3),
        max_leaves=max_leaves)


zones = st.one_of(st.just(UTC), st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda m: datetime.timezone(datetime.timedelta(minutes=m))))


def unambiguous(t):
    whole = math.floor(t)
    return datetime.datetime.fromtimestamp(whole).replace(fold=0).timestamp() == whole


addresses = st.lists(st.integers(0, 2 ** 40), max_size=4).map(tuple)
persons = st.builds(T.Person, name=st.none() | st.text(max_size=8),
                    age=st.none() | st.integers())

SCALAR_VALUES = {
    P.Boolean: st.booleans(),
    P.Integer2: st.integers(-2 ** 15, 2 ** 15 - 1),
    P.Integer4: st.integers(-2 ** 31, 2 ** 31 - 1),
    P.Integer8: st.integers(-2 ** 63, 2 ** 63 - 1),
    P.Unsigned2: st.integers(0, 2 ** 16 - 1),
    P.Unsigned4: st.integers(0, 2 ** 32 - 1),
    P.Unsigned8: st.integers(0, 2 ** 64 - 1),
    P.Float4: st.floats(allow_nan=False, width=32),
    P.Float8: st.floats(allow_nan=False),
    P.Byte: st.integers(0, 255),
    P.Character: st.binary(min_size=1, max_size=1),
    P.Rune: st.characters(),
    P.Block: st.binary(max_size=12).map(bytearray),
    P.String: st.binary(max_size=12),
    P.Unicode: st.text(max_size=12),
    P.ClockTime: st.floats(0.0, 4.0e9).filter(unambiguous),
    P.TimeSpan: st.floats(allow_nan=False, allow_infinity=False),
    P.WorldTime: st.datetimes(min_value=datetime.datetime(1, 1, 2),
                              max_value=datetime.datetime(9999, 12, 30), timezones=zones),
    P.TimeDelta: st.timedeltas(),
    P.UUID: st.uuids(),
    P.Address: addresses,
    P.TargetAddress: addresses,
    P.Word: json_words(),
    P.Type: st.sampled_from([T.Person, T.Everything, T.Node, T.Color, R.def_type(int),
                             R.def_type(dict[uuid.UUID, list[T.Person]])]),
}

HASHABLE = [P.Boolean, P.Integer2, P.Integer8, P.Unsigned8, P.Float8, P.Byte, P.Character,
            P.Rune, P.String, P.Unicode, P.ClockTime, P.TimeSpan, P.WorldTime, P.TimeDelta,
            P.UUID, P.Address, P.Type]

hashable_portables = st.sampled_from([c() for c in HASHABLE] + [P.Enumeration(T.Color)])
leaf_portables = st.one_of(
    hashable_portables,
    st.sampled_from([P.Block(), P.Word(), P.TargetAddress(), P.Integer4(), P.Unsigned2(),
                     P.Unsigned4(), P.Float4(), P.Any(), R.def_type(T.Person),
                     R.def_type(T.Everything), R.def_type(T.Scalars)]))
portables = st.recursive(
    leaf_portables,
    lambda ch: st.one_of(
        ch.map(P.VectorOf), ch.map(P.DequeOf), hashable_portables.map(P.SetOf),
        st.tuples(hashable_portables, ch).map(lambda kv: P.MapOf(*kv)),
        st.tuples(ch, st.integers(0, 3)).map(lambda es: P.ArrayOf(*es)),
        ch.map(P.PointerTo)),
    max_leaves=4)


def any_values():
    """Values of the Any form: None, registered messages, cast constructed values."""
    return st.one_of(
        st.none(), persons,
        st.integers().map(lambda i: R.cast_to(i, int)),
        st.lists(st.text(max_size=4), max_size=3).map(lambda v: R.cast_to(v, list[str])),
        st.dictionaries(st.uuids(), persons, max_size=2).map(
            lambda v: R.cast_to(v, dict[uuid.UUID, T.Person])))


def everythings():
    return st.builds(
        T.Everything, flag=st.booleans(), count=st.integers(), ratio=st.floats(allow_nan=False),
        name=st.none() | st.text(max_size=8), raw=st.none() | st.binary(max_size=8),
        block=st.none() | SCALAR_VALUES[P.Block], when=st.none() | SCALAR_VALUES[P.WorldTime],
        delta=st.none() | st.timedeltas(), ident=st.none() | st.uuids(),
        color=st.none() | st.sampled_from(T.Color), span=st.none() | SCALAR_VALUES[P.TimeSpan],
        clock=st.none() | SCALAR_VALUES[P.ClockTime],
        table=st.dictionaries(st.text(max_size=4), st.integers(), max_size=3),
        tags=st.sets(st.integers(), max_size=3), people=st.lists(persons, max_size=2),
        kind=st.none() | SCALAR_VALUES[P.Type], thing=any_values(),
        where=st.none() | addresses,
        by_id=st.dictionaries(st.uuids(), persons, max_size=2))


def scalars_messages():
    def build(values):
        m = T.Scalars()
        for name, v in values.items():
            setattr(m, name, v)
        return m
    schema = P.registration_of(T.Scalars).schema
    return st.fixed_dictionaries({
        name: st.none() | SCALAR_VALUES[type(p)] for name, p in schema.items()}).map(build)


def values_of(p):
    """A strategy for the values of portable ``p``."""
    t = type(p)
    if t is P.Any:
        return any_values()
    if t in SCALAR_VALUES:
        return st.none() | SCALAR_VALUES[t]
    if t is P.Enumeration:
        return st.none() | st.sampled_from(p.element)
    if t is P.PointerTo:
        return st.none() | values_of(p.element)
    if t is P.SetOf:
        return st.sets(values_of(p.element), max_size=3)
    if t is P.DequeOf:
        return st.lists(values_of(p.element), max_size=3).map(collections.deque)
    if t is P.VectorOf:
        return st.lists(values_of(p.element), max_size=3)
    if t is P.ArrayOf:
        return st.lists(values_of(p.element), min_size=p.size, max_size=p.size)
    if t is P.MapOf:
        return st.dictionaries(values_of(p.key), values_of(p.value), max_size=3)
    if t is P.UserDefined:
        return {T.Person: persons, T.Everything: everythings(),
                T.Scalars: scalars_messages()}[p.element]
    raise AssertionError('no strategy for %r' % (p,))


@st.composite
def typed_values(draw):
    p = draw(portables)
    return p, draw(values_of(p))


class PropertyTest(unittest.TestCase):

    @PROPERTY
    @given(typed_values())
    def test_round_trip_every_type(self, pv):
        """Generated values of every portable type (nested containers too) round-trip."""
        p, value = pv
        back = round_trip(value, p)
        self.assertTrue(R.equal_to(value, back, p), (p, value, back))

    @PROPERTY
    @given(typed_values())
    def test_round_trip_as_any(self, pv):
        """The same values cast to Any round-trip with the canonical portable."""
        p, value = pv
        if isinstance(p, P.UserDefined) and value is None:
            return
        back = round_trip(R.cast_to(value, p), P.Any())
        v, q = R.cast_back(back)
        self.assertIs(q, R.def_type(p))
        self.assertTrue(R.equal_to(value, v, p), (p, value, v))

    @PROPERTY
    @given(typed_values())
    def test_pretty_round_trip(self, pv):
        """The pretty layout decodes to the same values as the compact one."""
        p, value = pv
        back = round_trip(value, p, codec=CodecJson(pretty_format=True))
        self.assertTrue(R.equal_to(value, back, p))

    @PROPERTY
    @given(st.lists(st.integers(0, 4), max_size=8), st.data())
    def test_pointer_sharing(self, picks, data):
        """References to shared objects decode to the same sharing pattern."""
        pool = data.draw(st.lists(persons, min_size=5, max_size=5))
        value = [pool[i] for i in picks]
        p = list[P.PointerTo(T.Person)]
        back = round_trip(value, p)
        for i in range(len(value)):
            for j in range(len(value)):
                self.assertEqual(value[i] is value[j], back[i] is back[j])
            self.assertTrue(R.equal_to(value[i], back[i]))

    @FUZZ
    @given(json_words(max_leaves=12), portables)
    def test_decode_never_crashes(self, word, p):
        """Any JSON word decoded as any type gives a value or a CodecRuntimeError."""
        text = json.dumps({'value': word})
        try:
            codec.decode(text, p)
        except CodecRuntimeError as e:
            self.assertTrue(str(e).startswith('cannot decode'), str(e))

    @FUZZ
    @given(st.text(max_size=30), portables)
    def test_decode_text_never_crashes(self, text, p):
        """Any text decoded as any type gives a value or a CodecRuntimeError."""
        try:
            codec.decode(text, p)
        except CodecRuntimeError:
            pass

    @FUZZ
    @given(st.one_of(json_words(), st.datetimes(), st.tuples(st.integers()), st.binary(),
                     st.sets(st.integers(), max_size=2), st.just(object()), persons,
                     st.sampled_from(T.Color), st.uuids()),
           portables)
    def test_encode_never_crashes(self, value, p):
        """Any Python value encoded as any type gives text or a CodecRuntimeError."""
        try:
            text = codec.encode(value, p)
        except CodecRuntimeError as e:
            self.assertTrue(str(e).startswith('cannot encode'), str(e))
        else:
            json.loads(text)

    @FUZZ
    @given(st.tuples(st.text(max_size=30), json_words(), st.lists(st.text(max_size=5))))
    def test_any_with_any_signature(self, triple):
        """An Any triple with an arbitrary signature decodes to a value, Incognito or error."""
        text = json.dumps({'value': list(triple)})
        try:
            codec.decode(text, P.Any())
        except CodecRuntimeError:
            pass

    def test_errors_are_codec_errors(self):
        """CodecRuntimeError and CodecUsageError are CodecErrors."""
        self.assertTrue(issubclass(CodecRuntimeError, CodecError))
        self.assertTrue(issubclass(CodecUsageError, CodecError))


# The flat path (codec.py): messages whose members all stand for themselves.

class Flat(object):
    """Every member kind the flat path takes."""

    def __init__(self, flag: bool = False, count: int = 0, ratio: float = 0.0,
                 name: str = None, small: P.Integer2 = None):
        self.flag = flag
        self.count = count
        self.ratio = ratio
        self.name = name
        self.small = small


R.bind_message(Flat, small=P.Integer2())


class FlatChild(Flat):
    """Not bound itself: it travels as a Flat."""


class Guarded(object):
    """A flat member behind a property: decoding must go through its setter."""

    def __init__(self, n: int = 0):
        self.__dict__['n'] = n

    def _set(self, value):
        self.__dict__['n'] = value * 2

    n = property(lambda self: self.__dict__['n'], _set)


R.bind_message(Guarded, n=P.Integer8())


def general_only(f, *args):
    """``f(*args)`` with the flat path switched off."""
    saved = C._flat_any_word, C._flat_any_value, C._flat_any_text, C._flat_in
    C._flat_any_word = C._flat_any_value = C._flat_any_text = lambda *a: C._MISSING
    C._flat_in = {}         # decode_any looks the decoders up itself
    try:
        return f(*args)
    finally:
        C._flat_any_word, C._flat_any_value, C._flat_any_text, C._flat_in = saved


def outcome(f, *args):
    """('ok', result) or ('error', text): what a call gives, to compare two paths."""
    try:
        return 'ok', f(*args)
    except CodecRuntimeError as e:
        return 'error', str(e)


member_words = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) |
                st.text(max_size=6) | st.just(float('inf')) | st.lists(st.integers(), max_size=2))
member_values = member_words | st.binary(max_size=3)
flat_words = st.dictionaries(
    st.sampled_from(['flag', 'count', 'ratio', 'name', 'small', 'other']), member_words)


class FlatPathTest(unittest.TestCase):

    def test_flat_path_is_taken(self):
        """A flat message is encoded and, once its type has been met, decoded by the flat path."""
        m = Flat(True, 3, 0.5, 'x', 7)
        text = codec.encode(m, ANY)
        self.assertTrue(callable(C._text_out[Flat]))
        CodecJson(pretty_format=True).encode(m, ANY)
        self.assertTrue(callable(C._flat_out[Flat]))
        codec.decode(text, ANY)
        back = codec.decode(text, ANY)
        self.assertTrue(callable(C._flat_in[R.def_type(Flat).signature()]))
        self.assertEqual(vars(back), vars(m))
        self.assertIs(C._flat_out.get(T.Everything, False), False)

    @PROPERTY
    @given(member_values, member_values, member_values, member_values, member_values)
    def test_encodings_identical(self, flag, count, ratio, name, small):
        """Flat and general encoders give the same text, or the same error."""
        for cls in (Flat, FlatChild):
            m = cls()
            m.flag, m.count, m.ratio, m.name, m.small = flag, count, ratio, name, small
            fast = outcome(codec.encode, m, ANY)
            self.assertEqual(fast, general_only(outcome, codec.encode, m, ANY))
            if fast[0] == 'ok':
                self.assertEqual(shipment(fast[1])['value'][0], R.def_type(Flat).signature())

    @PROPERTY
    @given(flat_words, st.sampled_from([Flat, Guarded, T.Person]))
    def test_decodings_equal(self, word, cls):
        """Flat and general decoders give equal values (or the same error) for any member words."""
        signature = R.def_type(cls).signature()
        if cls is Guarded:
            word = {'n': word.get('count')}
        text = json.dumps({'value': [signature, word, []]})
        general_only(outcome, codec.decode, text, ANY)      # the type has been met
        fast = outcome(codec.decode, text, ANY)
        slow = general_only(outcome, codec.decode, text, ANY)
        self.assertEqual(fast[0], slow[0])
        if fast[0] == 'ok':
            self.assertIs(type(fast[1]), type(slow[1]))
            self.assertEqual(vars(fast[1]), vars(slow[1]))
        else:
            self.assertEqual(fast, slow)

    def test_setter_is_honoured(self):
        """A member behind a property is set through it (so not by the flat path)."""
        for _ in range(2):
            self.assertEqual(round_trip(Guarded(4), ANY).n, 8)
        self.assertIs(C._flat_in[R.def_type(Guarded).signature()], False)

    def test_messages_that_are_not_flat(self):
        """Everything (containers, pointers, addresses) still goes the general way, unchanged."""
        e = everything()
        self.assertEqual(codec.encode(e, ANY), general_only(codec.encode, e, ANY))
        self.assertTrue(R.equal_to(round_trip(e, ANY), e))

    def test_unknown_type_still_incognito(self):
        """A signature nobody registered decodes to an Incognito on every call."""
        text = '{"value":["nowhere.Flat",{"count":1},[]]}'
        for _ in range(2):
            self.assertIsInstance(codec.decode(text, ANY), Incognito)


class JsonTest(unittest.TestCase):
    """The codec's json shortcuts behave as json itself."""

    @FUZZ
    @given(json_words(max_leaves=12))
    def test_dumps_identical(self, word):
        expected = json.JSONEncoder(separators=(',', ':'), check_circular=False).encode(word)
        self.assertEqual(C.compact_dumps(word), expected)

    @FUZZ
    @given(st.one_of(json_words(max_leaves=12).map(json.dumps),
                     json_words(max_leaves=12).map(lambda w: json.dumps({'value': w})),
                     st.text(max_size=20).map(lambda t: '{"' + t),
                     st.text(max_size=20)))
    def test_loads_identical(self, text):
        def loads(f, data):
            try:
                return 'ok', f(data)
            except ValueError as e:
                return 'error', type(e)
        for data in (text, text.encode('utf-8'), text.encode('utf-16'), text + ' ',
                     text.encode('utf-8') + b'\xff'):
            fast, slow = loads(C.loads, data), loads(json.loads, data)
            self.assertEqual(fast[0], slow[0], data)
            if fast[0] == 'ok':
                self.assertEqual(json.dumps(fast[1]), json.dumps(slow[1]))


class AnyShortcutTest(unittest.TestCase):
    """encode_any/decode_any are encode/decode with Any, whatever the value or text."""

    @PROPERTY
    @given(st.one_of(any_values(), everythings(), scalars_messages(),
                     st.builds(Flat, member_values, member_values, member_values,
                               member_values, member_values)))
    def test_encode_any(self, value):
        self.assertEqual(outcome(C.encode_any, value), outcome(codec.encode, value, ANY))

    @FUZZ
    @given(st.one_of(json_words(max_leaves=8).map(lambda w: json.dumps({'value': w})),
                     flat_words.map(lambda w: json.dumps(
                         {'value': [R.def_type(Flat).signature(), w, []]})),
                     st.text(max_size=20)))
    def test_decode_any(self, text):
        fast, slow = outcome(C.decode_any, text), outcome(codec.decode, text, ANY)
        self.assertEqual(fast[0], slow[0])
        if fast[0] == 'ok':
            self.assertEqual(C.encode_any(fast[1]), C.encode_any(slow[1]))
        else:
            self.assertEqual(fast, slow)


class Touchy(object):
    """A flat member whose reading fails."""

    def __init__(self, n: int = 0):
        self.__dict__['n'] = n

    @property
    def n(self):
        if self.__dict__['n'] < 0:
            raise ValueError('negative')
        return self.__dict__['n']


R.bind_message(Touchy, n=P.Integer8())


class FailingMemberTest(unittest.TestCase):

    def test_failing_member_reported_as_before(self):
        """A member that raises while being read gives the general path's CodecRuntimeError."""
        bad = Touchy()
        bad.__dict__['n'] = -1
        for _ in range(2):
            good = Touchy(3)
            self.assertEqual(codec.encode(good, ANY), general_only(codec.encode, good, ANY))
            fast = outcome(codec.encode, bad, ANY)
            self.assertEqual(fast[0], 'error')
            self.assertEqual(fast, general_only(outcome, codec.encode, bad, ANY))
