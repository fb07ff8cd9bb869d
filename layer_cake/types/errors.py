"""The exceptions of the type system, the codec and object construction.

They live at the bottom layer because the type system raises most of them and
every layer above catches them.
"""


class PointConstructionError(Exception):
    """An object type, dispatch table or type expression cannot be used."""


class MessageRegistrationError(Exception):
    """A class cannot be registered as a message."""


class PlatformRequirementError(Exception):
    """The call cannot work where it was made (e.g. blocking on the reactor thread)."""


class ConversionError(Exception):
    """A value cannot be converted between its text or word form and Python."""


class ConversionDecodeFailed(ConversionError):
    """Text or a word could not be decoded into a value."""


class ConversionEncodeFailed(ConversionError):
    """A value could not be encoded into text or a word."""


class CodecError(Exception):
    """Base of the codec's errors."""


class CodecUsageError(CodecError):
    """The codec was called with arguments it cannot work with."""


class CodecRuntimeError(CodecError):
    """A value could not be encoded, or a text could not be decoded."""
