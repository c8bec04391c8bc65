"""The redelivery contract (tests/redelivery.py) for intake's reliable handlers. intake
consumes no event, so it has none: the parametrized test has no case, and
tests/common/test_redelivery_coverage.py fails as soon as one is added without a case."""
import pytest

from services.intake.service import IntakeService
from tests.redelivery import delivered_twice

# handler method name -> case(db) preparing what the handler needs, returning the envelope
REDELIVERY_CASES = {}


@pytest.mark.parametrize("method", sorted(REDELIVERY_CASES))
def test_an_envelope_delivered_twice_has_its_effect_once(container_factory, config_for, db,
                                                         method):
    envelope = REDELIVERY_CASES[method](db)
    delivered_twice(container_factory, IntakeService, config_for("intake"), db, method,
                    envelope)
