import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))

packages = find_packages(include=['layer_cake', 'layer_cake.*'])
package_data = {}

# twistd plugins live in twisted/plugins/ (no __init__.py) and ship as data of the
# 'twisted.plugins' package, as Twisted's plugin how-to describes. The folder comes
# with the directory tiers; until it exists there is nothing to ship.
if os.path.isdir(os.path.join(HERE, 'twisted', 'plugins')):
    packages.append('twisted.plugins')
    package_data['twisted'] = ['plugins/*.py']

TLS = ['pyOpenSSL']

with open(os.path.join(HERE, 'README.md'), encoding='utf-8') as f:
    long_description = f.read()

setup(
    name='layer-cake-twisted',
    version='0.1.0',
    description='The layer-cake actor library, re-implemented on Twisted',
    long_description=long_description,
    long_description_content_type='text/markdown',
    python_requires='>=3.11',
    # Packages sit at the repository root. Saying so makes `pip install -e .` put the
    # root on sys.path (a plain .pth file), so trial imports layer_cake without
    # warnings and Twisted's plugin scan finds twisted/plugins/ in a checkout too.
    package_dir={'': '.'},
    packages=packages,
    package_data=package_data,
    install_requires=[
        'twisted',
        'zope.interface',
        'service-identity',
        'pyasn1',
    ],
    extras_require={
        # encrypted=True (TLS) needs pyOpenSSL too. Optional: wherever it is
        # installed, Twisted's reactor imports it, and cryptography and
        # service_identity with it, into every process (about 13 MB and tens
        # of milliseconds each; bench/footprint.py).
        'tls': TLS,
        'test': ['hypothesis', 'sphinx'] + TLS,
        'doc': ['sphinx'],
    },
    entry_points={
        'console_scripts': [
            'group-cake=layer_cake.supervisor.group_cake:main',
            'host-cake=layer_cake.directory.host_cake:main',
            'lan-cake=layer_cake.directory.lan_cake:main',
            'layer-cake=layer_cake.cli.main:main',
        ],
    },
    zip_safe=False,
)
