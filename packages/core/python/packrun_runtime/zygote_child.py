"""Turns a freshly forked zygote child into one execution, with the same limits and inputs as a
cold start, before any of the action's code runs."""

import atexit
import errno
import gc
import os
import resource
import signal
import socket
import struct
import sys
import threading

from . import action_runner
from . import privileges
from . import protocol
from . import zygote_protocol as zp
from .rehearsal import rehearse
from .channel import Channel, ChannelClosed, hide_control_fd, shut_sending_side
from .std_streams import flush_std_streams, line_buffer_std_streams

_RLIMITS = {
    'nofile': resource.RLIMIT_NOFILE,
    'fsize': resource.RLIMIT_FSIZE,
    'cpu': resource.RLIMIT_CPU,
    'nproc': resource.RLIMIT_NPROC,
    'core': resource.RLIMIT_CORE,
}


def _connect(path, token, stream, listener_uid):
    """One stream to the runner's socket in the zygote's own folder. The token goes only to a
    listener with the runtime's credentials (SO_PEERCRED: the uid that called listen)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        _pid, uid, _gid = struct.unpack('3i', sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize('3i')))
        if uid != listener_uid:
            raise OSError(errno.EPERM, 'the stream socket %s is held by uid %d, not the runtime' % (path, uid))
        sock.sendall(token + stream)
    except BaseException:
        sock.close()
        raise
    return sock


def _exit_code(value):
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    # sys.exit('message') prints the message and exits 1, as the interpreter does.
    sys.stderr.write('%s\n' % (value,))
    return 1


def _apply_rlimits(limits):
    for name, value in (limits or {}).items():
        soft = resource.RLIM_INFINITY if value is None else int(value)
        resource.setrlimit(_RLIMITS[name], (soft, soft))


def _wait_for_start(fd):
    """The execution's `start` frame, or None when the runner closed the stream first (it
    discarded this child, or is gone)."""
    try:
        message = Channel(fd).read_frame()
    except (ChannelClosed, OSError):
        return None
    if message.get('type') != zp.START:
        raise ValueError('expected a "%s" frame first, got "%s"' % (zp.START, message.get('type')))
    return message


def run_child(request, close_fds):
    """Everything a cold start gets from its spawn: its own session and process group (so a
    timeout stops the whole tree), its environment, job folder and rlimits, stdout, stderr and a
    control channel of its own on fds 1, 2 and 3. Then the action wrapper runs as usual.

    In two steps: what the fork request says (streams, and under the sandbox the drop to the job
    uid, its rlimits and job folder) happens at once; the execution's own environment and folder
    arrive in a `start` frame, which may come long after (a child forked ahead waits for it)."""
    zygote_pid = os.getppid()
    gc.enable()
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_DFL)
    # Python ignores SIGPIPE at start-up; a cold start does too, so keep that.
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    for fd in close_fds:
        os.close(fd)
    os.setsid()
    token = request['token'].encode('ascii')
    streams = [(zp.STREAM_STDOUT, 1), (zp.STREAM_STDERR, 2), (zp.STREAM_CONTROL, protocol.CONTROL_FD)]
    for stream, target in streams:
        # The new socket may already have the target number (fd 3 is free after the fork).
        fd = _connect(request['socket'], token, stream, int(request['listenerUid'])).detach()
        if fd != target:
            os.dup2(fd, target)
            os.close(fd)
    # Connected first, so a failed drop is reported on the execution's own stderr. Nothing of an
    # action runs before the drop: the child waits for its start frame, which the runner sends
    # only after this child joined its cgroup.
    drop = request.get('drop')
    if drop:
        privileges.drop_to(int(drop['uid']), int(drop['gid']))
    privileges.die_with_parent(zygote_pid)
    _apply_rlimits(request.get('rlimits'))
    # After the drop: a sandboxed job folder is the job uid's alone (0700).
    if request.get('ownCwd'):
        os.mkdir(request['cwd'], 0o700)
    if request.get('cwd'):
        os.chdir(request['cwd'])
    if request.get('rehearse'):
        rehearse()
    start = _wait_for_start(protocol.CONTROL_FD)
    if start is None:
        return 0
    if start.get('cwd'):
        os.chdir(start['cwd'])
    os.environ.clear()
    os.environ.update(start['env'])
    sys.argv = ['packrun_action_wrapper.py']
    line_buffer_std_streams()
    channel = Channel(hide_control_fd())
    try:
        code = action_runner.run_with_channel(channel)
    except SystemExit as e:
        code = _exit_code(e.code)
    # What an interpreter does at its end: wait for the action's non-daemon threads, run its
    # atexit handlers, flush what it printed.
    try:
        threading._shutdown()
        atexit._run_exitfuncs()
    except SystemExit as e:
        code = _exit_code(e.code)
    # The status the zygote would report: only the low byte survives _exit.
    code &= 0xFF
    flush_std_streams()
    # stdout and stderr end here, so the runtime has read all of them when the job ends.
    for fd in (1, 2):
        shut_sending_side(fd)
    if request.get('ownCwd'):
        _remove_if_empty(request['cwd'])
    try:
        channel.send({'type': protocol.EXITING, 'code': code})
        # Nothing follows on the channel either: the runtime sees it end now, not at the exit.
        channel.shutdown_sending()
    except OSError:
        pass
    return code


def _remove_if_empty(folder):
    """The job folder made for this child goes with it when the action left nothing there (most
    do); otherwise the runtime removes it with its content."""
    try:
        os.rmdir(folder)
    except OSError:
        pass
