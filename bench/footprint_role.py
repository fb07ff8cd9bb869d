"""The idle role bench/footprint.py starts: says it is up, then waits for Stop.

Public API only, so the same file runs on either library.  "Up" is one line
written to the descriptor named by ``$FOOTPRINT_FD`` from inside the main
object, after the whole start-up (imports, runtime, directory) has run.
"""

import os

import layer_cake as lc


def idle(self):
    fd = int(os.environ['FOOTPRINT_FD'])
    os.write(fd, b'up\n')
    os.close(fd)
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(idle)

if __name__ == '__main__':
    lc.create(idle)
