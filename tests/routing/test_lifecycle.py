"""The dossier lifecycle in routing, on the real broker and database: every action allowed
and refused by role and by status, consultations through two department queues, payment and
postal events (the law's periods: test_law_periods.py; evaluations: test_evaluations.py)."""

import pytest
from nameko.testing.services import entrypoint_hook

from services.common.contracts import ResultReady, SupplementRequested
from services.common.events import events_exchange, new_envelope
from tests.conftest import drain, query, token, wait_for
from tests.routing.lifecycle_helpers import (
    act,
    assert_documented,
    at,
    counter,
    officer,
    outbox,
    publish,
    receive,
    start_routing,
    status_of,
)

INTERAGENCY = "1.009794"  # sxd leads, ca and snnmt cooperate; 25 working days
SHORT = "1.002861"        # sxd, 2 working days, no fee
HELD = "1.009989"         # sxd, 20 working days, fee 300,000 VND, result held until paid


@pytest.fixture
def routing(container_factory, config_for, client_for, topology, relays):
    started = start_routing(container_factory, config_for, client_for, topology)
    relays("routing")
    started.clock.pinned = at("2026-11-23", 9)
    return started


def lead():
    return officer("sxd")


def cooperating():
    return officer("ca", "chuyenvien.ca.01")


# driving a dossier to a status -------------------------------------------------------------
STEPS = {
    "assigned": [],
    "processing": [("accept", lead, {})],
    "supplement_requested": [("accept", lead, {}), ("request_supplement", lead, {
        "documents": [{"name": "Bản vẽ mặt bằng"}], "reason": "thiếu bản vẽ"})],
    "consulting": [("accept", lead, {}), ("consult", lead, {"question": "Ý kiến về PCCC?",
                                                             "departments": ["ca"]})],
    "result_ready": [("accept", lead, {}), ("complete", lead, {"result_reference": "123/GP"})],
}


def dossier_in(db, routing, status):
    code = receive(db, routing.amqp, INTERAGENCY, at("2026-11-20", 9), "2026-12-28")
    for action, who, body in STEPS[status]:
        response = act(routing, code, action, who(), **body)
        assert response.status_code == 200, response.text
    assert status_of(db, code) == status
    return code


# (action, status it is allowed from, caller allowed, caller refused, body, a wrong status)
MATRIX = [
    ("accept", "assigned", lead, counter, {}, "result_ready"),
    ("transfer", "processing", lead, cooperating, {"processing_unit": "Phòng Quy hoạch"},
     "assigned"),
    ("request_supplement", "processing", lead, lambda: counter("sxd"),
     {"documents": [{"name": "Bản sao sổ đỏ"}], "reason": "thiếu giấy tờ"}, "assigned"),
    ("resubmit", "supplement_requested", lambda: counter("sxd"), lead, {}, "processing"),
    ("consult", "processing", lead, cooperating, {"question": "Ý kiến?"}, "assigned"),
    ("reply_consultation", "consulting", cooperating, lead,
     {"opinion": "Đồng ý", "agrees": True}, "processing"),
    ("complete", "processing", lead, lambda: counter("sxd"), {"result_reference": "9/QĐ"},
     "assigned"),
    ("return", "result_ready", lambda: counter("sxd"), cooperating, {"method": "counter"},
     "processing"),
    ("refuse", "processing", lead, lambda: counter("sxd"), {"reason": "không đủ điều kiện"},
     "result_ready"),
    ("withdraw", "processing", lambda: counter("sxd"), lead, {}, "result_ready"),
    ("request_extension", "processing", lead, lambda: counter("sxd"),
     {"reason": "chờ ý kiến", "new_due_date": "2026-12-30"}, "result_ready"),
]


def counter_of(department="stp"):
    return counter(department)


MATRIX = [(a, s, ok, (counter_of if bad is counter else bad), b, w)
          for a, s, ok, bad, b, w in MATRIX]


@pytest.mark.parametrize("action,status,allowed,refused,body,wrong_status", MATRIX,
                         ids=[m[0] for m in MATRIX])
def test_action_allowed_refused_by_role_and_by_status(routing, db, action, status, allowed,
                                                      refused, body, wrong_status):
    code = dossier_in(db, routing, status)
    forbidden = act(routing, code, action, refused(), **body)
    assert forbidden.status_code == 403, forbidden.text
    assert act(routing, code, action, officer("stp"), **body).status_code == 403
    assert act(routing, code, action, token("manager"), **body).status_code == 403
    assert act(routing, code, action, None, **body).status_code == 401
    assert status_of(db, code) == status
    done = act(routing, code, action, allowed(), **body)
    assert done.status_code == 200, done.text
    history = query(db, "SELECT action, from_status, status, actor FROM routing.history"
                        " WHERE dossier_code = %s ORDER BY id DESC LIMIT 1", (code,))[0]
    assert history["action"] == action and history["from_status"] == status
    other = dossier_in(db, routing, wrong_status)
    conflict = act(routing, other, action, allowed(), **body)
    assert conflict.status_code == 409, conflict.text
    assert wrong_status in conflict.json()["error"]["message"]


def test_status_changes_are_published_with_the_contract_shape(routing, db):
    code = dossier_in(db, routing, "supplement_requested")
    changes = [e["data"] for e in outbox(db, "dossier.status_changed", code)]
    assert [(c["from_status"], c["to_status"]) for c in changes] == [
        ("received", "assigned"), ("assigned", "processing"),
        ("processing", "supplement_requested")]
    assert changes[2]["actor"] == "chuyenvien.sxd.01"
    assert changes[2]["reason"] == "thiếu bản vẽ; hạn nộp bổ sung đến hết ngày 08/12/2026"
    [requested] = outbox(db, "dossier.supplement_requested", code)
    assert SupplementRequested().validate(requested["data"]) == {}
    assert requested["data"]["documents"] == [{"name": "Bản vẽ mặt bằng", "note": None}]
    assert requested["data"]["complete_by"] == "2026-12-08"


def test_bad_bodies_are_422_naming_the_field(routing, db):
    code = dossier_in(db, routing, "processing")
    refused = act(routing, code, "refuse", lead())
    assert refused.status_code == 422 and "reason" in refused.json()["error"]["fields"]
    empty = act(routing, code, "request_supplement", lead(), documents=[], reason="x")
    assert empty.status_code == 422 and "documents" in empty.json()["error"]["fields"]
    early = act(routing, code, "request_extension", lead(), reason="x",
                new_due_date="2026-11-01")
    assert early.status_code == 422 and "new_due_date" in early.json()["error"]["fields"]
    sunday = act(routing, code, "request_extension", lead(), reason="x",
                 new_due_date="2027-01-03")
    assert sunday.status_code == 422
    unknown = act(routing, code, "stamp", lead())
    assert unknown.status_code == 404
    assert status_of(db, code) == "processing"


def test_idempotency_key_replays_the_answer(routing, db):
    code = dossier_in(db, routing, "processing")
    headers = {"Idempotency-Key": "k-1"}
    body = {"result_reference": "77/GP"}
    first = routing.http.post(f"/api/v1/dossiers/{code}/actions/complete", json=body,
                              token=lead(), headers=dict(headers))
    again = routing.http.post(f"/api/v1/dossiers/{code}/actions/complete", json=body,
                              token=lead(), headers=dict(headers))
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert len(outbox(db, "dossier.result_ready", code)) == 1
    reused = routing.http.post(f"/api/v1/dossiers/{code}/actions/complete",
                               json={"result_reference": "78/GP"}, token=lead(),
                               headers=dict(headers))
    assert reused.status_code == 409


def test_consultation_through_two_department_queues(routing, db):
    code = dossier_in(db, routing, "processing")
    drain(routing.amqp, "department.sxd", 0.2)
    asked = act(routing, code, "consult", lead(), question="Ý kiến về an toàn PCCC và đất đai",
                reply_due_date="2026-12-04")
    assert asked.status_code == 200 and asked.json()["status"] == "consulting"
    for department in ("ca", "snnmt"):
        [(properties, message)] = wait_for(lambda d=department: drain(
            routing.amqp, f"department.{d}", 0.2))
        assert message["type"] == "dossier.consultation_requested"
        assert message["data"]["reply_due_date"] == "2026-12-04"
        assert message["data"]["lead_department"] == "sxd"
        assert_documented(message)
    first = act(routing, code, "reply_consultation", officer("ca"), opinion="Đạt yêu cầu PCCC",
                agrees=True)
    assert first.json()["status"] == "consulting"
    twice = act(routing, code, "reply_consultation", officer("ca"), opinion="x", agrees=True)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "no_open_consultation"
    outsider = act(routing, code, "reply_consultation", officer("stp"), opinion="x", agrees=True)
    assert outsider.status_code == 403
    last = act(routing, code, "reply_consultation", officer("snnmt"), opinion="Không phù hợp"
               " quy hoạch", agrees=False)
    assert last.json()["status"] == "processing"
    answers = wait_for(lambda: [m for _, m in drain(routing.amqp, "department.sxd", 0.3)
                                if m["type"] == "dossier.consultation_answered"] or None)
    answers += [m for _, m in drain(routing.amqp, "department.sxd", 0.5)
                if m["type"] == "dossier.consultation_answered"]
    assert [(a["data"]["department"], a["data"]["agrees"]) for a in answers] == [
        ("ca", True), ("snnmt", False)]
    for answer in answers:
        assert_documented(answer)
    rows = query(db, "SELECT department, agrees, replied_by FROM routing.consultations"
                     " WHERE dossier_code = %s ORDER BY department", (code,))
    assert [r["replied_by"] for r in rows] == ["chuyenvien.ca.01", "chuyenvien.snnmt.01"]


def test_held_result_is_released_by_payment_and_returned_by_post(routing, db):
    code = receive(db, routing.amqp, HELD, at("2026-11-20", 9), "2026-12-18",
                   result_delivery="post")
    act(routing, code, "accept", lead())
    act(routing, code, "complete", lead(), result_reference="55/GP-SXD")
    [ready] = outbox(db, "dossier.result_ready", code)
    assert ResultReady().validate(ready["data"]) == {}
    assert ready["data"]["releasable"] is False
    assert ready["data"]["delivery"] == {"method": "post", "recipient_name": "Lê Văn Tám",
                                         "phone": "0912345678",
                                         "address": "45 Hai Bà Trưng, phường Sài Gòn"}
    held = act(routing, code, "return", counter("sxd"), method="counter")
    assert held.status_code == 409 and held.json()["error"]["code"] == "fees_unpaid"
    settled = new_envelope("payment.settled", "payment", {
        "bill_id": "b-1", "code": code, "kind": "fee", "amount": 300000, "paid": 300000,
        "settled_at": "2026-11-23T10:00:00+07:00"}, "corr-pay", dossier_code=code)
    for _ in range(2):  # a redelivery changes nothing
        publish(routing.amqp, events_exchange("payment"), "payment.settled", settled)
    wait_for(lambda: len(outbox(db, "dossier.result_ready", code)) == 2)
    assert outbox(db, "dossier.result_ready", code)[1]["data"]["releasable"] is True
    delivered = new_envelope("postal.delivered", "postal", {
        "shipment_id": "s-1", "tracking_number": "EV123456789VN", "code": code,
        "delivered_at": "2026-11-25T15:00:00+07:00"}, "corr-post", dossier_code=code)
    publish(routing.amqp, events_exchange("postal"), "postal.delivered", delivered)
    wait_for(lambda: status_of(db, code) == "returned")
    [returned] = outbox(db, "dossier.returned", code)
    assert returned["data"]["method"] == "post"
    assert len(query(db, "SELECT 1 FROM routing.processed_messages")) == 3


def test_department_action_over_rpc(routing, db):
    code = dossier_in(db, routing, "assigned")
    with entrypoint_hook(routing.container, "department_action") as rpc:
        done = rpc(code, "accept", "sxd", "chuyenvien.sxd.02", {"processing_unit": "Phòng A"})
        assert done["status"] == "processing"
        assert rpc(code, "accept", "sxd", "chuyenvien.sxd.02", {})["error"]["status"] == 409
        assert rpc(code, "complete", "stp", "x", {"result_reference": "1"})["error"][
            "status"] == 403
        assert "result_reference" in rpc(code, "complete", "sxd", "x", {})["error"]["fields"]


def test_metrics_show_dossiers_by_status_and_department(routing, db):
    code = dossier_in(db, routing, "processing")
    receive(db, routing.amqp, SHORT, at("2026-11-02", 9), "2026-11-04")
    act(routing, code, "complete", lead(), result_reference="5/GP")
    with entrypoint_hook(routing.container, "watch_deadlines") as watch:
        watch()
    text = routing.http.get("/metrics").text
    assert 'motcua_routing_dossiers{department="sxd",status="result_ready"} 1.0' in text
    assert 'motcua_routing_dossiers_overdue{department="sxd"} 1.0' in text
    assert 'motcua_routing_processing_working_days_count{department="sxd"}' in text
    assert code not in text


def test_a_result_handed_over_at_the_counter_prints_its_hand_over_slip(routing, db):
    code = receive(db, routing.amqp, SHORT, at("2026-11-20", 9), "2026-11-24")
    act(routing, code, "accept", lead())
    act(routing, code, "complete", lead(), result_reference="12/GP-SXD")
    assert act(routing, code, "return", counter("sxd"), method="counter", receiver={
        "full_name": "Phạm Thị Lan", "relation": "authorised", "id_type": "citizen_id",
        "id_number": "0791900"}).json()["error"]["fields"] == {
        "receiver.id_number": ["Số định danh cá nhân phải gồm đúng 12 chữ số."]}
    by_post = act(routing, code, "return", counter("sxd"), method="post",
                  receiver={"full_name": "Phạm Thị Lan", "id_type": "passport"})
    assert by_post.status_code == 422 and "receiver" in by_post.json()["error"]["fields"]
    assert status_of(db, code) == "result_ready"
    returned = act(routing, code, "return", counter("sxd"), at("2026-11-24", 14, 5),
                   method="counter", receiver={"full_name": "Phạm Thị Lan",
                                               "relation": "authorised",
                                               "id_type": "citizen_id",
                                               "id_number": "079190004567"})
    assert returned.status_code == 200, returned.text
    path = f"/api/v1/dossiers/{code}/forms/result_handover"
    slip = routing.http.get(path, token=counter("sxd"), params={"format": "html"})
    assert slip.status_code == 200
    for text in ("PHIẾU BÀN GIAO KẾT QUẢ", code, "Phạm Thị Lan", "người được người nộp hồ sơ "
                 "ủy quyền", "Căn cước", "*********567", "12/GP-SXD", "motcua.sxd.01",
                 "14 giờ 05 phút, ngày 24/11/2026"):
        assert text in slip.text, text
    assert "079190004567" not in slip.text
    assert query(db, "SELECT id_number FROM routing.result_handovers WHERE dossier_code = %s",
                 (code,)) == [{"id_number": "*********567"}]
    assert routing.http.get(path, token=counter("ca")).status_code == 404  # another agency
    view = routing.http.get(f"/api/v1/inbox/{code}", token=counter("sxd")).json()
    assert view["return_method"] == "counter"
