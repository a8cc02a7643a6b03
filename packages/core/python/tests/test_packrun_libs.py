"""Packrun's own pika (packrun-libs/) and a pack's pika never meet, and the sensor publisher's
buffer is bounded. Each case runs in a fresh interpreter so sys.modules starts clean."""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from harness import PYTHON_DIR

sys.path.insert(0, PYTHON_DIR)
from packrun_runtime.python_tag import site_tag  # noqa: E402

LIBS = os.path.join(PYTHON_DIR, 'packrun-libs', 'site', site_tag())


def run(script, *args):
    return subprocess.run([sys.executable, '-I', '-c', textwrap.dedent(script), PYTHON_DIR] + list(args),
                          capture_output=True, text=True, timeout=60)


@unittest.skipUnless(os.path.isdir(os.path.join(LIBS, 'pika')),
                     'packrun-libs is not built (run scripts/setup.sh)')
class PrivateImportTest(unittest.TestCase):
    def test_a_packs_own_pika_and_packruns_stay_apart(self):
        with tempfile.TemporaryDirectory() as pack:
            os.makedirs(os.path.join(pack, 'pika'))
            with open(os.path.join(pack, 'pika', '__init__.py'), 'w') as handle:
                handle.write("__version__ = 'the pack\\'s own'\n")
            result = run('''
                import sys
                sys.path.insert(0, sys.argv[1])
                sys.path.append(sys.argv[2])
                import pika as theirs
                from packrun_runtime.packrun_libs import import_private
                ours = import_private('pika')
                import pika as again
                print(theirs.__version__, '|', ours.__version__, '|', again is theirs,
                      hasattr(ours, 'BlockingConnection'), sys.argv[2] in sys.path)
            ''', pack)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stdout.strip(), "the pack's own | 1.3.2 | True True True")

    def test_packruns_pika_is_not_left_for_pack_code(self):
        result = run('''
            import sys
            sys.path.insert(0, sys.argv[1])
            from packrun_runtime.packrun_libs import import_private
            ours = import_private('pika')
            try:
                import pika
                print('importable', pika is ours)
            except ImportError:
                print('not importable', ours.__version__)
        ''')
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), 'not importable 1.3.2')

    def test_the_publisher_buffer_is_bounded_and_keeps_to_its_pack(self):
        result = run('''
            import socket, sys
            sys.path.insert(0, sys.argv[1])
            from packrun_runtime.broker_publisher import BrokerPublisher
            # A port nobody listens on: every dispatch has to wait in the buffer.
            probe = socket.socket(); probe.bind(('127.0.0.1', 0)); port = probe.getsockname()[1]; probe.close()
            publisher = BrokerPublisher({'url': 'amqp://u:p@127.0.0.1:%d/' % port, 'exchange': 'x',
                                         'buffer_limit': 3}, 'mypack', 'mypack.S')
            for n in range(5):
                publisher.publish({'trigger': 'mypack.tick', 'payload': {'n': n}})
            publisher.publish({'trigger': 'otherpack.tick', 'payload': {}})
            publisher.publish({'trigger': {'ref': 'mypack.watched.abc', 'type': 'mypack.watched'}, 'payload': {}})
            print(len(publisher._pending), publisher._dropped, [key for key, _, _ in publisher._pending])
        ''')
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "3 3 ['mypack.tick', 'mypack.tick', 'mypack.tick']")


if __name__ == '__main__':
    unittest.main()
