"""A sandboxed zygote's child gives up everything the zygote holds before any action code runs.

The zygote runs inside bubblewrap as a uid of its own (PACKRUN_SANDBOX_ZYGOTE_UID) that keeps
CAP_SETUID, CAP_SETGID and CAP_SETPCAP as ambient capabilities (so it can hand each child a uid of
its own; its seccomp program allows no uid outside the job range). Each child ends where a cold job ends after `setpriv
--reuid --regid --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all`: the job's uid
and gid, no supplementary groups, every capability set empty (bounding set included, so nothing
can be regained) and no_new_privs. Done with ctypes on libc: no native module to build per env.
"""

import ctypes
import os
import signal

_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [('version', ctypes.c_uint32), ('pid', ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [('effective', ctypes.c_uint32), ('permitted', ctypes.c_uint32),
                ('inheritable', ctypes.c_uint32)]


_libc = None


def _libc_call(name, *args):
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    if getattr(_libc, name)(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, '%s: %s' % (name, os.strerror(err)))


def _last_capability():
    with open('/proc/sys/kernel/cap_last_cap') as f:
        return int(f.read())


def drop_to(uid, gid):
    """Become `uid`/`gid` for good. Raises OSError if any step fails: the child then exits
    before it connects, and the runner reports the execution failed, never runs it with more."""
    # The bounding set first, while CAP_SETPCAP is still held.
    for cap in range(_last_capability() + 1):
        _libc_call('prctl', _PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    # A change between two non-root uids clears no capability: capset below empties every set
    # (the ambient set follows the permitted and inheritable ones down).
    os.setresuid(uid, uid, uid)
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    empty = (_CapData * 2)()
    _libc_call('capset', ctypes.byref(header), empty)
    _libc_call('prctl', _PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    # A credential change makes the process undumpable, which leaves its own /proc files root's
    # (unreadable to it); a cold job, started by exec, is dumpable. Match that.
    _libc_call('prctl', _PR_SET_DUMPABLE, 1, 0, 0, 0)


def die_with_parent(parent_pid):
    """SIGKILL when the zygote (`parent_pid`) dies: a child forked ahead must not outlive it and
    be handed an execution by a runtime that has not yet seen the zygote go. Credential changes
    clear this, so it is set after any drop."""
    _libc_call('prctl', _PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # The zygote may have died before the call: then nothing will send the signal.
    if os.getppid() != parent_pid:
        os._exit(1)
