"""A role for the material-verb tests: reads numbers from a file in its
resource folder (``layer-cake resource``) and returns their sum, so a run
shows which resources the role found."""

import os

import layer_cake as lc


def resource_reader(self, name: str = 'numbers.txt') -> int:
    folder = lc.resource_path()
    if folder is None:
        return lc.Faulted('no resource folder', 'nothing synced for this executable')
    with open(os.path.join(folder, name)) as f:
        return sum(int(word) for word in f.read().split())


lc.bind(resource_reader)

if __name__ == '__main__':
    lc.create(resource_reader)
