"""Result delivery by post: dossier.result_ready → shipment → postal.shipment_created, then
tracking by clerks and by the carrier's file, to delivered or back to the center."""
from datetime import datetime, timedelta

import pika
import pytest

from services.common.events import TIMEZONE, events_exchange, new_envelope
from services.intake.service import IntakeService
from services.postal.service import PostalService
from services.routing.service import RoutingService
from tests.conftest import (
    dossier_body,
    drain,
    procedure,
    publish_envelope,
    query,
    token,
    wait_for,
)
from tests.postal.test_reception import CLERK, MANAGER, OFFICE, delegate

CAPTURE = "test.postal.events"


@pytest.fixture
def stack(container_factory, config_for, client_for, topology, relays):
    postal_config = config_for("postal")
    capture_postal_events(topology)
    container_factory(IntakeService, config_for("intake")).start()
    container_factory(RoutingService, config_for("routing")).start()
    container_factory(PostalService, postal_config).start()
    relays("intake", "routing", "postal")
    postal = client_for(postal_config)
    assert postal.post("/api/v1/post-offices", json=OFFICE, token=MANAGER).status_code == 201
    return postal, topology


def capture_postal_events(amqp_uri):
    """A queue bound to everything postal publishes, as payment and notify would bind."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.queue_declare(CAPTURE, durable=True)
    channel.queue_bind(CAPTURE, events_exchange("postal"), routing_key="postal.#")
    connection.close()


def postal_events(amqp_uri, wait=0.5):
    return [(m["type"], m["data"]) for _, m in drain(amqp_uri, CAPTURE, wait=wait)]


def result_ready(amqp_uri, code, method="post", releasable=True, address="12 Hai Bà Trưng"):
    """routing's dossier.result_ready, as the contract ResultReady defines it."""
    envelope = new_envelope("dossier.result_ready", "routing", {
        "code": code, "department": "stp", "procedure_name": "Cấp Phiếu lý lịch tư pháp",
        "result_reference": "123/QĐ-STP", "ready_at": datetime.now(TIMEZONE).isoformat(),
        "delivery": {"method": method, "recipient_name": "Trần Thị Bích Ngọc",
                     "phone": "0912345678", "address": address},
        "releasable": releasable,
    }, "corr-result", dossier_code=code)
    publish(amqp_uri, envelope)
    return envelope


def publish(amqp_uri, envelope):
    publish_envelope(amqp_uri, envelope, events_exchange("routing"))


def collect_until(amqp_uri, events, kind, count=1):
    """Append what postal published to `events` until `count` events of `kind` are in."""
    def arrived():
        events.extend(postal_events(amqp_uri, wait=0.2))
        return len([k for k, _ in events if k == kind]) >= count
    wait_for(arrived)
    return events


def shipment_of(db, code):
    [row] = wait_for(lambda: query(db, "SELECT * FROM postal.shipments WHERE dossier_code = %s",
                                   (code,)))
    return row


def update(postal, tracking, event, at=None, reason=None):
    body = {"event": event, "at": at, "reason": reason}
    return postal.post(f"/api/v1/shipments/{tracking}/events", json=body, token=CLERK)


def test_postal_dossier_end_to_end_from_clerk_to_delivered(stack, db):
    """A clerk receives → routing queues it for the department → result ready → shipment and
    postal.shipment_created → the clerk's updates → delivered and postal.delivered, once each."""
    postal, amqp_uri = stack
    delegate(postal, "stp")
    proc = procedure(department="stp", channel="postal")
    body = dossier_body(proc, result_delivery="post", delivery_address="12 Hai Bà Trưng, Q.1")
    received = postal.post("/api/v1/receptions", json=body, token=CLERK)
    assert received.status_code == 201, received.text
    code = received.json()["code"]
    wait_for(lambda: query(db, "SELECT 1 FROM routing.outbox WHERE published_at IS NOT NULL"
                               " AND routing_key = 'stp.dossier.assigned'"))
    assert [m["dossier_code"] for _, m in drain(amqp_uri, "department.stp")] == [code]

    envelope = result_ready(amqp_uri, code)
    publish(amqp_uri, envelope)  # redelivered: still one shipment
    shipment = shipment_of(db, code)
    assert shipment["post_office"] == OFFICE["code"] and shipment["fee"] == 30000
    [(kind, data)] = wait_for(lambda: postal_events(amqp_uri))
    assert kind == "postal.shipment_created"
    assert (data["code"], data["tracking_number"], data["fee"]) == \
        (code, shipment["tracking_number"], 30000)

    tracking = shipment["tracking_number"]
    for event in ("picked_up", "in_transit", "delivered"):
        assert update(postal, tracking, event).status_code == 201
    view = postal.get(f"/api/v1/shipments/{tracking}", token=CLERK).json()
    assert view["status"] == "delivered"
    assert [h["event"] for h in view["history"]] == ["picked_up", "in_transit", "delivered"]
    # its applicant follows it from the desk's lookup, with a token for that one dossier
    seen = postal.get(f"/api/v1/dossiers/{code}/shipment", token=token("citizen", dossier=code))
    assert seen.status_code == 200 and seen.json()["tracking_number"] == tracking
    assert [h["event"] for h in seen.json()["history"]] == ["picked_up", "in_transit", "delivered"]
    elsewhere = token("citizen", dossier=code[:-4] + "9999")
    assert postal.get(f"/api/v1/dossiers/{code}/shipment", token=elsewhere).status_code == 404
    [(kind, data)] = wait_for(lambda: postal_events(amqp_uri))
    assert kind == "postal.delivered" and data["code"] == code
    after = update(postal, tracking, "in_transit")
    assert after.status_code == 409 and "trạng thái cuối delivered" in after.json()["error"]["message"]
    assert postal_events(amqp_uri, wait=1) == []
    assert len(query(db, "SELECT 1 FROM postal.shipments")) == 1


def test_result_for_the_counter_or_held_creates_no_shipment(stack, db):
    postal, amqp_uri = stack
    result_ready(amqp_uri, "000.00.31.H33-261123-0001", method="counter", address=None)
    result_ready(amqp_uri, "000.00.31.H33-261123-0002", releasable=False)
    wait_for(lambda: len(query(db, "SELECT 1 FROM postal.processed_messages")) == 2)
    assert not query(db, "SELECT 1 FROM postal.shipments")
    assert postal_events(amqp_uri) == []


def test_tracking_import_reports_bad_rows_and_applies_each_row_once(stack, db):
    postal, amqp_uri = stack
    first = shipment_of(db, result_ready(amqp_uri, "000.00.31.H33-261123-0011")["data"]["code"])
    second = shipment_of(db, result_ready(amqp_uri, "000.00.31.H33-261123-0012")["data"]["code"])
    one, two = first["tracking_number"], second["tracking_number"]
    t0 = datetime.now(TIMEZONE)
    at = [(t0 + timedelta(minutes=h)).isoformat() for h in range(4)]
    csv_file = "\n".join([
        "tracking_number,event,at,reason",
        f"{one},picked_up,{at[0]},",
        f"{one},in_transit,{at[1]},",
        f"{one},delivered,{at[2]},",
        f"{one},delivered,{at[2]},",            # repeated row
        "RM123,picked_up,2026-11-23T08:00:00+07:00,",  # not a tracking number
        f"{two},lost,{at[0]},",                  # unknown event
        f"{two},picked_up,yesterday,",           # bad time
        f"{two},returned_to_center,{at[1]},x",   # never failed a delivery
        f"{two},picked_up,{at[0]},",
        f"{two},in_transit,{(t0 - timedelta(days=1)).isoformat()},",  # before it existed
    ]) + "\n"
    imported = postal.post("/api/v1/tracking-imports", data=csv_file.encode(), token=MANAGER,
                           headers={"Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text
    report = imported.json()
    assert (report["rows"], report["applied"], report["duplicates"]) == (10, 4, 1)
    rejected = {r["row"]: r["errors"] for r in report["rejected"]}
    assert sorted(rejected) == [5, 6, 7, 8, 10]
    assert "trước khi bưu gửi được tạo" in rejected[10]["event"][0]
    assert "tracking_number" in rejected[5] and "event" in rejected[6] and "at" in rejected[7]
    assert "không thể đến sau picked_up" in rejected[8]["event"][0]
    assert [(line["row"], line["outcome"]) for line in report["lines"]] == [
        (1, "applied"), (2, "applied"), (3, "applied"), (4, "duplicate"), (5, "rejected"),
        (6, "rejected"), (7, "rejected"), (8, "rejected"), (9, "applied"), (10, "rejected")]
    statuses = {r["tracking_number"]: r["status"]
                for r in query(db, "SELECT tracking_number, status FROM postal.shipments")}
    assert statuses == {one: "delivered", two: "picked_up"}

    events = collect_until(amqp_uri, [], "postal.delivered")
    again = postal.post("/api/v1/tracking-imports", data=csv_file.encode(), token=MANAGER,
                        headers={"Content-Type": "text/csv"}).json()
    assert (again["applied"], again["duplicates"]) == (0, 5)
    assert len(query(db, "SELECT 1 FROM postal.tracking_events")) == 4
    events += postal_events(amqp_uri, wait=1)
    assert sorted((kind, data["tracking_number"]) for kind, data in events) == sorted([
        ("postal.delivered", one), ("postal.shipment_created", one),
        ("postal.shipment_created", two)])

    unreadable = postal.post("/api/v1/tracking-imports", data=b"tracking,when\nx,y\n",
                             token=MANAGER, headers={"Content-Type": "text/csv"})
    assert unreadable.status_code == 400 and "event" in unreadable.json()["error"]["message"]


def test_tracking_rows_with_text_the_database_cannot_store_are_rejected_by_row(stack, db):
    """A lone UTF-16 surrogate (JSON's "\\ud800") or a NUL in a row is that row's error,
    named by field, not a failure of the whole file."""
    postal, amqp_uri = stack
    tracking = shipment_of(db, result_ready(amqp_uri, "000.00.31.H33-261123-0031")
                           ["data"]["code"])["tracking_number"]
    at = datetime.now(TIMEZONE).isoformat()
    rows = [{"tracking_number": tracking, "event": "delivery_failed", "at": at,
             "reason": "v\ud800ng nh\u00e0"},
            {"tracking_number": "RM\ud800", "event": "picked_up", "at": at},
            {"tracking_number": tracking, "event": "picked_up", "at": at}]
    imported = postal.post("/api/v1/tracking-imports", token=MANAGER, json={"rows": rows})
    assert imported.status_code == 200, imported.text
    report = imported.json()
    assert report["applied"] == 1
    assert {r["row"]: list(r["errors"]) for r in report["rejected"]} == \
        {1: ["reason"], 2: ["tracking_number"]}
    csv_file = f"tracking_number,event,at,reason\n{tracking},in_transit,{at},a\x00b\n"
    imported = postal.post("/api/v1/tracking-imports", data=csv_file.encode(), token=MANAGER,
                           headers={"Content-Type": "text/csv"}).json()
    assert (imported["applied"], list(imported["rejected"][0]["errors"])) == (0, ["reason"])


def test_failed_delivery_is_retried_then_returned_to_the_center(stack, db):
    postal, amqp_uri = stack
    code = "000.00.31.H33-261123-0021"
    tracking = shipment_of(db, result_ready(amqp_uri, code)["data"]["code"])["tracking_number"]
    t0 = datetime.now(TIMEZONE)
    rows = [
        {"tracking_number": tracking, "event": event,
         "at": (t0 + timedelta(minutes=h)).isoformat(), "reason": reason}
        for h, (event, reason) in enumerate([
            ("picked_up", None), ("in_transit", None),
            ("delivery_failed", "không có người nhận"), ("in_transit", None),
            ("delivery_failed", "sai địa chỉ"), ("returned_to_center", "hết số lần phát"),
        ])
    ]
    missing_reason = {**rows[2], "reason": None, "at": t0.isoformat()}
    imported = postal.post("/api/v1/tracking-imports", token=MANAGER,
                           json={"rows": rows + [missing_reason]}).json()
    assert imported["applied"] == 6
    assert [r["errors"] for r in imported["rejected"]] == \
        [{"reason": ["Bắt buộc với sự kiện delivery_failed."]}]
    view = postal.get(f"/api/v1/shipments/{tracking}", token=MANAGER).json()
    assert (view["status"], view["attempts"], view["last_failure"]) == \
        ("returned_to_center", 2, "sai địa chỉ")
    events = collect_until(amqp_uri, [], "postal.delivery_failed", count=3)
    failures = [data for kind, data in events if kind == "postal.delivery_failed"]
    assert [(f["attempt"], f["returned_to_center"]) for f in failures] == \
        [(1, False), (2, False), (2, True)]
    assert update(postal, tracking, "delivered").status_code == 409


def test_report_and_metrics_show_receptions_deliveries_and_fees(stack, db):
    postal, amqp_uri = stack
    delegate(postal, "stp")
    proc = procedure(department="stp", channel="postal")
    code = postal.post("/api/v1/receptions", json=dossier_body(proc), token=CLERK).json()["code"]
    wait_for(lambda: query(db, "SELECT 1 FROM postal.receptions"))
    tracking = shipment_of(db, result_ready(amqp_uri, code)["data"]["code"])["tracking_number"]
    for event in ("picked_up", "in_transit", "delivered"):
        assert update(postal, tracking, event).status_code == 201
    month = datetime.now(TIMEZONE).strftime("%Y-%m")
    report = postal.get(f"/api/v1/reports?from={month}&to={month}", token=MANAGER).json()
    assert report["receptions"] == [{"post_office": OFFICE["code"], "department": "stp",
                                     "month": month, "receptions": 1}]
    [deliveries] = report["deliveries"]
    assert (deliveries["shipments"], deliveries["delivered"], deliveries["returned"]) == (1, 1, 0)
    assert report["totals"]["success_rate"] == 1.0
    assert report["totals"]["postal_fees_vnd"] == 30000
    assert postal.get(f"/api/v1/reports?from={month}", token=MANAGER).status_code == 422
    assert postal.get(f"/api/v1/reports?from={month}&to={month}", token=CLERK).status_code == 403
    metrics = postal.get("/metrics").text
    assert 'motcua_postal_shipments_by_status{status="delivered"} 1.0' in metrics
    assert "motcua_postal_delivery_seconds_bucket" in metrics
    assert "motcua_postal_receptions_total" in metrics
