"""Events a consumer makes while handling a delivered event take ids derived from it: a
database restored from a backup that handles the event again (its first handling came after
the backup) makes the same ids, which the departments that took them recognise. Other events
(an HTTP request's, a timer's) keep random ids."""
from nameko.testing.services import entrypoint_hook, restrict_entrypoints

from services.common.events import caused_by, event_id
from services.routing.service import RoutingService
from tests.conftest import query, tables_to_clean
from tests.routing.lifecycle_helpers import at, dossier_received

PROCEDURE = "1.002861"  # sxd, 2 working days


def handled(container, envelope, db):
    """The outbox of routing after its dossier.received handler took `envelope`."""
    with entrypoint_hook(container, "handle_dossier_received") as handle:
        handle([envelope])
    return query(db, "SELECT id::text, exchange, routing_key FROM routing.outbox ORDER BY seq")


def lose_routing_data(db):
    """What a restore from a backup taken before the handling leaves of routing: nothing."""
    with db.cursor() as cur:
        tables = [t for t in tables_to_clean(cur) if t.startswith("routing.")]
        cur.execute(f"TRUNCATE {', '.join(tables)}")


def test_the_events_of_a_handling_done_again_after_a_restore_keep_their_ids(
        container_factory, config_for, db):
    container = container_factory(RoutingService, config_for("routing"))
    restrict_entrypoints(container, "handle_dossier_received")
    container.start()
    envelope = dossier_received(PROCEDURE, at("2026-11-18", 9), "2026-11-20")
    first = handled(container, envelope, db)
    assert any(row["exchange"] == "motcua.departments" for row in first)
    lose_routing_data(db)
    assert handled(container, envelope, db) == first
    lose_routing_data(db)
    other = handled(container, dossier_received(PROCEDURE, at("2026-11-18", 9), "2026-11-20"), db)
    assert not {row["id"] for row in other} & {row["id"] for row in first}


def test_ids_differ_by_consumer_and_are_random_outside_a_handling():
    cause = "0f8e2c58-2a43-4c53-9d3a-5b0e6f1e9a77"
    with caused_by("routing.handle_dossier_received", cause):
        routing = [event_id(), event_id()]
    with caused_by("notify.handle_dossier_received", cause.upper()):
        notify = [event_id(), event_id()]
    with caused_by("routing.handle_dossier_received", cause):
        assert [event_id(), event_id()] == routing
    assert len(set(routing + notify)) == 4
    assert event_id() != event_id()
