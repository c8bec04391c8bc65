"""The SQL of backup and restore: the target database's state, and the outbox rows a restore
makes the relays publish again."""
from psycopg2 import sql

from services.common.events import DEPARTMENTS_EXCHANGE, events_exchange


def database_exists(cur, name):
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    return cur.fetchone() is not None


def create_database(cur, name):
    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def schemas_present(cur, schemas):
    cur.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s) ORDER BY nspname",
                (list(schemas),))
    return [row[0] for row in cur.fetchall()]


def republish_unconsumed(cur, subscriptions):
    """Marks unpublished again every event of `<source>.events` that one of its subscribers
    had not recorded in its processed-message table: it was still in the broker when the
    backup was taken. `subscriptions`: (source, event type, consumer service, method).
    Returns {source: rows marked}."""
    subscribers = {}
    for source, event_type, service, method in subscriptions:
        subscribers.setdefault((source, event_type), []).append((service, method))
    marked = {}
    for (source, event_type), consumers in sorted(subscribers.items()):
        missing = sql.SQL(" OR ").join(
            sql.SQL("NOT EXISTS (SELECT 1 FROM {}.processed_messages p"
                    " WHERE p.message_id = o.id AND p.consumer = {})").format(
                sql.Identifier(service), sql.Literal(method))
            for service, method in consumers)
        cur.execute(sql.SQL(
            "UPDATE {}.outbox o SET published_at = NULL, next_attempt_at = now()"
            " WHERE o.published_at IS NOT NULL AND o.exchange = %s AND o.routing_key = %s"
            " AND ({})").format(sql.Identifier(source), missing),
            (events_exchange(source), event_type))
        marked[source] = marked.get(source, 0) + cur.rowcount
    return marked


def republish_department_messages(cur, services, since):
    """Marks unpublished again the department messages published since `since` (the ones
    still on department queues of a broker that was lost). Returns {service: rows}."""
    marked = {}
    for service in services:
        cur.execute(sql.SQL(
            "UPDATE {}.outbox SET published_at = NULL, next_attempt_at = now()"
            " WHERE exchange = %s AND published_at >= %s").format(sql.Identifier(service)),
            (DEPARTMENTS_EXCHANGE, since))
        if cur.rowcount:
            marked[service] = cur.rowcount
    return marked


def services_with_outbox(cur, services):
    cur.execute("SELECT table_schema FROM information_schema.tables"
                " WHERE table_name = 'outbox' AND table_schema = ANY(%s) ORDER BY 1",
                (list(services),))
    return [row[0] for row in cur.fetchall()]


def unpublished_counts(cur, services):
    counts = {}
    for service in services:
        cur.execute(sql.SQL("SELECT count(*) FROM {}.outbox WHERE published_at IS NULL").format(
            sql.Identifier(service)))
        counts[service] = cur.fetchone()[0]
    return counts
