"""Entry point of a Python zygote: `<pack venv>/bin/python -I packrun_zygote.py`.

One warm process per pack env. It imports the action wrapper and the modules the pack asks for
(pack.yaml `preload_imports`) once, then forks a fresh child per execution on request from the
runner over fd 3 (see packrun_runtime/zygote.py). It is never given a job's inputs or secrets."""

import os
import sys

# As in packrun_action_wrapper.py: this folder is on sys.path only while Packrun's runtime imports.
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
try:
    from packrun_runtime import zygote
finally:
    del sys.path[0]

if __name__ == '__main__':
    sys.exit(zygote.main(sys.argv[1:]))
