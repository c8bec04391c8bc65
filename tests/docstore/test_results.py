"""Dossiers use documents: the documents scanned at the counter join their dossier when intake
receives it (dossier.received names them); one already held is offered again for the same
owner and reused without a new scan or a copy of the bytes; the agency's signed electronic
result is downloaded by the citizen with the receipt's lookup secret (a wrong one is
answered as an unknown dossier) and every download is audited; the report gives the
digitised shares per agency and month."""
from datetime import datetime

from services.common.contracts import DossierReceived, ResultReady
from services.common.events import TIMEZONE, event
from tests.conftest import local_today, lookup_fields, publish_envelope, query, wait_for
from tests.docstore.conftest import (
    AGENCY,
    MANAGER,
    OFFICER,
    OTHER_OFFICER,
    OWNER_ID,
    metadata,
    scanned_jpeg,
    upload,
    wait_signed,
)

CODE = "000.00.21.H01-261204-0001"
SECRET = "ABCDEFGH"


def dossier_received(code=CODE, document_ids=()):
    return event("intake", "dossier.received", DossierReceived, {
        "code": code,
        "procedure": {"code": "1.001756", "name": "Thành lập Văn phòng công chứng",
                      "department": "stp", "cooperating": [], "processing_days": 10,
                      "day_kind": "working", "fee": 0, "charge": 0, "postal_return": True,
                      "refund_on_refusal": False, "hold_result_until_paid": False},
        "channel": "counter", "receiving_unit": "000.00.21.H01",
        "received_at": datetime.now(TIMEZONE), "due_date": "2026-12-18",
        "applicant": {"full_name": "Trần Thị Bích Ngọc", "citizen_id": "*********234",
                      "phone": "0912345678", "email": None, "address": "25 Nguyễn Huệ"},
        "documents": [{"key": "giay_to_dat", "name": "Giấy tờ đất", "copies": 1,
                       **({"document_id": str(i)} if i else {})}
                      for i in (document_ids or [None])],
        "result_delivery": "counter", "delivery_address": None,
        **lookup_fields(SECRET),
        "receiver": {"kind": "counter_officer", "id": "canbo-motcua-01"},
        "center": "trung_tam_tinh",
    }, "corr-docstore", code)


def result_ready(document_id, code=CODE, releasable=True):
    """dossier.result_ready as routing publishes it when the agency completes the dossier."""
    return event("routing", "dossier.result_ready", ResultReady, {
        "code": code, "department": "stp", "procedure_name": "Thành lập Văn phòng công chứng",
        "result_reference": "15/QĐ-STP", "ready_at": datetime.now(TIMEZONE),
        "delivery": {"method": "counter"}, "releasable": releasable,
        "result_document_id": document_id}, "corr-docstore", code)


def test_scans_join_their_dossier_are_reused_and_the_result_reaches_the_citizen(
        docstore, worker, db):
    client, config = docstore
    scanned, _ = upload(client, metadata(), scanned_jpeg())
    wait_signed(db, scanned, worker)
    publish_envelope(config["AMQP_URI"], dossier_received(document_ids=[scanned]))
    wait_for(lambda: query(db, "SELECT 1 FROM docstore.documents WHERE id = %s"
                               " AND dossier_code = %s", (scanned, CODE)))
    listed = client.get(f"/api/v1/dossiers/{CODE}/documents", token=OFFICER).json()
    assert [d["id"] for d in listed["documents"]] == [scanned]
    assert client.get(f"/api/v1/dossiers/{CODE}/documents",
                      token=OTHER_OFFICER).json() == {"documents": []}

    # a second dossier of the same citizen: the land certificate is offered, then reused
    offers = client.post("/api/v1/reuse-offers", token=OFFICER,
                         json={"owner_id": OWNER_ID, "document_type": "gcn_qsdd"}).json()
    assert [d["id"] for d in offers["documents"]] == [scanned]
    assert client.post("/api/v1/reuse-offers", token=OFFICER, json={
        "owner_id": "079190009999", "document_type": "gcn_qsdd"}).json()["documents"] == []
    stranger = client.post(f"/api/v1/documents/{scanned}/reuse", token=OFFICER,
                           json={"owner_id": "079190009999"})
    assert stranger.status_code == 404
    reused = client.post(f"/api/v1/documents/{scanned}/reuse", token=OFFICER,
                         json={"owner_id": OWNER_ID, "catalogue_key": "giay_to_dat"})
    assert reused.status_code == 201
    second = reused.json()
    assert second["source"] == "reuse" and second["reused_from"] == scanned
    assert second["status"] == "signed" and second["sha256"] == offers["documents"][0]["sha256"]
    assert query(db, "SELECT count(*) AS n FROM docstore.blobs")[0]["n"] == 2  # no copy

    # the agency's result, signed by the agency: the citizen downloads it with the secret
    result, _ = upload(client, metadata(kind="result", title="Quyết định cho phép thành lập",
                                        document_type="qd_ket_qua", dossier_code=CODE),
                       scanned_jpeg(("QUYẾT ĐỊNH", "Cho phép thành lập Văn phòng công chứng")),
                       caller=AGENCY)
    wait_signed(db, result, worker)
    # held while the fees are unpaid: not the citizen's yet; released: issued once
    publish_envelope(config["AMQP_URI"], result_ready(result, releasable=False))
    assert client.get(f"/api/v1/dossiers/{CODE}/result?secret={SECRET}").status_code == 404
    publish_envelope(config["AMQP_URI"], result_ready(result))
    wait_for(lambda: query(db, "SELECT 1 FROM docstore.documents WHERE id = %s"
                               " AND issued_at IS NOT NULL", (result,)))
    publish_envelope(config["AMQP_URI"], result_ready(result))  # another event: same result
    assert client.get(f"/api/v1/dossiers/{CODE}/result?secret=WRONGONE").status_code == 404
    assert client.get("/api/v1/dossiers/000.00.21.H01-261204-0999/result?secret=" + SECRET
                      ).status_code == 404
    download = client.get(f"/api/v1/dossiers/{CODE}/result?secret={SECRET}")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    verified = client.get(f"/api/v1/documents/{result}/verification", token=AGENCY).json()
    assert verified["trusted"] and verified["intact"] and "Cơ quan giải quyết" in verified["signer"]
    assert query(db, "SELECT who FROM docstore.downloads WHERE document_id = %s",
                 (result,)) == [{"who": "citizen"}]
    issued = query(db, "SELECT body FROM docstore.outbox WHERE routing_key = 'result.issued'")
    assert [row["body"]["data"]["code"] for row in issued] == [CODE]

    month = local_today().strftime("%Y-%m")
    report = client.get(f"/api/v1/reports?from={month}&to={month}", token=MANAGER).json()
    [stp] = report["agencies"]
    assert (stp["department"], stp["dossiers"], stp["dossiers_digitised"]) == ("stp", 1, 1)
    assert stp["digitised_share"] == 1.0 and stp["results_electronic_share"] == 1.0
