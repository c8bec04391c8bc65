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
    processing_days = fields.Integer(required=True, validate=validate.Range(min=1))
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
    """Version 2: the lookup secret is no longer carried in clear (`lookup_secret`, version
    1) but as routing's proof of it and encrypted for notify; the citizen ID is masked."""
    VERSION = 2

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
    plus the department it is for and its role. Version 2: the citizen ID is masked."""
    VERSION = 2

    class Meta:
        unknown = RAISE
        exclude = NOT_FOR_DEPARTMENTS

    department = fields.String(required=True, metadata={"example": "stp"})
    role = fields.String(required=True, validate=validate.OneOf(("lead", "cooperating")))


# --- routing: the lifecycle after reception -------------------------------------------------
STATUSES = (
    "received", "assigned", "processing", "supplement_requested", "resubmitted", "consulting",
    "result_ready", "returned", "refused", "withdrawn", "awaiting_approval",
)
# Steps inside the lead agency: the applicant and DVCQG see them as `processing`.
AGENCY_STATUSES = ("awaiting_approval",)
PUBLIC_STATUSES = tuple(status for status in STATUSES if status not in AGENCY_STATUSES)


class DossierStatusChanged(_Tolerant):
    """Version 2: `from_status` and `to_status` may be `awaiting_approval` (the officer's
    proposed result waits for the agency's leader); `public_status` is the status the
    applicant sees (never a step inside the agency)."""
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
    """Mẫu 02: everything missing, asked once; the clock stops until the citizen resubmits."""
    code = fields.String(required=True)
    department = fields.String(required=True)
    procedure_name = fields.String(required=True)
    documents = fields.List(fields.Nested(RequestedDocument), required=True,
                            validate=ItemCount(min=1))
    reason = fields.String(required=True)
    requested_at = fields.AwareDateTime(required=True)


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


class DossierOverdue(_Tolerant):
    """Sent once, when a dossier passes its due date unresolved."""
    code = fields.String(required=True)
    department = fields.String(required=True)
    due_date = fields.Date(required=True)
    detected_at = fields.AwareDateTime(required=True)


class ApologyIssued(_Tolerant):
    """Mẫu 04: the department apologises and sets a new appointment date."""
    code = fields.String(required=True)
    department = fields.String(required=True)
    procedure_name = fields.String(required=True)
    letter_number = fields.String(required=True)
    reason = fields.String(required=True)
    previous_due_date = fields.Date(required=True)
    new_due_date = fields.Date(required=True)
    issued_at = fields.AwareDateTime(required=True)


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
