"""routing's own settings (its config.yml; the README lists them with the kernel's)."""
from marshmallow import fields, validate

from services.common.lookup import Pepper, required_setting
from services.common.settings import SettingsSchema


class RoutingSettings(SettingsSchema):
    # working days a cooperating department has to reply, capped at the dossier's due date
    consultation_days = fields.Integer(data_key="CONSULTATION_DAYS", load_default=5,
                                       validate=validate.Range(min=1))
    # moves routing's clock forward: tests and demos of deadlines only, never production
    clock_shift_days = fields.Float(data_key="CLOCK_SHIFT_DAYS", load_default=0)
    # how often the deadline watch runs (its timer reads it; declared here to be checked)
    deadline_watch_seconds = fields.Float(data_key="DEADLINE_WATCH_SECONDS", load_default=60,
                                          validate=validate.Range(min=0, min_inclusive=False))
    # keys the proofs of the citizens' lookup secrets (intake makes them with the same)
    lookup_pepper = required_setting(Pepper, "LOOKUP_PEPPER",
                                     "32+ characters, the same in intake and routing")
