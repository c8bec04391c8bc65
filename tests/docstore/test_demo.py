"""docstore's part of the demo, run against real containers (intake, routing, docstore),
clamd and the document worker: every check it reports passes."""
from scripts import docstore_demo
from services.common.topology import declare_department_queues, with_channel
from services.intake.service import IntakeService
from services.routing.service import RoutingService
from tests.conftest import CATALOGUE, TOKEN_SECRET, dossier_body


def test_demo_steps_pass_against_the_running_services(container_factory, config_for, docstore,
                                                      worker, relays):
    client, config = docstore
    intake_config, routing_config = config_for("intake"), config_for("routing")
    container_factory(IntakeService, intake_config).start()
    container_factory(RoutingService, routing_config).start()
    with_channel(routing_config["AMQP_URI"], declare_department_queues,
                 sorted(CATALOGUE["departments"]))
    relays("intake", "routing")
    checks = docstore_demo.run(client.base, f"http://{intake_config['WEB_SERVER_ADDRESS']}",
                               f"http://{routing_config['WEB_SERVER_ADDRESS']}", TOKEN_SECRET,
                               lambda code: dossier_body(CATALOGUE["procedures"][code]),
                               timeout=120)
    assert checks and all(checks.values()), checks
