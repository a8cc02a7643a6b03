from st2common.runners.base_action import Action


class Raise(Action):
    def run(self):
        raise ValueError("no good")
