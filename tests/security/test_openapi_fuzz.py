"""schemathesis against the OpenAPI document each service serves (/openapi.json), every
operation of the five, with the services running on the real broker and database and real
resources in place.

Each operation is called with the token of a role the authorisation matrix allows on it (no
token for a public one), half of the time with the path parameters of real resources so the
requests get past "not found". Cases are schemathesis's own (positive and negative) and the
same with hostile text (tests/security/hostile.py) at one place of the request: a string of
the body, a query or path parameter, a header, an uploaded file saved with any line end and
encoding. A sweep then puts each kind of hostile text at every such place of one valid
request of every operation. No answer may be a 500, and an answer must conform to the schema
documented for its status where one is documented. The documents are read at run time: as
routes gain body, query and response schemas the fuzzing reaches deeper on its own.

MOTCUA_FUZZ_EXAMPLES sets the generated cases per operation, MOTCUA_FUZZ_EVERY_HEADER=1 sweeps
every header on every operation (`make fuzz` runs that long one).
"""
import os
from collections import Counter

import hypothesis.strategies as st
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, find, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from services.common.apidocs import _route_path
from tests.conftest import FUZZ_CASES, count_fuzz_case
from tests.security import hostile
from tests.security.conftest import DLR_SECRET
from tests.security.test_authorization_matrix import TABLE

EXAMPLES_PER_OPERATION = int(os.environ.get("MOTCUA_FUZZ_EXAMPLES", "10"))
SWEEP_EVERY_HEADER = os.environ.get("MOTCUA_FUZZ_EVERY_HEADER") == "1"
CHECKS = [not_a_server_error, response_schema_conformance]


def caller_of(row):
    """The role to fuzz an operation with: one the matrix lets through (to the resource, where
    the resource decides), or none if public. An operation no role of the matrix opens (the
    applicant's, with the desk's citizen token) is fuzzed as the manager, refused."""
    if row.public is not None:
        return None
    return min(row.allowed, default="manager", key=lambda role: (
        row.allowed[role] >= 400, row.allowed[role] in (403, 404), role))


def real_path_parameters(world):
    return {"code": world.ids["code"], "bill_id": world.ids["bill_id"],
            "receipt_id": world.ids["receipt_id"], "tracking_number": world.ids["tracking_number"],
            "pickup_id": world.ids["pickup_id"], "delegation_id": str(world.ids["delegation_id"]),
            "procedure_code": world.ids["procedure_code"], "secret": DLR_SECRET,
            "submission_id": world.ids["submission_id"], "document_id": world.ids["document_id"],
            "page": "1",
            "day": "2026-01-05", "action": "accept"}


def with_real(parameters):
    def apply(case):
        if case.path_parameters:
            case.path_parameters = {name: parameters.get(name, value)
                                    for name, value in case.path_parameters.items()}
        return case
    return apply


class Fuzzer:
    """Sends cases of one service's operations and keeps what they got: the statuses, the
    500s, and the operations whose answers broke a check."""

    def __init__(self, base_url, session):
        self.base_url = base_url
        self.session = session
        self.statuses = Counter()
        self.server_errors = []
        self.failures = {}

    def send(self, operation, case, headers, injection=None):
        """The case as schemathesis builds it, or with hostile text at one site; True if
        its answer passed the checks."""
        count_fuzz_case("schemathesis")
        kwargs = case.as_transport_kwargs(base_url=self.base_url, headers=headers)
        described = None
        if injection is not None:
            site_index, text, file_form = injection
            sites = hostile.sites(kwargs, case.path_parameters)
            site = sites[site_index % len(sites)]
            kwargs = hostile.inject(kwargs, site, text, path_template=operation.path,
                                    base_url=self.base_url,
                                    path_parameters=case.path_parameters or {},
                                    file_form=file_form)
            described = f"{site} = {text[:60]!r}{'…' if len(text) > 60 else ''}"
        response = self.session.request(**kwargs, timeout=30)
        self.statuses[response.status_code] += 1
        sent = f"{response.request.method} {response.request.url[:300]} {described or ''}"
        if response.status_code == 500:
            self.server_errors.append(f"{sent}: {response.text[:200]}")
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, FailureGroup) as exc:
            self.failures[operation.label] = f"{sent}\n{str(exc)[:600]}"
            return False
        return True


def generated_cases(operation, parameters):
    """schemathesis's positive and negative cases, half with the real path parameters, and a
    third of them with hostile text at one site."""
    generated = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE))
    cases = st.one_of(generated, generated.map(with_real(parameters)))
    injection = st.tuples(st.integers(0, 10_000), hostile.hostile_text, hostile.file_forms)
    return st.tuples(cases, st.one_of(st.none(), st.none(), injection))


def fuzz(fuzzer, operation, headers, parameters):
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(generated_cases(operation, parameters))
    def run(case_and_injection):
        case, injection = case_and_injection
        assert fuzzer.send(operation, case, headers, injection)

    try:
        run()
    except AssertionError:
        pass  # recorded by the fuzzer (the last one is the shrunk case)


def swept(site, operation, every_header):
    """A header the operation does not document is read by the kernel's HTTP layer, the same
    code for every operation of a service: swept on one operation per service (on all of them
    in the long run), and still reached everywhere by the generated cases."""
    kind, name = site
    return (kind != "header" or every_header or SWEEP_EVERY_HEADER
            or any(header.name.lower() == name.lower() for header in operation.headers))


def sweep(fuzzer, operation, headers, parameters, every_header):
    """Every kind of hostile text at every site of one valid request (the document's example
    where it gives one), and an uploaded file in every line end and encoding."""
    examples = operation.get_strategies_from_examples()
    source = examples[0] if examples else operation.as_strategy(GenerationMode.POSITIVE)
    case = with_real(parameters)(find(source, lambda _: True, settings=settings(
        database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))))
    kwargs = case.as_transport_kwargs(base_url=fuzzer.base_url, headers=headers)
    for index, site in enumerate(hostile.sites(kwargs, case.path_parameters)):
        if not swept(site, operation, every_header):
            continue
        forms = ([(end, encoding) for end in hostile.LINE_ENDS
                  for encoding in hostile.FILE_ENCODINGS] if site[0] == "file" else [None])
        for text in hostile.SAMPLES.values():
            for form in forms:
                fuzzer.send(operation, case, headers, (index, text, form))


def test_every_served_openapi_document_fuzzed_without_a_500(world):
    rows = {(row.service, row.method, _route_path(row.url)[0]): row for row in TABLE}
    parameters = real_path_parameters(world)
    fuzzers, operations = {}, 0
    for service, client in world.clients.items():
        fuzzer = fuzzers[service] = Fuzzer(client.base, requests.Session())
        schema = schemathesis.openapi.from_url(client.base + "/openapi.json")
        for index, result in enumerate(schema.get_all_operations()):
            operation = result.ok()
            role = caller_of(rows[(service, operation.method.upper(), operation.path)])
            headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role else {}
            fuzz(fuzzer, operation, headers, parameters)
            sweep(fuzzer, operation, headers, parameters, every_header=index == 0)
            operations += 1
    statuses = sum((fuzzer.statuses for fuzzer in fuzzers.values()), Counter())
    server_errors = [error for fuzzer in fuzzers.values() for error in fuzzer.server_errors]
    failures = {label: why for fuzzer in fuzzers.values() for label, why in fuzzer.failures.items()}
    print(f"\nschemathesis: {operations} operations of {len(fuzzers)} services, "
          f"{sum(statuses.values())} cases ({FUZZ_CASES.get('schemathesis', 0)} counted), "
          f"{len(server_errors)} answers 500, {len(failures)} operations failing a check; "
          f"statuses {dict(sorted(statuses.items()))}")
    assert not server_errors, "\n".join(server_errors[:30])
    assert not failures, "\n\n".join(f"{label}: {why}" for label, why in failures.items())
