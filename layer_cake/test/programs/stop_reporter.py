"""A child that notes the Stop it receives in a file, then ends with Aborted."""

import layer_cake as lc


def stop_reporter(self, note: str = None):
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            with open(note, 'w') as f:
                f.write('stopped\n')
            return lc.Aborted()


lc.bind(stop_reporter)

if __name__ == '__main__':
    lc.create(stop_reporter)
