"""A role for group-cake tests: waits for Stop, or ends by itself after
``seconds`` with ``value`` (or at once with ``crash``: a non-standard exit)."""

import os

import layer_cake as lc


def idler(self, seconds: float = None, value: int = 0, crash: bool = False) -> int:
    if crash:
        os._exit(5)
    self.console('ready')        # signals are handled from here on
    if seconds is not None:
        self.start(lc.T1, seconds)
    while True:
        m = self.input()
        if isinstance(m, lc.T1):
            return value
        if isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(idler)

if __name__ == '__main__':
    lc.create(idler)
