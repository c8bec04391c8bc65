
import pytest
from marshmallow import ValidationError

from services.common.auth import AuthError, authenticate, issue_token
from services.common.logs import mask_text, mask_value
from services.common.phones import normalise_phone
from services.intake.schemas import DossierRequestSchema

SECRET = "s" * 40


@pytest.mark.parametrize("given,expected", [
    ("0912345678", "0912345678"),
    ("+84912345678", "0912345678"),
    ("84 912 345 678", "0912345678"),
    ("0912.345.678", "0912345678"),
    ("02838123456", "02838123456"),
    ("0112345678", None),
    ("091234567", None),
    ("abc", None),
])
def test_phone_normalisation(given, expected):
    assert normalise_phone(given) == expected


def test_applicant_errors_name_each_field():
    with pytest.raises(ValidationError) as caught:
        DossierRequestSchema().load({
            "procedure_code": "1.000001",
            "applicant": {"full_name": "A1", "citizen_id": "12345", "phone": "123",
                          "address": "x"},
            "documents": [],
            "result_delivery": "post",
        })
    messages = caught.value.messages
    assert set(messages["applicant"]) == {"full_name", "citizen_id", "phone", "address"}
    assert "delivery_address" in messages


def test_masking_hides_ids_phones_emails():
    line = "CCCD 079190001234 gọi 0912345678 hoặc +84912345678, thư a.b@example.vn"
    masked = mask_text(line)
    for secret in ("079190001234", "0912345678", "+84912345678", "a.b@example.vn"):
        assert secret not in masked
    assert mask_value({"address": "25 Nguyễn Huệ", "code": "000.00.31.H33-261123-0001"}) == {
        "address": "***", "code": "000.00.31.H33-261123-0001"}


def test_masking_keeps_uuids_whose_last_group_looks_like_an_id_or_a_phone():
    event_ids = ["4c1d8a62-8a3e-4c5a-9f57-079190001234", "4c1d8a62-8a3e-4c5a-9f57-0912345678ab"]
    for event_id in event_ids:
        assert mask_text(f"event {event_id} sent to 0912345678") == f"event {event_id} sent to ***678"
    assert mask_text("CCCD-079190001234") == "CCCD-*********234"  # not a UUID: masked


def test_token_round_trip_and_rejections():
    principal = authenticate(SECRET, "Bearer " + issue_token(SECRET, "counter_officer",
                                                             department="stp"))
    assert (principal.role, principal.department) == ("counter_officer", "stp")
    with pytest.raises(AuthError, match="hết hạn"):
        authenticate(SECRET, "Bearer " + issue_token(SECRET, "manager", ttl=-10))
    with pytest.raises(AuthError, match="không hợp lệ"):
        authenticate(SECRET, "Bearer " + issue_token("x" * 40, "manager"))
    with pytest.raises(AuthError, match="thiếu mã xác thực"):
        authenticate(SECRET, None)
    with pytest.raises(ValueError, match="--department"):
        issue_token(SECRET, "department_officer")


def test_a_token_seen_before_still_expires_and_a_tampered_copy_is_refused(monkeypatch):
    import services.common.auth as auth

    token = issue_token(SECRET, "portal", ttl=60)
    assert authenticate(SECRET, "Bearer " + token).role == "portal"
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(AuthError, match="không hợp lệ"):
        authenticate(SECRET, "Bearer " + tampered)
    with pytest.raises(AuthError, match="không hợp lệ"):
        authenticate("y" * 40, "Bearer " + token)  # verified under one secret only
    later = auth.time.time() + 61
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(AuthError, match="hết hạn"):
        authenticate(SECRET, "Bearer " + token)


def test_an_envelope_whose_correlation_id_is_not_ascii_is_refused():
    """Up to 100 characters, but each non-ASCII one takes up to 4 bytes in the AMQP header
    of the events it causes, where 255 is the most: such an envelope is poison."""
    from services.common.consumer import PoisonMessage, parse_envelope
    from services.common.events import new_envelope

    envelope = new_envelope("dossier.received", "intake", {}, "mã-tương-quan-" + "đ" * 80)
    with pytest.raises(PoisonMessage, match="correlation_id"):
        parse_envelope(envelope)
