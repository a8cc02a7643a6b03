"""st2common.util.jinja and st2common.content.utils, as the Exchange jinja pack uses them: st2's
filters with st2's results (the expected values are what st2 3.9's own functions give), and pack
folders as a job sees them."""

import os
import sys
import unittest

from harness import PYTHON_DIR

sys.path.insert(0, PYTHON_DIR)
from packrun_runtime import loader  # noqa: E402

# As pack code gets them: Packrun's stand-ins, then the st2 fallback libraries.
for folder in (loader.LIB_DIR, loader.FALLBACK_DIR):
    if folder not in sys.path:
        sys.path.append(folder)

BUILT = os.path.isdir(os.path.join(loader.FALLBACK_DIR, 'jinja2'))


@unittest.skipUnless(BUILT, 'the st2 fallback libraries are not built for this interpreter (run scripts/setup.sh)')
class JinjaEnvironmentTest(unittest.TestCase):
    def render(self, template, allow_undefined=False, **context):
        from st2common.util import jinja as jinja_utils
        return jinja_utils.get_jinja_environment(allow_undefined=allow_undefined).from_string(template).render(context)

    def test_data_filters(self):
        value = {'b': [1, 'é'], 'a': None}
        self.assertEqual(self.render('{{ v | to_json_string }}', v=value), '{"b": [1,"\\u00e9"],"a": null}')
        self.assertEqual(self.render('{{ v | to_json_string(indent=1, sort_keys=True) }}', v={'b': 1, 'a': 2}),
                         '{\n "a": 2,\n "b": 1\n}')
        self.assertEqual(self.render('{{ v | to_yaml_string }}', v=value), "a: null\nb:\n- 1\n- é\n")
        self.assertEqual(self.render('{{ (s | from_json_string).x }}', s='{"x": [1]}'), '[1]')
        self.assertEqual(self.render('{{ (s | from_yaml_string).x }}', s='x: 2'), '2')
        self.assertEqual(self.render('{{ s | json_escape }}', s='say "hi"\n'), 'say \\"hi\\"\\n')
        self.assertEqual(self.render('{{ v | jsonpath_query("b[0]") }}', v=value), '[1]')
        self.assertEqual(self.render('{{ v | jsonpath_query("c") }}', v=value), 'None')
        self.assertEqual(self.render('{{ v | use_none }}', v=None), '%*****__%NONE%__*****%')
        self.assertEqual(self.render('{{ v | to_complex }}', v=[1]), '[1]')

    def test_regex_filters(self):
        self.assertEqual(self.render("{{ 'v1.22' | regex_replace('v(\\\\d+)', 'V\\\\1') }}"), 'V1.22')
        self.assertEqual(self.render("{{ 'abc' | regex_match('B', ignorecase=True) }}"), 'False')
        self.assertEqual(self.render("{{ 'abc' | regex_match('A', ignorecase=True) }}"), 'True')
        self.assertEqual(self.render("{{ 'abc' | regex_search('c') }}"), 'True')
        self.assertEqual(self.render("{{ 'a1b2' | regex_substring('\\\\d', 1) }}"), '2')
        self.assertEqual(self.render("{{ 123 | regex_replace('2', 'x') }}"), '1x3')

    def test_time_filter(self):
        cases = {0: '0s', 0.5: '0.5\u03bcs', 59: '59s', 60: '1m0s', 3725: '1h2m5s', 93784: '1d2h3m4s',
                 31536000 + 1: '1y0d0h0m1s', 1.6: '2s'}
        for seconds, expected in cases.items():
            self.assertEqual(self.render('{{ s | to_human_time_from_seconds }}', s=seconds), expected)

    def test_version_filters(self):
        self.assertEqual(self.render("{{ '1.2.3' | version_compare('1.10.0') }}"), '-1')
        self.assertEqual(self.render("{{ '2.0.0' | version_more_than('1.9.9') }}"), 'True')
        self.assertEqual(self.render("{{ '1.0.0' | version_less_than('1.0.0') }}"), 'False')
        self.assertEqual(self.render("{{ '1.0.0' | version_equal('1.0.0') }}"), 'True')
        self.assertEqual(self.render("{{ '1.4.2' | version_match('>=1.4.0') }}"), 'True')
        self.assertEqual(self.render("{{ '1.4.2' | version_bump_major }}"), '2.0.0')
        self.assertEqual(self.render("{{ '1.4.2' | version_bump_minor }}"), '1.5.0')
        self.assertEqual(self.render("{{ '1.4.2' | version_bump_patch }}"), '1.4.3')
        self.assertEqual(self.render("{{ '1.4.2' | version_strip_patch }}"), '1.4')

    def test_path_filters_and_the_in_test(self):
        self.assertEqual(self.render("{{ '/a/b.txt' | basename }} {{ '/a/b.txt' | dirname }}"), 'b.txt /a')
        self.assertEqual(self.render("{{ 'x' is in ['x', 'y'] }}"), 'True')

    def test_undefined_names(self):
        import jinja2
        self.assertEqual(self.render('[{{ nothing }}]', allow_undefined=True), '[]')
        with self.assertRaises(jinja2.exceptions.UndefinedError):
            self.render('[{{ nothing }}]')

    def test_decrypt_kv_is_not_there(self):
        import jinja2
        with self.assertRaisesRegex(jinja2.exceptions.TemplateAssertionError, "No filter named 'decrypt_kv'"):
            self.render('{{ v | decrypt_kv }}', v='ciphertext')

    def test_the_template_reaches_no_python_internals(self):
        import jinja2.sandbox
        with self.assertRaises(jinja2.sandbox.SecurityError):
            self.render("{{ ''.__class__.__mro__[1].__subclasses__() }}")
        with self.assertRaises(jinja2.sandbox.SecurityError):
            self.render('{{ f.__globals__ }}', f=self.render)


class PackBasePathTest(unittest.TestCase):
    def setUp(self):
        self.addCleanup(setattr, loader, '_running_pack_dir', loader.running_pack_dir())

    def test_outside_a_job_there_is_no_pack_folder(self):
        from st2common.content import utils
        loader._running_pack_dir = None
        self.assertIsNone(utils.get_pack_base_path('jinja'))
        self.assertEqual(utils.get_packs_base_paths(), [])

    def test_installed_pack(self):
        from st2common.content import utils
        own = '/home/p/packs/.versions/0b1c/jinja'
        loader._running_pack_dir = own
        self.assertEqual(utils.get_packs_base_paths(), ['/home/p/packs'])
        self.assertEqual(utils.get_pack_base_path('jinja'), own)
        self.assertEqual(utils.get_pack_base_path('jinja', include_trailing_slash=True), own + '/')
        self.assertEqual(utils.get_pack_base_path('other'), '/home/p/packs/other')
        self.assertIsNone(utils.get_pack_base_path(''))
        for name in ('..', '../x', 'a/b', '/etc'):
            with self.assertRaises(ValueError):
                utils.get_pack_base_path(name)

    def test_pack_run_from_its_own_folder(self):
        from st2common.content import utils
        loader._running_pack_dir = '/src/packs/jinja'
        self.assertEqual(utils.get_packs_base_paths(), ['/src/packs'])
        self.assertEqual(utils.get_pack_base_path('other'), '/src/packs/other')


if __name__ == '__main__':
    unittest.main()
