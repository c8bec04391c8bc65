"""notify's settings, typed and checked once at start (the names are config.yml's keys; the
README lists their environment variables). The templates are loaded with them: a template
that does not fit its settings stops the service at start."""
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from services.common.lookup import SecretKey, required_setting
from services.common.settings import SettingsSchema

from . import messages
from .quiet import parse_quiet_hours
from .sms import SmsPolicy
from .templates import TEMPLATES_DIR, TemplateError, load_templates

SMS_PROVIDERS = ("kannel", "http", "log")
# Delivery reports are authenticated by the secret in their URL.
MIN_DLR_SECRET_LENGTH = 16


def seconds(name, default):
    return fields.Float(data_key=name, load_default=default, validate=validate.Range(min=0))


def count(name, default):
    return fields.Integer(data_key=name, load_default=default, validate=validate.Range(min=1))


def text(name, default=None):
    return fields.String(data_key=name, load_default=default)


class QuietHours(fields.Field):
    """'21:00-07:00' as (start, end) local times."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("must look like 21:00-07:00")
        try:
            return parse_quiet_hours(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


# The URL setting each SMS provider that is a service of its own needs: (attribute, key).
PROVIDER_URLS = {"kannel": ("kannel_sendsms_url", "KANNEL_SENDSMS_URL"),
                 "http": ("sms_http_url", "SMS_HTTP_URL")}


def chosen_provider(values):
    """SMS_PROVIDER; when it is not set, kannel if KANNEL_SENDSMS_URL is, else the log."""
    return values["sms_provider"] or ("kannel" if values["kannel_sendsms_url"] else "log")


class GatewaySettings(SettingsSchema):
    """Where SMS and email go (services.notify.gateways)."""

    sms_provider = fields.String(data_key="SMS_PROVIDER", load_default=None,
                                 validate=validate.OneOf(SMS_PROVIDERS, error=(
                                     "must be kannel, http or log, not {input!r}")))
    kannel_sendsms_url = text("KANNEL_SENDSMS_URL")
    kannel_username = text("KANNEL_USERNAME", "")
    kannel_password = text("KANNEL_PASSWORD", "")
    sms_http_url = text("SMS_HTTP_URL")
    sms_http_token = text("SMS_HTTP_TOKEN", "")
    sms_sender = text("SMS_SENDER", "MOTCUA")
    public_url = text("NOTIFY_PUBLIC_URL", "http://127.0.0.1:8003")
    dlr_secret = text("DLR_SECRET", "")
    smtp_host = text("SMTP_HOST")
    smtp_port = fields.Integer(data_key="SMTP_PORT", load_default=587,
                               validate=validate.Range(min=1, max=65535))
    smtp_starttls = fields.Boolean(data_key="SMTP_STARTTLS", load_default=True)
    smtp_username = text("SMTP_USERNAME")
    smtp_password = text("SMTP_PASSWORD", "")
    smtp_ca_file = text("SMTP_CA_FILE")
    mail_from = text("MAIL_FROM", "motcua@localhost")
    gateway_timeout = fields.Float(data_key="GATEWAY_TIMEOUT_SECONDS", load_default=10,
                                   validate=validate.Range(min=0, min_inclusive=False))
    concurrency = count("SEND_CONCURRENCY", 20)

    @validates_schema
    def check_sms_provider(self, values, **kwargs):
        provider = chosen_provider(values)
        if provider in PROVIDER_URLS and len(values["dlr_secret"]) < MIN_DLR_SECRET_LENGTH:
            raise ValidationError(
                f"SMS_PROVIDER={provider} needs NOTIFY_DLR_SECRET ({MIN_DLR_SECRET_LENGTH}+ "
                "characters): delivery reports are authenticated by it", "DLR_SECRET")
        attribute, key = PROVIDER_URLS.get(provider, (None, None))
        if attribute and not values[attribute]:
            raise ValidationError(f"SMS_PROVIDER={provider} needs {key}", key)

    @post_load
    def with_chosen_provider(self, values, **kwargs):
        return {**values, "sms_provider": chosen_provider(values)}


class NotifySettings(GatewaySettings):
    center = text("CENTER_NAME", "TT PVHCC")
    # the desk's evaluation page of a dossier ({code}), linked from the result's messages
    evaluation_url = fields.String(
        data_key="EVALUATION_URL", load_default="http://127.0.0.1:8006/danh-gia/{code}",
        validate=validate.Regexp(r"^https?://\S+\{code\}\S*$",
                                 error="must be an http(s) address with {{code}}"))
    # opens the lookup secret intake encrypts for the receipt SMS and email
    notify_secret_key = required_setting(SecretKey, "NOTIFY_SECRET_KEY",
                                         "a Fernet key, the same in intake and notify")
    sms_unaccented = fields.Boolean(data_key="SMS_UNACCENTED", load_default=False)
    sms_max_segments = count("SMS_MAX_SEGMENTS", 3)
    # A province may keep its own wording in its own folder.
    templates_dir = text("TEMPLATES_DIR", str(TEMPLATES_DIR))
    quiet_hours = QuietHours(data_key="QUIET_HOURS", load_default=None)
    retry_first = seconds("RETRY_FIRST_SECONDS", 30)
    retry_max = seconds("RETRY_MAX_SECONDS", 3600)
    retry_for = seconds("RETRY_FOR_SECONDS", 86400)
    dlr_timeout = seconds("DLR_TIMEOUT_SECONDS", 172800)
    acceptance_window = seconds("ACCEPTANCE_WINDOW_SECONDS", 300)
    batch = count("SEND_BATCH", 200)
    lease = seconds("SEND_LEASE_SECONDS", 300)

    @validates_schema
    def check_lease_covers_a_batch(self, values, **kwargs):
        """A batch still sending when its lease ends would be claimed and sent again by
        another instance: the lease must outlast a batch whose every send times out (connect
        and read, each up to the timeout)."""
        batch, concurrency = values["batch"], values["concurrency"]
        gateway_timeout, lease = values["gateway_timeout"], values["lease"]
        slowest = -(-batch // concurrency) * 2 * gateway_timeout
        if slowest > lease:
            raise ValidationError(
                f"SEND_LEASE_SECONDS ({lease:g}) must be at least {slowest:g}: a batch of "
                f"{batch} sent {concurrency} at a time, each send taking up to "
                f"2 x GATEWAY_TIMEOUT_SECONDS ({gateway_timeout:g})", "SEND_LEASE_SECONDS")

    @post_load
    def with_templates(self, values, **kwargs):
        """The SMS policy, and every template checked against it."""
        policy = SmsPolicy(unaccented=values["sms_unaccented"],
                           max_segments=values["sms_max_segments"])
        try:
            templates = load_templates(messages.FIELDS, messages.SAMPLES, policy,
                                       values["templates_dir"])
        except TemplateError as exc:
            raise ValidationError(str(exc), "TEMPLATES_DIR") from exc
        return {**values, "policy": policy, "templates": templates}
