"""The message shared by the processes of bench/pubsub_bench.py.

A module of its own, so that every process (each runs bench/pubsub_actor.py
as ``__main__``) registers ``Stamp`` under the same name. Public API only;
runs on both libraries.
"""

import layer_cake as lc


class Stamp(object):
    """A subscriber's answer to a publisher: the name it saw, and when (its clock)."""

    def __init__(self, name: str = None, t: float = 0.0):
        self.name = name
        self.t = t


lc.bind(Stamp)
