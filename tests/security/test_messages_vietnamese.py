"""What a person reads in an error answer is Vietnamese: each service is sent a counter's and
a citizen's everyday mistakes (a missing field, a wrong type, a text too long, an unknown
field, broken JSON, no token, the wrong role, an unknown dossier...). Every `message`, and
every message under `fields`, has no English sentence in it, while `code` stays the stable
English name programs rely on and `fields` keeps the dotted English field names."""
import re

import pytest

from services.common.auth import issue_token
from tests.conftest import dossier_body, english_words_in, procedure, token

UNKNOWN_CODE = "000.00.01.H33-991231-9999"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
JSON = {"Content-Type": "application/json"}


def intake_cases():
    body = dossier_body(procedure(department="stp"))
    applicant = body["applicant"]
    return [
        ("null", "POST", "/api/v1/dossiers", "counter",
         {"json": {**body, "applicant": {**applicant, "full_name": None}}},
         422, "validation_failed"),
        ("missing field", "POST", "/api/v1/dossiers", "counter",
         {"json": {key: value for key, value in body.items() if key != "applicant"}},
         422, "validation_failed"),
        ("wrong type", "POST", "/api/v1/dossiers", "counter",
         {"json": {**body, "documents": [{"key": "x", "copies": "two"}]}},
         422, "validation_failed"),
        ("too long", "POST", "/api/v1/dossiers", "counter",
         {"json": {**body, "applicant": {**applicant, "full_name": "Nguyễn " * 40}}},
         422, "validation_failed"),
        ("unknown field", "POST", "/api/v1/dossiers", "counter",
         {"json": {**body, "priority": "high"}}, 422, "validation_failed"),
        ("project's own validators", "POST", "/api/v1/dossiers", "counter",
         {"json": {**body, "result_delivery": "drone", "applicant": {
             **applicant, "citizen_id": "12", "phone": "12", "email": "ngoc@",
             "full_name": "Ngoc 2"}}}, 422, "validation_failed"),
        ("malformed JSON", "POST", "/api/v1/dossiers", "counter",
         {"data": "{not json", "headers": JSON}, 400, "malformed_json"),
        ("not an object", "POST", "/api/v1/dossiers", "counter",
         {"json": [1, 2]}, 400, "malformed_json"),
        ("too large", "POST", "/api/v1/dossiers", "counter",
         {"data": "x" * 70_000, "headers": JSON}, 413, "body_too_large"),
        ("no token", "POST", "/api/v1/dossiers", None, {"json": body}, 401, "unauthenticated"),
        ("broken token", "POST", "/api/v1/dossiers", "broken", {"json": body},
         401, "unauthenticated"),
        ("wrong role", "POST", "/api/v1/dossiers", "clerk", {"json": body}, 403, "forbidden"),
        ("unknown dossier", "GET", f"/api/v1/dossiers/{UNKNOWN_CODE}/receipt", "manager", {},
         404, "not_found"),
        ("unknown procedure", "GET", "/api/v1/procedures/KHONG-CO", None, {}, 404, "not_found"),
        ("bad query", "GET", "/api/v1/procedures?channel=fax", None, {},
         422, "validation_failed"),
    ]


def routing_cases():
    action = f"/api/v1/dossiers/{UNKNOWN_CODE}/actions"
    return [
        ("missing field", "POST", f"{action}/refuse", "officer", {"json": {}},
         422, "validation_failed"),
        ("wrong type", "POST", f"{action}/reply_consultation", "officer",
         {"json": {"opinion": "Đồng ý", "agrees": "maybe"}}, 422, "validation_failed"),
        ("too long", "POST", f"{action}/refuse", "officer", {"json": {"reason": "x" * 2001}},
         422, "validation_failed"),
        ("unknown field", "POST", f"{action}/accept", "officer", {"json": {"note": "x"}},
         422, "validation_failed"),
        ("empty list", "POST", f"{action}/request_supplement", "officer",
         {"json": {"documents": [], "reason": "Thiếu giấy tờ"}}, 422, "validation_failed"),
        ("bad date", "POST", f"{action}/consult", "officer",
         {"json": {"question": "Ý kiến?", "reply_due_date": "31/12/2026"}},
         422, "validation_failed"),
        ("malformed JSON", "POST", f"{action}/accept", "officer",
         {"data": "{", "headers": JSON}, 400, "malformed_json"),
        ("no token", "POST", f"{action}/accept", None, {"json": {}}, 401, "unauthenticated"),
        ("wrong role", "POST", f"{action}/accept", "portal", {"json": {}}, 403, "forbidden"),
        ("unknown dossier", "GET", f"/api/v1/dossiers/{UNKNOWN_CODE}?secret=ABCDEF", None, {},
         404, "not_found"),
        ("unknown dossier, citizen action", "POST",
         f"/api/v1/dossiers/{UNKNOWN_CODE}/withdrawal", None, {"json": {"secret": "ABCDEF"}},
         404, "not_found"),
        ("lookup without proof", "GET", f"/api/v1/dossiers/{UNKNOWN_CODE}", None, {},
         422, "validation_failed"),
        ("unknown query parameter", "GET",
         f"/api/v1/dossiers/{UNKNOWN_CODE}?secret=ABCDEF&x=1", None, {},
         422, "validation_failed"),
        ("out of range", "GET", "/api/v1/reports/monthly?year=1800&month=13", "manager", {},
         422, "validation_failed"),
    ]


def notify_cases():
    return [
        ("missing field", "POST", "/api/v1/opt-outs", "manager", {"json": {"channel": "sms"}},
         422, "validation_failed"),
        ("not a choice", "POST", "/api/v1/opt-outs", "manager",
         {"json": {"channel": "fax", "address": "0912345678"}}, 422, "validation_failed"),
        ("wrong type", "POST", "/api/v1/opt-outs", "manager",
         {"json": {"channel": "sms", "address": 912345678}}, 422, "validation_failed"),
        ("too long", "POST", "/api/v1/opt-outs", "manager",
         {"json": {"channel": "email", "address": "a" * 300}}, 422, "validation_failed"),
        ("bad address", "POST", "/api/v1/opt-outs", "manager",
         {"json": {"channel": "email", "address": "not-an-email"}}, 422, "validation_failed"),
        ("unknown field", "POST", "/api/v1/opt-outs", "manager",
         {"json": {"channel": "sms", "address": "0912345678", "until": "2027"}},
         422, "validation_failed"),
        ("malformed JSON", "POST", "/api/v1/opt-outs", "manager",
         {"data": "{", "headers": JSON}, 400, "malformed_json"),
        ("no token", "POST", "/api/v1/opt-outs", None, {"json": {}}, 401, "unauthenticated"),
        ("wrong role", "POST", "/api/v1/opt-outs", "officer", {"json": {}}, 403, "forbidden"),
    ]


def payment_cases():
    payments = f"/api/v1/bills/{UNKNOWN_ID}/payments"
    return [
        ("missing field", "POST", payments, "counter", {"json": {}}, 422, "validation_failed"),
        ("wrong type", "POST", payments, "counter", {"json": {"channel": "cash", "amount": "x"}},
         422, "validation_failed"),
        ("out of range", "POST", payments, "counter",
         {"json": {"channel": "cash", "amount": 0}}, 422, "validation_failed"),
        ("not a choice", "POST", payments, "counter", {"json": {"channel": "barter"}},
         422, "validation_failed"),
        ("card without terminal", "POST", payments, "counter", {"json": {"channel": "card"}},
         422, "validation_failed"),
        ("pattern", "POST", payments, "counter",
         {"json": {"channel": "card", "terminal_id": "T1", "terminal_reference": "!"}},
         422, "validation_failed"),
        ("unknown field", "POST", payments, "counter",
         {"json": {"channel": "cash", "tip": 1}}, 422, "validation_failed"),
        ("malformed JSON", "POST", payments, "counter", {"data": "{", "headers": JSON},
         400, "malformed_json"),
        ("no token", "POST", payments, None, {"json": {}}, 401, "unauthenticated"),
        ("wrong role", "POST", payments, "officer", {"json": {}}, 403, "forbidden"),
        ("unknown bill", "POST", payments, "counter", {"json": {"channel": "cash"}},
         404, "not_found"),
        ("bad query", "POST", "/api/v1/statements?day=tomorrow&channel=cash&source=bank",
         "manager", {"data": "x"}, 422, "validation_failed"),
        ("empty file", "POST",
         "/api/v1/statements?day=2026-01-05&channel=cash&source=treasury", "manager",
         {"data": " "}, 422, "validation_failed"),
    ]


def postal_cases():
    office = {"code": "BD-THU", "name": "Bưu điện thử", "address": "1 Lê Lợi, phường Sài Gòn",
              "receiving_unit": "000.00.41.H33"}
    return [
        ("missing field", "POST", "/api/v1/post-offices", "manager",
         {"json": {"code": "BD-THU"}}, 422, "validation_failed"),
        ("wrong type", "POST", "/api/v1/post-offices", "manager",
         {"json": {**office, "name": ["Bưu điện"]}}, 422, "validation_failed"),
        ("too long", "POST", "/api/v1/post-offices", "manager",
         {"json": {**office, "name": "B" * 201}}, 422, "validation_failed"),
        ("pattern", "POST", "/api/v1/post-offices", "manager",
         {"json": {**office, "code": "bd thu", "receiving_unit": "H33"}},
         422, "validation_failed"),
        ("unknown field", "POST", "/api/v1/post-offices", "manager",
         {"json": {**office, "phone": "028"}}, 422, "validation_failed"),
        ("dates", "POST", "/api/v1/delegations", "manager",
         {"json": {"department": "stp", "post_office": "BD-THU", "valid_from": "2026-02-01",
                   "valid_to": "2026-01-01"}}, 422, "validation_failed"),
        ("null", "POST", "/api/v1/delegations", "manager",
         {"json": {"department": None, "post_office": "BD-THU", "valid_from": "2026-02-30"}},
         422, "validation_failed"),
        ("nested", "PUT", "/api/v1/volumes", "manager",
         {"json": {"volumes": [{"department": "stp", "month": "2026-13", "dossiers": -1}]}},
         422, "validation_failed"),
        ("malformed JSON", "POST", "/api/v1/post-offices", "manager",
         {"data": "{", "headers": JSON}, 400, "malformed_json"),
        ("no token", "POST", "/api/v1/post-offices", None, {"json": office},
         401, "unauthenticated"),
        ("wrong role", "POST", "/api/v1/post-offices", "clerk", {"json": office},
         403, "forbidden"),
        ("unknown shipment", "GET", "/api/v1/shipments/VN000000000VN", "manager", {},
         404, "not_found"),
        ("unknown delegation", "POST", "/api/v1/delegations/999999/end", "manager",
         {"json": {"valid_to": "2026-01-01", "reason": "Hết hợp đồng"}}, 404, "not_found"),
        ("pick-up without dossier", "POST", "/api/v1/pickups", "portal",
         {"json": {"post_office": "BD-THU", "pickup_address": "1 Lê Lợi, phường Sài Gòn",
                   "dossier": {}}}, 422, "validation_failed"),
    ]


CASES = {"intake": intake_cases, "routing": routing_cases, "notify": notify_cases,
         "payment": payment_cases, "postal": postal_cases}


def callers():
    return {
        None: None,
        "broken": issue_token("another-secret-that-is-long-enough-0123", "manager"),
        "counter": token("counter_officer", department="stp"),
        "officer": token("department_officer", department="stp"),
        "clerk": token("postal_clerk", post_office="BD-THU"),
        "portal": token("portal"),
        "manager": token("manager"),
    }


def english_in(error):
    """The messages of an error answer that read as English."""
    messages = [error["message"]]
    for field_messages in (error.get("fields") or {}).values():
        messages.extend(field_messages)
    return [message for message in messages if english_words_in(message)]


@pytest.mark.parametrize("service", list(CASES))
def test_every_error_message_is_vietnamese_and_codes_stay_english(services, service):
    tokens = callers()
    english, wrong = [], []
    for name, method, path, role, kwargs, status, code in CASES[service]():
        answer = services[service].request(method, path, token=tokens[role], **kwargs)
        if answer.status_code != status or answer.json()["error"]["code"] != code:
            wrong.append(f"{name}: {answer.status_code} {answer.text}")
            continue
        error = answer.json()["error"]
        for field in error.get("fields") or {}:
            assert re.fullmatch(r"[A-Za-z0-9_. ]+", field), f"{name}: field name {field!r}"
        english.extend(f"{name}: {message}" for message in english_in(error))
    assert not wrong, "\n".join(wrong)
    assert not english, "English messages:\n" + "\n".join(english)
