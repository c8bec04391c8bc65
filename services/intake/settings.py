"""intake's own settings (its config.yml; the README lists them with the kernel's), read and
checked once at start."""
from datetime import time

from marshmallow import fields, validate

from services.common.identifiers import AgencyIdentifier
from services.common.lookup import Pepper, SecretKey, required_setting
from services.common.settings import SettingsSchema


class IntakeSettings(SettingsSchema):
    # keys routing's proof of each lookup secret (routing has the same)
    lookup_pepper = required_setting(Pepper, "LOOKUP_PEPPER",
                                     "32+ characters, the same in intake and routing")
    # encrypts the lookup secret for notify's receipt SMS and email (notify has the same)
    notify_secret_key = required_setting(SecretKey, "NOTIFY_SECRET_KEY",
                                         "a Fernet key, the same in intake and notify")
    # a same-day procedure's dossier handed in at or after it is due the next working day
    same_day_cutoff = fields.Time(data_key="SAME_DAY_CUTOFF", load_default=time(15, 0))
    # a paper dossier handed in at or after it goes to the agency the next working day
    # (art. 18(2))
    paper_handover_cutoff = fields.Time(data_key="PAPER_HANDOVER_CUTOFF", load_default=time(15, 0))
    # office hours an officer has to receive an online dossier or ask for corrections
    # (art. 17(2)(c))
    reception_working_hours = fields.Float(data_key="RECEPTION_WORKING_HOURS", load_default=8,
                                           validate=validate.Range(min=0, min_inclusive=False))
    # how often the watch looks for online dossiers past that (its timer reads it; declared
    # here to be checked)
    # starts the codes of the online dossiers of inter-agency procedures (Decree 118/2025
    # art. 28(2)(b)): the portal's identifier, which the province must set (unverified)
    dvcqg_identifier = fields.String(data_key="DVCQG_IDENTIFIER", load_default="G00",
                                     validate=AgencyIdentifier())
    reception_watch_seconds = fields.Float(data_key="RECEPTION_WATCH_SECONDS", load_default=60,
                                           validate=validate.Range(min=0, min_inclusive=False))
