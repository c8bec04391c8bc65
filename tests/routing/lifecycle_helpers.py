"""Shared by the lifecycle tests: routing in a container with a pinned clock, dossiers
received as intake publishes them (with chosen reception times), HTTP actions."""
from datetime import datetime
from types import SimpleNamespace

import jsonschema

from services.common.contracts import DossierReceived
from services.common.events import TIMEZONE, event, events_exchange
from services.common.topology import declare_department_queues, with_channel
from services.intake.reception import snapshot
from services.routing.dependencies import Clock
from services.routing.service import RoutingService
from tests.conftest import (
    CATALOGUE,
    competent,
    lookup_fields,
    publish_envelope,
    query,
    token,
    wait_for,
)
from tooling.docs import department_messages


def assert_documented(message):
    """A message taken from a department's queue matches its entry (its type, at its
    version) in docs/asyncapi.yaml."""
    documented = {(m["name"], m["payload"]["properties"]["version"]["const"]): m["payload"]
                  for m in department_messages().values()}
    key = (message["type"], message["version"])
    assert key in documented, f"{key} is not in docs/asyncapi.yaml"
    jsonschema.validate(message, documented[key])


def at(day, hour=9, minute=0):
    """A local time in Asia/Ho_Chi_Minh: at('2026-11-20', 10)."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00").replace(tzinfo=TIMEZONE)


def start_routing(container_factory, config_for, client_for, amqp_uri, **overrides):
    config = config_for("routing", **{"DEADLINE_WATCH_SECONDS": 3600, **overrides})
    container = container_factory(RoutingService, config)
    container.start()
    with_channel(amqp_uri, declare_department_queues, sorted(CATALOGUE["departments"]))
    clock = next(d for d in container.dependencies if isinstance(d, Clock))
    return SimpleNamespace(http=client_for(config), clock=clock, amqp=amqp_uri,
                           container=container, config=config)


def publish(amqp_uri, exchange, routing_key, envelope):
    publish_envelope(amqp_uri, envelope, exchange, routing_key)


SEQUENCE = iter(range(1, 10**6))


def dossier_received(procedure_code, received_at, due_date, channel="counter",
                     result_delivery="counter", secret="SECRET01", code=None):
    """dossier.received as intake publishes it."""
    proc = CATALOGUE["procedures"][procedure_code]
    code = code or f"000.00.31.H33-{received_at:%y%m%d}-{next(SEQUENCE):04d}"
    data = {
        "code": code, "procedure": snapshot(proc, CATALOGUE["departments"][competent(proc)]),
        "channel": channel,
        "receiving_unit": "000.00.31.H33", "received_at": received_at.isoformat(),
        "due_date": str(due_date),
        "applicant": {"full_name": "Lê Văn Tám", "citizen_id": "*********234",
                      "phone": "0912345678", "email": None, "address": "12 Lê Lợi, phường Bến Thành"},
        "documents": [], "result_delivery": result_delivery,
        "delivery_address": "45 Hai Bà Trưng, phường Sài Gòn" if result_delivery == "post" else None,
        **lookup_fields(secret),
        "receiver": {"kind": "counter_officer", "id": f"canbo.{proc['department']}.01",
                     "department": proc["department"]},
    }
    return event("intake", "dossier.received", DossierReceived, data, "corr-test", code)


def receive(db, amqp_uri, procedure_code, received_at, due_date, **received):
    """Publishes dossier.received as intake would and waits until routing has it."""
    envelope = dossier_received(procedure_code, received_at, due_date, **received)
    publish(amqp_uri, events_exchange("intake"), "dossier.received", envelope)
    code = envelope["dossier_code"]
    wait_for(lambda: query(db, "SELECT 1 FROM routing.dossiers WHERE code = %s", (code,)))
    return code


def officer(department, subject=None):
    return token("department_officer", department=department,
                 subject=subject or f"chuyenvien.{department}.01")


def counter(department):
    return token("counter_officer", department=department, subject=f"motcua.{department}.01")


def act(routing, code, action, who, when=None, **body):
    if when is not None:
        routing.clock.pinned = when
    return routing.http.post(f"/api/v1/dossiers/{code}/actions/{action}", json=body, token=who)


def outbox(db, routing_key, code=None):
    rows = query(db, "SELECT body FROM routing.outbox WHERE routing_key = %s ORDER BY seq",
                 (routing_key,))
    return [r["body"] for r in rows if code is None or r["body"]["dossier_code"] == code]


def status_of(db, code):
    return query(db, "SELECT status FROM routing.dossiers WHERE code = %s", (code,))[0]["status"]
