"""The redelivery contract (tests/redelivery.py) for intake's reliable handlers. intake
consumes no event, so it has none: the parametrized test has no case, and the coverage test
fails as soon as a reliable handler is added without one."""
import inspect

import pytest

from services.common.consumer import ReliableEventHandler
from services.intake.service import IntakeService
from tests.redelivery import delivered_twice

# handler method name -> case(db) preparing what the handler needs, returning the envelope
REDELIVERY_CASES = {}


def reliable_handlers(service_cls):
    """Names of the methods of `service_cls` declared as reliable handlers (batch ones too)."""
    return {name for name, method in inspect.getmembers(service_cls, inspect.isfunction)
            for entrypoint in getattr(method, "nameko_entrypoints", ())
            if isinstance(entrypoint, ReliableEventHandler)}


def test_every_reliable_handler_has_a_redelivery_case():
    assert reliable_handlers(IntakeService) == set(REDELIVERY_CASES)


@pytest.mark.parametrize("method", sorted(REDELIVERY_CASES))
def test_an_envelope_delivered_twice_has_its_effect_once(container_factory, config_for, db,
                                                         method):
    envelope = REDELIVERY_CASES[method](db)
    delivered_twice(container_factory, IntakeService, config_for("intake"), db, method,
                    envelope)
