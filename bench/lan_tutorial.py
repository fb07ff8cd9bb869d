"""The multihosting tutorial's server or worker, at LAN scope, for bench/lan_bench.py.

    python3 bench/lan_tutorial.py server --server-address='{"host": "127.0.0.1", "port": N}'
    python3 bench/lan_tutorial.py worker

examples/multihosting/test_server_10.py and test_worker_10.py subscribe and
publish at the default scope, HOST, so a server in one host never sees
workers in another. No program of the tutorial works at LAN scope. This
module runs the tutorial's own ``server`` and ``worker`` unchanged (imported
from examples/multihosting), with ``lc.publish`` and ``lc.subscribe`` given
``scope=LAN``: that is the only difference. Public API only; runs on both
libraries.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'examples', 'multihosting'))

import layer_cake as lc  # noqa: E402

_publish, _subscribe = lc.publish, lc.subscribe


def publish_lan(self, name, scope=None, **kw):
    return _publish(self, name, scope=lc.ScopeOfDirectory.LAN, **kw)


def subscribe_lan(self, search, scope=None):
    return _subscribe(self, search, scope=lc.ScopeOfDirectory.LAN)


lc.publish, lc.subscribe = publish_lan, subscribe_lan

import test_server_10  # noqa: E402
import test_worker_10  # noqa: E402

if __name__ == '__main__':
    role = sys.argv.pop(1)
    lc.create(test_server_10.server if role == 'server' else test_worker_10.worker)
