"""The broker topology declared at deployment, so no event is ever published to nowhere: the
event exchange of every service, the event queues of every subscriber with their retry
queues, the dead-letter queue and the event log. The subscriptions are read from the
services' own decorators, so the topology cannot drift from the code. A queue that an older
version declared otherwise (classic, before every queue holding events was a quorum queue)
is replaced when empty; one still holding messages stops the migration, named."""
import importlib
import inspect

import pika

from services.common.config import SERVICE_NAMES
from services.common.consumer import (
    DEAD_LETTER_QUEUE,
    DEAD_LETTER_QUEUE_ARGUMENTS,
    ReliableEventHandler,
    delivered_queue_arguments,
    retry_queue_arguments,
    retry_queue_name,
)
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


class QueueInUse(Exception):
    """A queue declared by an older version with other arguments still holds messages."""


def declare_queue(channel, queue, arguments):
    """Declares a durable queue; one an older version declared with other arguments (a
    classic queue where a quorum queue is wanted) is replaced when it is empty and unused.
    Returns the channel to go on with (the broker closes the one a mismatch was on)."""
    try:
        channel.queue_declare(queue, durable=True, arguments=arguments)
        return channel
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code != 406:  # PRECONDITION_FAILED: other arguments
            raise
    channel = channel.connection.channel()
    found = channel.queue_declare(queue, passive=True).method
    if found.message_count or found.consumer_count:
        raise QueueInUse(
            f"queue {queue} was declared by an older version with other arguments and has "
            f"{found.message_count} messages and {found.consumer_count} consumers: stop its "
            "publishers, let its consumers empty it (dead letters: `motcua dlq`), stop them, "
            "and migrate again")
    channel.queue_delete(queue, if_unused=True, if_empty=True)
    channel.queue_declare(queue, durable=True, arguments=arguments)
    return channel


def job_queues():
    """(queue, exchange, routing key, arguments) of every service's worker jobs: a service
    whose `worker` module lists JOB_QUEUES (docstore's document worker, bound to its own
    events)."""
    found = []
    for service in SERVICE_NAMES:
        try:
            module = importlib.import_module(f"services.{service}.worker")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.{service}.worker":
                raise
            continue
        found += list(getattr(module, "JOB_QUEUES", ()))
    return found


def declare_event_queues(channel):
    channel = declare_queue(channel, DEAD_LETTER_QUEUE, DEAD_LETTER_QUEUE_ARGUMENTS)
    channel.queue_declare(EVENT_LOG, durable=True, arguments=EVENT_LOG_ARGUMENTS)
    for service in SERVICE_NAMES:
        declare_exchange(channel, events_exchange(service))
        channel.queue_bind(EVENT_LOG, events_exchange(service), routing_key="#")
    for source, event_type, service, method in subscriptions():
        exchange = events_exchange(source)
        queue = event_queue_name(source, event_type, service, method)
        declare_exchange(channel, exchange)
        channel = declare_queue(channel, queue, delivered_queue_arguments())
        channel.queue_bind(queue, exchange, routing_key=event_type)
        channel = declare_queue(channel, retry_queue_name(queue), retry_queue_arguments(queue))
    for queue, exchange, routing_key, arguments in job_queues():
        declare_exchange(channel, exchange)
        channel = declare_queue(channel, queue, arguments)
        channel.queue_bind(queue, exchange, routing_key=routing_key)
