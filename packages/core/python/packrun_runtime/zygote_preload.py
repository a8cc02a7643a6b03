"""What a zygote imports before it forks anything."""

import importlib
import importlib.util
import os
import sys

from .eventlet_guard import disarm_eventlet_monkey_patch
from .loader import FALLBACK_DIR, LIB_DIR


def _top_level_names(folder):
    try:
        entries = os.listdir(folder)
    except OSError:
        return set()
    # __pycache__ and dotfiles are in every folder and are never modules.
    return {name[:-3] if name.endswith('.py') else name for name in entries
            if not name.startswith(('__', '.'))}


def _preload_stand_ins(pack_dir):
    """Import what every cold action imports from Packrun's folders: the st2common stand-in and
    the eventlet guard (which imports eventlet from the st2 fallback site when the env has none).

    In a cold action those folders come LAST on sys.path (loader.set_pack_path), after the pack's
    own. So preload only when the pack ships no top-level module of the same name in actions/ or
    actions/lib, and take the folders off sys.path again afterwards: the child then appends the
    pack's folders before them, in the same order as a cold start."""
    stand_in_dirs = [folder for folder in (LIB_DIR, FALLBACK_DIR) if os.path.isdir(folder)]
    provided = set().union(*(_top_level_names(folder) for folder in stand_in_dirs))
    pack_names = set().union(*(_top_level_names(os.path.join(pack_dir, *sub))
                               for sub in (('actions',), ('actions', 'lib'))))
    if provided & pack_names:
        return []
    added = [folder for folder in stand_in_dirs if folder not in sys.path]
    sys.path.extend(added)
    loaded = []
    try:
        if importlib.util.find_spec('st2common') is not None:
            importlib.import_module('st2common.runners.base_action')
            loaded.append('st2common.runners.base_action')
        disarm_eventlet_monkey_patch()
        if 'eventlet' in sys.modules:
            loaded.append('eventlet')
    except Exception:  # noqa: BLE001 - the child imports them again and reports a failure then
        pass
    finally:
        for folder in added:
            sys.path.remove(folder)
    return loaded


def preload(pack_dir, modules):
    """Import the pack's heavy modules (pack.yaml `preload_imports`). One that fails is reported
    and skipped: the action imports it itself and fails there with the real error."""
    preloaded, failed = _preload_stand_ins(pack_dir), []
    for name in modules:
        if not isinstance(name, str) or not name:
            continue
        try:
            importlib.import_module(name)
            preloaded.append(name)
        except Exception as e:  # noqa: BLE001 - any import error is the pack's, not the zygote's
            failed.append({'module': name, 'error': '%s: %s' % (type(e).__name__, e)})
    return preloaded, failed
