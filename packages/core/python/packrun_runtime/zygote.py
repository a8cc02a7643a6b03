"""The zygote's serving loop: fork one fresh child per execution, reap it, report how it ended.

Frames on the zygote's own control channel (fd 3 at start, moved high and close-on-exec), all
4-byte big-endian length + JSON like the job channel (names in zygote_protocol.py, mirrored in
packages/action-runner/src/warm/zygote-protocol.ts):
  parent -> zygote: fork {id, socket, token, listenerUid, cwd, rlimits, drop, rehearse},
                    ipc_objects {id, uid}
  zygote -> parent: ready {pid, preloaded, failed}, forked {id, pid}, fork_failed {id, error},
                    exited {pid, code, signal}, ipc_objects {id, shm, sem, msg}
The zygote is single-threaded, so forking it is safe: no other thread can hold a lock the child
would inherit locked."""

import argparse
import errno
import gc
import json
import os
import select
import signal
import sys
import traceback

from . import zygote_protocol as zp
from .channel import Channel, ChannelClosed, hide_control_fd
from .failures import failure_from_exception
from .zygote_child import run_child
from .zygote_preload import preload


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog='packrun_zygote.py')
    parser.add_argument('--pack-dir', required=True, help='the pack this zygote serves')
    parser.add_argument('--preload', default='[]', help='JSON list of modules to import up front')
    return parser.parse_args(argv)


class Zygote(object):
    def __init__(self, channel, wakeup_read):
        self.channel = channel
        self.wakeup_read = wakeup_read
        self.children = set()

    def serve(self):
        fds = [self.channel._fd, self.wakeup_read]
        while True:
            readable, _, _ = select.select(fds, [], [])
            if self.wakeup_read in readable:
                self._drain_wakeup()
                self._reap()
            if self.channel._fd in readable:
                try:
                    message = self.channel.read_frame()
                except (ChannelClosed, OSError, ValueError):
                    # The runner is gone (or broke the protocol): nothing may outlive it.
                    self._kill_all()
                    return 0
                self._handle(message)

    def _handle(self, message):
        # The runner signals children itself (each leads its own process group).
        if message.get('type') == zp.FORK:
            self._fork(message)
        elif message.get('type') == zp.IPC_OBJECTS:
            reply = sysv_ipc_objects(int(message['uid']))
            reply.update({'type': zp.IPC_OBJECTS, 'id': message.get('id')})
            self.channel.send(reply)

    def _fork(self, request):
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError as e:
            self.channel.send({'type': zp.FORK_FAILED, 'id': request.get('id'),
                               'error': failure_from_exception(e)})
            return
        if pid == 0:
            code = 1
            try:
                code = run_child(request, close_fds=(self.channel._fd, self.wakeup_read))
            except BaseException:  # noqa: BLE001 - reported on whatever stderr the child has
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(code)
        self.children.add(pid)
        self.channel.send({'type': zp.FORKED, 'id': request.get('id'), 'pid': pid})

    def _drain_wakeup(self):
        try:
            while os.read(self.wakeup_read, 512):
                pass
        except BlockingIOError:
            pass

    def _reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            self.channel.send({'type': zp.EXITED, 'pid': pid, 'code': code, 'signal': sig})

    def _kill_all(self):
        for pid in list(self.children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError as e:
                if e.errno != errno.ESRCH:
                    raise


def sysv_ipc_objects(uid):
    """Ids of the System V shared memory segments, semaphore sets and message queues of this IPC
    namespace that `uid` created or owns (an owner can hand an object to another uid; its creator
    stays). /proc/sysvipc lists the namespace of whoever reads it: the runtime cannot see these."""
    found = {}
    for kind in ('shm', 'sem', 'msg'):
        ids = []
        try:
            with open('/proc/sysvipc/%s' % kind) as listing:
                header = listing.readline().split()
                columns = [header.index('uid'), header.index('cuid')]
                for line in listing:
                    fields = line.split()
                    if any(int(fields[column]) == uid for column in columns):
                        ids.append(int(fields[1]))
        except OSError:
            pass
        found[kind] = ids
    return found


def main(argv):
    args = _parse_args(argv)
    channel = Channel(hide_control_fd())
    wakeup_read, wakeup_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wakeup_write)
    # A runner's Ctrl-C is for the runner; the zygote ends when its channel closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Objects made while importing live for ever: keep the collector from walking (and so
    # copying, page by page) all of them in every forked child (gc.freeze, Python >= 3.7).
    gc.disable()
    preloaded, failed = preload(args.pack_dir, json.loads(args.preload))
    if hasattr(gc, 'freeze'):
        gc.freeze()
    gc.enable()
    channel.send({'type': zp.READY, 'pid': os.getpid(), 'preloaded': preloaded,
                  'failed': failed})
    return Zygote(channel, wakeup_read).serve()
