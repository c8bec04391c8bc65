"""schemathesis against the OpenAPI document each service serves (/openapi.json), with the
five services running on the real broker and database and real resources in place.

Each operation is called with the token of a role the authorisation matrix allows on it (no
token for a public one), half of the time with the path parameters of real resources so the
requests get past "not found". No answer may be a 500, and an answer must conform to the
schema documented for its status where one is documented. The document is read at run time:
as routes gain body, query and response schemas the fuzzing reaches deeper on its own.
"""
import hypothesis.strategies as st
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from services.common.apidocs import _route_path
from tests.conftest import FUZZ_CASES, count_fuzz_case
from tests.security.conftest import DLR_SECRET
from tests.security.test_authorization_matrix import TABLE

EXAMPLES_PER_OPERATION = 100
CHECKS = [not_a_server_error, response_schema_conformance]


def caller_of(row):
    """The role to fuzz an operation with: one the matrix lets through, or none if public."""
    if row.public is not None:
        return None
    return min(row.allowed, key=lambda role: (row.allowed[role] >= 400, role))


def real_path_parameters(world):
    return {"code": world.ids["code"], "bill_id": world.ids["bill_id"],
            "receipt_id": world.ids["receipt_id"], "tracking_number": world.ids["tracking_number"],
            "pickup_id": world.ids["pickup_id"], "delegation_id": str(world.ids["delegation_id"]),
            "procedure_code": world.ids["procedure_code"], "secret": DLR_SECRET,
            "day": "2026-01-05", "action": "accept"}


def with_real(parameters):
    def apply(case):
        if case.path_parameters:
            case.path_parameters = {name: parameters.get(name, value)
                                    for name, value in case.path_parameters.items()}
        return case
    return apply


def strategy_for(operation, parameters):
    generated = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE))
    return st.one_of(generated, generated.map(with_real(parameters)))


def fuzz(operation, base_url, headers, parameters, failures):
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy_for(operation, parameters))
    def run(case):
        count_fuzz_case("schemathesis")
        response = case.call(base_url=base_url, headers=headers, timeout=10)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except AssertionError as exc:
            failures[operation.label] = str(exc)[:600]  # the last one is the shrunk case
            raise

    try:
        run()
    except Exception:  # noqa: BLE001 - recorded in `failures` and reported together
        if operation.label not in failures:
            raise


def test_every_served_openapi_document_fuzzed_without_a_500(world):
    rows = {(row.service, row.method, _route_path(row.url)[0]): row for row in TABLE}
    parameters = real_path_parameters(world)
    failures, operations = {}, 0
    for service, client in world.clients.items():
        schema = schemathesis.openapi.from_url(client.base + "/openapi.json")
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path in ("/openapi.json", "/metrics", "/ready", "/health"):
                continue  # answer the same whatever is sent
            row = rows[(service, operation.method.upper(), operation.path)]
            role = caller_of(row)
            headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role else {}
            fuzz(operation, client.base, headers, parameters, failures)
            operations += 1
    print(f"schemathesis: {operations} operations of {len(world.clients)} services, "
          f"{FUZZ_CASES.get('schemathesis', 0)} cases, {len(failures)} failing operations")
    assert not failures, "\n\n".join(f"{label}: {why}" for label, why in failures.items())
