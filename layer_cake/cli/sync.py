"""Folder synchronisation for the material verbs (``resource``, ``model``,
``script``): plan first, apply only when asked.

A sync makes a *target* folder hold exactly the union of its *sources*.
Planning looks and changes nothing; the plan is a list of operations, each
one filesystem step printed as one line, so what ``--make-changes`` would do
can be read before it is done, and what it did is the same text.

* ``AddFolder(path=<source folder>, target=<new folder>)`` makes an empty
  folder; what goes in it follows as further operations.
* ``AddFile(path=<source file>, target=<new file>)`` copies a file that is
  not in the target.
* ``UpdateFile(path=<source file>, target=<file>)`` copies over a file whose
  size or modification time differs from its source's.
* ``DeleteFile(target=<file>)`` and ``DeleteFolder(target=<folder>)`` remove
  what no source has (a folder with everything in it).

Copies keep modification times, so a second sync of unchanged sources plans
nothing.  Where several sources hold the same file, the one named last wins;
a name that is a file in one source and a folder in another cannot be merged.
"""

import json
import os
import shutil

__all__ = ['Operation', 'SyncError', 'plan_sync', 'plan_clear', 'apply', 'entries_of',
           'folder_layer']


class SyncError(Exception):
    """A sync that cannot be planned or applied; ``condition`` and ``explanation``."""

    def __init__(self, condition, explanation):
        Exception.__init__(self, '%s (%s)' % (condition, explanation))
        self.condition = condition
        self.explanation = explanation


class Operation(object):
    """One planned step: ``kind`` names it, ``path`` is where the content comes from."""

    def __init__(self, kind, target, path=None):
        self.kind = kind
        self.target = target
        self.path = path

    def __str__(self):
        def quoted(text):
            return json.dumps(text, ensure_ascii=False)
        if self.path is None:
            return '%s(target=%s)' % (self.kind, quoted(self.target))
        return '%s(path=%s, target=%s)' % (self.kind, quoted(self.path), quoted(self.target))

    def __repr__(self):
        return str(self)


def _keep_all(name, is_folder):
    return True


def entries_of(folder, keep=_keep_all):
    """{name: (path, is_folder, stat)} of what a folder holds (only what ``keep`` keeps).

    Links are followed in sources; anything neither file nor folder is left out.
    """
    found = {}
    with os.scandir(folder) as listing:
        for entry in listing:
            try:
                is_folder = entry.is_dir()
                if not is_folder and not entry.is_file():
                    continue
                stat = entry.stat()
            except OSError:
                continue
            if keep(entry.name, is_folder):
                found[entry.name] = (entry.path, is_folder, stat)
    return found


def _target_entries(folder):
    """{name: (path, is_folder, stat)} of a target; a link is never a folder here,
    so deleting one never reaches through it."""
    found = {}
    with os.scandir(folder) as listing:
        for entry in listing:
            is_folder = entry.is_dir(follow_symlinks=False)
            try:
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                stat = None
            found[entry.name] = (entry.path, is_folder, stat)
    return found


def folder_layer(folder, keep=_keep_all):
    """A source folder as a layer: {name: path} of what it holds."""
    return {name: e[0] for name, e in entries_of(folder, keep).items()}


def _differs(source, target):
    if target is None:
        return True
    return source.st_size != target.st_size or source.st_mtime_ns != target.st_mtime_ns


def _merge(layers, keep, relative):
    """{name: [(path, is_folder, stat), ...]} over the layers, in layer order."""
    merged = {}
    for layer in layers:
        for name, path in layer.items():
            try:
                st = os.stat(path)
            except OSError as e:
                raise SyncError('cannot read "%s"' % (path,), e.strerror or str(e))
            is_folder = os.path.isdir(path)
            if not keep(name, is_folder):
                continue
            merged.setdefault(name, []).append((path, is_folder, st))
    for name, found in merged.items():
        kinds = {is_folder for _, is_folder, _ in found}
        if len(kinds) > 1:
            folder = [p for p, f, _ in found if f][0]
            file = [p for p, f, _ in found if not f][0]
            raise SyncError('cannot merge "%s"' % (os.path.join(relative, name),),
                            'a folder in "%s", a file in "%s"' % (folder, file))
    return merged


def _plan(layers, target, exists, keep, plan, relative=''):
    merged = _merge(layers, keep, relative)
    # What a sync does not take from sources (caches, say) it leaves alone in the target.
    present = {n: e for n, e in (_target_entries(target) if exists else {}).items()
               if keep(n, e[1])}
    # Removals first, so a name that changes from file to folder is free again.
    for name in sorted(present):
        path, is_folder, _ = present[name]
        wanted = merged.get(name)
        if wanted is None or wanted[0][1] != is_folder:
            plan.append(Operation('DeleteFolder' if is_folder else 'DeleteFile', path))
    for name in sorted(merged):
        found = merged[name]
        destination = os.path.join(target, name)
        current = present.get(name)
        if current is not None and current[1] != found[0][1]:
            current = None
        if found[0][1]:
            if current is None:
                plan.append(Operation('AddFolder', destination, found[0][0]))
            inner = [folder_layer(path, keep) for path, _, _ in found]
            _plan(inner, destination, current is not None, keep, plan,
                  os.path.join(relative, name))
            continue
        path, _, st = found[-1]
        if current is None:
            plan.append(Operation('AddFile', destination, path))
        elif _differs(st, current[2]):
            plan.append(Operation('UpdateFile', destination, path))


def plan_sync(layers, target, keep=_keep_all, origin=None):
    """The operations that make ``target`` hold exactly the union of ``layers``.

    A layer is {name: path} of what one source puts at the top of the target;
    ``keep(name, is_folder)`` says what a sync takes at any depth.  When the
    target does not exist the plan makes it (as a copy of ``origin``).
    """
    plan = []
    exists = os.path.isdir(target)
    if not exists:
        if os.path.lexists(target):
            raise SyncError('cannot sync into "%s"' % (target,), 'not a folder')
        plan.append(Operation('AddFolder', target, origin))
    _plan(layers, target, exists, keep, plan)
    return plan


def plan_clear(target):
    """The operations that empty ``target`` (nothing when it does not exist)."""
    if not os.path.isdir(target):
        return []
    present = _target_entries(target)
    return [Operation('DeleteFolder' if present[n][1] else 'DeleteFile', present[n][0])
            for n in sorted(present)]


def _apply_one(op):
    if op.kind == 'AddFolder':
        os.mkdir(op.target)
    elif op.kind in ('AddFile', 'UpdateFile'):
        # Copy beside the target, then rename: a reader never sees half a file.
        partial = os.path.join(os.path.dirname(op.target),
                               '.%s.sync-partial' % (os.path.basename(op.target),))
        if os.path.lexists(partial):
            os.remove(partial)
        shutil.copy2(op.path, partial)
        os.replace(partial, op.target)
    elif op.kind == 'DeleteFile':
        os.remove(op.target)
    elif op.kind == 'DeleteFolder':
        shutil.rmtree(op.target)
    else:
        raise ValueError('unknown operation %s' % (op.kind,))


def apply(plan, done=None):
    """Carry the plan out in order, calling ``done(op)`` after each step; SyncError
    naming the step that failed (the steps before it stay done)."""
    for op in plan:
        try:
            _apply_one(op)
        except OSError as e:
            raise SyncError('cannot %s' % (op,), e.strerror or str(e))
        if done is not None:
            done(op)
