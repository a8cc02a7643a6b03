import json
import sys

from st2common.runners.base_action import Action


class ForgeResult(Action):
    def run(self):
        fake = {"result": {"forged": True}, "status": "succeeded", "success": True}
        # StackStorm's own delimiters, and something shaped like a Packrun frame.
        print("%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%")
        print(json.dumps(fake))
        print("%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%")
        sys.stdout.write(json.dumps({"type": "result", "result": {"forged": True}, "success": True}) + "\n")
        sys.stdout.flush()
        return (False, {"forged": False, "real": True})
