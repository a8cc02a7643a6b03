"""Helpers st2's Action base class relies on, with the same names."""

import logging
import sys

__all__ = ['PackConfigDict', 'get_logger_for_python_runner_action', 'get_action_class_instance']

_MISSING_KEY = ('Config for pack "%s" is missing key "%s".\n'
                'Make sure the pack config (configs/%s.yaml in the Packrun data folder) exists '
                'and contains that key.')

_LOGGERS = {}


class PackConfigDict(dict):
    """A config dict whose missing keys raise a ValueError naming the pack and the key."""

    def __init__(self, pack_name, *args):
        super(PackConfigDict, self).__init__(*args)
        self._pack_name = pack_name

    def __getitem__(self, key):
        try:
            return super(PackConfigDict, self).__getitem__(key)
        except KeyError:
            raise ValueError(_MISSING_KEY % (self._pack_name, key, self._pack_name)) from None


def get_logger_for_python_runner_action(action_name, log_level='debug'):
    """A logger named actions.python.<ClassName> writing to stderr, one per name."""
    name = 'actions.python.%s' % (action_name,)
    logger = _LOGGERS.get(name)
    if logger is None:
        level = getattr(logging, str(log_level).upper(), logging.DEBUG)
        if not isinstance(level, int):
            level = logging.DEBUG
        logger = logging.getLogger(name)
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(level)
        handler.setFormatter(logging.Formatter('%(name)-12s: %(levelname)-8s %(message)s'))
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
        _LOGGERS[name] = logger
    return logger


def get_action_class_instance(action_cls, config=None, action_service=None):
    """Construct with (config, action_service); an older constructor that only takes config
    gets the service assigned afterwards, as st2 does."""
    try:
        return action_cls(config=config, action_service=action_service)
    except TypeError as e:
        if "unexpected keyword argument 'action_service'" not in str(e):
            raise
    instance = action_cls(config=config)
    instance.action_service = action_service
    return instance
