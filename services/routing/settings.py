"""routing's own settings (its config.yml; the README lists them with the kernel's)."""
from marshmallow import fields, validate

from services.common.lookup import Pepper, required_setting
from services.common.settings import SettingsSchema

from .staff_feedback import MIN_ANSWERS


class RoutingSettings(SettingsSchema):
    # working days a cooperating department has to reply, capped at the dossier's due date
    consultation_days = fields.Integer(data_key="CONSULTATION_DAYS", load_default=5,
                                       validate=validate.Range(min=1))
    # Decree 118/2025 art. 19(5): a supplement is asked at the latest on this working day after
    # reception (the reception day is day 0), and the dossier is closed when the complete one
    # has not come this many days after the notice (calendar or working days)
    supplement_request_working_days = fields.Integer(
        data_key="SUPPLEMENT_REQUEST_WORKING_DAYS", load_default=3,
        validate=validate.Range(min=0))
    supplement_completion_days = fields.Integer(data_key="SUPPLEMENT_COMPLETION_DAYS",
                                                load_default=15, validate=validate.Range(min=1))
    supplement_completion_day_kind = fields.String(
        data_key="SUPPLEMENT_COMPLETION_DAY_KIND", load_default="calendar",
        validate=validate.OneOf(("calendar", "working")))
    # art. 19(6): an extension is asked at the latest this many working days before the due
    # date (domain.md reads "1 day before" as the last working day before it)
    extension_notice_working_days = fields.Integer(
        data_key="EXTENSION_NOTICE_WORKING_DAYS", load_default=1, validate=validate.Range(min=1))
    # the officers' anonymous feedback is shown for a month once it has this many answers
    # (seed 002 item 7; never fewer than 5, or one officer's answers could be recognised)
    staff_feedback_min_answers = fields.Integer(
        data_key="STAFF_FEEDBACK_MIN_ANSWERS", load_default=MIN_ANSWERS,
        validate=validate.Range(min=MIN_ANSWERS))
    # moves routing's clock forward: tests and demos of deadlines only, never production
    clock_shift_days = fields.Float(data_key="CLOCK_SHIFT_DAYS", load_default=0)
    # how often the deadline watch runs (its timer reads it; declared here to be checked)
    deadline_watch_seconds = fields.Float(data_key="DEADLINE_WATCH_SECONDS", load_default=60,
                                          validate=validate.Range(min=0, min_inclusive=False))
    # keys the proofs of the citizens' lookup secrets (intake makes them with the same)
    lookup_pepper = required_setting(Pepper, "LOOKUP_PEPPER",
                                     "32+ characters, the same in intake and routing")
