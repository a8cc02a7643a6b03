"""eventlet.monkey_patch() becomes a no-op in wrapper processes (see eventlet_guard.py).

A stdlib-only stand-in package plays eventlet here; test/exchange runs a real one."""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from harness import PYTHON_DIR

FAKE_EVENTLET = {
    'eventlet/__init__.py': textwrap.dedent('''\
        from eventlet.patcher import monkey_patch
        PATCHED = []
        '''),
    'eventlet/patcher.py': textwrap.dedent('''\
        def monkey_patch(**kwargs):
            import eventlet
            eventlet.PATCHED.append(kwargs)
        '''),
}

SCRIPT = textwrap.dedent('''\
    import sys
    sys.path.append(sys.argv[2])
    sys.path.append(sys.argv[1])
    from packrun_runtime.eventlet_guard import disarm_eventlet_monkey_patch
    disarm_eventlet_monkey_patch()
    sys.stderr.write('imported before use: %s\\n' % ('eventlet' in sys.modules))
    import eventlet
    from eventlet import monkey_patch
    monkey_patch(thread=True)
    eventlet.patcher.monkey_patch(socket=True)
    print(len(eventlet.PATCHED))
    ''')


class EventletGuardTest(unittest.TestCase):
    def run_script(self, with_eventlet):
        with tempfile.TemporaryDirectory() as site:
            if with_eventlet:
                for name, text in FAKE_EVENTLET.items():
                    os.makedirs(os.path.dirname(os.path.join(site, name)), exist_ok=True)
                    with open(os.path.join(site, name), 'w') as f:
                        f.write(text)
            return subprocess.run([sys.executable, '-I', '-c', SCRIPT, site, PYTHON_DIR],
                                  capture_output=True, text=True, timeout=30)

    def test_monkey_patch_is_skipped_and_says_so(self):
        run = self.run_script(with_eventlet=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.strip(), '0')
        self.assertEqual(run.stderr.count('eventlet.monkey_patch() skipped'), 2)
        self.assertIn('imported before use: False', run.stderr)

    def test_without_eventlet_nothing_is_imported(self):
        run = self.run_script(with_eventlet=False)
        self.assertIn("ModuleNotFoundError: No module named 'eventlet'", run.stderr)
        self.assertNotIn('skipped', run.stderr)


if __name__ == '__main__':
    unittest.main()
