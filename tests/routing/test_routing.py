"""intake → outbox relay → routing → department queue, in nameko containers on the real
broker and database."""

from prometheus_client import REGISTRY

from services.common.consumer import DEAD_LETTER_QUEUE, reliable_handler
from services.common.events import events_exchange, new_envelope
from tests.conftest import (
    CATALOGUE,
    dossier_body,
    drain,
    procedure,
    publish_envelope,
    query,
    token,
    wait_for,
)


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
    proc = procedure(department="sxd")
    assert (data["procedure"]["sector_code"], data["procedure"]["sector_name"]) == (
        proc["sector_code"], "Hoạt động xây dựng")
    assert query(db, "SELECT sector_code, sector_name FROM routing.dossiers") == [
        {"sector_code": proc["sector_code"], "sector_name": "Hoạt động xây dựng"}]
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


def test_a_commune_center_receives_a_provincial_procedure_for_the_department_s_queue(
        intake_and_routing, db):
    """Any center of the province receives any procedure of the province (Decree 118/2025
    art. 14(2)(b), 20): one of a commune center's own staff receives a dossier of the
    Department of Construction; it is numbered with the department's identifier and reaches
    the department's queue, the center named as the one that received it."""
    intake, _, amqp_uri = intake_and_routing
    commune = CATALOGUE["centers"]["tt_my_hoa_hung"]
    assert commune["level"] == "commune"
    staff = token("counter_officer", center=commune["code"], subject="motcua.myhoahung.01")
    response = intake.post("/api/v1/dossiers", token=staff,
                           json=dossier_body(procedure(department="sxd")))
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    assert code.startswith(CATALOGUE["departments"]["sxd"]["identifier"] + "-")
    wait_for(lambda: query(db, "SELECT 1 FROM routing.outbox WHERE published_at IS NOT NULL"
                               " AND routing_key = 'sxd.dossier.assigned'"))
    [(_, message)] = drain(amqp_uri, "department.sxd")
    assert message["dossier_code"] == code
    assert (message["data"]["center"], message["data"]["receiving_unit"]) == (
        commune["code"], commune["identifier"])
    assert message["data"]["procedure"]["department_name"] == "Sở Xây dựng"
    assert query(db, "SELECT department FROM routing.dossiers") == [{"department": "sxd"}]


def test_a_commune_procedure_received_at_the_provincial_center_reaches_its_commune_agency(
        intake_and_routing, db):
    intake, _, amqp_uri = intake_and_routing
    birth = CATALOGUE["procedures"]["1.001193"]  # đăng ký khai sinh: every commune committee
    staff = token("counter_officer", center="trung_tam_tinh", subject="motcua.tinh.09")
    response = intake.post("/api/v1/dossiers", token=staff,
                           json=dossier_body(birth, agency="ubnd_rach_gia"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["code"].startswith(
        CATALOGUE["departments"]["ubnd_rach_gia"]["identifier"] + "-")
    assert created["department"] == "ubnd_rach_gia"
    wait_for(lambda: query(db, "SELECT 1 FROM routing.outbox WHERE published_at IS NOT NULL"
                               " AND routing_key = 'ubnd_rach_gia.dossier.assigned'"))
    [(_, message)] = drain(amqp_uri, "department.ubnd_rach_gia")
    assert message["dossier_code"] == created["code"]
    assert message["data"]["procedure"]["department_name"] == "Ủy ban nhân dân phường Rạch Giá"
    assert message["data"]["procedure"]["sector_name"] == "Hộ tịch"


def test_an_organisation_s_dossier_through_an_authorised_person_reaches_its_department(
        intake_and_routing, db):
    intake, routing, amqp_uri = intake_and_routing
    body = dossier_body(procedure(department="stc"))
    body["applicant"].update(
        kind="business", organisation={"name": "Công ty Cổ phần Thạnh Lợi",
                                       "tax_code": "1700123456", "address": "5 Lạc Hồng, Rạch Giá"},
        authorised_person={"full_name": "Phạm Thị Hồng", "citizen_id": "091190007788",
                           "phone": "0939000222", "address": "8 Nguyễn Trung Trực, Rạch Giá",
                           "authorisation": {"reference": "02/UQ-TL", "signed_on": "2026-02-02"}})
    created = intake.post("/api/v1/dossiers", json=body,
                          token=token("counter_officer", department="stc")).json()
    wait_for(lambda: query(db, "SELECT 1 FROM routing.outbox WHERE published_at IS NOT NULL"
                               " AND routing_key = 'stc.dossier.assigned'"))
    [(_, message)] = drain(amqp_uri, "department.stc")
    applicant = message["data"]["applicant"]
    assert applicant["organisation"]["tax_code"] == "1700123456"
    assert applicant["authorised_person"]["citizen_id"] == "*********788"
    assert applicant["authorised_person"]["authorisation"]["reference"] == "02/UQ-TL"
    lookup = routing.get(f"/api/v1/dossiers/{created['code']}?secret={created['lookup_secret']}")
    assert lookup.status_code == 200
