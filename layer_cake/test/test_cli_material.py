"""The material verbs of layer-cake -- ``resource``, ``model``, ``script`` --
against real processes in temporary homes (network.md §11.2-§11.4).

The first test is the reason these verbs exist: a home that holds its
program and the program's resources is copied elsewhere, everything it came
from is deleted, and the copy still runs.  The rest check the sync itself
(plan by default, ``--make-changes`` applies, a second sync plans nothing,
stale files go, ``--clear-all``), ``model --get-latest``, the refusal while
a role runs, and the one-line errors.
"""

import json
import os
import re
import shutil

from layer_cake.test.test_cli import (
    PROGRAMS, WORKER, CliTestCase, alive, wait_until)

READER = os.path.join(PROGRAMS, 'resource_reader.py')
TARGET_NAME = os.path.basename(WORKER)        # how the home names cli_worker.py
FAULT = re.compile(r'^layer-cake: .+ \(.+\)$')


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def tree(folder):
    """{relative path: content} of the files and {relative path: None} of the folders."""
    found = {}
    for top, folders, files in os.walk(folder):
        for name in folders:
            found[os.path.relpath(os.path.join(top, name), folder)] = None
        for name in files:
            with open(os.path.join(top, name)) as f:
                found[os.path.relpath(os.path.join(top, name), folder)] = f.read()
    return found


def op(kind, target, path=None):
    """The line a plan prints for one operation."""
    if path is None:
        return '%s(target=%s)' % (kind, json.dumps(target))
    return '%s(path=%s, target=%s)' % (kind, json.dumps(path), json.dumps(target))


class MaterialTestCase(CliTestCase):
    """A home with worker-0 and worker-1 (cli_worker.py) and folders to sync from."""

    def setUp(self):
        CliTestCase.setUp(self)
        self.source = os.path.join(self.folder, 'source')
        write(os.path.join(self.source, 'a.txt'), 'alpha')
        write(os.path.join(self.source, 'sub', 'b.txt'), 'bravo')

    def resources(self):
        return os.path.join(self.home, 'resource', TARGET_NAME)

    def model(self, role):
        return os.path.join(self.home, 'role', role, 'model')

    def fault_line(self, *arguments):
        line = self.fault(*arguments)
        self.assertRegex(line, FAULT)
        return line


class PortableImage(CliTestCase):
    """A home with its scripts and resources runs from a copy, alone."""

    def test_copied_home_runs(self):
        """create, add, script, resource; copy the home, delete the originals; run the copy."""
        program_folder = os.path.join(self.folder, 'program')
        os.makedirs(program_folder)
        program = os.path.join(program_folder, 'resource_reader.py')
        shutil.copy(READER, program)
        data = os.path.join(self.folder, 'data')
        write(os.path.join(data, 'numbers.txt'), '17 20\n5\n')

        self.ok('create')
        self.ok('add', program, 'reader')
        self.ok('script', program, '--make-changes')
        self.ok('resource', 'resource_reader.py', data, '--make-changes')
        self.assertEqual(os.listdir(os.path.join(self.home, 'script')), ['resource_reader.py'])

        copy = os.path.abspath(self.mktemp())
        shutil.copytree(self.home, copy)
        shutil.rmtree(self.home)
        shutil.rmtree(program_folder)
        shutil.rmtree(data)
        self.home = copy            # what the cleanup looks at for running roles

        code, out, err = self.cli('run', '--home-path=%s' % (copy,), '--main-role=reader')
        self.assertEqual(code, 0, err[-2000:])
        self.assertEqual(json.loads(out), 42)
        self.assertEqual(self.heads(), {})


class Syncing(MaterialTestCase):
    """Plan, apply, update, delete, clear, list: resource (and model, the same sync)."""

    def test_plan_changes_nothing(self):
        """Without --make-changes the operations are printed, one a line, and nothing changes."""
        self.made_home()
        out = self.ok('resource', TARGET_NAME, self.source)
        target = self.resources()
        self.assertEqual(out.splitlines(), [
            op('AddFolder', target, self.source),
            op('AddFile', os.path.join(target, 'a.txt'), os.path.join(self.source, 'a.txt')),
            op('AddFolder', os.path.join(target, 'sub'), os.path.join(self.source, 'sub')),
            op('AddFile', os.path.join(target, 'sub', 'b.txt'),
               os.path.join(self.source, 'sub', 'b.txt'))])
        self.assertFalse(os.path.exists(target))

    def test_make_changes_then_nothing_to_do(self):
        """--make-changes applies and prints the plan; a second sync plans nothing."""
        self.made_home()
        plan = self.ok('resource', TARGET_NAME, self.source)
        self.assertEqual(self.ok('resource', TARGET_NAME, self.source, '--make-changes'), plan)
        self.assertEqual(tree(self.resources()), tree(self.source))
        self.assertEqual(self.ok('resource', TARGET_NAME, self.source), '')
        self.assertEqual(self.ok('resource', TARGET_NAME, self.source, '-mc'), '')

    def test_update_and_delete(self):
        """Changed files are updated, new ones added, stale files and folders deleted."""
        self.made_home()
        self.ok('resource', TARGET_NAME, self.source, '--make-changes')
        target = self.resources()
        write(os.path.join(target, 'stale.txt'), 'old')
        write(os.path.join(target, 'gone', 'c.txt'), 'charlie')
        write(os.path.join(self.source, 'a.txt'), 'alpha, longer')
        write(os.path.join(self.source, 'new.txt'), 'new')
        before = tree(target)
        lines = self.ok('resource', TARGET_NAME, self.source).splitlines()
        self.assertEqual(sorted(lines), sorted([
            op('DeleteFolder', os.path.join(target, 'gone')),
            op('DeleteFile', os.path.join(target, 'stale.txt')),
            op('UpdateFile', os.path.join(target, 'a.txt'),
               os.path.join(self.source, 'a.txt')),
            op('AddFile', os.path.join(target, 'new.txt'),
               os.path.join(self.source, 'new.txt'))]))
        self.assertEqual(tree(target), before)
        self.ok('resource', TARGET_NAME, self.source, '--make-changes')
        self.assertEqual(tree(target), tree(self.source))

    def test_union_of_sources(self):
        """Several sources merge; the last named wins a file; file against folder is a fault."""
        self.made_home()
        other = os.path.join(self.folder, 'other')
        write(os.path.join(other, 'a.txt'), 'from other')
        write(os.path.join(other, 'sub', 'd.txt'), 'delta')
        self.ok('resource', TARGET_NAME, self.source, other, '--make-changes')
        self.assertEqual(tree(self.resources()), {
            'a.txt': 'from other', 'sub': None, 'sub/b.txt': 'bravo', 'sub/d.txt': 'delta'})
        self.assertEqual(self.ok('resource', TARGET_NAME, self.source, other), '')
        clash = os.path.join(self.folder, 'clash')
        write(os.path.join(clash, 'sub'), 'a file')
        self.assertIn('cannot merge "sub"', self.fault_line(
            'resource', TARGET_NAME, self.source, clash, '--make-changes'))

    def test_clear_all(self):
        """--clear-all plans deleting everything; with --make-changes the target is empty."""
        self.made_home()
        self.ok('resource', TARGET_NAME, self.source, '--make-changes')
        target = self.resources()
        out = self.ok('resource', TARGET_NAME, '--clear-all')
        self.assertEqual(out.splitlines(), [op('DeleteFile', os.path.join(target, 'a.txt')),
                                            op('DeleteFolder', os.path.join(target, 'sub'))])
        self.assertEqual(tree(target), tree(self.source))
        self.assertEqual(self.ok('resource', TARGET_NAME, '--clear-all', '--make-changes'), out)
        self.assertEqual(os.listdir(target), [])

    def test_listing(self):
        """Without folders the target is listed: names, --full-path, -rl, -ll."""
        self.made_home()
        self.assertEqual(self.ok('resource', TARGET_NAME), '')
        self.ok('resource', TARGET_NAME, self.source, '--make-changes')
        target = self.resources()
        self.assertEqual(self.ok('resource', TARGET_NAME), 'a.txt\nsub/\n')
        self.assertEqual(self.ok('resource', TARGET_NAME, '--recursive-listing'),
                         'a.txt\nsub/\nsub/b.txt\n')
        self.assertEqual(self.ok('resource', TARGET_NAME, '--full-path').splitlines(),
                         [os.path.join(target, 'a.txt'), os.path.join(target, 'sub') + '/'])
        lines = self.ok('resource', TARGET_NAME, '-ll', '-rl').splitlines()
        stamp = r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}'
        self.assertRegex(lines[0], r'^%s +5 a\.txt$' % (stamp,))
        self.assertRegex(lines[1], r'^%s +- sub/$' % (stamp,))
        self.assertRegex(lines[2], r'^%s +5 sub/b\.txt$' % (stamp,))

    def test_resource_path_in_role(self):
        """lc.resource_path() in a role of the executable is the folder the verb fills."""
        self.ok('create')
        self.ok('add', READER, 'reader')
        data = os.path.join(self.folder, 'data')
        write(os.path.join(data, 'numbers.txt'), '1 2 3')
        self.ok('resource', 'resource_reader.py', data, '--make-changes')
        code, out, err = self.cli('run', '--main-role=reader')
        self.assertEqual(code, 0, err[-2000:])
        self.assertEqual(json.loads(out), 6)


class Models(MaterialTestCase):
    """model <role> and model --get-latest."""

    def test_model_sync(self):
        """model syncs into role/<role>/model, and only that role's."""
        self.made_home()
        self.assertEqual(self.ok('model', 'worker-0', self.source), op(
            'AddFile', os.path.join(self.model('worker-0'), 'a.txt'),
            os.path.join(self.source, 'a.txt')) + '\n' + op(
            'AddFolder', os.path.join(self.model('worker-0'), 'sub'),
            os.path.join(self.source, 'sub')) + '\n' + op(
            'AddFile', os.path.join(self.model('worker-0'), 'sub', 'b.txt'),
            os.path.join(self.source, 'sub', 'b.txt')) + '\n')
        self.assertEqual(os.listdir(self.model('worker-0')), [])
        self.ok('model', 'worker-0', self.source, '--make-changes')
        self.assertEqual(tree(self.model('worker-0')), tree(self.source))
        self.assertEqual(os.listdir(self.model('worker-1')), [])
        self.assertEqual(self.ok('model', 'worker-0'), 'a.txt\nsub/\n')

    def test_get_latest(self):
        """--get-latest plans a copy out of the model, applies it with --make-changes."""
        self.made_home()
        self.ok('model', 'worker-0', self.source, '--make-changes')
        write(os.path.join(self.model('worker-0'), 'result.txt'), 'made by the role')
        out = os.path.join(self.folder, 'latest')
        plan = self.ok('model', 'worker-0', '--get-latest=%s' % (out,))
        self.assertEqual(plan.splitlines()[0], op('AddFolder', out, self.model('worker-0')))
        self.assertEqual(len(plan.splitlines()), 5)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(self.ok('model', 'worker-0', '--get-latest=%s' % (out,), '-mc'), plan)
        self.assertEqual(tree(out), tree(self.model('worker-0')))
        self.assertEqual(self.ok('model', 'worker-0', '--get-latest=%s' % (out,)), '')


class Scripts(MaterialTestCase):
    """script: modules in, and the three lists."""

    def test_script_and_lists(self):
        """script copies modules and packages (no caches); the lists show roles' programs."""
        self.made_home()
        modules = os.path.join(self.folder, 'modules')
        write(os.path.join(modules, 'one.py'), 'ONE = 1\n')
        write(os.path.join(modules, 'pkg', '__init__.py'), '')
        write(os.path.join(modules, 'pkg', '__pycache__', 'x.pyc'), 'cache')
        write(os.path.join(modules, 'notes.txt'), 'not a module')
        self.ok('script', modules, WORKER, '--make-changes')
        script = os.path.join(self.home, 'script')
        with open(WORKER) as f:
            worker = f.read()
        self.assertEqual(tree(script), {'cli_worker.py': worker,
                                        'one.py': 'ONE = 1\n', 'pkg': None,
                                        'pkg/__init__.py': ''})
        write(os.path.join(script, '__pycache__', 'one.pyc'), 'made by an import')
        self.assertEqual(self.ok('script', modules, WORKER), '')
        self.assertEqual(self.ok('script', '--list-scripts'),
                         '__pycache__\ncli_worker.py\none.py\npkg\n')
        self.assertEqual(self.ok('script', '--list-executables'), WORKER + '\n')
        self.assertEqual(self.ok('script', '--list-paths'), PROGRAMS + '\n')
        self.assertEqual(self.ok('script', WORKER).splitlines(), [
            op('DeleteFile', os.path.join(script, 'one.py')),
            op('DeleteFolder', os.path.join(script, 'pkg'))])


class Refusals(MaterialTestCase):
    """The live-file rule: no changes under a running role; planning is still allowed."""

    def test_refused_while_running(self):
        """resource, model and script --make-changes are refused naming the running role."""
        self.made_home()
        self.ok('start', 'worker-0')
        self.wait_running(['group', 'worker-0'])
        self.assertTrue(self.ok('resource', TARGET_NAME, self.source))
        line = self.fault_line('resource', TARGET_NAME, self.source, '--make-changes')
        self.assertIn('worker-0 running', line)
        self.assertNotIn('worker-1', line)
        self.assertIn('worker-0 running', self.fault_line(
            'model', 'worker-0', self.source, '--make-changes'))
        self.assertIn('worker-0 running', self.fault_line('script', WORKER, '--make-changes'))
        self.assertFalse(os.path.exists(self.resources()))
        self.assertEqual(os.listdir(os.path.join(self.home, 'script')), [])
        self.ok('model', 'worker-1', self.source, '--make-changes')

        pids = {head.pid for head in self.heads().values()}
        self.ok('stop')
        self.assertTrue(wait_until(lambda: not any(alive(p) for p in pids)))
        self.assertTrue(wait_until(lambda: not self.heads()))
        self.ok('resource', TARGET_NAME, self.source, '--make-changes')
        self.assertEqual(tree(self.resources()), tree(self.source))


class Errors(MaterialTestCase):
    """Each error is one line on stderr and exit status 71."""

    def test_missing_home(self):
        """Without a home every material verb is a fault saying so."""
        for arguments in (('resource', TARGET_NAME, self.source), ('model', 'w', self.source),
                          ('script', WORKER)):
            self.assertIn('does not exist', self.fault_line(*arguments))

    def test_unknown_role_and_executable(self):
        """model of no such role, resource of no role's executable."""
        self.made_home()
        self.assertIn('no role "nosuch"', self.fault_line('model', 'nosuch', self.source))
        self.assertIn('no executable "nosuch.py"', self.fault_line(
            'resource', 'nosuch.py', self.source))

    def test_sources_that_do_not_fit(self):
        """A file or a missing path as a folder; a file that is not a module; an overlap."""
        self.made_home()
        text = os.path.join(self.source, 'a.txt')
        self.assertIn('not a folder', self.fault_line('resource', TARGET_NAME, text))
        self.assertIn('no such folder', self.fault_line(
            'model', 'worker-0', os.path.join(self.folder, 'nosuch')))
        self.assertIn('not a Python module', self.fault_line('script', text))
        self.assertIn('overlaps', self.fault_line('resource', TARGET_NAME, self.folder))

    def test_conflicting_flags(self):
        """--clear-all with folders, --make-changes with nothing to do, two lists."""
        self.made_home()
        self.assertIn('--clear-all', self.fault_line(
            'resource', TARGET_NAME, self.source, '--clear-all'))
        self.assertIn('nothing to change', self.fault_line('model', 'worker-0', '-mc'))
        self.assertIn('conflicting options', self.fault_line(
            'script', '--list-scripts', '--list-paths'))

    def test_help(self):
        """<verb> --help shows the words and flags of resource, model and script."""
        out = self.ok('resource', '--help')
        self.assertIn('usage: layer-cake resource <executable> [<folder>...]', out)
        self.assertIn('--make-changes (-mc)', out)
        self.assertIn('--get-latest=<unicode> (-gl)', self.ok('model', '--help'))
        self.assertIn('--list-executables (-le)', self.ok('script', '--help'))
        top = self.ok('--help')
        for name in ('resource', 'model', 'script'):
            self.assertTrue(re.search(r'^  %s ' % (name,), top, re.M), name)
