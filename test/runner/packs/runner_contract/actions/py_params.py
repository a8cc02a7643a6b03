from st2common.runners.base_action import Action


class Params(Action):
    """Takes every parameter it declares without a default, as StackStorm packs do: each reaches
    run(), None when nobody set it."""

    def run(self, given, unset, with_default):
        return {'given': given, 'unset': unset, 'with_default': with_default}
