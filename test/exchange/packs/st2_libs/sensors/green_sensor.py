import eventlet

from st2reactor.sensor.base import PollingSensor

eventlet.monkey_patch(os=True, select=True, socket=True, thread=True, time=True)


class GreenSensor(PollingSensor):
    def setup(self):
        self.count = 0

    def poll(self):
        self.count += 1
        self.sensor_service.set_value('count', str(self.count))
        eventlet.sleep(0)
        stored = self.sensor_service.get_value('count')
        self.sensor_service.dispatch(trigger='st2_libs.tick', payload={'count': self.count, 'stored': stored})

    def cleanup(self):
        pass

    def add_trigger(self, trigger):
        pass

    def update_trigger(self, trigger):
        pass

    def remove_trigger(self, trigger):
        pass
