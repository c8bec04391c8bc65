"""Online dossiers through intake's HTTP API, on worked dates (intake's clock pinned): an
online dossier waits unnumbered until a counter officer of the competent agency formally
receives it, which numbers it and starts its period that day, or asks for corrections; 8
office hours after submission the watch announces it once (Decree 118/2025 art. 17(2)(c))."""
from types import SimpleNamespace

import eventlet
import pytest

from services.common.clock import Clock
from services.intake.service import IntakeService
from tests.conftest import CATALOGUE, dossier_body, procedure, query, token, wait_for
from tests.routing.lifecycle_helpers import at

PORTAL = token("portal", subject="cong.dichvucong")
PROCEDURE = "1.001665"  # Đăng ký hoạt động Văn phòng công chứng: stp, 10 working days, online


def counter(department):
    return token("counter_officer", department=department, subject=f"motcua.{department}.01")


@pytest.fixture
def intake(container_factory, config_for, client_for):
    config = config_for("intake", RECEPTION_WATCH_SECONDS=0.1)
    container = container_factory(IntakeService, config)
    container.start()
    clock = next(d for d in container.dependencies if isinstance(d, Clock))
    return SimpleNamespace(http=client_for(config), clock=clock)


def submit(intake, when, proc_code=PROCEDURE, **headers):
    intake.clock.pinned = when
    body = dossier_body(CATALOGUE["procedures"][proc_code])
    return intake.http.post("/api/v1/submissions", token=PORTAL, json=body, headers=headers)


def receive(intake, submission_id, when, department="stp", **headers):
    intake.clock.pinned = when
    return intake.http.post(f"/api/v1/submissions/{submission_id}/reception",
                            token=counter(department), headers=headers)


def outbox(db, routing_key):
    return [row["body"] for row in query(
        db, "SELECT body FROM intake.outbox WHERE routing_key = %s ORDER BY seq", (routing_key,))]


def test_an_online_dossier_is_numbered_only_when_an_officer_formally_receives_it(intake, db):
    # Friday 9/1/2026 16:00: 1 office hour left that day, then the worked Saturday 10/1
    submitted = submit(intake, at("2026-01-09", 16))
    assert submitted.status_code == 201, submitted.text
    submission = submitted.json()
    assert submitted.headers["Location"] == f"/api/v1/submissions/{submission['id']}"
    assert (submission["status"], submission["dossier_code"]) == ("awaiting_reception", None)
    assert submission["receive_by"] == "2026-01-10T16:00:00+07:00"
    assert query(db, "SELECT 1 FROM intake.dossiers") == [] and outbox(db, "dossier.received") == []
    [awaiting] = outbox(db, "dossier.awaiting_reception")
    assert awaiting["dossier_code"] is None
    assert awaiting["data"]["submission_id"] == submission["id"]
    assert awaiting["data"]["receive_by"] == "2026-01-10T16:00:00+07:00"
    assert "applicant" not in awaiting["data"]  # nothing personal in the event log

    listed = intake.http.get("/api/v1/submissions", token=counter("stp")).json()
    assert [s["id"] for s in listed["submissions"]] == [submission["id"]]
    assert intake.http.get("/api/v1/submissions", token=counter("ca")).json()["count"] == 0

    # the officer receives it on Saturday 10/1 at 09:00: numbered that day, due 10 working
    # days after it (12-16/1 and 19-23/1): Friday 23/1/2026
    received = receive(intake, submission["id"], at("2026-01-10", 9))
    assert received.status_code == 201, received.text
    dossier = received.json()
    # numbered with the competent department's identifier, not the center's (art. 28(2)(a))
    [center] = [c for c in CATALOGUE["centers"].values() if c["level"] == "province"]
    stp = CATALOGUE["departments"]["stp"]["identifier"]
    assert dossier["code"] == f"{stp}-260110-0001" and stp != center["identifier"]
    assert (dossier["channel"], dossier["received_at"], dossier["due_at"]) == (
        "online", "2026-01-10T09:00:00+07:00", "2026-01-23")
    assert dossier["paper_handover_on"] is None
    [event] = outbox(db, "dossier.received")
    assert event["data"]["code"] == dossier["code"]
    assert event["data"]["submission_id"] == submission["id"]
    assert (event["data"]["receiving_unit"], event["data"]["center"]) == (
        center["identifier"], center["code"])
    assert event["data"]["procedure"]["department_name"] == "Sở Tư pháp"
    assert event["data"]["receiver"] == {"kind": "counter_officer", "id": "motcua.stp.01",
                                         "department": "stp", "center": None}
    # the portal finds the code and the receipt (with the lookup secret) from its submission
    shown = intake.http.get(f"/api/v1/submissions/{submission['id']}", token=PORTAL).json()
    assert (shown["status"], shown["dossier_code"]) == ("received", dossier["code"])
    receipt = intake.http.get(shown["receipt_url"], token=PORTAL).json()
    assert receipt["lookup_secret"] == dossier["lookup_secret"]
    assert receipt["received_at"].startswith("2026-01-10T09:00")

    again = receive(intake, submission["id"], at("2026-01-10", 10))
    assert again.status_code == 409 and dossier["code"] in again.json()["error"]["message"]
    assert len(outbox(db, "dossier.received")) == 1


def test_asking_for_corrections_ends_the_submission_unnumbered(intake, db):
    submission = submit(intake, at("2026-11-23", 9)).json()
    asked = intake.http.post(f"/api/v1/submissions/{submission['id']}/corrections",
                             token=counter("stp"), json={
                                 "documents": [{"name": "Đơn đăng ký hoạt động",
                                                "note": "thiếu chữ ký"}],
                                 "reason": "Đơn chưa ký."})
    assert asked.status_code == 200, asked.text
    assert asked.json()["status"] == "corrections_requested"
    assert asked.json()["corrections"]["reason"] == "Đơn chưa ký."
    [event] = outbox(db, "dossier.corrections_requested")
    assert event["data"]["submission_id"] == submission["id"]
    assert event["data"]["documents"] == [{"name": "Đơn đăng ký hoạt động",
                                           "note": "thiếu chữ ký"}]
    late = receive(intake, submission["id"], at("2026-11-23", 10))
    assert late.status_code == 409 and late.json()["error"]["code"] == "already_decided"
    assert query(db, "SELECT 1 FROM intake.dossiers") == []
    empty = intake.http.post(f"/api/v1/submissions/{submission['id']}/corrections",
                             token=counter("stp"), json={"documents": [], "reason": "x"})
    assert empty.status_code == 422 and "documents" in empty.json()["error"]["fields"]


def test_the_watch_announces_once_an_online_dossier_not_received_within_8_office_hours(
        intake, db):
    submission = submit(intake, at("2026-01-09", 16)).json()  # due for reception Sat 16:00
    intake.clock.pinned = at("2026-01-10", 15, 59)
    eventlet.sleep(0.5)  # several ticks of the watch
    assert outbox(db, "dossier.reception_overdue") == []
    intake.clock.pinned = at("2026-01-10", 16)
    [overdue] = wait_for(lambda: outbox(db, "dossier.reception_overdue"))
    assert overdue["data"]["submission_id"] == submission["id"]
    assert overdue["data"]["detected_at"] == "2026-01-10T16:00:00+07:00"
    eventlet.sleep(0.5)
    assert len(outbox(db, "dossier.reception_overdue")) == 1
    shown = intake.http.get(f"/api/v1/submissions/{submission['id']}", token=counter("stp"))
    assert shown.json()["reception_overdue"] is True
    # late, but still received: the period counts from the formal reception
    assert receive(intake, submission["id"], at("2026-01-12", 8)).json()["due_at"] == "2026-01-26"


def test_another_agency_sees_no_such_online_dossier(intake, db):
    submission = submit(intake, at("2026-11-23", 9)).json()
    path = f"/api/v1/submissions/{submission['id']}"
    for response in (intake.http.get(path, token=counter("ca")),
                     receive(intake, submission["id"], at("2026-11-23", 10), department="ca"),
                     intake.http.post(path + "/corrections", token=counter("ca"), json={
                         "documents": [{"name": "Đơn"}], "reason": "thiếu"}),
                     intake.http.get("/api/v1/submissions/khong-co", token=counter("stp")),
                     receive(intake, "00000000-0000-0000-0000-000000000000",
                             at("2026-11-23", 10))):
        assert response.status_code == 404, response.text
    assert query(db, "SELECT status FROM intake.submissions") == [
        {"status": "awaiting_reception"}]
    managed = intake.http.get("/api/v1/submissions?department=stp", token=token("manager"))
    assert managed.json()["count"] == 1


def test_a_retried_submission_and_reception_with_the_same_key_have_their_effect_once(intake,
                                                                                     db):
    first = submit(intake, at("2026-11-23", 9), **{"Idempotency-Key": "dvc-0001"})
    again = submit(intake, at("2026-11-23", 9), **{"Idempotency-Key": "dvc-0001"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(outbox(db, "dossier.awaiting_reception")) == 1
    submission_id = first.json()["id"]
    received = receive(intake, submission_id, at("2026-11-23", 10),
                       **{"Idempotency-Key": "nhan-0001"})
    replayed = receive(intake, submission_id, at("2026-11-23", 10),
                       **{"Idempotency-Key": "nhan-0001"})
    assert (received.status_code, replayed.status_code) == (201, 200)
    assert replayed.json()["code"] == received.json()["code"]
    assert len(outbox(db, "dossier.received")) == 1


@pytest.mark.parametrize("change,named", [
    ({"procedure_code": "9.999999"}, "procedure_code"),
    ({"procedure_code": "1.001756"}, "procedure_code"),  # not offered online
    ({"documents": []}, "documents"),
])
def test_an_online_dossier_the_procedure_refuses_is_not_kept(intake, db, change, named):
    intake.clock.pinned = at("2026-11-23", 9)
    body = {**dossier_body(CATALOGUE["procedures"][PROCEDURE]), **change}
    refused = intake.http.post("/api/v1/submissions", token=PORTAL, json=body)
    assert refused.status_code == 422 and named in refused.json()["error"]["fields"]
    assert query(db, "SELECT 1 FROM intake.submissions") == []
    assert outbox(db, "dossier.awaiting_reception") == []


def test_the_portal_cannot_number_a_dossier_itself(intake):
    refused = intake.http.post("/api/v1/dossiers", token=PORTAL,
                               json=dossier_body(procedure(channel="online")))
    assert refused.status_code == 403
