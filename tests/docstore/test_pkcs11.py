"""Signing through PKCS#11 on SoftHSM2: the agency's key lives on a token (imported there
as a real agency would have it issued), the document worker signs a certified copy with it,
and the signature verifies against the test root."""
import os
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.docstore.conftest import AGENCY, WorkerProcess, metadata, scanned_jpeg, upload, wait_signed

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN, PIN, LABEL = "motcua-test", "246810", "motcua-signer"


@pytest.fixture
def token_with_agency_key(tmp_path, test_ca):
    """A SoftHSM2 token of our own (its own configuration and directory) holding the test
    CA's agency key and certificate; the environment that finds it."""
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN,
                    "--so-pin", "13579135"], env=env, check=True, capture_output=True)
    subprocess.run(["softhsm2-util", "--import", str(test_ca / "agency.key.pem"), "--token", TOKEN,
                    "--label", LABEL, "--id", "01", "--pin", PIN], env=env, check=True,
                   capture_output=True)
    cert = x509.load_pem_x509_certificate((test_ca / "agency.cert.pem").read_bytes())
    subprocess.run([sys.executable, "-c", STORE_CERT, cert.public_bytes(Encoding.DER).hex(),
                    cert.subject.public_bytes().hex()], env=env, check=True)
    return {"SOFTHSM2_CONF": str(conf), "DOCSTORE_SIGNER": "pkcs11", "PKCS11_MODULE": MODULE,
            "PKCS11_TOKEN_LABEL": TOKEN, "PKCS11_PIN": PIN, "PKCS11_KEY_LABEL": LABEL}


# in a child process: the library reads SOFTHSM2_CONF once, when it is first loaded
STORE_CERT = f"""
import sys, pkcs11
from pkcs11 import Attribute, CertificateType, ObjectClass
token = pkcs11.lib({MODULE!r}).get_token(token_label={TOKEN!r})
with token.open(user_pin={PIN!r}, rw=True) as session:
    session.create_object({{
        Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
        Attribute.VALUE: bytes.fromhex(sys.argv[1]), Attribute.SUBJECT: bytes.fromhex(sys.argv[2]),
        Attribute.LABEL: {LABEL!r}, Attribute.ID: b"\\x01", Attribute.TOKEN: True}})
"""


def test_the_agency_signs_a_certified_copy_through_pkcs11(docstore, token_with_agency_key, db,
                                                         tmp_path):
    client, config = docstore
    worker = WorkerProcess(config, tmp_path / "worker.log", token_with_agency_key).start()
    try:
        document_id, answer = upload(client, metadata(kind="copy", title="Bản sao chứng thực"),
                                     scanned_jpeg(), caller=AGENCY)
        assert answer.status_code == 202
        assert wait_signed(db, document_id, worker)["status"] == "signed", worker.log()
    finally:
        worker.stop()
    seen = client.get(f"/api/v1/documents/{document_id}", token=AGENCY).json()
    assert "Cơ quan giải quyết" in seen["signer"]
    verified = client.get(f"/api/v1/documents/{document_id}/verification", token=AGENCY).json()
    assert verified["intact"] and verified["valid"] and verified["trusted"], verified
