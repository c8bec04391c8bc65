"""nameko's RPC entrypoint and proxy, consuming through the service's one queue consumer
(services.common.consumer.ServiceQueueConsumer) instead of a second one of their own: the
state of that one connection is then all /ready and the broker gauges need to know.
Services declare `@rpc` and `RpcProxy(...)` from here, never from nameko.rpc."""
from nameko import rpc as nameko_rpc

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
