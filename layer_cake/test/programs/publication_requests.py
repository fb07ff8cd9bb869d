"""Requests a test sends to the ``publications`` program (a module of its own, so both
ends register them under one name)."""

import layer_cake as lc


class ClearName(object):
    def __init__(self, name: str = None):
        self.name = name


class Republish(object):
    def __init__(self, name: str = None):
        self.name = name


lc.bind(ClearName)
lc.bind(Republish)
