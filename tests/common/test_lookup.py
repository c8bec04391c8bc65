"""The lookup secret's proof and notify's copy (services/common/lookup.py), and the settings
that key them, checked at start."""
import pytest
from cryptography.fernet import Fernet

from services.common import lookup
from services.common.settings import InvalidSettings, read_settings
from services.intake.settings import IntakeSettings
from services.routing.settings import RoutingSettings

PEPPER = "p" * 32


def test_a_proof_checks_its_secret_and_no_other():
    proof = lookup.proof(PEPPER, "ABCD2345")
    assert "ABCD2345" not in proof
    assert lookup.proves(PEPPER, proof, "ABCD2345")
    assert not lookup.proves(PEPPER, proof, "ABCD2346")
    assert not lookup.proves("q" * 32, proof, "ABCD2345")  # without the pepper it says nothing


def test_the_same_secret_never_shows_the_same_proof():
    assert lookup.proof(PEPPER, "ABCD2345") != lookup.proof(PEPPER, "ABCD2345")


def test_the_sealed_secret_opens_with_its_key_only():
    key = Fernet(Fernet.generate_key())
    sealed = lookup.seal(key, "ABCD2345")
    assert "ABCD2345" not in sealed and lookup.unseal(key, sealed) == "ABCD2345"
    with pytest.raises(ValueError, match="NOTIFY_SECRET_KEY"):
        lookup.unseal(Fernet(Fernet.generate_key()), sealed)


@pytest.mark.parametrize("config, problem", [
    ({"NOTIFY_SECRET_KEY": Fernet.generate_key().decode()}, "LOOKUP_PEPPER must be set"),
    ({"LOOKUP_PEPPER": "short", "NOTIFY_SECRET_KEY": Fernet.generate_key().decode()},
     "at least 32 characters"),
    ({"LOOKUP_PEPPER": PEPPER}, "NOTIFY_SECRET_KEY must be set"),
    ({"LOOKUP_PEPPER": PEPPER, "NOTIFY_SECRET_KEY": "x" * 44}, "must be a Fernet key"),
])
def test_intake_refuses_to_start_without_its_keys(config, problem):
    with pytest.raises(InvalidSettings, match=problem):
        read_settings(IntakeSettings, config)


def test_routing_refuses_to_start_without_its_pepper():
    with pytest.raises(InvalidSettings, match="LOOKUP_PEPPER must be set"):
        read_settings(RoutingSettings, {})
    assert read_settings(RoutingSettings, {"LOOKUP_PEPPER": PEPPER}).lookup_pepper == PEPPER
