"""Every reliable handler of every service has a redelivery case (tests/redelivery.py): the
same envelope delivered twice has its effect once. A new handler without a case fails here."""
import importlib

from tooling.topology import subscriptions


def test_every_reliable_handler_has_a_redelivery_case():
    handlers = subscriptions()
    assert len(handlers) >= 15, "the topology found too few handlers"
    missing = []
    for _, _, service, method in handlers:
        cases = importlib.import_module(f"tests.{service}.test_redelivery").REDELIVERY_CASES
        if method not in cases:
            missing.append(f"{service}.{method}")
    assert not missing, "reliable handlers without a redelivery case: " + ", ".join(missing)
