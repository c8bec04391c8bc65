"""The upload pipeline on a real clamd (EICAR test signature), PostgreSQL and RabbitMQ: an
infected file is quarantined and refused in Vietnamese, a clean one is stored and handed to
the worker, nothing is stored while the scanner is down, and only the allowed types (by
their bytes) of an allowed size get in."""
from services.docstore.service import DocstoreService
from tests.conftest import query
from tests.docstore.conftest import OFFICER, OTHER_OFFICER, metadata, scanned_jpeg, upload
from tooling.clamav import EICAR, Clamd


def blobs(db):
    return query(db, "SELECT count(*) AS n FROM docstore.blobs")[0]["n"]


def status_of(db, document_id):
    return query(db, "SELECT status, scan_signature FROM docstore.documents WHERE id = %s",
                 (document_id,))[0]


def test_an_infected_upload_is_quarantined_and_refused_in_vietnamese(docstore, db):
    client, _ = docstore
    # EICAR behind a PDF header: an allowed type by its first bytes, caught by the scan
    document_id, answer = upload(client, metadata(), b"%PDF-1.4\n" + EICAR)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert "mã độc" in error["message"] and "cách ly" in error["fields"]["content"][0]
    assert status_of(db, document_id)["status"] == "quarantined"
    assert status_of(db, document_id)["scan_signature"].startswith("Eicar-Test-Signature")
    assert blobs(db) == 0


def test_a_clean_scan_is_stored_once_and_queued_for_the_worker(docstore, db):
    client, _ = docstore
    document_id, answer = upload(client, metadata(), scanned_jpeg())
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "processing"
    row = query(db, "SELECT source_media_type, source_sha256 FROM docstore.documents"
                    " WHERE id = %s", (document_id,))[0]
    assert row["source_media_type"] == "image/jpeg" and len(row["source_sha256"]) == 64
    assert blobs(db) == 1
    job = query(db, "SELECT routing_key, body FROM docstore.outbox")[0]
    assert job["routing_key"] == "document.accepted"
    assert job["body"]["data"]["document_id"] == document_id
    # the file is given once: a second one is a conflict, not a replacement
    again = client.request("PUT", f"/api/v1/documents/{document_id}/content", token=OFFICER,
                           data=scanned_jpeg())
    assert again.status_code == 409


def test_with_clamd_stopped_nothing_is_stored_and_the_answer_is_503(
        container_factory, docstore_config, client_for, db):
    scanner = Clamd().start()
    config = docstore_config(CLAMD_ADDRESS=scanner.address)
    container_factory(DocstoreService, config).start()
    client = client_for(config)
    scanner.close()
    document_id, answer = upload(client, metadata(), scanned_jpeg())
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]
    assert "quét" in answer.json()["error"]["message"]
    assert status_of(db, document_id)["status"] == "awaiting_content"
    assert blobs(db) == 0
    assert query(db, "SELECT count(*) AS n FROM docstore.outbox")[0]["n"] == 0


def test_types_are_read_from_the_bytes_and_the_size_is_limited(
        container_factory, docstore_config, client_for, db):
    config = docstore_config(DOCSTORE_MAX_UPLOAD_BYTES=4096)
    container_factory(DocstoreService, config).start()
    client = client_for(config)
    _, answer = upload(client, metadata(), b"MZ\x90\x00 an executable named scan.pdf",
                       media="application/pdf")
    assert answer.status_code == 422
    assert "PDF, JPEG, PNG, TIFF" in answer.json()["error"]["fields"]["content"][0]
    _, answer = upload(client, metadata(), b"%PDF-1.4\n" + b"0" * 5000)
    assert answer.status_code == 413
    _, answer = upload(client, metadata(), b"")
    assert answer.status_code == 422
    assert blobs(db) == 0


def test_metadata_is_checked_and_agencies_are_kept_apart(docstore):
    client, _ = docstore
    answer = client.post("/api/v1/documents", json=metadata(owner={}), token=OFFICER)
    assert answer.status_code == 422 and "owner.id" in answer.json()["error"]["fields"]
    answer = client.post("/api/v1/documents", json=metadata(valid_from="2026-01-02",
                                                            valid_until="2026-01-01"),
                         token=OFFICER)
    assert "valid_until" in answer.json()["error"]["fields"]
    document_id, _ = upload(client, metadata(), scanned_jpeg())
    assert client.get(f"/api/v1/documents/{document_id}", token=OFFICER).status_code == 200
    assert client.get(f"/api/v1/documents/{document_id}", token=OTHER_OFFICER).status_code == 404
    assert client.request("PUT", f"/api/v1/documents/{document_id}/content",
                          token=OTHER_OFFICER, data=b"%PDF-").status_code == 404
    seen = client.get(f"/api/v1/documents/{document_id}", token=OFFICER).json()
    assert seen["owner"]["id"] == "*********234"
