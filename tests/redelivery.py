"""The redelivery contract every reliable handler keeps: the same envelope delivered twice
has its effect once. Each service's tests/<service>/test_redelivery.py declares
`REDELIVERY_CASES = {handler method name: case}` (a case prepares what the handler needs and
returns the envelope) and runs `delivered_twice` on each; tests/common/test_redelivery_
coverage.py checks that every reliable handler of every service has a case."""
from nameko.testing.services import entrypoint_hook, restrict_entrypoints

from services.common.consumer import ReliableBatchHandler

# The kernel's bookkeeping, not a handler's effect.
BOOKKEEPING = {"processed_messages", "_yoyo_migration", "_yoyo_log", "_yoyo_version",
               "yoyo_lock"}


def schema_contents(conn, schema):
    """Every row of every table of the schema but the bookkeeping, as text, per table."""
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
                    " AND table_type = 'BASE TABLE'", (schema,))
        tables = sorted(row["table_name"] for row in cur.fetchall()
                        if row["table_name"] not in BOOKKEEPING)
        contents = {}
        for table in tables:
            cur.execute(f"SELECT t::text AS row FROM {schema}.{table} t ORDER BY 1")
            contents[table] = [row["row"] for row in cur.fetchall()]
    conn.commit()
    return contents


def recorded(conn, schema, envelope_id, consumer):
    with conn.cursor() as cur:
        cur.execute(f"SELECT 1 FROM {schema}.processed_messages"
                    " WHERE message_id = %s AND consumer = %s", (envelope_id, consumer))
        found = cur.fetchone() is not None
    conn.commit()
    return found


def delivered_twice(container_factory, service_cls, config, conn, method, envelope):
    """Runs the handler `method` of a container of `service_cls` (only that entrypoint: no
    timer or other consumer changes the data meanwhile) with `envelope` twice; asserts the
    first changed the service's tables and recorded the envelope under the method's name (an
    effect that happens to be idempotent on its own must still be recorded: the next version
    of the handler may not be), and the second changed nothing."""
    container = container_factory(service_cls, config)
    restrict_entrypoints(container, method)
    container.start()
    [entrypoint] = [e for e in container.entrypoints if e.method_name == method]
    argument = [envelope] if isinstance(entrypoint, ReliableBatchHandler) else envelope
    schema = service_cls.name
    before = schema_contents(conn, schema)
    with entrypoint_hook(container, method) as handle:
        handle(argument)
    once = schema_contents(conn, schema)
    assert once != before, f"{method}: the first delivery changed nothing"
    assert recorded(conn, schema, envelope["id"], method), \
        f"{method}: the delivery was not recorded under the handler's name"
    with entrypoint_hook(container, method) as handle:
        handle(argument)
    assert schema_contents(conn, schema) == once, f"{method}: the second delivery had an effect"
