"""Files and folders of encoded values (runtime.md §16.1).

A ``File`` holds one value of a declared type as a codec shipment
(``{"value": ...}``), by default in ``<name>.json`` in the codec's pretty
format.  A ``Folder`` is a directory of such files, optionally a collection
keyed by a property of each value.  Roles keep their settings and history in
these; applications may use them for their own data.

Paths are kept as given (relative paths stay relative) unless the folder is
made absolute.  Writes go to a temporary file that then replaces the target,
so a reader never sees half a file.
"""

import os
import re as re_module
import shutil

from ..types import registry
from ..types.codec import CodecJson

__all__ = ['File', 'Folder', 'remove_folder', 'remove_contents']

EXTENSION = '.json'


def _decorated(name, decorate_names):
    """The file name for ``name``: ``.json`` appended unless turned off or the name ends in '.'."""
    if not decorate_names:
        return name
    if name.endswith('.'):
        return name[:-1]
    return name + EXTENSION


class File(object):
    """One value of type ``tip`` stored at ``name`` (plus ``.json``)."""

    def __init__(self, name, tip, encoding=None, create_default=False, pretty_format=True,
                 decorate_names=True):
        self.name = name
        self.tip = registry.def_type(tip)
        self.encoding = encoding or 'utf-8'
        self.create_default = create_default
        self.pretty_format = pretty_format
        self.decorate_names = decorate_names
        self.path = _decorated(name, decorate_names)

    def _target(self, as_name, as_path):
        if as_name is None and as_path is None:
            return self.path
        folder, base = os.path.split(self.name)
        if as_name is not None:
            base = as_name
        if as_path is not None:
            folder = as_path
        return _decorated(os.path.join(folder, base), self.decorate_names)

    def store(self, value, as_name=None, as_path=None):
        """Encode ``value`` and write it; ``as_name``/``as_path`` redirect this one write
        to another file name and/or folder."""
        text = CodecJson(pretty_format=self.pretty_format).encode(value, self.tip)
        path = self._target(as_name, as_path)
        write_text(path, text + '\n' if self.pretty_format else text, self.encoding)

    def recover(self):
        """The stored value (a missing file gives ``make(tip)`` when ``create_default``)."""
        try:
            with open(self.path, 'r', encoding=self.encoding) as f:
                text = f.read()
        except FileNotFoundError:
            if self.create_default:
                return registry.make(self.tip)
            raise
        return CodecJson().decode(text, self.tip)

    def exists(self):
        return os.path.isfile(self.path)

    def erase(self):
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass

    def __repr__(self):
        return 'File(%r, %s)' % (self.path, self.tip)


def write_text(path, text, encoding='utf-8'):
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    folder = os.path.dirname(path) or '.'
    temporary = os.path.join(folder, '.%s.%d.tmp' % (os.path.basename(path), os.getpid()))
    with open(temporary, 'w', encoding=encoding) as f:
        f.write(text)
    os.replace(temporary, path)


_INHERITED = ('tip', 're', 'encoding', 'pretty_format', 'decorate_names', 'create_default',
              'keys_names', 'make_absolute', 'auto_create')


class Folder(object):
    """A directory of encoded files, created when absent (``auto_create``).

    ``re`` selects the files that belong to the folder (full match of the base
    name); ``keys_names=(key_of, filename_of)`` turns the folder into a keyed
    collection: ``key_of(value)`` is the dict key of a value and
    ``filename_of(value)`` the base name of its file.  Without ``keys_names``
    a collection is keyed by file base name.
    """

    def __init__(self, path=None, tip=None, re=None, encoding=None, pretty_format=True,
                 decorate_names=True, create_default=False, keys_names=None,
                 make_absolute=False, auto_create=True):
        if path is None:
            path = os.getcwd()
        if make_absolute:
            path = os.path.abspath(path)
        self.path = path
        self.tip = registry.def_type(tip) if tip is not None else None
        self.re = re
        self._compiled = re_module.compile(re) if re is not None else None
        self.encoding = encoding
        self.pretty_format = pretty_format
        self.decorate_names = decorate_names
        self.create_default = create_default
        self.keys_names = keys_names
        self.make_absolute = make_absolute
        self.auto_create = auto_create
        if auto_create:
            os.makedirs(path, exist_ok=True)

    def _settings(self, given):
        settings = {k: getattr(self, k) for k in _INHERITED}
        settings.update({k: v for k, v in given.items() if v is not None})
        return settings

    def folder(self, name, tip=None, re=None, encoding=None, pretty_format=None,
               decorate_names=None, create_default=None, keys_names=None, make_absolute=None,
               auto_create=None):
        """A sub-folder inheriting this folder's settings (this folder is not changed)."""
        settings = self._settings(dict(
            tip=tip, re=re, encoding=encoding, pretty_format=pretty_format,
            decorate_names=decorate_names, create_default=create_default, keys_names=keys_names,
            make_absolute=make_absolute, auto_create=auto_create))
        return Folder(os.path.join(self.path, name), **settings)

    def file(self, name, tip=None, encoding=None, create_default=None, pretty_format=None,
             decorate_names=None):
        """A File in this folder, inheriting the folder's settings."""
        settings = self._settings(dict(tip=tip, encoding=encoding, create_default=create_default,
                                       pretty_format=pretty_format,
                                       decorate_names=decorate_names))
        if settings['tip'] is None:
            raise ValueError('file "%s" has no type' % (name,))
        return File(os.path.join(self.path, name), settings['tip'],
                    encoding=settings['encoding'], create_default=settings['create_default'],
                    pretty_format=settings['pretty_format'],
                    decorate_names=settings['decorate_names'])

    # The files that belong to the folder.

    def matching(self):
        """Base names of this folder's files (``.json`` stripped) that fully match ``re``."""
        try:
            entries = sorted(os.listdir(self.path))
        except FileNotFoundError:
            return
        for entry in entries:
            if entry.startswith('.') and entry.endswith('.tmp'):
                continue
            if not os.path.isfile(os.path.join(self.path, entry)):
                continue
            if self.decorate_names:
                if not entry.endswith(EXTENSION):
                    continue
                name = entry[:-len(EXTENSION)]
            else:
                name = entry
            if self._compiled is not None and not self._compiled.fullmatch(name):
                continue
            yield name

    def each(self):
        """A File for each matching name."""
        for name in self.matching():
            yield self.file(name)

    def _key_of(self, value, name):
        if self.keys_names is None:
            return name
        return self.keys_names[0](value)

    def _filename_of(self, key, value):
        if self.keys_names is None:
            return str(key)
        return self.keys_names[1](value)

    def _needs_keys(self):
        if self.keys_names is None:
            raise ValueError('folder "%s" has no keys_names' % (self.path,))

    def recover(self):
        """(key, value) for every matching file."""
        for name in self.matching():
            value = self.file(name).recover()
            yield self._key_of(value, name), value

    def store(self, values):
        """Write every value of the dict; erase matching files not in it."""
        names = set()
        for key, value in values.items():
            name = self._filename_of(key, value)
            self.file(name).store(value)
            names.add(name)
        for name in list(self.matching()):
            if name not in names:
                self.erase(name)

    def add(self, values, item):
        """Add a new item to the dict and the folder (an existing key is a ValueError)."""
        self._needs_keys()
        key = self._key_of(item, None)
        if key in values:
            raise ValueError('cannot add "%s" (already present)' % (key,))
        self.file(self._filename_of(key, item)).store(item)
        values[key] = item

    def update(self, values, item):
        """Replace an existing item in the dict and the folder (a missing key is a ValueError)."""
        self._needs_keys()
        key = self._key_of(item, None)
        if key not in values:
            raise ValueError('cannot update "%s" (not present)' % (key,))
        self.file(self._filename_of(key, item)).store(item)
        values[key] = item

    def remove(self, values, item):
        """Remove an item from the dict and its file from the folder."""
        self._needs_keys()
        key = self._key_of(item, None)
        self.erase(self._filename_of(key, item))
        values.pop(key, None)

    def clear(self, values):
        """Erase every matching file and empty the dict."""
        for name in list(self.matching()):
            self.erase(name)
        values.clear()

    def erase(self, name):
        """Remove the file of that base name (nothing happens when it is absent)."""
        try:
            os.remove(_decorated(os.path.join(self.path, name), self.decorate_names))
        except FileNotFoundError:
            pass

    def exists(self, name=None):
        """Whether the folder (no name) or one of its files or sub-folders exists."""
        if name is None:
            return os.path.isdir(self.path)
        path = os.path.join(self.path, name)
        return os.path.isdir(path) or os.path.isfile(_decorated(path, self.decorate_names))

    def __repr__(self):
        return 'Folder(%r)' % (self.path,)


def remove_folder(path):
    """Remove a folder and everything in it (nothing happens when it is absent)."""
    if os.path.isdir(path):
        shutil.rmtree(path)


def remove_contents(path):
    """Remove everything inside a folder, keeping the folder itself."""
    try:
        entries = os.listdir(path)
    except FileNotFoundError:
        return
    for entry in entries:
        p = os.path.join(path, entry)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.remove(p)
