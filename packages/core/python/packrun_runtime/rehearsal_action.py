"""The action a zygote child forked ahead runs before its execution arrives (rehearsal.py).

It imports nothing, so rehearsing loads no module of a pack and no stand-in a pack may shadow;
having a run() method is what makes it an action class to the loader, as for StackStorm."""


class PackrunRehearsal(object):
    def __init__(self, config=None, action_service=None):
        self.config = config
        self.action_service = action_service

    def run(self, **parameters):
        return {'parameters': parameters, 'ok': True}
