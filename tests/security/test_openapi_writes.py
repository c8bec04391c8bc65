"""An integrator's first request, from the OpenAPI documents alone: for every write operation
(POST, PUT, PATCH) of every served document, schemathesis builds requests from the document
(its examples first, then positive data) until one is answered 2xx. A write that gets none
means the document does not tell how to call it: fix the schema or the `@api` declaration.

What a document cannot know is the state a request refers to. It is prepared here as a
caller would find it: path parameters name real resources of the security `world` (a dossier
in the state the action needs: accepted, asked for a supplement, returned...), and the body
fields that name one (`secret`: the dossier's lookup secret; `post_office`: the clerk's post
office) are those resources'. The token is of a role the authorisation matrix allows.
"""
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from scripts.payment_gateway import ipn_params
from services.common.apidocs import _route_path
from services.common.events import events_exchange
from tests.conftest import TEST_DB_URL, dossier_body, procedure, publish_envelope, wait_for
from tests.docstore.conftest import WorkerProcess, scanned_jpeg
from tests.nationalportal.conftest import lacking_sector
from tests.security.conftest import (
    APPLICANT,
    DEPARTMENT,
    GATEWAY,
    OFFICE,
    expect,
    fee_procedure,
)
from tests.security.test_authorization_matrix import TABLE
from tests.security.test_openapi_fuzz import caller_of, real_path_parameters

WRITES = ("POST", "PUT", "PATCH")
POSITIVE_TRIES = 25


def new_dossier(world, proc=None):
    """A dossier of the department received at the counter, assigned to it: (code, secret)."""
    body = dossier_body(proc or procedure(department=DEPARTMENT, channel="counter"))
    created = expect(world.call("intake", "POST", "/api/v1/dossiers", "counter_right",
                                json=body), 201)
    code = created["code"]

    def assigned():
        lookup = world.call("routing", "GET", f"/api/v1/dossiers/{code}",
                            params={"secret": created["lookup_secret"]})
        return lookup.status_code == 200
    wait_for(assigned)
    return code, created["lookup_secret"]


def acted(world, code, *actions):
    for action, body in actions:
        expect(world.call("routing", "POST", f"/api/v1/dossiers/{code}/actions/{action}",
                          "officer_right", json=body), 200)
    return code


def dossier_in_state(world, *actions):
    code, secret = new_dossier(world)
    acted(world, code, *actions)
    return {"code": code, "secret": secret}


ACCEPT = ("accept", {})
SUPPLEMENT = ("request_supplement", {"documents": [{"name": "Bản sao giấy tờ trụ sở"}],
                                     "reason": "thiếu bản sao"})
COMPLETE = ("complete", {"result_reference": "12/QĐ-STP"})
RETURN = ("return", {"method": "counter"})


def overpaid_bill(world):
    """The bill of a new dossier paid twice over (online, then in cash before the gateway
    confirmed): it owes the citizen a refund."""
    code, _ = new_dossier(world, fee_procedure())
    [bill] = wait_for(lambda: world.call("payment", "GET", "/api/v1/bills", "manager",
                                         params={"dossier_code": code}).json()["bills"])
    bill_path = f"/api/v1/bills/{bill['id']}"
    outstanding = bill["outstanding"]
    started = expect(world.call("payment", "POST", bill_path + "/payments", "portal", json={
        "channel": "online", "amount": outstanding, "ip_addr": "113.161.0.10"}), 201)
    expect(world.call("payment", "POST", bill_path + "/payments", "counter_right",
                      json={"channel": "cash", "amount": outstanding}), 201)
    confirmed = expect(world.call("payment", "GET", "/api/v1/gateway/vnpay/ipn",
                                  params=ipn_params(GATEWAY["VNPAY_HASH_SECRET"],
                                                    started["pay_url"])), 200)
    assert confirmed["RspCode"] == "00", confirmed
    return bill["id"]


def collected_pickup(world):
    pickup = expect(world.call("postal", "POST", "/api/v1/pickups", "portal", json={
        "post_office": OFFICE["code"], "pickup_address": "5 Đường Thử, phường Mẫu",
        "dossier": world.ids["dossier_body"]}), 201)
    expect(world.call("postal", "POST", f"/api/v1/pickups/{pickup['id']}/collected",
                      "clerk_right"), 200)
    return pickup["id"]


def signed_document(world, keys):
    """A document of the applicant scanned at the counter and signed by the document worker
    (run for it alone): one that can be reused."""
    made = expect(world.call("docstore", "POST", "/api/v1/documents", "counter_right", json={
        "document_type": "gcn_qsdd", "title": "Giấy chứng nhận", "owner": {
            "id": APPLICANT["citizen_id"]}}), 201)
    expect(world.call("docstore", "PUT", f"/api/v1/documents/{made['id']}/content",
                      "counter_right", data=scanned_jpeg()), 202)
    worker = WorkerProcess({"DB_URL": TEST_DB_URL, "AMQP_URI": world.amqp_uri,
                            "DOCSTORE_LOCAL_KEY_DIR": keys["DOCSTORE_LOCAL_KEY_DIR"]},
                           Path(keys["DOCSTORE_LOCAL_KEY_DIR"]) / "worker.log").start()
    try:
        wait_for(lambda: world.call("docstore", "GET", f"/api/v1/documents/{made['id']}",
                                    "counter_right").json()["status"] == "signed", timeout=120)
    finally:
        worker.stop()
    return made["id"]


def awaiting_signature(world, keys):
    """A scan of the counter awaiting the remote signer's value (the officer's signature: the
    counter officer the matrix lets through sends it): the document worker, run for it alone
    with the external signer, reserved its signature."""
    made = expect(world.call("docstore", "POST", "/api/v1/documents", "counter_right", json={
        "document_type": "don_de_nghi", "title": "Đơn đề nghị",
        "owner": {"id": APPLICANT["citizen_id"]}}), 201)
    expect(world.call("docstore", "PUT", f"/api/v1/documents/{made['id']}/content",
                      "counter_right", data=scanned_jpeg()), 202)
    directory = keys["DOCSTORE_LOCAL_KEY_DIR"]
    worker = WorkerProcess({"DB_URL": TEST_DB_URL, "AMQP_URI": world.amqp_uri,
                            "DOCSTORE_LOCAL_KEY_DIR": directory},
                           Path(directory) / "worker.log",
                           {"DOCSTORE_SIGNER": "external",
                            "DOCSTORE_EXTERNAL_CERT_DIR": directory}).start()
    try:
        wait_for(lambda: world.call("docstore", "GET", f"/api/v1/documents/{made['id']}",
                                    "counter_right").json()["status"] == "awaiting_signature",
                 timeout=120)
    finally:
        worker.stop()
    return made["id"]


def failed_sync(world):
    """A dossier whose sync the portal refused (its procedure names no lĩnh vực): one a
    manager retries."""
    code = "H01.40-261208-0042"
    publish_envelope(world.amqp_uri, lacking_sector(code), events_exchange("intake"))
    wait_for(lambda: world.call("nationalportal", "GET", f"/api/v1/sync/dossiers/{code}",
                                "manager").json().get("state") == "failed")
    return code


def state_for(world, service, method, path, docstore_keys):
    """The resources an operation's request names: path parameters and body fields."""
    state = {**real_path_parameters(world), "secret": world.ids["secret"],
             "post_office": OFFICE["code"], "owner_id": APPLICANT["citizen_id"]}
    if (service, path) == ("routing", "/api/v1/dossiers/{code}/resubmission"):
        state.update(dossier_in_state(world, ACCEPT, SUPPLEMENT))
    elif (service, path) == ("routing", "/api/v1/dossiers/{code}/evaluation"):
        state.update(dossier_in_state(world, ACCEPT, COMPLETE, RETURN))
    elif (service, path) == ("routing", "/api/v1/dossiers/{code}/withdrawal"):
        state.update(dossier_in_state(world))
    elif (service, path) == ("payment", "/api/v1/bills/{bill_id}/refunds"):
        state["bill_id"] = overpaid_bill(world)
    elif (service, path) == ("postal", "/api/v1/pickups/{pickup_id}/received"):
        state["pickup_id"] = collected_pickup(world)
    elif (service, path) == ("nationalportal", "/api/v1/sync/dossiers/{code}/retry"):
        state["code"] = failed_sync(world)
    elif (service, path) == ("docstore", "/api/v1/documents/{document_id}/reuse"):
        state["document_id"] = signed_document(world, docstore_keys)
    elif (service, path) == ("docstore", "/api/v1/documents/{document_id}/signature"):
        state["document_id"] = awaiting_signature(world, docstore_keys)
    elif service == "intake" and path.startswith("/api/v1/submissions/{submission_id}/"):
        state["submission_id"] = expect(world.call("intake", "POST", "/api/v1/submissions",
                                                   "portal", json=world.ids["dossier_body"]),
                                        201)["id"]
    return state


def with_state(case, state):
    if case.path_parameters:
        case.path_parameters = {name: state.get(name, value)
                                for name, value in case.path_parameters.items()}
    if isinstance(case.body, dict):
        case.body = {name: state.get(name, value)
                     if name in ("secret", "post_office", "owner_id") else value
                     for name, value in case.body.items()}
    return case


def cases_from_document(operation):
    """The document's examples, then positive cases, as schemathesis builds them."""
    cases = []

    @settings(database=None, max_examples=POSITIVE_TRIES, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(*operation.get_strategies_from_examples())
           if operation.get_strategies_from_examples() else st.nothing())
    def from_examples(case):
        cases.append(case)

    @settings(database=None, max_examples=POSITIVE_TRIES, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy(GenerationMode.POSITIVE))
    def positive(case):
        cases.append(case)

    if operation.get_strategies_from_examples():
        from_examples()
    positive()
    return cases


def answered_2xx(operation, state, base_url, headers):
    """The first request built from the document that gets a 2xx, or the answers it got."""
    answers = []
    for case in cases_from_document(operation):
        response = with_state(case, state).call(base_url=base_url, headers=headers, timeout=30)
        answers.append(f"{response.status_code} {response.text[:160]}")
        if 200 <= response.status_code < 300:
            return case, answers
    return None, answers


def test_every_write_operation_gets_a_2xx_from_its_document_alone(world, docstore_tools):
    rows = {(row.service, row.method, _route_path(row.url)[0]): row for row in TABLE}
    without, writes = [], 0
    for service, client in world.clients.items():
        schema = schemathesis.openapi.from_url(client.base + "/openapi.json")
        for result in schema.get_all_operations():
            operation = result.ok()
            method = operation.method.upper()
            if method not in WRITES:
                continue
            writes += 1
            role = caller_of(rows[(service, method, operation.path)])
            headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role else {}
            state = state_for(world, service, method, operation.path, docstore_tools)
            case, answers = answered_2xx(operation, state, client.base, headers)
            if case is None:
                without.append(f"{service} {operation.label}: {[answers[0], *answers[-2:]]}")
    print(f"\n{writes} write operations, {writes - len(without)} answered 2xx from their "
          "documents")
    assert writes >= 19 and not without, "\n".join(without)
