"""Not a layer-cake program: misbehaves as its first argument says.

garbage     print text that is not an encoding, exit 0
silent      print nothing, exit 3
big-frame   write a frame size line over the limit on the pipe to the parent, then wait
"""

import os
import sys
import time

if __name__ == '__main__':
    how = sys.argv[1]
    if how == 'garbage':
        print('hello, this is not JSON')
        sys.exit(0)
    if how == 'silent':
        sys.exit(3)
    if how == 'big-frame':
        os.write(4, b'1,1,99999999\n')
        time.sleep(60)
        sys.exit(0)
    sys.exit(2)
