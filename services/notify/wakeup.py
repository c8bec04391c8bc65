"""A timer the consumers can wake: the sender runs as soon as a handler has recorded something
to send, and every interval anyway (retries, quiet hours, work recorded by another
instance). Waking is in-process only; other instances find the work at their next tick."""
from eventlet import Timeout
from eventlet.event import Event
from nameko.extensions import DependencyProvider, SharedExtension

from services.common.timers import IntervalTimer


class Wakeup(SharedExtension):
    """One per container, shared by the timer and the dependency that wakes it."""

    def setup(self):
        self._due = Event()

    def wake(self):
        if not self._due.ready():
            self._due.send()

    def wait(self, timeout):
        """Until woken (or already woken since the last wait), at most `timeout` seconds;
        True if woken."""
        with Timeout(timeout, exception=False):
            self._due.wait()
        woken = self._due.ready()
        if woken:
            self._due.reset()
        return woken


class WakeableTimer(IntervalTimer):
    """The interval timer, but a wake fires it, after `SEND_LINGER_SECONDS` (config) to gather
    what the next commits bring: under a steady stream every commit wakes it, and a run per
    commit pays the run's fixed cost (the sender's three round trips) for one or two rows.
    Like the timer, it never runs two workers at a time: a wake during a run fires it again
    right after."""

    wakeup = Wakeup()

    def setup(self):
        super().setup()
        self.linger = float(self.container.config.get("SEND_LINGER_SECONDS") or 0)

    def stop(self):
        self.should_stop.send(True)
        self.wakeup.wake()
        self.gt.wait()

    def _run(self):
        while True:
            if self.wakeup.wait(self.interval) and self.linger:
                self.should_stop.wait(self.linger)  # returns at once when stopping
            if self.should_stop.ready():
                break
            self.handle_timer_tick()
            self.worker_complete.wait()
            self.worker_complete.reset()


class WakeSender(DependencyProvider):
    """Injects `wake()`: call it after committing work for the sender."""

    wakeup = Wakeup()

    def get_dependency(self, worker_ctx):
        return self.wakeup.wake


wakeable_timer = WakeableTimer.decorator
