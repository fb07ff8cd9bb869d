"""The tests of layer-cake on Twisted.

Tiers that listen at a fixed loopback port announce it in the host's
rendezvous folder, and nodes waiting for one watch that folder
(:mod:`layer_cake.directory.rendezvous`).  The tests, and every process they
start, meet in a folder of their own instead of the machine's.

A host-cake with no LAN parent given looks for lan-cake at the standard LAN
address worked out from the machine's primary IP (:mod:`layer_cake.directory.lan`).
No test on the machine's own network may reach for a private address, so
the tests and every process they start have that switched off; the tests
that need it (``test_lan_netns``) switch it on again for the processes they
start inside network namespaces of their own.

Encrypted listens and directories make TLS key material when they find none
(:mod:`layer_cake.net.tls`); the tests make theirs in a folder of their own,
never in the user's ``~/.layer-cake-tls``.
"""

import atexit
import os
import shutil
import tempfile

from layer_cake.directory.lan import LAN_VARIABLE
from layer_cake.directory.rendezvous import FOLDER_VARIABLE

TLS_FOLDER_VARIABLE = 'LC_TLS_FOLDER'     # layer_cake.net.tls needs pyOpenSSL to import

if not os.environ.get(FOLDER_VARIABLE):
    os.environ[FOLDER_VARIABLE] = tempfile.mkdtemp(prefix='lc-rendezvous-')
    atexit.register(shutil.rmtree, os.environ[FOLDER_VARIABLE], True)

os.environ[LAN_VARIABLE] = 'off'

if not os.environ.get(TLS_FOLDER_VARIABLE):
    _tls_parent = tempfile.mkdtemp(prefix='lc-tls-')
    os.environ[TLS_FOLDER_VARIABLE] = os.path.join(_tls_parent, 'tls')
    atexit.register(shutil.rmtree, _tls_parent, True)
