"""The document worker as its own process (no eventlet): a scanned JPEG becomes a PDF/A-2B
whose text layer holds the Vietnamese on the page, signed by the counter officer's test
certificate; the verification endpoint finds it intact, valid and trusted, and a copy with
one byte flipped fails; a redelivered job makes no second file and no second signature."""
import json
import subprocess
import time

import pika

from services.common.events import events_exchange
from tests.conftest import query
from tests.docstore.conftest import (
    MANAGER,
    OFFICER,
    OTHER_OFFICER,
    PHRASE,
    metadata,
    scanned_jpeg,
    upload,
    wait_signed,
)


def pdf_text(pdf):
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def test_a_scan_becomes_a_signed_pdfa_with_vietnamese_text_that_verifies(docstore, worker, db):
    client, _ = docstore
    document_id, answer = upload(client, metadata(), scanned_jpeg())
    assert answer.status_code == 202
    assert wait_signed(db, document_id, worker)["status"] == "signed", worker.log()

    seen = client.get(f"/api/v1/documents/{document_id}", token=OFFICER).json()
    assert seen["status"] == "signed" and seen["pages"] == 1
    assert "Cán bộ một cửa" in seen["signer"]
    pdf = client.get(f"/api/v1/documents/{document_id}/file", token=OFFICER)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert PHRASE in pdf_text(pdf.content)
    assert b"<pdfaid:part>2</pdfaid:part>" in pdf.content \
        or b'pdfaid:part="2"' in pdf.content
    assert b"<pdfaid:conformance>B</pdfaid:conformance>" in pdf.content \
        or b'pdfaid:conformance="B"' in pdf.content

    verified = client.get(f"/api/v1/documents/{document_id}/verification", token=OFFICER).json()
    assert verified["intact"] and verified["valid"] and verified["trusted"]
    assert verified["covers_whole_file"] and "hợp lệ" in verified["summary"]

    # one byte flipped in storage: the verification says so
    sha = seen["sha256"]
    with db.cursor() as cur:
        cur.execute("UPDATE docstore.blob_chunks SET data = overlay(data placing"
                    " decode(lpad(to_hex(get_byte(data, 2000) # 1), 2, '0'), 'hex')"
                    " from 2001 for 1) WHERE sha256 = %s AND seq = 0", (sha,))
    tampered = client.get(f"/api/v1/documents/{document_id}/verification", token=OFFICER).json()
    assert not (tampered["intact"] and tampered["valid"])
    assert "sửa đổi" in tampered["summary"]


def test_inline_pdfs_are_sandboxed_thumbnails_served_and_downloads_audited(docstore, worker, db):
    client, _ = docstore
    document_id, _ = upload(client, metadata(), scanned_jpeg())
    wait_signed(db, document_id, worker)
    inline = client.get(f"/api/v1/documents/{document_id}/file?inline=1", token=OFFICER)
    assert inline.headers["Content-Security-Policy"].startswith("sandbox")
    assert inline.headers["X-Content-Type-Options"] == "nosniff"
    assert inline.headers["Content-Disposition"].startswith("inline")
    assert client.get(f"/api/v1/documents/{document_id}/file", token=MANAGER).status_code == 200
    thumb = client.get(f"/api/v1/documents/{document_id}/pages/1/thumbnail", token=MANAGER)
    assert thumb.status_code == 200 and thumb.content.startswith(b"\x89PNG")
    assert client.get(f"/api/v1/documents/{document_id}/pages/9/thumbnail",
                      token=MANAGER).status_code == 404
    assert client.get(f"/api/v1/documents/{document_id}/file",
                      token=OTHER_OFFICER).status_code == 404
    audit = query(db, "SELECT who, role, inline FROM docstore.downloads ORDER BY id")
    assert [(a["who"], a["inline"]) for a in audit] == [
        ("canbo-motcua-01", True), ("giamdoc", False)]


def test_a_redelivered_job_makes_no_second_file_and_no_second_signature(
        docstore, worker, db):
    client, config = docstore
    document_id, _ = upload(client, metadata(), scanned_jpeg())
    first = wait_signed(db, document_id, worker)
    assert first["status"] == "signed"
    before = query(db, "SELECT sha256, signed_at FROM docstore.documents WHERE id = %s",
                   (document_id,))[0]
    job = query(db, "SELECT body FROM docstore.outbox WHERE routing_key = 'document.accepted'")[0]
    connection = pika.BlockingConnection(pika.URLParameters(config["AMQP_URI"]))
    channel = connection.channel()
    for _ in range(2):  # the same envelope, as a broker redelivers it
        channel.basic_publish(events_exchange("docstore"), "document.accepted",
                              json.dumps(job["body"]).encode())
    connection.close()
    for _ in range(150):
        if worker.log().count('"outcome": "skipped"') >= 2:
            break
        time.sleep(0.2)
    assert worker.log().count('"outcome": "skipped"') >= 2, worker.log()
    after = query(db, "SELECT sha256, signed_at FROM docstore.documents WHERE id = %s",
                  (document_id,))[0]
    assert after == before
    # the upload and its one signed PDF/A: two files, one document.signed event
    assert query(db, "SELECT count(*) AS n FROM docstore.blobs")[0]["n"] == 2
    assert query(db, "SELECT count(*) AS n FROM docstore.outbox"
                     " WHERE routing_key = 'document.signed'")[0]["n"] == 1
