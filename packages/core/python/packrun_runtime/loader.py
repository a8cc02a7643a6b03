"""Python path set-up and loading of a pack's entry-point module, as StackStorm does it."""

import importlib.util
import inspect
import os
import sys

from .eventlet_guard import disarm_eventlet_monkey_patch
from .python_tag import site_tag

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB_DIR = os.path.join(PYTHON_DIR, 'lib')
# Libraries StackStorm's own virtualenv gave pack code that packs import without requiring
# (st2-fallback/README.md); built per interpreter by scripts/setup.sh for its own Python and by
# the pack installer for any other when the first pack needing it installs; absent until then.
FALLBACK_DIR = os.path.join(PYTHON_DIR, 'st2-fallback', 'site', site_tag())

# The folder of the pack whose code this process runs (set_pack_path), for the st2common stand-in
# (content.utils.get_pack_base_path): StackStorm read its packs' location from its configuration.
_running_pack_dir = None


def running_pack_dir():
    """The running pack's folder as this process sees it, or None before a pack is loaded."""
    return _running_pack_dir


def set_pack_path(pack_dir, entry_point, extra_dirs=()):
    """Append the pack's folders, then Packrun's compatibility library, then the st2 fallback
    libraries LAST.

    The interpreter runs with -I, so sys.path already holds only its stdlib and the venv's
    site-packages: a dependency the pack pinned always wins over a Packrun module of the same
    name, and a pack's own module in actions/lib wins over Packrun's too."""
    global _running_pack_dir
    _running_pack_dir = os.path.abspath(pack_dir)
    wanted = list(extra_dirs) + [os.path.dirname(os.path.realpath(entry_point)), LIB_DIR,
                                 FALLBACK_DIR]
    for folder in wanted:
        if folder and folder not in sys.path and os.path.isdir(folder):
            sys.path.append(folder)


def load_module(entry_point):
    """Import the file under its base name, like imp.load_source in st2's loader."""
    if not entry_point.endswith('.py'):
        raise ImportError('entry point "%s" is not a .py file' % (entry_point,))
    if not os.path.isfile(entry_point):
        raise ImportError('entry point "%s" does not exist' % (entry_point,))
    disarm_eventlet_monkey_patch()
    name = os.path.basename(entry_point)[:-len('.py')]
    spec = importlib.util.spec_from_file_location(name, entry_point)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _implements(klass, name):
    member = getattr(klass, name, None)
    return inspect.isfunction(member) and not getattr(member, '__isabstractmethod__', False)


def missing_methods(base_class, klass):
    """Abstract methods of base_class that klass does not implement (st2's _validate_methods:
    any class with the right non-abstract functions qualifies, subclass or not). Looked up by
    name, as inspect.getmembers would find them, without listing every attribute of the class."""
    return sorted(name for name in base_class.__abstractmethods__ if not _implements(klass, name))


def select_plugin_class(module, base_class):
    """Classes defined in the module, sorted by the name they are bound to (as
    inspect.getmembers gives them), that implement every abstract method of base_class; the first
    one wins. None when there is none."""
    classes = [klass for _, klass in sorted(vars(module).items(), key=lambda item: item[0])
               if inspect.isclass(klass) and klass.__module__ == module.__name__]
    for klass in classes:
        if not missing_methods(base_class, klass):
            return klass
    return None
