"""intake's own settings (its config.yml; the README lists them with the kernel's), read and
checked once at start."""
from services.common.lookup import Pepper, SecretKey, required_setting
from services.common.settings import SettingsSchema


class IntakeSettings(SettingsSchema):
    # keys routing's proof of each lookup secret (routing has the same)
    lookup_pepper = required_setting(Pepper, "LOOKUP_PEPPER",
                                     "32+ characters, the same in intake and routing")
    # encrypts the lookup secret for notify's receipt SMS and email (notify has the same)
    notify_secret_key = required_setting(SecretKey, "NOTIFY_SECRET_KEY",
                                         "a Fernet key, the same in intake and notify")
