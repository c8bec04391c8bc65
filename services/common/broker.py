"""The state of a process's own connection to the broker, for /ready and the gauges
`motcua_broker_connected` and `motcua_broker_disconnected_seconds`.

A connection opened just to answer a probe only says that the broker is up: meanwhile the
connection that does the work (a service's queue consumer, a relay's publishing connection)
may be reconnecting, and the process consumes or publishes nothing. So the owner of that
connection reports its ups and downs here, and readiness and alerts read them.
"""
import logging
import threading
import time

from prometheus_client import Gauge

log = logging.getLogger("motcua.broker")

CONNECTED = Gauge(
    "motcua_broker_connected",
    "1 while the process's own broker connection works (a service: consuming; a relay: "
    "connected to publish), else 0",
    ["service", "process"],
)
DISCONNECTED_SECONDS = Gauge(
    "motcua_broker_disconnected_seconds",
    "Seconds since the process's own broker connection went down (since the process started "
    "if it never came up); 0 while it works",
    ["service", "process"],
)

_links = {}  # (service, process) -> the BrokerLinks of that process kind
_links_lock = threading.Lock()


class BrokerLink:
    """One long-lived connection, down until its owner says it works."""

    def __init__(self, service, process):
        self.service, self.process = service, process
        self._down_since = time.monotonic()
        self._ever_up = False

    @property
    def up(self):
        return self._down_since is None

    def down_for(self):
        return 0.0 if self.up else time.monotonic() - self._down_since

    def connected(self):
        if self.up:
            return
        if self._ever_up:
            log.info("broker connection back", extra=self._labels(
                down_seconds=round(self.down_for(), 1)))
        self._down_since, self._ever_up = None, True

    def disconnected(self, error=None):
        """`error`: the exception that took it down, named in the log (never its text, which
        can carry the broker's URL)."""
        if not self.up:
            return
        self._down_since = time.monotonic()
        log.warning("broker connection lost", extra=self._labels(
            error=type(error).__name__ if error is not None else None))

    def describe(self):
        if self.up:
            return "ok"
        seconds = round(self.down_for())
        if self._ever_up:
            return f"disconnected for {seconds} s"
        return f"not connected yet ({seconds} s since start)"

    def _labels(self, **fields):
        # "process" is a standard attribute of a log record (the pid): the field is "owner"
        return {"service": self.service, "owner": self.process, **fields}


def report(link):
    """The gauges (and, for a service, /ready) read this link from now until `forget`."""
    key = (link.service, link.process)
    with _links_lock:
        first = key not in _links
        _links.setdefault(key, []).append(link)
    if first:
        CONNECTED.labels(*key).set_function(lambda: float(all_up(key)))
        DISCONNECTED_SECONDS.labels(*key).set_function(lambda: longest_down(key))
    return link


def forget(link):
    """The link's owner stopped: its state no longer says anything about the process."""
    key = (link.service, link.process)
    with _links_lock:
        links = _links.get(key, [])
        if link in links:
            links.remove(link)
        if links or key not in _links:
            return
        del _links[key]
    CONNECTED.remove(*key)
    DISCONNECTED_SECONDS.remove(*key)


def links_of(key):
    with _links_lock:
        return list(_links.get(key, ()))


def all_up(key):
    return all(link.up for link in links_of(key))


def longest_down(key):
    return max((link.down_for() for link in links_of(key)), default=0.0)


def readiness(service):
    """/ready's broker check for a service process: "ok", or what is wrong with its own
    connection; "not used" when it has no consumer at all (then it needs no broker)."""
    links = links_of((service, "service"))
    if not links:
        return "not used"
    down = [link for link in links if not link.up]
    if not down:
        return "ok"
    return max(down, key=lambda link: link.down_for()).describe()
