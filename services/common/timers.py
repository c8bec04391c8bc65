"""One interval timer for every service: nameko's, its interval read from a setting (tests
and demos run it fast)."""
from nameko.timer import Timer


class IntervalTimer(Timer):
    def __init__(self, setting, default_seconds, **kwargs):
        super().__init__(default_seconds, **kwargs)
        self.setting = setting

    def setup(self):
        self.interval = float(self.container.config.get(self.setting) or self.interval)
        super().setup()


interval_timer = IntervalTimer.decorator
