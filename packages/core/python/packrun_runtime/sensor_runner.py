"""Runs one Python sensor: under a Packrun parent (job, trigger changes and stop on the control
channel, dispatches sent back on it) or by hand (dispatches printed as JSON lines)."""

import argparse
import json
import logging
import os
import queue
import signal
import sys
import threading

from . import protocol
from .channel import Channel, ChannelClosed, hide_control_fd
from .cli_inputs import json_argument, json_object_argument
from .datastore import ChannelBackend, DatastoreMethods, DatastoreService, FileBackend
from .failures import WrapperFailure, failure_from_exception
from .json_bounds import check_depth, check_size
from .job_entry import check_job_fields, receive_job, run_main
from .loader import load_module, missing_methods, select_plugin_class, set_pack_path
from .std_streams import flush_std_streams

_TRIGGER_METHODS = {
    protocol.TRIGGER_ADDED: 'add_trigger',
    protocol.TRIGGER_UPDATED: 'update_trigger',
    protocol.TRIGGER_REMOVED: 'remove_trigger',
}


def _trace_tag(trace_context):
    if trace_context is None:
        return None
    if isinstance(trace_context, dict):
        return trace_context.get('trace_tag')
    if isinstance(trace_context, str):
        return trace_context
    return getattr(trace_context, 'trace_tag', None)


def _json_payload(payload, limits=None):
    # Sensors often put datetimes or other objects in payloads; str() them rather than drop.
    # Over the job's payload_limits, dispatch() raises ValueRefused in the sensor's own code.
    check_depth(payload, limits, 'the payload', 'PayloadTooDeep')
    text = json.dumps(payload, default=str)
    check_size(len(text.encode('utf-8')), limits, 'the payload', 'PayloadTooLarge',
               'PACKRUN_INPUT_MAX_BYTES')
    return json.loads(text)


class SensorService(DatastoreMethods):
    """What st2 passes to a sensor as `sensor_service`."""

    def __init__(self, pack, class_name, emit, datastore, payload_limits=None):
        self._pack = pack
        self._payload_limits = payload_limits
        self._emit = emit
        self.datastore_service = datastore
        self._logger = logging.getLogger('SensorWrapper.%s' % (class_name,))

    def get_logger(self, name):
        logger = logging.getLogger('%s.%s' % (self._logger.name, name))
        logger.propagate = True
        return logger

    def dispatch(self, trigger, payload=None, trace_tag=None):
        return self.dispatch_with_context(trigger, payload=payload,
                                          trace_context={'trace_tag': trace_tag}
                                          if trace_tag else None)

    def dispatch_with_context(self, trigger, payload=None, trace_context=None):
        # As in st2: a trigger type ref ("pack.name", or "name" in this sensor's pack), or a
        # trigger dict as add_trigger() received it, to address one parameterised trigger.
        if isinstance(trigger, dict):
            target = _json_payload(trigger)
        elif isinstance(trigger, str) and trigger:
            target = trigger if '.' in trigger else '%s.%s' % (self._pack, trigger)
        else:
            raise TypeError('trigger must be a trigger ref or a trigger dict, got %r'
                            % (trigger,))
        self._emit({'type': protocol.DISPATCH, 'trigger': target,
                    'payload': _json_payload(payload, self._payload_limits), 'trace_tag': _trace_tag(trace_context)})


def validate_job(job):
    check_job_fields(job, protocol.KIND_SENSOR, 'a sensor', objects=('config',),
                     lists=('triggers',))


def _configure_logging(level_name):
    level = getattr(logging, str(level_name).upper(), logging.INFO)
    if not isinstance(level, int):
        level = logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(name)s: %(message)s'))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)


def _load_sensor_class(entry_point, class_name):
    try:
        from st2reactor.sensor.base import PollingSensor, Sensor
        module = load_module(entry_point)
    except Exception as e:
        raise WrapperFailure(protocol.ERR_SENSOR_LOAD,
                             'Failed to load sensor class from file "%s": %s: %s'
                             % (entry_point, type(e).__name__, e), protocol.EXIT_FAILED,
                             failure_from_exception(e)['traceback'])
    if class_name:
        sensor_cls = getattr(module, class_name, None)
        if not isinstance(sensor_cls, type):
            raise WrapperFailure(protocol.ERR_SENSOR_LOAD,
                                 'Sensor file "%s" has no class named "%s"'
                                 % (entry_point, class_name), protocol.EXIT_FAILED)
        missing = missing_methods(Sensor, sensor_cls)
        if missing:
            raise WrapperFailure(protocol.ERR_SENSOR_LOAD,
                                 'Class "%s" does not implement required method(s) %s'
                                 % (class_name, ', '.join(missing)), protocol.EXIT_FAILED)
    else:
        sensor_cls = select_plugin_class(module, Sensor)
        if sensor_cls is None:
            raise WrapperFailure(protocol.ERR_SENSOR_LOAD,
                                 'File "%s" has no sensor class' % (entry_point,),
                                 protocol.EXIT_FAILED)
    return sensor_cls, issubclass(sensor_cls, PollingSensor)


class SensorProcess(object):
    """One sensor instance and its life cycle: setup, run, trigger changes, cleanup once."""

    def __init__(self, job, backend, emit):
        self.job = job
        self._backend = backend
        self._emit = emit
        self._cleanup_lock = threading.Lock()
        self._cleaned_up = False
        self._setup_done = threading.Event()
        self._changes_lock = threading.Lock()
        self._changes = None
        self.instance = None
        self.logger = logging.getLogger('packrun.sensor')

    def load(self):
        job = self.job
        set_pack_path(job['pack_dir'], job['entry_point'])
        sensor_cls, polling = _load_sensor_class(job['entry_point'], job.get('class_name'))
        datastore = DatastoreService(self._backend, job['pack'], sensor_cls.__name__,
                                     logging.getLogger('SensorWrapper.%s' % sensor_cls.__name__))
        service = SensorService(job['pack'], sensor_cls.__name__, self._emit, datastore,
                                job.get('payload_limits'))
        kwargs = {'sensor_service': service, 'config': job.get('config') or {}}
        if polling and job.get('poll_interval'):
            kwargs['poll_interval'] = job['poll_interval']
        self.instance = sensor_cls(**kwargs)

    def setup(self):
        self.instance.setup()
        for trigger in self.job.get('triggers') or []:
            self._call_trigger_method('add_trigger', trigger)
        self._setup_done.set()

    def trigger_changed(self, message_type, trigger):
        """Queue a trigger change; a worker applies changes in order once setup() is done.

        Never blocks: the channel reader calls this, and setup() may be waiting on a datastore
        reply that only the reader can deliver."""
        with self._changes_lock:
            if self._changes is None:
                self._changes = queue.Queue()
                threading.Thread(target=self._apply_changes, name='packrun-trigger-changes',
                                 daemon=True).start()
        self._changes.put((_TRIGGER_METHODS[message_type], trigger))

    def _apply_changes(self):
        self._setup_done.wait()
        while True:
            method, trigger = self._changes.get()
            self._call_trigger_method(method, trigger)

    def _call_trigger_method(self, method, trigger):
        try:
            getattr(self.instance, method)(trigger)
        except Exception:
            self.logger.exception('%s raised for trigger %s', method,
                                  trigger.get('ref') if isinstance(trigger, dict) else trigger)

    def cleanup(self):
        with self._cleanup_lock:
            if self._cleaned_up or self.instance is None:
                return
            self._cleaned_up = True
        try:
            self.instance.cleanup()
        except Exception:
            self.logger.exception('cleanup() raised')


def _flush_and_exit(code):
    flush_std_streams()
    os._exit(code)


def _stop_on_sigterm(process):
    def handler(signum, frame):
        process.cleanup()
        _flush_and_exit(protocol.EXIT_OK)
    signal.signal(signal.SIGTERM, handler)


def _run_sensor(process, report_error):
    """Load, set up and run; returns the exit code once run() returns or raises."""
    try:
        process.load()
        _stop_on_sigterm(process)
        process.setup()
        process.instance.run()
    except WrapperFailure as e:
        report_error(e.to_failure())
        return e.exit_code
    except Exception as e:
        report_error(failure_from_exception(e))
        process.cleanup()
        return protocol.EXIT_FAILED
    process.cleanup()
    return protocol.EXIT_OK


# Less than the runtime's default stop grace (5 s), so the process still exits by itself.
_STOP_DRAIN_SECONDS = 3.0


def _broker_publisher(job):
    broker = job.get('broker')
    if not broker:
        return None
    from .broker_publisher import BrokerPublisher
    return BrokerPublisher(broker, job['pack'], job.get('sensor') or job['pack'])


def run_with_channel():
    channel = Channel(hide_control_fd())
    job, exit_code = receive_job(channel, validate_job)
    if job is None:
        return exit_code

    _configure_logging(job.get('log_level') or 'info')
    try:
        publisher = _broker_publisher(job)
    except Exception as e:
        channel.send({'type': protocol.ERROR, 'error': failure_from_exception(e)})
        return protocol.EXIT_FAILED
    emit = channel.send
    if publisher is not None:
        # Dispatches go to RabbitMQ with the pack's own identity; the channel carries the rest.
        def emit(message):
            if message.get('type') == protocol.DISPATCH:
                publisher.publish(message)
            else:
                channel.send(message)
    process = SensorProcess(job, ChannelBackend(channel), emit)

    def on_frame(message):
        if message['type'] in _TRIGGER_METHODS:
            process.trigger_changed(message['type'], message.get('trigger'))
        elif message['type'] == protocol.STOP:
            process.cleanup()
            if publisher is not None:
                publisher.drain(_STOP_DRAIN_SECONDS)
            _flush_and_exit(protocol.EXIT_OK)

    def on_close(reason):
        # The parent is gone or sent garbage: nobody can receive dispatches any more.
        if reason is not None and not isinstance(reason, ChannelClosed):
            logging.getLogger('packrun.sensor').warning('control channel closed: %s', reason)
        process.cleanup()
        _flush_and_exit(protocol.EXIT_OK)

    channel.start_reader(on_frame, on_close)
    return _run_sensor(process, lambda failure: channel.send({'type': protocol.ERROR,
                                                              'error': failure}))


def parse_manual_args(argv):
    parser = argparse.ArgumentParser(
        prog='packrun_sensor_wrapper.py',
        description='Run one Packrun/StackStorm Python sensor by hand; each dispatched trigger '
                    'is printed on stdout as one JSON line. Stop it with Ctrl-C.')
    parser.add_argument('--manual', action='store_true',
                        help='run by hand even when fd 3 is open')
    parser.add_argument('--entry-point', required=True, help='path of the sensor .py file')
    parser.add_argument('--class-name', help='sensor class (default: the first class in the '
                                             'file that implements the Sensor methods)')
    parser.add_argument('--pack-dir', help='pack folder (default: the folder above sensors/)')
    parser.add_argument('--pack', help='pack name (default: the pack folder name)')
    parser.add_argument('--config', help='pack config: JSON object or @file')
    parser.add_argument('--triggers', help='initial triggers given to add_trigger(): JSON '
                                           'list or @file')
    parser.add_argument('--poll-interval', type=float, help='poll interval of a PollingSensor')
    parser.add_argument('--datastore', help='JSON file acting as the datastore, created if '
                                            'missing (default: in memory)')
    parser.add_argument('--log-level', default='debug', help='logging level')
    parser.add_argument('--stop-after', type=int, metavar='N',
                        help='clean up and exit 0 after N dispatches')
    return parser.parse_args(argv)


def run_manual(argv):
    args = parse_manual_args(argv)
    entry_point = os.path.abspath(args.entry_point)
    pack_dir = (os.path.abspath(args.pack_dir) if args.pack_dir
                else os.path.dirname(os.path.dirname(entry_point)))
    triggers = json_argument(args.triggers, '--triggers', [])
    if not isinstance(triggers, list):
        raise SystemExit('--triggers: must be a JSON list')
    job = {
        'kind': protocol.KIND_SENSOR,
        'pack': args.pack or os.path.basename(pack_dir),
        'sensor': None,
        'class_name': args.class_name,
        'entry_point': entry_point,
        'pack_dir': pack_dir,
        'config': json_object_argument(args.config, '--config'),
        'poll_interval': args.poll_interval,
        'triggers': triggers,
        'log_level': args.log_level,
    }
    _configure_logging(args.log_level)
    lock = threading.Lock()
    dispatched = [0]
    process = None

    def emit(message):
        with lock:
            line = json.dumps({'trigger': message['trigger'], 'payload': message['payload'],
                               'trace_tag': message['trace_tag']})
            sys.stdout.write(line + '\n')
            sys.stdout.flush()
            dispatched[0] += 1
            done = args.stop_after is not None and dispatched[0] >= args.stop_after
        if done:
            process.cleanup()
            _flush_and_exit(protocol.EXIT_OK)

    def report_error(failure):
        sys.stderr.write((failure.get('traceback') or failure['message']) + '\n')

    process = SensorProcess(job, FileBackend(args.datastore), emit)
    try:
        return _run_sensor(process, report_error)
    except KeyboardInterrupt:
        process.cleanup()
        return protocol.EXIT_OK


def main(argv):
    return run_main(argv, run_with_channel, run_manual)
