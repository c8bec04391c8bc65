"""The broker topology declared at deployment, so no event is ever published to nowhere: the
event exchange of every service, the event queues of every subscriber with their retry
queues, the dead-letter queue and the event log. The subscriptions are read from the
services' own decorators, so the topology cannot drift from the code."""
import importlib
import inspect

from services.common.config import SERVICE_NAMES
from services.common.consumer import DEAD_LETTER_QUEUE, ReliableEventHandler, retry_queue_name
from services.common.events import events_exchange
from services.common.topology import (
    EVENT_LOG,
    EVENT_LOG_ARGUMENTS,
    declare_exchange,
    event_queue_name,
)


def service_class(service):
    """The nameko service class of a service: the class in services/<service>/service.py whose
    `name` is the service's name."""
    module = importlib.import_module(f"services.{service}.service")
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if getattr(cls, "name", None) == service and cls.__module__ == module.__name__:
            return cls
    raise LookupError(f"no nameko service named {service!r} in {module.__name__}")


def subscriptions():
    """(publisher, event type, consumer service, handler method) of every reliable handler."""
    found = []
    for service in SERVICE_NAMES:
        for method_name, method in inspect.getmembers(service_class(service), inspect.isfunction):
            for entrypoint in getattr(method, "nameko_entrypoints", ()):
                if isinstance(entrypoint, ReliableEventHandler):
                    found.append((entrypoint.source_service, entrypoint.event_type, service,
                                  method_name))
    return sorted(found)


def declare_event_queues(channel):
    channel.queue_declare(DEAD_LETTER_QUEUE, durable=True)
    channel.queue_declare(EVENT_LOG, durable=True, arguments=EVENT_LOG_ARGUMENTS)
    for service in SERVICE_NAMES:
        declare_exchange(channel, events_exchange(service))
        channel.queue_bind(EVENT_LOG, events_exchange(service), routing_key="#")
    for source, event_type, service, method in subscriptions():
        exchange = events_exchange(source)
        queue = event_queue_name(source, event_type, service, method)
        declare_exchange(channel, exchange)
        channel.queue_declare(queue, durable=True)
        channel.queue_bind(queue, exchange, routing_key=event_type)
        channel.queue_declare(
            retry_queue_name(queue),
            durable=True,
            arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue},
        )
