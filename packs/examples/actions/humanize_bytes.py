import humanize

from st2common.runners.base_action import Action


class HumanizeBytes(Action):
    def run(self, size, binary=False):
        self.logger.info("formatting %s bytes", size)
        return {"text": humanize.naturalsize(size, binary=binary), "humanize_version": humanize.__version__}
