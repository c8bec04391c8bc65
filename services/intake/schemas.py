"""intake's HTTP and RPC bodies. Messages are meant for a counter officer to read."""
import re

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from services.common.contracts import RESULT_DELIVERIES
from services.common.errors import FIELDS_INVALID, Invalid
from services.common.http import flatten_messages
from services.common.messages import ItemCount
from services.common.phones import Phone

from .catalogue import ProcedureSchema

# Provinces' codes in the first 3 digits of a citizen ID number (Circular 59/2021/TT-BCA).
_PROVINCE_CODES = {f"{n:03d}" for n in range(1, 97)}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ApplicantSchema(_Strict):
    full_name = fields.String(required=True, validate=validate.Length(min=2, max=100),
                              metadata={"example": "Trần Thị Bích Ngọc"})
    citizen_id = fields.String(required=True, metadata={
        "description": "số định danh cá nhân: 12 digits", "example": "079190001234"})
    phone = Phone(required=True, metadata={"example": "0912345678"})
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254),
                         metadata={"example": "ngoc.tran@example.vn"})
    address = fields.String(required=True, validate=validate.Length(min=5, max=300),
                            metadata={"example": "25 Nguyễn Huệ, phường Sài Gòn, TP. Hồ Chí Minh"})

    @validates("full_name")
    def check_name(self, value, **kwargs):
        if any(ch.isdigit() for ch in value) or not value.strip():
            raise ValidationError("Họ tên chỉ gồm chữ và dấu cách, không có chữ số.")

    @validates("citizen_id")
    def check_citizen_id(self, value, **kwargs):
        if not re.fullmatch(r"\d{12}", value):
            raise ValidationError("Số định danh cá nhân phải gồm đúng 12 chữ số.")
        if value[:3] not in _PROVINCE_CODES:
            raise ValidationError("Số định danh cá nhân bắt đầu bằng mã tỉnh không tồn tại.")

    @post_load
    def normalise(self, data, **kwargs):
        data["full_name"] = " ".join(data["full_name"].split())
        return data


class SubmittedDocumentSchema(_Strict):
    key = fields.String(required=True, validate=validate.Length(min=1, max=40))
    copies = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=20))


class DossierRequestSchema(_Strict):
    procedure_code = fields.String(required=True, validate=validate.Length(min=1, max=20),
                                   metadata={"example": "1.001665"})
    applicant = fields.Nested(ApplicantSchema, required=True)
    documents = fields.List(
        fields.Nested(SubmittedDocumentSchema), required=True, validate=ItemCount(max=50),
        metadata={"description": "every mandatory document of the procedure (GET "
                                 "/api/v1/procedures/{code})",
                  "example": [{"key": key} for key in (
                      "don_dang_ky", "qd_cho_phep_thanh_lap", "giay_to_tru_so")]},
    )
    result_delivery = fields.String(
        load_default="counter", validate=validate.OneOf(RESULT_DELIVERIES)
    )
    delivery_address = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=5, max=300)
    )

    @validates_schema(skip_on_field_errors=False)
    def check_delivery(self, data, **kwargs):
        if data.get("result_delivery") == "post" and not data.get("delivery_address"):
            raise ValidationError(
                "Bắt buộc khi nhận kết quả qua bưu chính.", "delivery_address"
            )


class ReceiverSchema(_Strict):
    """Who received a dossier handed in through RPC (delegated reception at a post office)."""
    kind = fields.String(required=True, validate=validate.OneOf(("postal_clerk",)))
    id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    post_office = fields.String(required=True, validate=validate.Length(min=1, max=40))
    receiving_unit = fields.String(
        required=True, validate=validate.Regexp(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
    )


class ProcedureQuerySchema(_Strict):
    department = fields.String(load_default=None, validate=validate.Length(max=20))
    channel = fields.String(load_default=None, validate=validate.OneOf(("counter", "online", "postal")))


class RequestedDocumentSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=300),
                         metadata={"example": "Bản chụp Căn cước của người được cấp văn bằng"})
    note = fields.String(load_default=None, validate=validate.Length(min=1, max=2000))


class CorrectionsSchema(_Strict):
    """Mẫu 02: everything the online dossier lacks, asked once."""
    documents = fields.List(fields.Nested(RequestedDocumentSchema), required=True,
                            validate=ItemCount(min=1, max=50,
                                               error="Hãy ghi từ 1 đến 50 giấy tờ cần bổ sung."))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"example": "Bản chụp căn cước bị mờ, không đọc được."})


SUBMISSION_STATUSES = ("awaiting_reception", "received", "corrections_requested")


class SubmissionQuerySchema(_Strict):
    status = fields.String(load_default="awaiting_reception",
                           validate=validate.OneOf(SUBMISSION_STATUSES))
    department = fields.String(load_default=None, validate=validate.Length(min=1, max=20),
                               metadata={"description": "a manager's filter (a counter officer "
                                                        "sees its own agency's only)"})


class CalendarDaySchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(("day_off", "working_day")),
                         metadata={"example": "day_off"})
    note = fields.String(load_default=None, validate=validate.Length(min=1, max=300),
                         metadata={"example": "Nghỉ bù theo quyết định của UBND tỉnh"})


class ReceiptQuerySchema(Schema):
    """Other parameters (a browser's cache breaker) are ignored."""

    class Meta:
        unknown = EXCLUDE

    format = fields.String(load_default="json", validate=validate.OneOf(("json", "html")),
                           metadata={"description": "html: the printable receipt (Mẫu 01)"})


def loaded(schema, value):
    """`value` (received by RPC) loaded by `schema`, or the kernel's Invalid naming each field
    at fault: the error crosses RPC as itself."""
    try:
        return schema.load(value)
    except ValidationError as exc:
        raise Invalid(FIELDS_INVALID,
                      fields=flatten_messages(exc.messages)) from exc


# --- answers (documentation only, for the OpenAPI document: the handlers build plain dicts) ---
class ProcedureList(Schema):
    procedures = fields.List(fields.Nested(ProcedureSchema), required=True)
    count = fields.Integer(required=True)


class DossierCreated(Schema):
    code = fields.String(required=True, metadata={"example": "000.00.01.H33-260302-0001"})
    received_at = fields.AwareDateTime(required=True)
    due_at = fields.Date(required=True, metadata={"description": "the appointment date"})
    paper_handover_on = fields.Date(required=True, allow_none=True, metadata={
        "description": "the day the paper dossier goes to the agency: that day, or the next "
                       "working day when received after PAPER_HANDOVER_CUTOFF (none online)"})
    lookup_secret = fields.String(required=True, metadata={
        "description": "printed on the receipt: with the code, the citizen looks the dossier up"})
    department = fields.String(required=True)
    channel = fields.String(required=True, metadata={"enum": ["counter", "online", "postal"]})
    receipt_url = fields.String(required=True)


class ProcedureRefView(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class SubmissionView(Schema):
    """An online dossier before (or after) its formal reception."""
    id = fields.UUID(required=True)
    status = fields.String(required=True, metadata={"enum": list(SUBMISSION_STATUSES)})
    channel = fields.String(required=True, metadata={"enum": ["online"]})
    procedure = fields.Nested(ProcedureRefView, required=True)
    department = fields.String(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    receive_by = fields.AwareDateTime(required=True, metadata={
        "description": "RECEPTION_WORKING_HOURS office hours after submission"})
    reception_overdue = fields.Boolean(required=True)
    applicant = fields.Dict(required=True)
    documents = fields.List(fields.Dict(), required=True)
    result_delivery = fields.String(required=True)
    delivery_address = fields.String(required=True, allow_none=True)
    decided_at = fields.AwareDateTime(required=True, allow_none=True)
    decided_by = fields.String(required=True, allow_none=True)
    corrections = fields.Dict(required=True, allow_none=True)
    dossier_code = fields.String(required=True, allow_none=True, metadata={
        "description": "once received"})
    receipt_url = fields.String(required=True, allow_none=True)


class SubmissionList(Schema):
    submissions = fields.List(fields.Nested(SubmissionView), required=True)
    count = fields.Integer(required=True)


class CalendarDayView(Schema):
    day = fields.Date(required=True)
    note = fields.String(required=True, allow_none=True)
    changed_by = fields.String(required=True)
    changed_at = fields.AwareDateTime(required=True)


class CalendarView(Schema):
    """The province's overrides of the national calendar."""
    revision = fields.Integer(required=True, metadata={
        "description": "of the set calendar.changed announced last"})
    days_off = fields.List(fields.Nested(CalendarDayView), required=True)
    working_days = fields.List(fields.Nested(CalendarDayView), required=True)
