"""The two-phase external signer (a remote signing service such as the national CA's): the
file's hash goes out, the signature value comes back, and the PDF it makes verifies intact,
valid and trusted; a value signed over other bytes does not. The state kept between the
phases goes through JSON, as it would wait in a database. pyHanko runs in a child process
(it cannot inside an eventlet green thread). Wired to the worker and the HTTP API
(DOCSTORE_SIGNER=external): a document awaits its signature, the signer fetches what to sign
and sends the value back, the worker embeds it; a wrong value is refused and another awaited."""
import base64
import json
import subprocess
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import query
from tests.docstore.conftest import (
    AGENCY,
    OFFICER,
    WorkerProcess,
    metadata,
    scanned_jpeg,
    upload,
    wait_signed,
)

TWO_PHASES = """
import json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from services.docstore import pdfa, signing, verification

ca, wrong = sys.argv[1], sys.argv[2] == "wrong"
pdf = pdfa.to_pdfa(sys.stdin.buffer.read(), "image/jpeg", "vie", 200)
external = signing.ExternalSigning(f"{ca}/agency.cert.pem", [f"{ca}/root.cert.pem"])
state, to_sign = external.prepare(pdf)
kept = json.dumps({k: v.hex() if isinstance(v, bytes) else v for k, v in state.items()})
# the remote service: it holds the key and sees only the bytes to sign
key = serialization.load_pem_private_key(open(f"{ca}/agency.key.pem", "rb").read(), None)
value = key.sign(b"other bytes" if wrong else to_sign, ec.ECDSA(hashes.SHA256()))
state = {k: bytes.fromhex(v) if isinstance(v, str) else v for k, v in json.loads(kept).items()}
print(json.dumps(verification.verify(external.finish(state, value), [f"{ca}/root.cert.pem"])))
"""


def two_phases(test_ca, wrong=False):
    done = subprocess.run([sys.executable, "-c", TWO_PHASES, str(test_ca),
                           "wrong" if wrong else "right"], input=scanned_jpeg(),
                          capture_output=True, check=True, timeout=120)
    return json.loads(done.stdout)


def test_a_remote_signature_on_the_hash_makes_a_trusted_pdf(test_ca):
    verified = two_phases(test_ca)
    assert verified["intact"] and verified["valid"] and verified["trusted"], verified
    assert verified["covers_whole_file"] and "Cơ quan giải quyết" in verified["signer"]


def test_a_signature_over_other_bytes_does_not_verify(test_ca):
    verified = two_phases(test_ca, wrong=True)
    assert not verified["valid"] and "hợp lệ" not in verified["summary"]


def wait_until(db, sql, params, timeout=120, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker is not None and worker.process.poll() is not None:
            raise AssertionError(f"the worker stopped: {worker.log()[-2000:]}")
        if query(db, sql, params):
            return
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout} s: {sql}")


def remote_signature(test_ca, data):
    """The remote service: it holds the agency's key and sees only the bytes to sign."""
    key = serialization.load_pem_private_key((test_ca / "agency.key.pem").read_bytes(), None)
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def test_a_result_awaits_the_remote_signature_and_is_signed_with_it(docstore, db, test_ca,
                                                                    tmp_path):
    client, config = docstore
    worker = WorkerProcess(config, tmp_path / "worker.log", {
        "DOCSTORE_SIGNER": "external", "DOCSTORE_EXTERNAL_CERT_DIR": str(test_ca)}).start()
    try:
        document_id, _ = upload(client, metadata(kind="result", title="Quyết định"),
                                scanned_jpeg(), caller=AGENCY)
        wait_until(db, "SELECT 1 FROM docstore.documents WHERE id = %s"
                       " AND status = 'awaiting_signature'", (document_id,), worker=worker)
        path = f"/api/v1/documents/{document_id}"
        assert client.get(f"{path}/signing-request", token=OFFICER).status_code == 403
        asked = client.get(f"{path}/signing-request", token=AGENCY)
        assert asked.status_code == 200, asked.text
        request = asked.json()
        assert request["signer"] == "agency" and "Cơ quan giải quyết" in request["certificate"]
        to_sign = base64.b64decode(request["to_sign"])

        garbled = client.request("PUT", f"{path}/signature", token=AGENCY,
                                 json={"signature": "không phải base64"})
        assert garbled.status_code == 422 and "signature" in garbled.json()["error"]["fields"]
        wrong = client.request("PUT", f"{path}/signature", token=AGENCY,
                               json={"signature": remote_signature(test_ca, b"other bytes")})
        assert wrong.status_code == 202, wrong.text
        wait_until(db, "SELECT 1 FROM docstore.signing_requests WHERE document_id = %s"
                       " AND refused IS NOT NULL", (document_id,), worker=worker)
        again = client.get(f"{path}/signing-request", token=AGENCY).json()
        assert again["refused"] and not again["signature_pending"]

        right = client.request("PUT", f"{path}/signature", token=AGENCY,
                               json={"signature": remote_signature(test_ca, to_sign)})
        assert right.status_code == 202
        assert wait_signed(db, document_id, worker)["status"] == "signed", worker.log()
        verified = client.get(f"{path}/verification", token=AGENCY).json()
        assert verified["intact"] and verified["valid"] and verified["trusted"], verified
        assert verified["covers_whole_file"] and "Cơ quan giải quyết" in verified["signer"]
        late = client.request("PUT", f"{path}/signature", token=AGENCY,
                              json={"signature": remote_signature(test_ca, to_sign)})
        assert late.status_code == 409
        signed = query(db, "SELECT routing_key FROM docstore.outbox"
                           " WHERE routing_key = 'document.signed'")
        assert len(signed) == 1
    finally:
        worker.stop()
