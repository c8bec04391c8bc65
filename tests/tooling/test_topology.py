"""The topology a deployment declares keeps every message on replicated queues: on a
RabbitMQ cluster a quorum queue has a copy on each of three nodes, so one node's restart
loses nothing (a classic queue lives on one node)."""
import pytest

from services.common.consumer import DEAD_LETTER_QUEUE, DELIVERY_LIMIT
from services.common.topology import (
    EVENT_LOG,
    declare_department_queues,
    event_queue_name,
    with_channel,
)
from tests.conftest import CATALOGUE
from tooling.topology import QueueInUse, declare_event_queues, subscriptions


def test_every_queue_that_holds_messages_is_replicated(topology, rabbit_config, rabbit_manager):
    with_channel(topology, declare_department_queues, sorted(CATALOGUE["departments"]))
    queues = {q["name"]: q for q in rabbit_manager.get_queues(rabbit_config["vhost"])}
    kinds = {name: queue["arguments"].get("x-queue-type") for name, queue in queues.items()}
    event_queues = [name for name in queues if name.startswith("evt-")]
    assert len(event_queues) == 2 * len(subscriptions())  # each with its retry queue
    assert len([n for n in queues if n.startswith("department.")]) == len(CATALOGUE["departments"])
    assert kinds.pop(EVENT_LOG) == "stream"
    assert set(kinds.values()) == {"quorum"}, kinds
    for name in queues:  # a message its consumer crashed on 20 times is parked, not dropped
        if name.startswith(("evt-", "department.")) and not name.endswith(".retry"):
            arguments = queues[name]["arguments"]
            assert arguments["x-delivery-limit"] == DELIVERY_LIMIT
            assert arguments["x-dead-letter-routing-key"] == DEAD_LETTER_QUEUE
            assert arguments["x-dead-letter-strategy"] == "at-least-once"


def test_a_queue_an_older_version_declared_classic_is_replaced_only_when_empty(rabbit_config,
                                                                                rabbit_manager):
    uri, vhost = rabbit_config["AMQP_URI"], rabbit_config["vhost"]
    source, event_type, service, method = subscriptions()[0]
    empty, holding = event_queue_name(source, event_type, service, method), DEAD_LETTER_QUEUE

    def older_version(channel):
        for queue in (empty, holding):
            channel.queue_declare(queue, durable=True)
        channel.basic_publish("", holding, b'{"parked": true}')

    with_channel(uri, older_version)
    with pytest.raises(QueueInUse, match=r"motcua\.dead_letters .* 1 messages"):
        with_channel(uri, declare_event_queues)
    kept = with_channel(uri, lambda channel: channel.queue_declare(holding, passive=True))
    assert kept.method.message_count == 1  # nothing was lost
    with_channel(uri, lambda channel: channel.basic_get(holding, auto_ack=True))
    with_channel(uri, declare_event_queues)
    for queue in (empty, holding):
        assert rabbit_manager.get_queue(vhost, queue)["arguments"]["x-queue-type"] == "quorum"
