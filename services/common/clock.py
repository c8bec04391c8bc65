"""A service's idea of now, as a dependency: the local time (Asia/Ho_Chi_Minh), moved forward
by the CLOCK_SHIFT_DAYS setting for tests and demos of deadlines (never in production), or
pinned by a test setting `pinned` on the provider."""
from datetime import datetime, timedelta

from nameko.extensions import DependencyProvider

from .events import TIMEZONE
from .settings import InvalidSettings


class Clock(DependencyProvider):
    """Injects `now()`; config CLOCK_SHIFT_DAYS (days, 0 unless set)."""

    pinned = None

    def setup(self):
        shift = self.container.config.get("CLOCK_SHIFT_DAYS") or 0
        try:
            self.shift = timedelta(days=float(shift))
        except (TypeError, ValueError) as exc:
            raise InvalidSettings(f"invalid settings: CLOCK_SHIFT_DAYS: {shift!r} is not a "
                                  "number of days") from exc

    def now(self):
        return self.pinned or datetime.now(TIMEZONE) + self.shift

    def get_dependency(self, worker_ctx):
        return self.now
