"""notify's HTTP inputs."""
from marshmallow import EXCLUDE, Schema, fields, validate


class DlrQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    type = fields.Integer(load_default=None, validate=validate.Range(min=0, max=255))  # Kannel
    status = fields.String(load_default=None,  # an HTTP aggregator
                           validate=validate.OneOf(("delivered", "failed")))


class OptOutSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(("sms", "email")))
    address = fields.String(required=True, validate=validate.Length(min=3, max=254))
