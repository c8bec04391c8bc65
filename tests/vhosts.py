"""RabbitMQ virtual hosts shared by the tests of a session and emptied before each test.

Declaring the deployment's topology (about ninety quorum queues) takes about a second where
emptying it takes a fifth of one, and every quorum queue started holds file handles of the
broker: so the tests share two virtual hosts, one holding the topology and one bare, instead
of a fresh one each. Emptied means: no connection left from the test before (its consumers
would take the next test's messages), no queue or exchange the test before declared, no
message in any queue (the event log, a stream, declared anew), and in the first every
topology queue and binding declared again."""
import secrets
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

import requests
from kombu import pools as kombu_pools

from services.common.topology import EVENT_LOG, with_channel
from tooling.topology import declare_event_queues

CONNECTIONS_GONE_SECONDS = 10


class SharedVhost:
    def __init__(self, manager, amqp_uri, with_topology):
        parts = urlsplit(amqp_uri)
        self.manager, self.username, self.with_topology = manager, parts.username, with_topology
        self.name = f"motcua_{'topology' if with_topology else 'bare'}_{secrets.token_hex(4)}"
        self.amqp_uri = f"{parts.scheme}://{parts.netloc}/{self.name}"
        self.config = {"AMQP_URI": self.amqp_uri, "username": self.username, "vhost": self.name}
        self.kept_queues, self.kept_exchanges = set(), set()

    def create(self):
        self.manager.create_vhost(self.name)
        self.manager.set_vhost_permissions(self.name, self.username, ".*", ".*", ".*")
        if self.with_topology:
            with_channel(self.amqp_uri, declare_event_queues)
            self.kept_queues = {queue["name"] for queue in self.manager.get_queues(self.name)}
        self.kept_exchanges = {exchange["name"]
                               for exchange in self.manager.get_exchanges(self.name)}

    def delete(self):
        self.close_connections()
        self.manager.delete_vhost(self.name)

    def empty(self):
        self.close_connections()
        queues = {queue["name"] for queue in self.manager.get_queues(self.name)}
        exchanges = {exchange["name"] for exchange in self.manager.get_exchanges(self.name)}
        with_channel(self.amqp_uri, self._empty, queues - self.kept_queues,
                     exchanges - self.kept_exchanges)

    def close_connections(self):
        """Closes every connection to the virtual host, as deleting it would, and waits until
        the broker has let them go; this process's pooled connections to it are dropped too."""
        for group in (kombu_pools.producers, kombu_pools.connections):
            for key, pool in list(group.items()):
                if isinstance(key, Iterable) and key[4] == self.name:
                    pool.force_close_all()
                    # a closed pool refuses to lend again: the next test gets a new one
                    dict.pop(group, key)
        deadline = time.monotonic() + CONNECTIONS_GONE_SECONDS
        while names := self._connection_names():
            for name in names:
                try:
                    self.manager.delete_connection(name)
                except requests.HTTPError:  # gone between the listing and the close
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"connections to {self.name} stay open: {names}")
            time.sleep(0.05)

    def _connection_names(self):
        return [connection["name"]
                for connection in self.manager._get("vhosts", self.name, "connections")]

    def _empty(self, channel, foreign_queues, foreign_exchanges):
        for queue in foreign_queues:
            channel.queue_delete(queue)
        for exchange in foreign_exchanges:
            channel.exchange_delete(exchange)
        if self.with_topology:
            # a stream cannot be purged: the event log is declared again
            channel.queue_delete(EVENT_LOG)
            for queue in self.kept_queues - {EVENT_LOG}:
                channel.queue_purge(queue)
            declare_event_queues(channel)
