"""Malformed and oversized AMQP messages published straight to every consumer queue of every
service (the queues named from the services' own handlers): each one is dead-lettered to
`motcua.dead_letters` with its reason, and every consumer keeps running: a valid event sent
after them is processed."""
import json
import uuid
from datetime import date, datetime

import pika
from prometheus_client import REGISTRY

from services.common.consumer import DEAD_LETTER_QUEUE, MAX_MESSAGE_BYTES
from services.common.contracts import EVALUATION_ITEMS
from services.common.events import TIMEZONE, new_envelope
from services.common.topology import event_queue_name
from tests.conftest import count_fuzz_case, dossier_body, lookup_fields, query, token, wait_for
from tests.security.conftest import APPLICANT, DEPARTMENT, expect, fee_procedure
from tooling.topology import subscriptions

CASE_HEADER = "x-security-case"
SNAPSHOT_KEYS = ("code", "name", "department", "cooperating", "processing_days", "day_kind",
                 "fee", "charge", "postal_return", "refund_on_refusal", "hold_result_until_paid")


def malformed_cases(source, event_type):
    """(name, body, content type, what the dead letter's reason must say)."""
    invalid_data = new_envelope(event_type, source, {"code": 42}, "corr-malformed")
    # valid in every way but one: a text PostgreSQL cannot store
    data = dict(valid_data(event_type, "A\x00B", datetime.now(TIMEZONE).isoformat()),
                code="A\x00B")
    with_nul = new_envelope(event_type, source, data, "corr-malformed")
    return [
        ("not_json", b"{\"id\": \"unterminated", "application/json", "cannot decode body"),
        ("binary", b"\xff\xfe\x00\x81garbage", "application/json", "cannot decode body"),
        ("wrong_content_type", b"id=1&type=x", "application/x-www-form-urlencoded",
         "cannot decode body"),
        ("no_content_type", b"\x00\x01", None, "not a JSON object"),
        ("deeply_nested", b'{"a":' * 40000 + b"1" + b"}" * 40000, "application/json",
         "cannot decode body"),
        ("json_array", b"[1, 2, 3]", "application/json", "not a JSON object"),
        ("json_null", b"null", "application/json", "not a JSON object"),
        ("not_an_envelope", json.dumps({"hello": "world"}).encode(), "application/json",
         "invalid envelope"),
        ("invalid_data", json.dumps(invalid_data).encode(), "application/json",
         f"invalid {event_type} data"),
        ("nul_in_valid_data", json.dumps(with_nul).encode(), "application/json",
         "data.code: text with a NUL or a lone surrogate"),
        ("lone_surrogate_in_valid_data", json.dumps(
            {**with_nul, "data": {**with_nul["data"], "code": "\ud800"}}).encode(),
         "application/json", "data.code: text with a NUL or a lone surrogate"),
        ("null_data", json.dumps({**invalid_data, "data": None}).encode(), "application/json",
         "invalid"),
        ("oversized", json.dumps({**invalid_data, "padding": "x" * (MAX_MESSAGE_BYTES + 1)})
         .encode(), "application/json", "byte limit"),
    ]


def publish_to_queue(channel, queue, body, content_type, case):
    channel.basic_publish("", queue, body, pika.BasicProperties(
        content_type=content_type, delivery_mode=2, headers={CASE_HEADER: case}), mandatory=True)


def dead_letters(amqp_uri):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    found = []
    while (got := channel.basic_get(DEAD_LETTER_QUEUE, auto_ack=True))[0]:
        found.append(got[1].headers or {})
    connection.close()
    return found


def consumed_ok(service, event_type):
    return REGISTRY.get_sample_value("motcua_events_consumed_total", {
        "service": service, "type": event_type, "outcome": "ok"}) or 0


def valid_data(event_type, code, now):
    """A valid event of each type about the dossier `code` (result ready in routing)."""
    proc = fee_procedure()
    if event_type == "dossier.received":
        fresh = f"000.00.01.H33-{date.today():%y%m%d}-{uuid.uuid4().int % 10**6:06d}"
        return {"code": fresh, "procedure": {k: proc[k] for k in SNAPSHOT_KEYS},
                "channel": "counter", "receiving_unit": "000.00.01.H33", "received_at": now,
                "due_date": "2026-12-31", "documents": [],
                "applicant": dict(APPLICANT, citizen_id="*********567"),
                "result_delivery": "counter", "delivery_address": None,
                **lookup_fields("ABCDEFGH"), "receiver": {"kind": "counter_officer", "id": "o1"}}
    shipment = {"shipment_id": str(uuid.uuid4()), "tracking_number": "RM000000001VN",
                "code": code}
    bill = {"bill_id": str(uuid.uuid4()), "code": code, "kind": "fee", "amount": 1000}
    return {
        "calendar.changed": {"revision": 2, "days_off": ["2026-12-24"], "working_days": [],
                             "changed_at": now},
        "payment.requested": {**bill, "description": "Lệ phí", "pay_url": None},
        "payment.settled": {**bill, "paid": 1000, "settled_at": now},
        "postal.delivered": {**shipment, "delivered_at": now},
        "postal.shipment_created": {**shipment, "post_office": "BD-TRUNGTAM", "fee": 30000,
                                    "created_at": now},
        "dossier.extended": {"code": code, "department": DEPARTMENT,
                             "procedure_name": proc["name"], "letter_number": "01/XL-STP",
                             "reason": "quá tải", "previous_due_date": "2026-12-01",
                             "new_due_date": "2026-12-15", "legal_due_date": "2026-12-01",
                             "issued_at": now},
        "dossier.apology_issued": {"code": code, "department": DEPARTMENT,
                                   "procedure_name": proc["name"], "letter_number": "01/XL-STP",
                                   "reason": "quá tải", "previous_due_date": "2026-12-01",
                                   "new_due_date": "2026-12-15", "issued_at": now},
        "dossier.closed": {"code": code, "department": DEPARTMENT, "procedure_name": proc["name"],
                           "supplement_requested_at": now, "complete_by": "2026-12-16",
                           "closed_at": now},
        "dossier.withdrawn": {"code": code, "department": DEPARTMENT,
                              "procedure_name": proc["name"], "reason": "không còn nhu cầu",
                              "withdrawn_at": now},
        "dossier.refused": {"code": code, "department": DEPARTMENT, "reason": "không đủ điều kiện",
                            "refused_at": now},
        "dossier.result_ready": {"code": code, "department": DEPARTMENT,
                                 "procedure_name": proc["name"], "result_reference": "1/QĐ",
                                 "ready_at": now, "delivery": {"method": "counter"},
                                 "releasable": True},
        "dossier.status_changed": {"code": code, "department": DEPARTMENT,
                                   "from_status": "result_ready", "to_status": "returned",
                                   "public_status": "returned", "actor": "o1", "reason": None,
                                   "at": now, "due_date": "2026-12-31"},
        "dossier.evaluated": {"code": code, "department": DEPARTMENT,
                              "procedure_code": proc["code"], "status": "returned",
                              "answers": {item: "satisfied" for item in EVALUATION_ITEMS},
                              "officers": ["o1"], "evaluated_at": now},
        "dossier.corrections_requested": {
            "submission_id": str(uuid.uuid4()),
            "procedure": {"code": proc["code"], "name": proc["name"]},
            "department": DEPARTMENT, "documents": [{"name": "đơn đề nghị"}],
            "reason": "đơn chưa ký", "requested_at": now},
        "result.issued": {"document_id": str(uuid.uuid4()), "code": code,
                          "department": DEPARTMENT, "issued_at": now},
        "dossier.supplement_requested": {"code": code, "department": DEPARTMENT,
                                         "procedure_name": proc["name"],
                                         "documents": [{"name": "bản sao giấy tờ"}],
                                         "reason": "thiếu giấy tờ", "requested_at": now,
                                         "complete_by": "2026-12-16"},
    }[event_type]


def dossier_with_result_ready(services, db):
    """A real dossier, received at the counter, accepted and completed in routing."""
    body = dossier_body(fee_procedure(), applicant=dict(APPLICANT))
    counter = token("counter_officer", department=DEPARTMENT)
    lead = token("department_officer", department=DEPARTMENT)
    code = expect(services["intake"].post("/api/v1/dossiers", json=body, token=counter),
                  201)["code"]
    wait_for(lambda: query(db, "SELECT 1 FROM routing.dossiers WHERE code = %s", (code,)))
    wait_for(lambda: query(db, "SELECT 1 FROM notify.contacts WHERE dossier_code = %s", (code,)))
    routing = services["routing"]
    expect(routing.post(f"/api/v1/dossiers/{code}/actions/accept", json={}, token=lead), 200)
    expect(routing.post(f"/api/v1/dossiers/{code}/actions/complete",
                        json={"result_reference": "12/QĐ-STP"}, token=lead), 200)
    return code


def test_every_consumer_dead_letters_bad_messages_with_a_reason_and_keeps_running(services,
                                                                                 topology, db):
    code = dossier_with_result_ready(services, db)
    wait_for(lambda: not query(db, "SELECT 1 FROM routing.outbox WHERE published_at IS NULL"))
    assert dead_letters(topology) == []

    connection = pika.BlockingConnection(pika.URLParameters(topology))
    channel = connection.channel()
    channel.confirm_delivery()
    sent = {}
    for source, event_type, service, method in subscriptions():
        queue = event_queue_name(source, event_type, service, method)
        for name, body, content_type, reason in malformed_cases(source, event_type):
            case = f"{queue}/{name}"
            publish_to_queue(channel, queue, body, content_type, case)
            sent[case] = (queue, reason)
            count_fuzz_case("amqp_malformed")
    connection.close()

    parked = {}

    def all_parked():
        parked.update({h[CASE_HEADER]: h for h in dead_letters(topology) if CASE_HEADER in h})
        return len(parked) >= len(sent)

    wait_for(all_parked, timeout=60, interval=0.3)
    assert sorted(parked) == sorted(sent)
    for case, (queue, reason) in sent.items():
        headers = parked[case]
        assert headers["x-motcua-original-queue"] == queue, case
        assert reason in headers["x-motcua-reason"], (case, headers["x-motcua-reason"])

    # every consumer is still running: a valid event straight to its queue is processed
    connection = pika.BlockingConnection(pika.URLParameters(topology))
    channel = connection.channel()
    channel.confirm_delivery()
    for source, event_type, service, method in subscriptions():
        before = consumed_ok(service, event_type)
        now = datetime.now(TIMEZONE).isoformat()
        envelope = new_envelope(event_type, source, valid_data(event_type, code, now),
                                "corr-valid", dossier_code=code)
        publish_to_queue(channel, event_queue_name(source, event_type, service, method),
                         json.dumps(envelope).encode(), "application/json", "valid")
        wait_for(lambda s=service, t=event_type, b=before: consumed_ok(s, t) > b, timeout=20)
        count_fuzz_case("amqp_valid_after_malformed")
    connection.close()
    assert dead_letters(topology) == []
    print(f"malformed AMQP messages: {len(sent)} cases on {len(subscriptions())} consumer "
          f"queues, all dead-lettered with a reason; {len(subscriptions())} valid events "
          "processed afterwards")
