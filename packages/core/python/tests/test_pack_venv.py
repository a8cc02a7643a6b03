"""The wrapper run by a pack's own virtualenv interpreter, as the runner starts it."""

import os
import subprocess
import sys
import tempfile
import unittest

import harness
from harness import action_job, make_pack, run_action


def make_venv():
    root = tempfile.mkdtemp(prefix='packrun-venv-')
    venv = os.path.join(root, 'venv')
    # No pip: the test installs its "dependencies" by writing them into site-packages.
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', venv], check=True)
    python = os.path.join(venv, 'bin', 'python')
    site = subprocess.run([python, '-I', '-c', 'import sysconfig; print(sysconfig.get_path("purelib"))'],
                          check=True, capture_output=True, text=True).stdout.strip()
    return python, site


class PackVenvTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python, cls.site = make_venv()
        # An installed dependency, and an installed st2common that must beat Packrun's.
        files = {
            'pinned_dep.py': 'VERSION = "1.2.3"\n',
            'six.py': 'FROM = "venv"\n',
            'st2common/__init__.py': 'FROM = "venv"\n',
            'st2common/runners/__init__.py': '',
            'st2common/runners/base_action.py': (
                'import abc\n'
                'class Action(abc.ABC):\n'
                '    FROM = "venv"\n'
                '    def __init__(self, config=None, action_service=None):\n'
                '        self.config = config\n'
                '        self.action_service = action_service\n'
                '    @abc.abstractmethod\n'
                '    def run(self, **kwargs):\n'
                '        pass\n'),
        }
        for rel, text in files.items():
            path = os.path.join(cls.site, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as f:
                f.write(text)

    def setUp(self):
        self._saved = harness.PYTHON, os.environ.get('PYTHONPATH')
        harness.PYTHON = self.python
        # -I must make the interpreter ignore this shadowing copy.
        shadow = tempfile.mkdtemp(prefix='packrun-shadow-')
        with open(os.path.join(shadow, 'pinned_dep.py'), 'w') as f:
            f.write('VERSION = "from PYTHONPATH"\n')
        os.environ['PYTHONPATH'] = shadow

    def tearDown(self):
        harness.PYTHON, pythonpath = self._saved
        if pythonpath is None:
            os.environ.pop('PYTHONPATH', None)
        else:
            os.environ['PYTHONPATH'] = pythonpath

    def test_venv_packages_win_and_user_env_is_ignored(self):
        pack = make_pack({'actions/deps.py': '''
            import os
            import sys
            import pinned_dep
            import six
            from st2common.runners.base_action import Action

            class Deps(Action):
                def run(self):
                    return {'dep': pinned_dep.VERSION, 'action_from': self.FROM, 'six': six.FROM,
                            'prefix': sys.prefix, 'set_value': self.action_service.set_value('k', 1)}
        '''})
        run = run_action(action_job(pack, 'deps.py'))
        result = run.last()['result']
        self.assertEqual(result['dep'], '1.2.3', run.stderr)
        self.assertEqual(result['action_from'], 'venv')
        self.assertEqual(result['six'], 'venv')
        self.assertEqual(os.path.realpath(result['prefix']),
                         os.path.realpath(os.path.dirname(os.path.dirname(self.python))))
        self.assertTrue(result['set_value'])
        self.assertEqual(run.datastore_requests[0]['args']['name'], 'mypack.Deps:k')


class CleanVenvTest(unittest.TestCase):
    """A venv with nothing installed: only Packrun's stand-ins can answer st2-era imports."""

    @classmethod
    def setUpClass(cls):
        cls.python, _ = make_venv()

    def setUp(self):
        self._saved = harness.PYTHON
        harness.PYTHON = self.python

    def tearDown(self):
        harness.PYTHON = self._saved

    def test_six_works_without_being_a_requirement(self):
        # As stackstorm-csv's format action does; st2 let packs use its own venv's six.
        pack = make_pack({'actions/fmt.py': '''
            import csv
            import six
            from six.moves import StringIO
            from st2common.runners.base_action import Action

            class Fmt(Action):
                def run(self, rows):
                    out = StringIO()
                    writer = csv.writer(out)
                    for row in rows:
                        writer.writerow(row)
                    return {'csv': out.getvalue(), 'six_from': six.__file__}
        '''})
        run = run_action(action_job(pack, 'fmt.py', parameters={'rows': [['a', 1], ['b', 2]]}))
        result = run.last()['result']
        self.assertEqual(result['csv'], 'a,1\r\nb,2\r\n', run.stderr)
        self.assertTrue(result['six_from'].endswith(os.path.join('python', 'lib', 'six.py')))


if __name__ == '__main__':
    unittest.main()
