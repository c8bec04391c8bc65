"""The postal part of the demo, run against real containers: every check it reports passes."""
from datetime import datetime

from scripts import postal_demo
from services.common.events import TIMEZONE, new_envelope
from tests.conftest import CATALOGUE, TOKEN_SECRET, dossier_body, query
from tests.postal.test_delivery import publish


def test_demo_steps_pass_against_the_running_services(container_factory, config_for,
                                                      client_for, topology, relays, db):
    from services.intake.service import IntakeService
    from services.postal.service import PostalService
    from services.routing.service import RoutingService

    postal_config = config_for("postal")
    container_factory(IntakeService, config_for("intake")).start()
    container_factory(RoutingService, config_for("routing")).start()
    container_factory(PostalService, postal_config).start()
    relays("intake", "routing", "postal")

    def make_body(procedure, result_by_post):
        return dossier_body(procedure, result_delivery="post" if result_by_post else "counter",
                            delivery_address="12 Hai Bà Trưng, phường Sài Gòn")

    def complete(code):
        """What routing publishes when the department's result is ready."""
        [dossier] = query(db, "SELECT department, delivery_address FROM intake.dossiers"
                              " WHERE code = %s", (code,))
        publish(topology, new_envelope("dossier.result_ready", "routing", {
            "code": code, "department": dossier["department"], "procedure_name": "demo",
            "result_reference": "1/QĐ", "ready_at": datetime.now(TIMEZONE).isoformat(),
            "delivery": {"method": "post", "recipient_name": "Trần Thị Bích Ngọc",
                         "phone": "0912345678", "address": dossier["delivery_address"]},
            "releasable": True}, "corr-demo", dossier_code=code))

    lines = []
    checks = postal_demo.run(f"http://{postal_config['WEB_SERVER_ADDRESS']}", TOKEN_SECRET, CATALOGUE,
                      make_body, complete, show=lines.append, timeout=20)
    assert checks and all(checks.values()), (checks, lines)
    assert len(checks) == 6
    print("\n".join(lines))
