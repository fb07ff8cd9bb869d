"""Which layer_cake a driver process runs on, for its result line.

The same driver script runs under both sides' venvs (bench/venvs.sh), so each
result line names the distribution and the path it imported layer_cake from;
the compare scripts list them, and a table cannot compare a library with
itself unnoticed.
"""

import os

import layer_cake as lc


def library_label():
    """'<distribution>==<version>' owning the imported layer_cake, and its path."""
    path = os.path.dirname(os.path.abspath(getattr(lc, '__file__', '') or ''))
    label = 'layer_cake (unknown distribution)'
    try:
        from importlib import metadata
        names = metadata.packages_distributions().get('layer_cake', [])
        if names:
            label = f'{names[0]}=={metadata.version(names[0])}'
    except Exception:
        pass
    return label, path
