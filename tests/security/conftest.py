"""The services in nameko containers on the real broker and database, with their relays,
and real resources made through their own APIs and events: a dossier of department X with
its bill, receipt, notifications and shipment, two of its online dossiers awaiting
reception, a post office with a delegation, a pick-up."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from scripts.dvcqg import serve
from services.common.auth import issue_token
from services.common.events import TIMEZONE, new_envelope
from services.desk.service import DeskService
from services.docstore import testca
from services.docstore.service import DocstoreService
from services.intake.service import IntakeService
from services.nationalportal.service import NationalPortalService
from services.notify.service import NotifyService
from services.payment.service import PaymentService
from services.postal.service import PostalService
from services.routing.service import RoutingService
from tests.conftest import (
    CATALOGUE,
    TOKEN_SECRET,
    dossier_body,
    free_port,
    local_today,
    publish_envelope,
    query,
    token,
    wait_for,
)
from tooling.clamav import Clamd

DEPARTMENT = "stp"          # "the right department": the dossier's
OTHER_DEPARTMENT = "ca"     # "another department"
OFFICE = {"code": "BD-TRUNGTAM", "name": "Bưu điện Trung tâm tỉnh",
          "address": "2 Công xã Paris, phường Sài Gòn", "receiving_unit": "000.00.41.H33"}
OTHER_OFFICE = {"code": "BD-HUYEN", "name": "Bưu điện huyện", "address": "1 Quốc lộ 1, xã Mẫu",
                "receiving_unit": "000.00.42.H33"}
DLR_SECRET = "dlr-secret-for-security-tests-0123456789"
GATEWAY = {"VNPAY_TMN_CODE": "MOTCUA01", "VNPAY_HASH_SECRET": "gateway-secret-for-tests-0123456789"}
SERVICES = {"intake": IntakeService, "routing": RoutingService, "notify": NotifyService,
            "payment": PaymentService, "postal": PostalService, "desk": DeskService,
            "nationalportal": NationalPortalService, "docstore": DocstoreService}
# What the citizen submits; the personal-data tests look for each of these in the logs.
APPLICANT = {
    "full_name": "Lê Thị Thu Hương",
    "citizen_id": "079301004567",
    "phone": "0987654321",
    "email": "thuhuong.le@example.vn",
    "address": "148 Lê Lợi, phường Bến Thành, TP. Hồ Chí Minh",
}
DELIVERY_ADDRESS = "27 Pasteur, phường Sài Gòn, TP. Hồ Chí Minh"


def fee_procedure(department=DEPARTMENT):
    """A procedure of the department with a fee, open at the counter, online and by post."""
    return next(proc for proc in CATALOGUE["procedures"].values()
                if proc["department"] == department and proc["fee"] + proc["charge"] > 0
                and {"counter", "online", "postal"} <= set(proc["channels"]))


def roles():
    """Every caller of the matrix: name -> Authorization header value (None: no header)."""
    today = {"subject": "security-tests"}
    return {
        "no_token": None,
        "expired": issue_token(TOKEN_SECRET, "manager", ttl=-60),
        "wrong_signature": issue_token("another-secret-that-is-long-enough-0123", "manager"),
        "counter_other": token("counter_officer", department=OTHER_DEPARTMENT, **today),
        "clerk_other": token("postal_clerk", post_office=OTHER_OFFICE["code"], **today),
        "officer_other": token("department_officer", department=OTHER_DEPARTMENT, **today),
        "leader_other": token("leader", department=OTHER_DEPARTMENT, **today),
        "portal": token("portal", **today),
        "manager": token("manager", **today),
        "officer_right": token("department_officer", department=DEPARTMENT, **today),
        "leader_right": token("leader", department=DEPARTMENT, **today),
        "clerk_right": token("postal_clerk", post_office=OFFICE["code"], **today),
        "counter_right": token("counter_officer", department=DEPARTMENT, **today),
        # one of a commune center's own staff: receives any procedure of the province
        "counter_center": token("counter_officer", center="tt_long_xuyen", **today),
    }


@dataclass
class World:
    clients: dict
    amqp_uri: str
    tokens: dict = field(default_factory=roles)
    ids: dict = field(default_factory=dict)

    def call(self, service, method, path, role=None, **kwargs):
        return self.clients[service].request(method, path, token=self.tokens.get(role), **kwargs)


@pytest.fixture(scope="session")
def docstore_tools(tmp_path_factory):
    """docstore's clamd (the EICAR test signature only) and test CA."""
    keys = tmp_path_factory.mktemp("docstore-keys")
    testca.create(keys)
    with Clamd() as scanner:
        yield {"CLAMD_ADDRESS": scanner.address, "DOCSTORE_LOCAL_KEY_DIR": str(keys)}


@pytest.fixture
def services(container_factory, config_for, client_for, topology, relays, portal,
             docstore_tools):
    """The five services running with their relays; returns {service: client}. Small
    connection pools: five services share PostgreSQL's connections with other test runs."""
    small = {"DB_POOL_SIZE": 3}
    intake_config = config_for("intake", **small)
    configs = {
        "intake": intake_config,
        "routing": config_for("routing", **small),
        "notify": config_for("notify", DLR_SECRET=DLR_SECRET, SMS_PROVIDER="log",
                             QUIET_HOURS="", SEND_BATCH=50, **small),
        "payment": config_for("payment", **GATEWAY, **small),
        "postal": config_for("postal", DELIVERY_POST_OFFICE=OFFICE["code"], **small),
        # talks to the fake DVCQG, and hands online dossiers to this intake
        "nationalportal": config_for(
            "nationalportal", PORTAL_URL=f"http://127.0.0.1:{portal.server_address[1]}",
            INTAKE_URL=f"http://{intake_config['WEB_SERVER_ADDRESS']}",
            PORTAL_POLL_SECONDS=3600, PORTAL_PUSH_SECONDS=0.5, **small),
        "desk": config_for("desk", **small),
        "docstore": config_for("docstore", **docstore_tools, **small),
    }
    for name, cls in SERVICES.items():
        container_factory(cls, configs[name]).start()
    relays(*(name for name in SERVICES if name != "desk"))  # the desk publishes nothing
    return {name: client_for(config) for name, config in configs.items()}


@pytest.fixture
def portal():
    """The fake National Public Service Portal (scripts/dvcqg.py) on a port of its own."""
    server, _ = serve(free_port())
    yield server
    server.shutdown()
    server.server_close()


def publish_event(amqp_uri, envelope):
    publish_envelope(amqp_uri, envelope)


def result_ready(code, department=DEPARTMENT):
    """routing's dossier.result_ready for a result delivered by post."""
    return new_envelope("dossier.result_ready", "routing", {
        "code": code, "department": department, "procedure_name": "Thủ tục thử",
        "result_reference": "123/QĐ-STP", "ready_at": datetime.now(TIMEZONE).isoformat(),
        "delivery": {"method": "post", "recipient_name": APPLICANT["full_name"],
                     "phone": APPLICANT["phone"], "address": DELIVERY_ADDRESS},
        "releasable": True,
    }, "corr-security", dossier_code=code)


def expect(response, status):
    assert response.status_code == status, f"{response.status_code} {response.text}"
    return response.json()


@pytest.fixture
def world(services, topology, db):
    """The services and real resources of department X, made through their own APIs."""
    w = World(services, topology)
    manager = "manager"
    for office in (OFFICE, OTHER_OFFICE):
        expect(w.call("postal", "POST", "/api/v1/post-offices", manager, json=office), 201)
    valid_from = (local_today() - timedelta(days=30)).isoformat()
    expect(w.call("postal", "POST", "/api/v1/delegations", manager, json={
        "department": DEPARTMENT, "post_office": OFFICE["code"], "valid_from": valid_from}), 201)
    ending = expect(w.call("postal", "POST", "/api/v1/delegations", manager, json={
        "department": OTHER_DEPARTMENT, "post_office": OFFICE["code"],
        "valid_from": valid_from}), 201)
    w.ids["delegation_id"] = ending["id"]

    proc = fee_procedure()
    body = dossier_body(proc, applicant=dict(APPLICANT), result_delivery="post",
                        delivery_address=DELIVERY_ADDRESS)
    dossier = expect(w.call("intake", "POST", "/api/v1/dossiers", "counter_right", json=body),
                     201)
    code = w.ids["code"] = dossier["code"]
    w.ids["secret"] = dossier["lookup_secret"]
    w.ids["procedure_code"] = proc["code"]
    w.ids["dossier_body"] = body

    [bill] = wait_for(lambda: query(db, "SELECT * FROM payment.bills WHERE dossier_code = %s",
                                    (code,)))
    w.ids["bill_id"] = str(bill["id"])
    paid = expect(w.call("payment", "POST", f"/api/v1/bills/{bill['id']}/payments",
                         "counter_right", json={"channel": "cash", "amount": 1000}), 201)
    w.ids["receipt_id"] = paid["receipt"]["id"]

    wait_for(lambda: query(db, "SELECT 1 FROM routing.dossiers WHERE code = %s", (code,)))
    [notification] = wait_for(lambda: query(
        db, "SELECT id FROM notify.notifications WHERE dossier_code = %s LIMIT 1", (code,)))
    w.ids["notification_id"] = str(notification["id"])

    publish_event(topology, result_ready(code))
    [shipment] = wait_for(lambda: query(
        db, "SELECT tracking_number FROM postal.shipments WHERE dossier_code = %s", (code,)))
    w.ids["tracking_number"] = shipment["tracking_number"]

    slip = {"procedure_code": proc["code"], "applicant": {"full_name": APPLICANT["full_name"]}}
    for kind, extra in (("guidance", {}), ("refusals", {"reason": "Không thuộc thẩm quyền."})):
        w.ids[f"{kind.rstrip('s')}_id"] = expect(w.call(  # slips given instead of a receipt
            "intake", "POST", f"/api/v1/{kind}", "counter_right", json={**slip, **extra}),
            201)["id"]
    for name in ("submission_id", "correctable_id"):  # online dossiers awaiting reception
        w.ids[name] = expect(w.call("intake", "POST", "/api/v1/submissions", "portal",
                                    json=dossier_body(proc)), 201)["id"]

    pickup = expect(w.call("postal", "POST", "/api/v1/pickups", "portal", json={
        "post_office": OFFICE["code"], "pickup_address": DELIVERY_ADDRESS,
        "dossier": dossier_body(proc, applicant=dict(APPLICANT))}), 201)
    w.ids["pickup_id"] = pickup["id"]

    document = expect(w.call("docstore", "POST", "/api/v1/documents", "counter_right", json={
        "document_type": "don_de_nghi", "title": "Đơn đề nghị", "owner": {
            "id": APPLICANT["citizen_id"]}, "dossier_code": code}), 201)
    w.ids["document_id"] = document["id"]
    w.ids["page"] = 1
    return w
