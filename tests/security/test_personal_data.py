"""Personal data never reaches a log line, and the public lookup tells nothing without proof.

The whole stack runs as processes (the Procfile's services and relays) with their JSON logs
captured; a dossier with a citizen ID, a phone, an email and addresses goes through every
service: reception at the counter and at a post office, the fee paid, SMS and email sent (by
the log providers, which write what they send), the result delivered by post, lookups by
secret and by phone, an opt-out, and a few refused requests carrying the same data. Then
every line of every process's log is searched for each value submitted.
"""
import json
import re
from datetime import timedelta

import pytest
import requests

from scripts.stack import procfile_commands
from services.common.contracts import EVALUATION_ITEMS
from tests.conftest import dossier_body, local_today, running_stack, token, wait_for
from tests.security.conftest import (
    APPLICANT,
    DELIVERY_ADDRESS,
    DEPARTMENT,
    OFFICE,
    fee_procedure,
)

pytestmark = pytest.mark.e2e
PICKUP_ADDRESS = "9 Võ Văn Tần, phường Xuân Hòa, TP. Hồ Chí Minh"

COUNTER = token("counter_officer", department=DEPARTMENT, subject="motcua.stp.07")
LEAD = token("department_officer", department=DEPARTMENT, subject="chuyenvien.stp.07")
CLERK = token("postal_clerk", post_office=OFFICE["code"], subject="clerk-07")
MANAGER = token("manager", subject="manager-07")
PORTAL = token("portal", subject="portal")


def international(phone):
    return "+84" + phone[1:]


def spaced(phone):
    return f"{phone[:4]} {phone[4:7]} {phone[7:]}"


def secret_values():
    """Every form of the personal data submitted that must never be written to a log."""
    phone = APPLICANT["phone"]
    return {
        "citizen_id": APPLICANT["citizen_id"],
        "full name": APPLICANT["full_name"],
        "phone": phone,
        "phone +84": international(phone),
        "phone 84": international(phone)[1:],
        "email": APPLICANT["email"],
        "address": APPLICANT["address"],
        "delivery address": DELIVERY_ADDRESS,
        "pickup address": PICKUP_ADDRESS,
    }


@pytest.fixture
def stack(rabbit_config, tmp_path):
    env = {"NOTIFY_QUIET_HOURS": "", "DELIVERY_POST_OFFICE": OFFICE["code"],
           "NOTIFY_DLR_SECRET": "dlr-secret-for-security-tests-0123456789", "LOG_LEVEL": "DEBUG"}
    with running_stack("security_e2e", rabbit_config["AMQP_URI"], tmp_path / "logs",
                       **env) as running:
        yield running


class Http:
    def __init__(self, stack):
        self.stack = stack

    def __call__(self, method, service, path, who=None, expect=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if who:
            headers["Authorization"] = f"Bearer {who}"
        response = requests.request(method, self.stack.url(service, path), headers=headers,
                                    timeout=15, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response


def run_the_flow(stack):
    http = Http(stack)
    http("POST", "postal", "/api/v1/post-offices", MANAGER, 201, json=OFFICE)
    http("POST", "postal", "/api/v1/delegations", MANAGER, 201, json={
        "department": DEPARTMENT, "post_office": OFFICE["code"],
        "valid_from": (local_today() - timedelta(days=30)).isoformat()})
    proc = fee_procedure()
    body = dossier_body(proc, applicant=dict(APPLICANT), result_delivery="post",
                        delivery_address=DELIVERY_ADDRESS)
    dossier = http("POST", "intake", "/api/v1/dossiers", COUNTER, 201, json=body).json()
    code, secret = dossier["code"], dossier["lookup_secret"]
    http("GET", "intake", f"/api/v1/dossiers/{code}/receipt", COUNTER, 200,
         params={"format": "html"})

    # the same citizen online, at the post office, and a pick-up at home
    online = dict(body, applicant=dict(APPLICANT, phone=international(APPLICANT["phone"])))
    submission = http("POST", "intake", "/api/v1/submissions", PORTAL, 201, json=online).json()
    http("GET", "intake", f"/api/v1/submissions/{submission['id']}", COUNTER, 200)
    http("POST", "intake", f"/api/v1/submissions/{submission['id']}/reception", COUNTER, 201)
    http("POST", "postal", "/api/v1/receptions", CLERK, 201, json=body)
    http("POST", "postal", "/api/v1/pickups", PORTAL, 201, json={
        "post_office": OFFICE["code"], "pickup_address": PICKUP_ADDRESS, "dossier": body})

    # refused requests that carry the same data
    bad = dict(body, applicant=dict(APPLICANT, citizen_id=APPLICANT["citizen_id"] + "9",
                                    phone=APPLICANT["phone"] + "99"))
    http("POST", "intake", "/api/v1/dossiers", COUNTER, 422, json=bad)
    http("POST", "intake", "/api/v1/dossiers", token("counter_officer", department="ca"), 403,
         json=body)
    http("POST", "intake", "/api/v1/dossiers", COUNTER, 400, data=str(body).encode(),
         headers={"Content-Type": "application/json"})

    # the fee, paid at the counter
    [bill] = wait_for(lambda: http("GET", "payment", "/api/v1/bills", COUNTER, 200,
                                   params={"dossier_code": code}).json()["bills"], timeout=30)
    http("POST", "payment", f"/api/v1/bills/{bill['id']}/payments", COUNTER, 201,
         json={"channel": "cash"})

    # the department decides; the result goes by post and is delivered
    http("POST", "routing", f"/api/v1/dossiers/{code}/actions/accept", LEAD, 200, json={})
    http("POST", "routing", f"/api/v1/dossiers/{code}/actions/complete", LEAD, 200,
         json={"result_reference": "77/QĐ-STP"})
    [shipment] = wait_for(lambda: http("GET", "postal", "/api/v1/shipments", CLERK, 200)
                          .json()["shipments"], timeout=30)
    for event in ("picked_up", "in_transit", "delivered"):
        http("POST", "postal", f"/api/v1/shipments/{shipment['tracking_number']}/events",
             CLERK, 201, json={"event": event})
    wait_for(lambda: http("GET", "routing", f"/api/v1/dossiers/{code}", params={
        "secret": secret}).json()["status"] == "returned", timeout=30)

    # the citizen looks up by phone in both forms, and opts out of email
    for phone in (APPLICANT["phone"], international(APPLICANT["phone"])):
        http("GET", "routing", f"/api/v1/dossiers/{code}", expect=200, params={"phone": phone})
    http("POST", "notify", "/api/v1/opt-outs", PORTAL, 201,
         json={"channel": "email", "address": APPLICANT["email"]})
    http("POST", "notify", "/api/v1/opt-outs", PORTAL, 422,
         json={"channel": "sms", "address": APPLICANT["address"]})

    # every notification was sent (the log providers write what they send)
    def all_sent():
        listed = http("GET", "notify", f"/api/v1/dossiers/{code}/notifications", MANAGER, 200)
        rows = listed.json()["notifications"]
        return len(rows) >= 4 and all(r["status"] != "pending" for r in rows) and rows

    sent = wait_for(all_sent, timeout=60, interval=0.5)
    assert {row["channel"] for row in sent} == {"sms", "email"}
    return code


def readable(line):
    """A JSON log line with its \\u escapes decoded (Vietnamese addresses are escaped), and
    the raw line, so a value is found however it was written."""
    try:
        decoded = json.dumps(json.loads(line), ensure_ascii=False)
    except ValueError:
        return line
    return f"{line} {decoded}"


def test_no_personal_data_in_any_log_line_of_any_process(stack):
    code = run_the_flow(stack)
    stack.stop()  # flush every process's log
    lines = [(path.name, readable(line)) for path in sorted(stack.log_dir.glob("*.log"))
             for line in path.read_text(errors="replace").splitlines()]
    silent = {f"{name}.log" for name in procfile_commands()} - {name for name, _ in lines}
    assert not silent, f"these processes of the Procfile wrote no log: {sorted(silent)}"
    assert any(code in line for _, line in lines), "the flow's dossier is not in the logs"
    assert any("SMS (log provider)" in line for _, line in lines)
    masked_phone = "***" + APPLICANT["phone"][-3:]
    assert any(masked_phone in line for _, line in lines), "the phone never reached a log"
    leaks = [f"{name}: {what} in {line[:300]}"
             for name, line in lines for what, value in secret_values().items()
             if value.lower() in line.lower()]
    print(f"personal data: {len(lines)} log lines of {len({n for n, _ in lines})} processes "
          f"scanned for {len(secret_values())} values, {len(leaks)} leaks")
    assert not leaks, "\n".join(leaks[:20])


def answer(response, code):
    """Status and body, with the code asked for replaced, so two codes compare."""
    return response.status_code, response.text.replace(code, "<code>")


def test_lookup_does_not_reveal_whether_a_code_exists_without_the_proof(stack):
    http = Http(stack)
    proc = fee_procedure()
    dossier = http("POST", "intake", "/api/v1/dossiers", COUNTER, 201,
                   json=dossier_body(proc, applicant=dict(APPLICANT))).json()
    code = dossier["code"]
    wait_for(lambda: http("GET", "routing", f"/api/v1/dossiers/{code}",
                          params={"secret": dossier["lookup_secret"]}).status_code == 200)
    unknown = re.sub(r"\d{4}$", "9999", code)
    answers = []
    for path_code in (code, unknown):
        for params in ({"secret": "WRONGSECRET"}, {"phone": "0911111111"},
                       {"phone": "+84911111111"}):
            for path in (f"/api/v1/dossiers/{path_code}",
                         f"/api/v1/dossiers/{path_code}/forms/extension"):
                response = http("GET", "routing", path, params=params)
                answers.append(answer(response, path_code))
        for action in ("evaluation", "withdrawal", "resubmission"):
            body = {"secret": "WRONGSECRET"}
            if action == "evaluation":
                body["answers"] = dict.fromkeys(EVALUATION_ITEMS, "satisfied")
            response = http("POST", "routing", f"/api/v1/dossiers/{path_code}/{action}",
                            json=body)
            answers.append(answer(response, path_code))
    half = len(answers) // 2
    existing, missing = answers[:half], answers[half:]
    assert existing == missing  # same status and same body, code for code
    # 404 without the right proof; a form asks for a token when no secret is given
    assert {status for status, _ in existing} == {401, 404}
