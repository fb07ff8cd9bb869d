"""Files and folders of encoded values (runtime.md §16.1)."""

import json
import os

from twisted.trial import unittest

import layer_cake as lc
from layer_cake.runtime import storage


class Xy(object):
    def __init__(self, x: int = 1, y: int = 1):
        self.x = x
        self.y = y


lc.bind(Xy)


class Account(object):
    def __init__(self, name: str = None, balance: int = 0):
        self.name = name
        self.balance = balance


lc.bind(Account)

KEYS = (lambda a: a.name, lambda a: 'account-%s' % (a.name,))


class FileTests(unittest.SynchronousTestCase):

    def setUp(self):
        self.folder = self.mktemp()
        os.makedirs(self.folder)

    def path(self, name):
        return os.path.join(self.folder, name)

    def test_store_and_recover(self):
        """A File writes the shipment of a message to <name>.json and reads it back."""
        f = lc.File(self.path('point'), Xy)
        f.store(Xy(1, 2))
        with open(self.path('point.json')) as g:
            self.assertEqual(json.load(g), {'value': {'x': 1, 'y': 2}})
        self.assertTrue(lc.equal_to(f.recover(), Xy(1, 2)))

    def test_pretty_and_compact(self):
        """The default format is pretty (indented); pretty_format=False is compact."""
        lc.File(self.path('a'), list[int]).store([1, 2])
        lc.File(self.path('b'), list[int], pretty_format=False).store([1, 2])
        with open(self.path('a.json')) as g:
            self.assertIn('\n    ', g.read())
        with open(self.path('b.json')) as g:
            self.assertEqual(g.read(), '{"value":[1,2]}')

    def test_any_type_expression(self):
        """The type of a File is any type expression, constructed types included."""
        f = lc.File(self.path('table'), dict[str, list[float]])
        f.store({'a': [0.5]})
        self.assertEqual(f.recover(), {'a': [0.5]})

    def test_undecorated_names(self):
        """No extension is added with decorate_names=False or a name ending in '.'."""
        lc.File(self.path('plain'), int, decorate_names=False).store(3)
        lc.File(self.path('dotted.'), int).store(4)
        self.assertTrue(os.path.isfile(self.path('plain')))
        self.assertTrue(os.path.isfile(self.path('dotted')))
        self.assertEqual(lc.File(self.path('dotted.'), int).recover(), 4)

    def test_missing_file(self):
        """A missing file raises FileNotFoundError unless create_default gives make(tip)."""
        self.assertRaises(FileNotFoundError, lc.File(self.path('none'), Xy).recover)
        v = lc.File(self.path('none'), Xy, create_default=True).recover()
        self.assertIsInstance(v, Xy)
        self.assertEqual(lc.File(self.path('none'), list[int], create_default=True).recover(),
                         [])

    def test_store_elsewhere(self):
        """store(as_name=, as_path=) writes that one value under another name or folder."""
        other = self.path('other')
        os.makedirs(other)
        f = lc.File(self.path('base'), int)
        f.store(1, as_name='renamed')
        f.store(2, as_path=other)
        self.assertEqual(lc.File(self.path('renamed'), int).recover(), 1)
        self.assertEqual(lc.File(os.path.join(other, 'base'), int).recover(), 2)
        self.assertFalse(os.path.exists(self.path('base.json')))

    def test_bad_value(self):
        """A value that does not fit the type raises the codec's error and writes nothing."""
        f = lc.File(self.path('bad'), int)
        self.assertRaises(lc.CodecError, f.store, 'text')
        self.assertFalse(os.path.exists(self.path('bad.json')))


class FolderTests(unittest.SynchronousTestCase):

    def setUp(self):
        self.base = self.mktemp()

    def test_auto_create(self):
        """A Folder creates its directory unless auto_create=False; paths stay as given."""
        f = lc.Folder(self.base)
        self.assertTrue(os.path.isdir(self.base))
        self.assertEqual(f.path, self.base)
        g = lc.Folder(os.path.join(self.base, 'not'), auto_create=False)
        self.assertFalse(g.exists())
        h = lc.Folder(self.base, make_absolute=True)
        self.assertEqual(h.path, os.path.abspath(self.base))

    def test_children_inherit(self):
        """folder() and file() inherit the settings; the parent's re is left alone."""
        f = lc.Folder(self.base, tip=int, re='[a-z]+')
        sub = f.folder('sub', re='[0-9]+')
        self.assertEqual(f.re, '[a-z]+')
        self.assertEqual(sub.re, '[0-9]+')
        self.assertIs(sub.tip, lc.def_type(int))
        self.assertTrue(os.path.isdir(os.path.join(self.base, 'sub')))
        sub.file('7').store(7)
        self.assertEqual(sub.file('7').recover(), 7)

    def test_matching_and_each(self):
        """matching() yields base names of .json files fully matching re; each() their Files."""
        f = lc.Folder(self.base, tip=int, re='[a-z]+')
        for name in ('abc', 'def', 'x1'):
            f.file(name).store(1)
        with open(os.path.join(self.base, 'zzz.txt'), 'w') as g:
            g.write('x')
        os.makedirs(os.path.join(self.base, 'folder.json'))
        self.assertEqual(sorted(f.matching()), ['abc', 'def'])
        self.assertEqual(sorted(os.path.basename(x.path) for x in f.each()),
                         ['abc.json', 'def.json'])

    def test_keyed_collection(self):
        """recover/store/add/update/remove/clear keep a dict and the folder in step."""
        f = lc.Folder(self.base, tip=Account, re='account-.+', keys_names=KEYS)
        accounts = {}
        f.add(accounts, Account('ann', 1))
        f.add(accounts, Account('bob', 2))
        self.assertRaises(ValueError, f.add, accounts, Account('ann', 5))
        self.assertRaises(ValueError, f.update, accounts, Account('cat', 5))
        f.update(accounts, Account('ann', 10))
        recovered = dict(f.recover())
        self.assertEqual(sorted(recovered), ['ann', 'bob'])
        self.assertEqual(recovered['ann'].balance, 10)
        f.remove(accounts, accounts['bob'])
        self.assertEqual(sorted(f.matching()), ['account-ann'])
        self.assertEqual(list(accounts), ['ann'])
        f.store({'cat': Account('cat', 3)})
        self.assertEqual(sorted(f.matching()), ['account-cat'])
        f.clear(accounts)
        self.assertEqual(list(f.matching()), [])
        self.assertEqual(accounts, {})

    def test_unkeyed_collection(self):
        """Without keys_names a collection is keyed by file base name."""
        f = lc.Folder(self.base, tip=int)
        f.store({'one': 1, 'two': 2})
        self.assertEqual(dict(f.recover()), {'one': 1, 'two': 2})
        self.assertRaises(ValueError, f.add, {}, 3)

    def test_erase_and_exists(self):
        """erase(name) removes a file; exists() tells of the folder or one of its files."""
        f = lc.Folder(self.base, tip=int)
        f.file('a').store(1)
        self.assertTrue(f.exists())
        self.assertTrue(f.exists('a'))
        f.erase('a')
        f.erase('a')
        self.assertFalse(f.exists('a'))

    def test_remove_helpers(self):
        """remove_contents empties a folder; remove_folder removes it (absent is fine)."""
        f = lc.Folder(self.base, tip=int)
        f.file('a').store(1)
        f.folder('deeper').file('b').store(2)
        lc.remove_contents(self.base)
        self.assertEqual(os.listdir(self.base), [])
        lc.remove_folder(self.base)
        self.assertFalse(os.path.exists(self.base))
        lc.remove_folder(self.base)
        lc.remove_contents(self.base)

    def test_exported(self):
        """File, Folder and the helpers reach lc from the runtime's storage module."""
        self.assertIs(lc.File, storage.File)
        self.assertIs(lc.Folder, storage.Folder)
        self.assertIs(lc.remove_folder, storage.remove_folder)
        self.assertIs(lc.remove_contents, storage.remove_contents)
