"""postal's HTTP bodies. Messages are meant for a manager or a post-office clerk to read."""
from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.common.contracts import RESULT_DELIVERIES
from services.common.identifiers import AgencyIdentifier
from services.common.messages import ItemCount

from .tracking import EVENTS, STATUSES, TrackingUpdateSchema

PICKUP_STATUSES = ("requested", "collected", "received")
MONTH_FORMAT = "Nhập tháng theo dạng năm-tháng, ví dụ 2026-03."
# A dossier of the Department of Justice as intake takes it (docs/examples/dossier.json).
APPLICANT_EXAMPLE = {"full_name": "Trần Thị Bích Ngọc", "citizen_id": "079190001234",
                     "phone": "0912345678", "email": "ngoc.tran@example.vn",
                     "address": "25 Nguyễn Huệ, phường Sài Gòn, TP. Hồ Chí Minh"}
DOSSIER_EXAMPLE = {"procedure_code": "1.001756", "agency": "stp", "applicant": APPLICANT_EXAMPLE,
                   "documents": [{"key": key} for key in ("don_de_nghi", "de_an_thanh_lap",
                                                          "qd_bo_nhiem_ccv", "giay_to_tru_so")]}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class PostOfficeSchema(_Strict):
    code = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Z0-9][A-Z0-9_-]{1,39}$", error="Từ 2 đến 40 ký tự: chữ in hoa, chữ số, - hoặc _."))
    name = fields.String(required=True, validate=validate.Length(min=3, max=200))
    address = fields.String(required=True, validate=validate.Length(min=5, max=300))
    receiving_unit = fields.String(required=True, validate=AgencyIdentifier(), metadata={
        "description": "the post office's electronic identifier (Decision 20/2020/QĐ-TTg; "
                       "the Circular 10/2016 shape is accepted)", "example": "H01.60.01"})


class DelegationSchema(_Strict):
    department = fields.String(required=True, validate=validate.Length(min=1, max=20),
                               metadata={"description": "a department of intake's catalogue",
                                         "example": "sxd"})
    post_office = fields.String(required=True, validate=validate.Length(min=1, max=40))
    valid_from = fields.Date(required=True, metadata={"example": "2026-01-01"})
    valid_to = fields.Date(load_default=None, allow_none=True)
    procedures = fields.List(fields.String(validate=validate.Length(min=1, max=20)),
                             load_default=None, allow_none=True,
                             validate=ItemCount(min=1, max=200))
    override_reason = fields.String(load_default=None, allow_none=True,
                                    validate=validate.Length(min=10, max=1000))

    @validates_schema(skip_on_field_errors=False)
    def check_dates(self, data, **kwargs):
        if data.get("valid_to") and data.get("valid_from") and data["valid_to"] < data["valid_from"]:
            raise ValidationError("Không được trước ngày bắt đầu (valid_from).", "valid_to")


class VolumeSchema(_Strict):
    department = fields.String(required=True, validate=validate.Length(min=1, max=20))
    month = fields.String(required=True, validate=validate.Regexp(
        r"^[12][0-9]{3}-(0[1-9]|1[0-2])$", error=MONTH_FORMAT))
    dossiers = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10**6))


class VolumeQuerySchema(_Strict):
    department = fields.String(load_default=None, validate=validate.Length(min=1, max=20))


class VolumesSchema(_Strict):
    volumes = fields.List(fields.Nested(VolumeSchema), required=True,
                          validate=ItemCount(min=1, max=1000))


class _Passed(Schema):
    """Part of a dossier postal passes on to intake, which validates the whole (citizen ID,
    phone, the procedure's documents): the fields are here for the document and their types."""

    class Meta:
        unknown = INCLUDE


class ReceptionApplicantSchema(_Passed):
    full_name = fields.String(required=True, metadata={"example": APPLICANT_EXAMPLE["full_name"]})
    citizen_id = fields.String(required=True, metadata={
        "description": "số định danh cá nhân: 12 digits",
        "example": APPLICANT_EXAMPLE["citizen_id"]})
    phone = fields.String(required=True, metadata={"example": APPLICANT_EXAMPLE["phone"]})
    email = fields.String(allow_none=True, metadata={"example": APPLICANT_EXAMPLE["email"]})
    address = fields.String(required=True, metadata={"example": APPLICANT_EXAMPLE["address"]})


class ReceptionDocumentSchema(_Passed):
    key = fields.String(required=True, metadata={
        "description": "a document key of the procedure (GET /api/v1/procedures/{code} of "
                       "intake); every mandatory one must be handed in"})
    copies = fields.Integer(strict=True, metadata={"description": "1 if left out"})


class ReceptionSchema(_Passed):
    """The body of intake's POST /api/v1/dossiers: postal reads the procedure's code, intake
    validates the rest."""

    procedure_code = fields.String(required=True, validate=validate.Length(min=1, max=20),
                                   metadata={"example": DOSSIER_EXAMPLE["procedure_code"]})
    agency = fields.String(validate=validate.Length(min=1, max=20), metadata={
        "description": "a commune-level procedure's competent agency (one of its "
                       "competent_agencies): the delegation checked is that agency's; for "
                       "another procedure, its department or left out",
        "example": DOSSIER_EXAMPLE["agency"]})
    applicant = fields.Nested(ReceptionApplicantSchema, required=True)
    documents = fields.List(fields.Nested(ReceptionDocumentSchema), required=True,
                            metadata={"example": DOSSIER_EXAMPLE["documents"]})
    result_delivery = fields.String(validate=validate.OneOf(RESULT_DELIVERIES), metadata={
        "description": "counter if left out", "example": "counter"})
    delivery_address = fields.String(allow_none=True, metadata={
        "description": "required when result_delivery is post",
        "example": APPLICANT_EXAMPLE["address"]})


class PickupSchema(_Strict):
    post_office = fields.String(required=True, validate=validate.Length(min=1, max=40))
    pickup_address = fields.String(required=True, validate=validate.Length(min=5, max=300),
                                   metadata={"example": APPLICANT_EXAMPLE["address"]})
    dossier = fields.Dict(required=True, metadata={
        "description": "the body of intake's POST /api/v1/dossiers", "example": DOSSIER_EXAMPLE})

    @validates_schema
    def check_dossier(self, data, **kwargs):
        code = data["dossier"].get("procedure_code")
        if not isinstance(code, str) or not 0 < len(code) <= 20:
            raise ValidationError("Cần có mã thủ tục (procedure_code).", "dossier.procedure_code")


# The carrier's file is the raw request body (uploads.uploaded_rows reads it), described here.
TRACKING_FILE = {
    "text/csv": {
        "type": "string",
        "description": "CSV with a header line naming tracking_number, event, at (RFC 3339) "
                       "and reason (for delivery_failed, returned_to_center); UTF-8 with or "
                       "without BOM, any line end (LF, CR LF, bare CR)",
        "example": "tracking_number,event,at,reason\r\n"
                   "RM00000001VN,in_transit,2026-01-05T09:00:00+07:00,\r\n",
    },
    "application/json": {"type": "array", "items": TrackingUpdateSchema},
}


class ClerkUpdateSchema(_Strict):
    event = fields.String(required=True, validate=validate.OneOf(EVENTS))
    at = fields.AwareDateTime(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True)


class ReportQuerySchema(_Strict):
    month_from = fields.String(data_key="from", required=True, validate=validate.Regexp(
        r"^[12][0-9]{3}-(0[1-9]|1[0-2])$", error=MONTH_FORMAT))
    month_to = fields.String(data_key="to", required=True, validate=validate.Regexp(
        r"^[12][0-9]{3}-(0[1-9]|1[0-2])$", error=MONTH_FORMAT))


class DelegationEndSchema(_Strict):
    valid_to = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


class PickupQuerySchema(_Strict):
    status = fields.String(load_default=None, validate=validate.OneOf(PICKUP_STATUSES))


class ShipmentQuerySchema(_Strict):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


# --- answers (documentation only, for the OpenAPI document: the handlers build plain dicts) ---
class PostOfficeList(Schema):
    post_offices = fields.List(fields.Nested(PostOfficeSchema), required=True)


class VolumeWindow(Schema):
    dossiers = fields.Integer(required=True)
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    must_station_officers = fields.Boolean(metadata={
        "description": "only in volume_now: the half-year's volume requires officers at the "
                       "center again"})


class DelegationView(Schema):
    id = fields.Integer(required=True)
    department = fields.String(required=True)
    post_office = fields.String(required=True)
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(allow_none=True)
    procedures = fields.List(fields.String(), allow_none=True,
                             metadata={"description": "null: every procedure of the department"})
    volume = fields.Nested(VolumeWindow, required=True,
                           metadata={"description": "the volume that allowed the delegation"})
    volume_now = fields.Nested(VolumeWindow, metadata={"description": "in the list only"})
    override_reason = fields.String(allow_none=True)
    created_by = fields.String(required=True)
    end_reason = fields.String(allow_none=True)
    ended_by = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(required=True)


class DelegationList(Schema):
    delegations = fields.List(fields.Nested(DelegationView), required=True)


class PickupView(Schema):
    id = fields.UUID(required=True)
    post_office = fields.String(required=True)
    department = fields.String(required=True)
    procedure_code = fields.String(required=True)
    fee = fields.Integer(required=True, metadata={"description": "VND"})
    status = fields.String(required=True, metadata={"enum": list(PICKUP_STATUSES)})
    dossier_code = fields.String(allow_none=True)
    requested_at = fields.AwareDateTime(required=True)
    address = fields.String(metadata={"description": "only to the clerks of the post office"})


class PickupList(Schema):
    pickups = fields.List(fields.Nested(PickupView), required=True)


class TrackingEventView(Schema):
    event = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    reason = fields.String(allow_none=True)
    source = fields.String(required=True)


class ShipmentView(Schema):
    tracking_number = fields.String(required=True, metadata={"example": "RM00000001VN"})
    dossier_code = fields.String(required=True)
    department = fields.String(required=True)
    post_office = fields.String(required=True)
    fee = fields.Integer(required=True, metadata={"description": "VND"})
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    attempts = fields.Integer(required=True)
    last_failure = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    status_at = fields.AwareDateTime(required=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    returned_at = fields.AwareDateTime(allow_none=True)
    history = fields.List(fields.Nested(TrackingEventView),
                          metadata={"description": "for one shipment only"})


class ShipmentList(Schema):
    shipments = fields.List(fields.Nested(ShipmentView), required=True)


class ShipmentUpdateAnswer(Schema):
    outcome = fields.String(required=True, metadata={"enum": ["applied", "duplicate"]})
    shipment = fields.Nested(ShipmentView, required=True)


class RejectedRow(Schema):
    row = fields.Integer(required=True)
    tracking_number = fields.String(allow_none=True)
    errors = fields.Dict(metadata={"description": "field -> problems"})


class ImportedLine(Schema):
    row = fields.Integer(required=True)
    tracking_number = fields.String(allow_none=True)
    outcome = fields.String(required=True,
                            metadata={"enum": ["applied", "duplicate", "rejected"]})
    errors = fields.Dict(metadata={"description": "field -> problems, when rejected"})


class TrackingImportAnswer(Schema):
    rows = fields.Integer(required=True)
    applied = fields.Integer(required=True)
    duplicates = fields.Integer(required=True)
    rejected = fields.List(fields.Nested(RejectedRow), required=True)
    lines = fields.List(fields.Nested(ImportedLine), required=True, metadata={
        "description": "every row's outcome, in the file's order"})
