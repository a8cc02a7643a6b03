"""A Python 3 only stand-in for the `six` compatibility library.

StackStorm ran pack code with its own virtualenv on the path, so many Exchange packs import six
without listing it in requirements.txt (stackstorm-csv: `from six.moves import StringIO`). This
module sits last on a pack's path: a pack that installs the real six gets the real one."""

import builtins
import functools
import importlib
import importlib.abc
import importlib.machinery
import io
import operator
import sys
import types

__version__ = '1.16.0'

PY2 = False
PY3 = True
PY34 = True

string_types = (str,)
integer_types = (int,)
class_types = (type,)
text_type = str
binary_type = bytes
MAXSIZE = sys.maxsize

callable = builtins.callable
next = advance_iterator = builtins.next
unichr = chr
int2byte = struct_int2byte = lambda i: bytes((i,))  # noqa: E731
byte2int = operator.itemgetter(0)
indexbytes = operator.getitem
iterbytes = iter
StringIO = io.StringIO
BytesIO = io.BytesIO
wraps = functools.wraps
print_ = builtins.print
exec_ = getattr(builtins, 'exec')

get_method_function = operator.attrgetter('__func__')
get_method_self = operator.attrgetter('__self__')
get_function_closure = operator.attrgetter('__closure__')
get_function_code = operator.attrgetter('__code__')
get_function_defaults = operator.attrgetter('__defaults__')
get_function_globals = operator.attrgetter('__globals__')
create_bound_method = types.MethodType
Iterator = object


def get_unbound_function(unbound):
    return unbound


def create_unbound_method(func, cls):
    return func


def b(s):
    return s.encode('latin-1')


def u(s):
    return s


def iterkeys(d, **kw):
    return iter(d.keys(**kw))


def itervalues(d, **kw):
    return iter(d.values(**kw))


def iteritems(d, **kw):
    return iter(d.items(**kw))


def iterlists(d, **kw):
    return iter(d.lists(**kw))


viewkeys = operator.methodcaller('keys')
viewvalues = operator.methodcaller('values')
viewitems = operator.methodcaller('items')


def reraise(tp, value, tb=None):
    if value is None:
        value = tp()
    if value.__traceback__ is not tb:
        raise value.with_traceback(tb)
    raise value


def raise_from(value, from_value):
    raise value from from_value


def with_metaclass(meta, *bases):
    """A temporary base class whose metaclass builds the real class with `meta`."""
    class _Meta(type):
        def __new__(cls, name, this_bases, d):
            return meta(name, bases, d)

        @classmethod
        def __prepare__(cls, name, this_bases):
            return meta.__prepare__(name, bases)
    return type.__new__(_Meta, 'temporary_class', (), {})


def add_metaclass(metaclass):
    def wrapper(cls):
        body = dict(cls.__dict__)
        slots = body.get('__slots__')
        if slots is not None:
            for slot in [slots] if isinstance(slots, str) else slots:
                body.pop(slot)
        body.pop('__dict__', None)
        body.pop('__weakref__', None)
        if hasattr(cls, '__qualname__'):
            body['__qualname__'] = cls.__qualname__
        return metaclass(cls.__name__, cls.__bases__, body)
    return wrapper


def python_2_unicode_compatible(klass):
    return klass


def ensure_binary(s, encoding='utf-8', errors='strict'):
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode(encoding, errors)
    raise TypeError("not expecting type '%s'" % type(s))


def ensure_str(s, encoding='utf-8', errors='strict'):
    if isinstance(s, str):
        return s
    if isinstance(s, bytes):
        return s.decode(encoding, errors)
    raise TypeError("not expecting type '%s'" % type(s))


ensure_text = ensure_str


def assertCountEqual(self, *args, **kwargs):
    return self.assertCountEqual(*args, **kwargs)


def assertRaisesRegex(self, *args, **kwargs):
    return self.assertRaisesRegex(*args, **kwargs)


def assertRegex(self, *args, **kwargs):
    return self.assertRegex(*args, **kwargs)


def assertNotRegex(self, *args, **kwargs):
    return self.assertNotRegex(*args, **kwargs)


# six.moves: module names resolve lazily to their Python 3 homes, so `import six` stays cheap.
_MOVED_MODULES = {
    'builtins': 'builtins',
    'configparser': 'configparser',
    'copyreg': 'copyreg',
    'cPickle': 'pickle',
    'dbm_gnu': 'dbm.gnu',
    'email_mime_base': 'email.mime.base',
    'email_mime_image': 'email.mime.image',
    'email_mime_multipart': 'email.mime.multipart',
    'email_mime_nonmultipart': 'email.mime.nonmultipart',
    'email_mime_text': 'email.mime.text',
    'html_entities': 'html.entities',
    'html_parser': 'html.parser',
    'http_client': 'http.client',
    'http_cookiejar': 'http.cookiejar',
    'http_cookies': 'http.cookies',
    'queue': 'queue',
    'reprlib': 'reprlib',
    'socketserver': 'socketserver',
    '_thread': '_thread',
    'urllib_robotparser': 'urllib.robotparser',
    'xmlrpc_client': 'xmlrpc.client',
    'xmlrpc_server': 'xmlrpc.server',
    'BaseHTTPServer': 'http.server',
    'CGIHTTPServer': 'http.server',
    'SimpleHTTPServer': 'http.server',
}

# six.moves.urllib.<part> gathers names from several Python 3 modules.
_URLLIB_PARTS = {
    'parse': ['urllib.parse'],
    'error': ['urllib.error'],
    'request': ['urllib.request'],
    'response': ['urllib.response'],
    'robotparser': ['urllib.robotparser'],
}

_MOVED_ATTRIBUTES = {
    'StringIO': ('io', 'StringIO'),
    'cStringIO': ('io', 'StringIO'),
    'UserDict': ('collections', 'UserDict'),
    'UserList': ('collections', 'UserList'),
    'UserString': ('collections', 'UserString'),
    'filter': ('builtins', 'filter'),
    'filterfalse': ('itertools', 'filterfalse'),
    'getcwd': ('os', 'getcwd'),
    'getcwdb': ('os', 'getcwdb'),
    'getoutput': ('subprocess', 'getoutput'),
    'input': ('builtins', 'input'),
    'intern': ('sys', 'intern'),
    'map': ('builtins', 'map'),
    'range': ('builtins', 'range'),
    'reduce': ('functools', 'reduce'),
    'reload_module': ('importlib', 'reload'),
    'shlex_quote': ('shlex', 'quote'),
    'xrange': ('builtins', 'range'),
    'zip': ('builtins', 'zip'),
    'zip_longest': ('itertools', 'zip_longest'),
}


class _LazyModule(types.ModuleType):
    def __init__(self, name, resolve):
        super().__init__(name)
        self._resolve = resolve

    def __getattr__(self, attr):
        if attr.startswith('__'):
            raise AttributeError(attr)
        value = self._resolve(attr)
        setattr(self, attr, value)
        return value


def _resolve_move(attr):
    if attr in _MOVED_MODULES:
        return importlib.import_module(_MOVED_MODULES[attr])
    if attr in _MOVED_ATTRIBUTES:
        module, name = _MOVED_ATTRIBUTES[attr]
        return getattr(importlib.import_module(module), name)
    if attr == 'urllib':
        return urllib
    raise AttributeError("module 'six.moves' has no attribute '%s'" % attr)


def _urllib_part(part):
    def resolve(attr):
        for module in _URLLIB_PARTS[part]:
            real = importlib.import_module(module)
            if hasattr(real, attr):
                return getattr(real, attr)
        raise AttributeError("module 'six.moves.urllib.%s' has no attribute '%s'" % (part, attr))
    return resolve


def _resolve_urllib(attr):
    if attr in _URLLIB_PARTS:
        return sys.modules[__name__ + '.moves.urllib.' + attr]
    raise AttributeError("module 'six.moves.urllib' has no attribute '%s'" % attr)


moves = _LazyModule(__name__ + '.moves', _resolve_move)
urllib = _LazyModule(__name__ + '.moves.urllib', _resolve_urllib)
moves.__path__ = []
urllib.__path__ = []
sys.modules[moves.__name__] = moves
sys.modules[urllib.__name__] = urllib
for _part in _URLLIB_PARTS:
    sys.modules[urllib.__name__ + '.' + _part] = _LazyModule(urllib.__name__ + '.' + _part,
                                                            _urllib_part(_part))


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes `import six.moves.http_client` (a module path, not an attribute) work."""

    _prefix = __name__ + '.moves.'

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(self._prefix) and fullname[len(self._prefix):] in _MOVED_MODULES:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        real = importlib.import_module(_MOVED_MODULES[spec.name[len(self._prefix):]])
        spec.loader_state = real.__spec__
        return real

    def exec_module(self, module):
        # The import system stamped our spec on the real module; give it back its own.
        module.__spec__ = module.__spec__.loader_state


sys.meta_path.append(_MovedModuleFinder())
