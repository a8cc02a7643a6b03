import json
import os
import signal
import unittest

from harness import SENSOR_WRAPPER, SensorSession, make_pack, run_manual, sensor_job

PASSIVE = '''
    import queue
    import sys
    from st2reactor.sensor.base import Sensor

    class Watcher(Sensor):
        def setup(self):
            self.events = queue.Queue()
            self.sensor_service.set_value('started', 'yes')
            self.log = self.sensor_service.get_logger('watch')

        def run(self):
            while True:
                kind, trigger = self.events.get()
                if kind == 'boom':
                    raise RuntimeError('watcher broke')
                if kind == 'direct':
                    self.sensor_service.dispatch(trigger, {'to': 'one trigger'})
                    continue
                self.sensor_service.dispatch('seen', {
                    'kind': kind, 'ref': trigger['ref'],
                    'started': self.sensor_service.get_value('started'),
                    'config': self.config.get('region')})

        def cleanup(self):
            sys.stderr.write('cleanup called\\n')

        def add_trigger(self, trigger):
            kinds = {'mypack.boom': 'boom', 'mypack.direct': 'direct'}
            self.events.put((kinds.get(trigger['ref'], 'added'), trigger))

        def update_trigger(self, trigger):
            self.events.put(('updated', trigger))

        def remove_trigger(self, trigger):
            self.events.put(('removed', trigger))
'''


class SensorChannelTest(unittest.TestCase):
    def setUp(self):
        self.pack = make_pack({'sensors/watcher.py': PASSIVE})

    def test_triggers_dispatch_datastore_and_stop(self):
        session = SensorSession(sensor_job(self.pack, 'watcher.py', 'Watcher',
                                           triggers=[{'ref': 'mypack.a', 'id': '1'}],
                                           config={'region': 'eu'}))
        first = session.next_frame()
        self.assertEqual(first, {'type': 'dispatch', 'trigger': 'mypack.seen', 'trace_tag': None,
                                 'payload': {'kind': 'added', 'ref': 'mypack.a',
                                             'started': 'yes', 'config': 'eu'}})
        session.send({'type': 'trigger_updated', 'trigger': {'ref': 'mypack.b', 'id': '2'}})
        self.assertEqual(session.next_frame()['payload']['kind'], 'updated')
        session.send({'type': 'trigger_removed', 'trigger': {'ref': 'mypack.b', 'id': '2'}})
        self.assertEqual(session.next_frame()['payload']['ref'], 'mypack.b')
        session.send({'type': 'stop'})
        self.assertIsNone(session.next_frame())
        code, _, stderr = session.finish()
        self.assertEqual(code, 0)
        self.assertEqual(stderr.count('cleanup called'), 1)
        self.assertEqual(session.store['mypack.Watcher:started'], 'yes')

    def test_dispatch_to_a_trigger_dict(self):
        trigger = {'id': '9', 'ref': 'mypack.direct', 'type': 'mypack.webhook',
                   'parameters': {'url': 'x'}}
        session = SensorSession(sensor_job(self.pack, 'watcher.py', 'Watcher'))
        # Sent at once: it reaches the wrapper while setup() waits for its datastore reply.
        session.send({'type': 'trigger_added', 'trigger': trigger})
        self.assertEqual(session.next_frame(), {'type': 'dispatch', 'trigger': trigger,
                                                'payload': {'to': 'one trigger'},
                                                'trace_tag': None})
        session.send({'type': 'stop'})
        self.assertEqual(session.finish()[0], 0)

    def test_run_raising_gives_error_frame(self):
        session = SensorSession(sensor_job(self.pack, 'watcher.py', 'Watcher',
                                           triggers=[{'ref': 'mypack.boom'}]))
        frame = session.next_frame()
        self.assertEqual(frame['type'], 'error')
        self.assertEqual(frame['error']['type'], 'RuntimeError')
        self.assertIn('watcher broke', frame['error']['message'])
        code, _, stderr = session.finish()
        self.assertEqual(code, 1)
        self.assertIn('cleanup called', stderr)

    def test_unknown_class_name_is_a_load_error(self):
        session = SensorSession(sensor_job(self.pack, 'watcher.py', 'Nope'))
        frame = session.next_frame()
        self.assertEqual(frame['error']['type'], 'SensorLoadError')
        self.assertIn('Nope', frame['error']['message'])
        self.assertNotEqual(session.finish()[0], 0)

    def test_sigterm_runs_cleanup_and_exits_zero(self):
        session = SensorSession(sensor_job(self.pack, 'watcher.py', 'Watcher',
                                           triggers=[{'ref': 'mypack.a'}]))
        self.assertEqual(session.next_frame()['type'], 'dispatch')
        session.proc.send_signal(signal.SIGTERM)
        code, _, stderr = session.finish()
        self.assertEqual(code, 0)
        self.assertEqual(stderr.count('cleanup called'), 1)

    def test_parent_closing_the_channel_stops_the_sensor(self):
        session = SensorSession(sensor_job(self.pack, 'watcher.py', 'Watcher',
                                           triggers=[{'ref': 'mypack.a'}]))
        self.assertEqual(session.next_frame()['type'], 'dispatch')
        session.sock.close()
        _, stderr = session.proc.communicate(timeout=60)
        self.assertEqual(session.proc.returncode, 0)
        self.assertIn(b'cleanup called', stderr)


POLLING = '''
    import datetime
    import sys
    from st2reactor.sensor.base import PollingSensor

    class Ticker(PollingSensor):
        def setup(self):
            self.count = 0
            self.refs = []

        def poll(self):
            self.count += 1
            self.sensor_service.dispatch('other.tick', {
                'n': self.count, 'interval': self.get_poll_interval(), 'refs': self.refs,
                'when': datetime.datetime(2024, 1, 2, 3, 4, 5)}, trace_tag='tag-%d' % self.count)

        def cleanup(self):
            sys.stderr.write('ticker cleanup\\n')

        def add_trigger(self, trigger):
            self.refs.append(trigger['ref'])

        def update_trigger(self, trigger):
            pass

        def remove_trigger(self, trigger):
            pass
'''


class SensorManualTest(unittest.TestCase):
    def test_dispatches_are_printed_as_json_lines(self):
        pack = make_pack({'sensors/ticker.py': POLLING})
        code, out, err = run_manual(SENSOR_WRAPPER, [
            '--entry-point', os.path.join(pack, 'sensors', 'ticker.py'),
            '--poll-interval', '0.01', '--stop-after', '3',
            '--triggers', '[{"ref": "mypack.t1"}]'])
        self.assertEqual(code, 0, err)
        lines = [json.loads(line) for line in out.strip().splitlines()]
        self.assertEqual([line['payload']['n'] for line in lines], [1, 2, 3])
        self.assertEqual(lines[0], {'trigger': 'other.tick', 'trace_tag': 'tag-1', 'payload': {
            'n': 1, 'interval': 0.01, 'refs': ['mypack.t1'], 'when': '2024-01-02 03:04:05'}})
        self.assertIn('ticker cleanup', err)

    def test_polling_sensor_gets_poll_interval_and_passive_one_does_not(self):
        pack = make_pack({'sensors/watcher.py': PASSIVE})
        code, out, err = run_manual(SENSOR_WRAPPER, [
            '--entry-point', os.path.join(pack, 'sensors', 'watcher.py'),
            '--poll-interval', '5', '--stop-after', '1', '--config', '{"region": "us"}',
            '--triggers', '[{"ref": "mypack.x"}]'])
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out.strip())['payload'],
                         {'kind': 'added', 'ref': 'mypack.x', 'started': 'yes', 'config': 'us'})


if __name__ == '__main__':
    unittest.main()
