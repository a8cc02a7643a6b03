"""Frame types of a zygote's own control channel (mirrored in
packages/action-runner/src/warm/zygote-protocol.ts). Jobs still use protocol.py on their own
per-execution channel."""

# Parent -> zygote
FORK = 'fork'
# The System V IPC objects a uid created or owns in the zygote's IPC namespace (what a finished
# child left): answered with the same type and the request's id.
IPC_OBJECTS = 'ipc_objects'

# Parent -> forked child, first frame on its own control stream: the execution it is for. A child
# connects its streams and waits for this, so the runner can fork one ahead of its execution.
START = 'start'

# Zygote -> parent
READY = 'ready'
FORKED = 'forked'
FORK_FAILED = 'fork_failed'
EXITED = 'exited'

# First bytes a child sends on each connection to the zygote's stream socket: its fork request's
# token, then one of these, so the runner knows which connection is which stream of which child.
STREAM_CONTROL = b'c'
STREAM_STDOUT = b'o'
STREAM_STDERR = b'e'
