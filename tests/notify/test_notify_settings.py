"""notify's settings are checked at start: a lease shorter than a batch can take would let a
second instance send the same notifications again; an SMS gateway needs what it calls."""
import pytest

from services.common.settings import InvalidSettings, read_settings
from services.notify.settings import NotifySettings
from tests.conftest import NOTIFY_SECRET_KEY

KANNEL = "http://127.0.0.1:13013/cgi-bin/sendsms"


def settings(**config):
    return read_settings(NotifySettings, {"NOTIFY_SECRET_KEY": NOTIFY_SECRET_KEY, **config})


@pytest.mark.parametrize("key, problem", [
    (None, "NOTIFY_SECRET_KEY must be set"),
    ("not-a-fernet-key", "must be a Fernet key"),
])
def test_the_lookup_secret_key_is_checked_at_start(key, problem):
    with pytest.raises(InvalidSettings, match=problem):
        settings(NOTIFY_SECRET_KEY=key)


def test_the_shipped_defaults_lease_a_batch_long_enough_for_every_send_to_time_out():
    defaults = settings()
    assert (defaults.batch, defaults.concurrency, defaults.lease) == (200, 20, 300)


def test_a_lease_shorter_than_a_batch_of_timed_out_sends_refuses_to_start():
    with pytest.raises(InvalidSettings, match=r"SEND_LEASE_SECONDS \(120\) must be at least 400"):
        settings(SEND_BATCH="200", SEND_CONCURRENCY="10", SEND_LEASE_SECONDS="120",
                 GATEWAY_TIMEOUT_SECONDS="10")
    assert settings(SEND_BATCH="200", SEND_CONCURRENCY="10", SEND_LEASE_SECONDS="400",
                    GATEWAY_TIMEOUT_SECONDS="10").lease == 400


def test_settings_are_typed_and_empty_ones_take_their_default():
    loaded = settings(RETRY_FIRST_SECONDS="0.5", SMS_UNACCENTED="true", QUIET_HOURS="",
                      SMTP_STARTTLS="false", SMTP_PORT="2525")
    assert loaded.retry_first == 0.5 and loaded.sms_unaccented is True
    assert loaded.policy.unaccented is True and loaded.quiet_hours is None
    assert loaded.smtp_starttls is False and loaded.smtp_port == 2525
    with pytest.raises(InvalidSettings, match="SEND_BATCH"):
        settings(SEND_BATCH="many")
    with pytest.raises(InvalidSettings, match="QUIET_HOURS: QUIET_HOURS must look like"):
        settings(QUIET_HOURS="9pm-7am")


def test_the_sms_provider_is_the_log_unless_a_gateway_is_configured():
    assert settings().sms_provider == "log"
    with pytest.raises(InvalidSettings, match="NOTIFY_DLR_SECRET"):
        settings(KANNEL_SENDSMS_URL=KANNEL)
    assert settings(KANNEL_SENDSMS_URL=KANNEL, DLR_SECRET="s" * 24).sms_provider == "kannel"
    with pytest.raises(InvalidSettings, match="SMS_PROVIDER=http needs SMS_HTTP_URL"):
        settings(SMS_PROVIDER="http", DLR_SECRET="s" * 24)
    with pytest.raises(InvalidSettings, match="kannel, http or log"):
        settings(SMS_PROVIDER="carrier-pigeon")


def test_a_template_that_cannot_be_loaded_names_the_setting(tmp_path):
    with pytest.raises(InvalidSettings, match="TEMPLATES_DIR: template .* is missing"):
        settings(TEMPLATES_DIR=str(tmp_path))
