"""routing's own dependency providers: its clock, and the department queues it declares."""
from datetime import datetime, timedelta

from nameko.extensions import DependencyProvider

from services.common.events import TIMEZONE
from services.common.settings import read_settings
from services.common.topology import declare_department_queues, with_channel

from .settings import RoutingSettings


class Clock(DependencyProvider):
    """routing's idea of now, moved by CLOCK_SHIFT_DAYS; tests may also pin it by setting
    `pinned` on the provider."""

    pinned = None

    def setup(self):
        settings = read_settings(RoutingSettings, self.container.config)
        self.shift = timedelta(days=settings.clock_shift_days)

    def now(self):
        return self.pinned or datetime.now(TIMEZONE) + self.shift

    def get_dependency(self, worker_ctx):
        return self.now


class DepartmentQueues(DependencyProvider):
    """Declares a department's queue the first time this process routes to it, so a
    department added to the catalogue gets its queue before its first dossier."""

    def setup(self):
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.declared = set()

    def get_dependency(self, worker_ctx):
        def ensure(departments):
            new = sorted(set(departments) - self.declared)
            if new:
                with_channel(self.amqp_uri, declare_department_queues, new)
                self.declared.update(new)

        return ensure
