# Sphinx configuration for layer-cake on Twisted.
project = 'layer-cake on Twisted'
author = 'the layer-cake on Twisted authors'
copyright = '2025, ' + author
release = '0.1.0'
version = '0.1'

extensions = []
root_doc = 'index'
exclude_patterns = ['_build', 'demos']
html_theme = 'alabaster'
pygments_style = 'sphinx'
