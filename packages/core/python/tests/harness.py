"""Drives a wrapper the way the Packrun parent does: a real subprocess whose fd 3 is one end of
a real UNIX socketpair, with framed JSON on it."""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACTION_WRAPPER = os.path.join(PYTHON_DIR, 'packrun_action_wrapper.py')
SENSOR_WRAPPER = os.path.join(PYTHON_DIR, 'packrun_sensor_wrapper.py')
# Tests may run under a venv's python; the wrappers are meant for exactly that.
PYTHON = sys.executable


def send_frame(sock, message):
    body = json.dumps(message).encode('utf-8')
    sock.sendall(struct.pack('>I', len(body)) + body)


def _recv_exact(sock, size):
    data = b''
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def recv_frame(sock):
    header = _recv_exact(sock, 4)
    if header is None:
        return None
    (size,) = struct.unpack('>I', header)
    return json.loads(_recv_exact(sock, size).decode('utf-8'))


def make_pack(files):
    """A pack folder in a fresh temp dir; files maps relative path -> source text."""
    root = tempfile.mkdtemp(prefix='packrun-pytest-')
    pack_dir = os.path.join(root, 'mypack')
    for rel, text in files.items():
        path = os.path.join(pack_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(textwrap.dedent(text))
    return pack_dir


def spawn_with_channel(script, args=()):
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    child_fd = child.fileno()

    def put_channel_on_fd3():
        os.dup2(child_fd, 3)

    proc = subprocess.Popen([PYTHON, '-I', script] + list(args), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            close_fds=False, preexec_fn=put_channel_on_fd3)
    child.close()
    parent.settimeout(60)
    return proc, parent


class Run(object):
    def __init__(self, frames, datastore_requests, stdout, stderr, exit_code):
        self.frames = frames
        self.datastore_requests = datastore_requests
        self.stdout = stdout
        self.stderr = stderr
        self.exit_code = exit_code

    def last(self):
        return self.frames[-1] if self.frames else None


def run_action(job, datastore=None, setup=None):
    """Run one action job (with `setup`, the job frame's folder and environment, when given);
    answer datastore frames from the `datastore` dict (final key names -> values). Returns every
    non-datastore frame the child sent."""
    store = {} if datastore is None else datastore
    proc, sock = spawn_with_channel(ACTION_WRAPPER)
    send_frame(sock, dict({'type': 'job', 'job': job}, **({'setup': setup} if setup else {})))
    frames, requests = [], []
    while True:
        frame = recv_frame(sock)
        if frame is None:
            break
        if frame['type'] == 'datastore':
            requests.append(frame)
            send_frame(sock, answer_datastore(store, frame))
        else:
            frames.append(frame)
    stdout, stderr = proc.communicate(timeout=60)
    sock.close()
    return Run(frames, requests, stdout.decode(), stderr.decode(), proc.returncode)


def answer_datastore(store, frame):
    op, args = frame['op'], frame['args']
    reply = {'type': 'datastore_reply', 'id': frame['id'], 'ok': True, 'value': None}
    if op == 'get':
        reply['value'] = store.get(args['name'])
    elif op == 'set':
        store[args['name']] = args['value']
        reply['value'] = True
    elif op == 'delete':
        if args['name'] in store:
            del store[args['name']]
            reply['value'] = True
        else:
            reply = {'type': 'datastore_reply', 'id': frame['id'], 'ok': False,
                     'error': {'type': 'KeyNotFound', 'message': 'no key ' + args['name']}}
    elif op == 'list':
        prefix = args.get('prefix') or ''
        reply['value'] = [{'name': k, 'value': v, 'scope': 'system'}
                          for k, v in sorted(store.items()) if k.startswith(prefix)]
    return reply


def action_job(pack_dir, entry, parameters=None, config=None):
    return {'kind': 'action', 'execution_id': 'ex1', 'pack': 'mypack',
            'action': 'mypack.' + entry.split('/')[-1][:-3],
            'entry_point': os.path.join(pack_dir, 'actions', entry), 'pack_dir': pack_dir,
            'parameters': parameters or {}, 'config': config or {}, 'log_level': 'info'}


def run_manual(script, args):
    proc = subprocess.run([PYTHON, '-I', script] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=60)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


class SensorSession(object):
    """A sensor wrapper under test: send frames, read the next non-datastore frame (datastore
    requests are answered from `store` on the way)."""

    def __init__(self, job, store=None):
        self.store = {} if store is None else store
        self.datastore_requests = []
        self.proc, self.sock = spawn_with_channel(SENSOR_WRAPPER)
        send_frame(self.sock, {'type': 'job', 'job': job})

    def send(self, message):
        send_frame(self.sock, message)

    def next_frame(self):
        while True:
            frame = recv_frame(self.sock)
            if frame is None or frame['type'] != 'datastore':
                return frame
            self.datastore_requests.append(frame)
            send_frame(self.sock, answer_datastore(self.store, frame))

    def finish(self):
        stdout, stderr = self.proc.communicate(timeout=60)
        self.sock.close()
        return self.proc.returncode, stdout.decode(), stderr.decode()


def sensor_job(pack_dir, entry, class_name, triggers=None, poll_interval=None, config=None):
    return {'kind': 'sensor', 'pack': 'mypack', 'sensor': 'mypack.' + class_name,
            'class_name': class_name, 'entry_point': os.path.join(pack_dir, 'sensors', entry),
            'pack_dir': pack_dir, 'config': config or {}, 'poll_interval': poll_interval,
            'triggers': triggers or [], 'log_level': 'info'}
