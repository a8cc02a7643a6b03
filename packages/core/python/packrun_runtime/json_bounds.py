"""Bounds a wrapper holds what it sends to: an action's result (job['result_limits']), a sensor's
dispatch payload (job['payload_limits']). The runtime refuses more anyway, as a broken protocol;
checking here first tells the action or sensor why, in its own terms."""

from . import protocol


class ValueRefused(Exception):
    """A value over its limits; error_type is the protocol's name for the failure."""

    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def nested_deeper_than(value, max_depth):
    """True when dicts, lists and tuples nest more than max_depth levels, the value itself being
    level 1. Walked with an explicit stack: json.dumps and repr() recurse, and a value nested a
    million deep (or holding itself) must not take the interpreter's stack with it."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        for child in children:
            if isinstance(child, (dict, list, tuple)):
                stack.append((child, depth + 1))
    return False


def check_depth(value, limits, what, error_type):
    if limits and nested_deeper_than(value, limits['max_depth']):
        raise ValueRefused(error_type, '%s is nested more than %d levels deep (PACKRUN_JSON_MAX_DEPTH)'
                           % (what, limits['max_depth']))


def check_size(size, limits, what, error_type, setting):
    if limits and size > limits['max_bytes']:
        raise ValueRefused(error_type, '%s is %d bytes, over the limit of %d bytes (%s)'
                           % (what, size, limits['max_bytes'], setting))


def check_result(result, encoded_size, limits):
    """For the action runner: after check_depth, the size of the result's JSON."""
    check_size(encoded_size, limits, 'the result', protocol.ERR_RESULT_TOO_LARGE,
               'PACKRUN_RESULT_MAX_BYTES')
