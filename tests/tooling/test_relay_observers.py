"""The relay knows nothing of what events mean: `motcua relay routing` gives routing's relay the
observer that measures a dossier's time from reception to its department's queue, which
counts dossiers on department queues and nothing else."""
import json
import time
from datetime import datetime, timedelta

from prometheus_client import REGISTRY

from services.common import relay
from services.common.events import DEPARTMENTS_EXCHANGE, TIMEZONE, events_exchange
from services.routing.metrics import observe_department_message
from tooling import cli

METRIC = "motcua_dossier_reception_to_department_seconds"


def started_relay(monkeypatch, service):
    started = {}
    monkeypatch.setattr(relay, "main", lambda name, config, on_confirmed: started.update(
        service=name, on_confirmed=on_confirmed))
    assert cli.main(["relay", service]) == 0
    assert started["service"] == service
    return started["on_confirmed"]


def test_routing_relay_is_given_its_observer_and_other_relays_none(monkeypatch):
    assert started_relay(monkeypatch, "routing") is observe_department_message
    assert started_relay(monkeypatch, "intake") is None


def observed():
    return (REGISTRY.get_sample_value(f"{METRIC}_count") or 0.0,
            REGISTRY.get_sample_value(f"{METRIC}_sum") or 0.0)


def test_only_a_dossier_on_a_department_queue_is_measured_from_its_reception():
    received_at = (datetime.now(TIMEZONE) - timedelta(seconds=3)).isoformat()
    dossier = json.dumps({"type": "dossier.assigned", "data": {"received_at": received_at}})
    consultation = json.dumps({"type": "dossier.consultation_requested", "data": {}})
    count, total = observed()
    observe_department_message(events_exchange("routing"), dossier)
    observe_department_message(DEPARTMENTS_EXCHANGE, consultation)
    assert observed() == (count, total)
    before = time.time()
    observe_department_message(DEPARTMENTS_EXCHANGE, dossier)
    after_count, after_total = observed()
    assert after_count == count + 1
    assert 3 <= after_total - total <= 3 + time.time() - before + 1
