"""Running the programs of a home: a role's executable, and group-cake.

The CLI never writes a role's settings itself when the role's own program
can: ``add`` and ``update`` run the program with ``--create-role`` or
``--update-role``, so the program checks the settings against its own
parameters.  What comes back is the program's result, read from its stdout
(``--full-output``) like a parent reads any child.
"""

import importlib.util
import os
import shutil
import subprocess
import sys

from ..types import portable as P
from ..types.codec import CodecJson
from ..types.errors import CodecError
from ..runtime.messages import Faulted
from ..process import role as R
from ..process.home import GROUP_ROLE
from ..process.process_object import CannotExecute, resolve
from ..runtime.storage import File
from .verb import Refused, path_of

__all__ = ['GROUP_CAKE_MODULE', 'GROUP_CAKE_NAME', 'group_cake_available', 'group_cake_argv',
           'executable_argv', 'role_argv', 'run_program', 'start_program', 'result_of',
           'check_settings']

GROUP_CAKE_MODULE = 'layer_cake.supervisor.group_cake'
GROUP_CAKE_NAME = 'group-cake'

_ANY = P.Any()


def group_cake_available():
    try:
        return importlib.util.find_spec(GROUP_CAKE_MODULE) is not None
    except ImportError:
        return False


def group_cake_argv():
    """group-cake from this interpreter, so a checkout works without installed scripts."""
    if not group_cake_available():
        raise Refused('cannot run %s' % (GROUP_CAKE_NAME,), 'module %s not found' % (
            GROUP_CAKE_MODULE,))
    return [sys.executable, '-m', GROUP_CAKE_MODULE], environment()


def environment(folders=()):
    """This environment with ``folders`` in front of PYTHONPATH."""
    env = dict(os.environ)
    paths = [f for f in folders if f]
    if env.get('PYTHONPATH'):
        paths.append(env['PYTHONPATH'])
    if paths:
        env['PYTHONPATH'] = os.pathsep.join(paths)
    return env


def executable_argv(executable):
    """(argv prefix, environment, path to record) for an executable named to ``add``.

    A ``.py`` file runs under this interpreter with its folder on PYTHONPATH;
    anything else is looked up on PATH.
    """
    if executable.endswith('.py'):
        path = os.path.abspath(executable)
        if not os.path.isfile(path):
            raise Refused('cannot add "%s"' % (executable,), 'no such file')
        return [sys.executable, path], environment([os.path.dirname(path)]), path
    if os.path.sep in executable:
        path = os.path.abspath(executable)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise Refused('cannot add "%s"' % (executable,), 'not an executable file')
        return [path], environment(), path
    found = shutil.which(executable)
    if found is None:
        raise Refused('cannot add "%s"' % (executable,), 'not found on PATH')
    return [found], environment(), found


def role_argv(home, name):
    """(argv prefix, environment) that runs role ``name``'s program."""
    if name == GROUP_ROLE:
        return group_cake_argv()
    try:
        target = resolve(R.HomeRole(home.path, name))
    except CannotExecute as e:
        raise Refused(e.fault.condition, e.fault.explanation)
    return list(target.program), environment(target.python_path)


def result_of(code, output, errors, what):
    """The value a program wrote on stdout (``--full-output``), or a Faulted saying why not."""
    text = output.decode('utf-8', 'replace').strip()
    if text:
        try:
            return CodecJson().decode(text, _ANY)
        except CodecError:
            pass
    last = [line for line in errors.decode('utf-8', 'replace').splitlines() if line.strip()]
    return Faulted('%s ended abnormally' % (what,), 'exit status %s%s' % (
        code, ', %s' % (last[-1].strip(),) if last else ''))


def start_program(argv, env):
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)


def finish_program(process, what):
    output, errors = process.communicate()
    return result_of(process.returncode, output, errors, what)


def run_program(argv, env, what):
    """Run a program to its end; its decoded result."""
    try:
        process = start_program(argv, env)
    except OSError as e:
        return Faulted('cannot run %s' % (what,), str(e))
    return finish_program(process, what)


def check_settings(home, names):
    """Refused, naming the file, when a role's settings cannot be read."""
    for name in names:
        path = path_of(home, name, 'settings')
        try:
            File(path, R.SETTINGS_TYPE).recover()
        except FileNotFoundError:
            raise Refused('cannot read settings "%s.json"' % (path,), 'no such file')
        except (OSError, CodecError, ValueError) as e:
            raise Refused('cannot read settings "%s.json"' % (path,), str(e).splitlines()[0])
