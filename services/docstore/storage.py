"""Where files' bytes live, behind one interface, content-addressed by SHA-256: the same
bytes are kept once whatever the number of documents that hold them, and a key names no
person. PostgreSQL (`bytea` in chunks, in the caller's transaction) is the embedded default;
the S3 API (boto3: SeaweedFS, Ceph, a cloud's) is for production. No backend is asked to
overwrite: a key already present is left as it is."""
import hashlib

from nameko.extensions import DependencyProvider

from services.common.settings import read_settings

from . import store
from .settings import DocstoreSettings

CHUNK_BYTES = 1024 * 1024


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


class MissingBlob(LookupError):
    """The storage has no file under this key (lost, or another backend's)."""


class PostgresStorage:
    """Files in docstore.blobs/blob_chunks, written in the caller's transaction: the file and
    the document row that names it are committed together or not at all."""

    name = "postgresql"

    def put(self, cur, data):
        key = sha256_of(data)
        if store.insert_blob(cur, key, len(data)):
            store.insert_chunks(cur, key, [data[i:i + CHUNK_BYTES]
                                           for i in range(0, len(data), CHUNK_BYTES)] or [b""])
        return key

    def get(self, cur, key):
        chunks = store.blob_chunks(cur, key)
        if chunks is None:
            raise MissingBlob(key)
        return b"".join(chunks)


class S3Storage:
    """Files as objects named by their SHA-256 in one bucket (created when missing). The
    object is written before the transaction that names it commits: a rolled-back one leaves
    an object nothing names, never a document without its file."""

    name = "s3"

    def __init__(self, endpoint, bucket, region, access_key, secret_key):
        import boto3  # only where S3 is used
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client(
            "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))
        self._bucket_ready = False

    def _ensure_bucket(self):
        if self._bucket_ready:
            return
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)
        self._bucket_ready = True

    def put(self, cur, data):
        key = sha256_of(data)
        self._ensure_bucket()
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data,
                               ChecksumAlgorithm="SHA256")
        return key

    def get(self, cur, key):
        from botocore.exceptions import ClientError

        try:
            data = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            raise MissingBlob(key) from exc
        if sha256_of(data) != key:
            raise MissingBlob(f"{key}: the stored bytes do not match their key")
        return data


def storage_of(settings):
    if settings.storage == "s3":
        return S3Storage(settings.s3_endpoint, settings.s3_bucket, settings.s3_region,
                         settings.s3_access_key, settings.s3_secret_key)
    return PostgresStorage()


class DocumentStorage(DependencyProvider):
    """Injects the storage backend the settings name (DOCSTORE_STORAGE)."""

    def setup(self):
        self.storage = storage_of(read_settings(DocstoreSettings, self.container.config))

    def get_dependency(self, worker_ctx):
        return self.storage
