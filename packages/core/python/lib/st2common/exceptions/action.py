from st2common.exceptions import StackStormBaseException

__all__ = [
    'ParameterRenderingFailedException',
    'InvalidActionReferencedException',
    'InvalidActionParameterException',
]


class ParameterRenderingFailedException(StackStormBaseException):
    pass


class InvalidActionReferencedException(StackStormBaseException):
    pass


class InvalidActionParameterException(StackStormBaseException):
    pass
