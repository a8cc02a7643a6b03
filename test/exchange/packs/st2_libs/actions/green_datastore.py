import os

import eventlet

from st2common.runners.base_action import Action

# As StackStorm-era pack code does at import time; Packrun's wrapper makes it a no-op.
eventlet.monkey_patch(os=True, select=True, socket=True, thread=True, time=True)


class GreenDatastore(Action):
    def run(self, value):
        self.action_service.set_value('last', value)
        pool = eventlet.GreenPool()
        doubled = sorted(pool.imap(lambda text: text * 2, [value, value.upper()]))
        return {
            'stored': self.action_service.get_value('last'),
            'doubled': doubled,
            'eventlet_version': eventlet.__version__,
            'eventlet_dir': os.path.dirname(os.path.dirname(eventlet.__file__)),
        }
