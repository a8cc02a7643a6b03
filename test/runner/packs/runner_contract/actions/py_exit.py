import atexit
import sys
import threading
import time

from st2common.runners.base_action import Action


class Exit(Action):
    """Prints a lot, leaves a non-daemon thread and an atexit handler that both print late, then
    exits with `code` from inside run(): the interpreter's end must still come in full."""

    def run(self, code, lines):
        for index in range(lines):
            print('out %06d %s' % (index, 'x' * 60))
            sys.stderr.write('err %06d\n' % (index,))

        def late():
            time.sleep(0.2)
            print('thread finished')

        threading.Thread(target=late).start()
        atexit.register(lambda: print('atexit ran'))
        sys.exit(code)
