"""notify's HTTP inputs, and the shapes of its answers (for the OpenAPI document)."""
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from .contacts import ADDRESS_PROBLEMS, address_of


class DlrQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    type = fields.Integer(load_default=None, validate=validate.Range(min=0, max=255))  # Kannel
    status = fields.String(load_default=None,  # an HTTP aggregator
                           validate=validate.OneOf(("delivered", "failed")))

    @validates_schema
    def check_report_kind(self, query, **kwargs):
        if query["status"] is None and query["type"] is None:
            raise ValidationError("Cần có type hoặc status.", "type")


class OptOutSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(("sms", "email")),
                            metadata={"example": "email"})
    address = fields.String(required=True, validate=validate.Length(min=3, max=254), metadata={
        "description": "a Vietnamese mobile number for sms, an email address for email",
        "example": "ngoc.tran@example.vn"})

    @validates_schema
    def check_address(self, body, **kwargs):
        if address_of(body["channel"], body["address"]) is None:
            raise ValidationError(ADDRESS_PROBLEMS[body["channel"]], "address")

    @post_load
    def stored_address(self, body, **kwargs):
        """The address as notify stores it (a phone in normal form, an email in lower case)."""
        return {**body, "address": address_of(body["channel"], body["address"])}


# --- answers (documentation only: the handlers build plain dicts of these shapes) -----------
STATUSES = ("pending", "sending", "unknown", "sent", "delivered", "failed", "expired",
            "opted_out")


class DeliveryReportAnswer(Schema):
    id = fields.UUID(required=True)
    status = fields.String(required=True, metadata={"enum": ["delivered", "failed", "accepted",
                                                                 "noted"]})


class NotificationView(Schema):
    id = fields.UUID(required=True)
    event_type = fields.String(required=True, metadata={"example": "dossier.received"})
    channel = fields.String(required=True, metadata={"enum": ["sms", "email"]})
    template = fields.String(required=True, metadata={"example": "receipt"})
    recipient = fields.String(required=True, metadata={"description": "masked",
                                                       "example": "09******78"})
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    urgent = fields.Boolean(required=True)
    attempts = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    sent_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    provider = fields.String(allow_none=True, metadata={"example": "kannel"})
    last_error = fields.String(allow_none=True)


class DossierNotifications(Schema):
    code = fields.String(required=True)
    notifications = fields.List(fields.Nested(NotificationView), required=True)


class OptOutAnswer(Schema):
    channel = fields.String(required=True, metadata={"enum": ["sms", "email"]})
    address = fields.String(required=True, metadata={"description": "masked"})
    opted_out = fields.Boolean(required=True)
