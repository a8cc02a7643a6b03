"""Base exception of st2common."""


class StackStormBaseException(Exception):
    pass


class StackStormPluginException(StackStormBaseException):
    pass
