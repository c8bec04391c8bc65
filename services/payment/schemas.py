"""marshmallow schemas of payment's HTTP bodies and queries."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .billing import CHANNELS

MAX_VND = 10**12  # no single fee comes near a trillion đồng; a bigger number is a typo


class _Strict(Schema):
    class Meta:
        unknown = RAISE


Amount = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_VND))


class PaymentRequestSchema(_Strict):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    amount = fields.Integer(strict=True, load_default=None,
                            validate=validate.Range(min=1, max=MAX_VND))
    terminal_id = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    terminal_reference = fields.String(load_default=None,
                                       validate=validate.Regexp(r"^[A-Za-z0-9_-]{4,40}$"))
    ip_addr = fields.IP(load_default=None)
    bank_code = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z0-9]{2,20}$"))

    @validates_schema
    def channel_fields(self, data, **kwargs):
        if data["channel"] == "card":
            missing = {name: ["required for a card payment"]
                       for name in ("terminal_id", "terminal_reference") if not data.get(name)}
            if missing:
                raise ValidationError(missing)
        elif data.get("terminal_id") or data.get("terminal_reference"):
            raise ValidationError({"terminal_reference": ["only for a card payment"]})
        if data["channel"] != "online" and (data.get("bank_code") or data.get("ip_addr")):
            raise ValidationError({"bank_code": ["only for an online payment"]})


class RefundRequestSchema(_Strict):
    amount = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_VND))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    reference = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Za-z0-9_-]{4,40}$"))


class StatementQuerySchema(_Strict):
    day = fields.Date(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    source = fields.String(required=True, validate=validate.OneOf(("bank", "treasury", "gateway")))


class ReportQuerySchema(_Strict):
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class BillQuerySchema(_Strict):
    dossier_code = fields.String(required=True, validate=validate.Length(min=1, max=60))


class ReceiptQuerySchema(_Strict):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "html")))
