"""docstore under test: the nameko service in a container, a clamd of our own with the
EICAR test signature (tooling/clamav.py), a test CA, and the document worker as a process of
its own (no eventlet), all on the real PostgreSQL and RabbitMQ."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts import docstore_demo
from services.docstore import testca
from services.docstore.service import DocstoreService
from tests.conftest import query, token
from tooling.clamav import Clamd

ROOT = Path(__file__).resolve().parents[2]
DEPARTMENT = "stp"
OFFICER = token("counter_officer", department=DEPARTMENT, subject="canbo-motcua-01")
OTHER_OFFICER = token("counter_officer", department="sxd", subject="canbo-sxd")
AGENCY = token("department_officer", department=DEPARTMENT, subject="chuyenvien-stp")
MANAGER = token("manager", subject="giamdoc")
PHRASE = "Giấy chứng nhận quyền sử dụng đất"
OWNER_ID = "079190001234"


def scanned_jpeg(lines=("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", PHRASE,
                        "Người được cấp: Trần Thị Bích Ngọc")):
    """A page as a scanner gives it: a JPEG at 200 dpi with Vietnamese text."""
    return docstore_demo.scanned_jpeg(lines)


def metadata(**fields):
    return {"document_type": "gcn_qsdd", "title": "Giấy chứng nhận quyền sử dụng đất",
            "summary": "Thửa đất số 12, tờ bản đồ số 5", "owner": {"id": OWNER_ID},
            "issuer": "UBND tỉnh An Giang", "issued_on": "2020-05-04",
            "valid_from": "2020-05-04", "validity_scope": "Toàn quốc",
            "catalogue_key": "giay_to_dat", **fields}


@pytest.fixture(scope="session")
def clamd():
    with Clamd() as running:
        yield running


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    directory = tmp_path_factory.mktemp("test-ca")
    testca.create(directory)
    return directory


@pytest.fixture
def docstore_config(config_for, clamd, test_ca, tmp_path):
    return lambda **overrides: config_for("docstore", **{
        "CLAMD_ADDRESS": clamd.address, "DOCSTORE_LOCAL_KEY_DIR": str(test_ca),
        "DOCSTORE_SPOOL_DIR": str(tmp_path), **overrides})


@pytest.fixture
def docstore(container_factory, docstore_config, client_for, topology, relays):
    """docstore with its relay: its client and config."""
    config = docstore_config()
    container_factory(DocstoreService, config).start()
    relays("docstore")
    return client_for(config), config


class WorkerProcess:
    """The document worker as the Procfile runs it, on the test database and vhost."""

    def __init__(self, config, log_path, env=None):
        self.env = {**os.environ, "DB_URL": config["DB_URL"], "AMQP_URI": config["AMQP_URI"],
                    "DOCSTORE_LOCAL_KEY_DIR": config["DOCSTORE_LOCAL_KEY_DIR"],
                    "DOCSTORE_WORKER_METRICS_PORT": "0", **(env or {})}
        self.log_path = log_path
        self.process = None

    def start(self):
        self.process = subprocess.Popen([sys.executable, "-m", "services.docstore.worker"],
                                        cwd=ROOT, env=self.env, stdout=open(self.log_path, "ab"),
                                        stderr=subprocess.STDOUT)
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def log(self):
        return Path(self.log_path).read_text(errors="replace")


@pytest.fixture
def worker(docstore, tmp_path):
    _, config = docstore
    running = WorkerProcess(config, tmp_path / "worker.log").start()
    yield running
    running.stop()


def upload(client, body, content, caller=OFFICER, media="application/octet-stream"):
    """(metadata answer, content answer)."""
    made = client.post("/api/v1/documents", json=body, token=caller)
    assert made.status_code == 201, made.text
    document_id = made.json()["id"]
    sent = client.request("PUT", f"/api/v1/documents/{document_id}/content", token=caller,
                          data=content, headers={"Content-Type": media})
    return document_id, sent


def wait_signed(db, document_id, worker=None, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker is not None and worker.process.poll() is not None:
            raise AssertionError(f"the worker stopped: {worker.log()[-2000:]}")
        rows = query(db, "SELECT status, failure FROM docstore.documents WHERE id = %s",
                     (document_id,))
        if rows and rows[0]["status"] in ("signed", "failed"):
            return rows[0]
        time.sleep(0.3)
    raise AssertionError(f"document {document_id} not signed in {timeout} s")
