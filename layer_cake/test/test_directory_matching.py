"""The match index gives exactly the full matches a search-by-search scan gives."""

import random
import re

from twisted.trial import unittest

from layer_cake.directory.matching import MatchIndex, literal_prefix


class Prefix(unittest.TestCase):

    def test_plain_beginnings(self):
        cases = {
            'abc': 'abc',
            'test-multihosting:worker-10:[-a-f0-9]+': 'test-multihosting:worker-10:',
            's-0000[0-9]': 's-0000',
            'ab*': 'a', 'ab+c': 'a', 'ab?': 'a', 'ab{2}': 'a',
            'a\\.b': 'a', '^abc': '', '.*': '', '(?i)abc': '', 'abc|xyz': '',
            'x(y|z)': '', '': '', '[ab]c': '',     # any '|': no prefix (cautious)
        }
        for pattern, prefix in cases.items():
            self.assertEqual(literal_prefix(pattern), prefix, pattern)
            self.assertTrue(all(n.startswith(prefix) for n in ('abc', 'ac', 'xyz', 'abcabc')
                                if re.fullmatch(pattern, n)), pattern)


class Equivalence(unittest.TestCase):

    SEARCHES = ['s-0000[0-9]', 's-00.*', 's-001[0-9]+', 'abc', 'ab*c', '(?i)ABC', 'abc|s-0001',
                's-(0001|0002)', '.*7', 's-0003\\d', '[as].*', '', 'x{0}s-00004', 's-0000?5']

    def brute(self, names, searches):
        return {(n, k) for n in names for k, text in searches.items()
                if re.compile(text).fullmatch(n)}

    def indexed(self, index, names, searches):
        by_name = {(n, k) for n in names for k in index.searches_matching(n)}
        by_search = set()
        for k in searches:
            by_search |= {(names_by_key, k) for names_by_key in
                          (self.name_of[i] for i in index.names_matching(k))}
        return by_name, by_search

    def test_random_adds_and_removes(self):
        rng = random.Random(1195)
        index = MatchIndex()
        names, searches, self.name_of = set(), {}, {}
        for step in range(3000):
            action = rng.random()
            if action < 0.45:
                n = rng.choice(['s-%05d' % rng.randrange(60), 'abc', 'aBc', 'ac', 'abbbc', 'x7',
                                's-0003x', ''])
                if n and n not in names:
                    names.add(n)
                    self.name_of['id-' + n] = n
                    index.add_name(n, 'id-' + n)
            elif action < 0.7 and names:
                n = rng.choice(sorted(names))
                names.discard(n)
                index.remove_name(n)
            elif action < 0.9:
                k = 'sub-%d' % step
                searches[k] = rng.choice(self.SEARCHES)
                index.add_search(k, searches[k], re.compile(searches[k]))
            elif searches:
                k = rng.choice(sorted(searches))
                del searches[k]
                index.remove_search(k)
            if step % 100 == 0:
                expected = self.brute(names, searches)
                by_name, by_search = self.indexed(index, names, searches)
                self.assertEqual(by_name, expected)
                self.assertEqual(by_search, expected)
        self.assertTrue(names and searches)
