"""Framing of the control channel, in-process over a real socketpair."""

import os
import socket
import struct
import sys
import threading
import unittest

from harness import PYTHON_DIR, recv_frame, send_frame

sys.path.insert(0, PYTHON_DIR)
from packrun_runtime import protocol  # noqa: E402
from packrun_runtime.channel import Channel, ChannelClosed, FrameTooLarge, encode_frame  # noqa: E402


class ChannelTest(unittest.TestCase):
    def setUp(self):
        self.parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.fd = os.dup(child.fileno())
        child.close()
        self.channel = Channel(self.fd)

    def tearDown(self):
        self.channel.close()
        self.parent.close()

    def test_round_trip_keeps_unicode(self):
        self.channel.send({'type': 'result', 'result': 'héllo ✓', 'success': True})
        self.assertEqual(recv_frame(self.parent), {'type': 'result', 'result': 'héllo ✓',
                                                   'success': True})
        send_frame(self.parent, {'type': 'job', 'job': {'kind': 'action'}})
        self.assertEqual(self.channel.read_frame(), {'type': 'job', 'job': {'kind': 'action'}})

    def test_frame_above_the_limit_is_refused_both_ways(self):
        saved = protocol.MAX_FRAME_BYTES
        protocol.MAX_FRAME_BYTES = 64
        try:
            with self.assertRaises(FrameTooLarge):
                encode_frame({'type': 'result', 'result': 'x' * 100})
            self.parent.sendall(struct.pack('>I', 65))
            with self.assertRaises(FrameTooLarge):
                self.channel.read_frame()
        finally:
            protocol.MAX_FRAME_BYTES = saved

    def test_frame_without_type_is_refused(self):
        send_frame(self.parent, [1, 2])
        with self.assertRaises(ValueError):
            self.channel.read_frame()

    def test_requests_get_their_own_replies_and_fail_when_the_parent_leaves(self):
        self.channel.start_reader(handler=lambda message: None)
        results = {}

        def ask(name):
            results[name] = self.channel.request({'type': 'datastore', 'op': 'get',
                                                  'args': {'name': name}})

        threads = [threading.Thread(target=ask, args=(n,)) for n in ('a', 'b')]
        for t in threads:
            t.start()
        requests = [recv_frame(self.parent), recv_frame(self.parent)]
        # Answer in reverse order: each waiter must still get the reply with its own id.
        for request in reversed(requests):
            send_frame(self.parent, {'type': 'datastore_reply', 'id': request['id'], 'ok': True,
                                     'value': request['args']['name'].upper()})
        for t in threads:
            t.join(10)
        self.assertEqual({k: v['value'] for k, v in results.items()}, {'a': 'A', 'b': 'B'})

        errors = []

        def ask_unanswered():
            try:
                self.channel.request({'type': 'datastore', 'op': 'get', 'args': {'name': 'c'}})
            except ChannelClosed as e:
                errors.append(e)

        waiter = threading.Thread(target=ask_unanswered)
        waiter.start()
        recv_frame(self.parent)
        self.parent.shutdown(socket.SHUT_RDWR)
        waiter.join(10)
        self.assertEqual(len(errors), 1)


if __name__ == '__main__':
    unittest.main()
