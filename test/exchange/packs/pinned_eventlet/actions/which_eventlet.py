import os
import sys

import eventlet

from st2common.runners.base_action import Action


class WhichEventlet(Action):
    def run(self):
        return {
            'eventlet_version': eventlet.__version__,
            'eventlet_dir': os.path.dirname(os.path.dirname(eventlet.__file__)),
            'prefix': sys.prefix,
        }
