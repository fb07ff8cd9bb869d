"""The trivial function that bench/proc_bench.py runs as a child process.

The same as doc/demos/threads/test_function.py: the parent does
``self.create(lc.ProcessObject, texture, x=2, y=2)``, which runs THIS file
as a child with ``--x=2 --y=2``; the child's ``lc.create(texture)`` prints
the result for the parent. Public API only; runs on both libraries.
"""

import random

import layer_cake as lc


def texture(self, x: int = 8, y: int = 8) -> list[list[float]]:
    table = []
    for r in range(y):
        row = [random.random() for c in range(x)]
        table.append(row)
    return table


lc.bind(texture)

if __name__ == '__main__':
    lc.create(texture)
