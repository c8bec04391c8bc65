"""desk's settings, read and checked once at start (README.md, "Settings")."""
from marshmallow import fields, validate

from services.common.settings import SettingsSchema


class DeskSettings(SettingsSchema):
    # a session unused this long ends (the officer signs in again)
    idle_minutes = fields.Integer(data_key="DESK_IDLE_MINUTES", load_default=30,
                                  validate=validate.Range(min=1, max=24 * 60))
    # wrong passwords in a row that lock an account, and for how long
    max_failures = fields.Integer(data_key="DESK_MAX_FAILURES", load_default=5,
                                  validate=validate.Range(min=1, max=100))
    lockout_minutes = fields.Integer(data_key="DESK_LOCKOUT_MINUTES", load_default=15,
                                     validate=validate.Range(min=1, max=24 * 60))
    # cookies only over HTTPS: on behind the ingress that ends TLS; off for http://localhost
    secure_cookies = fields.Boolean(data_key="DESK_SECURE_COOKIES", load_default=False)
    # how often the inbox refreshes itself
    inbox_refresh_seconds = fields.Integer(data_key="DESK_INBOX_REFRESH_SECONDS",
                                           load_default=60, validate=validate.Range(min=5))
