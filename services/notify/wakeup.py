"""A timer the consumers can wake: the sender runs as soon as a handler has recorded something
to send, and every `interval` seconds anyway (retries, quiet hours, work recorded by another
instance). Waking is in-process only; other instances find the work at their next tick."""
from eventlet import Timeout
from eventlet.event import Event
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.timer import Timer


class Wakeup(SharedExtension):
    """One per container, shared by the timer and the dependency that wakes it."""

    def setup(self):
        self._due = Event()

    def wake(self):
        if not self._due.ready():
            self._due.send()

    def wait(self, timeout):
        """Until woken (or already woken since the last wait), at most `timeout` seconds."""
        with Timeout(timeout, exception=False):
            self._due.wait()
        if self._due.ready():
            self._due.reset()


class WakeableTimer(Timer):
    """nameko's timer, but a wake fires it at once. Like the timer, it never runs two workers
    at a time: a wake during a run fires it again right after."""

    wakeup = Wakeup()

    def stop(self):
        self.should_stop.send(True)
        self.wakeup.wake()
        self.gt.wait()

    def _run(self):
        while True:
            self.wakeup.wait(self.interval)
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
