"""Retry schedules: ``RetryIntervals`` and the sequences made from it, and
``spread_out`` (a period with random jitter).

``RetryIntervals`` is a registered message so that it can be stored in role
settings and given on a command line (``--retry='{"regular_steps": 30.0}'``).
A schedule is each of ``first_steps``, then ``regular_steps`` over and over
(when set).  ``step_limit=N`` stops it after N - 1 values: an off-by-one kept
from the original library, on purpose, so existing settings mean the same.
"""

import itertools
import math
import random

from ..bind import bind


class RetryIntervals(object):
    """A schedule of retry delays, in seconds (see the module description)."""

    def __init__(self, first_steps: list[float] = None, regular_steps: float = None,
                 step_limit: int = None, randomized: float = None, truncated: float = None):
        self.first_steps = list(first_steps) if first_steps is not None else []
        self.regular_steps = regular_steps
        self.step_limit = step_limit
        self.randomized = randomized
        self.truncated = truncated

    def empty(self):
        """True when the schedule would produce no value at all."""
        if self.step_limit is not None and self.step_limit - 1 < 1:
            return True
        return not self.first_steps and self.regular_steps is None

    def __repr__(self):
        return ('RetryIntervals(first_steps=%r, regular_steps=%r, step_limit=%r, '
                'randomized=%r, truncated=%r)' % (self.first_steps, self.regular_steps,
                                                  self.step_limit, self.randomized,
                                                  self.truncated))


bind(RetryIntervals)


def _steps(r):
    """first_steps, then regular_steps forever (if set), cut at step_limit - 1 values."""
    steps = iter(r.first_steps)
    if r.regular_steps is not None:
        steps = itertools.chain(steps, itertools.repeat(r.regular_steps))
    if r.step_limit is not None:
        steps = itertools.islice(steps, max(r.step_limit - 1, 0))
    return steps


def intervals_only(r):
    """The plain schedule of ``r`` (no randomness); ``r.step_limit`` is required."""
    if r.step_limit is None:
        raise ValueError('intervals_only needs a step_limit')
    return _steps(r)


def smart_intervals(r):
    """The schedule of ``r``, each value lengthened by a random multiple of ``randomized``.

    The extra for a value ``v`` is ``k * randomized`` with ``k`` a whole number
    chosen at random so that the extra lies between 0 and ``v * truncated``
    (``v`` when ``truncated`` is None).  Unbounded when ``step_limit`` is None
    and ``regular_steps`` is set.
    """
    randomized, truncated = r.randomized, r.truncated
    for v in _steps(r):
        if randomized:
            ceiling = v * truncated if truncated is not None else v
            most = int(math.floor(ceiling / randomized + 1e-9)) if ceiling > 0 else 0
            v = v + random.randint(0, most) * randomized
        yield v


def spread_out(period, delta=25):
    """``period`` times a random factor in [1 - delta %, 1 + delta %)."""
    d = delta / 100.0
    return period * (1.0 - d + 2.0 * d * random.random())
