"""A dress rehearsal for a zygote child forked ahead of its execution.

A forked child shares the zygote's memory copy-on-write: the first write to each page the
interpreter touches (reference counts, allocator state, dict and cache updates) costs a page
fault and a 4 KiB copy, about 5 us each on a virtual machine, and a trivial action touches some
four hundred of them. A child waiting for its execution runs Packrun's own job steps once on a
built-in action that imports nothing (json, module loading, class selection, a logger, the result
frame's encoding), so those pages are its own before the execution's clock starts. Nothing of a
pack runs, sys.path is left as it is, and what the rehearsal added (its module, its logger) is
removed again; errors are ignored, since the real run repeats every step and reports its own."""

import json
import logging
import os
import sys

from . import protocol
from .action_runner import ActionService, instantiate_action, json_safe, split_output
from .channel import encode_frame
from .datastore import DatastoreService
from .loader import load_module, missing_methods

_ACTION_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'rehearsal_action.py')
_MODULE = 'rehearsal_action'
_CLASS = 'PackrunRehearsal'


class _RunOnly(object):
    """What select_plugin_class checks against: one abstract method, as st2's Action has."""
    __abstractmethods__ = frozenset(['run'])


def rehearse():
    logger_name = 'actions.python.%s' % (_CLASS,)
    try:
        os.environ.clear()
        job = json.loads(json.dumps({'type': protocol.JOB, 'job': {
            'kind': protocol.KIND_ACTION, 'pack': 'rehearsal', 'entry_point': _ACTION_FILE,
            'pack_dir': os.path.dirname(_ACTION_FILE), 'parameters': {'n': 1}, 'config': {}}}))['job']
        module = load_module(_ACTION_FILE)
        action_cls = getattr(module, _CLASS)
        missing_methods(_RunOnly, action_cls)
        logger = logging.getLogger(logger_name)
        service = ActionService(DatastoreService(None, job['pack'], _CLASS, logger), job['pack'],
                                'info')
        instance = instantiate_action(action_cls, job['config'], service)
        success, result = split_output(instance.run(**job['parameters']))
        encode_frame({'type': protocol.RESULT, 'result': json_safe(result), 'success': success})
    except Exception:  # noqa: BLE001 - the real run goes through the same steps and reports
        pass
    finally:
        sys.modules.pop(_MODULE, None)
        logging.Logger.manager.loggerDict.pop(logger_name, None)
