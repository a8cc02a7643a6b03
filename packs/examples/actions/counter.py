from st2common.runners.base_action import Action


class Counter(Action):
    def run(self, key):
        current = int(self.action_service.get_value(key) or 0) + 1
        self.action_service.set_value(key, str(current))
        return {"key": key, "count": current}
