"""Message classes used by the codec tests.

They live in an importable module so that their signatures
(``layer_cake.test.codec_types.<Name>``) are the same in every process.
"""

import collections
import datetime
import enum
import uuid

from layer_cake.types import portable as P
from layer_cake.types import registry


class Color(enum.Enum):
    RED = 1
    GREEN = 2
    BLUE = 3


registry.register_enum(Color)


class Person(object):
    """A small message with two scalar members."""

    def __init__(self, name: str = None, age: int = None):
        self.name = name
        self.age = age


registry.bind_message(Person)


class Everything(object):
    """One member of each kind that acceptance item 27 names, and more."""

    def __init__(self, flag: bool = False, count: int = 0, ratio: float = 0.0,
                 name: str = None, raw: bytes = None, block: bytearray = None,
                 when: datetime.datetime = None, delta: datetime.timedelta = None,
                 ident: uuid.UUID = None, color: Color = None, span: P.TimeSpan = None,
                 clock: P.ClockTime = None, table: dict[str, int] = None,
                 tags: set[int] = None, people: list[Person] = None,
                 kind: P.Type = None, thing: P.Any = None, where: P.Address = None,
                 by_id: dict[uuid.UUID, Person] = None):
        self.flag = flag
        self.count = count
        self.ratio = ratio
        self.name = name
        self.raw = raw
        self.block = block
        self.when = when
        self.delta = delta
        self.ident = ident
        self.color = color
        self.span = span
        self.clock = clock
        self.table = {} if table is None else table
        self.tags = set() if tags is None else tags
        self.people = [] if people is None else people
        self.kind = kind
        self.thing = thing
        self.where = where
        self.by_id = {} if by_id is None else by_id


registry.bind_message(Everything)


class Scalars(object):
    """The scalar portables that no Python hint names, given as schema keywords."""

    def __init__(self):
        self.i2 = None
        self.i4 = None
        self.u2 = None
        self.u4 = None
        self.u8 = None
        self.f4 = None
        self.byte = None
        self.character = None
        self.rune = None
        self.string = None
        self.unicode = None
        self.target = None
        self.word = None


registry.bind_message(Scalars, i2=P.Integer2(), i4=P.Integer4(), u2=P.Unsigned2(),
                      u4=P.Unsigned4(), u8=P.Unsigned8(), f4=P.Float4(), byte=P.Byte(),
                      character=P.Character(), rune=P.Rune(), string=P.String(),
                      unicode=P.Unicode(), target=P.TargetAddress(), word=P.Word())


class Containers(object):
    """Containers of several kinds, nested, and maps with non-str keys."""

    def __init__(self):
        self.grid = [[0.0, 0.0], [0.0, 0.0]]
        self.queue = collections.deque()
        self.by_color = {}
        self.by_address = {}
        self.nested = []
        self.persons = []


registry.bind_message(Containers, grid=P.ArrayOf(P.ArrayOf(float, 2), 2),
                      queue=P.DequeOf(P.Unicode), by_color=P.MapOf(Color, list[int]),
                      by_address=P.MapOf(P.Address, P.Any),
                      nested=list[dict[int, set[str]]],
                      persons=P.VectorOf(P.PointerTo(Person)))


class Node(object):
    """A graph node: ``next`` may point back, making cycles."""

    def __init__(self, value: int = 0):
        self.value = value
        self.next = None


# A class cannot name itself before it is bound: bind once to make it known,
# then again with the self-referring member.
registry.bind_message(Node, next=P.Word())
registry.bind_message(Node, next=P.PointerTo(Node))


class Box(object):
    """Carries any value (the Any form)."""

    def __init__(self, thing: P.Any = None):
        self.thing = thing


registry.bind_message(Box)


class Holder(object):
    """A structured member whose null is an error."""

    def __init__(self, people: list[Person] = None, person: Person = None):
        self.people = people
        self.person = person


registry.bind_message(Holder)


class Private(object):
    """An in-process-only message."""

    def __init__(self, x: int = 0):
        self.x = x


registry.bind_message(Private, not_portable=True)
