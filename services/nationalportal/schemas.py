"""nationalportal's HTTP bodies and answers. Messages are meant for a manager to read."""
from datetime import date

from marshmallow import RAISE, Schema, fields, post_load, validate

# marshmallow's messages in Vietnamese (services/common/messages.py) before a field is built
import services.common  # noqa: F401,E402
from services.common.clock import Moment  # noqa: E402

SYNC_STATES = ("pending", "sent", "acknowledged", "failed")
INBOUND_STATES = ("taken", "registered", "acknowledged", "parked")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ReconcileSchema(_Strict):
    since = Moment(required=True, metadata={
        "description": "dossiers received from this moment on are compared",
        "example": "2026-12-01T00:00:00+07:00"})


class RatingSummarySchema(_Strict):
    # the years of the system's use: a month outside them holds no evaluation, and year 0 or
    # 9999's next month are no dates
    month = fields.String(required=True, validate=validate.Regexp(
        r"^20[0-9]{2}-(0[1-9]|1[0-2])$",
        error="Tháng có dạng năm-tháng, năm từ 2000 đến 2099, ví dụ 2026-12."),
        metadata={"description": "the month summarised", "example": "2026-12"})

    @post_load
    def _first_day(self, data, **kwargs):
        return {"month": date.fromisoformat(f"{data['month']}-01")}


class InboundQuerySchema(_Strict):
    state = fields.String(load_default=None, validate=validate.OneOf(
        INBOUND_STATES, error="Trạng thái là taken, registered, acknowledged hoặc parked."))


class FailedDossier(Schema):
    code = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(metadata={"description": "the portal's answer, or why"})
    received_at = fields.AwareDateTime()


class SyncOverview(Schema):
    dossiers = fields.Integer()
    by_state = fields.Dict(keys=fields.String(validate=validate.OneOf(SYNC_STATES)),
                           values=fields.Integer())
    synced_share = fields.Float(metadata={"description": "acknowledged / all (Decision 766)"})
    lag_seconds = fields.Float(metadata={"description": "age of the oldest unsynced change"})
    steps = fields.Dict(keys=fields.String(), values=fields.Integer())
    reception_steps = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "statuses 1 and 3 of online dossiers before reception, by sync state"})
    failed = fields.List(fields.Nested(FailedDossier))


class StepView(Schema):
    at = fields.AwareDateTime()
    status = fields.String()
    status_code = fields.String(metadata={"description": "TrangThai sent to the portal"})
    state = fields.String(validate=validate.OneOf(SYNC_STATES))
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    acknowledged_at = fields.AwareDateTime(allow_none=True)


class DossierSyncView(Schema):
    code = fields.String()
    portal_id = fields.String(allow_none=True, metadata={"description": "DVCQG's own id"})
    state = fields.String(validate=validate.OneOf(SYNC_STATES))
    added = fields.Boolean()
    version = fields.Integer(metadata={"description": "changes of the dossier motcua knows"})
    synced_version = fields.Integer(metadata={
        "description": "the version the portal acknowledged; behind `version` while a change "
                       "waits to be sent"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    received_at = fields.AwareDateTime()
    synced_at = fields.AwareDateTime(allow_none=True)
    steps = fields.List(fields.Nested(StepView))


class ReconcileReport(Schema):
    checked = fields.Integer()
    missing = fields.List(fields.String(), metadata={"description": "not on the portal"})
    differing = fields.List(fields.String())
    steps_missing = fields.Integer()


class InboundView(Schema):
    portal_id = fields.String()
    state = fields.String(validate=validate.OneOf(INBOUND_STATES))
    reason = fields.String(allow_none=True, metadata={"description": "why it was parked"})
    submission_id = fields.UUID(allow_none=True)
    attempts = fields.Integer()
    taken_at = fields.AwareDateTime()
    registered_at = fields.AwareDateTime(allow_none=True)
    acknowledged_at = fields.AwareDateTime(allow_none=True)


class InboundList(Schema):
    inbound = fields.List(fields.Nested(InboundView))


class PollOutcome(Schema):
    taken = fields.Integer()
    registered = fields.Integer()
    acknowledged = fields.Integer()
    parked = fields.Integer()


class RatingSummaryView(Schema):
    procedure_code = fields.String()
    summary = fields.Dict(metadata={"description": "the DongBoDanhGia item sent"})
    state = fields.String(validate=validate.OneOf(("pending", "acknowledged", "failed")))
    last_error = fields.String(allow_none=True)
    computed_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)


class RatingSummaryReport(Schema):
    month = fields.String(metadata={"example": "2026-12"})
    sent = fields.Integer(metadata={"description": "summaries the portal acknowledged now"})
    summaries = fields.List(fields.Nested(RatingSummaryView))


class CatalogueComparison(Schema):
    missing_on_portal = fields.List(fields.String())
    missing_locally = fields.List(fields.String())
    differing = fields.List(fields.Dict())


class CatalogueReport(Schema):
    procedures = fields.Nested(CatalogueComparison)
    agencies = fields.Nested(CatalogueComparison)
    sectors = fields.Nested(CatalogueComparison)
    matches = fields.Boolean(metadata={"description": "nothing local is missing or differs"})
