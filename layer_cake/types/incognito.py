"""The messages the codec produces for types that are not registered here.

A process can receive, store and relay a message whose class it does not
know: decoding such an Any gives an :class:`Incognito` that holds the type's
signature and its undecoded JSON word, and encoding that Incognito as Any
writes the same signature and word again, so a third process that knows the
type decodes the original message.  A ``Type`` value naming a class that is
not loaded here decodes as :class:`TypeNotBound`.
"""

from . import portable as P
from . import registry


class Incognito(object):
    """A decoded message of a type not registered in this process.

    ``type_name`` is the type's signature, ``decoded_word`` its JSON word
    exactly as received, ``saved_pointers`` the pointer-table entries (alias
    to word) that the word refers to, and ``address_book`` is kept for the
    network layer (placeholder key to address, for addresses inside the word).
    """

    def __init__(self, type_name: str = None, decoded_word=None, saved_pointers=None,
                 address_book=None):
        self.type_name = type_name
        self.decoded_word = decoded_word
        self.saved_pointers = {} if saved_pointers is None else saved_pointers
        self.address_book = {} if address_book is None else address_book

    def __repr__(self):
        return 'Incognito(type_name=%r)' % (self.type_name,)


class TypeNotBound(object):
    """A decoded ``Type`` value that names a class or type not loaded here."""

    def __init__(self, module_name: str = None):
        self.module_name = module_name

    def __repr__(self):
        return 'TypeNotBound(module_name=%r)' % (self.module_name,)


registry.bind_message(Incognito, copy_before_sending=True,
                      decoded_word=P.Word(),
                      saved_pointers=P.MapOf(P.Unicode(), P.Word()),
                      address_book=P.MapOf(P.Unicode(), P.Word()))
registry.bind_message(TypeNotBound)
