import json
import os
import subprocess
import time

from st2common.runners.base_action import Action


class Sleep(Action):
    def run(self, seconds, pid_file=None):
        child = subprocess.Popen(["sleep", str(int(seconds) + 1)])
        if pid_file:
            with open(pid_file, "w") as handle:
                json.dump({"action": os.getpid(), "child": child.pid}, handle)
        time.sleep(seconds)
        return {"slept": seconds}
