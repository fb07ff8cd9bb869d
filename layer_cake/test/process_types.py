"""Messages shared by the process tests and the child programs they run."""

import layer_cake as lc


class Xy(object):
    """A request for a table of ``y`` rows of ``x`` values."""

    def __init__(self, x: int = 1, y: int = 1):
        self.x = x
        self.y = y


class SlowXy(object):
    """Like Xy, answered after ``seconds``."""

    def __init__(self, seconds: float = 1.0, x: int = 1, y: int = 1):
        self.seconds = seconds
        self.x = x
        self.y = y


class WhoAreYou(object):
    """Asks a worker for its process id."""


class IAm(object):
    """A worker's process id."""

    def __init__(self, pid: int = 0):
        self.pid = pid


for _m in (Xy, SlowXy, WhoAreYou, IAm):
    lc.bind(_m)

table_type = lc.def_type(list[list[float]])


def make_table(x, y):
    """A deterministic table (the tests compare shapes and values)."""
    return [[float(i * x + j) / 10.0 for j in range(x)] for i in range(y)]
