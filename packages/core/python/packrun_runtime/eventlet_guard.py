"""Keeps a pack's eventlet.monkey_patch() from breaking the wrapper's control channel.

StackStorm runs every sensor and Python action under eventlet, patched by st2 before any pack
code, so pack code written for it calls eventlet.monkey_patch() itself at import time (the Exchange
slack and email sensors do). Packrun's wrappers talk to the runtime from an OS thread with OS locks
and blocking reads; patching after they started swaps those for green ones that the reader thread
cannot switch to, and the first datastore call hangs for ever. Skipping the patch keeps pack code
working: eventlet's green threads, sleep and queues still run, blocking calls block this one
single-use process."""

import importlib.abc
import sys


def _skip_monkey_patch(*_args, **_kwargs):
    sys.stderr.write('packrun: eventlet.monkey_patch() skipped: this process is not run under '
                     'eventlet (its control channel uses OS threads)\n')


def _disarm(eventlet_module):
    eventlet_module.monkey_patch = _skip_monkey_patch
    patcher = sys.modules.get('eventlet.patcher')
    if patcher is not None:
        patcher.monkey_patch = _skip_monkey_patch


class _DisarmingLoader(importlib.abc.Loader):
    """Runs eventlet's own loader, then disarms monkey_patch before anyone can call it."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _disarm(module)


class _EventletImportHook(importlib.abc.MetaPathFinder):
    """Disarms eventlet when, and only when, pack code imports it: importing eventlet up front
    would cost every action over a hundred milliseconds (the st2 fallback always provides it)."""

    def find_spec(self, fullname, path, target=None):
        if fullname != 'eventlet':
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _DisarmingLoader(spec.loader)
                return spec
        return None


def disarm_eventlet_monkey_patch():
    """Make eventlet's monkey_patch a no-op in this process, now if eventlet is already imported,
    else at the moment it is (importing eventlet.patcher imports the eventlet package first)."""
    if 'eventlet' in sys.modules:
        _disarm(sys.modules['eventlet'])
        return
    if not any(isinstance(finder, _EventletImportHook) for finder in sys.meta_path):
        sys.meta_path.insert(0, _EventletImportHook())
