"""Report how this process was set up, as a role would see it."""

import os
import sys

import layer_cake as lc


def whoami(self) -> dict[str, str]:
    import sibling_module
    return {
        'argv0': os.path.basename(sys.argv[0]),
        'cwd': os.getcwd(),
        'path0': sys.path[0],
        'sibling': sibling_module.NAME,
        'pipes': str(sorted(fd for fd in (3, 4) if _open(fd))),
        'stdin': str(_open(0)),
        'extra': str(sorted(fd for fd in range(5, 64) if _open(fd))),
        'home': os.environ.get('LC_TEST_MARK', ''),
        'main': __name__,
    }


def _open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


lc.bind(whoami)

if __name__ == '__main__':
    lc.create(whoami)
