"""/metrics of intake and routing scraped around a dossier's trip from the counter to its
department's queue (real services, broker and database): the counters moved by exactly what
happened, and no label names the dossier. Also /health, /ready and /openapi.json."""
import jsonschema
from prometheus_client.parser import text_string_to_metric_families

from services.common.apidocs import openapi_document
from services.intake.service import IntakeService
from services.routing.service import RoutingService
from tests.conftest import dossier_body, drain, procedure, query, token, wait_for
from tooling.docs import asyncapi_document


def scrape(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, response.text


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before, after, name, **labels):
    return value(after, name, **labels) - value(before, name, **labels)


def test_a_dossier_through_the_pipeline_moves_the_counters(intake_and_routing, db):
    intake, routing, amqp_uri = intake_and_routing
    before, _ = scrape(intake)
    response = intake.post("/api/v1/dossiers", json=dossier_body(procedure(department="sxd")),
                           token=token("counter_officer", department="sxd"))
    assert response.status_code == 201
    code = response.json()["code"]
    intake.post("/api/v1/dossiers", json={"procedure_code": "x"},
                token=token("counter_officer", department="sxd"))  # a 422
    wait_for(lambda: query(db, "SELECT 1 FROM routing.outbox WHERE published_at IS NOT NULL"
                               " AND routing_key = 'sxd.dossier.assigned'"))
    messages = drain(amqp_uri, "department.sxd")
    assert len(messages) == 1

    after, intake_text = scrape(intake)
    routing_after, routing_text = scrape(routing)
    assert moved(before, after, "motcua_dossiers_received_total",
                 channel="counter", department="sxd") == 1
    http = {"service": "intake", "route": "/api/v1/dossiers", "method": "POST"}
    assert moved(before, after, "motcua_http_requests_total", **http, status="201") == 1
    assert moved(before, after, "motcua_http_requests_total", **http, status="422") == 1
    assert moved(before, after, "motcua_http_request_duration_seconds_count", **http) == 2
    assert moved(before, routing_after, "motcua_events_consumed_total", service="routing",
                 type="dossier.received", outcome="ok") == 1
    assert moved(before, routing_after, "motcua_events_published_total", service="intake",
                 type="dossier.received", outcome="confirmed") == 1
    # to the department's queue and to routing's own exchange
    assert moved(before, routing_after, "motcua_events_published_total", service="routing",
                 type="dossier.assigned", outcome="confirmed") == 2
    assert moved(before, routing_after,
                 "motcua_dossier_reception_to_department_seconds_count") == 1
    latency = moved(before, routing_after, "motcua_dossier_reception_to_department_seconds_sum")
    assert 0 < latency < 30
    assert ("motcua_outbox_backlog", (("service", "intake"),)) in routing_after
    for text in (intake_text, routing_text):
        assert code not in text and "079190001234" not in text


def test_the_department_message_matches_the_asyncapi_document(intake_and_routing, db):
    intake, _, amqp_uri = intake_and_routing
    response = intake.post("/api/v1/dossiers", json=dossier_body(procedure(department="stp")),
                           token=token("counter_officer", department="stp"))
    assert response.status_code == 201
    wait_for(lambda: query(db, "SELECT 1 FROM routing.outbox WHERE published_at IS NOT NULL"
                               " AND routing_key = 'stp.dossier.assigned'"))
    [(_, message)] = drain(amqp_uri, "department.stp")
    payload = asyncapi_document(["stp"])["components"]["messages"]["dossierAssigned"]["payload"]
    jsonschema.validate(message, payload)


def test_health_ready_and_openapi(intake_and_routing):
    intake, routing, _ = intake_and_routing
    for client in (intake, routing):
        assert client.get("/health").json()["status"] == "alive"
        ready = client.get("/ready")
        assert ready.status_code == 200
        assert ready.json() == {"ready": True,
                                "checks": {"database": "ok", "broker": "ok", "migrations": "ok"}}
    assert intake.get("/openapi.json").json() == openapi_document(IntakeService)
    assert routing.get("/openapi.json").json() == openapi_document(RoutingService)
