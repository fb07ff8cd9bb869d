"""Finding which names a search matches, and which searches a name, quickly.

A node matches every new publication against every subscription it holds
and every new subscription against every publication (network.md §8.3).
Done naively that is a full match per pair: with ten thousand names and a
thousand searches, ten million.  Most searches begin with plain text
(``test-multihosting:worker-10:[-a-f0-9]+``), and a name can only match a
search whose plain beginning it starts with.  :class:`MatchIndex` keeps the
names sorted and the searches filed under that beginning, so each side only
tries the candidates that can match; a search with no plain beginning is
tried against everything, as before.  The answers are the same full matches.
"""

import bisect

__all__ = ['MatchIndex', 'literal_prefix']

_SPECIAL = frozenset('.^$*+?{}[]\\|()')
_REPEAT = frozenset('*+?{')


def literal_prefix(pattern):
    """The plain text every full match of ``pattern`` begins with ('' if unsure)."""
    if '|' in pattern:
        return ''       # an alternative may begin with anything
    end = 0
    while end < len(pattern) and pattern[end] not in _SPECIAL:
        end += 1
    if end < len(pattern) and pattern[end] in _REPEAT:
        end -= 1        # the last character may repeat, or be left out
    return pattern[:max(end, 0)]


class MatchIndex(object):
    """Names and searches, each with a key, filed for matching."""

    def __init__(self):
        self._names = []            # sorted
        self._keys_of_name = {}     # name -> key
        self._by_prefix = {}        # prefix -> {key: compiled search}
        self._prefix_of = {}        # search key -> prefix
        self._lengths = {}          # prefix length -> how many prefixes have it

    # Names.

    def add_name(self, name, key):
        if name not in self._keys_of_name:
            bisect.insort(self._names, name)
        self._keys_of_name[name] = key

    def remove_name(self, name):
        if self._keys_of_name.pop(name, None) is not None:
            i = bisect.bisect_left(self._names, name)
            if i < len(self._names) and self._names[i] == name:
                del self._names[i]

    def searches_matching(self, name):
        """The keys of the searches that fully match ``name``."""
        found = []
        for length in self._lengths:
            if length > len(name):
                continue
            filed = self._by_prefix.get(name[:length])
            if filed:
                found.extend(k for k, search in filed.items() if search.fullmatch(name))
        return found

    # Searches.

    def add_search(self, key, text, search):
        prefix = literal_prefix(text)
        self._prefix_of[key] = prefix
        filed = self._by_prefix.get(prefix)
        if filed is None:
            filed = self._by_prefix[prefix] = {}
            self._lengths[len(prefix)] = self._lengths.get(len(prefix), 0) + 1
        filed[key] = search

    def remove_search(self, key):
        prefix = self._prefix_of.pop(key, None)
        if prefix is None:
            return
        filed = self._by_prefix[prefix]
        filed.pop(key, None)
        if not filed:
            del self._by_prefix[prefix]
            left = self._lengths[len(prefix)] - 1
            if left:
                self._lengths[len(prefix)] = left
            else:
                del self._lengths[len(prefix)]

    def names_matching(self, key):
        """The keys of the names the search filed under ``key`` fully matches."""
        prefix = self._prefix_of[key]
        search = self._by_prefix[prefix][key]
        names = self._names
        found = []
        i = bisect.bisect_left(names, prefix)
        while i < len(names) and names[i].startswith(prefix):
            if search.fullmatch(names[i]):
                found.append(self._keys_of_name[names[i]])
            i += 1
        return found
