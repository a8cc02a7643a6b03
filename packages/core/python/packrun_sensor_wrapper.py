"""Entry point of a Python sensor process: `<pack venv>/bin/python -I packrun_sensor_wrapper.py`.

Under Packrun the job arrives on fd 3 (see packrun_runtime/protocol.py). Run by hand, inputs
come from flags and each dispatched trigger is printed as a JSON line; see --help."""

import os
import sys

# -I keeps this folder off sys.path; put it there only long enough to import Packrun's own
# runtime, so no pack module can ever shadow it.
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
try:
    from packrun_runtime import sensor_runner
finally:
    del sys.path[0]

if __name__ == '__main__':
    sys.exit(sensor_runner.main(sys.argv[1:]))
