"""A dress rehearsal for a zygote child forked ahead of its execution.

A forked child shares the zygote's memory copy-on-write: the first write to each page the
interpreter touches (reference counts, allocator pools, dict and cache updates) costs a page fault
and a 4 KiB copy, about 5 us each on a virtual machine, and a trivial action touches some four
hundred of them. A child waiting for its execution goes through the wrapper's own steps once, on
a built-in action that imports nothing, so those pages are its own before the execution's clock
starts.

Nothing of a pack runs. Whatever the rehearsal changes is put back: sys.path, sys.modules (its
action module), the logger it made, the environment (cleared: the execution brings its own). When
the zygote did not preload st2common (the pack ships its own), the steps that would import it are
skipped, so the real run still imports the pack's. Errors are ignored: the real run goes through
the same steps and reports its own."""

import json
import logging
import os
import sys

from . import action_runner
from . import protocol

_ACTION_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'rehearsal_action.py')
_MODULE = 'rehearsal_action'
_LOGGER = 'actions.python.PackrunRehearsal'
_BASE_ACTION = 'st2common.runners.base_action'

# An environment the size of a job's, set and cleared once so the real one lands on warm pages.
_ENV = {'HOME': '/nonexistent/packrun-rehearsal', 'TMPDIR': '/nonexistent/packrun-rehearsal',
        'PATH': '/usr/local/bin:/usr/bin:/bin', 'LANG': 'C.UTF-8', 'LC_ALL': 'C.UTF-8',
        'ST2_ACTION_PACK_NAME': 'rehearsal', 'ST2_ACTION_EXECUTION_ID': '0' * 24,
        'PACKRUN_PACK': 'rehearsal', 'PACKRUN_EXECUTION_ID': '0' * 24}


class _NoDatastore(object):
    def call(self, op, args):
        raise RuntimeError('no datastore in a rehearsal')


def rehearse():
    saved_path = list(sys.path)
    try:
        os.environ.update(_ENV)
        os.environ.clear()
        frame = json.loads(json.dumps({'type': protocol.JOB, 'job': {
            'kind': protocol.KIND_ACTION, 'execution_id': '0' * 24, 'pack': 'rehearsal',
            'action': 'rehearse', 'entry_point': _ACTION_FILE,
            'pack_dir': os.path.dirname(_ACTION_FILE), 'parameters': {'n': 1}, 'config': {},
            'log_level': 'info'}}))
        if _BASE_ACTION in sys.modules:
            action_runner.result_frame(action_runner.execute(frame['job'], _NoDatastore()))
    except Exception:  # noqa: BLE001 - the real run goes through the same steps and reports
        pass
    finally:
        sys.path[:] = saved_path
        sys.modules.pop(_MODULE, None)
        logging.Logger.manager.loggerDict.pop(_LOGGER, None)
        os.environ.clear()
