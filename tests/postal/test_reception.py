"""postal in nameko containers beside intake and routing, on the real broker and database:
delegations and the 500-dossier rule, delegated reception end to end, pick-up at home."""
from datetime import timedelta

import eventlet
import pytest

from services.common.consumer import DEAD_LETTER_QUEUE
from services.common.events import events_exchange, new_envelope
from services.common.rpc import rpc
from services.common.stationing import judged_half_year
from services.intake.service import IntakeService
from services.postal import intake as postal_intake
from services.postal.service import PostalService
from services.routing.service import RoutingService
from tests.conftest import (
    CATALOGUE,
    dossier_body,
    drain,
    local_today,
    procedure,
    publish_envelope,
    query,
    token,
    wait_for,
)

OFFICE = {"code": "BD-TRUNGTAM", "name": "Bưu điện Trung tâm tỉnh",
          "address": "2 Công xã Paris, phường Sài Gòn", "receiving_unit": "000.00.41.H33"}
MANAGER = token("manager")
CLERK = token("postal_clerk", post_office=OFFICE["code"], subject="clerk-lan")
TODAY = local_today()


@pytest.fixture
def stack(container_factory, config_for, client_for, topology, relays):
    """intake, routing and postal running with their relays; one post office registered."""
    intake_config = config_for("intake")
    postal_config = config_for("postal")
    container_factory(IntakeService, intake_config).start()
    container_factory(RoutingService, config_for("routing")).start()
    container_factory(PostalService, postal_config).start()
    relays("intake", "routing", "postal")
    postal = client_for(postal_config)
    assert postal.post("/api/v1/post-offices", json=OFFICE, token=MANAGER).status_code == 201
    return postal, client_for(intake_config), topology


def delegate(postal, department, **fields):
    body = {"department": department, "post_office": OFFICE["code"],
            "valid_from": (TODAY - timedelta(days=30)).isoformat(), **fields}
    return postal.post("/api/v1/delegations", json=body, token=MANAGER)


def receive(postal, department, clerk=CLERK, **overrides):
    proc = procedure(department=department, channel="postal")
    return postal.post("/api/v1/receptions", json=dossier_body(proc, **overrides), token=clerk)


def test_clerk_with_delegation_registers_a_postal_dossier_that_reaches_its_department(stack, db):
    postal, intake, amqp_uri = stack
    assert delegate(postal, "stp").status_code == 201
    response = receive(postal, "stp")
    assert response.status_code == 201, response.text
    created = response.json()
    # the code of the competent department, even when a post office receives it (art. 28)
    assert created["code"].startswith(CATALOGUE["departments"]["stp"]["identifier"] + "-")
    assert created["channel"] == "postal" and created["department"] == "stp"
    assert intake.get(created["receipt_url"], token=MANAGER).status_code == 200
    # the clerk prints it for the applicant; another post office's clerk does not see it
    assert intake.get(created["receipt_url"], token=CLERK).status_code == 200
    elsewhere = token("postal_clerk", post_office="BD-KHAC", subject="clerk-khac")
    assert intake.get(created["receipt_url"], token=elsewhere).status_code == 404
    wait_for(lambda: query(db, "SELECT 1 FROM routing.outbox WHERE published_at IS NOT NULL"
                               " AND routing_key = 'stp.dossier.assigned'"))
    [(_, message)] = drain(amqp_uri, "department.stp")
    assert message["dossier_code"] == created["code"]
    assert message["data"]["channel"] == "postal"
    assert message["data"]["receiver"]["post_office"] == OFFICE["code"]
    # postal counted the reception and the department's volume from intake's event, once
    [row] = wait_for(lambda: query(db, "SELECT * FROM postal.receptions"))
    assert (row["dossier_code"], row["clerk"]) == (created["code"], "clerk-lan")
    listed = postal.get("/api/v1/receptions", token=CLERK).json()["receptions"]
    assert [r["dossier_code"] for r in listed] == [created["code"]]
    volumes = postal.get("/api/v1/volumes?department=stp", token=MANAGER).json()["volumes"]
    assert [v["dossiers"] for v in volumes] == [1]


def test_a_redelivered_reception_event_is_counted_once(stack, db):
    postal, _, amqp_uri = stack
    assert delegate(postal, "stp").status_code == 201
    first = receive(postal, "stp").json()["code"]
    [event] = wait_for(lambda: query(db, "SELECT body FROM intake.outbox"
                                         " WHERE published_at IS NOT NULL"
                                         " AND routing_key = 'dossier.received'"))
    for _ in range(2):  # the broker delivering it again, twice
        publish_envelope(amqp_uri, event["body"])
    second = receive(postal, "stp").json()["code"]

    def volume():
        volumes = postal.get("/api/v1/volumes?department=stp", token=MANAGER).json()["volumes"]
        return volumes[0]["dossiers"] if volumes else 0

    wait_for(lambda: volume() >= 2)
    eventlet.sleep(1)  # time for any late copy to be (wrongly) counted
    assert volume() == 2
    receptions = query(db, "SELECT dossier_code FROM postal.receptions ORDER BY dossier_code")
    assert [r["dossier_code"] for r in receptions] == sorted([first, second])


def test_clerk_without_delegation_for_the_department_gets_403_and_nothing_is_registered(stack, db):
    postal, _, _ = stack
    assert delegate(postal, "stp").status_code == 201
    response = receive(postal, "syt")
    assert response.status_code == 403
    assert "sở, ngành syt" in response.json()["error"]["message"]
    other_office = token("postal_clerk", post_office="BD-KHAC")
    assert receive(postal, "stp", clerk=other_office).status_code == 403
    assert not query(db, "SELECT 1 FROM intake.dossiers")


def test_expired_and_future_delegations_do_not_let_a_clerk_receive(stack, db):
    postal, _, _ = stack
    expired = delegate(postal, "stp", valid_from=(TODAY - timedelta(days=60)).isoformat(),
                       valid_to=(TODAY - timedelta(days=1)).isoformat())
    assert expired.status_code == 201
    assert delegate(postal, "stp",
                    valid_from=(TODAY + timedelta(days=3)).isoformat()).status_code == 201
    response = receive(postal, "stp")
    assert response.status_code == 403 and "sở, ngành stp" in response.json()["error"]["message"]
    assert not query(db, "SELECT 1 FROM intake.dossiers")


def test_delegation_limited_to_listed_procedures(stack, db):
    postal, _, _ = stack
    listed, other = [p for p in _postal_procedures("stc")][:2]
    assert delegate(postal, "stc", procedures=[listed["code"]]).status_code == 201
    ok = postal.post("/api/v1/receptions", json=dossier_body(listed), token=CLERK)
    refused = postal.post("/api/v1/receptions", json=dossier_body(other), token=CLERK)
    assert ok.status_code == 201 and refused.status_code == 403
    stranger = delegate(postal, "stc", procedures=[procedure(department="stp")["code"]])
    assert stranger.status_code == 422 and "procedures" in stranger.json()["error"]["fields"]


def _postal_procedures(department):
    return [p for p in CATALOGUE["procedures"].values()
            if p["department"] == department and "postal" in p["channels"]]


def test_department_with_500_dossiers_in_the_first_half_year_needs_an_override(stack, db):
    postal, _, _ = stack
    # the delegation starts in September 2026: January–June 2026 decides
    half_year = [{"department": "sxd", "month": f"2026-0{m}", "dossiers": 80} for m in range(1, 7)]
    half_year[-1]["dossiers"] = 100  # 5 × 80 + 100 = 500
    assert postal.request("PUT", "/api/v1/volumes", json={"volumes": half_year},
                      token=MANAGER).status_code == 200
    refused = delegate(postal, "sxd", valid_from="2026-09-01")
    assert refused.status_code == 409
    assert "500 hồ sơ từ 2026-01-01 đến 2026-06-30" in refused.json()["error"]["message"]
    overridden = delegate(postal, "sxd", valid_from="2026-09-01",
                          override_reason="Sở Xây dựng thiếu biên chế, UBND tỉnh đồng ý tạm thời")
    assert overridden.status_code == 201
    record = overridden.json()
    assert record["override_reason"].startswith("Sở Xây dựng thiếu biên chế")
    assert record["volume"] == {"dossiers": 500, "from": "2026-01-01", "to": "2026-06-30"}
    # July does not count; a department at 499 may delegate without any reason
    assert postal.request("PUT", "/api/v1/volumes", json={"volumes": [
        {"department": "syt", "month": "2026-06", "dossiers": 499},
        {"department": "syt", "month": "2026-07", "dossiers": 900}]},
        token=MANAGER).status_code == 200
    assert delegate(postal, "syt", valid_from="2026-09-01").status_code == 201
    listed = postal.get("/api/v1/delegations", token=MANAGER).json()["delegations"]
    assert [(d["department"], d["override_reason"] is not None) for d in listed] == \
        [("sxd", True), ("syt", False)]


def test_delegation_input_is_checked(stack, db):
    postal, _, _ = stack
    unknown = delegate(postal, "sxyz")
    assert unknown.status_code == 422 and "department" in unknown.json()["error"]["fields"]
    reversed_dates = delegate(postal, "stp", valid_to="2020-01-01")
    assert reversed_dates.status_code == 422
    assert "valid_to" in reversed_dates.json()["error"]["fields"]
    clerk_try = postal.post("/api/v1/delegations", json={"department": "stp"}, token=CLERK)
    assert clerk_try.status_code == 403
    assert not query(db, "SELECT 1 FROM postal.delegations")


def test_idempotency_key_replays_the_same_receipt(stack, db):
    postal, _, _ = stack
    delegate(postal, "ca")
    proc = procedure(department="ca", channel="postal")
    headers = {"Idempotency-Key": "phieu-0001"}
    first = postal.post("/api/v1/receptions", json=dossier_body(proc), token=CLERK,
                        headers=dict(headers))
    again = postal.post("/api/v1/receptions", json=dossier_body(proc), token=CLERK,
                        headers=dict(headers))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    other_body = postal.post("/api/v1/receptions", json=dossier_body(proc, note="khác"),
                             token=CLERK, headers=dict(headers))
    assert other_body.status_code == 409
    assert len(query(db, "SELECT 1 FROM intake.dossiers")) == 1


def test_a_key_whose_dossier_intake_refused_serves_the_corrected_dossier(stack, db):
    postal, _, _ = stack
    delegate(postal, "ca")
    proc = procedure(department="ca", channel="postal")
    headers = {"Idempotency-Key": "phieu-0002"}
    refused = postal.post("/api/v1/receptions", json=dossier_body(proc, documents=[]),
                          token=CLERK, headers=dict(headers))
    corrected = postal.post("/api/v1/receptions", json=dossier_body(proc), token=CLERK,
                            headers=dict(headers))
    assert (refused.status_code, corrected.status_code) == (422, 201)
    assert len(query(db, "SELECT 1 FROM intake.dossiers")) == 1


class SilentIntake:
    """intake answering questions about its catalogue but never a registration."""

    name = "intake"

    @rpc
    def departments(self):
        return [{"code": "stp"}]

    @rpc
    def get_procedure(self, code):
        return {"code": code, "department": "stp", "channels": ["counter", "postal"]}

    @rpc
    def register_dossier(self, body, receiver, correlation_id):
        eventlet.sleep(5)


def test_an_unanswered_registration_is_504_and_its_key_stays_taken(
        container_factory, config_for, client_for, monkeypatch, db):
    monkeypatch.setattr(postal_intake, "REGISTRATION_TIMEOUT_SECONDS", 0.5)
    container_factory(SilentIntake, config_for("intake")).start()
    postal_config = config_for("postal")
    container_factory(PostalService, postal_config).start()
    postal = client_for(postal_config)
    assert postal.post("/api/v1/post-offices", json=OFFICE, token=MANAGER).status_code == 201
    assert delegate(postal, "stp").status_code == 201
    body = dossier_body(procedure(department="stp", channel="postal"))
    headers = {"Idempotency-Key": "phieu-0003"}
    silent = postal.post("/api/v1/receptions", json=body, token=CLERK, headers=dict(headers))
    assert (silent.status_code, silent.json()["error"]["code"]) == (504, "intake_timeout")
    again = postal.post("/api/v1/receptions", json=body, token=CLERK, headers=dict(headers))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "in_progress")


def test_without_intake_a_reception_is_503_and_nothing_is_kept(
        container_factory, config_for, client_for, db):
    postal_config = config_for("postal")
    container_factory(PostalService, postal_config).start()
    postal = client_for(postal_config)
    response = postal.post("/api/v1/receptions", token=CLERK, headers={"Idempotency-Key": "k"},
                           json=dossier_body(procedure(department="stp", channel="postal")))
    assert (response.status_code, response.json()["error"]["code"]) == \
        (503, "intake_unavailable")
    assert not query(db, "SELECT 1 FROM postal.idempotency_keys")


def test_incomplete_dossier_is_refused_by_intake_with_its_fields(stack, db):
    postal, _, _ = stack
    delegate(postal, "stp")
    response = receive(postal, "stp", documents=[])
    assert response.status_code == 422
    assert "documents" in response.json()["error"]["fields"]
    assert not query(db, "SELECT 1 FROM intake.dossiers")


def test_pickup_at_home_becomes_a_postal_dossier(stack, db):
    postal, _, amqp_uri = stack
    delegate(postal, "snnmt")
    proc = procedure(department="snnmt", channel="postal")
    order = postal.post("/api/v1/pickups", token=token("portal"), json={
        "post_office": OFFICE["code"], "pickup_address": "14 Lê Lợi, phường Bến Thành",
        "dossier": dossier_body(proc)})
    assert order.status_code == 201, order.text
    pickup = order.json()
    assert pickup["status"] == "requested" and pickup["fee"] == 30000
    pending = postal.get("/api/v1/pickups?status=requested", token=CLERK).json()["pickups"]
    assert [p["id"] for p in pending] == [pickup["id"]]
    too_early = postal.post(f"/api/v1/pickups/{pickup['id']}/received", token=CLERK)
    assert too_early.status_code == 409
    assert postal.post(f"/api/v1/pickups/{pickup['id']}/collected",
                       token=CLERK).status_code == 200
    received = postal.post(f"/api/v1/pickups/{pickup['id']}/received", token=CLERK)
    assert received.status_code == 201, received.text
    dossier = received.json()
    assert dossier["channel"] == "postal" and dossier["pickup"]["status"] == "received"
    assert postal.post(f"/api/v1/pickups/{pickup['id']}/received",
                       token=CLERK).status_code == 409
    wait_for(lambda: query(db, "SELECT 1 FROM routing.outbox WHERE published_at IS NOT NULL"
                               " AND routing_key = 'snnmt.dossier.assigned'"))
    assert [m["dossier_code"] for _, m in drain(amqp_uri, "department.snnmt")] == \
        [dossier["code"]]


def test_pickup_for_an_undelegated_department_is_refused(stack, db):
    postal, _, _ = stack
    proc = procedure(department="sct", channel="postal")
    order = postal.post("/api/v1/pickups", token=token("portal"), json={
        "post_office": OFFICE["code"], "pickup_address": "14 Lê Lợi, phường Bến Thành",
        "dossier": dossier_body(proc)})
    assert order.status_code == 422 and "sở, ngành sct" in order.json()["error"]["message"]
    assert not query(db, "SELECT 1 FROM postal.pickups")


def test_volumes_count_every_channel_once_even_when_intake_redelivers(stack, db):
    postal, intake, amqp_uri = stack
    proc = procedure(department="sxd")
    counter = intake.post("/api/v1/dossiers", json=dossier_body(proc),
                          token=token("counter_officer", department="sxd"))
    assert counter.status_code == 201
    wait_for(lambda: query(db, "SELECT 1 FROM postal.processed_messages"))
    [event] = query(db, "SELECT body FROM intake.outbox WHERE routing_key = 'dossier.received'")
    publish(amqp_uri, "intake", "dossier.received", event["body"])  # a redelivery
    wait_for(lambda: query(db, "SELECT 1 FROM routing.processed_messages"))
    eventlet.sleep(1)  # time for the redelivery to be consumed (and ignored)
    volumes = postal.get("/api/v1/volumes?department=sxd", token=MANAGER).json()["volumes"]
    assert [(v["month"], v["dossiers"]) for v in volumes] == [(TODAY.strftime("%Y-%m"), 1)]
    assert not query(db, "SELECT 1 FROM postal.receptions")  # not received by a post office


def test_result_by_post_without_an_address_is_dead_lettered(stack, db):
    _, _, amqp_uri = stack
    envelope = new_envelope("dossier.result_ready", "routing", {
        "code": "000.00.31.H33-261123-0001", "department": "stp", "procedure_name": "x",
        "result_reference": "1/QĐ", "ready_at": "2026-11-23T10:00:00+07:00",
        "delivery": {"method": "post", "address": None}, "releasable": True}, "corr-x")
    publish(amqp_uri, "routing", "dossier.result_ready", envelope)
    [(properties, body)] = wait_for(lambda: drain(amqp_uri, DEAD_LETTER_QUEUE))
    assert body["id"] == envelope["id"]
    assert "without an address" in properties.headers["x-motcua-reason"]
    assert not query(db, "SELECT 1 FROM postal.shipments")


def publish(amqp_uri, source, routing_key, envelope):
    publish_envelope(amqp_uri, envelope, events_exchange(source), routing_key)


def test_manager_ends_a_delegation_and_the_clerk_can_no_longer_receive(stack, db):
    postal, _, _ = stack
    delegation = delegate(postal, "skhcn").json()
    assert receive(postal, "skhcn").status_code == 201
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    ended = postal.post(f"/api/v1/delegations/{delegation['id']}/end", token=MANAGER,
                        json={"valid_to": yesterday, "reason": "Sở bố trí lại công chức"})
    assert ended.status_code == 200
    assert (ended.json()["valid_to"], ended.json()["end_reason"]) == \
        (yesterday, "Sở bố trí lại công chức")
    assert receive(postal, "skhcn").status_code == 403
    assert len(query(db, "SELECT 1 FROM intake.dossiers")) == 1
    unknown = postal.post("/api/v1/delegations/999999/end", token=MANAGER,
                          json={"valid_to": yesterday, "reason": "x" * 5})
    assert unknown.status_code == 404


def test_listing_flags_a_delegated_department_that_has_since_grown_past_the_threshold(stack, db):
    postal, _, _ = stack
    assert delegate(postal, "sct", valid_from=TODAY.isoformat()).status_code == 201
    first_day, _ = judged_half_year(TODAY)
    months = [{"department": "sct", "month": f"{first_day.year}-0{m}", "dossiers": 120}
              for m in range(1, 7)]
    assert postal.request("PUT", "/api/v1/volumes", json={"volumes": months},
                          token=MANAGER).status_code == 200
    [listed] = postal.get("/api/v1/delegations", token=MANAGER).json()["delegations"]
    assert listed["volume"]["dossiers"] == 0
    assert listed["volume_now"]["dossiers"] == 720
    assert listed["volume_now"]["must_station_officers"] is True

