"""docstore's settings, read and checked once at start (README.md, "Settings"). The HTTP
service and the document worker read the same ones from the same config.yml."""
from marshmallow import fields, validate

from services.common.lookup import Pepper, required_setting
from services.common.settings import SettingsSchema

STORAGES = ("postgresql", "s3")
SIGNERS = ("local", "pkcs11", "external")


class DocstoreSettings(SettingsSchema):
    """What the service and its document worker both read."""
    # the largest file one upload may bring (bytes)
    max_upload_bytes = fields.Integer(data_key="DOCSTORE_MAX_UPLOAD_BYTES",
                                      load_default=20 * 1024 * 1024,
                                      validate=validate.Range(min=1024))
    spool_dir = fields.String(data_key="DOCSTORE_SPOOL_DIR", load_default="/tmp")
    storage = fields.String(data_key="DOCSTORE_STORAGE", load_default="postgresql",
                            validate=validate.OneOf(STORAGES))
    s3_endpoint = fields.String(data_key="DOCSTORE_S3_ENDPOINT", load_default=None)
    s3_bucket = fields.String(data_key="DOCSTORE_S3_BUCKET", load_default="motcua-documents")
    s3_region = fields.String(data_key="DOCSTORE_S3_REGION", load_default="us-east-1")
    s3_access_key = fields.String(data_key="DOCSTORE_S3_ACCESS_KEY", load_default=None)
    s3_secret_key = fields.String(data_key="DOCSTORE_S3_SECRET_KEY", load_default=None)
    # clamd: "host:port" or the path of its unix socket
    clamd = fields.String(data_key="CLAMD_ADDRESS", load_default="127.0.0.1:3310")
    clamd_timeout = fields.Float(data_key="CLAMD_TIMEOUT_SECONDS", load_default=60.0,
                                 validate=validate.Range(min=0.1))
    # PDF/A and OCR (Circular 01/2023/TT-VPCP: PDF/A, about 200 dpi)
    ocr_languages = fields.String(data_key="DOCSTORE_OCR_LANGUAGES", load_default="vie")
    image_dpi = fields.Integer(data_key="DOCSTORE_IMAGE_DPI", load_default=200,
                               validate=validate.Range(min=72, max=1200))
    # who signs: a local key (the test CA's), a PKCS#11 token, or a remote service in two
    # phases (the hash out, the signature in: documents wait `awaiting_signature`)
    signer = fields.String(data_key="DOCSTORE_SIGNER", load_default="local",
                           validate=validate.OneOf(SIGNERS))
    local_key_dir = fields.String(data_key="DOCSTORE_LOCAL_KEY_DIR", load_default="var/test-ca")
    # the remote signer's certificates (officer.cert.pem, agency.cert.pem) and their chain
    # (root.cert.pem): the keys stay with the remote service
    external_cert_dir = fields.String(data_key="DOCSTORE_EXTERNAL_CERT_DIR",
                                      load_default="var/external-signer")
    # the roots a signature must chain to (PEM files, comma-separated; none: the test CA's)
    trust_roots = fields.String(data_key="DOCSTORE_TRUST_ROOTS", load_default=None)
    pkcs11_module = fields.String(data_key="PKCS11_MODULE", load_default=None)
    pkcs11_token = fields.String(data_key="PKCS11_TOKEN_LABEL", load_default=None)
    pkcs11_pin = fields.String(data_key="PKCS11_PIN", load_default=None)
    pkcs11_key_label = fields.String(data_key="PKCS11_KEY_LABEL", load_default="motcua-signer")
    thumbnail_dpi = fields.Integer(data_key="DOCSTORE_THUMBNAIL_DPI", load_default=40,
                                   validate=validate.Range(min=10, max=150))


class DocstoreServiceSettings(DocstoreSettings):
    """The HTTP service's: the worker never sees the lookup key."""
    # checks the citizen's lookup secret (routing's proof in dossier.received) before a result
    # is downloaded: the same key as intake's and routing's
    lookup_pepper = required_setting(Pepper, "LOOKUP_PEPPER",
                                     "the citizen's lookup secret opens the electronic result")
