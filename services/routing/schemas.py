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


class RequestedDocumentSchema(_Body):
    name = _text(300, required=True)
    note = _text(load_default=None)


class SupplementSchema(_Body):
    documents = fields.List(fields.Nested(RequestedDocumentSchema), required=True,
                            validate=validate.Length(min=1, max=50,
                                                     error="list at least one document"))
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


class ReturnSchema(_Body):
    method = fields.String(load_default="counter",
                           validate=validate.OneOf(("counter", "post")))


class ApologySchema(_Body):
    reason = _text(required=True)
    new_due_date = fields.Date(required=True)


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
    "issue_apology": ApologySchema,
}

SATISFACTION = ("very_satisfied", "satisfied", "not_satisfied")
# domain.md: time against the legal time, times contacted, attitude and guidance, result right
CRITERIA = ("time", "contacts", "attitude", "result")


class CriteriaSchema(_Body):
    time = fields.String(required=True, validate=validate.OneOf(SATISFACTION))
    contacts = fields.String(required=True, validate=validate.OneOf(SATISFACTION))
    attitude = fields.String(required=True, validate=validate.OneOf(SATISFACTION))
    result = fields.String(required=True, validate=validate.OneOf(SATISFACTION))


class RatingSchema(_Body):
    secret = _text(40, required=True)
    overall = fields.String(required=True, validate=validate.OneOf(SATISFACTION))
    criteria = fields.Nested(CriteriaSchema, required=True)
    comment = _text(load_default=None)


class PeriodQuerySchema(_Body):
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    department = _text(40, load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))

    @validates_schema
    def ordered(self, data, **kwargs):
        if data["start"] > data["end"]:
            raise ValidationError("the end must not be before the start", "end")


class MonthQuerySchema(_Body):
    month = fields.String(required=True, validate=validate.Regexp(
        r"^[12][0-9]{3}-(0[1-9]|1[0-2])$", error="give the month as YYYY-MM"))
    department = _text(40, load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class WeekQuerySchema(_Body):
    week_of = fields.Date(required=True)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class VolumesQuerySchema(_Body):
    since = fields.Date(load_default=None)
    until = fields.Date(load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))
