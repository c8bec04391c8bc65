"""Following a PostgreSQL NOTIFY channel from a green thread: what every instance of a service
keeps in memory (the catalogue it read, the calendar it computes with) is told at the commit
of a change, whichever instance made it."""
import logging

import eventlet
import psycopg2
import psycopg2.extras
from eventlet.hubs import trampoline

RECONNECT_SECONDS = 1

log = logging.getLogger("motcua.listener")


def follow(dsn, channel, on_change, on_lost=None):
    """Runs forever: LISTENs on `channel` on a connection of its own (autocommit) and calls
    `on_change(cur)` at once (a change may have happened before it listened) and after every
    notification; when the connection is lost (a notification may be missed), `on_lost()`,
    then connects again."""
    while True:
        conn = None
        try:
            conn = psycopg2.connect(dsn, cursor_factory=psycopg2.extras.RealDictCursor)
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"LISTEN {channel}")
                on_change(cur)
                while True:
                    trampoline(conn.fileno(), read=True)
                    conn.poll()
                    if conn.notifies:
                        conn.notifies.clear()
                        on_change(cur)
        except (psycopg2.Error, OSError) as exc:
            log.warning("lost the database connection that listens for changes; connecting "
                        "again", extra={"channel": channel, "error": type(exc).__name__})
        finally:
            if on_lost is not None:
                on_lost()
            if conn is not None:
                conn.close()
        eventlet.sleep(RECONNECT_SECONDS)
