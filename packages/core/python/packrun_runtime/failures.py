"""The {type, message, traceback} shape an ERROR frame carries."""

import traceback


def failure(error_type, message, tb=''):
    return {'type': str(error_type), 'message': str(message), 'traceback': tb}


def failure_from_exception(exc):
    tb = ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return failure(type(exc).__name__, exc, tb)


class WrapperFailure(Exception):
    """A failure the wrapper reports itself (bad job, unloadable entry point, bad status),
    carrying the error type and exit code to report it with."""

    def __init__(self, error_type, message, exit_code, tb=''):
        super().__init__(message)
        self.error_type = error_type
        self.exit_code = exit_code
        self.tb = tb

    def to_failure(self):
        return failure(self.error_type, self, self.tb)
