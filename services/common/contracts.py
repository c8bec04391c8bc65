"""Contracts of the events services exchange: the `data` of each event type.

Publishers build `data` to these shapes and consumers load it through them, so a change of
shape shows up as a validation failure on one side, not as a KeyError deep in a handler.
"""
from marshmallow import EXCLUDE, Schema, fields, validate

CHANNELS = ("counter", "online", "postal")
RESULT_DELIVERIES = ("counter", "post")


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


class Applicant(_Tolerant):
    full_name = fields.String(required=True)
    citizen_id = fields.String(required=True)
    phone = fields.String(required=True)
    email = fields.String(load_default=None, allow_none=True)
    address = fields.String(required=True)


class DossierReceived(_Tolerant):
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
    lookup_secret = fields.String(required=True)
    receiver = fields.Dict(required=True)
