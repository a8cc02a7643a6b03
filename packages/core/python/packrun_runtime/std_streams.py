"""The user's standard streams, which the parent reads live."""

import sys


def line_buffer_std_streams():
    """Flush stdout and stderr at every newline.

    A pipe makes Python block-buffer stdout, so output would only show up at exit, and -I makes
    the interpreter ignore PYTHONUNBUFFERED: set it here, before any user code runs."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, 'reconfigure', None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)


def flush_std_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - user code may have closed or replaced the stream
            pass
