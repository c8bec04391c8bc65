"""intake → outbox relay → routing → department queue, in nameko containers on the real
broker and database."""

from prometheus_client import REGISTRY

from services.common.consumer import DEAD_LETTER_QUEUE, reliable_handler
from services.common.events import events_exchange, new_envelope
from tests.conftest import dossier_body, drain, procedure, publish_envelope, query, token, wait_for


def submit(intake, department="sxd", **overrides):
    proc = procedure(department=department)
    response = intake.post("/api/v1/dossiers", json=dossier_body(proc, **overrides),
                           token=token("counter_officer", department=department))
    assert response.status_code == 201, response.text
    return response.json()


def test_dossier_arrives_once_on_its_department_queue_and_in_lookup(intake_and_routing, db):
    intake, routing, amqp_uri = intake_and_routing
    created = submit(intake, "sxd")
    wait_for(lambda: query(db, "SELECT 1 FROM routing.outbox WHERE published_at IS NOT NULL"
                               " AND routing_key = 'sxd.dossier.assigned'"))
    messages = drain(amqp_uri, "department.sxd")
    assert [m["dossier_code"] for _, m in messages] == [created["code"]]
    data = messages[0][1]["data"]
    assert data["department"] == "sxd"
    assert not {"lookup_secret", "lookup_proof", "lookup_secret_for_notify"} & set(data)
    assert data["applicant"]["citizen_id"] == "*********234"
    lookup = routing.get(f"/api/v1/dossiers/{created['code']}?secret={created['lookup_secret']}")
    assert lookup.status_code == 200
    view = lookup.json()
    assert view["status"] == "assigned" and view["due_date"] == created["due_at"]
    assert [h["status"] for h in view["history"]] == ["received", "assigned"]
    by_phone = routing.get(f"/api/v1/dossiers/{created['code']}?phone=%2B84912345678")
    assert by_phone.status_code == 200


def test_wrong_secret_and_unknown_code_look_the_same(intake_and_routing, db):
    intake, routing, _ = intake_and_routing
    created = submit(intake, "syt")
    wait_for(lambda: query(db, "SELECT 1 FROM routing.dossiers"))
    wrong = routing.get(f"/api/v1/dossiers/{created['code']}?secret=AAAAAAAA")
    unknown = routing.get("/api/v1/dossiers/000.00.31.H33-261123-9999?secret=AAAAAAAA")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert routing.get(f"/api/v1/dossiers/{created['code']}").status_code == 422


def routing_consumed():
    """dossier.received messages routing has finished with (committed, then acked)."""
    return REGISTRY.get_sample_value("motcua_events_consumed_total", {
        "service": "routing", "type": "dossier.received", "outcome": "ok"}) or 0


def test_redelivered_event_is_applied_once(intake_and_routing, db):
    """The same dossier.received envelope published twice (a redelivery) routes once."""
    intake, _, amqp_uri = intake_and_routing
    before = routing_consumed()
    submit(intake, "stp")
    wait_for(lambda: routing_consumed() == before + 1)
    announced = query(db, "SELECT count(*) AS n FROM routing.outbox")
    [event] = query(db, "SELECT body FROM intake.outbox WHERE routing_key = 'dossier.received'")
    publish(amqp_uri, events_exchange("intake"), "dossier.received", event["body"])
    wait_for(lambda: routing_consumed() == before + 2)  # the copy was handled and acked
    assert query(db, "SELECT count(*) AS n FROM routing.outbox") == announced
    wait_for(lambda: query(db, "SELECT 1 FROM routing.outbox WHERE published_at IS NOT NULL"
                               " AND routing_key = 'stp.dossier.assigned'"))
    assert len(drain(amqp_uri, "department.stp", wait=1.5)) == 1
    assert len(query(db, "SELECT 1 FROM routing.dossiers")) == 1
    assert [h["status"] for h in query(db, "SELECT status FROM routing.history ORDER BY id")] == [
        "received", "assigned"]


def test_malformed_event_is_dead_lettered_with_reason(intake_and_routing, db):
    _, _, amqp_uri = intake_and_routing
    bogus = new_envelope("dossier.received", "intake", {"code": "x"}, "corr-1")
    publish(amqp_uri, events_exchange("intake"), "dossier.received", bogus)
    [(properties, body)] = wait_for(lambda: drain(amqp_uri, DEAD_LETTER_QUEUE))
    assert body["id"] == bogus["id"]
    assert "invalid dossier.received data" in properties.headers["x-motcua-reason"]
    assert not query(db, "SELECT 1 FROM routing.dossiers")


def publish(amqp_uri, exchange, routing_key, envelope):
    publish_envelope(amqp_uri, envelope, exchange, routing_key)


class FlakyService:
    """A consumer whose handler always fails, to watch retries and the dead-letter queue."""
    name = "flaky"
    calls = []

    @reliable_handler("intake", "dossier.received")
    def handle(self, body):
        self.calls.append(body["id"])
        raise RuntimeError("department system unavailable")


def test_failing_handler_is_retried_then_dead_lettered_not_lost(container_factory, config_for,
                                                                rabbit_config, topology):
    config = config_for("routing", HANDLER_MAX_ATTEMPTS=3, HANDLER_FIRST_BACKOFF_MS=100)
    FlakyService.calls.clear()
    container_factory(FlakyService, config).start()
    envelope = new_envelope("dossier.received", "intake", {}, "corr-2")
    publish(rabbit_config["AMQP_URI"], events_exchange("intake"), "dossier.received", envelope)
    [(properties, body)] = wait_for(lambda: drain(rabbit_config["AMQP_URI"], DEAD_LETTER_QUEUE))
    assert FlakyService.calls == [envelope["id"]] * 3
    assert body["id"] == envelope["id"]
    assert properties.headers["x-motcua-attempt"] == 3
    assert "department system unavailable" in properties.headers["x-motcua-reason"]
    assert properties.headers["x-motcua-original-queue"] == "evt-intake-dossier.received--flaky.handle"
