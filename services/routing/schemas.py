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
    FINAL_STATUSES,
    SATISFACTION_LEVELS,
    ConsultationLate,
    DossierClosed,
    DossierOverdue,
    DossierWithdrawn,
    EvaluationAnswers,
)
from services.common.errors import FIELDS_INVALID, Invalid
from services.common.http import flatten_messages
from services.common.messages import ItemCount

from .lifecycle import RUNNING


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
    officer = _text(100, load_default=None)  # who takes it there; else its leader assigns


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
    result_document_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "the signed electronic result (docstore's id of the agency's result "
                       "document): the citizen downloads it with the receipt's lookup secret "
                       "once the result may be released"})


RECEIVER_RELATIONS = ("applicant", "authorised")
IDENTITY_PAPERS = ("citizen_id", "passport", "other")


class ResultReceiverSchema(_Body):
    """Who takes the result at the counter, and the identity paper shown: its number is kept
    and printed masked to its last three characters."""
    full_name = _text(100, required=True)
    relation = fields.String(load_default="applicant",
                             validate=validate.OneOf(RECEIVER_RELATIONS))
    id_type = fields.String(required=True, validate=validate.OneOf(IDENTITY_PAPERS))
    id_number = fields.String(load_default=None, validate=validate.Regexp(
        r"^[0-9A-Za-z]{6,20}$", error="Số giấy tờ gồm 6 đến 20 chữ số hoặc chữ cái, không dấu "
                                      "cách."))

    @validates_schema(skip_on_field_errors=True)
    def check_citizen_id(self, data, **kwargs):
        number = data.get("id_number")
        if data["id_type"] == "citizen_id" and number and not (
                number.isdigit() and len(number) == 12):
            raise ValidationError("Số định danh cá nhân phải gồm đúng 12 chữ số.", "id_number")


class ReturnSchema(_Body):
    method = fields.String(load_default="counter",
                           validate=validate.OneOf(("counter", "post")))
    receiver = fields.Nested(ResultReceiverSchema, load_default=None, metadata={
        "description": "at the counter: who took the result (the hand-over slip); the "
                       "applicant when not given"})

    @validates_schema(skip_on_field_errors=True)
    def receiver_at_the_counter(self, data, **kwargs):
        if data["method"] == "post" and data["receiver"]:
            raise ValidationError("Kết quả gửi qua bưu chính: người nhận ký nhận với bưu điện.",
                                  "receiver")


class ExtensionSchema(_Body):
    reason = _text(required=True)
    new_due_date = fields.Date(required=True)


# --- inside the lead agency (agency_work.py) ---------------------------------------------------
class AssignOfficerSchema(_Body):
    officer = _text(100, required=True)
    due_date = fields.Date(load_default=None)  # the officer's own, up to the dossier's
    note = _text(load_default=None)


class ProposeSchema(_Body):
    result_reference = _text(100, required=True)
    note = _text(load_default=None)


class ApproveSchema(_Body):
    note = _text(load_default=None)


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
    "assign_officer": AssignOfficerSchema,
    "propose": ProposeSchema,
    "approve": ApproveSchema,
    "send_back": ReasonSchema,
}

# --- evaluations (evaluations.py) and the officers' feedback (staff_feedback.py) ----------------
class EvaluationAnswersBody(_Body, EvaluationAnswers):
    """Every item answered: a level, or not_applicable for one that did not concern the
    applicant."""


class EvaluationSchema(_Body):
    secret = _text(40, required=True)
    answers = fields.Nested(EvaluationAnswersBody, required=True)
    comment = _text(load_default=None)


class CounterEvaluationSchema(_Body):
    level = fields.String(required=True, validate=validate.OneOf(SATISFACTION_LEVELS))
    comment = _text(1000, load_default=None)
    dossier_code = _text(40, load_default=None, metadata={
        "description": "the dossier handed in or collected at this visit, if any"})


def _topic(what):
    return fields.String(required=True, validate=validate.OneOf(SATISFACTION_LEVELS),
                         metadata={"description": what})


class StaffFeedbackAnswers(_Body):
    workload = _topic("the work given at the center")
    facilities = _topic("premises and equipment")
    software = _topic("the one-stop software")
    delegation = _topic("the authority the officer's agency delegates to them")
    coordination = _topic("how the agencies and the center work together")
    management = _topic("how the center is run")


class StaffFeedbackSchema(_Body):
    answers = fields.Nested(StaffFeedbackAnswers, required=True)
    suggestion = _text(load_default=None)


class EvaluationAnswer(Schema):
    code = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(FINAL_STATUSES)})
    officers = fields.List(fields.String(), required=True, metadata={
        "description": "the officers the evaluation is attributed to"})


class CounterEvaluationAnswer(Schema):
    officer = fields.String(required=True)
    department = fields.String(required=True)
    level = fields.String(required=True, metadata={"enum": list(SATISFACTION_LEVELS)})
    evaluated_at = fields.AwareDateTime(required=True)


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


def _month():
    return fields.String(required=True, validate=validate.Regexp(
        r"^[12][0-9]{3}-(0[1-9]|1[0-2])$", error="Nhập tháng theo dạng năm-tháng, ví dụ 2026-03."))


class MonthQuerySchema(_Body):
    month = _month()
    department = _text(40, load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class FeedbackMonthQuerySchema(_Body):
    """One month only: summaries of overlapping periods would tell apart what a month under
    the threshold holds."""
    month = _month()


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
    reason = fields.String(allow_none=True, metadata={"description": "Mẫu 02 to Mẫu 05"})
    documents = fields.List(fields.Nested(RequestedDocumentSchema),
                            metadata={"description": "Mẫu 02: what to hand in"})
    complete_by = fields.Date(metadata={
        "description": "Mẫu 02: the last day to hand it in; the dossier is closed after it"})
    letter_number = fields.String(metadata={"description": "Mẫu 04"})
    previous_due_date = fields.Date(metadata={"description": "Mẫu 04"})
    new_due_date = fields.Date(metadata={"description": "Mẫu 04: the new appointment"})
    legal_due_date = fields.Date(metadata={
        "description": "Mẫu 04, Mẫu 06: the due date statistics keep comparing with"})
    agency = fields.String(metadata={"description": "Mẫu 06: the lead agency's name"})
    cooperating = fields.List(fields.String(), metadata={"description": "Mẫu 06"})
    due_date = fields.Date(metadata={"description": "Mẫu 06: the appointment (after an "
                                                    "extension)"})
    rows = fields.List(fields.Dict(), metadata={
        "description": "Mẫu 06: each hand-over in time order: {at, giver: {name, person}, "
                       "taker: {name, person}, step, timing (early, on_time, late or null), "
                       "timing_label, note}"})
    result = fields.String(allow_none=True, metadata={
        "description": "Mẫu 06: the result against the legal due date (early, on_time, late; "
                       "null without a result)"})
    result_label = fields.String(metadata={"description": "Mẫu 06"})
    handed_by = fields.String(metadata={
        "description": "result_handover: the officer who handed the result over"})
    receiver = fields.Dict(metadata={
        "description": "result_handover: {full_name (null: the applicant), relation "
                       "(applicant, authorised), relation_label, id_type (citizen_id, passport, "
                       "other or null), id_type_label, id_number (masked)}"})
    result_reference = fields.String(allow_none=True, metadata={
        "description": "result_handover: the result handed over"})


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
                         metadata={"enum": ["supplement", "collect_result", "evaluation"]})
    message = fields.String(required=True, metadata={"description": "in Vietnamese"})
    documents = fields.List(fields.Nested(RequestedDocumentSchema),
                            metadata={"description": "supplement only: what to bring"})
    complete_by = fields.Date(metadata={
        "description": "supplement only: the last day to bring it; the dossier is closed "
                       "after it"})


class IssuedForm(Schema):
    form = fields.String(required=True, metadata={"example": "supplement_request"})
    number = fields.String(required=True, metadata={"example": "Mẫu 02"})
    title = fields.String(required=True)


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
    forms = fields.List(fields.Nested(IssuedForm), required=True, metadata={
        "description": "the forms issued on the dossier that the applicant reads with the "
                       "lookup secret (GET /api/v1/dossiers/{code}/forms/{form}?secret=)"})
    history = fields.List(fields.Nested(HistoryEntry), required=True)
    result_reference = fields.String(metadata={"description": "once the result is ready"})


# --- inside the lead agency: what its staff see (agency_work.py) -------------------------------
HANDOVER_STEPS = ("assign_officer", "transfer", "propose", "send_back", "approve", "complete")
# who gives or takes: a named officer or leader, a processing unit nobody in it named yet, or
# the one-stop unit the result goes back to
HANDOVER_ROLES = ("officer", "leader", "unit", "one_stop_unit")
TIMINGS = ("early", "on_time", "late")


class WorklistQuerySchema(_Body):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class _Proposal(Schema):
    result_reference = fields.String(required=True)
    note = fields.String(allow_none=True)
    proposed_at = fields.AwareDateTime(required=True)
    proposed_by = fields.String(required=True)


class _SentBack(Schema):
    reason = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    by = fields.String(required=True)


class WorkItem(Schema):
    code = fields.String(required=True)
    procedure = fields.Dict(required=True, metadata={"description": "code and name"})
    status = fields.String(required=True)
    status_label = fields.String(required=True, metadata={"description": "in Vietnamese"})
    processing_unit = fields.String(allow_none=True)
    officer = fields.String(allow_none=True, metadata={"description": "who holds it"})
    officer_due_date = fields.Date(allow_none=True)
    received_at = fields.AwareDateTime(required=True)
    due_date = fields.Date(required=True)
    days_left = fields.Integer(allow_none=True, metadata={
        "description": "working days to the due date, negative once past it; null while a "
                       "supplement is awaited (the period restarts when it comes)"})
    overdue = fields.Boolean(required=True)
    proposal = fields.Nested(_Proposal, allow_none=True, metadata={
        "description": "the result awaiting the leader's approval"})
    sent_back = fields.Nested(_SentBack, allow_none=True, metadata={
        "description": "why the leader sent the last proposal back, while it is reworked"})


class WorklistView(Schema):
    """An officer's dossiers (assigned to them and open), or a leader's (awaiting approval, or
    held by nobody), the nearest due date first."""
    department = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": ["department_officer", "leader"]})
    dossiers = fields.List(fields.Nested(WorkItem), required=True)


class HandoverSide(Schema):
    id = fields.String(allow_none=True, metadata={"description": "the person, when named"})
    role = fields.String(required=True, metadata={"enum": list(HANDOVER_ROLES)})
    unit = fields.String(allow_none=True, metadata={"description": "processing unit"})


class _Handover(Schema):
    step = fields.String(required=True, metadata={"enum": list(HANDOVER_STEPS)})
    at = fields.AwareDateTime(required=True)
    giver = fields.Nested(HandoverSide, required=True)
    taker = fields.Nested(HandoverSide, required=True)
    reason = fields.String(allow_none=True)
    due_date = fields.Date(required=True, metadata={
        "description": "the deadline of the step the giver ends: the officer's own, else the "
                       "dossier's legal due date"})
    timing = fields.String(required=True, metadata={"enum": list(TIMINGS)})


class HandoverEntry(_Handover):
    step_label = fields.String(required=True, metadata={"description": "in Vietnamese"})
    timing_label = fields.String(required=True, metadata={
        "example": "Trước hạn", "description": "in Vietnamese"})


class HandoversView(Schema):
    """Every hand-over of the dossier inside its lead agency, in order (Mẫu 06's rows)."""
    code = fields.String(required=True)
    department = fields.String(required=True)
    handovers = fields.List(fields.Nested(HandoverEntry), required=True)


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
    status = fields.String(required=True, validate=validate.OneOf(RUNNING))
    due_date = fields.Date(required=True)


class DossierDueSoonMessage(DossierDueSoonMessageV1):
    """The dossier's due date is near, while an extension can still be asked.

    Sent once, on the working day before the last day to ask for the one extension (Mẫu 04),
    and again before the new date of an extension. Version 2: `extension_deadline`, and the
    status may be `awaiting_approval` (the officer's proposed result waits for the leader)."""
    VERSION = 2

    extension_deadline = fields.Date(required=True, allow_none=True, metadata={
        "description": "the last day to ask for the one extension (Mẫu 04); null when the "
                       "dossier was extended already or the day has passed"})


class DossierHandedOverMessage(_Handover):
    """The dossier changed hands inside the department (the rows of Mẫu 06)."""
    code = fields.String(required=True)
    department = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "the dossier's, after it"})


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
    "dossier.handed_over": DossierHandedOverMessage,
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


# --- the officers' inbox (inbox.py) -------------------------------------------------------------
INBOX_STATUSES = ("received", "assigned", "processing", "supplement_requested", "resubmitted",
                  "consulting", "awaiting_approval", "result_ready", "returned", "refused",
                  "withdrawn", "closed")


class InboxQuerySchema(_Body):
    status = fields.String(load_default=None, validate=validate.OneOf(INBOX_STATUSES),
                           metadata={"description": "one status (the open ones by default)"})
    due_before = fields.Date(load_default=None, metadata={"description": "due on or before"})
    due_soon = fields.Boolean(load_default=False, metadata={
        "description": "due within 3 days and not yet overdue"})
    overdue = fields.Boolean(load_default=False)
    mine = fields.Boolean(load_default=False, metadata={"description": "assigned to the caller"})
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=100), metadata={
        "description": "a dossier code, a phone number or the applicant's name, with or "
                       "without diacritics (part of it is enough)"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class InboxRow(Schema):
    code = fields.String(required=True)
    procedure = fields.Dict(required=True, metadata={"description": "code and name"})
    applicant_name = fields.String(allow_none=True, metadata={
        "description": "none for a dossier received before the inbox kept it"})
    status = fields.String(required=True)
    status_label = fields.String(required=True)
    officer = fields.String(allow_none=True)
    received_at = fields.AwareDateTime(required=True)
    due_date = fields.Date(required=True)
    days_left = fields.Integer(allow_none=True, metadata={
        "description": "working days to the due date, negative when late; none while the "
                       "period is paused or once resolved"})
    late = fields.Boolean(required=True)


class InboxView(Schema):
    department = fields.String(allow_none=True, metadata={
        "description": "the caller's agency; none for a manager or a center's own staff"})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    has_next = fields.Boolean(required=True)
    dossiers = fields.List(fields.Nested(InboxRow), required=True)


class InboxAction(Schema):
    action = fields.String(required=True, metadata={"example": "complete"})
    label = fields.String(required=True)


class InboxStep(Schema):
    at = fields.AwareDateTime(required=True)
    status = fields.String(required=True)
    action = fields.String(allow_none=True, metadata={"description": "none for the reception"})
    label = fields.String(required=True, metadata={"description": "in Vietnamese"})
    actor = fields.String(required=True)
    note = fields.String(allow_none=True)


class InboxDossierView(InboxRow):
    department = fields.String(required=True)
    cooperating = fields.List(fields.String(), required=True)
    channel = fields.String(required=True)
    result_delivery = fields.String(required=True)
    applicant_phone = fields.String(allow_none=True)
    processing_unit = fields.String(allow_none=True)
    result_reference = fields.String(allow_none=True)
    return_method = fields.String(allow_none=True, metadata={
        "description": "once returned: counter (its hand-over slip: forms/result_handover) or "
                       "post"})
    sector_name = fields.String(allow_none=True)
    actions = fields.List(fields.Nested(InboxAction), required=True, metadata={
        "description": "what the lifecycle table lets the caller do now"})
    timeline = fields.List(fields.Nested(InboxStep), required=True)
