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
from services.common.identifiers import AgencyIdentifier
from services.common.messages import ItemCount
from services.common.phones import Phone

from .catalogue import AGENCY_KINDS, DOCUMENT_FORMS, CenterSchema, ProcedureSchema

# Provinces' codes in the first 3 digits of a citizen ID number (Circular 59/2021/TT-BCA).
_PROVINCE_CODES = {f"{n:03d}" for n in range(1, 97)}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


# DVCQG's LoaiDoiTuong: 1 citizen, 2 business, 3 state agency, 4 other organisation
APPLICANT_KINDS = ("citizen", "business", "state_agency", "organisation")


def competent_agency_field():
    return fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(min=1, max=20), metadata={
                             "description": "the agency that decides the dossier, for a "
                                            "commune-level procedure: one of its "
                                            "competent_agencies (GET /api/v1/procedures/"
                                            "{code}); the procedure's department otherwise"})


# mã số doanh nghiệp / mã số thuế: 10 digits; a branch's or unit's adds -3 digits
TAX_CODE = r"\d{10}(-\d{3})?"


class PersonSchema(_Strict):
    """A person acting at the counter: the citizen, an organisation's representative, or an
    authorised person."""
    full_name = fields.String(required=True, validate=validate.Length(min=2, max=100),
                              metadata={"example": "Trần Thị Bích Ngọc"})
    citizen_id = fields.String(required=True, metadata={
        "description": "số định danh cá nhân: 12 digits", "example": "079190001234"})
    phone = Phone(required=True, metadata={"example": "0912345678"})
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


class OrganisationSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=3, max=300),
                         metadata={"example": "Công ty TNHH Xây dựng Mỹ Hòa"})
    tax_code = fields.String(required=True, metadata={
        "description": "mã số doanh nghiệp or mã số thuế: 10 digits, a branch's -3 more",
        "example": "1601234567"})
    address = fields.String(required=True, validate=validate.Length(min=5, max=300),
                            metadata={"example": "12 Trần Hưng Đạo, phường Long Xuyên, An Giang"})

    @validates("tax_code")
    def check_tax_code(self, value, **kwargs):
        if not re.fullmatch(TAX_CODE, value):
            raise ValidationError("Mã số doanh nghiệp (mã số thuế) gồm 10 chữ số; của chi nhánh, "
                                  "đơn vị phụ thuộc thêm 3 chữ số (0101234567-001).")


class AuthorisationSchema(_Strict):
    """The authorisation the authorised person hands in (văn bản ủy quyền)."""
    reference = fields.String(required=True, validate=validate.Length(min=1, max=100),
                              metadata={"description": "its number or reference",
                                        "example": "15/2026/UQ"})
    signed_on = fields.Date(required=True, metadata={"example": "2026-03-01"})
    valid_until = fields.Date(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def check_dates(self, data, **kwargs):
        if data.get("valid_until") and data["valid_until"] < data["signed_on"]:
            raise ValidationError("Không được trước ngày ký (signed_on).", "valid_until")

    @post_load
    def as_text(self, data, **kwargs):
        """Kept as the ISO dates they were given: the dossier and its event store them as
        JSON."""
        for key in ("signed_on", "valid_until"):
            data[key] = data[key] and data[key].isoformat()
        return data


class AuthorisedPersonSchema(PersonSchema):
    """Người được ủy quyền: acts for the applicant with the authorisation recorded."""
    authorisation = fields.Nested(AuthorisationSchema, required=True)


class ApplicantSchema(PersonSchema):
    """Who applies: a citizen (`kind` citizen, the person fields are theirs), or an
    organisation (`organisation`, the person fields its representative's); either may act
    through an authorised person (`authorised_person`)."""
    kind = fields.String(load_default="citizen", validate=validate.OneOf(APPLICANT_KINDS),
                         metadata={"description": "DVCQG's LoaiDoiTuong: citizen (1), business "
                                                  "(2), state_agency (3), organisation (4); "
                                                  "an organisation's kind needs `organisation`, "
                                                  "a citizen's none",
                                  "example": "business"})
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254),
                         metadata={"example": "ngoc.tran@example.vn"})
    organisation = fields.Nested(OrganisationSchema, load_default=None, allow_none=True)
    authorised_person = fields.Nested(AuthorisedPersonSchema, load_default=None,
                                      allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def check_kind(self, data, **kwargs):
        if data["kind"] == "citizen" and data.get("organisation"):
            raise ValidationError("Công dân nộp hồ sơ thì không kê tổ chức; tổ chức thì chọn "
                                  "loại (kind) business, state_agency hoặc organisation.",
                                  "organisation")
        if data["kind"] != "citizen" and not data.get("organisation"):
            raise ValidationError("Bắt buộc khi người nộp là tổ chức: tên, mã số doanh nghiệp "
                                  "(mã số thuế), địa chỉ.", "organisation")


class SubmittedDocumentSchema(_Strict):
    key = fields.String(required=True, validate=validate.Length(min=1, max=40))
    # kept as text: the request is stored as JSON (online submissions, idempotency keys)
    document_id = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        error="Mã tài liệu điện tử không đúng dạng (UUID)."), metadata={
        "description": "the electronic copy the counter scanned (docstore's document id): it "
                       "joins the dossier when the dossier is received"})
    copies = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=20))
    form = fields.String(
        load_default=None, allow_none=True,
        validate=validate.OneOf(DOCUMENT_FORMS, error="Hình thức giấy tờ là original (bản "
                                "chính), certified_copy (bản sao có chứng thực) hoặc copy "
                                "(bản sao)."),
        metadata={"description": "original, certified_copy or copy; by default what the "
                                 "procedure's catalogue expects"})


class DossierRequestSchema(_Strict):
    procedure_code = fields.String(required=True, validate=validate.Length(min=1, max=20),
                                   metadata={"example": "1.001665"})
    agency = competent_agency_field()
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
    receiving_unit = fields.String(required=True, validate=AgencyIdentifier())


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
    """A printed form's query (the receipt's and the others'); other parameters (a browser's
    cache breaker) are ignored."""

    class Meta:
        unknown = EXCLUDE

    format = fields.String(load_default="json", validate=validate.OneOf(("json", "html")),
                           metadata={"description": "html: the printable page"})


class SlipApplicantSchema(_Strict):
    """Who a slip given at the counter is for: a name, and the contacts the applicant gives."""
    full_name = fields.String(required=True, validate=validate.Length(min=2, max=200),
                              metadata={"example": "Trần Thị Bích Ngọc"})
    phone = Phone(load_default=None, allow_none=True, metadata={"example": "0912345678"})
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    address = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=5, max=300))
    organisation = fields.Nested(OrganisationSchema, load_default=None, allow_none=True,
                                 metadata={"description": "when the applicant is an "
                                                          "organisation: the name is its "
                                                          "representative's"})


class GuidanceSchema(_Strict):
    """Mẫu 02 at the counter: the documents handed in; the catalogue's mandatory ones not among
    them are listed as missing, with what the officer adds in `missing`."""
    procedure_code = fields.String(required=True, validate=validate.Length(min=1, max=20),
                                   metadata={"example": "1.001756"})
    agency = competent_agency_field()
    applicant = fields.Nested(SlipApplicantSchema, required=True)
    documents = fields.List(fields.Nested(SubmittedDocumentSchema), load_default=list,
                            validate=ItemCount(max=50),
                            metadata={"example": [{"key": "don_de_nghi"}]})
    missing = fields.List(fields.Nested(RequestedDocumentSchema), load_default=list,
                          validate=ItemCount(max=50),
                          metadata={"description": "what else must be handed in or completed"})
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=2000))


class CounterRefusalSchema(_Strict):
    """Mẫu 03 at the counter: the dossier cannot be received, for this reason."""
    procedure_code = fields.String(required=True, validate=validate.Length(min=1, max=20),
                                   metadata={"example": "1.001756"})
    agency = competent_agency_field()
    applicant = fields.Nested(SlipApplicantSchema, required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"example": "Tổ chức hành nghề công chứng đã được thành "
                                                "lập tại địa chỉ này."})


class RegisterQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    day = fields.Date(load_default=None, metadata={"description": "YYYY-MM-DD; today by "
                                                                  "default"})
    unit = fields.String(load_default=None, validate=validate.Length(min=1, max=40),
                         metadata={"description": "one receiving unit's book (all by default)"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "html", "csv")),
                           metadata={"description": "html: the printable register; csv"})


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


class AgencyView(Schema):
    code = fields.String(required=True, metadata={"example": "ubnd_long_xuyen"})
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(AGENCY_KINDS)})
    identifier = fields.String(required=True, metadata={"example": "H01.51"})


class AgencyList(Schema):
    agencies = fields.List(fields.Nested(AgencyView), required=True)
    count = fields.Integer(required=True)


class CenterList(Schema):
    centers = fields.List(fields.Nested(CenterSchema), required=True)
    count = fields.Integer(required=True)


class DossierCreated(Schema):
    code = fields.String(required=True, metadata={"example": "H15.50.05.13-260302-0001"})
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


class CounterSlipView(Schema):
    """A slip given at the counter instead of a receipt (Mẫu 02 or Mẫu 03), as recorded."""
    id = fields.UUID(required=True)
    kind = fields.String(required=True, metadata={"enum": ["guidance", "refusal"]})
    form = fields.String(required=True, metadata={"example": "Mẫu 02"})
    title = fields.String(required=True)
    number = fields.String(required=True, metadata={"example": "12/PYCBS"})
    receiving_unit = fields.Dict(required=True, metadata={"description": "code and name"})
    agency = fields.Dict(required=True, metadata={"description": "code and name"})
    procedure = fields.Nested(ProcedureRefView, required=True)
    applicant = fields.Dict(required=True)
    missing = fields.List(fields.Dict(), required=True, metadata={
        "description": "guidance: each {key, name, note} to hand in or complete"})
    reason = fields.String(required=True, allow_none=True)
    issued_at = fields.AwareDateTime(required=True)
    issued_by = fields.String(required=True)
    print_url = fields.String(required=True)


class RegisterView(Schema):
    """The dossier register (Mẫu 07) of a day: one book per receiving unit."""
    form = fields.String(required=True)
    title = fields.String(required=True)
    day = fields.Date(required=True)
    books = fields.List(fields.Dict(), required=True, metadata={
        "description": "{unit: {code, name}, entries: [{entry, code, procedure, sets, "
                       "applicant, agency, channel, received_at, due_date, "
                       "paper_handover_on, result_delivery}]}"})


class ReceptionDataView(Schema):
    """What was received with a dossier (GET /api/v1/dossiers/{code}/reception)."""
    code = fields.String(required=True)
    agency = fields.Dict(required=True, metadata={"description": "the deciding agency's code "
                                                                 "and name"})
    procedure = fields.Dict(required=True, metadata={"description": "code and name"})
    applicant = fields.Dict(required=True, metadata={
        "description": "full_name, phone, email, address"})
    documents = fields.List(fields.Dict(), required=True, metadata={
        "description": "key, name, form, copies of each document handed in"})
    channel = fields.String(required=True)
    received_at = fields.String(required=True, metadata={"format": "date-time"})
    due_date = fields.String(required=True, metadata={"format": "date"})
    result_delivery = fields.String(required=True)
    delivery_address = fields.String(allow_none=True)
    sets = fields.Integer(allow_none=True)
