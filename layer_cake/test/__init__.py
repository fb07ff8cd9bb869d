"""The tests of layer-cake on Twisted.

Tiers that listen at a fixed loopback port announce it in the host's
rendezvous folder, and nodes waiting for one watch that folder
(:mod:`layer_cake.directory.rendezvous`).  The tests, and every process they
start, meet in a folder of their own instead of the machine's.
"""

import atexit
import os
import shutil
import tempfile

from layer_cake.directory.rendezvous import FOLDER_VARIABLE

if not os.environ.get(FOLDER_VARIABLE):
    os.environ[FOLDER_VARIABLE] = tempfile.mkdtemp(prefix='lc-rendezvous-')
    atexit.register(shutil.rmtree, os.environ[FOLDER_VARIABLE], True)
