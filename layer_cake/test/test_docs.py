"""The Sphinx documentation builds without a single warning."""

import os
import subprocess
import sys
import tempfile

from twisted.trial import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'doc')

try:
    import sphinx  # noqa: F401
except ImportError:
    sphinx = None


class DocumentationTests(unittest.SynchronousTestCase):

    if sphinx is None:
        skip = 'sphinx is not installed (pip install -e .[test] brings it)'

    def test_build_without_warnings(self):
        """sphinx-build -W (warnings are errors) succeeds on doc/."""
        with tempfile.TemporaryDirectory() as out:
            result = subprocess.run(
                [sys.executable, '-m', 'sphinx', '-W', '-q', '-b', 'html', DOC, out],
                capture_output=True, text=True, timeout=300)
            self.assertEqual(result.returncode, 0, result.stderr[-3000:])
            self.assertTrue(os.path.exists(os.path.join(out, 'index.html')))
