"""The broker topology declared at deployment, so no event is ever published to nowhere:
the event queues of every subscriber (named as nameko names them), the retry and dead-letter
queues, and the quorum queue of every department (`department.<code>` bound to `<code>.#` on
the `motcua.departments` topic exchange)."""
import importlib
import inspect

import pika

from .config import SERVICE_NAMES
from .consumer import DEAD_LETTER_QUEUE, ReliableEventHandler, retry_queue_name
from .events import DEPARTMENTS_EXCHANGE, events_exchange

DEPARTMENT_DELIVERY_LIMIT = 20
# Every event of every service is also kept in this stream for 30 days: an event no service
# subscribes to yet (dossier.assigned today) is kept, not dropped, and can be replayed.
EVENT_LOG = "motcua.event_log"
EVENT_LOG_ARGUMENTS = {"x-queue-type": "stream", "x-max-age": "30D"}


def service_class(service):
    """The nameko service class of a service: the class in services/<service>/service.py whose
    `name` is the service's name."""
    module = importlib.import_module(f"services.{service}.service")
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if getattr(cls, "name", None) == service and cls.__module__ == module.__name__:
            return cls
    raise LookupError(f"no nameko service named {service!r} in {module.__name__}")


def subscriptions():
    """(publisher, event type, consumer service, handler method) of every reliable handler,
    read from the services' own decorators so the topology cannot drift from the code."""
    found = []
    for service in SERVICE_NAMES:
        for method_name, method in inspect.getmembers(service_class(service), inspect.isfunction):
            for entrypoint in getattr(method, "nameko_entrypoints", ()):
                if isinstance(entrypoint, ReliableEventHandler):
                    found.append((entrypoint.source_service, entrypoint.event_type, service,
                                  method_name))
    return sorted(found)


def event_queue_name(source, event_type, service, method):
    return f"evt-{source}-{event_type}--{service}.{method}"


def department_queue_name(department):
    return f"department.{department}"


def department_queue_arguments():
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": DEPARTMENT_DELIVERY_LIMIT,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": DEAD_LETTER_QUEUE,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def _declare_exchange(channel, exchange):
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)


def declare_event_queues(channel):
    channel.queue_declare(DEAD_LETTER_QUEUE, durable=True)
    channel.queue_declare(EVENT_LOG, durable=True, arguments=EVENT_LOG_ARGUMENTS)
    for service in SERVICE_NAMES:
        _declare_exchange(channel, events_exchange(service))
        channel.queue_bind(EVENT_LOG, events_exchange(service), routing_key="#")
    for source, event_type, service, method in subscriptions():
        exchange = events_exchange(source)
        queue = event_queue_name(source, event_type, service, method)
        _declare_exchange(channel, exchange)
        channel.queue_declare(queue, durable=True)
        channel.queue_bind(queue, exchange, routing_key=event_type)
        channel.queue_declare(
            retry_queue_name(queue),
            durable=True,
            arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue},
        )


def declare_department_queues(channel, departments):
    channel.queue_declare(DEAD_LETTER_QUEUE, durable=True)
    _declare_exchange(channel, DEPARTMENTS_EXCHANGE)
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
