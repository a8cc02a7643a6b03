"""How the action and sensor wrappers start: run under a Packrun parent when fd 3 is open (and
not --manual), else by hand; under a parent, take and check the job frame first."""

import os

from . import protocol
from .channel import control_fd_is_open
from .failures import WrapperFailure, failure_from_exception
from .std_streams import line_buffer_std_streams


def run_main(argv, run_with_channel, run_manual):
    line_buffer_std_streams()
    if '--manual' not in argv and control_fd_is_open():
        return run_with_channel()
    return run_manual(argv)


def check_job_fields(job, kind, kind_label, objects=(), lists=()):
    """The fields every job needs (pack, entry_point, pack_dir: non-empty strings), then the
    optional ones that must be objects or lists when present; a WrapperFailure (bad usage)
    names the first one that is wrong."""
    if not isinstance(job, dict) or job.get('kind') != kind:
        raise WrapperFailure(protocol.ERR_INVALID_JOB, 'job is not %s job' % (kind_label,),
                             protocol.EXIT_BAD_USAGE)
    for field in ('pack', 'entry_point', 'pack_dir'):
        if not isinstance(job.get(field), str) or not job[field]:
            raise WrapperFailure(protocol.ERR_INVALID_JOB,
                                 'job field "%s" must be a non-empty string' % (field,),
                                 protocol.EXIT_BAD_USAGE)
    for fields, expected, label in ((objects, dict, 'an object'), (lists, list, 'a list')):
        for field in fields:
            if not isinstance(job.get(field, expected()), (expected, type(None))):
                raise WrapperFailure(protocol.ERR_INVALID_JOB,
                                     'job field "%s" must be %s' % (field, label),
                                     protocol.EXIT_BAD_USAGE)


def apply_setup(setup):
    """The job's folder and its whole environment, sent in the job frame: the variables a caller
    or the pack gave reach the job here, inside the sandbox, and never the processes that set it
    up. Applied before any pack code is imported."""
    if not isinstance(setup, dict) or not isinstance(setup.get('env'), dict):
        raise WrapperFailure(protocol.ERR_INVALID_JOB,
                             'job frame field "setup" must hold an "env" object',
                             protocol.EXIT_BAD_USAGE)
    if isinstance(setup.get('cwd'), str) and setup['cwd']:
        os.chdir(setup['cwd'])
    os.environ.clear()
    os.environ.update({str(name): str(value) for name, value in setup['env'].items()})


def receive_job(channel, validate_job):
    """(job, None) once the first frame is a job that validate_job accepts (its `setup`, when it
    has one, applied); else the error is sent back on the channel and (None, exit code) is
    returned."""
    try:
        job_frame = channel.read_frame()
        if job_frame['type'] != protocol.JOB:
            raise WrapperFailure(protocol.ERR_INVALID_JOB,
                                 'expected a "%s" frame first, got "%s"'
                                 % (protocol.JOB, job_frame['type']), protocol.EXIT_BAD_USAGE)
        job = job_frame.get('job')
        validate_job(job)
        if 'setup' in job_frame:
            apply_setup(job_frame['setup'])
    except WrapperFailure as e:
        channel.send({'type': protocol.ERROR, 'error': e.to_failure()})
        return None, e.exit_code
    except Exception as e:
        channel.send({'type': protocol.ERROR, 'error': failure_from_exception(e)})
        return None, protocol.EXIT_BAD_USAGE
    return job, None
