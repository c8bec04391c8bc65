"""Names and arguments of the broker's queues that services and tooling both need: the event
queues (named as nameko names them), the event log, and the quorum queue of every department
(`department.<code>` bound to `<code>.#` on the `motcua.departments` topic exchange).
Declaring the event queues of every subscriber is deployment's work (tooling/topology.py)."""
import pika

from .consumer import (
    DEAD_LETTER_QUEUE,
    DEAD_LETTER_QUEUE_ARGUMENTS,
    DELIVERY_LIMIT,
    delivered_queue_arguments,
)
from .events import DEPARTMENTS_EXCHANGE

DEPARTMENT_DELIVERY_LIMIT = DELIVERY_LIMIT
# Every event of every service is also kept in this stream for 30 days: an event no service
# subscribes to yet (dossier.assigned today) is kept, not dropped, and can be replayed. It
# holds the citizens' personal data that long, readable by the operations user alone
# (docs/operations.md, "Personal data in the broker").
EVENT_LOG = "motcua.event_log"
EVENT_LOG_ARGUMENTS = {"x-queue-type": "stream", "x-max-age": "30D"}


def event_queue_name(source, event_type, service, method):
    return f"evt-{source}-{event_type}--{service}.{method}"


def department_queue_name(department):
    return f"department.{department}"


def department_queue_arguments():
    return delivered_queue_arguments()


def declare_exchange(channel, exchange):
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)


def declare_dead_letter_queue(channel):
    channel.queue_declare(DEAD_LETTER_QUEUE, durable=True, arguments=DEAD_LETTER_QUEUE_ARGUMENTS)


def declare_department_queues(channel, departments):
    declare_dead_letter_queue(channel)
    declare_exchange(channel, DEPARTMENTS_EXCHANGE)
    for department in departments:
        queue = department_queue_name(department)
        channel.queue_declare(queue, durable=True, arguments=department_queue_arguments())
        channel.queue_bind(queue, DEPARTMENTS_EXCHANGE, routing_key=f"{department}.#")


def with_channel(amqp_uri, action, *args):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        return action(connection.channel(), *args)
    finally:
        connection.close()
