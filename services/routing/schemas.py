"""routing's HTTP bodies and queries, the shapes of its answers (for the OpenAPI document) and
of the messages it sends."""
import copy

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    missing,
    validate,
    validates_schema,
)

from services.common.contracts import (
    ConsultationLate,
    DossierClosed,
    DossierOverdue,
    DossierWithdrawn,
)
from services.common.errors import FIELDS_INVALID, Invalid
from services.common.http import flatten_messages
from services.common.messages import ItemCount


def loaded(schema_cls, values):
    """`values` (an RPC's arguments) loaded by the schema; what it refuses is raised as
    Invalid, naming each field."""
    try:
        return schema_cls().load(values)
    except ValidationError as exc:
        raise Invalid(FIELDS_INVALID,
                      fields=flatten_messages(exc.messages)) from exc


class LookupQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    secret = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    phone = fields.String(load_default=None, validate=validate.Length(min=9, max=20))

    @validates_schema
    def one_proof(self, data, **kwargs):
        if not data.get("secret") and not data.get("phone"):
            raise ValidationError("Hãy nhập mã tra cứu in trên giấy tiếp nhận, hoặc số điện "
                                  "thoại đã khai khi nộp hồ sơ.", "secret")


class _Body(Schema):
    class Meta:
        unknown = RAISE


def _text(max_length=2000, **kwargs):
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class AcceptSchema(_Body):
    processing_unit = _text(200, load_default=None)


class TransferSchema(_Body):
    processing_unit = _text(200, required=True)
    reason = _text(load_default=None)


class RequestedDocumentSchema(_Body):
    name = _text(300, required=True)
    note = _text(load_default=None)


class SupplementSchema(_Body):
    documents = fields.List(fields.Nested(RequestedDocumentSchema), required=True,
                            validate=ItemCount(min=1, max=50,
                                               error="Hãy ghi từ 1 đến 50 giấy tờ cần bổ sung."))
    reason = _text(required=True)


class ResubmitSchema(_Body):
    note = _text(load_default=None)


class CitizenResubmitSchema(ResubmitSchema):
    secret = _text(40, required=True)


class ConsultSchema(_Body):
    departments = fields.List(_text(40), load_default=None)
    question = _text(required=True)
    reply_due_date = fields.Date(load_default=None)


class ConsultationReplySchema(_Body):
    opinion = _text(required=True)
    agrees = fields.Boolean(required=True)


class ReasonSchema(_Body):
    reason = _text(required=True)


class WithdrawSchema(_Body):
    reason = _text(load_default=None)


class CitizenWithdrawSchema(WithdrawSchema):
    secret = _text(40, required=True)


class CompleteSchema(_Body):
    result_reference = _text(100, required=True)


class ReturnSchema(_Body):
    method = fields.String(load_default="counter",
                           validate=validate.OneOf(("counter", "post")))


class ExtensionSchema(_Body):
    reason = _text(required=True)
    new_due_date = fields.Date(required=True)


ACTION_BODIES = {
    "accept": AcceptSchema,
    "transfer": TransferSchema,
    "request_supplement": SupplementSchema,
    "resubmit": ResubmitSchema,
    "consult": ConsultSchema,
    "reply_consultation": ConsultationReplySchema,
    "refuse": ReasonSchema,
    "withdraw": WithdrawSchema,
    "complete": CompleteSchema,
    "return": ReturnSchema,
    "request_extension": ExtensionSchema,
}

SATISFACTION = ("very_satisfied", "satisfied", "not_satisfied")
# domain.md: time against the legal time, times contacted, attitude and guidance, result right
CRITERIA = ("time", "contacts", "attitude", "result")


class CriteriaSchema(_Body):
    time = fields.String(required=True, validate=validate.OneOf(SATISFACTION))
    contacts = fields.String(required=True, validate=validate.OneOf(SATISFACTION))
    attitude = fields.String(required=True, validate=validate.OneOf(SATISFACTION))
    result = fields.String(required=True, validate=validate.OneOf(SATISFACTION))


class RatingSchema(_Body):
    secret = _text(40, required=True)
    overall = fields.String(required=True, validate=validate.OneOf(SATISFACTION))
    criteria = fields.Nested(CriteriaSchema, required=True)
    comment = _text(load_default=None)


MAX_PERIOD_DAYS = 3660


class PeriodQuerySchema(_Body):
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    department = _text(40, load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))

    @validates_schema
    def ordered(self, data, **kwargs):
        if data["start"] > data["end"]:
            raise ValidationError("Ngày kết thúc không được trước ngày bắt đầu.", "end")
        # a report walks the period's days: thousands of years would keep a worker for minutes
        if (data["end"] - data["start"]).days > MAX_PERIOD_DAYS:
            raise ValidationError(f"Một báo cáo chỉ gồm tối đa {MAX_PERIOD_DAYS} ngày (mười năm).",
                                  "end")


class StepsQuerySchema(PeriodQuerySchema):
    @validates_schema
    def json_only(self, data, **kwargs):
        if data["format"] == "csv":
            raise ValidationError("Báo cáo các bước chỉ có dạng JSON.", "format")


class MonthQuerySchema(_Body):
    month = fields.String(required=True, validate=validate.Regexp(
        r"^[12][0-9]{3}-(0[1-9]|1[0-2])$", error="Nhập tháng theo dạng năm-tháng, ví dụ 2026-03."))
    department = _text(40, load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class WeekQuerySchema(_Body):
    week_of = fields.Date(required=True)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class VolumesQuerySchema(_Body):
    since = fields.Date(load_default=None)
    until = fields.Date(load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


# --- an action's body, whichever the action ---------------------------------------------------
def _action_body_fields():
    """Every field of ACTION_BODIES, each saying which actions take it (required there or
    not), none required and none filled in: the action's own schema does that."""
    merged = {}
    for action, schema in ACTION_BODIES.items():
        for name, field in schema._declared_fields.items():
            merged.setdefault(name, (field, []))[1].append(
                f"{action}{' (required)' if field.required else ''}")
    documented = {}
    for name, (field, actions) in merged.items():
        field = copy.deepcopy(field)
        field.required = False
        field.metadata = {**field.metadata, "description": "for " + ", ".join(actions)}
        if field.load_default is not missing:  # documented, left to the action's schema
            field.metadata["default"] = field._serialize(field.load_default, None, None)
            field.load_default = missing
        documented[name] = field
    return documented


ActionBody = Schema.from_dict(_action_body_fields(), name="ActionBody")
ActionBody.__doc__ = ("The body of the action named in the path: only that action's fields "
                      "(unknown ones are refused with 422).")


class FormQuerySchema(_Body):
    secret = _text(40, load_default=None, metadata={
        "description": "the citizen's lookup secret; officers use their token instead"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "html")))


class FormView(Schema):
    form = fields.String(required=True, metadata={"example": "Mẫu 04"})
    title = fields.String(required=True)
    code = fields.String(required=True)
    department = fields.String(required=True)
    procedure = fields.Dict(required=True, metadata={"description": "code and name"})
    received_at = fields.AwareDateTime(required=True)
    issued_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)
    documents = fields.List(fields.Nested(RequestedDocumentSchema),
                            metadata={"description": "Mẫu 02: what to hand in"})
    complete_by = fields.Date(metadata={
        "description": "Mẫu 02: the last day to hand it in; the dossier is closed after it"})
    letter_number = fields.String(metadata={"description": "Mẫu 04"})
    previous_due_date = fields.Date(metadata={"description": "Mẫu 04"})
    new_due_date = fields.Date(metadata={"description": "Mẫu 04: the new appointment"})
    legal_due_date = fields.Date(metadata={
        "description": "Mẫu 04: the due date statistics keep comparing with"})


class ActionAnswer(Schema):
    code = fields.String(required=True)
    action = fields.String(required=True, metadata={"enum": sorted(ACTION_BODIES)})
    status = fields.String(required=True, metadata={"description": "the dossier's status now"})
    due_date = fields.Date(required=True)
    extension = fields.Nested(FormView, metadata={"description": "request_extension only: "
                                                                 "Mẫu 04"})


class HistoryEntry(Schema):
    at = fields.AwareDateTime(required=True)
    status = fields.String(required=True)
    label = fields.String(required=True, metadata={"description": "in Vietnamese"})
    by = fields.String(required=True)
    note = fields.String(allow_none=True)


class AskedOfCitizen(Schema):
    what = fields.String(required=True,
                         metadata={"enum": ["supplement", "collect_result", "rating"]})
    message = fields.String(required=True, metadata={"description": "in Vietnamese"})
    documents = fields.List(fields.Nested(RequestedDocumentSchema),
                            metadata={"description": "supplement only: what to bring"})
    complete_by = fields.Date(metadata={
        "description": "supplement only: the last day to bring it; the dossier is closed "
                       "after it"})


class PublicDossierView(Schema):
    code = fields.String(required=True)
    procedure = fields.Dict(required=True, metadata={"description": "code and name"})
    status = fields.String(required=True)
    status_label = fields.String(required=True, metadata={"description": "in Vietnamese"})
    department = fields.String(required=True)
    cooperating = fields.List(fields.String(), required=True)
    channel = fields.String(required=True, metadata={"enum": ["counter", "online", "postal"]})
    received_at = fields.AwareDateTime(required=True)
    due_date = fields.Date(required=True)
    overdue = fields.Boolean(required=True)
    asked_of_citizen = fields.Nested(AskedOfCitizen, allow_none=True)
    history = fields.List(fields.Nested(HistoryEntry), required=True)
    result_reference = fields.String(metadata={"description": "once the result is ready"})


class RatingAnswer(Schema):
    code = fields.String(required=True)
    overall = fields.String(required=True, metadata={"enum": list(SATISFACTION)})
    officers = fields.List(fields.String(), required=True)


# --- the department queues (documentation: docs/asyncapi.yaml) --------------------------------
# Besides dossier.assigned (services/common/contracts.py), routing sends these to a department's own queue
# (`<department>.dossier.<event>`, events.to_department).
class _ProcedureRef(Schema):
    code = fields.String(required=True, metadata={"example": "1.001234"})
    name = fields.String(required=True)


class _Resubmitted(Schema):
    code = fields.String(required=True)
    department = fields.String(required=True, metadata={"example": "stp"})
    resubmitted_at = fields.AwareDateTime(required=True)
    due_date = fields.Date(required=True)
    note = fields.String(required=True, allow_none=True)


class DossierResubmittedMessage(_Resubmitted):
    """The complete dossier arrived: the processing period restarts from zero.

    `due_date` is the procedure's full time counted from the resubmission. Version 2 (version
    1 resumed a paused clock and carried `paused_working_days`)."""
    VERSION = 2


class DossierResubmittedMessageV1(_Resubmitted):
    """Version 1, sent before the period restarted on resubmission: the clock resumed."""
    paused_working_days = fields.Integer(required=True)


class ConsultationRequestedMessage(Schema):
    """The lead department asks this (cooperating) department's opinion by a date."""
    code = fields.String(required=True)
    consultation_id = fields.Integer(required=True,
                                     metadata={"description": "quote it when answering"})
    lead_department = fields.String(required=True)
    department = fields.String(required=True, metadata={"description": "the one asked"})
    procedure = fields.Nested(_ProcedureRef, required=True)
    question = fields.String(required=True)
    reply_due_date = fields.Date(required=True)
    requested_at = fields.AwareDateTime(required=True)


class ConsultationAnsweredMessage(Schema):
    """A cooperating department answered (to the lead department's queue)."""
    code = fields.String(required=True)
    consultation_id = fields.Integer(required=True)
    department = fields.String(required=True, metadata={"description": "the one that answered"})
    agrees = fields.Boolean(required=True)
    opinion = fields.String(required=True)
    answered_at = fields.AwareDateTime(required=True)
    open_consultations = fields.Integer(required=True, metadata={
        "description": "answers still awaited; 0: processing resumes"})


class DossierDueSoonMessageV1(Schema):
    """Version 1: the dossier is due by the next working day."""
    code = fields.String(required=True)
    department = fields.String(required=True)
    procedure = fields.Nested(_ProcedureRef, required=True)
    status = fields.String(required=True)
    due_date = fields.Date(required=True)


class DossierDueSoonMessage(DossierDueSoonMessageV1):
    """The dossier's due date is near, while an extension can still be asked.

    Sent once, on the working day before the last day to ask for the one extension (Mẫu 04),
    and again before the new date of an extension. Version 2: `extension_deadline`."""
    VERSION = 2

    extension_deadline = fields.Date(required=True, allow_none=True, metadata={
        "description": "the last day to ask for the one extension (Mẫu 04); null when the "
                       "dossier was extended already or the day has passed"})


class _Exact:
    class Meta:
        unknown = RAISE  # what routing sends is exact, unlike what a consumer tolerates


class DossierOverdueMessage(_Exact, DossierOverdue):
    """The dossier passed its due date: no extension is possible any more."""
    asked = fields.String(required=True, metadata={
        "example": "decide the dossier without delay: past the due date it counts as late"})


class ConsultationLateMessage(_Exact, ConsultationLate):
    """A cooperating department did not answer by its reply date, or answered after it.

    To the lead department; the one-stop unit's head is told too (dossier.consultation_late
    on routing.events, the report, the metric)."""


class DossierClosedMessage(_Exact, DossierClosed):
    """The supplement was not handed in by its last day: the dossier is closed."""


class DossierWithdrawnMessage(_Exact, DossierWithdrawn):
    """The applicant asked to stop: stop processing the dossier (stop notice Mẫu 05)."""


DEPARTMENT_MESSAGES = {
    "dossier.resubmitted": DossierResubmittedMessage,
    "dossier.consultation_requested": ConsultationRequestedMessage,
    "dossier.consultation_answered": ConsultationAnsweredMessage,
    "dossier.consultation_late": ConsultationLateMessage,
    "dossier.due_soon": DossierDueSoonMessage,
    "dossier.overdue": DossierOverdueMessage,
    "dossier.closed": DossierClosedMessage,
    "dossier.withdrawn": DossierWithdrawnMessage,
}
# The versions routing sent before, still documented for the messages a department's queue
# may hold from then (docs/asyncapi.yaml).
PREVIOUS_DEPARTMENT_MESSAGES = {
    ("dossier.resubmitted", 1): DossierResubmittedMessageV1,
    ("dossier.due_soon", 1): DossierDueSoonMessageV1,
}
