# test_process_1.py
import layer_cake as lc
from test_function import texture


def main(self, x: int=2, y: int=2, processes: bool=False):
    # The same function, in a thread or in a child process.
    if processes:
        self.create(lc.ProcessObject, texture, x=x, y=y)
    else:
        self.create(texture, x=x, y=y)

    m = self.input()
    if isinstance(m, lc.Returned):
        return m.message        # the table, paired with its type
    return lc.Aborted()

lc.bind(main)

if __name__ == '__main__':
    lc.create(main)
