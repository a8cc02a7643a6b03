"""Runs one Python action: under a Packrun parent (job and result on the control channel) or by
hand (inputs from flags, result printed as JSON at the end)."""

import argparse
import json
import logging
import os
import sys

from . import protocol
from .channel import Channel, FrameTooLarge, encode_body, frame_of, hide_control_fd
from .cli_inputs import json_object_argument
from .datastore import ChannelBackend, DatastoreMethods, DatastoreService, FileBackend
from .failures import WrapperFailure, failure_from_exception
from .json_bounds import ValueRefused, check_depth, check_result
from .job_entry import check_job_fields, receive_job, run_main
from .loader import load_module, select_plugin_class, set_pack_path
from .std_streams import flush_std_streams

_INVALID_STATUS_HINT = ('A run() method that returns a 2-tuple must put a bool status first: '
                        '(True, result) or (False, result). To return two values as data, '
                        'return a list instead.')


class ActionService(DatastoreMethods):
    """What st2 passes to an action as `action_service`."""

    def __init__(self, datastore, pack, log_level):
        self.datastore_service = datastore
        self.pack = pack
        self.log_level = log_level


class Outcome(object):
    def __init__(self, result=None, success=None, error=None, exit_code=protocol.EXIT_OK):
        self.result = result
        self.success = success
        self.error = error
        self.exit_code = exit_code


def validate_job(job):
    check_job_fields(job, protocol.KIND_ACTION, 'an action', objects=('parameters', 'config'))


def instantiate_action(action_cls, config, service):
    # Same fallback as st2's get_action_class_instance: older constructors take only config.
    # Not imported from lib/st2common/runners/utils.py: a pack's own st2common (even a partial
    # one) shadows that stand-in on the pack's path.
    try:
        return action_cls(config=config, action_service=service)
    except TypeError as e:
        if "unexpected keyword argument 'action_service'" not in str(e):
            raise
    instance = action_cls(config=config)
    instance.action_service = service
    return instance


def _load_action_class(entry_point):
    try:
        from st2common.runners.base_action import Action
        module = load_module(entry_point)
    except Exception as e:
        failure = failure_from_exception(e)
        raise WrapperFailure(protocol.ERR_ACTION_LOAD,
                             'Failed to load action class from file "%s": %s: %s'
                             % (entry_point, type(e).__name__, e),
                             protocol.EXIT_FAILED, failure['traceback'])
    action_cls = select_plugin_class(module, Action)
    if action_cls is None:
        raise WrapperFailure(protocol.ERR_ACTION_LOAD,
                             'File "%s" has no action class: no class defined in it '
                             'implements run()' % (entry_point,), protocol.EXIT_FAILED)
    return action_cls


def json_safe(result):
    """The result itself when it is JSON, else its str(), as StackStorm does."""
    try:
        json.dumps(result, allow_nan=False)
        return result
    except (TypeError, ValueError, OverflowError, RecursionError):
        return str(result)


def split_output(output):
    """(success, result) from what run() returned, following st2's python_action_wrapper."""
    if isinstance(output, tuple) and len(output) == 2:
        status, result = output
        if status is not None and not isinstance(status, bool):
            raise WrapperFailure(protocol.ERR_INVALID_STATUS,
                                 'Status returned from the action run() method must either be '
                                 'True or False, got: %r. %s' % (status, _INVALID_STATUS_HINT),
                                 protocol.EXIT_INVALID_STATUS)
        return status, result
    return None, output


def execute(job, backend):
    """Load and run the action the job names. Never raises for the action's own failures."""
    try:
        validate_job(job)
        pack, pack_dir, entry_point = job['pack'], job['pack_dir'], job['entry_point']
        log_level = job.get('log_level') or 'info'
        os.environ.setdefault('ST2_ACTION_PACK_NAME', pack)
        if job.get('execution_id'):
            os.environ.setdefault('ST2_ACTION_EXECUTION_ID', str(job['execution_id']))
        set_pack_path(pack_dir, entry_point,
                      extra_dirs=[os.path.join(pack_dir, 'actions', 'lib')])
        action_cls = _load_action_class(entry_point)
        logger = logging.getLogger('actions.python.%s' % (action_cls.__name__,))
        datastore = DatastoreService(backend, pack, action_cls.__name__, logger)
        service = ActionService(datastore, pack, log_level)
        instance = instantiate_action(action_cls, job.get('config') or {}, service)
        output = instance.run(**(job.get('parameters') or {}))
        success, result = split_output(output)
        # As returned: the channel's encoder or json_safe (by hand) turns a non-JSON one into str.
        return Outcome(result=result, success=success)
    except WrapperFailure as e:
        return Outcome(error=e.to_failure(), exit_code=e.exit_code)
    except Exception as e:
        return Outcome(error=failure_from_exception(e), exit_code=protocol.EXIT_FAILED)


def run_with_channel(channel=None):
    channel = channel or Channel(hide_control_fd())
    job, exit_code = receive_job(channel, validate_job)
    if job is None:
        return exit_code
    outcome = execute(job, ChannelBackend(channel))
    flush_std_streams()
    if outcome.error is not None:
        channel.send({'type': protocol.ERROR, 'error': outcome.error})
        return outcome.exit_code
    try:
        channel.send_encoded(result_frame(outcome, job.get('result_limits')))
    except ValueRefused as e:
        channel.send({'type': protocol.ERROR,
                      'error': {'type': e.error_type, 'message': str(e), 'traceback': ''}})
        return protocol.EXIT_FAILED
    except FrameTooLarge as e:
        channel.send({'type': protocol.ERROR,
                      'error': {'type': protocol.ERR_RESULT_TOO_LARGE, 'message': str(e),
                                'traceback': ''}})
        return protocol.EXIT_FAILED
    except Exception as e:  # noqa: BLE001 - not even its str() could be made (too deep, say)
        channel.send({'type': protocol.ERROR, 'error': failure_from_exception(e)})
        return protocol.EXIT_FAILED
    return protocol.EXIT_OK


def result_frame(outcome, limits=None):
    """The encoded result frame, the result as json_safe would give it, encoded once: a large
    result is not written out twice to find out whether it is JSON. With `limits` (the job's
    result_limits), a result nested or sized beyond them raises ValueRefused instead."""
    check_depth(outcome.result, limits, 'the result', protocol.ERR_RESULT_TOO_DEEP)
    frame = {'type': protocol.RESULT, 'result': outcome.result, 'success': outcome.success}
    try:
        body = encode_body(frame)
    except (TypeError, ValueError, OverflowError, RecursionError):
        frame['result'] = str(outcome.result)
        body = encode_body(frame)
    envelope = len(encode_body(dict(frame, result=None))) - len(b'null')
    check_result(frame['result'], len(body) - envelope, limits)
    return frame_of(body)


def _default_pack_dir(entry_point):
    # <pack>/actions/<file>.py or <pack>/actions/<sub>/<file>.py
    folder = os.path.dirname(os.path.abspath(entry_point))
    while folder != os.path.dirname(folder):
        if os.path.basename(folder) == 'actions':
            return os.path.dirname(folder)
        folder = os.path.dirname(folder)
    return os.path.dirname(os.path.dirname(os.path.abspath(entry_point)))


def parse_manual_args(argv):
    parser = argparse.ArgumentParser(
        prog='packrun_action_wrapper.py',
        description='Run one Packrun/StackStorm Python action by hand and print its result '
                    'as JSON.')
    parser.add_argument('--manual', action='store_true',
                        help='run by hand even when fd 3 is open')
    parser.add_argument('--entry-point', required=True, help='path of the action .py file')
    parser.add_argument('--pack-dir', help='pack folder (default: the folder above actions/)')
    parser.add_argument('--pack', help='pack name (default: the pack folder name)')
    parser.add_argument('--parameters', help='action parameters: JSON object or @file')
    parser.add_argument('--config', help='pack config: JSON object or @file')
    parser.add_argument('--datastore', help='JSON file acting as the datastore, created if '
                                            'missing (default: in memory)')
    parser.add_argument('--log-level', default='debug', help='action logger level')
    parser.add_argument('--execution-id', default='manual', help='execution id to expose')
    return parser.parse_args(argv)


def run_manual(argv):
    args = parse_manual_args(argv)
    entry_point = os.path.abspath(args.entry_point)
    pack_dir = os.path.abspath(args.pack_dir) if args.pack_dir else _default_pack_dir(entry_point)
    job = {
        'kind': protocol.KIND_ACTION,
        'execution_id': args.execution_id,
        'pack': args.pack or os.path.basename(pack_dir),
        'entry_point': entry_point,
        'pack_dir': pack_dir,
        'parameters': json_object_argument(args.parameters, '--parameters'),
        'config': json_object_argument(args.config, '--config'),
        'log_level': args.log_level,
    }
    outcome = execute(job, FileBackend(args.datastore))
    flush_std_streams()
    succeeded = outcome.error is None and outcome.success is not False
    document = {'status': 'succeeded' if succeeded else 'failed',
                'result': json_safe(outcome.result), 'success': outcome.success}
    if outcome.error is not None:
        document['error'] = outcome.error
        sys.stderr.write(outcome.error.get('traceback') or outcome.error['message'])
        sys.stderr.write('\n')
        sys.stderr.flush()
    # One line, last on stdout, so tools can take the last line as the result.
    sys.stdout.write(json.dumps(document) + '\n')
    sys.stdout.flush()
    if succeeded:
        return protocol.EXIT_OK
    return outcome.exit_code or protocol.EXIT_FAILED


def main(argv):
    return run_main(argv, run_with_channel, run_manual)
