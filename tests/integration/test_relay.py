"""The outbox relay never drops an event: unroutable ones stay until a queue exists."""
from services.common.events import DEPARTMENTS_EXCHANGE, add_to_outbox, new_envelope
from services.common.relay import Relay
from services.common.topology import declare_department_queues, with_channel
from tests.conftest import drain, query


def test_unroutable_event_is_kept_and_published_once_its_queue_exists(db, db_url, rabbit_config):
    amqp_uri = rabbit_config["AMQP_URI"]
    envelope = new_envelope("dossier.assigned", "routing", {"code": "X"}, "corr-relay", "X")
    with db.cursor() as cur:
        add_to_outbox(cur, "routing", envelope, DEPARTMENTS_EXCHANGE, "snew.dossier.assigned")
    relay = Relay("routing", db_url, amqp_uri)
    relay.run_once()
    [row] = query(db, "SELECT published_at, last_error, attempts FROM routing.outbox")
    assert row["published_at"] is None and row["last_error"].startswith("unroutable")
    with_channel(amqp_uri, declare_department_queues, ["snew"])
    query(db, "UPDATE routing.outbox SET next_attempt_at = now() RETURNING seq")  # skip backoff
    relay.run_once()
    relay.run_once()
    [row] = query(db, "SELECT published_at FROM routing.outbox")
    assert row["published_at"] is not None
    messages = drain(amqp_uri, "department.snew")
    assert [body["id"] for _, body in messages] == [envelope["id"]]
    relay.close()
