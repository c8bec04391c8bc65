"""Following a PostgreSQL NOTIFY channel from a green thread: what every instance of a service
keeps in memory (the catalogue it read, the calendar it computes with) is told at the commit
of a change, whichever instance made it."""
import logging

import eventlet
import psycopg2
import psycopg2.extras
from eventlet.hubs import trampoline
from nameko.extensions import SharedExtension

RECONNECT_SECONDS = 1

log = logging.getLogger("motcua.listener")


class ChangeListener(SharedExtension):
    """The one LISTEN connection of a service process, shared by every dependency that
    follows a channel (declared as `changes = ChangeListener()` on the dependency, which calls
    `changes.follow(...)` in its setup). PostgreSQL wakes every listening connection of the
    database at each NOTIFY, whatever its channel, and each wake is a transaction of its
    own: one connection per process, not one per thing followed."""

    def __init__(self):
        super().__init__()
        self._followers = []  # (channel, on_change, on_lost)
        self._thread = None

    def follow(self, channel, on_change, on_lost=None):
        """`on_change(cur)` at once and after every notification on `channel`; `on_lost()`
        when the connection is lost (see `follow`)."""
        self._followers.append((channel, on_change, on_lost))

    def start(self):
        if self._followers:
            dsn = self.container.config["DB_URL"]
            name = f"{self.container.service_name} listener"
            self._thread = self.container.spawn_managed_thread(
                lambda: follow(dsn, self._followers, name))

    def stop(self):
        if self._thread is not None:
            self._thread.kill()

    kill = stop


def follow(dsn, followers, application_name):
    """Runs forever: LISTENs on every channel of `followers` ([(channel, on_change,
    on_lost)]) on a connection of its own (autocommit, named `application_name` in
    pg_stat_activity) and calls each `on_change(cur)` at once (a change may have happened
    before it listened) and after every notification on its channel; when the connection is
    lost (a notification may be missed), every `on_lost()`, then connects again."""
    channels = sorted({channel for channel, _, _ in followers})
    while True:
        conn = None
        try:
            conn = psycopg2.connect(dsn, cursor_factory=psycopg2.extras.RealDictCursor,
                                    application_name=application_name)
            conn.autocommit = True
            with conn.cursor() as cur:
                for channel in channels:
                    cur.execute(f"LISTEN {channel}")
                for _, on_change, _ in followers:
                    on_change(cur)
                while True:
                    trampoline(conn.fileno(), read=True)
                    conn.poll()
                    notified = {notification.channel for notification in conn.notifies}
                    conn.notifies.clear()
                    for channel, on_change, _ in followers:
                        if channel in notified:
                            on_change(cur)
        except (psycopg2.Error, OSError) as exc:
            log.warning("lost the database connection that listens for changes; connecting "
                        "again", extra={"channels": channels,
                                        "error": type(exc).__name__})
        finally:
            for _, _, on_lost in followers:
                if on_lost is not None:
                    on_lost()
            if conn is not None:
                conn.close()
        eventlet.sleep(RECONNECT_SECONDS)
