"""st2common.log: packs call getLogger(__name__) from here."""

import logging

# st2 has an AUDIT level above CRITICAL; keep the name so `logger.log(AUDIT, ...)` works.
AUDIT = logging.CRITICAL * 10
logging.addLevelName(AUDIT, 'AUDIT')

# Packs sometimes write `from st2common.log import logging`.
__all__ = ['getLogger', 'logging', 'AUDIT']


def getLogger(name):
    return logging.getLogger(name)
