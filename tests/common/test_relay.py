"""The outbox relay never drops an event: unroutable ones stay until a queue exists; a row is
marked published only once the broker confirmed that very message."""
import pytest

from services.common import relay as relay_module
from services.common.events import DEPARTMENTS_EXCHANGE, add_to_outbox, new_envelope
from services.common.relay import ConfirmsTimedOut, Relay
from services.common.topology import declare_department_queues, with_channel
from tests.conftest import drain, query


def write_events(db, routing_keys):
    """One routing outbox row per routing key, on the departments exchange; their envelopes."""
    envelopes = []
    with db.cursor() as cur:
        for i, routing_key in enumerate(routing_keys):
            envelope = new_envelope("dossier.assigned", "routing",
                                    {"code": f"X{i}", "note": "Nguyễn Huệ"}, f"corr-{i}", f"X{i}")
            add_to_outbox(cur, "routing", envelope, DEPARTMENTS_EXCHANGE, routing_key)
            envelopes.append(envelope)
    return envelopes


def outbox(db):
    return {str(row["id"]): row for row in query(
        db, "SELECT id, published_at, attempts, last_error, next_attempt_at > now() AS backed_off"
            " FROM routing.outbox")}


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


def test_a_batch_mixing_routable_and_unroutable_rows_marks_only_the_routable(
        db, db_url, rabbit_config):
    amqp_uri = rabbit_config["AMQP_URI"]
    with_channel(amqp_uri, declare_department_queues, ["snew"])
    keys = ["snew.a", "sxd.a", "snew.b", "snew.c", "sxd.b", "snew.d"]  # no queue for sxd yet
    envelopes = write_events(db, keys)
    routable = [e for e, key in zip(envelopes, keys, strict=True) if key.startswith("snew")]
    unroutable = [e for e, key in zip(envelopes, keys, strict=True) if key.startswith("sxd")]
    relay = Relay("routing", db_url, amqp_uri)

    assert relay.run_once() == len(routable)  # one batch

    rows = outbox(db)
    assert all(rows[e["id"]]["published_at"] is not None for e in routable)
    for envelope in unroutable:
        row = rows[envelope["id"]]
        assert row["published_at"] is None and row["attempts"] == 1 and row["backed_off"]
        assert row["last_error"] == "unroutable: no queue bound"
    messages = drain(amqp_uri, "department.snew")
    assert [body for _, body in messages] == routable  # each once, in order, body unchanged
    properties = messages[0][0]
    assert (properties.content_type, properties.content_encoding, properties.delivery_mode) == (
        "application/json", "utf-8", 2)
    assert (properties.message_id, properties.correlation_id, properties.type) == (
        routable[0]["id"], routable[0]["correlation_id"], "dossier.assigned")
    assert properties.headers["nameko.correlation_id"] == routable[0]["correlation_id"]

    with_channel(amqp_uri, declare_department_queues, ["sxd"])
    query(db, "UPDATE routing.outbox SET next_attempt_at = now() RETURNING seq")  # skip backoff
    assert relay.run_once() == len(unroutable)
    assert all(row["published_at"] is not None for row in outbox(db).values())
    assert [body["id"] for _, body in drain(amqp_uri, "department.sxd")] == [
        e["id"] for e in unroutable]
    assert drain(amqp_uri, "department.snew") == []  # the routable ones were not sent again
    relay.close()


def test_a_nacked_message_is_kept_for_retry(db, db_url, rabbit_config):
    amqp_uri = rabbit_config["AMQP_URI"]

    def declare_full_queue(channel):
        channel.exchange_declare(DEPARTMENTS_EXCHANGE, exchange_type="topic", durable=True)
        channel.queue_declare("full", durable=True,
                              arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
        channel.queue_bind("full", DEPARTMENTS_EXCHANGE, routing_key="full.#")

    with_channel(amqp_uri, declare_full_queue)
    first, second, third = write_events(db, ["full.a", "full.b", "full.c"])
    relay = Relay("routing", db_url, amqp_uri)

    assert relay.run_once() == 1

    rows = outbox(db)
    assert rows[first["id"]]["published_at"] is not None
    for envelope in (second, third):
        row = rows[envelope["id"]]
        assert row["published_at"] is None and row["attempts"] == 1 and row["backed_off"]
        assert row["last_error"] == "nacked by the broker"
    relay.close()


def test_a_large_batch_is_all_confirmed_and_each_message_delivered_once(
        db, db_url, rabbit_config):
    amqp_uri = rabbit_config["AMQP_URI"]
    with_channel(amqp_uri, declare_department_queues, ["snew"])
    envelopes = write_events(db, ["snew.dossier.assigned"] * 500)
    relay = Relay("routing", db_url, amqp_uri, batch_size=500)

    assert relay.run_once() == 500

    assert all(row["published_at"] is not None and row["attempts"] == 1
               for row in outbox(db).values())
    delivered = [body["id"] for _, body in drain(amqp_uri, "department.snew")]
    assert delivered == [e["id"] for e in envelopes]
    relay.close()


def test_rows_whose_confirm_did_not_come_are_not_marked_and_are_published_again(
        db, db_url, rabbit_config, monkeypatch):
    amqp_uri = rabbit_config["AMQP_URI"]
    with_channel(amqp_uri, declare_department_queues, ["snew"])
    relay = Relay("routing", db_url, amqp_uri)
    relay.run_once()  # connects; nothing to publish yet
    envelopes = write_events(db, ["snew.dossier.assigned"] * 50)
    monkeypatch.setattr(relay_module, "CONFIRM_TIMEOUT_SECONDS", 0)  # no waiting at all

    with pytest.raises(ConfirmsTimedOut):
        relay.publish_batch()  # the last publish at least is not confirmed yet

    marked = {id_ for id_, row in outbox(db).items() if row["published_at"] is not None}
    assert len(marked) < 50
    assert all(row["last_error"] is None for row in outbox(db).values())
    relay.close(broken=True)
    monkeypatch.undo()
    relay.run_once()
    assert all(row["published_at"] is not None for row in outbox(db).values())
    delivered = [body["id"] for _, body in drain(amqp_uri, "department.snew")]
    # everything is delivered; what was marked was confirmed, so it was not sent twice
    assert set(delivered) == {e["id"] for e in envelopes}
    assert all(delivered.count(id_) == 1 for id_ in marked)
    relay.close()


def test_a_lost_database_connection_keeps_the_broker_connection(db, db_url, rabbit_config):
    """The database's failure is not the broker's: the relay reconnects to the database only,
    publishes on the broker connection it had, and never reports that one down."""
    amqp_uri = rabbit_config["AMQP_URI"]
    with_channel(amqp_uri, declare_department_queues, ["sdb"])
    relay = Relay("routing", db_url, amqp_uri)
    relay.run_once()
    broker_connection, listener = relay._amqp, relay._listener.get_backend_pid()
    # its listening connection dies (waiting up to 5 s until it has)
    query(db, "SELECT pg_terminate_backend(%s, 5000)", (listener,))
    envelopes = write_events(db, ["sdb.dossier.assigned"])
    for _ in range(3):  # the loss shows at the first or second read of that connection
        relay._run_once_or_recover(0.01)
    assert relay._listener.get_backend_pid() != listener
    assert relay._amqp is broker_connection and relay.broker_link.up
    assert [body["id"] for _, body in drain(amqp_uri, "department.sdb")] == [envelopes[0]["id"]]
    relay.close()
