"""Contracts of the events services exchange: the `data` of each event type.

Publishers build `data` to these shapes and consumers load it through them, so a change of
shape shows up as a validation failure on one side, not as a KeyError deep in a handler. A
consumer that reads only part of an event loads it through its view (`only`), so it checks
just the fields it relies on.
"""
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from .lookup import PROOF_PATTERN
from .messages import ItemCount

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


class ProcedureSnapshot(_Tolerant):
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


MASKED_CITIZEN_ID = r"^\*+\d{3}$"


class Applicant(_Tolerant):
    full_name = fields.String(required=True)
    # masked to its last three digits: the event stays in the event log, and no consumer
    # needs the whole number (intake keeps it)
    citizen_id = fields.String(required=True, validate=validate.Regexp(MASKED_CITIZEN_ID),
                               metadata={"example": "*********567"})
    phone = fields.String(required=True)
    email = fields.String(load_default=None, allow_none=True)
    address = fields.String(required=True)


class DossierReceived(_Tolerant):
    """A dossier formally received: numbered, its receipt issued, its period running.
    Version 3: a same-day procedure has `processing_days` 0; `paper_handover_on` is the day
    the paper dossier goes to the agency (None for an online one) and `submission_id` the
    online submission it was received from (None at a counter or post office). Version 2:
    the lookup secret is no longer carried in clear (`lookup_secret`, version 1) but as
    routing's proof of it and encrypted for notify; the citizen ID is masked."""
    VERSION = 3

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
    plus the department it is for and its role. Version 3: as dossier.received version 3
    (same-day procedures, paper_handover_on, submission_id). Version 2: the citizen ID is
    masked."""
    VERSION = 3

    class Meta:
        unknown = RAISE
        exclude = NOT_FOR_DEPARTMENTS

    department = fields.String(required=True, metadata={"example": "stp"})
    role = fields.String(required=True, validate=validate.OneOf(("lead", "cooperating")))


class ProcedureSnapshotV2(ProcedureSnapshot):
    processing_days = fields.Integer(required=True, validate=validate.Range(min=1))


class DossierAssignedMessageV2(DossierAssignedMessage):
    """dossier.assigned version 2, for a department's system written for it: no same-day
    procedure, neither paper_handover_on nor submission_id. docs/asyncapi.yaml keeps it while
    such messages may still wait on a department's queue."""
    VERSION = 2

    class Meta:
        unknown = RAISE
        exclude = (*NOT_FOR_DEPARTMENTS, "paper_handover_on", "submission_id")

    procedure = fields.Nested(ProcedureSnapshotV2, required=True)


# --- routing: the lifecycle after reception -------------------------------------------------
STATUSES = (
    "received", "assigned", "processing", "supplement_requested", "resubmitted", "consulting",
    "result_ready", "returned", "refused", "withdrawn", "closed",
)


class DossierStatusChanged(_Tolerant):
    """Version 2: the status `closed` (a supplement not completed within the time the law
    gives, Decree 118/2025 art. 19(5))."""
    VERSION = 2

    code = fields.String(required=True)
    department = fields.String(required=True)
    from_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    to_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
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


class DossierExtended(_Tolerant):
    """Mẫu 04: the department at fault asked, before the due date, to extend the time once;
    the appointment moves to `new_due_date`. Statistics keep `legal_due_date`."""
    code = fields.String(required=True)
    department = fields.String(required=True)
    procedure_name = fields.String(required=True)
    letter_number = fields.String(required=True)
    reason = fields.String(required=True)
    previous_due_date = fields.Date(required=True)
    new_due_date = fields.Date(required=True)
    legal_due_date = fields.Date(required=True)
    issued_at = fields.AwareDateTime(required=True)


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
