"""Messages shared by the parent and the child processes of bench/proc_bench.py.

The same as doc/demos/threads/test_api.py: a module of its own, so that the
parent and a child (which runs its own module as ``__main__``) register
``Xy`` under the same name. Public API only; runs on both libraries.
"""

import layer_cake as lc


class Xy(object):
    def __init__(self, x: int = 1, y: int = 1):
        self.x = x
        self.y = y


lc.bind(Xy)

table_type = lc.def_type(list[list[float]])
