"""Distributed deployment: dispatches published straight to RabbitMQ with the pack's own
identity (it may only write to the dispatch exchange, routing keys `<pack>.`), persistent and
confirmed, buffered in memory while the broker is unreachable."""

import collections
import json
import logging
import threading
import time
import uuid

from .packrun_libs import import_private

_MAX_DELAY = 5.0


def routing_key(pack, trigger):
    """`<pack>.<trigger>`: the ref a dispatch names (a string, or a trigger dict's ref, else its
    type). The broker only lets this pack's identity publish keys starting with its own name."""
    if isinstance(trigger, dict):
        trigger = trigger.get('ref') or trigger.get('type') or ''
    return trigger if isinstance(trigger, str) else ''


class BrokerPublisher(object):
    def __init__(self, broker, pack, sensor):
        self._pika = import_private('pika')
        params = self._pika.URLParameters(broker['url'])
        # Notice a vanished broker quickly, and never wait long on one connection attempt.
        params.heartbeat = 10
        params.connection_attempts = 1
        params.socket_timeout = 5
        params.blocked_connection_timeout = 30
        self._params = params
        self._exchange = broker['exchange']
        self._limit = int(broker.get('buffer_limit') or 10000)
        self._pack = pack
        self._sensor = sensor
        self._pending = collections.deque()
        self._cond = threading.Condition()
        self._dropped = 0
        self._logger = logging.getLogger('packrun.sensor.broker')
        threading.Thread(target=self._run, name='packrun-broker-publisher', daemon=True).start()

    def publish(self, dispatch):
        key = routing_key(self._pack, dispatch.get('trigger'))
        if not key.startswith(self._pack + '.'):
            self._logger.error('dispatch of trigger %r dropped: a sensor of pack %s can only '
                               'dispatch its own pack\'s triggers', key, self._pack)
            return
        body = json.dumps({'trigger': dispatch.get('trigger'), 'payload': dispatch.get('payload'),
                           'trace_tag': dispatch.get('trace_tag'), 'sensor': self._sensor})
        with self._cond:
            if len(self._pending) >= self._limit:
                self._dropped += 1
                if self._dropped == 1 or self._dropped % 1000 == 0:
                    self._logger.error('%d dispatches waiting for the broker; dropped %d so far',
                                       len(self._pending), self._dropped)
                return
            self._pending.append((key, body.encode('utf-8'), uuid.uuid4().hex))
            self._cond.notify_all()

    def drain(self, timeout):
        """Wait up to `timeout` seconds for the buffer to empty (a stopping sensor)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._logger.warning('stopping with %d dispatches not yet delivered',
                                         len(self._pending))
                    return
                self._cond.wait(left)

    def _run(self):
        pika = self._pika
        delay = 0.1
        failing = False
        while True:
            connection = None
            try:
                connection = pika.BlockingConnection(self._params)
                channel = connection.channel()
                channel.confirm_delivery()
                if failing:
                    self._logger.info('broker reachable again; sending %d waiting dispatches',
                                      len(self._pending))
                failing = False
                delay = 0.1
                while True:
                    with self._cond:
                        if not self._pending:
                            self._cond.wait(1.0)
                        item = self._pending[0] if self._pending else None
                    if item is None:
                        connection.process_data_events(0)
                        continue
                    channel = self._send(connection, channel, item)
            except Exception as error:  # connection trouble of any kind: reconnect
                if not failing:
                    self._logger.warning('broker unreachable (%s); dispatches wait in memory '
                                         '(at most %d) and are sent once it is back',
                                         error.__class__.__name__, self._limit)
                failing = True
                if connection is not None:
                    try:
                        connection.close()
                    except Exception:
                        pass
                time.sleep(delay)
                delay = min(_MAX_DELAY, delay * 2)

    def _send(self, connection, channel, item):
        pika = self._pika
        key, body, message_id = item
        properties = pika.BasicProperties(content_type='application/json', delivery_mode=2,
                                          message_id=message_id)
        try:
            channel.basic_publish(self._exchange, key, body, properties)
        except pika.exceptions.NackError:
            time.sleep(0.2)
            return channel
        except pika.exceptions.ChannelClosedByBroker as error:
            if error.reply_code != 403:
                raise
            # Refused by the broker's permissions: resending would be refused forever.
            self._logger.error('the broker refused dispatch %s: %s; dropped', key, error.reply_text)
            self._done(item)
            channel = connection.channel()
            channel.confirm_delivery()
            return channel
        self._done(item)
        return channel

    def _done(self, item):
        with self._cond:
            if self._pending and self._pending[0] is item:
                self._pending.popleft()
            self._cond.notify_all()
