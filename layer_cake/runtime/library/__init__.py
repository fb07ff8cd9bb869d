"""Library objects built on the runtime (runtime.md §13): one request and its
response, several requests at once or in turn, a spool of workers behind one
address, and retry schedules."""

from .response import GetResponse, Delay
from .concurrent import CreateFrame, Concurrently, Sequentially
from .spool import ObjectSpool
from .retry import RetryIntervals, intervals_only, smart_intervals, spread_out

__all__ = ['GetResponse', 'Delay', 'Concurrently', 'Sequentially', 'CreateFrame', 'ObjectSpool',
           'RetryIntervals', 'intervals_only', 'smart_intervals', 'spread_out']
