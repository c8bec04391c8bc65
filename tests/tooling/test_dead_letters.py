"""Messages a consumer can never process end in the dead-letter queue with a reason, the
consumer keeps running, and `motcua dlq` lets an operator see and replay them, as routing's
HTTP API lets a manager (the desk's dead-letter page)."""
import json

import eventlet
import pika
import pytest

from services.common.consumer import (
    DEAD_LETTER_QUEUE,
    MAX_MESSAGE_BYTES,
    first_delivery,
    reliable_handler,
)
from services.common.db import Database
from services.common.dead_letters import DeadLetters
from services.common.events import events_exchange, new_envelope
from services.common.topology import event_queue_name, with_channel
from tests.conftest import publish_envelope, query, token, wait_for
from tests.routing.lifecycle_helpers import officer, start_routing
from tooling import cli
from tooling.topology import declare_event_queues

PROBE_QUEUE = event_queue_name("intake", "dossier.received", "probe", "handle")


class ProbeService:
    """A consumer whose effect is one processed-message row; it fails while `broken`."""
    name = "probe"
    db = Database()
    broken = False
    effects = []

    @reliable_handler("intake", "dossier.received")
    def handle(self, body):
        if ProbeService.broken:
            raise RuntimeError("the department's system rejects the dossier")
        with self.db.transaction() as cur:
            if first_delivery(cur, "routing", body["id"], "probe"):
                ProbeService.effects.append(body["id"])


@pytest.fixture
def probe(container_factory, config_for, rabbit_config, db):
    ProbeService.broken, ProbeService.effects = False, []
    config = config_for("routing", HANDLER_MAX_ATTEMPTS=2, HANDLER_FIRST_BACKOFF_MS=50)
    with_channel(rabbit_config["AMQP_URI"], declare_event_queues)
    container_factory(ProbeService, config).start()
    return rabbit_config["AMQP_URI"]


def publish_raw(amqp_uri, body, content_type="application/json", queue=PROBE_QUEUE):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish("", queue, body, pika.BasicProperties(content_type=content_type,
                                                                delivery_mode=2), mandatory=True)
    connection.close()


def publish_event(amqp_uri, envelope):
    publish_envelope(amqp_uri, envelope, events_exchange("intake"), "dossier.received")


def a_valid_event():
    return new_envelope("dossier.received", "intake", {}, "corr-dlq")


@pytest.mark.parametrize("body, content_type, reason", [
    (b"{not json", "application/json", "cannot decode body (application/json)"),
    (b"plain words", "text/plain", "cannot decode body (text/plain)"),
    (b"\xff\xfe\x00garbage", "application/json", "cannot decode body"),
    (b'{"a": "' + b"x" * (MAX_MESSAGE_BYTES + 10) + b'"}', "application/json", "byte limit"),
])
def test_unprocessable_bodies_are_dead_lettered_and_consumer_keeps_running(probe, body,
                                                                           content_type, reason):
    publish_raw(probe, body, content_type)
    [(properties, dead)] = wait_for(lambda: drain_raw(probe, DEAD_LETTER_QUEUE))
    assert dead == body
    assert reason in properties.headers["x-motcua-reason"]
    assert properties.headers["x-motcua-original-queue"] == PROBE_QUEUE
    event = a_valid_event()
    publish_event(probe, event)
    wait_for(lambda: ProbeService.effects == [event["id"]])


def drain_raw(amqp_uri, queue):
    """(properties, raw body) of every message on a queue, taken off it."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    messages = []
    while (got := channel.basic_get(queue, auto_ack=True))[0]:
        messages.append(got[1:])
    connection.close()
    return messages


def run_cli(monkeypatch, capsys, amqp_uri, *argv):
    monkeypatch.setenv("AMQP_URI", amqp_uri)
    code = cli.main(["dlq", *argv])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 else out.err)


def test_operator_lists_replays_after_a_fix_and_replay_is_idempotent(probe, db, monkeypatch,
                                                                      capsys):
    ProbeService.broken = True
    event = a_valid_event()
    publish_event(probe, event)
    wait_for(lambda: DeadLetters(probe).list())

    code, listed = run_cli(monkeypatch, capsys, probe, "list")
    assert code == 0 and [m["key"] for m in listed] == [event["id"]]
    assert "rejects the dossier" in listed[0]["reason"] and listed[0]["attempts"] == 2
    code, shown = run_cli(monkeypatch, capsys, probe, "show", event["id"])
    assert json.loads(shown["body"])["id"] == event["id"]
    assert ProbeService.effects == []

    ProbeService.broken = False  # the fix is deployed
    code, replayed = run_cli(monkeypatch, capsys, probe, "replay", event["id"])
    assert code == 0 and replayed["messages"] == [event["id"]]
    wait_for(lambda: ProbeService.effects == [event["id"]])
    assert DeadLetters(probe).list() == []

    code, error = run_cli(monkeypatch, capsys, probe, "replay", event["id"])
    assert code == 1 and "Không còn trong hàng đợi thư lỗi" in error
    # A copy delivered again (a crash between the replay's publish and its ack) changes nothing.
    publish_event(probe, event)
    eventlet.sleep(0.5)
    assert ProbeService.effects == [event["id"]]
    assert query(db, "SELECT count(*) AS n FROM routing.processed_messages")[0]["n"] == 1


def test_purge_removes_only_the_named_message(probe, monkeypatch, capsys):
    publish_raw(probe, b"junk one", "text/plain")
    publish_raw(probe, b"junk two", "text/plain")
    keys = wait_for(lambda: [m["key"] for m in DeadLetters(probe).list()] if len(
        DeadLetters(probe).list()) == 2 else None)
    code, purged = run_cli(monkeypatch, capsys, probe, "purge", keys[0])
    assert code == 0 and purged["messages"] == [keys[0]]
    assert [body for _, body in drain_raw(probe, DEAD_LETTER_QUEUE)] == [b"junk two"]
    code, error = run_cli(monkeypatch, capsys, probe, "purge")
    assert code == 2 and "--all" in error


def test_a_manager_lists_and_purges_over_http_with_the_cli_s_rules(
        probe, container_factory, config_for, client_for):
    routing = start_routing(container_factory, config_for, client_for, probe)
    publish_raw(probe, b"junk", "text/plain")
    manager = token("manager")
    listed = wait_for(lambda: routing.http.get("/api/v1/dead-letters", token=manager).json()[
        "messages"])
    [junk] = listed
    assert "cannot decode body" in junk["reason"] and junk["original_queue"] == PROBE_QUEUE
    assert routing.http.get("/api/v1/dead-letters", token=officer("ca")).status_code == 403
    shown = routing.http.get(f"/api/v1/dead-letters/{junk['key']}", token=manager)
    assert shown.status_code == 200 and shown.json()["body"] == "junk"
    assert routing.http.get("/api/v1/dead-letters/khong-co", token=manager).status_code == 404
    for neither_or_both in ({}, {"keys": [junk["key"]], "all": True}):
        refused = routing.http.post("/api/v1/dead-letters/purge", json=neither_or_both,
                                    token=manager)
        assert refused.status_code == 422 and "keys" in refused.json()["error"]["fields"]
    gone = routing.http.post("/api/v1/dead-letters/purge", json={"keys": ["khong-co"]},
                             token=manager)
    assert gone.status_code == 409 and "khong-co" in gone.json()["error"]["message"]
    purged = routing.http.post("/api/v1/dead-letters/purge", json={"keys": [junk["key"]]},
                               token=manager)
    assert purged.json() == {"action": "purge", "messages": [junk["key"]]}
    assert routing.http.get("/api/v1/dead-letters", token=manager).json()["count"] == 0
