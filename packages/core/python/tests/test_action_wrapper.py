import json
import os
import tempfile
import unittest

from harness import (ACTION_WRAPPER, action_job, make_pack, recv_frame, run_action, run_manual,
                     send_frame, spawn_with_channel)


class ClassSelectionTest(unittest.TestCase):
    def test_first_class_by_name_that_implements_run_wins(self):
        pack = make_pack({'actions/pick.py': '''
            from st2common.runners.base_action import Action

            class Zeta(Action):
                def run(self):
                    return 'zeta'

            class Beta(Action):
                def run(self):
                    return 'beta'

            class Alpha(object):
                """Defined in the module but has no run(): skipped."""
                def other(self):
                    return 'alpha'
        '''})
        run = run_action(action_job(pack, 'pick.py'))
        self.assertEqual(run.last(), {'type': 'result', 'result': 'beta', 'success': None})
        self.assertEqual(run.exit_code, 0)

    def test_imported_classes_are_not_candidates(self):
        pack = make_pack({
            'actions/lib/helpers.py': '''
                class AAAImported(object):
                    def run(self):
                        return 'imported'
            ''',
            'actions/own.py': '''
                from helpers import AAAImported
                from st2common.runners.base_action import Action

                class Own(Action):
                    def run(self):
                        return 'own'
            '''})
        run = run_action(action_job(pack, 'own.py'))
        self.assertEqual(run.last()['result'], 'own')

    def test_module_without_action_class_is_a_load_error(self):
        pack = make_pack({'actions/none.py': 'X = 1\n'})
        run = run_action(action_job(pack, 'none.py'))
        self.assertEqual(run.last()['type'], 'error')
        self.assertEqual(run.last()['error']['type'], 'ActionLoadError')
        self.assertIn('none.py', run.last()['error']['message'])
        self.assertNotEqual(run.exit_code, 0)

    def test_job_with_parameters_that_are_not_an_object_is_refused(self):
        pack = make_pack({'actions/none.py': 'X = 1\n'})
        job = action_job(pack, 'none.py')
        job['parameters'] = ['a']
        run = run_action(job)
        self.assertEqual(run.last()['error']['type'], 'InvalidJob')
        self.assertIn('parameters', run.last()['error']['message'])
        self.assertEqual(run.exit_code, 2)

    def test_import_error_is_reported_with_traceback(self):
        pack = make_pack({'actions/broken.py': 'import does_not_exist_anywhere\n'})
        run = run_action(action_job(pack, 'broken.py'))
        error = run.last()['error']
        self.assertEqual(error['type'], 'ActionLoadError')
        self.assertIn('does_not_exist_anywhere', error['message'])
        self.assertIn('Traceback', error['traceback'])


class ResultTest(unittest.TestCase):
    def _run(self, body, parameters=None):
        """body: the statements of run(), as lines without indentation."""
        lines = body if isinstance(body, list) else [body]
        source = ('from st2common.runners.base_action import Action\n\n'
                  'class Act(Action):\n'
                  '    def run(self, **kwargs):\n'
                  + ''.join('        ' + line + '\n' for line in lines))
        pack = make_pack({'actions/act.py': source})
        return run_action(action_job(pack, 'act.py', parameters=parameters))

    def test_true_tuple_sets_success(self):
        run = self._run("return (True, {'a': kwargs['x']})", {'x': 3})
        self.assertEqual(run.last(), {'type': 'result', 'result': {'a': 3}, 'success': True})

    def test_false_tuple_is_a_result_with_success_false_and_exit_zero(self):
        run = self._run("return (False, 'nope')")
        self.assertEqual(run.last(), {'type': 'result', 'result': 'nope', 'success': False})
        self.assertEqual(run.exit_code, 0)

    def test_none_status_tuple_keeps_only_the_result(self):
        run = self._run("return (None, [1, 2])")
        self.assertEqual(run.last(), {'type': 'result', 'result': [1, 2], 'success': None})

    def test_two_tuple_with_non_bool_status_is_an_error(self):
        run = self._run("return ('a', 'b')")
        self.assertEqual(run.last()['type'], 'error')
        self.assertEqual(run.last()['error']['type'], 'InvalidActionStatus')
        self.assertEqual(run.exit_code, 220)

    def test_three_tuple_is_plain_data(self):
        run = self._run("return ('a', 'b', 'c')")
        self.assertEqual(run.last()['result'], ['a', 'b', 'c'])
        self.assertIsNone(run.last()['success'])

    def test_non_serialisable_result_becomes_str(self):
        run = self._run("return {'s': {1, 2}.__class__}")
        self.assertEqual(run.last()['result'], "{'s': <class 'set'>}")

    def _run_limited(self, body):
        source = ('from st2common.runners.base_action import Action\n\n'
                  'class Act(Action):\n'
                  '    def run(self, **kwargs):\n'
                  '        ' + body + '\n')
        pack = make_pack({'actions/act.py': source})
        job = action_job(pack, 'act.py')
        job['result_limits'] = {'max_bytes': 1000, 'max_depth': 5}
        return run_action(job)

    def test_result_over_the_jobs_size_limit_is_an_error_naming_it(self):
        run = self._run_limited("return 'x' * 2000")
        self.assertEqual(run.last()['type'], 'error')
        self.assertEqual(run.last()['error']['type'], 'ResultTooLarge')
        self.assertIn('PACKRUN_RESULT_MAX_BYTES', run.last()['error']['message'])
        self.assertEqual(run.exit_code, 1)

    def test_result_nested_deeper_than_the_job_allows_is_an_error_even_a_million_deep(self):
        for depth in (6, 1000000):
            run = self._run_limited('v = []\n        for _ in range(%d): v = [v]\n        return v' % depth)
            self.assertEqual(run.last()['type'], 'error')
            self.assertEqual(run.last()['error']['type'], 'ResultTooDeep')
            self.assertIn('nested more than 5 levels deep (PACKRUN_JSON_MAX_DEPTH)', run.last()['error']['message'])
        self.assertEqual(self._run_limited('return [[[[1]]]]').last()['result'], [[[[1]]]])

    def test_exception_gives_error_frame_and_non_zero_exit(self):
        run = self._run("raise KeyError('missing thing')")
        self.assertEqual(run.last()['type'], 'error')
        self.assertEqual(run.last()['error']['type'], 'KeyError')
        self.assertIn('missing thing', run.last()['error']['message'])
        self.assertIn('act.py', run.last()['error']['traceback'])
        self.assertEqual(run.exit_code, 1)

    def test_printed_fake_frame_does_not_change_the_result(self):
        body = [
            "import sys, struct, json, os",
            "fake = json.dumps({'type': 'result', 'result': 'forged', 'success': True})",
            "print(fake)",
            "sys.stdout.flush()",
            "sys.stdout.buffer.write(struct.pack('>I', len(fake)) + fake.encode())",
            "sys.stdout.flush()",
            "wrote = False",
            "try:",
            "    os.write(3, struct.pack('>I', len(fake)) + fake.encode())",
            "    wrote = True",
            "except OSError:",
            "    pass",
            "return (False, {'fd3_writable': wrote})",
        ]
        run = self._run(body)
        self.assertIn('forged', run.stdout)
        self.assertEqual(run.frames, [{'type': 'result', 'result': {'fd3_writable': False},
                                       'success': False}])

    def test_setup_in_the_job_frame_is_the_environment_the_action_and_its_children_see(self):
        pack = make_pack({'actions/env.py': """
            import os, subprocess
            from st2common.runners.base_action import Action
            class Env(Action):
                def run(self):
                    child = subprocess.run(['sh', '-c', 'echo "$GIVEN"'], capture_output=True,
                                           text=True).stdout.strip()
                    return {'given': os.environ.get('GIVEN'), 'child': child,
                            'names': sorted(os.environ), 'cwd': os.getcwd()}
        """})
        folder = tempfile.mkdtemp(prefix='packrun-setup-')
        env = {'PATH': '/usr/bin:/bin', 'GIVEN': "it's $HOME", 'HOME': folder}
        run = run_action(action_job(pack, 'env.py'), setup={'cwd': folder, 'env': env})
        self.assertEqual(run.last()['result'], {'given': "it's $HOME", 'child': "it's $HOME",
                                                'names': ['GIVEN', 'HOME', 'PATH',
                                                          'ST2_ACTION_EXECUTION_ID',
                                                          'ST2_ACTION_PACK_NAME'],
                                                'cwd': os.path.realpath(folder)})

    def test_subprocesses_do_not_inherit_the_channel(self):
        run = self._run([
            "import subprocess",
            "listing = subprocess.run(['ls', '-l', '/proc/self/fd'], close_fds=False,",
            "                         capture_output=True, text=True).stdout",
            "return 'socket:' in listing",
        ])
        self.assertIs(run.last()['result'], False)

    def test_output_reaches_the_parent_while_the_action_runs(self):
        # The action waits for a file the test creates only after reading the action's first
        # line: with block-buffered stdout that line would arrive at exit, after the wait gave up.
        flag = os.path.join(tempfile.mkdtemp(prefix='packrun-flag-'), 'go')
        body = [
            "import os, time",
            "print('ready')",
            "deadline = time.monotonic() + 30",
            "while not os.path.exists(%r) and time.monotonic() < deadline:" % flag,
            "    time.sleep(0.01)",
            "return os.path.exists(%r)" % flag,
        ]
        source = ('from st2common.runners.base_action import Action\n\n'
                  'class Act(Action):\n    def run(self):\n'
                  + ''.join('        ' + line + '\n' for line in body))
        pack = make_pack({'actions/act.py': source})
        proc, sock = spawn_with_channel(ACTION_WRAPPER)
        send_frame(sock, {'type': 'job', 'job': action_job(pack, 'act.py')})
        self.assertEqual(proc.stdout.readline(), b'ready\n')
        open(flag, 'w').close()
        self.assertEqual(recv_frame(sock), {'type': 'result', 'result': True, 'success': None})
        proc.communicate(timeout=60)
        sock.close()

    def test_user_output_stays_on_stdout_and_stderr(self):
        run = self._run("import sys; print('to stdout'); sys.stderr.write('to stderr\\n'); "
                        "self.logger.info('logged'); return 1")
        self.assertEqual(run.stdout, 'to stdout\n')
        self.assertIn('to stderr', run.stderr)
        self.assertIn('actions.python.Act', run.stderr)
        self.assertEqual(run.last()['result'], 1)


class ConstructorTest(unittest.TestCase):
    def test_config_only_constructor_gets_the_service_afterwards(self):
        pack = make_pack({'actions/old.py': '''
            from st2common.runners.base_action import Action

            class Old(Action):
                def __init__(self, config):
                    super(Old, self).__init__(config)
                    self.seen = config

                def run(self):
                    self.action_service.set_value('v', 'x')
                    return {'config': self.seen, 'has_service': self.action_service is not None}
        '''})
        run = run_action(action_job(pack, 'old.py', config={'token': 't'}))
        self.assertEqual(run.last()['result'], {'config': {'token': 't'}, 'has_service': True})
        self.assertEqual(run.datastore_requests[0]['args']['name'], 'mypack.Old:v')

    def test_missing_config_key_names_pack_and_key(self):
        pack = make_pack({'actions/cfg.py': '''
            from st2common.runners.base_action import Action

            class Cfg(Action):
                def run(self):
                    return self.config['api_key']
        '''})
        run = run_action(action_job(pack, 'cfg.py'))
        self.assertEqual(run.last()['error']['type'], 'ValueError')
        self.assertIn('"mypack"', run.last()['error']['message'])
        self.assertIn('"api_key"', run.last()['error']['message'])


class DatastoreOverChannelTest(unittest.TestCase):
    def test_local_prefix_and_global_keys(self):
        pack = make_pack({'actions/kv.py': '''
            from st2common.runners.base_action import Action

            class Kv(Action):
                def run(self):
                    s = self.action_service
                    s.set_value('count', 7)
                    s.set_value('shared', 'g', local=False, ttl=30, encrypt=True)
                    return {
                        'local': s.get_value('count'),
                        'global': s.get_value('shared', local=False, decrypt=True),
                        'absent': s.get_value('nothing'),
                        'listed': sorted(kv.name for kv in s.list_values()),
                        'listed_global': sorted(kv.name for kv in s.list_values(local=False)),
                        'page': [kv.name for kv in s.list_values(local=False, limit=1, offset=1)],
                        'deleted': s.delete_value('count'),
                        'deleted_again': s.delete_value('count'),
                    }
        '''})
        store = {'other.Key:x': 'untouched'}
        run = run_action(action_job(pack, 'kv.py'), datastore=store)
        self.assertEqual(run.last()['result'], {
            'local': '7', 'global': 'g', 'absent': None,
            'listed': ['mypack.Kv:count'],
            'listed_global': ['mypack.Kv:count', 'other.Key:x', 'shared'],
            'page': ['other.Key:x'],
            'deleted': True, 'deleted_again': False,
        })
        set_shared = [r for r in run.datastore_requests
                      if r['op'] == 'set' and r['args']['name'] == 'shared'][0]
        self.assertEqual(set_shared['args'], {'name': 'shared', 'value': 'g', 'scope': 'system',
                                              'ttl': 30, 'encrypt': True})
        ids = [r['id'] for r in run.datastore_requests]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(store, {'other.Key:x': 'untouched', 'shared': 'g'})

    def test_unsupported_scope_raises_in_the_action(self):
        pack = make_pack({'actions/scope.py': '''
            from st2common.runners.base_action import Action

            class Scope(Action):
                def run(self):
                    return self.action_service.get_value('k', scope='galaxy')
        '''})
        run = run_action(action_job(pack, 'scope.py'))
        self.assertEqual(run.last()['error']['type'], 'ValueError')
        self.assertEqual(run.datastore_requests, [])


class ImportOrderTest(unittest.TestCase):
    def test_pack_lib_module_shadows_packrun_module(self):
        # The pack brings its own st2common; every st2common import, the wrapper's own class
        # selection included, must resolve to it.
        pack = make_pack({
            'actions/lib/st2common/__init__.py': '',
            'actions/lib/st2common/runners/__init__.py': '',
            'actions/lib/st2common/runners/base_action.py': '''
                import abc
                class Action(abc.ABC):
                    WHO = 'pack'
                    def __init__(self, config=None, action_service=None):
                        self.config = config
                    @abc.abstractmethod
                    def run(self, **kwargs):
                        pass
            ''',
            'actions/lib/st2common/util/__init__.py': '',
            'actions/lib/st2common/util/isotime.py': 'WHO = "pack"\n',
            'actions/order.py': '''
                import sys
                from st2common.runners.base_action import Action

                class Order(Action):
                    def run(self):
                        from st2common.util import isotime
                        return {'who': [isotime.WHO, self.WHO], 'path': sys.path}
            '''})
        run = run_action(action_job(pack, 'order.py'))
        result = run.last()['result']
        self.assertEqual(result['who'], ['pack', 'pack'], run.stderr)
        path = result['path']
        if os.path.join('st2-fallback', 'site') in path[-1]:
            # The st2 fallback site (once scripts/setup.sh built it) comes after Packrun's lib.
            path = path[:-1]
        lib = os.path.join(pack, 'actions', 'lib')
        actions = os.path.join(pack, 'actions')
        packrun_lib = path[-1]
        self.assertTrue(packrun_lib.endswith(os.path.join('python', 'lib')), path)
        self.assertEqual(path[-3:-1], [lib, actions])
        self.assertFalse(any(p.endswith(os.path.join('core', 'python')) for p in path), path)

    def test_packrun_base_action_used_when_pack_has_none(self):
        pack = make_pack({'actions/where.py': '''
            import st2common.runners.base_action as b
            class Where(b.Action):
                def run(self):
                    return b.__file__
        '''})
        run = run_action(action_job(pack, 'where.py'))
        self.assertTrue(run.last()['result'].endswith(
            os.path.join('python', 'lib', 'st2common', 'runners', 'base_action.py')))


class ManualModeTest(unittest.TestCase):
    def setUp(self):
        self.pack = make_pack({
            'actions/greet.py': '''
                from st2common.runners.base_action import Action

                class Greet(Action):
                    def run(self, name, fail=False):
                        print('hello ' + name)
                        print('{"type": "result", "result": "forged"}')
                        seen = self.action_service.get_value('seen') or '0'
                        self.action_service.set_value('seen', int(seen) + 1)
                        return (not fail, {'name': name, 'seen': int(seen) + 1,
                                           'token': self.config.get('token')})
            ''',
            'actions/boom.py': '''
                from st2common.runners.base_action import Action

                class Boom(Action):
                    def run(self):
                        raise RuntimeError('kaboom')
            '''})
        self.entry = os.path.join(self.pack, 'actions', 'greet.py')

    def _last_json(self, stdout):
        return json.loads(stdout.strip().splitlines()[-1])

    def test_success_prints_result_last_and_exits_zero(self):
        params = os.path.join(self.pack, 'params.json')
        with open(params, 'w') as f:
            json.dump({'name': 'ada'}, f)
        store = os.path.join(self.pack, 'kv.json')
        code, out, err = run_manual(ACTION_WRAPPER, [
            '--entry-point', self.entry, '--parameters', '@' + params,
            '--config', '{"token": "t1"}', '--datastore', store])
        self.assertEqual(code, 0, err)
        self.assertTrue(out.startswith('hello ada\n'))
        self.assertEqual(self._last_json(out), {
            'status': 'succeeded', 'success': True,
            'result': {'name': 'ada', 'seen': 1, 'token': 't1'}})
        with open(store) as f:
            self.assertEqual(json.load(f)['system'], {'mypack.Greet:seen': '1'})
        code, out, _ = run_manual(ACTION_WRAPPER, [
            '--entry-point', self.entry, '--parameters', '{"name": "ada"}',
            '--datastore', store])
        self.assertEqual(self._last_json(out)['result']['seen'], 2)

    def test_false_status_exits_non_zero(self):
        code, out, _ = run_manual(ACTION_WRAPPER, [
            '--entry-point', self.entry, '--parameters', '{"name": "x", "fail": true}'])
        self.assertEqual(code, 1)
        self.assertEqual(self._last_json(out)['status'], 'failed')
        self.assertIs(self._last_json(out)['success'], False)

    def test_exception_exits_non_zero_with_error(self):
        code, out, err = run_manual(ACTION_WRAPPER, [
            '--entry-point', os.path.join(self.pack, 'actions', 'boom.py')])
        self.assertEqual(code, 1)
        document = self._last_json(out)
        self.assertEqual(document['status'], 'failed')
        self.assertEqual(document['error']['type'], 'RuntimeError')
        self.assertIn('kaboom', err)

    def test_manual_flag_ignores_an_open_fd3(self):
        proc, sock = spawn_with_channel(ACTION_WRAPPER, [
            '--manual', '--entry-point', self.entry, '--parameters', '{"name": "fd"}'])
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(self._last_json(out.decode())['result']['name'], 'fd')
        sock.settimeout(5)
        self.assertEqual(sock.recv(1), b'')
        sock.close()

    def test_bad_parameters_json_is_a_usage_error(self):
        code, _, err = run_manual(ACTION_WRAPPER, [
            '--entry-point', self.entry, '--parameters', '{nope'])
        self.assertNotEqual(code, 0)
        self.assertIn('--parameters', err)


if __name__ == '__main__':
    unittest.main()
