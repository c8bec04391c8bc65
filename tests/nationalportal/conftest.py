"""intake, routing and nationalportal in containers, the fake DVCQG (scripts/dvcqg.py) as a
real HTTP server on its own port, and helpers that read what it received."""
from datetime import datetime, timedelta

import pytest
import requests

from scripts.dvcqg import serve
from services.common.events import TIMEZONE, events_exchange, new_envelope
from services.intake.service import IntakeService
from services.nationalportal.service import NationalPortalService
from services.routing.service import RoutingService
from tests.conftest import free_port, publish_envelope, token, wait_for

MANAGER = token("manager", subject="lanhdao.01")
FAST = {"PORTAL_PUSH_SECONDS": 0.2, "PORTAL_POLL_SECONDS": 3600,
        "PORTAL_BACKOFF_FIRST_SECONDS": 0.1, "PORTAL_BACKOFF_MAX_SECONDS": 0.4,
        "PORTAL_BREAKER_FAILURES": 3, "PORTAL_BREAKER_SECONDS": 0.5,
        "PORTAL_TIMEOUT_SECONDS": 1}


@pytest.fixture
def dvcqg():
    """The fake portal: (its URL, its state)."""
    server, portal = serve(free_port())
    yield f"http://127.0.0.1:{server.server_address[1]}", portal
    server.shutdown()
    server.server_close()


@pytest.fixture
def linked(container_factory, config_for, client_for, topology, relays, dvcqg):
    """(intake client, nationalportal client, the fake portal's state, AMQP URI)."""
    url, portal = dvcqg
    intake_config = config_for("intake")
    portal_config = config_for("nationalportal", PORTAL_URL=url,
                               INTAKE_URL=f"http://{intake_config['WEB_SERVER_ADDRESS']}",
                               **FAST)
    container_factory(IntakeService, intake_config).start()
    container_factory(RoutingService, config_for("routing")).start()
    container_factory(NationalPortalService, portal_config).start()
    relays("intake", "routing", "nationalportal")
    return client_for(intake_config), client_for(portal_config), portal, topology


def received(portal):
    return portal.received()


def shown(portal, code):
    """(record, progress rows) the portal holds of a dossier."""
    state = portal.received()
    return state["dossiers"].get(code), state["progress"].get(code, [])


def status_changed(amqp_uri, code, to_status, at, from_status="assigned", reason=None):
    """routing's dossier.status_changed, as its contract defines it."""
    envelope = new_envelope("dossier.status_changed", "routing", {
        "code": code, "department": "stp", "from_status": from_status, "to_status": to_status,
        "public_status": "processing" if to_status == "awaiting_approval" else to_status,
        "actor": "chuyenvien.stp.01", "reason": reason, "at": at.isoformat(),
        "due_date": (at + timedelta(days=7)).date().isoformat(),
    }, "corr-portal", dossier_code=code)
    publish_envelope(amqp_uri, envelope, events_exchange("routing"))
    return envelope


def later(minutes):
    return datetime.now(TIMEZONE) + timedelta(minutes=minutes)


def sync_state(client, code):
    answer = client.get(f"/api/v1/sync/dossiers/{code}", token=MANAGER)
    return answer.json() if answer.status_code == 200 else None


def synced(client, code):
    """Waits until the dossier and all its steps are acknowledged; its sync state."""
    def done():
        state = sync_state(client, code)
        return state if state and state["state"] == "acknowledged" and all(
            step["state"] == "acknowledged" for step in state["steps"]) else None
    return wait_for(done, timeout=20)


def call_portal(url, service, session=None, **fields):
    """A call to the fake portal as a provincial system makes it."""
    if session is None:
        session = requests.post(f"{url}/login", json={"username": "motcua", "password": ""},
                                headers={"dstcode": "H15"}, timeout=5).json()["session"]
    return requests.post(f"{url}/service", headers={"dstcode": "H15"}, timeout=5, json={
        "session": session, "madonvi": "000.00.00.H15", "service": service, **fields}).json()


def lacking_sector(code):
    """intake's dossier.received of a dossier whose procedure names no lĩnh vực (MaLinhVuc),
    which the portal requires: its sync fails."""
    return new_envelope("dossier.received", "intake", {
        "code": code, "channel": "counter", "result_delivery": "counter",
        "receiving_unit": "H01.10",
        "received_at": later(0).isoformat(), "due_date": later(60 * 24 * 7).date().isoformat(),
        "procedure": {"code": "1.001756", "name": "Thành lập Văn phòng công chứng",
                      "department": "stp", "cooperating": [], "processing_days": 5,
                      "day_kind": "working", "fee": 0, "charge": 0, "postal_return": False,
                      "refund_on_refusal": False, "hold_result_until_paid": False,
                      "sector_code": None},
        "applicant": {"full_name": "Lê Văn An", "citizen_id": "*********234",
                      "phone": "0912345678", "address": "1 Lê Lợi"},
        "documents": [], "submission_id": None, "receiver": {"id": "motcua.stp.01"},
    }, "corr-lacking", dossier_code=code)
