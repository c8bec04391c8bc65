"""Domain errors cross an RPC whole, on the real broker: the caller catches the kernel's class
with its code, message and fields (none turned into the text "None"), and the answering
service logs the refusal once at INFO, without a traceback."""
import logging

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.common.errors import Conflict, Invalid, NotFound, Unavailable
from services.common.http import OpsEndpoints
from services.common.rpc import rpc

REFUSALS = {
    "conflict": Conflict("the bill is paid", "already_paid"),
    "invalid": Invalid("some fields are invalid", "_body",
                       {"applicant.phone": ["không phải số điện thoại"]}),
    "not_found": NotFound("no procedure 1.2", "unknown_procedure"),
    "unavailable": Unavailable("numbers of the day are used", "numbers_exhausted"),
}


class Refuser(OpsEndpoints):
    name = "refuser"
    db = None

    @rpc
    def refuse(self, kind):
        raise REFUSALS[kind]


@pytest.fixture
def refuser(container_factory, rabbit_config):
    config = {**rabbit_config, "WEB_SERVER_ADDRESS": "127.0.0.1:0"}
    container_factory(Refuser, config).start()
    with ServiceRpcProxy("refuser", rabbit_config) as proxy:
        yield proxy


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_a_domain_error_reaches_the_caller_as_itself(refuser, kind, caplog):
    sent = REFUSALS[kind]
    with caplog.at_level(logging.INFO), pytest.raises(type(sent)) as raised:
        refuser.refuse(kind)
    received = raised.value
    assert (received.code, received.message, received.fields) == (sent.code, sent.message,
                                                                  sent.fields)
    worker_lines = [r for r in caplog.records if r.name == "nameko.containers"]
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in worker_lines] == [
        ("INFO", "answered with an error", None)]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
