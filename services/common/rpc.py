"""nameko's RPC entrypoint and proxy, consuming through the service's one queue consumer
(services.common.consumer.ServiceQueueConsumer) instead of a second one of their own: the
state of that one connection is then all /ready and the broker gauges need to know.
Services declare `@rpc` and `RpcProxy(...)` from here, never from nameko.rpc."""
import eventlet
from kombu.exceptions import OperationalError as BrokerUnreachable
from nameko import rpc as nameko_rpc
from nameko.exceptions import RemoteError, UnknownService

from .consumer import ServiceQueueConsumer


class RpcConsumer(nameko_rpc.RpcConsumer):
    queue_consumer = ServiceQueueConsumer()


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()


class ReplyListener(nameko_rpc.ReplyListener):
    queue_consumer = ServiceQueueConsumer()


class RpcProxy(nameko_rpc.RpcProxy):
    rpc_reply_listener = ReplyListener()


rpc = Rpc.decorator


class Silent(Exception):
    """The service asked did not answer within the time given."""


def asked(question, seconds, unavailable):
    """The answer of `question()`, an RPC that changes nothing (asking again is harmless);
    `unavailable` (a services.common.errors.Unavailable) when the service cannot be reached,
    the broker included, or stays silent for `seconds`. The service's own domain errors
    reach the caller as they are."""
    try:
        with eventlet.Timeout(seconds, Silent):
            return question()
    except (Silent, RemoteError, UnknownService, BrokerUnreachable) as exc:
        raise unavailable from exc
