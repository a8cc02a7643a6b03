"""Packrun's six stand-in, loaded by path so a real six installed here cannot hide it."""

import importlib.util
import os
import sys
import unittest

from harness import PYTHON_DIR

_spec = importlib.util.spec_from_file_location('six', os.path.join(PYTHON_DIR, 'lib', 'six.py'))
six = importlib.util.module_from_spec(_spec)
_saved = sys.modules.get('six')
sys.modules['six'] = six
_spec.loader.exec_module(six)


class SixShimTest(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        if _saved is not None:
            sys.modules['six'] = _saved

    def test_types_and_helpers(self):
        self.assertTrue(six.PY3)
        self.assertIsInstance('x', six.string_types)
        self.assertEqual(six.text_type, str)
        self.assertEqual(sorted(six.iteritems({'a': 1})), [('a', 1)])
        self.assertEqual(six.ensure_str(b'\xc3\xa9'), 'é')
        self.assertEqual(six.ensure_binary('é'), b'\xc3\xa9')
        self.assertEqual(six.b('ab'), b'ab')

    def test_metaclass_helpers(self):
        class Meta(type):
            pass

        @six.add_metaclass(Meta)
        class A(object):
            x = 1

        class B(six.with_metaclass(Meta, object)):
            y = 2

        self.assertIs(type(A), Meta)
        self.assertIs(type(B), Meta)
        self.assertEqual((A.x, B.y), (1, 2))
        self.assertEqual(B.__mro__[1:], (object,))

    def test_moves_as_attributes_and_module_paths(self):
        from six.moves import StringIO, http_client, range as six_range
        from six.moves.urllib.parse import urlencode, quote
        from six.moves.urllib.request import Request
        import six.moves.configparser as configparser
        import http.client
        import urllib.request

        self.assertIs(http_client, http.client)
        self.assertIs(Request, urllib.request.Request)
        self.assertEqual(urlencode({'a': 'b c'}), 'a=b+c')
        self.assertEqual(quote('a b'), 'a%20b')
        self.assertEqual(list(six_range(2)), [0, 1])
        self.assertEqual(StringIO('x').read(), 'x')
        self.assertEqual(configparser.__name__, 'configparser')
        self.assertEqual(configparser.__spec__.name, 'configparser')
        self.assertEqual(six.moves.urllib.parse.urlparse('http://h/p').netloc, 'h')
        with self.assertRaises(AttributeError):
            six.moves.not_a_move

    def test_reraise_keeps_the_traceback(self):
        try:
            raise ValueError('inner')
        except ValueError:
            tp, value, tb = sys.exc_info()
        with self.assertRaises(ValueError) as caught:
            six.reraise(tp, value, tb)
        self.assertIs(caught.exception, value)


if __name__ == '__main__':
    unittest.main()
