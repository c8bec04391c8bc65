"""Contracts of the events services exchange: the `data` of each event type.

Publishers build `data` to these shapes and consumers load it through them, so a change of
shape shows up as a validation failure on one side, not as a KeyError deep in a handler. A
consumer that reads only part of an event loads it through its view (`only`), so it checks
just the fields it relies on.
"""
from datetime import datetime, timedelta

from marshmallow import EXCLUDE, RAISE, Schema, fields, pre_load, validate

from .events import TIMEZONE
from .lookup import PROOF_PATTERN
from .messages import ItemCount
from .rating_scale import NOT_APPLICABLE, SCALE  # noqa: F401 (NOT_APPLICABLE: part of the contract)

CHANNELS = ("counter", "online", "postal")
RESULT_DELIVERIES = ("counter", "post")


_schemas = {}


def contract_schema(contract, only=None):
    """The one instance of a contract's schema in this process: building a marshmallow schema
    costs more than using it (it deep-copies its fields), and schemas keep no state between
    loads and dumps. `only` (field names, dotted for nested ones) is a consumer's view: it
    checks and loads just the fields that consumer reads (a tolerant reader)."""
    schema = _schemas.get((contract, only))
    if schema is None:
        schema = _schemas.setdefault((contract, only), contract(only=only))
    return schema


class _Tolerant(Schema):
    class Meta:
        unknown = EXCLUDE  # a newer publisher may add fields


class ProcedureSnapshotV3(_Tolerant):
    """The procedure as dossier.received version 3 carried it."""
    code = fields.String(required=True)
    name = fields.String(required=True)
    department = fields.String(required=True)
    cooperating = fields.List(fields.String(), required=True)
    # 0: a same-day procedure (due the day of reception, or the next working day after the
    # cut-off)
    processing_days = fields.Integer(required=True, validate=validate.Range(min=0))
    day_kind = fields.String(required=True, validate=validate.OneOf(("working", "calendar")))
    fee = fields.Integer(required=True, validate=validate.Range(min=0))
    charge = fields.Integer(required=True, validate=validate.Range(min=0))
    postal_return = fields.Boolean(required=True)
    refund_on_refusal = fields.Boolean(required=True)
    hold_result_until_paid = fields.Boolean(required=True)
    # the competent agency's name, as the printed forms name it (absent from events published
    # before intake sent it)
    department_name = fields.String(load_default=None, allow_none=True,
                                    metadata={"example": "Sở Tư pháp"})


class ProcedureSnapshot(ProcedureSnapshotV3):
    """The procedure as the catalogue had it at reception. Version 4: its lĩnh vực and the
    competent agency's name (`department` is its code)."""
    department_name = fields.String(load_default=None, allow_none=True,
                                    metadata={"example": "Sở Tư pháp"})
    # not required: a version 3 event still in flight lacks them
    sector_code = fields.String(load_default=None, allow_none=True, metadata={
        "description": "the lĩnh vực (sector) of the procedure: reports are grouped by it",
        "example": "cong_chung"})
    sector_name = fields.String(load_default=None, allow_none=True,
                                metadata={"example": "Công chứng"})


MASKED_CITIZEN_ID = r"^\*+\d{3}$"


class ApplicantV3(_Tolerant):
    """The applicant as dossier.received version 3 carried it: a citizen."""
    full_name = fields.String(required=True)
    # masked to its last three digits: the event stays in the event log, and no consumer
    # needs the whole number (intake keeps it)
    citizen_id = fields.String(required=True, validate=validate.Regexp(MASKED_CITIZEN_ID),
                               metadata={"example": "*********567"})
    phone = fields.String(required=True)
    email = fields.String(load_default=None, allow_none=True)
    address = fields.String(required=True)


APPLICANT_KINDS = ("citizen", "business", "state_agency", "organisation")


class Organisation(_Tolerant):
    name = fields.String(required=True)
    tax_code = fields.String(required=True, metadata={
        "description": "mã số doanh nghiệp or mã số thuế", "example": "1601234567"})
    address = fields.String(required=True)


class Authorisation(_Tolerant):
    reference = fields.String(required=True)
    signed_on = fields.Date(required=True)
    valid_until = fields.Date(load_default=None, allow_none=True)


class AuthorisedPerson(_Tolerant):
    """Người được ủy quyền, with the authorisation recorded at reception."""
    full_name = fields.String(required=True)
    citizen_id = fields.String(required=True, validate=validate.Regexp(MASKED_CITIZEN_ID))
    phone = fields.String(required=True)
    address = fields.String(required=True)
    authorisation = fields.Nested(Authorisation, required=True)


class Applicant(ApplicantV3):
    """Version 4: a citizen, or an organisation (`organisation`) whose representative the
    person fields name; either through an authorised person (`authorised_person`)."""
    kind = fields.String(load_default="citizen", validate=validate.OneOf(APPLICANT_KINDS),
                         metadata={"description": "DVCQG's LoaiDoiTuong: citizen (1), "
                                                  "business (2), state_agency (3), "
                                                  "organisation (4)"})
    organisation = fields.Nested(Organisation, load_default=None, allow_none=True)
    authorised_person = fields.Nested(AuthorisedPerson, load_default=None, allow_none=True)


class DossierReceived(_Tolerant):
    """A dossier formally received: numbered, its receipt issued, its period running.
    Version 4: applicants of every kind (`applicant.kind`, `applicant.organisation`,
    `applicant.authorised_person`); the procedure's lĩnh vực (`procedure.sector_code`,
    `procedure.sector_name`)
    and its competent agency's name (`procedure.department_name`); the code starts with the
    competent agency's identifier (the receiving unit's, or DVCQG's online, for an
    inter-agency group); `receiving_unit` is the identifier of the unit that received it (the
    center, or the post office), `center` the code of that center (None by post).
    Version 3: a same-day procedure has `processing_days` 0; `paper_handover_on` is the day
    the paper dossier goes to the agency (None for an online one) and `submission_id` the
    online submission it was received from (None at a counter or post office). Version 2:
    the lookup secret is no longer carried in clear (`lookup_secret`, version 1) but as
    routing's proof of it and encrypted for notify; the citizen ID is masked."""
    VERSION = 4

    code = fields.String(required=True)
    procedure = fields.Nested(ProcedureSnapshot, required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    receiving_unit = fields.String(required=True)
    received_at = fields.AwareDateTime(required=True)
    due_date = fields.Date(required=True)
    applicant = fields.Nested(Applicant, required=True)
    documents = fields.List(fields.Dict(), required=True)
    result_delivery = fields.String(required=True, validate=validate.OneOf(RESULT_DELIVERIES))
    delivery_address = fields.String(load_default=None, allow_none=True)
    # HMAC-SHA256 of the secret keyed with LOOKUP_PEPPER (services/common/lookup.py)
    lookup_proof = fields.String(required=True, validate=validate.Regexp(PROOF_PATTERN))
    # Fernet-encrypted with NOTIFY_SECRET_KEY: only notify opens it, for the receipt SMS
    lookup_secret_for_notify = fields.String(required=True)
    receiver = fields.Dict(required=True)
    # not required: a version 2 event still in flight lacks them
    paper_handover_on = fields.Date(load_default=None, allow_none=True)
    submission_id = fields.UUID(load_default=None, allow_none=True)
    center = fields.String(load_default=None, allow_none=True, metadata={
        "description": "the one-stop center that received it (none by post)",
        "example": "trung_tam_tinh"})


# --- routing: a dossier assigned --------------------------------------------------------------
# Nothing of the citizen's lookup secret ever reaches a department.
NOT_FOR_DEPARTMENTS = ("lookup_proof", "lookup_secret_for_notify")


class DossierAssigned(_Tolerant):
    """dossier.assigned on routing.events: the dossier reached its lead department's queue."""
    code = fields.String(required=True)
    department = fields.String(required=True)
    cooperating = fields.List(fields.String(), required=True)
    due_date = fields.Date(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    received_at = fields.AwareDateTime(required=True)


class DossierAssignedMessage(DossierReceived):
    """What a department receives on its queue as dossier.assigned: the dossier.received data
    without anything of the lookup secret (nothing else may be added: checked at publish),
    plus the department it is for and its role. Version 4: as dossier.received version 4
    (applicants of every kind, the procedure's lĩnh vực and agency name, the receiving
    center). Version 3: as
    dossier.received version 3 (same-day procedures, paper_handover_on, submission_id).
    Version 2: the citizen ID is masked."""
    VERSION = 4

    class Meta:
        unknown = RAISE
        exclude = NOT_FOR_DEPARTMENTS

    department = fields.String(required=True, metadata={"example": "stp"})
    role = fields.String(required=True, validate=validate.OneOf(("lead", "cooperating")))


class DossierAssignedMessageV3(DossierAssignedMessage):
    """dossier.assigned version 3, for a department's system written for it: a citizen
    applicant, the procedure without its lĩnh vực nor its agency's name, no receiving
    center. docs/asyncapi.yaml keeps it while such messages may still wait on a department's
    queue."""
    VERSION = 3

    class Meta:
        unknown = RAISE
        exclude = (*NOT_FOR_DEPARTMENTS, "center")

    procedure = fields.Nested(ProcedureSnapshotV3, required=True)
    applicant = fields.Nested(ApplicantV3, required=True)


class ProcedureSnapshotV2(ProcedureSnapshotV3):
    processing_days = fields.Integer(required=True, validate=validate.Range(min=1))


class DossierAssignedMessageV2(DossierAssignedMessageV3):
    """dossier.assigned version 2, for a department's system written for it: no same-day
    procedure, neither paper_handover_on nor submission_id. docs/asyncapi.yaml keeps it while
    such messages may still wait on a department's queue."""
    VERSION = 2

    class Meta:
        unknown = RAISE
        exclude = (*NOT_FOR_DEPARTMENTS, "center", "paper_handover_on", "submission_id")

    procedure = fields.Nested(ProcedureSnapshotV2, required=True)


# --- routing: the lifecycle after reception -------------------------------------------------
STATUSES = (
    "received", "assigned", "processing", "supplement_requested", "resubmitted", "consulting",
    "result_ready", "returned", "refused", "withdrawn", "closed", "awaiting_approval",
)
# Steps inside the lead agency: the applicant and DVCQG see them as `processing`.
AGENCY_STATUSES = ("awaiting_approval",)
PUBLIC_STATUSES = tuple(status for status in STATUSES if status not in AGENCY_STATUSES)


class DossierStatusChanged(_Tolerant):
    """Version 2: the status `closed` (a supplement not completed within the time the law
    gives, Decree 118/2025 art. 19(5)); `from_status` and `to_status` may be
    `awaiting_approval` (the officer's proposed result waits for the agency's leader);
    `public_status` is the status the applicant sees (never a step inside the agency)."""
    VERSION = 2

    code = fields.String(required=True)
    department = fields.String(required=True)
    from_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    to_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    public_status = fields.String(required=True, validate=validate.OneOf(PUBLIC_STATUSES))
    actor = fields.String(required=True)
    reason = fields.String(load_default=None, allow_none=True)
    at = fields.AwareDateTime(required=True)
    due_date = fields.Date(required=True)


class RequestedDocument(_Tolerant):
    name = fields.String(required=True)
    note = fields.String(load_default=None, allow_none=True)


class SupplementRequested(_Tolerant):
    """Mẫu 02: everything missing, asked once. The processing period restarts from zero when
    the complete dossier arrives; not completed by `complete_by`, the dossier is closed.
    Version 2: `complete_by` (version 1 told of a clock paused until the citizen resubmits)."""
    VERSION = 2

    code = fields.String(required=True)
    department = fields.String(required=True)
    procedure_name = fields.String(required=True)
    documents = fields.List(fields.Nested(RequestedDocument), required=True,
                            validate=ItemCount(min=1))
    reason = fields.String(required=True)
    requested_at = fields.AwareDateTime(required=True)
    complete_by = fields.Date(required=True, metadata={
        "description": "the last day to hand in the complete dossier; closed after it"})

    @pre_load
    def _version_1_complete_by(self, data, **kwargs):
        """A version-1 event, asked before the upgrade to Decree 118/2025, is read with the
        last day routing's migration 0005 gave its supplement: the notice's day plus 15."""
        if isinstance(data, dict) and "complete_by" not in data:
            try:
                asked = datetime.fromisoformat(data["requested_at"]).astimezone(TIMEZONE)
            except (KeyError, TypeError, ValueError):
                return data  # the field's own check names what is wrong
            data = {**data, "complete_by": (asked.date() + timedelta(days=15)).isoformat()}
        return data


class DossierClosed(_Tolerant):
    """The supplement asked for was not handed in by its last day: the one-stop unit closed
    the dossier (Decree 118/2025 art. 19(5))."""
    code = fields.String(required=True)
    department = fields.String(required=True)
    procedure_name = fields.String(required=True)
    supplement_requested_at = fields.AwareDateTime(required=True)
    complete_by = fields.Date(required=True)
    closed_at = fields.AwareDateTime(required=True)


class Delivery(_Tolerant):
    """Where the result goes: the counter of the center, or by post to the applicant."""
    method = fields.String(required=True, validate=validate.OneOf(RESULT_DELIVERIES))
    recipient_name = fields.String(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)
    address = fields.String(load_default=None, allow_none=True)


class ResultReady(_Tolerant):
    code = fields.String(required=True)
    department = fields.String(required=True)
    procedure_name = fields.String(required=True)
    result_reference = fields.String(required=True)
    ready_at = fields.AwareDateTime(required=True)
    delivery = fields.Nested(Delivery, required=True)
    # False while fees are unpaid and the procedure holds the result until they are.
    releasable = fields.Boolean(required=True)
    # the signed electronic result (docstore's document id) the citizen may download once
    # releasable; none for a result on paper only (and in events published before it)
    result_document_id = fields.UUID(load_default=None, allow_none=True)


class DossierRefused(_Tolerant):
    """Mẫu 03 when refused at reception, or the department's refusal during processing."""
    code = fields.String(required=True)
    department = fields.String(required=True)
    reason = fields.String(required=True)
    refused_at = fields.AwareDateTime(required=True)


class DossierWithdrawn(_Tolerant):
    """The applicant asked to stop: processing stops, the stop notice (Mẫu 05) is issued."""
    code = fields.String(required=True)
    department = fields.String(required=True)
    procedure_name = fields.String(required=True)
    reason = fields.String(required=True)
    withdrawn_at = fields.AwareDateTime(required=True)


class DossierOverdue(_Tolerant):
    """Sent once, when a dossier passes its due date unresolved."""
    code = fields.String(required=True)
    department = fields.String(required=True)
    due_date = fields.Date(required=True)
    detected_at = fields.AwareDateTime(required=True)


class ApologyIssued(_Tolerant):
    """Version 1 of the extension, `dossier.apology_issued` (Decree 61/2018's apology with a
    new appointment), published before the upgrade to Decree 118/2025: read by notify for
    those still in flight."""
    code = fields.String(required=True)
    department = fields.String(required=True)
    procedure_name = fields.String(required=True)
    letter_number = fields.String(required=True)
    reason = fields.String(required=True)
    previous_due_date = fields.Date(required=True)
    new_due_date = fields.Date(required=True)
    issued_at = fields.AwareDateTime(required=True)


class DossierExtended(ApologyIssued):
    """Mẫu 04: the department at fault asked, before the due date, to extend the time once;
    the appointment moves to `new_due_date`. Statistics keep `legal_due_date`. Version 2:
    `department_name`, the competent agency's name: the apology is the agency's (null for a
    dossier received before intake sent the name)."""
    VERSION = 2

    department_name = fields.String(load_default=None, allow_none=True,
                                    metadata={"example": "Sở Xây dựng"})
    legal_due_date = fields.Date(required=True)


class ConsultationLate(_Tolerant):
    """A cooperating department had not answered by its reply date (or answered after it):
    reported to the head of the one-stop unit (Decree 118/2025 art. 19(4)(c))."""
    code = fields.String(required=True)
    department = fields.String(required=True, metadata={"description": "the lead department"})
    consulted_department = fields.String(required=True)
    consultation_id = fields.Integer(required=True)
    reply_due_date = fields.Date(required=True)
    replied_at = fields.AwareDateTime(load_default=None, allow_none=True, metadata={
        "description": "null while the answer is still awaited"})
    detected_at = fields.AwareDateTime(required=True)


class DossierReturned(_Tolerant):
    code = fields.String(required=True)
    department = fields.String(required=True)
    method = fields.String(required=True, validate=validate.OneOf(RESULT_DELIVERIES))
    returned_at = fields.AwareDateTime(required=True)


# --- routing: the applicant's evaluation (Decree 118/2025 art. 33) ---------------------------
# The nine items of art. 33(1), points a, b, c, d, đ, e, g, h, i in that order.
EVALUATION_ITEMS = ("time", "agencies", "contacts", "published_information", "attitude",
                    "result_and_costs", "complaints", "online_services", "other")
# The province's scale (config/evaluation.yml), and "not applicable" for an item that did
# not concern the applicant (no complaint, no online service).
SATISFACTION_LEVELS = SCALE.levels
EVALUATION_ANSWERS = SCALE.answers
FINAL_STATUSES = ("returned", "refused", "withdrawn", "closed")


def _answer(point, what):
    return fields.String(required=True, validate=validate.OneOf(EVALUATION_ANSWERS),
                         metadata={"description": f"art. 33(1)({point}): {what}"})


class EvaluationAnswers(_Tolerant):
    """The applicant's answer to each of the nine items."""
    time = _answer("a", "time taken against the time the law sets")
    agencies = _answer("b", "number of agencies dealt with to complete the dossier")
    contacts = _answer("c", "number of contacts needed to complete the dossier")
    published_information = _answer("d", "accuracy of the published procedure information")
    attitude = _answer("đ", "the officers' attitude")
    result_and_costs = _answer("e", "lawful result, its cost, no charge outside the law")
    complaints = _answer("g", "how feedback and complaints were taken and answered")
    online_services = _answer("h", "quality of the online public services")
    other = _answer("i", "anything else")


class DossierEvaluated(_Tolerant):
    """The applicant evaluated the handling of the dossier, once, on the nine items of Decree
    118/2025 art. 33(1), after it reached a final status; the evaluation is attributed to the
    officers who handled it. For the National Public Service Portal (DVCQG), which receives
    and publishes every evaluation. The applicant's comment stays in routing."""
    code = fields.String(required=True)
    department = fields.String(required=True, metadata={"description": "the lead agency"})
    procedure_code = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(FINAL_STATUSES), metadata={
        "description": "the dossier's final status when it was evaluated"})
    answers = fields.Nested(EvaluationAnswers, required=True)
    officers = fields.List(fields.String(), required=True, metadata={
        "description": "the officers it is attributed to, in the order they first acted"})
    evaluated_at = fields.AwareDateTime(required=True)


# --- payment ---------------------------------------------------------------------------------
BILL_KINDS = ("fee", "postal")


class PaymentRequested(_Tolerant):
    bill_id = fields.String(required=True)
    code = fields.String(required=True)  # the dossier's code
    kind = fields.String(required=True, validate=validate.OneOf(BILL_KINDS))
    amount = fields.Integer(required=True, validate=validate.Range(min=1))  # VND
    description = fields.String(required=True)
    pay_url = fields.String(load_default=None, allow_none=True)


class PaymentSettled(_Tolerant):
    bill_id = fields.String(required=True)
    code = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(BILL_KINDS))
    amount = fields.Integer(required=True, validate=validate.Range(min=0))
    paid = fields.Integer(required=True, validate=validate.Range(min=0))
    settled_at = fields.AwareDateTime(required=True)


class PaymentRefunded(_Tolerant):
    bill_id = fields.String(required=True)
    code = fields.String(required=True)
    amount = fields.Integer(required=True, validate=validate.Range(min=1))
    refunded_at = fields.AwareDateTime(required=True)


# --- postal ----------------------------------------------------------------------------------
class ShipmentCreated(_Tolerant):
    shipment_id = fields.String(required=True)
    tracking_number = fields.String(required=True)
    code = fields.String(required=True)
    post_office = fields.String(required=True)
    fee = fields.Integer(required=True, validate=validate.Range(min=0))  # postal charge, VND
    created_at = fields.AwareDateTime(required=True)


class ShipmentDelivered(_Tolerant):
    shipment_id = fields.String(required=True)
    tracking_number = fields.String(required=True)
    code = fields.String(required=True)
    delivered_at = fields.AwareDateTime(required=True)


class DeliveryFailed(_Tolerant):
    shipment_id = fields.String(required=True)
    tracking_number = fields.String(required=True)
    code = fields.String(required=True)
    attempt = fields.Integer(required=True, validate=validate.Range(min=1))
    reason = fields.String(required=True)
    returned_to_center = fields.Boolean(required=True)


# --- notify ----------------------------------------------------------------------------------
class NotificationOutcome(_Tolerant):
    """notification.delivered / notification.failed."""
    notification_id = fields.String(required=True)
    code = fields.String(load_default=None, allow_none=True)
    channel = fields.String(required=True, validate=validate.OneOf(("sms", "email")))
    template = fields.String(required=True)
    status = fields.String(required=True)


# --- intake: online dossiers before their formal reception, and the calendar ------------------
class ProcedureRef(_Tolerant):
    code = fields.String(required=True)
    name = fields.String(required=True)


class DossierAwaitingReception(_Tolerant):
    """An online dossier came from the portal: a counter officer of the competent agency
    formally receives it (then it is numbered: dossier.received) or asks for corrections,
    within 8 working hours (art. 17(2)(c)), by `receive_by`. It has no code yet:
    `submission_id` names it."""
    submission_id = fields.UUID(required=True)
    procedure = fields.Nested(ProcedureRef, required=True)
    department = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(("online",)))
    submitted_at = fields.AwareDateTime(required=True)
    receive_by = fields.AwareDateTime(required=True)


class DossierCorrectionsRequested(_Tolerant):
    """Instead of receiving an online dossier the officer asks, once and in writing, for
    everything it lacks (Mẫu 02): the submission ends unreceived; the corrected dossier comes
    as a new submission."""
    submission_id = fields.UUID(required=True)
    procedure = fields.Nested(ProcedureRef, required=True)
    department = fields.String(required=True)
    documents = fields.List(fields.Nested(RequestedDocument), required=True,
                            validate=ItemCount(min=1))
    reason = fields.String(required=True)
    requested_at = fields.AwareDateTime(required=True)


class DossierReceptionOverdue(_Tolerant):
    """Sent once, when an online dossier is still awaiting reception at `receive_by`."""
    submission_id = fields.UUID(required=True)
    department = fields.String(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    receive_by = fields.AwareDateTime(required=True)
    detected_at = fields.AwareDateTime(required=True)


class CalendarChanged(_Tolerant):
    """The province's calendar overrides, the whole set (a consumer that missed a change is
    right again with the next one); `revision` orders them, a higher one replaces a lower."""
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    days_off = fields.List(fields.Date(), required=True)
    working_days = fields.List(fields.Date(), required=True)
    changed_at = fields.AwareDateTime(required=True)


# --- nationalportal: the link to the National Public Service Portal (DVCQG) --------------------
class PortalDossierSynced(_Tolerant):
    """DVCQG acknowledged a dossier as it stands (record, progress rows, fees, result):
    `version` counts the changes motcua made to it; `status_code` is the TrangThaiHoSo sent;
    `portal_id` is the portal's own id of an online dossier."""
    code = fields.String(required=True)
    portal_id = fields.String(load_default=None, allow_none=True)
    status_code = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=0))
    synced_at = fields.AwareDateTime(required=True)


class PortalSyncFailed(_Tolerant):
    """A dossier DVCQG will not show as it stands until a person acts: the portal refused what
    was sent, motcua lacks a value the portal requires, or the portal stayed down for every
    attempt. `reason` is the portal's answer, or the field lacking."""
    code = fields.String(required=True)
    reason = fields.String(required=True)
    attempts = fields.Integer(required=True, validate=validate.Range(min=0))
    failed_at = fields.AwareDateTime(required=True)


# --- docstore --------------------------------------------------------------------------------
DOCUMENT_KINDS = ("reception", "copy", "result")


class DocumentAccepted(_Tolerant):
    """A clean upload is stored: the document worker turns it into a signed PDF/A (its job
    queue is bound to this event)."""
    document_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    media_type = fields.String(required=True)
    department = fields.String(load_default=None, allow_none=True)


class DocumentSigned(_Tolerant):
    """document.signed: the signed PDF/A is stored (document.stored when it was reused)."""
    document_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    dossier_code = fields.String(load_default=None, allow_none=True)
    department = fields.String(load_default=None, allow_none=True)
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    pages = fields.Integer(required=True, validate=validate.Range(min=0))
    signer = fields.String(required=True)
    signed_at = fields.AwareDateTime(required=True)


class DocumentSignatureReceived(_Tolerant):
    """document.signature_received: the remote signer's value for a document awaiting its
    signature is kept; the document worker embeds it (its job queue is bound to this event)."""
    document_id = fields.UUID(required=True)
    department = fields.String(load_default=None, allow_none=True)


class ResultIssued(_Tolerant):
    """result.issued: a dossier's signed electronic result is ready for the citizen."""
    document_id = fields.UUID(required=True)
    code = fields.String(required=True)
    department = fields.String(load_default=None, allow_none=True)
    issued_at = fields.AwareDateTime(required=True)
