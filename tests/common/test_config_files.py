"""Codes, account numbers and credentials a province types into the environment are text,
even when they are all digits (a bank's code 970415, an account number, a password 123456):
read as YAML they would be numbers, and the service would refuse to start."""
import pytest

from services.common.config import load_config

DIGITS = "970415"
TEXT_SETTINGS = {
    "payment": ["VNPAY_TMN_CODE", "VNPAY_HASH_SECRET", "DVCQG_PAY_PARTNER", "DVCQG_PAY_SECRET",
                "DVCQG_PAY_UNIT", "DVCQG_PAY_SERVICE_CODE", "DVCQG_PAY_ACCOUNT",
                "DVCQG_PAY_BANK", "DVCQG_PAY_IP"],
    "nationalportal": ["PORTAL_USERNAME", "PORTAL_PASSWORD", "PORTAL_DSTCODE",
                       "PORTAL_UNIT_CODE"],
}


@pytest.mark.parametrize("service", sorted(TEXT_SETTINGS))
def test_a_code_of_digits_stays_text(service, monkeypatch):
    for name in TEXT_SETTINGS[service]:
        monkeypatch.setenv(name, DIGITS)
    config = load_config(service)
    assert {name: config[name] for name in TEXT_SETTINGS[service]} == {
        name: DIGITS for name in TEXT_SETTINGS[service]}


def test_a_version_keeps_its_dots(monkeypatch):
    monkeypatch.setenv("DVCQG_PAY_VERSION", "1.0")
    assert load_config("payment")["DVCQG_PAY_VERSION"] == "1.0"
