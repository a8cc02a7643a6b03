"""The framed JSON control channel on an inherited file descriptor."""

import fcntl
import itertools
import json
import os
import socket
import stat
import struct
import threading

from . import protocol

# User code never gets near this descriptor number by accident: stdio and the files it opens
# take the lowest free numbers.
_HIDDEN_FD_FLOOR = 200
# Older Pythons lack the constant; 1030 is its value on Linux.
_F_DUPFD_CLOEXEC = getattr(fcntl, 'F_DUPFD_CLOEXEC', 1030)


class ChannelClosed(Exception):
    """The parent closed its end of the channel."""


class FrameTooLarge(Exception):
    """A frame is above protocol.MAX_FRAME_BYTES."""


class DatastoreError(Exception):
    """The parent answered a datastore request with ok=false."""

    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def control_fd_is_open():
    """True when fd 3 exists and is a socket, that is, a Packrun parent started us."""
    try:
        mode = os.fstat(protocol.CONTROL_FD).st_mode
    except OSError:
        return False
    return stat.S_ISSOCK(mode)


def hide_control_fd():
    """Move fd 3 to a high, close-on-exec descriptor and close fd 3.

    After this, nothing the user's code writes to the standard streams, to fd 3 or from a
    subprocess can reach the channel."""
    fd = fcntl.fcntl(protocol.CONTROL_FD, _F_DUPFD_CLOEXEC, _HIDDEN_FD_FLOOR)
    os.close(protocol.CONTROL_FD)
    os.set_blocking(fd, True)
    return fd


def shut_sending_side(fd):
    """Ends the sending side of the UNIX socket on `fd` for every process holding it, so the
    reader sees the end of the stream now rather than when the last holder exits. Anything else
    on `fd` (the user replaced a stream with a file, say) is left alone."""
    try:
        copy = os.dup(fd)
    except OSError:
        return
    try:
        sock = socket.socket(fileno=copy)
    except OSError:
        os.close(copy)
        return
    try:
        if sock.family == socket.AF_UNIX:
            sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        sock.close()


def encode_body(message):
    """A frame's JSON body, before the protocol's size check (frame_of)."""
    return json.dumps(message, ensure_ascii=False, allow_nan=False).encode('utf-8')


def encode_frame(message):
    return frame_of(encode_body(message))


def frame_of(body):
    if len(body) > protocol.MAX_FRAME_BYTES:
        raise FrameTooLarge('frame of %d bytes is above the %d byte limit'
                            % (len(body), protocol.MAX_FRAME_BYTES))
    return struct.pack('>I', len(body)) + body


class Channel(object):
    """Both directions of the control channel.

    Sending is thread-safe. After start_reader(), a daemon thread reads frames: datastore
    replies wake the thread waiting in request(); every other frame goes to the handler."""

    def __init__(self, fd):
        self._fd = fd
        self._send_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending = {}
        self._pending_lock = threading.Lock()
        self._closed = False
        self._reader_started = False

    def send(self, message):
        self.send_encoded(encode_frame(message))

    def send_encoded(self, data):
        """Sends a frame encode_frame made."""
        with self._send_lock:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]

    def _read_exact(self, size):
        chunks = []
        remaining = size
        while remaining:
            chunk = os.read(self._fd, min(remaining, 1 << 20))
            if not chunk:
                raise ChannelClosed('control channel closed by the parent')
            chunks.append(chunk)
            remaining -= len(chunk)
        return b''.join(chunks)

    def read_frame(self):
        (size,) = struct.unpack('>I', self._read_exact(protocol.HEADER_SIZE))
        if size > protocol.MAX_FRAME_BYTES:
            raise FrameTooLarge('incoming frame of %d bytes is above the %d byte limit'
                                % (size, protocol.MAX_FRAME_BYTES))
        message = json.loads(self._read_exact(size).decode('utf-8'))
        if not isinstance(message, dict) or not isinstance(message.get('type'), str):
            raise ValueError('control frame is not an object with a string "type"')
        return message

    def start_reader(self, handler, on_close=None):
        with self._pending_lock:
            self._reader_started = True
        return self._spawn_reader(handler, on_close)

    def ensure_reader(self, handler):
        """start_reader unless a reader runs already: an action that never calls the datastore
        never pays for the thread."""
        with self._pending_lock:
            if self._reader_started:
                return
            self._reader_started = True
        self._spawn_reader(handler, None)

    def _spawn_reader(self, handler, on_close):
        thread = threading.Thread(target=self._reader_loop, args=(handler, on_close),
                                  name='packrun-channel-reader', daemon=True)
        thread.start()
        return thread

    def _reader_loop(self, handler, on_close):
        reason = None
        try:
            while True:
                message = self.read_frame()
                if message['type'] == protocol.DATASTORE_REPLY:
                    self._deliver_reply(message)
                else:
                    handler(message)
        except Exception as e:  # noqa: BLE001 - any read failure ends the channel
            reason = e
        finally:
            self._fail_pending(reason)
            if on_close is not None:
                on_close(reason)

    def _deliver_reply(self, message):
        with self._pending_lock:
            waiter = self._pending.pop(message.get('id'), None)
        if waiter is not None:
            waiter['reply'] = message
            waiter['event'].set()

    def _fail_pending(self, reason):
        with self._pending_lock:
            self._closed = True
            waiters = list(self._pending.values())
            self._pending.clear()
        for waiter in waiters:
            waiter['error'] = reason or ChannelClosed('control channel closed')
            waiter['event'].set()

    def request(self, message):
        """Send a frame that carries a fresh id and wait for the reply with that id."""
        request_id = next(self._ids)
        waiter = {'event': threading.Event(), 'reply': None, 'error': None}
        with self._pending_lock:
            if self._closed:
                raise ChannelClosed('control channel closed')
            self._pending[request_id] = waiter
        self.send(dict(message, id=request_id))
        waiter['event'].wait()
        if waiter['error'] is not None:
            raise ChannelClosed('control channel closed while waiting for a reply: %s'
                                % (waiter['error'],))
        return waiter['reply']

    def shutdown_sending(self):
        """Tells the parent nothing more will be sent (it reads the end of the stream at once)."""
        shut_sending_side(self._fd)

    def close(self):
        try:
            os.close(self._fd)
        except OSError:
            pass
