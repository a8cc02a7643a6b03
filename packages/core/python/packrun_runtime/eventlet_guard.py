"""Keeps a pack's eventlet.monkey_patch() from breaking the wrapper's control channel.

StackStorm runs every sensor and Python action under eventlet, patched by st2 before any pack
code, so pack code written for it calls eventlet.monkey_patch() itself at import time (the Exchange
slack and email sensors do). Packrun's wrappers talk to the runtime from an OS thread with OS locks
and blocking reads; patching after they started swaps those for green ones that the reader thread
cannot switch to, and the first datastore call hangs for ever. Skipping the patch keeps pack code
working: eventlet's green threads, sleep and queues still run, blocking calls block this one
single-use process."""

import importlib.util
import sys


def _skip_monkey_patch(*_args, **_kwargs):
    sys.stderr.write('packrun: eventlet.monkey_patch() skipped: this process is not run under '
                     'eventlet (its control channel uses OS threads)\n')


def disarm_eventlet_monkey_patch():
    """Replace eventlet's monkey_patch with a no-op, when the pack can import eventlet at all."""
    if 'eventlet' not in sys.modules and importlib.util.find_spec('eventlet') is None:
        return
    try:
        import eventlet
        import eventlet.patcher
    except Exception:  # noqa: BLE001 - the pack's own import of eventlet reports the real error
        return
    eventlet.monkey_patch = _skip_monkey_patch
    eventlet.patcher.monkey_patch = _skip_monkey_patch
