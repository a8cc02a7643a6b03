"""Wire protocol between the Packrun runtime (TypeScript) and a wrapper process.

The control channel is file descriptor 3 in the child: a bidirectional UNIX stream socket.
Each frame is a 4-byte big-endian unsigned length followed by that many bytes of UTF-8 JSON,
always an object with a "type" field. The TypeScript side mirrors these names.
"""

CONTROL_FD = 3
HEADER_SIZE = 4
# Frames above this size are refused in both directions (64 MiB).
MAX_FRAME_BYTES = 64 * 1024 * 1024

# Parent -> child
JOB = 'job'
DATASTORE_REPLY = 'datastore_reply'
TRIGGER_ADDED = 'trigger_added'
TRIGGER_UPDATED = 'trigger_updated'
TRIGGER_REMOVED = 'trigger_removed'
STOP = 'stop'

# Child -> parent
RESULT = 'result'
ERROR = 'error'
DATASTORE = 'datastore'
DISPATCH = 'dispatch'
# A zygote child's last frame: everything it printed is flushed and its output streams are shut,
# and it exits with this code next. The runtime may stop waiting for the exit itself.
EXITING = 'exiting'

# Job kinds
KIND_ACTION = 'action'
KIND_SENSOR = 'sensor'

# Datastore operations carried by a DATASTORE frame
OP_GET = 'get'
OP_SET = 'set'
OP_DELETE = 'delete'
OP_LIST = 'list'
DATASTORE_OPS = (OP_GET, OP_SET, OP_DELETE, OP_LIST)

# Error types the wrapper itself reports in an ERROR frame (user exceptions keep their class name)
ERR_INVALID_JOB = 'InvalidJob'
ERR_ACTION_LOAD = 'ActionLoadError'
ERR_SENSOR_LOAD = 'SensorLoadError'
ERR_INVALID_STATUS = 'InvalidActionStatus'
ERR_RESULT_TOO_LARGE = 'ResultTooLarge'
ERR_RESULT_TOO_DEEP = 'ResultTooDeep'

# Exit codes. 220 is what StackStorm's Python runner uses for a bad (status, result) tuple.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID_STATUS = 220
EXIT_BAD_USAGE = 2
