"""Work inside the lead agency, through routing's HTTP API and the department's queue: a
dossier assigned to an officer who sees it as theirs and proposes the result, a leader who
sends it back with a reason or approves it, transfers between processing units, every
hand-over kept (who gave, who took, when, early / on time / late), and the applicant's lookup
showing none of it."""
import pytest
from nameko.testing.services import entrypoint_hook

from services.common.contracts import DossierStatusChanged
from services.routing.schemas import DossierDueSoonMessage
from tests.conftest import drain, query, token, wait_for
from tests.routing.lifecycle_helpers import (
    act,
    assert_documented,
    at,
    officer,
    outbox,
    receive,
    start_routing,
    status_of,
)

PROCEDURE = "1.002861"  # sxd
HOLDER = "chuyenvien.sxd.05"


@pytest.fixture
def routing(container_factory, config_for, client_for, topology, relays):
    started = start_routing(container_factory, config_for, client_for, topology)
    relays("routing")
    started.clock.pinned = at("2026-11-23", 9)
    return started


def leader(department="sxd"):
    return token("leader", department=department, subject=f"lanhdao.{department}.01")


def holder():
    return officer("sxd", HOLDER)


def a_dossier(db, routing, due="2026-11-27", secret="SECRET01"):
    """Received Friday 20/11/2026, due `due`: Tuesday 24/11/2026 is a day off (Ngày Văn hóa
    Việt Nam), so from Monday 23/11 to Friday 27/11 three working days are left."""
    return receive(db, routing.amqp, PROCEDURE, at("2026-11-20", 9), due, secret=secret)


def my_dossiers(routing, who):
    response = routing.http.get("/api/v1/my-dossiers", token=who)
    assert response.status_code == 200, response.text
    return {item["code"]: item for item in response.json()["dossiers"]}


def ok(response):
    assert response.status_code == 200, response.text
    return response.json()


def test_the_officer_proposes_the_leader_sends_back_then_approves(routing, db):
    code = a_dossier(db, routing)
    assigned = ok(act(routing, code, "assign_officer", leader(), officer=HOLDER,
                      due_date="2026-11-26", note="ưu tiên"))
    assert assigned["status"] == "processing"
    mine = my_dossiers(routing, holder())[code]
    assert (mine["days_left"], mine["officer_due_date"], mine["due_date"]) == (
        3, "2026-11-26", "2026-11-27")
    assert code not in my_dossiers(routing, officer("sxd", "chuyenvien.sxd.09"))

    result = {"result_reference": "15/GP-SXD", "note": "đủ điều kiện"}
    assert act(routing, code, "propose", officer("sxd", "chuyenvien.sxd.09"),
               **result).status_code == 403  # not theirs
    direct = act(routing, code, "complete", holder(), result_reference="15/GP-SXD")
    assert direct.status_code == 409 and direct.json()["error"]["code"] == "approval_required"
    assert ok(act(routing, code, "propose", holder(), **result))["status"] == "awaiting_approval"
    waiting = my_dossiers(routing, leader())[code]
    assert waiting["proposal"]["result_reference"] == "15/GP-SXD"
    assert waiting["proposal"]["proposed_by"] == HOLDER
    assert act(routing, code, "approve", holder()).status_code == 403
    assert act(routing, code, "approve", leader("stp")).status_code == 403

    no_reason = act(routing, code, "send_back", leader(), when=at("2026-11-25", 10))
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["fields"]
    back = ok(act(routing, code, "send_back", leader(), reason="Thiếu căn cứ pháp lý"))
    assert back["status"] == "processing"
    reworked = my_dossiers(routing, holder())[code]
    assert reworked["sent_back"]["reason"] == "Thiếu căn cứ pháp lý"
    assert reworked["sent_back"]["at"].startswith("2026-11-25T10:00")
    assert reworked["days_left"] == 2 and reworked["proposal"] is None
    assert code not in my_dossiers(routing, leader())

    ok(act(routing, code, "propose", holder(), at("2026-11-26", 16), result_reference="16/GP"))
    approved = ok(act(routing, code, "approve", leader(), at("2026-11-30", 8)))
    assert approved["status"] == "result_ready"
    [ready] = outbox(db, "dossier.result_ready", code)
    assert ready["data"]["result_reference"] == "16/GP"
    assert code not in my_dossiers(routing, holder())

    rows = ok(routing.http.get(f"/api/v1/dossiers/{code}/handovers", token=holder()))
    assert [(h["step"], h["giver"]["id"], h["taker"]["id"], h["taker"]["role"], h["at"][:10],
             h["due_date"], h["timing"]) for h in rows["handovers"]] == [
        # the officer's own deadline for their steps, the dossier's legal due date otherwise
        ("assign_officer", "lanhdao.sxd.01", HOLDER, "officer", "2026-11-23", "2026-11-27",
         "early"),
        ("propose", HOLDER, None, "leader", "2026-11-23", "2026-11-26", "early"),
        ("send_back", "lanhdao.sxd.01", HOLDER, "officer", "2026-11-25", "2026-11-27", "early"),
        ("propose", HOLDER, None, "leader", "2026-11-26", "2026-11-26", "on_time"),
        ("approve", "lanhdao.sxd.01", None, "one_stop_unit", "2026-11-30", "2026-11-27",
         "late"),
    ]
    assert rows["handovers"][2]["reason"] == "Thiếu căn cứ pháp lý"
    assert [h["timing_label"] for h in rows["handovers"]][-2:] == ["Đúng hạn", "Quá hạn"]


def test_status_changes_and_department_messages_of_the_work_inside(routing, db):
    code = a_dossier(db, routing)
    drain(routing.amqp, "department.sxd", 0.2)
    act(routing, code, "assign_officer", leader(), officer=HOLDER)
    act(routing, code, "propose", holder(), result_reference="1/GP")
    act(routing, code, "send_back", leader(), reason="Sai mẫu")
    act(routing, code, "propose", holder(), result_reference="2/GP")
    act(routing, code, "approve", leader())
    changes = outbox(db, "dossier.status_changed", code)
    assert {change["version"] for change in changes} == {DossierStatusChanged.VERSION}
    assert DossierStatusChanged.VERSION >= 2  # awaiting_approval and public_status are new
    assert [(c["data"]["from_status"], c["data"]["to_status"], c["data"]["public_status"])
            for c in changes[1:]] == [
        ("assigned", "processing", "processing"),
        ("processing", "awaiting_approval", "processing"),
        ("awaiting_approval", "processing", "processing"),
        ("processing", "awaiting_approval", "processing"),
        ("awaiting_approval", "result_ready", "result_ready")]
    handed = wait_for(lambda: [m for _, m in drain(routing.amqp, "department.sxd", 0.3)
                               if m["type"] == "dossier.handed_over"] or None)
    handed += [m for _, m in drain(routing.amqp, "department.sxd", 0.5)
               if m["type"] == "dossier.handed_over"]
    assert [(m["data"]["step"], m["data"]["status"]) for m in handed] == [
        ("assign_officer", "processing"), ("propose", "awaiting_approval"),
        ("send_back", "processing"), ("propose", "awaiting_approval"),
        ("approve", "result_ready")]
    for message in handed:
        assert_documented(message)
    assert handed[2]["data"]["reason"] == "Sai mẫu"


def test_the_applicant_sees_a_plain_label_and_no_officer(routing, db):
    code = a_dossier(db, routing, secret="PLAIN001")
    act(routing, code, "assign_officer", leader(), officer=HOLDER)
    act(routing, code, "propose", holder(), result_reference="3/GP")

    def lookup():
        response = routing.http.get(f"/api/v1/dossiers/{code}?secret=PLAIN001")
        assert response.status_code == 200, response.text
        return response.json(), response.text

    view, text = lookup()
    assert (view["status"], view["status_label"]) == ("processing", "Đang giải quyết")
    assert HOLDER not in text and "lanhdao" not in text
    assert [h["status"] for h in view["history"]] == ["received", "assigned"]
    act(routing, code, "send_back", leader(), reason="Thiếu chữ ký")
    act(routing, code, "propose", holder(), result_reference="4/GP")
    act(routing, code, "approve", leader())
    view, text = lookup()
    assert HOLDER not in text and "lanhdao" not in text and "Thiếu chữ ký" not in text
    assert view["status"] == "result_ready"
    assert (view["history"][-1]["label"], view["history"][-1]["by"]) == (
        "Đã có kết quả giải quyết", "cơ quan chủ trì")


def test_who_assigns_and_transfers_and_who_holds_the_dossier(routing, db):
    code = a_dossier(db, routing)
    receiving = officer("sxd", "vanthu.sxd.01")
    late = act(routing, code, "assign_officer", receiving, officer=HOLDER,
               due_date="2026-11-30")
    assert late.status_code == 422 and "due_date" in late.json()["error"]["fields"]
    assert status_of(db, code) == "assigned"
    ok(act(routing, code, "assign_officer", receiving, officer=HOLDER))  # receiving officer
    again = act(routing, code, "assign_officer", leader(), officer=HOLDER)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_assigned"
    assert act(routing, code, "assign_officer", receiving,
               officer="chuyenvien.sxd.06").status_code == 403  # reassigning is a leader's
    ok(act(routing, code, "assign_officer", leader(), officer="chuyenvien.sxd.06"))
    assert code not in my_dossiers(routing, holder())
    gone = act(routing, code, "request_supplement", holder(), documents=[{"name": "Tờ khai"}],
               reason="thiếu")
    assert gone.status_code == 403 and "chuyenvien.sxd.06" in gone.json()["error"]["message"]

    ok(act(routing, code, "transfer", officer("sxd", "chuyenvien.sxd.06"),
           processing_unit="Phòng Quản lý xây dựng", reason="đúng chuyên môn"))
    unheld = my_dossiers(routing, leader())[code]  # the new unit's leader assigns it
    assert (unheld["officer"], unheld["processing_unit"]) == (None, "Phòng Quản lý xây dựng")
    ok(act(routing, code, "transfer", leader(), processing_unit="Phòng Hạ tầng",
           officer="chuyenvien.sxd.07"))
    assert code in my_dossiers(routing, officer("sxd", "chuyenvien.sxd.07"))
    rows = ok(routing.http.get(f"/api/v1/dossiers/{code}/handovers", token=token("manager")))
    assert [(h["step"], h["giver"]["id"], h["giver"]["unit"], h["taker"]["id"],
             h["taker"]["role"], h["taker"]["unit"]) for h in rows["handovers"]] == [
        ("assign_officer", "vanthu.sxd.01", None, HOLDER, "officer", None),
        ("assign_officer", "lanhdao.sxd.01", None, "chuyenvien.sxd.06", "officer", None),
        ("transfer", "chuyenvien.sxd.06", None, None, "unit", "Phòng Quản lý xây dựng"),
        ("transfer", "lanhdao.sxd.01", "Phòng Quản lý xây dựng", "chuyenvien.sxd.07", "officer",
         "Phòng Hạ tầng"),
    ]
    outsider = routing.http.get(f"/api/v1/dossiers/{code}/handovers", token=leader("stp"))
    assert outsider.status_code == 403
    assert routing.http.get("/api/v1/dossiers/000.00.31.H33-261120-9999/handovers",
                            token=token("manager")).status_code == 404
    assert routing.http.get("/api/v1/my-dossiers", token=token("manager")).status_code == 403
    assert routing.http.get("/api/v1/my-dossiers?limit=0", token=leader()).status_code == 422


def test_the_watch_sees_dossiers_awaiting_approval(routing, db):
    waiting = a_dossier(db, routing, due="2026-11-25")
    act(routing, waiting, "assign_officer", leader(), officer=HOLDER)
    act(routing, waiting, "propose", holder(), result_reference="5/GP")
    with entrypoint_hook(routing.container, "watch_deadlines") as watch:
        watch()
    [due_soon] = outbox(db, "sxd.dossier.due_soon", waiting)
    assert due_soon["data"]["status"] == "awaiting_approval"
    assert due_soon["version"] == DossierDueSoonMessage.VERSION >= 2
    assert_documented(due_soon)
    routing.clock.pinned = at("2026-11-26", 9)
    with entrypoint_hook(routing.container, "watch_deadlines") as watch:
        watch()
    assert [e["dossier_code"] for e in outbox(db, "dossier.overdue")] == [waiting]


def test_a_leader_asks_the_extension_and_refuses(routing, db):
    code = a_dossier(db, routing)
    act(routing, code, "assign_officer", leader(), officer=HOLDER)
    act(routing, code, "propose", holder(), result_reference="6/GP")
    extension = ok(act(routing, code, "request_extension", leader(), reason="chờ ý kiến",
                     new_due_date="2026-11-30"))
    assert (extension["status"], extension["due_date"]) == ("awaiting_approval", "2026-11-30")
    assert ok(act(routing, code, "refuse", leader(), reason="không đủ điều kiện"))[
        "status"] == "refused"
    [refused] = outbox(db, "dossier.refused", code)
    assert refused["data"]["reason"] == "không đủ điều kiện"


def test_a_department_system_keeps_the_direct_flow_or_acts_as_its_leader(routing, db):
    direct, inside = a_dossier(db, routing), a_dossier(db, routing)
    with entrypoint_hook(routing.container, "department_action") as rpc:
        assert rpc(direct, "accept", "sxd", "hethong.sxd", {})["status"] == "processing"
        assert rpc(direct, "complete", "sxd", "hethong.sxd",
                   {"result_reference": "9/GP"})["status"] == "result_ready"
        assert rpc(inside, "assign_officer", "sxd", "gd.sxd", {"officer": HOLDER},
                   role="leader")["status"] == "processing"
        assert rpc(inside, "propose", "sxd", HOLDER, {"result_reference": "10/GP"})[
            "status"] == "awaiting_approval"
        refused = rpc(inside, "approve", "sxd", HOLDER, {})
        assert refused["error"]["status"] == 403
        assert rpc(inside, "approve", "sxd", "gd.sxd", {}, role="leader")[
            "status"] == "result_ready"
        assert "role" in rpc(inside, "approve", "sxd", "gd.sxd", {}, role="manager")[
            "error"]["fields"]
    assert query(db, "SELECT step, giver FROM routing.handovers WHERE dossier_code = %s"
                     " ORDER BY id", (direct,)) == [{"step": "complete", "giver": "hethong.sxd"}]
