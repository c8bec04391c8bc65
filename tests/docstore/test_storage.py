"""The storage backends hold the same document byte for byte: PostgreSQL (bytea in chunks)
and the S3 API (SeaweedFS on loopback); the same bytes are kept once under their SHA-256.

The S3 client runs in a child process, as in the document worker and under `nameko run`:
pytest's plugins load `ssl` before this test process is patched by eventlet, and boto3 then
recurses in eventlet's SSLContext."""
import hashlib
import os
import subprocess
import sys

import pytest

from scripts.seaweedfs import SeaweedS3
from services.docstore.storage import CHUNK_BYTES, MissingBlob, PostgresStorage
from tests.conftest import connect
from tests.docstore.conftest import scanned_jpeg

S3_ROUND_TRIP = """
import sys
from services.docstore.storage import MissingBlob, S3Storage
s3 = S3Storage(sys.argv[1], "motcua-documents-test", "us-east-1", "test", "test")
data = sys.stdin.buffer.read()
key = s3.put(None, data)
assert s3.put(None, data) == key
back = s3.get(None, key)
try:
    s3.get(None, "0" * 64)
    missing = "found"
except MissingBlob:
    missing = "missing"
sys.stdout.buffer.write(key.encode() + b" " + missing.encode() + b"\\n" + back)
"""


def s3_round_trip(endpoint, data):
    """(key, what a missing key gives, the bytes read back) through the S3 backend."""
    done = subprocess.run([sys.executable, "-c", S3_ROUND_TRIP, endpoint], input=data,
                          capture_output=True, check=True, timeout=120)
    head, _, back = done.stdout.partition(b"\n")
    key, missing = head.decode().split()
    return key, missing, back


@pytest.fixture(scope="module")
def seaweed():
    with SeaweedS3() as running:
        yield running


def a_document():
    """A scan and some random bytes past two chunks, so chunk boundaries are crossed."""
    return scanned_jpeg() + os.urandom(2 * CHUNK_BYTES + 12345)


def test_the_same_document_round_trips_through_postgresql_and_s3(db, db_url, seaweed):
    data = a_document()
    postgres = PostgresStorage()
    with connect(db_url) as conn, conn.cursor() as cur:
        key_pg = postgres.put(cur, data)
        assert postgres.put(cur, data) == key_pg  # kept once
        cur.execute("SELECT count(*) AS n FROM docstore.blob_chunks WHERE sha256 = %s", (key_pg,))
        assert cur.fetchone()["n"] == 3
    with connect(db_url) as conn, conn.cursor() as cur:
        from_pg = postgres.get(cur, key_pg)
    key_s3, missing, from_s3 = s3_round_trip(seaweed.endpoint, data)
    assert key_pg == key_s3 == hashlib.sha256(data).hexdigest()
    assert from_pg == from_s3 == data
    assert missing == "missing"
    with connect(db_url) as conn, conn.cursor() as cur, pytest.raises(MissingBlob):
        PostgresStorage().get(cur, "0" * 64)
