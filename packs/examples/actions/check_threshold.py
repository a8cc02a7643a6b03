from st2common.runners.base_action import Action


class CheckThreshold(Action):
    def run(self, value, threshold):
        within = value <= threshold
        return (within, {"value": value, "threshold": threshold, "within": within})
