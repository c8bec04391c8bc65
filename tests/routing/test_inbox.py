"""The officers' inbox (GET /api/v1/inbox) and one dossier as an officer sees it
(GET /api/v1/inbox/<code>): an agency's dossiers only, searched by name typed without
diacritics, by phone or code, by due date a page at a time, with the actions the lifecycle
table allows the caller now."""
import json

import pytest
from yoyo import get_backend, read_migrations

from scripts.stack import ensure_database
from services.common.config import SERVICES_DIR
from services.common.events import events_exchange, new_envelope
from services.common.migrations import _backend_url, _ensure_schema, migrate
from services.routing.store import inbox as inbox_rows
from tests.conftest import TEST_DB_URL, connect, query, token, wait_for
from tests.routing.lifecycle_helpers import act, at, dossier_received, officer, publish, start_routing

PROCEDURE = "1.002861"  # sxd


@pytest.fixture
def routing(container_factory, config_for, client_for, topology, relays):
    started = start_routing(container_factory, config_for, client_for, topology)
    started.clock.pinned = at("2026-11-23", 9)
    return started


def receive(db, routing, name, phone, due):
    envelope = dossier_received(PROCEDURE, at("2026-11-20", 9), due)
    envelope["data"]["applicant"].update(full_name=name, phone=phone)
    publish(routing.amqp, events_exchange("intake"), "dossier.received", envelope)
    code = envelope["dossier_code"]
    wait_for(lambda: query(db, "SELECT 1 FROM routing.dossiers WHERE code = %s", (code,)))
    return code


def inbox(routing, who, **params):
    response = routing.http.get("/api/v1/inbox", token=who, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_inbox_finds_a_name_typed_without_diacritics_by_due_date_a_page_at_a_time(
        routing, db):
    nhung = receive(db, routing, "Đỗ Thị Hồng Nhung", "0987001122", "2026-11-27")
    # an event of an older version, its phone as the applicant wrote it
    tam = receive(db, routing, "Lê Văn Tám", "+84 912 345 678", "2026-11-25")
    late = receive(db, routing, "Trần Thị Mai", "0903334455", "2026-11-19")
    me = officer("sxd")
    listed = inbox(routing, me)
    assert [d["code"] for d in listed["dossiers"]] == [late, tam, nhung]
    assert listed["dossiers"][0]["late"] and listed["dossiers"][0]["days_left"] < 0
    assert [d["code"] for d in inbox(routing, me, q="do thi hong")["dossiers"]] == [nhung]
    assert [d["code"] for d in inbox(routing, me, q="Đỗ Thị")["dossiers"]] == [nhung]
    assert [d["code"] for d in inbox(routing, me, q="0912 345 678")["dossiers"]] == [tam]
    assert [d["code"] for d in inbox(routing, me, q=tam)["dossiers"]] == [tam]
    assert [d["code"] for d in inbox(routing, me, overdue="true")["dossiers"]] == [late]
    first = inbox(routing, me, per_page=2)
    assert first["has_next"] and len(first["dossiers"]) == 2
    assert [d["code"] for d in inbox(routing, me, per_page=2, page=2)["dossiers"]] == [nhung]
    assert inbox(routing, me, q="100%_")["dossiers"] == []  # no wildcard typed by chance
    assert inbox(routing, officer("ca"), q="do thi hong")["dossiers"] == []  # another agency


def test_the_dossier_lists_only_the_actions_the_caller_may_take_now(routing, db):
    code = receive(db, routing, "Đỗ Thị Hồng Nhung", "0987001122", "2026-11-27")
    me = officer("sxd")
    seen = routing.http.get(f"/api/v1/inbox/{code}", token=me).json()
    assert [a["action"] for a in seen["actions"]] == ["accept", "assign_officer",
                                                      "request_extension", "refuse"]
    assert seen["timeline"][0]["status"] == "received"
    assert act(routing, code, "accept", me).status_code == 200
    leader = token("leader", department="sxd", subject="lanhdao.sxd.01")
    actions = routing.http.get(f"/api/v1/inbox/{code}", token=leader).json()["actions"]
    assert "complete" not in [a["action"] for a in actions]
    other = routing.http.get(f"/api/v1/inbox/{code}", token=officer("ca"))
    assert other.status_code == 404


def test_dossiers_received_before_the_inbox_are_found_by_their_applicant_too():
    """Migration 0010 on a database whose dossiers came before the inbox (0009): the name is
    found typed without diacritics, from the message routing forwarded to the lead department,
    or from the result's postal recipient when that message is gone."""
    url = f"{TEST_DB_URL}_inbox_migration"
    ensure_database(url, fresh=True)
    _ensure_schema(url, "routing")
    backend = get_backend(_backend_url(url, "routing"))
    migrations = read_migrations(str(SERVICES_DIR / "routing" / "migrations"))
    with backend.lock():
        backend.apply_migrations(backend.to_apply(migrations.filter(lambda m: m.id < "0009")))
    forwarded = new_envelope("dossier.assigned", "routing", {
        "code": "SXD-1", "role": "lead", "department": "sxd",
        "applicant": {"full_name": "Đỗ Thị Hồng Nhung", "phone": "0987 001 122"}},
        None, "SXD-1")
    with connect(url) as conn, conn.cursor() as cur:
        for code, delivery, recipient in (("SXD-1", "counter", (None, None)),
                                          ("SXD-2", "post", ("Lê Văn Tám", "0912345678")),
                                          ("SXD-3", "counter", (None, None))):
            cur.execute("""
                INSERT INTO routing.dossiers (code, procedure_code, procedure_name, department,
                    channel, status, received_at, due_date, legal_due_date, result_delivery,
                    lookup_proof, phone_hash, recipient_name, recipient_phone)
                VALUES (%s, 'p', 'p', 'sxd', 'counter', 'processing', '2026-08-20 09:00+07',
                        '2026-08-28', '2026-08-28', %s, 'h', 'h', %s, %s)""",
                        (code, delivery, *recipient))
        cur.execute("INSERT INTO routing.outbox (id, exchange, routing_key, body) "
                    "VALUES (%s, 'motcua.departments', 'sxd.dossier.assigned', %s)",
                    (forwarded["id"], json.dumps(forwarded)))
    conn.close()
    assert migrate(url, "routing") == [m.id for m in migrations if m.id >= "0009"]

    def found(text):
        with connect(url) as conn, conn.cursor() as cur:
            rows = inbox_rows(cur, {
                "department": "sxd", "statuses": ["processing"], "due_before": None,
                "due_soon": None, "overdue": None, "officer": None, "search": f"%{text}%",
                "limit": 10, "offset": 0})
        conn.close()
        return [(row["code"], row["applicant_name"]) for row in rows]

    assert found("do thi hong") == [("SXD-1", "Đỗ Thị Hồng Nhung")]
    assert found("0987001122") == [("SXD-1", "Đỗ Thị Hồng Nhung")]
    assert found("le van tam") == [("SXD-2", "Lê Văn Tám")]
    assert found("sxd-3") == [("SXD-3", None)]  # nothing known of its applicant: its code
