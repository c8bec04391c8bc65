"""postal's HTTP bodies. Messages are meant for a manager or a post-office clerk to read."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .tracking import STATUSES

PICKUP_STATUSES = ("requested", "collected", "received")
AGENCY_CODE = r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"  # Circular 10/2016/TT-BTTTT


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class PostOfficeSchema(_Strict):
    code = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Z0-9][A-Z0-9_-]{1,39}$", error="2 to 40 capital letters, digits, - or _"))
    name = fields.String(required=True, validate=validate.Length(min=3, max=200))
    address = fields.String(required=True, validate=validate.Length(min=5, max=300))
    receiving_unit = fields.String(required=True, validate=validate.Regexp(
        AGENCY_CODE, error="an agency code such as 000.00.31.H33"))


class DelegationSchema(_Strict):
    department = fields.String(required=True, validate=validate.Length(min=1, max=20))
    post_office = fields.String(required=True, validate=validate.Length(min=1, max=40))
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(load_default=None, allow_none=True)
    procedures = fields.List(fields.String(validate=validate.Length(min=1, max=20)),
                             load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=200))
    override_reason = fields.String(load_default=None, allow_none=True,
                                    validate=validate.Length(min=10, max=1000))

    @validates_schema(skip_on_field_errors=False)
    def check_dates(self, data, **kwargs):
        if data.get("valid_to") and data.get("valid_from") and data["valid_to"] < data["valid_from"]:
            raise ValidationError("must not be before valid_from", "valid_to")


class VolumeSchema(_Strict):
    department = fields.String(required=True, validate=validate.Length(min=1, max=20))
    month = fields.String(required=True, validate=validate.Regexp(
        r"^[12][0-9]{3}-(0[1-9]|1[0-2])$", error="a month as YYYY-MM"))
    dossiers = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10**6))


class VolumesSchema(_Strict):
    volumes = fields.List(fields.Nested(VolumeSchema), required=True,
                          validate=validate.Length(min=1, max=1000))


class ReceptionSchema(Schema):
    """Only what postal reads itself; intake validates the whole dossier."""
    procedure_code = fields.String(required=True, validate=validate.Length(min=1, max=20))


class PickupSchema(_Strict):
    post_office = fields.String(required=True, validate=validate.Length(min=1, max=40))
    pickup_address = fields.String(required=True, validate=validate.Length(min=5, max=300))
    dossier = fields.Dict(required=True)

    @validates_schema
    def check_dossier(self, data, **kwargs):
        code = data["dossier"].get("procedure_code")
        if not isinstance(code, str) or not 0 < len(code) <= 20:
            raise ValidationError("procedure_code is required", "dossier.procedure_code")


class ClerkUpdateSchema(_Strict):
    event = fields.String(required=True)
    at = fields.AwareDateTime(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True)


class ReportQuerySchema(_Strict):
    month_from = fields.String(data_key="from", required=True, validate=validate.Regexp(
        r"^[12][0-9]{3}-(0[1-9]|1[0-2])$", error="a month as YYYY-MM"))
    month_to = fields.String(data_key="to", required=True, validate=validate.Regexp(
        r"^[12][0-9]{3}-(0[1-9]|1[0-2])$", error="a month as YYYY-MM"))


class DelegationEndSchema(_Strict):
    valid_to = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


class PickupQuerySchema(_Strict):
    status = fields.String(load_default=None, validate=validate.OneOf(PICKUP_STATUSES))


class ShipmentQuerySchema(_Strict):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
