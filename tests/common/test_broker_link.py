"""What a process says about its own broker connection: the link's state, /ready's broker
check and the gauges; and every service consumes through the one queue consumer that reports
it (an RPC entrypoint or proxy taken from nameko.rpc would bring a second, unwatched one)."""
import time

import pytest
from nameko.containers import ServiceContainer
from nameko.events import EventHandler
from nameko.messaging import QueueConsumer
from nameko.rpc import Rpc
from prometheus_client import REGISTRY

from services.common import broker
from services.common.config import SERVICE_NAMES
from services.common.consumer import ServiceQueueConsumer


@pytest.fixture
def link():
    reported = broker.report(broker.BrokerLink("unit", "service"))
    yield reported
    broker.forget(reported)


def gauges(process="service"):
    labels = {"service": "unit", "process": process}
    return (REGISTRY.get_sample_value("motcua_broker_connected", labels),
            REGISTRY.get_sample_value("motcua_broker_disconnected_seconds", labels))


def test_a_link_is_down_until_its_owner_says_it_works(link):
    assert not link.up
    assert broker.readiness("unit").startswith("not connected yet")
    assert gauges()[0] == 0
    link.connected()
    assert broker.readiness("unit") == "ok"
    assert gauges() == (1, 0)


def test_a_lost_connection_counts_from_when_it_was_lost(link, monkeypatch):
    link.connected()
    link.disconnected(ConnectionResetError())
    lost_at = time.monotonic()
    monkeypatch.setattr(broker.time, "monotonic", lambda: lost_at + 12.4)
    link.disconnected(OSError())  # a failed reconnection: still down since the loss
    assert broker.readiness("unit") == "disconnected for 12 s"
    connected, seconds = gauges()
    assert connected == 0 and 12 <= seconds < 13
    link.connected()
    assert gauges() == (1, 0)


def test_several_links_of_a_process_report_the_worst(link):
    other = broker.report(broker.BrokerLink("unit", "service"))
    try:
        link.connected()
        assert gauges()[0] == 0 and broker.readiness("unit").startswith("not connected yet")
        other.connected()
        assert gauges()[0] == 1
    finally:
        broker.forget(other)


def test_a_forgotten_link_leaves_no_gauge_and_a_service_without_one_needs_no_broker(link):
    relay = broker.report(broker.BrokerLink("unit", "relay"))
    broker.forget(relay)
    assert gauges("relay") == (None, None)
    broker.forget(link)
    assert gauges() == (None, None)
    assert broker.readiness("unit") == "not used"


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_service_consumes_through_one_reporting_queue_consumer(service):
    module = __import__(f"services.{service}.service", fromlist=["*"])
    [service_class] = [cls for cls in vars(module).values()
                       if isinstance(cls, type) and getattr(cls, "name", None) == service]
    container = ServiceContainer(service_class, {"AMQP_URI": "memory://"})
    consumers = {type(ext) for ext in container.extensions if isinstance(ext, QueueConsumer)}
    # a service whose entrypoints are all HTTP and timers (the desk) has no consumer at all
    takes_messages = any(isinstance(ext, (EventHandler, Rpc)) for ext in container.entrypoints)
    assert consumers == ({ServiceQueueConsumer} if takes_messages else set())
