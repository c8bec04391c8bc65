"""nationalportal's settings, read and checked once at start (README.md, "Settings")."""
from marshmallow import fields, validate

from services.common.settings import SettingsSchema

SERVICE_KEYS = ("sync", "progress", "status", "lookup", "procedures", "agencies", "sectors",
                "new_dossiers", "dossier", "taken", "rating")


def _seconds(name, default, low=0.01):
    return fields.Float(data_key=name, load_default=default, validate=validate.Range(min=low))


class PortalSettings(SettingsSchema):
    url = fields.String(data_key="PORTAL_URL", load_default="http://127.0.0.1:8090")
    login_path = fields.String(data_key="PORTAL_LOGIN_PATH", load_default="/login")
    service_path = fields.String(data_key="PORTAL_SERVICE_PATH", load_default="/service")
    username = fields.String(data_key="PORTAL_USERNAME", load_default="motcua")
    password = fields.String(data_key="PORTAL_PASSWORD", load_default="")
    # the province's code for the portal (the `dstcode` header) and its unit (`madonvi`)
    dstcode = fields.String(data_key="PORTAL_DSTCODE", load_default="H15")
    unit_code = fields.String(data_key="PORTAL_UNIT_CODE", load_default="000.00.00.H15")
    # the unit's name, in the rating summaries (TenDonVi)
    unit_name = fields.String(data_key="PORTAL_UNIT_NAME", load_default="")
    # the portal's name of each service this one calls
    services = fields.Dict(data_key="PORTAL_SERVICES", keys=fields.String(
        validate=validate.OneOf(SERVICE_KEYS)), values=fields.String(), required=True)
    session_expired_codes = fields.Method(deserialize="_codes", data_key="PORTAL_SESSION_EXPIRED",
                                          load_default=("-2",))
    timeout_seconds = _seconds("PORTAL_TIMEOUT_SECONDS", 10)
    breaker_failures = fields.Integer(data_key="PORTAL_BREAKER_FAILURES", load_default=5,
                                      validate=validate.Range(min=1))
    breaker_seconds = _seconds("PORTAL_BREAKER_SECONDS", 30)

    def _codes(self, value):
        return tuple(code.strip() for code in str(value).split(",") if code.strip())


class NationalPortalSettings(SettingsSchema):
    # sends in flight at once, and dossiers taken per round
    concurrency = fields.Integer(data_key="PORTAL_CONCURRENCY", load_default=4,
                                 validate=validate.Range(min=1, max=32))
    batch = fields.Integer(data_key="PORTAL_BATCH", load_default=200,
                           validate=validate.Range(min=1, max=5000))
    # backoff of a dossier whose send failed: first, doubling up to the most, with jitter
    backoff_first = _seconds("PORTAL_BACKOFF_FIRST_SECONDS", 2)
    backoff_max = _seconds("PORTAL_BACKOFF_MAX_SECONDS", 300)
    # sends that found the portal down before the dossier is parked as failed (a dead letter)
    max_attempts = fields.Integer(data_key="PORTAL_MAX_ATTEMPTS", load_default=100,
                                  validate=validate.Range(min=1))
    # how long a send may be in flight before another process takes the dossier again
    lease = _seconds("PORTAL_LEASE_SECONDS", 60, low=1)
    # the intake that online dossiers are handed to, as the `portal` role
    intake_url = fields.String(data_key="INTAKE_URL", load_default="http://127.0.0.1:8001")
    token_secret = fields.String(data_key="TOKEN_SECRET", required=True)
    intake_timeout = _seconds("INTAKE_TIMEOUT_SECONDS", 10)
    # inbound dossiers handed to intake before one is parked (intake refused it each time)
    inbound_max_attempts = fields.Integer(data_key="PORTAL_INBOUND_MAX_ATTEMPTS",
                                          load_default=5, validate=validate.Range(min=1))
