"""Packrun's own third-party libraries (packrun-libs/, built by scripts/setup.sh), imported so
that neither side can break the other: a pack's copy of the same library keeps winning for pack
code, and Packrun's code keeps its pinned copy whatever the pack installed."""

import importlib
import os
import sys

from .python_tag import site_tag

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBS_DIR = os.path.join(PYTHON_DIR, 'packrun-libs', 'site', site_tag())


def _modules_of(name):
    return {key: module for key, module in sys.modules.items()
            if key == name or key.startswith(name + '.')}


def import_private(name):
    """Import `name` from LIBS_DIR only, and take it back out of sys.modules afterwards: the
    returned module keeps working (its submodules are already imported and referenced), while
    a later `import name` in pack code finds the pack's own copy, or nothing."""
    if not os.path.isdir(os.path.join(LIBS_DIR, name)):
        raise ImportError('Packrun library "%s" is missing from %s; run scripts/setup.sh'
                          % (name, LIBS_DIR))
    theirs = _modules_of(name)
    for key in theirs:
        del sys.modules[key]
    sys.path.insert(0, LIBS_DIR)
    ours = {}
    try:
        module = importlib.import_module(name)
        ours = _modules_of(name)
    finally:
        sys.path.remove(LIBS_DIR)
        for key in ours:
            sys.modules.pop(key, None)
        sys.modules.update(theirs)
    return module
