"""Stand-in for the multihosting tutorial's worker (test_worker_10.py), for bench/cli_run.

The tutorial's worker publishes itself through publish/subscribe, which this
repository does not have yet. This program keeps what a start-up benchmark
needs: a process that starts, then waits for messages in a loop until Stop.

Once running, it creates an empty file named by its pid in ``marker_dir``:
that is how bench/cli_bench.py sees that the role is running, the same way
for both libraries. Public API only; runs unchanged on the original and ours.
"""

import os

import layer_cake as lc


def worker(self, marker_dir: str = None):
    if marker_dir:
        path = os.path.join(marker_dir, str(os.getpid()))
        with open(path, 'w'):
            pass

    while True:
        m = self.input()
        if isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        # Anything else: ignore and wait again.


lc.bind(worker)

if __name__ == '__main__':
    lc.create(worker)
