"""The st2common stand-ins, imported the way an action imports them."""

import datetime
import os
import subprocess
import sys
import unittest

from harness import PYTHON_DIR

sys.path.append(os.path.join(PYTHON_DIR, 'lib'))

from st2common.util import date as date_utils  # noqa: E402
from st2common.util import isotime  # noqa: E402
from st2common.util import jsonify  # noqa: E402
from st2common.util import shell  # noqa: E402


class IsotimeTest(unittest.TestCase):
    def test_format_naive_and_aware(self):
        naive = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)
        self.assertEqual(isotime.format(naive), '2024-05-06T07:08:09.123456+00:00')
        self.assertEqual(isotime.format(naive, usec=False, offset=False), '2024-05-06T07:08:09Z')
        plus2 = naive.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
        self.assertEqual(isotime.format(plus2, usec=False), '2024-05-06T07:08:09+02:00')

    def test_validate_accepts_only_utc_strings(self):
        self.assertTrue(isotime.validate('2024-05-06T07:08:09.123Z'))
        self.assertTrue(isotime.validate('2024-05-06 07:08:09+00:00'))
        self.assertFalse(isotime.validate('2024-05-06T07:08:09+02:00', raise_exception=False))
        with self.assertRaises(ValueError):
            isotime.validate('yesterday')

    def test_parse_gives_aware_utc(self):
        dt = isotime.parse('2024-05-06T07:08:09.500Z')
        self.assertEqual(dt, datetime.datetime(2024, 5, 6, 7, 8, 9, 500000,
                                               tzinfo=datetime.timezone.utc))
        self.assertEqual(isotime.format(isotime.parse('2024-05-06T07:08:09Z'), usec=False),
                         '2024-05-06T07:08:09+00:00')


class DateTest(unittest.TestCase):
    def test_parse_converts_to_utc_unless_asked(self):
        self.assertEqual(date_utils.parse('2024-05-06T09:00:00+02:00').hour, 7)
        kept = date_utils.parse('2024-05-06T09:00:00+02:00', preserve_original_tz=True)
        self.assertEqual((kept.hour, kept.utcoffset()), (9, datetime.timedelta(hours=2)))

    def test_add_utc_tz_refuses_other_zones(self):
        aware = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
        with self.assertRaises(ValueError):
            date_utils.add_utc_tz(aware)

    def test_now_is_aware(self):
        self.assertEqual(date_utils.get_datetime_utc_now().utcoffset(), datetime.timedelta(0))


class JsonifyTest(unittest.TestCase):
    def test_encode_handles_sets_and_datetimes(self):
        text = jsonify.json_encode({'s': {1}, 'd': datetime.datetime(2024, 1, 2)}, indent=None,
                                   sort_keys=True)
        self.assertEqual(text, '{"d": "2024-01-02T00:00:00", "s": [1]}')

    def test_try_loads_and_json_loads(self):
        self.assertEqual(jsonify.try_loads('{"a": 1}'), {'a': 1})
        self.assertEqual(jsonify.try_loads('not json'), 'not json')
        self.assertEqual(jsonify.json_loads({'a': '[1]', 'b': 'x'}), {'a': [1], 'b': 'x'})
        self.assertEqual(jsonify.get_json_type_for_python_value(True), 'boolean')


class ShellTest(unittest.TestCase):
    def test_quote_and_run(self):
        token = "it's $HOME"
        code, out, err = shell.run_command('printf %s ' + shell.quote_unix(token), shell=True)
        self.assertEqual((code, out, err), (0, token, ''))
        self.assertEqual(shell.quote_windows('a b'), '"a b"')

    def test_kill_process_terminates(self):
        proc = subprocess.Popen(['sleep', '30'], start_new_session=True)
        self.assertEqual(shell.kill_process(proc), 0)
        self.assertEqual(proc.wait(timeout=10), -15)


class ImportPathsTest(unittest.TestCase):
    def test_common_st2_import_paths_resolve(self):
        from st2actions.runners.pythonrunner import Action as LegacyAction
        from st2common.constants.keyvalue import DATASTORE_KEY_SEPARATOR, SYSTEM_SCOPE
        from st2common.constants.action import LIVEACTION_STATUS_SUCCEEDED
        from st2common.exceptions.action import InvalidActionParameterException
        from st2common.runners.base_action import Action
        from st2common import log as logging

        self.assertIs(LegacyAction, Action)
        self.assertEqual((SYSTEM_SCOPE, DATASTORE_KEY_SEPARATOR), ('system', ':'))
        self.assertEqual(LIVEACTION_STATUS_SUCCEEDED, 'succeeded')
        self.assertTrue(issubclass(InvalidActionParameterException, Exception))
        self.assertEqual(logging.getLogger('x.y').name, 'x.y')

    def test_action_without_service_defaults_like_st2(self):
        from st2common.runners.base_action import Action

        class Plain(Action):
            def run(self):
                return self.config['k']

        action = Plain(config={'k': 1})
        self.assertEqual(action.run(), 1)
        self.assertEqual(action.logger.name, 'actions.python.Plain')
        with self.assertRaises(ValueError) as caught:
            Plain().run()
        self.assertIn('"unknown"', str(caught.exception))


if __name__ == '__main__':
    unittest.main()
