"""docstore's HTTP bodies. Messages are meant for a counter or department officer to read."""
import base64
import binascii

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

# marshmallow's messages in Vietnamese (services/common/messages.py) before a field is built
import services.common  # noqa: F401,E402

from .filetypes import SIGNATURES

KINDS = ("reception", "copy", "result")
SOURCES = ("scan", "upload")
STATUSES = ("awaiting_content", "processing", "awaiting_signature", "signed", "quarantined",
            "failed")
CODE = validate.Regexp(r"^[A-Za-z0-9._-]{1,60}$",
                       error="Từ 1 đến 60 ký tự: chữ, chữ số, dấu chấm, - hoặc _.")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class OwnerSchema(_Strict):
    """The owner (art. 19(2)): an identifier, or else name, birth year, issue date, issuer."""
    id = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[0-9A-Z-]{9,20}$", error="Số định danh cá nhân 12 chữ số, hoặc mã số doanh nghiệp, "
                                   "mã số thuế."), metadata={"example": "079190001234"})
    name = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(min=1, max=200))
    birth_year = fields.Integer(load_default=None, allow_none=True,
                                validate=validate.Range(min=1880, max=2100))

    @validates_schema
    def check_identified(self, data, **kwargs):
        if not data.get("id") and not (data.get("name") and data.get("birth_year")):
            raise ValidationError("Cần số định danh của chủ sở hữu, hoặc họ tên và năm sinh.",
                                  "id")


class DocumentSchema(_Strict):
    kind = fields.String(load_default="reception", validate=validate.OneOf(KINDS), metadata={
        "description": "reception: a scan handed in (the officer signs); copy: a certified "
                       "copy, result: a dossier's result (the agency signs)"})
    source = fields.String(load_default="scan", validate=validate.OneOf(SOURCES))
    document_type = fields.String(required=True, validate=CODE, metadata={
        "description": "the document-type code", "example": "don_de_nghi"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=300),
                          metadata={"example": "Đơn đề nghị"})
    summary = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=2000))
    owner = fields.Nested(OwnerSchema, required=True)
    issued_on = fields.Date(load_default=None, allow_none=True)
    issuer = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_until = fields.Date(load_default=None, allow_none=True)
    validity_scope = fields.String(load_default=None, allow_none=True,
                                   validate=validate.Length(max=300),
                                   metadata={"example": "Toàn quốc"})
    dossier_code = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(min=1, max=60))
    catalogue_key = fields.String(load_default=None, allow_none=True, validate=CODE, metadata={
        "description": "the procedure's required-document key it answers"})
    department = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(min=1, max=20), metadata={
        "description": "the competent agency (center staff name it; others have it in "
                       "their token)", "example": "stp"})

    @validates_schema
    def check_period(self, data, **kwargs):
        if data.get("valid_from") and data.get("valid_until") \
                and data["valid_until"] < data["valid_from"]:
            raise ValidationError("Không được trước ngày bắt đầu hiệu lực (valid_from).",
                                  "valid_until")


class DocumentView(Schema):
    id = fields.UUID()
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    document_type = fields.String()
    title = fields.String()
    summary = fields.String(allow_none=True)
    owner = fields.Dict(metadata={"description": "the owner's identifier masked to its last "
                                                 "three digits, name, birth year"})
    issued_on = fields.Date(allow_none=True)
    issuer = fields.String(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    validity_scope = fields.String(allow_none=True)
    dossier_code = fields.String(allow_none=True)
    catalogue_key = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    source = fields.String()
    reused_from = fields.UUID(allow_none=True)
    sha256 = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    pages = fields.Integer(allow_none=True)
    digitised_by = fields.String()
    digitised_at = fields.AwareDateTime()
    signer = fields.String(allow_none=True)
    signed_at = fields.AwareDateTime(allow_none=True)


class DocumentList(Schema):
    documents = fields.List(fields.Nested(DocumentView))


class FileQuerySchema(_Strict):
    inline = fields.Boolean(load_default=False, metadata={
        "description": "1: shown in the browser (sandboxed), else an attachment"})


class ResultQuerySchema(_Strict):
    secret = fields.String(load_default=None, validate=validate.Length(min=1, max=40),
                           metadata={"description": "the lookup secret on the receipt: the "
                                                    "citizen needs no token"})


class ReuseQuerySchema(_Strict):
    owner_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Z-]{9,20}$"))
    document_type = fields.String(required=True, validate=CODE)


class ReuseSchema(_Strict):
    owner_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Z-]{9,20}$"),
                             metadata={"description": "the owner's identifier, as the citizen "
                                                      "gives it: the document must be theirs"})
    dossier_code = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(min=1, max=60))
    catalogue_key = fields.String(load_default=None, allow_none=True, validate=CODE)


class VerificationView(Schema):
    intact = fields.Boolean(metadata={"description": "the signed bytes are unchanged"})
    valid = fields.Boolean(metadata={"description": "the signature is cryptographically sound"})
    trusted = fields.Boolean(metadata={"description": "the signer chains to a trusted root"})
    covers_whole_file = fields.Boolean()
    signer = fields.String(allow_none=True)
    signed_at = fields.String(allow_none=True)
    summary = fields.String()


class SignatureValue(fields.String):
    """Bytes sent as base64 text: the value a remote signing service returned."""

    default_error_messages = {"base64": "Giá trị chữ ký phải là base64 (RFC 4648)."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise self.make_error("base64") from exc


class SignatureSchema(_Strict):
    signature = SignatureValue(required=True, validate=validate.Length(min=8, max=16384),
                               metadata={"description": "the remote signer's value over "
                                                        "to_sign (base64): DER for ECDSA",
                                         "example": "MEUCIQDh9pZ7oQ=="})


class SigningRequestView(Schema):
    document_id = fields.UUID()
    signer = fields.String(metadata={"description": "officer (the counter officer's "
                                                    "certificate) or agency"})
    certificate = fields.String(metadata={"description": "the subject of the certificate the "
                                                         "signature must be made with"})
    digest_algorithm = fields.String(metadata={"example": "sha256"})
    to_sign = fields.String(metadata={"description": "base64 of the CMS signed attributes "
                                                     "(DER), which hold the file's digest: "
                                                     "sign them with digest_algorithm"})
    to_sign_digest = fields.String(metadata={"description": "their SHA-256, hex, for a "
                                                            "service that signs a hash"})
    requested_at = fields.AwareDateTime()
    signature_pending = fields.Boolean(metadata={"description": "a value was sent back and "
                                                                "waits to be embedded"})
    refused = fields.String(allow_none=True, metadata={
        "description": "why the last value sent back was refused"})


class ReportQuerySchema(_Strict):
    month_from = fields.String(required=True, data_key="from", validate=validate.Regexp(
        r"^[12][0-9]{3}-(0[1-9]|1[0-2])$", error="Nhập tháng theo dạng năm-tháng, ví dụ 2026-03."))
    month_to = fields.String(required=True, data_key="to", validate=validate.Regexp(
        r"^[12][0-9]{3}-(0[1-9]|1[0-2])$", error="Nhập tháng theo dạng năm-tháng, ví dụ 2026-03."))


# Any Content-Type is taken alike: the file's type is read from its first bytes
UPLOAD = {"application/octet-stream": {
    "type": "string", "format": "binary", "example": "%PDF-1.4\n%%EOF\n",
    "description": "the file itself: " + ", ".join(dict.fromkeys(
        found for _, found in SIGNATURES)) + ", recognised by its first bytes"}}
