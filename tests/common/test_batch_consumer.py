"""A batch handler takes the messages that queued up while it was busy in one worker and one
transaction, and still applies each exactly once: a bad message among them is retried or
dead-lettered alone, the others are applied."""
import eventlet
import pytest

from services.common.consumer import (
    DEAD_LETTER_QUEUE,
    PoisonMessage,
    UnsettledDeliveries,
    parse_envelope,
    record_delivery,
    reliable_batch_handler,
    reliable_handler,
    run_deliveries,
)
from services.common.db import Database, StatementBatch
from services.common.events import new_envelope
from services.common.topology import with_channel
from tests.conftest import drain, publish_all, query, wait_for
from tooling.topology import declare_event_queues

REJECTED = "the department's system rejects this one"


class BatchProbeService:
    """Each message's effect is its processed-message row; `sizes` keeps each batch's length.
    A body whose data says `fail` raises, one whose envelope is invalid is poison."""
    name = "batchprobe"
    db = Database()
    sizes = []

    @reliable_batch_handler("intake", "dossier.received")
    def handle(self, bodies):
        BatchProbeService.sizes.append(len(bodies))
        envelopes = [parse_envelope(body) for body in bodies]
        if any(envelope["data"].get("fail") for envelope in envelopes):
            raise RuntimeError(REJECTED)
        eventlet.sleep(0.2)  # a slow department system: the next messages queue up meanwhile
        record(self.db, envelopes, "batchprobe")


class LingeringProbeService:
    """A handler whose effect is not urgent: it waits for more messages before it starts."""
    name = "lingeringprobe"
    db = Database()
    sizes = []

    @reliable_batch_handler("intake", "dossier.received", linger=1.0)
    def handle(self, bodies):
        LingeringProbeService.sizes.append(len(bodies))
        record(self.db, [parse_envelope(body) for body in bodies], "lingeringprobe")


class HoldingProbeService:
    """A batch handler beside a handler of another event that holds its message (a slow
    department system) for `hold_seconds`."""
    name = "holdingprobe"
    db = Database()
    hold_seconds = 0
    started = []

    @reliable_handler("intake", "dossier.withdrawn")
    def slow(self, body):
        HoldingProbeService.started.append(body)
        eventlet.sleep(HoldingProbeService.hold_seconds)
        record(self.db, [parse_envelope(body)], "holdingprobe.slow")

    @reliable_batch_handler("intake", "dossier.received")
    def handle(self, bodies):
        record(self.db, [parse_envelope(body) for body in bodies], "holdingprobe")


def record(db, envelopes, consumer):
    """Each envelope's effect: its processed-message row, all in one statement batch."""
    with db.autocommit() as cur:
        batch = StatementBatch(cur)
        for envelope in envelopes:
            record_delivery(batch, "routing", envelope["id"], consumer)
        run_deliveries(batch, len(envelopes))


@pytest.fixture
def amqp_uri(container_factory, config_for, rabbit_config, db):
    BatchProbeService.sizes = []
    config = config_for("routing", HANDLER_MAX_ATTEMPTS=2, HANDLER_FIRST_BACKOFF_MS=50)
    with_channel(rabbit_config["AMQP_URI"], declare_event_queues)
    container_factory(BatchProbeService, config).start()
    return rabbit_config["AMQP_URI"]


def event(n, **data):
    return new_envelope("dossier.received", "intake", {"n": n, **data}, f"corr-batch-{n}")


def applied(db, consumer="batchprobe"):
    return sorted(row["message_id"] for row in query(
        db, "SELECT message_id::text FROM routing.processed_messages WHERE consumer = %s",
        (consumer,)))


def test_a_burst_is_applied_in_batches_each_message_once(amqp_uri, db, caplog):
    events = [event(n) for n in range(40)]
    publish_all(amqp_uri, events)
    wait_for(lambda: len(applied(db)) == 40)
    assert applied(db) == sorted(e["id"] for e in events)
    assert max(BatchProbeService.sizes) > 1, BatchProbeService.sizes
    assert len(BatchProbeService.sizes) < 40
    eventlet.sleep(0.5)  # the last batch's ack reaches the broker
    # the broker took every ack (one it refuses closes the channel and the connection)
    assert "broker connection lost" not in caplog.messages


def test_a_failing_message_is_retried_and_dead_lettered_alone(amqp_uri, db):
    good = [event(n) for n in range(12)]
    bad = event(99, fail=True)
    poison = {**event(98), "type": ""}  # an envelope that can never be read
    publish_all(amqp_uri, [*good[:6], bad, poison, *good[6:]])

    dead = []
    wait_for(lambda: dead.extend(drain(amqp_uri, DEAD_LETTER_QUEUE, wait=0)) or len(dead) == 2)
    wait_for(lambda: len(applied(db)) == 12)
    assert applied(db) == sorted(e["id"] for e in good)
    reasons = {body["id"]: props.headers for props, body in dead}
    assert REJECTED in reasons[bad["id"]]["x-motcua-reason"]
    assert reasons[bad["id"]]["x-motcua-attempt"] == 2  # retried once, then parked
    assert PoisonMessage.__name__ in reasons[poison["id"]]["x-motcua-reason"]
    assert reasons[poison["id"]]["x-motcua-attempt"] == 1  # never retried


def test_a_redelivered_message_among_new_ones_changes_nothing_twice(amqp_uri, db):
    first = event(1)
    publish_all(amqp_uri, [first])
    wait_for(lambda: applied(db) == [first["id"]])
    others = [event(n) for n in range(2, 20)]
    publish_all(amqp_uri, [*others[:9], first, *others[9:]])  # the broker's redelivery
    wait_for(lambda: len(applied(db)) == 19)
    eventlet.sleep(0.5)
    assert applied(db) == sorted(e["id"] for e in [first, *others])
    assert drain(amqp_uri, DEAD_LETTER_QUEUE, wait=0.2) == []


def test_a_lingering_handler_takes_a_trickle_in_one_batch(container_factory, config_for,
                                                          rabbit_config, db):
    LingeringProbeService.sizes = []
    container_factory(LingeringProbeService, config_for("routing")).start()
    events = [event(n) for n in range(5)]
    for one in events:  # one every 50 ms, slower than the handler would take them
        publish_all(rabbit_config["AMQP_URI"], [one])
        eventlet.sleep(0.05)
    wait_for(lambda: len(applied(db, "lingeringprobe")) == 5)
    assert applied(db, "lingeringprobe") == sorted(e["id"] for e in events)
    assert LingeringProbeService.sizes == [5]


def test_a_batch_s_ack_leaves_an_older_message_of_another_handler_to_the_broker(
        container_factory, config_for, rabbit_config, db):
    """A batch is acked in one frame when it can be; a message delivered before it and still
    being handled is not acked with it: the service killed then, the broker delivers that
    message again and it is applied."""
    uri = rabbit_config["AMQP_URI"]
    HoldingProbeService.hold_seconds, HoldingProbeService.started = 60, []
    config = config_for("routing")
    first = container_factory(HoldingProbeService, config)
    first.start()
    held = event(0)
    publish_all(uri, [held], routing_key="dossier.withdrawn")
    wait_for(lambda: HoldingProbeService.started)
    burst = [event(n) for n in range(1, 30)]
    publish_all(uri, burst)
    wait_for(lambda: len(applied(db, "holdingprobe")) == len(burst))
    eventlet.sleep(0.5)  # the batches' acks reach the broker
    first.kill()
    HoldingProbeService.hold_seconds = 0
    container_factory(HoldingProbeService, config).start()
    wait_for(lambda: applied(db, "holdingprobe.slow") == [held["id"]])
    assert applied(db, "holdingprobe") == sorted(e["id"] for e in burst)


class Delivery:
    def __init__(self, channel, tag):
        self.channel, self.delivery_tag = channel, tag


def test_only_a_batch_holding_the_channel_s_oldest_deliveries_is_acked_in_one_frame():
    channel = object()
    unsettled = UnsettledDeliveries()
    older, *batch = [Delivery(channel, tag) for tag in range(1, 6)]
    for delivery in (older, *batch):
        unsettled.add(delivery)
    assert unsettled.oldest_run(batch) == ([], batch)  # `older` is another handler's
    unsettled.discard([older])
    assert unsettled.oldest_run(batch[::-1]) == (batch, [])
    # the fourth delivery, still unsettled, is not among them: the run stops before it
    assert unsettled.oldest_run(batch[:2] + batch[3:]) == (batch[:2], batch[3:])
    unsettled.discard(batch[2:3])  # acked alone meanwhile: the run goes on past its tag
    assert unsettled.oldest_run(batch[:2] + batch[3:]) == (batch[:2] + batch[3:], [])


def test_a_new_channel_starts_the_record_of_unsettled_deliveries_afresh():
    unsettled = UnsettledDeliveries()
    old = Delivery(object(), 1)
    unsettled.add(old)
    reconnected = object()
    new = [Delivery(reconnected, tag) for tag in (1, 2)]
    for delivery in new:
        unsettled.add(delivery)
    assert unsettled.oldest_run(new) == (new, [])
    unsettled.discard([old])  # its tag is the new channel's too: that one stays unsettled
    assert unsettled.oldest_run(new[1:]) == ([], new[1:])
