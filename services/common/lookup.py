"""The citizen's lookup secret (printed on the receipt) never crosses the broker in clear,
nor as anything it can be recovered from: its 8 characters of a 32-letter alphabet are 40
bits, which an unsalted hash would give up to anyone who reads the message.

- `proof`: what routing keeps to check the secret, HMAC-SHA256 keyed with LOOKUP_PEPPER (a
  key only intake and routing have) over a random salt of the dossier and the secret.
  Without the pepper a proof says nothing of the secret; the salt keeps two dossiers with the
  same secret from showing the same proof.
- `seal`/`unseal`: the secret encrypted (Fernet) with NOTIFY_SECRET_KEY, a key only intake and
  notify have, so notify can put it in the receipt SMS and email.
"""
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from marshmallow import ValidationError, fields

MIN_PEPPER_LENGTH = 32
PROOF_SCHEME = "hmac-sha256"
SALT_BYTES = 16
PROOF_PATTERN = rf"^{PROOF_SCHEME}\$[0-9a-f]{{{SALT_BYTES * 2}}}\$[0-9a-f]{{64}}$"


def _mac(pepper, salt, secret):
    return hmac.new(pepper.encode(), f"{salt}:{secret}".encode(), hashlib.sha256).hexdigest()


def proof(pepper, secret):
    """`hmac-sha256$<salt>$<mac>` of a new secret."""
    salt = secrets.token_hex(SALT_BYTES)
    return f"{PROOF_SCHEME}${salt}${_mac(pepper, salt, secret)}"


def proves(pepper, expected_proof, secret):
    """Whether `secret` is the one `expected_proof` was made of (constant time)."""
    _, salt, mac = expected_proof.split("$")
    return hmac.compare_digest(mac, _mac(pepper, salt, secret))


def seal(key, secret):
    return key.encrypt(secret.encode()).decode("ascii")


def unseal(key, sealed):
    """The secret `seal` encrypted; ValueError when it was not sealed with this key."""
    try:
        return key.decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise ValueError("the lookup secret was not encrypted with NOTIFY_SECRET_KEY") from exc


def required_setting(field_class, name, purpose):
    """A required setting whose absence stops the service with what it is for."""
    return field_class(data_key=name, required=True, error_messages={
        "required": f"{name} must be set ({purpose})"})


class Pepper(fields.String):
    """LOOKUP_PEPPER: required, at least 32 characters, the same in intake and routing."""

    def _deserialize(self, value, attr, data, **kwargs):
        pepper = super()._deserialize(value, attr, data, **kwargs)
        if len(pepper) < MIN_PEPPER_LENGTH:
            raise ValidationError(
                f"must be set to at least {MIN_PEPPER_LENGTH} characters (it keys the proofs "
                "of the citizens' lookup secrets)")
        return pepper


class SecretKey(fields.String):
    """NOTIFY_SECRET_KEY: a Fernet key, the same in intake and notify; loaded as the Fernet
    it makes."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return Fernet(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as exc:
            raise ValidationError(
                "must be a Fernet key: 32 url-safe base64-encoded bytes, e.g. from "
                "python3 -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'") from exc
