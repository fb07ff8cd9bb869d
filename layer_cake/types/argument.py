"""Values as text: the argument rules shared by command lines, HTTP queries and forms.

Text-like types (strings, enums, times, UUIDs, Types) take the raw text; types
holding pointers or Any take a full codec shipment; everything else is a
JSON fragment of the type's word form (``2``, ``[1,2]``, ``{"host": "h"}``).
"""

import importlib
import json

from . import portable as P
from . import registry
from .codec import CodecJson, value_to_word, word_to_value
from .errors import CodecError, ConversionError, PointConstructionError
from .incognito import TypeNotBound

_TEXT_LIKE = (P.Unicode, P.String, P.Character, P.Rune, P.Block, P.Enumeration, P.WorldTime,
              P.ClockTime, P.TimeSpan, P.TimeDelta, P.UUID, P.Type)


def _needs_shipment(portable, seen=None):
    """True for a type that holds PointerTo or Any somewhere inside."""
    if isinstance(portable, (P.PointerTo, P.Any)):
        return True
    if seen is None:
        seen = set()
    if portable.signature() in seen:
        return False
    seen.add(portable.signature())
    if isinstance(portable, P.UserDefined):
        r = P.registration_of(portable.element)
        if r is None or r.kind != 'message':
            return False
        return any(_needs_shipment(t, seen) for t in r.schema.values())
    return any(_needs_shipment(c, seen) for c in portable.children())


def _reason(e):
    detail = getattr(e, 'detail', None)
    return detail if detail else str(e)


def _find_type(text):
    """The registered type named by ``text``, importing its module when needed."""
    value = word_to_value(text, P.Type())
    if not isinstance(value, TypeNotBound):
        return value
    module, _, _ = text.rpartition('.')
    while module:
        try:
            importlib.import_module(module)
        except ImportError:
            module, _, _ = module.rpartition('.')
            continue
        value = word_to_value(text, P.Type())
        break
    if isinstance(value, TypeNotBound):
        raise ConversionError('type "%s" is not registered' % (text,))
    return value


def decode_argument(text, portable):
    """The value of a command-line text for a parameter of type ``portable``.

    ``text`` None is a flag without a value: True for booleans, else None.
    Raises ValueError with the reason.
    """
    portable = registry.def_type(portable)
    if text is None:
        return True if isinstance(portable, P.Boolean) else None
    try:
        if isinstance(portable, P.Type):
            return _find_type(text)
        if isinstance(portable, _TEXT_LIKE):
            return word_to_value(text, portable)
        if _needs_shipment(portable):
            return CodecJson().decode(text, portable)
        return word_to_value(json.loads(text), portable)
    except (CodecError, ConversionError, PointConstructionError, ValueError,
            RecursionError) as e:
        raise ValueError(_reason(e)) from e


def encode_argument(value, portable):
    """The command-line text of a value of type ``portable`` (what decode_argument reads).

    Raises ValueError with the reason.
    """
    try:
        portable = registry.def_type(portable)
        if isinstance(portable, _TEXT_LIKE):
            word = value_to_word(value, portable)
            if word is None:
                raise ValueError('null')
            return word
        if _needs_shipment(portable):
            return CodecJson().encode(value, portable)
        return json.dumps(value_to_word(value, portable))
    except (CodecError, ConversionError, PointConstructionError, TypeError,
            RecursionError) as e:
        raise ValueError(_reason(e)) from e
