"""routing's HTTP bodies."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema


class LookupQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    secret = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    phone = fields.String(load_default=None, validate=validate.Length(min=9, max=20))

    @validates_schema
    def one_proof(self, data, **kwargs):
        if not data.get("secret") and not data.get("phone"):
            raise ValidationError("give the lookup secret printed on the receipt, or the phone "
                                  "number given at submission", "secret")
