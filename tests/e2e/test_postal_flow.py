"""A dossier received by the post office, over HTTP and queues only, through every service:
clerk's reception → routing assigns it → the department completes it → postal ships the
result and payment bills the postal charge → delivered → routing marks it returned; each step
exactly once."""
import collections

import pytest
import requests

from tests.conftest import (
    CATALOGUE,
    dossier_body,
    drain,
    local_today,
    running_stack,
    token,
    wait_for,
)

pytestmark = pytest.mark.e2e
OFFICE = {"code": "BD-E2E", "name": "Bưu cục Trung tâm", "address": "01 Lê Duẩn",
          "receiving_unit": "000.00.42.H33"}
DEPARTMENT = "skhcn"


@pytest.fixture
def stack(rabbit_config, tmp_path):
    with running_stack("postal_e2e", rabbit_config["AMQP_URI"], tmp_path / "logs",
                       NOTIFY_QUIET_HOURS="") as running:
        yield running


class Caller:
    def __init__(self, stack):
        self.stack = stack
        self.tokens = {
            "manager": token("manager"),
            "clerk": token("postal_clerk", post_office=OFFICE["code"]),
            "officer": token("department_officer", department=DEPARTMENT),
        }

    def __call__(self, method, service, path, who, **kwargs):
        return requests.request(method, self.stack.url(service, path), timeout=15,
                                headers={"Authorization": f"Bearer {self.tokens[who]}"}, **kwargs)


def free_postal_procedure():
    """A procedure of the department the post office may receive, without fees, result by post."""
    return next(p for p in CATALOGUE["procedures"].values()
                if p["department"] == DEPARTMENT and "postal" in p["channels"]
                and p["postal_return"] and p["fee"] + p["charge"] == 0)


def test_a_dossier_received_by_post_is_delivered_and_returned_each_step_once(stack,
                                                                              rabbit_config):
    call = Caller(stack)
    assert call("POST", "postal", "/api/v1/post-offices", "manager", json=OFFICE).status_code == 201
    delegation = call("POST", "postal", "/api/v1/delegations", "manager",
                      json={"department": DEPARTMENT, "post_office": OFFICE["code"],
                            "valid_from": local_today().isoformat()})
    assert delegation.status_code == 201, delegation.text

    body = dossier_body(free_postal_procedure(), result_delivery="post",
                        delivery_address="12 Trần Phú, phường Ba Đình, Hà Nội")
    received = call("POST", "postal", "/api/v1/receptions", "clerk", json=body)
    assert received.status_code == 201, received.text
    dossier = received.json()
    code = dossier["code"]
    assert code.startswith(CATALOGUE["departments"][DEPARTMENT]["identifier"] + "-")

    queued = collections.Counter()

    def on_department_queue():
        for _, message in drain(rabbit_config["AMQP_URI"], f"department.{DEPARTMENT}", wait=0.2):
            queued[(message["dossier_code"], message["type"], message["id"])] += 1
        return any(c == code for c, _, _ in queued)

    wait_for(on_department_queue, timeout=30)
    for action, extra in (("accept", {}), ("complete", {"result_reference": "15/QĐ-SKHCN"})):
        answer = call("POST", "routing", f"/api/v1/dossiers/{code}/actions/{action}", "officer",
                      json=extra)
        assert answer.status_code == 200, answer.text

    def shipments():
        listed = call("GET", "postal", "/api/v1/shipments", "manager").json()["shipments"]
        return [s for s in listed if s["dossier_code"] == code]

    [shipment] = wait_for(shipments, timeout=30)

    def postal_bills():
        listed = call("GET", "payment", "/api/v1/bills", "manager",
                      params={"dossier_code": code}).json()["bills"]
        return [b for b in listed if b["kind"] == "postal"]

    [bill] = wait_for(postal_bills, timeout=30)
    assert bill["amount"] == shipment["fee"] > 0

    for event in ("picked_up", "in_transit", "delivered"):
        answer = call("POST", "postal", f"/api/v1/shipments/{shipment['tracking_number']}/events",
                      "clerk", json={"event": event})
        assert answer.status_code == 201, answer.text

    def returned():
        view = requests.get(stack.url("routing", f"/api/v1/dossiers/{code}"),
                            params={"secret": dossier["lookup_secret"]}, timeout=10).json()
        return view if view["status"] == "returned" else None

    view = wait_for(returned, timeout=30)
    statuses = [h["status"] for h in view["history"]]
    assert statuses.count("assigned") == 1 and statuses.count("returned") == 1
    assert statuses.count("result_ready") == 1
    on_queue = [key for key in queued if key[0] == code and key[1] == "dossier.assigned"]
    assert len(on_queue) == 1 and queued[on_queue[0]] == 1
    assert len(shipments()) == 1 and len(postal_bills()) == 1
