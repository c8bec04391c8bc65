"""Dossiers use documents, in one process on the real broker and database: intake registers a
dossier only with scans docstore holds, clean, of the competent agency and in no other dossier
(asked by RPC; docstore down: 503 and nothing stored); routing's `complete` names the agency's
signed result, which becomes the electronic result the citizen downloads with the receipt's
lookup secret. A scan joins one dossier only: of two receptions naming it at once, one is
registered and the other refused, naming the document, with nothing stored for it."""
import hashlib
import uuid
from types import SimpleNamespace

import eventlet
import pytest

from services.common.topology import declare_department_queues, with_channel
from services.intake.service import IntakeService
from services.routing.service import RoutingService
from tests.conftest import CATALOGUE, dossier_body, query, wait_for
from tests.docstore.conftest import (
    AGENCY,
    OFFICER,
    OTHER_OFFICER,
    metadata,
    scanned_jpeg,
    upload,
    wait_signed,
)

PROCEDURE = "1.001756"  # Thành lập Văn phòng công chứng: stp, no fee


@pytest.fixture
def services(docstore, container_factory, config_for, client_for, relays):
    """intake, routing and docstore with their relays."""
    intake_config = config_for("intake")
    routing_config = config_for("routing", DEADLINE_WATCH_SECONDS=3600)
    container_factory(IntakeService, intake_config).start()
    container_factory(RoutingService, routing_config).start()
    with_channel(routing_config["AMQP_URI"], declare_department_queues,
                 sorted(CATALOGUE["departments"]))
    relays("intake", "routing")
    return SimpleNamespace(docstore=docstore[0], intake=client_for(intake_config),
                           routing=client_for(routing_config))


def dossier_with(*document_ids):
    """A dossier of PROCEDURE whose first documents name the given scans."""
    body = dossier_body(CATALOGUE["procedures"][PROCEDURE])
    for document, document_id in zip(body["documents"], document_ids, strict=False):
        document["document_id"] = document_id
    return body


def register(intake, body, **headers):
    return intake.post("/api/v1/dossiers", json=body, token=OFFICER, headers=headers)


def described(client, caller=OFFICER):
    """A document described but without its file yet."""
    made = client.post("/api/v1/documents", json=metadata(), token=caller)
    assert made.status_code == 201, made.text
    return made.json()["id"]


def dossiers_stored(db):
    return query(db, "SELECT count(*) AS n FROM intake.dossiers")[0]["n"]


def test_a_dossier_is_registered_only_with_usable_scans_of_its_agency(services, db):
    scanned, sent = upload(services.docstore, metadata(), scanned_jpeg())
    assert sent.status_code == 202

    unknown = register(services.intake, dossier_with(str(uuid.uuid4())))
    assert unknown.status_code == 409, unknown.text
    assert "Không có tài liệu điện tử" in unknown.json()["error"]["fields"][
        "documents.0.document_id"][0]
    waiting = register(services.intake, dossier_with(scanned, described(services.docstore)))
    assert waiting.status_code == 409
    assert list(waiting.json()["error"]["fields"]) == ["documents.1.document_id"]
    assert "chưa có tệp quét" in waiting.json()["error"]["fields"]["documents.1.document_id"][0]
    foreign = register(services.intake,
                       dossier_with(described(services.docstore, OTHER_OFFICER), scanned))
    assert foreign.status_code == 403
    assert "documents.0.document_id" in foreign.json()["error"]["message"]
    assert "cơ quan khác" in foreign.json()["error"]["fields"]["documents.0.document_id"][0]
    twice = register(services.intake, dossier_with(scanned, scanned))
    assert twice.status_code == 422 and "documents" in twice.json()["error"]["fields"]
    assert dossiers_stored(db) == 0

    first = register(services.intake, dossier_with(scanned), **{"Idempotency-Key": "scan-1"})
    assert first.status_code == 201, first.text
    code = first.json()["code"]
    wait_for(lambda: query(db, "SELECT 1 FROM docstore.documents WHERE id = %s"
                               " AND dossier_code = %s", (scanned, code)))
    again = register(services.intake, dossier_with(scanned), **{"Idempotency-Key": "scan-1"})
    assert again.status_code == 200 and again.json()["code"] == code
    second = register(services.intake, dossier_with(scanned))
    assert second.status_code == 409
    assert f"đã thuộc hồ sơ {code}" in second.json()["error"]["fields"][
        "documents.0.document_id"][0]
    assert dossiers_stored(db) == 1


def test_docstore_down_refuses_a_dossier_with_scans_and_stores_nothing(
        container_factory, config_for, client_for, topology, db):
    config = config_for("intake")
    container_factory(IntakeService, config).start()
    intake = client_for(config)
    refused = register(intake, dossier_with(str(uuid.uuid4())))
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "docstore_unavailable"
    assert "chưa được tiếp nhận" in refused.json()["error"]["message"]
    assert refused.headers["Retry-After"]
    assert dossiers_stored(db) == 0
    assert not query(db, "SELECT 1 FROM intake.outbox WHERE routing_key = 'dossier.received'")
    paper_only = register(intake, dossier_with())
    assert paper_only.status_code == 201  # a dossier naming no scan does not need docstore


@pytest.fixture
def unannounced_intake(docstore, container_factory, config_for, client_for):
    """intake without its relay: docstore never hears of the dossiers it registers, so its
    check says a scan is free whatever intake stored."""
    config = config_for("intake")
    container_factory(IntakeService, config).start()
    return docstore[0], client_for(config)


def test_two_receptions_naming_one_scan_at_once_register_one_dossier(unannounced_intake, db):
    docstore, intake = unannounced_intake
    scanned, sent = upload(docstore, metadata(), scanned_jpeg())
    assert sent.status_code == 202
    both = [eventlet.spawn(register, intake, dossier_with(scanned)) for _ in range(2)]
    answers = sorted((answer.status_code, answer.json()) for answer in
                     (thread.wait() for thread in both))
    (registered, winner), (refused, loser) = answers
    assert (registered, refused) == (201, 409), answers
    assert loser["error"]["code"] == "documents_not_usable"
    assert list(loser["error"]["fields"]) == ["documents.0.document_id"]
    assert f"đã thuộc hồ sơ {winner['code']}" in loser["error"]["fields"][
        "documents.0.document_id"][0]
    assert dossiers_stored(db) == 1
    assert query(db, "SELECT dossier_code FROM intake.dossier_scans") == [
        {"dossier_code": winner["code"]}]
    # only the winner's dossier.received (docstore attaches the scan from it), no number
    # used by the refused one: the next dossier of the day follows the winner's
    assert len(query(db, "SELECT 1 FROM intake.outbox WHERE routing_key = 'dossier.received'"
                         )) == 1
    paper_only = register(intake, dossier_with())
    assert paper_only.status_code == 201
    assert int(paper_only.json()["code"][-4:]) == int(winner["code"][-4:]) + 1


def test_a_scan_docstore_still_thinks_free_is_refused_once_a_dossier_holds_it(
        unannounced_intake, db):
    docstore, intake = unannounced_intake
    scanned, _ = upload(docstore, metadata(), scanned_jpeg())
    first = register(intake, dossier_with(scanned), **{"Idempotency-Key": "race-1"})
    assert first.status_code == 201, first.text
    second = register(intake, dossier_with(scanned))
    assert second.status_code == 409, second.text
    assert f"đã thuộc hồ sơ {first.json()['code']}" in second.json()["error"]["fields"][
        "documents.0.document_id"][0]
    again = register(intake, dossier_with(scanned), **{"Idempotency-Key": "race-1"})
    assert again.status_code == 200 and again.json()["code"] == first.json()["code"]
    assert dossiers_stored(db) == 1


def complete(services, code, **body):
    return services.routing.post(f"/api/v1/dossiers/{code}/actions/complete",
                                 json={"result_reference": "15/QĐ-STP", **body}, token=AGENCY)


def test_the_completed_dossiers_signed_result_is_the_citizens_electronic_result(
        services, worker, db):
    scanned, _ = upload(services.docstore, metadata(), scanned_jpeg())
    received = register(services.intake, dossier_with(scanned))
    assert received.status_code == 201, received.text
    code, secret = received.json()["code"], received.json()["lookup_secret"]
    wait_for(lambda: query(db, "SELECT 1 FROM routing.dossiers WHERE code = %s", (code,)))
    accepted = services.routing.post(f"/api/v1/dossiers/{code}/actions/accept", json={},
                                     token=AGENCY)
    assert accepted.status_code == 200, accepted.text

    result, _ = upload(services.docstore, metadata(
        kind="result", document_type="qd_thanh_lap_vpcc", dossier_code=code,
        title="Quyết định cho phép thành lập Văn phòng công chứng"),
        scanned_jpeg(("QUYẾT ĐỊNH", "Cho phép thành lập Văn phòng công chứng")), caller=AGENCY)
    assert wait_signed(db, result, worker)["status"] == "signed"
    # signed, but not the dossier's result until the agency completes the dossier with it
    assert services.docstore.get(f"/api/v1/dossiers/{code}/result?secret={secret}"
                                 ).status_code == 404

    unknown = complete(services, code, result_document_id=str(uuid.uuid4()))
    assert unknown.status_code == 409
    assert "result_document_id" in unknown.json()["error"]["fields"]
    not_a_result = complete(services, code, result_document_id=scanned)
    assert not_a_result.status_code == 409
    assert "không phải kết quả" in not_a_result.json()["error"]["fields"]["result_document_id"][0]
    assert query(db, "SELECT status FROM routing.dossiers WHERE code = %s",
                 (code,))[0]["status"] == "processing"

    completed = complete(services, code, result_document_id=result)
    assert completed.status_code == 200, completed.text
    assert completed.json()["status"] == "result_ready"
    wait_for(lambda: query(db, "SELECT 1 FROM docstore.documents WHERE id = %s"
                               " AND issued_at IS NOT NULL", (result,)))
    assert services.docstore.get(f"/api/v1/dossiers/{code}/result?secret=WRONG123"
                                 ).status_code == 404
    download = services.docstore.get(f"/api/v1/dossiers/{code}/result?secret={secret}")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    signed = services.docstore.get(f"/api/v1/documents/{result}", token=AGENCY).json()
    assert hashlib.sha256(download.content).hexdigest() == signed["sha256"]
    verified = services.docstore.get(f"/api/v1/documents/{result}/verification",
                                     token=AGENCY).json()
    assert verified["intact"] and verified["valid"] and verified["trusted"]
    issued = query(db, "SELECT body FROM docstore.outbox WHERE routing_key = 'result.issued'")
    assert [(row["body"]["data"]["code"], row["body"]["data"]["document_id"])
            for row in issued] == [(code, result)]
