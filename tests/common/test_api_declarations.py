"""What an endpoint declares in @api is what its method gets: a service whose method does not
take what it declares does not start (it would read the request by hand, or not check it)."""
import pytest

from services.common.http import OpsEndpoints, api, json_response
from tests.conftest import TOKEN_SECRET


class Declares:
    name = "declares"
    db = None


class TakesWhatItDeclares(OpsEndpoints, Declares):
    @api("GET", "/things", auth=("manager",))
    def things(self, request, caller):
        return json_response({"by": caller.role})


class ForgetsTheCaller(OpsEndpoints, Declares):
    @api("GET", "/things", auth=("manager",))
    def things(self, request):
        return json_response({})


def config(rabbit_config):
    return {**rabbit_config, "WEB_SERVER_ADDRESS": "127.0.0.1:0", "TOKEN_SECRET": TOKEN_SECRET}


def test_a_method_that_takes_what_it_declares_starts(container_factory, rabbit_config):
    container_factory(TakesWhatItDeclares, config(rabbit_config)).start()


def test_a_method_that_does_not_take_its_declared_caller_does_not_start(container_factory,
                                                                        rabbit_config):
    container = container_factory(ForgetsTheCaller, config(rabbit_config))
    with pytest.raises(TypeError, match="declares caller in @api but does not take it"):
        container.start()
