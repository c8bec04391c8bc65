"""notify's settings are checked at start: a lease shorter than a batch can take would let a
second instance send the same notifications again."""
from types import SimpleNamespace

import pytest

from services.notify.service import Settings


def settings(**config):
    provider = Settings()
    provider.container = SimpleNamespace(config=config)
    provider.setup()
    return provider


def test_the_shipped_defaults_lease_a_batch_long_enough_for_every_send_to_time_out():
    defaults = settings()
    assert (defaults.batch, defaults.concurrency, defaults.lease) == (200, 20, 300)


def test_a_lease_shorter_than_a_batch_of_timed_out_sends_refuses_to_start():
    with pytest.raises(ValueError, match=r"SEND_LEASE_SECONDS \(120\) must be at least 400"):
        settings(SEND_BATCH="200", SEND_CONCURRENCY="10", SEND_LEASE_SECONDS="120",
                 GATEWAY_TIMEOUT_SECONDS="10")
    assert settings(SEND_BATCH="200", SEND_CONCURRENCY="10", SEND_LEASE_SECONDS="400",
                    GATEWAY_TIMEOUT_SECONDS="10").lease == 400
