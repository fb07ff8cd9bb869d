"""A role program for the CLI tests: logs a little, waits for Stop, returns Aborted.

With ``--finish`` it returns its settings at once instead, so a role can end
on its own.
"""

import layer_cake as lc


def cli_worker(self, rate: float = 1.0, label: str = None, finish: bool = False) -> float:
    self.console('cli_worker', rate=rate, label=label)
    if finish:
        return rate
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            self.console('stopping')
            return lc.Aborted()


lc.bind(cli_worker)

if __name__ == '__main__':
    lc.create(cli_worker)
