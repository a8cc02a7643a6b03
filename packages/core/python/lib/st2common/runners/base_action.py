"""st2common.runners.base_action.Action, the base class of Python actions."""

import abc

from st2common.runners.utils import PackConfigDict, get_logger_for_python_runner_action

__all__ = ['Action']


class Action(object, metaclass=abc.ABCMeta):
    description = None

    def __init__(self, config=None, action_service=None):
        self.action_service = action_service
        # The wrapper's service carries the pack name and log level; without one (a constructor
        # that drops it, or a unit test) st2 falls back to these values.
        pack_name = getattr(action_service, 'pack', None) or 'unknown'
        log_level = getattr(action_service, 'log_level', None) or 'debug'
        self.config = PackConfigDict(pack_name, config or {})
        self.logger = get_logger_for_python_runner_action(action_name=self.__class__.__name__,
                                                          log_level=log_level)

    @abc.abstractmethod
    def run(self, **kwargs):
        pass
