"""st2reactor.sensor.base: Sensor (passive) and PollingSensor (active) base classes."""

import abc
import time

__all__ = ['Sensor', 'PollingSensor']


class BaseSensor(object, metaclass=abc.ABCMeta):
    def __init__(self, sensor_service, config=None):
        self.sensor_service = sensor_service
        self.config = config or {}
        # st2 kept these underscore aliases and many sensors still use them.
        self._sensor_service = sensor_service
        self._config = self.config

    @abc.abstractmethod
    def setup(self):
        pass

    @abc.abstractmethod
    def run(self):
        pass

    @abc.abstractmethod
    def cleanup(self):
        pass

    @abc.abstractmethod
    def add_trigger(self, trigger):
        pass

    @abc.abstractmethod
    def update_trigger(self, trigger):
        pass

    @abc.abstractmethod
    def remove_trigger(self, trigger):
        pass


class Sensor(BaseSensor):
    """A passive sensor: run() blocks, listening, and dispatches as events arrive."""

    @abc.abstractmethod
    def run(self):
        pass


class PollingSensor(BaseSensor):
    """An active sensor: run() calls poll() every poll interval seconds."""

    def __init__(self, sensor_service, config=None, poll_interval=5):
        super(PollingSensor, self).__init__(sensor_service=sensor_service, config=config)
        self._poll_interval = poll_interval

    @abc.abstractmethod
    def poll(self):
        pass

    def run(self):
        while True:
            self.poll()
            time.sleep(self._poll_interval)

    def get_poll_interval(self):
        return self._poll_interval

    def set_poll_interval(self, poll_interval):
        self._poll_interval = poll_interval
