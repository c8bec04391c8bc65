"""desk's settings, read and checked once at start (README.md, "Settings")."""
import ipaddress

from marshmallow import ValidationError, fields, validate

from services.common.ratelimit import parse_limit
from services.common.settings import SettingsSchema


def trusted_networks(text):
    """DESK_TRUSTED_PROXIES: addresses or networks separated by commas ("" trusts none)."""
    try:
        return [ipaddress.ip_network(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise ValueError(f"DESK_TRUSTED_PROXIES {text!r}: {exc}") from exc


class Limit(fields.String):
    """"<checks>/<seconds>", loaded as (checks, seconds)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_limit(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class Networks(fields.String):
    """Addresses or networks separated by commas, loaded as ip_network objects."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return trusted_networks(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


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
    # how long the browser stays let into a dossier after its lookup secret proved right
    dossier_pass_minutes = fields.Integer(data_key="DESK_DOSSIER_PASS_MINUTES", load_default=30,
                                          validate=validate.Range(min=1, max=24 * 60))
    # a procedure's page on the National Public Service Portal, where it is submitted online
    # ({code}: the procedure's code in the national database, e.g. 2.000488; the portal's
    # other detail page, dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html, wants its own numeric id)
    portal_procedure_url = fields.String(
        data_key="DESK_PORTAL_PROCEDURE_URL",
        load_default="https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-hanh-chinh.html"
                     "?ma_thu_tuc={code}",
        validate=validate.Regexp(r"^https?://\S+\{code\}\S*$",
                                 error="phải là địa chỉ http(s) có {{code}}"))
    # the proxies (the ingress) whose X-Forwarded-For names the client; none by default
    trusted_proxies = Networks(data_key="DESK_TRUSTED_PROXIES", load_default=())
    # checks of a lookup secret allowed per client address and per dossier code: one client
    # alone cannot use up a dossier's allowance and so lock its owner out
    secret_checks_per_client = Limit(data_key="DESK_SECRET_CHECKS_PER_CLIENT",
                                     load_default=(10, 600))
    secret_checks_per_code = Limit(data_key="DESK_SECRET_CHECKS_PER_CODE",
                                   load_default=(30, 600))
