"""st2common.util.shell: run a command, quote shell tokens."""

import os
import shlex
import signal
import subprocess

__all__ = ['run_command', 'kill_process', 'quote_unix', 'quote_windows', 'on_parent_exit']

_PR_SET_PDEATHSIG = 1


def run_command(cmd, stdin=None, stdout=subprocess.PIPE, stderr=subprocess.PIPE, shell=False,
                cwd=None, env=None):
    """Run cmd to completion; returns (exit_code, stdout, stderr) with text output."""
    if not isinstance(cmd, (list, tuple, str)):
        raise TypeError("Command must be a type of list, tuple, or string, not '%s'."
                        % (type(cmd),))
    process = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=stderr, shell=shell,
                               cwd=cwd, env=env or os.environ.copy())
    out, err = process.communicate()
    return (process.returncode,
            out.decode('utf-8', errors='replace') if out is not None else '',
            err.decode('utf-8', errors='replace') if err is not None else '')


def kill_process(process):
    """SIGTERM the process's group (its session when it is a leader), else the process.

    st2 runs `sudo pkill -s <pid>`; a pack process has no sudo, so signal directly."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        return 0
    except (ProcessLookupError, PermissionError):
        try:
            process.terminate()
            return 0
        except OSError:
            return 1


def quote_unix(value):
    return shlex.quote(value)


def quote_windows(value):
    return subprocess.list2cmdline([value])


def on_parent_exit(signame):
    """A preexec_fn that makes the child receive `signame` when its parent dies (Linux)."""
    def noop():
        pass

    try:
        import ctypes
        prctl = ctypes.CDLL('libc.so.6').prctl
    except (OSError, AttributeError):
        return noop
    signum = getattr(signal, signame)

    def set_parent_exit_signal():
        result = prctl(_PR_SET_PDEATHSIG, signum)
        if result != 0:
            raise Exception('prctl failed with error code %s' % (result,))

    return set_parent_exit_signal
