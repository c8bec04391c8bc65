"""A stranger must not learn which dossier codes exist: every endpoint a citizen calls without
a token with a dossier's code (the lookup, resubmission, withdrawal, evaluation, the forms
with its secret...) answers a real code with a wrong secret exactly as it answers a
code that does not exist, whatever else the request holds.

The endpoints are found in the served documents (a dossier's path, and no token needed,
or a lookup `secret` that stands for one); their requests are schemathesis's positive and
negative cases, a third of them with hostile text (tests/security/hostile.py) somewhere
other than the code. Each is sent twice, once per code; the statuses and error codes must
be equal.
"""
import os

import hypothesis.strategies as st
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation import GenerationMode

from tests.conftest import count_fuzz_case
from tests.security import hostile

EXAMPLES_PER_ENDPOINT = int(os.environ.get("MOTCUA_FUZZ_EXAMPLES", "45"))
UNKNOWN_CODE = "000.00.01.H33-991231-9999"
DOSSIER_PATH = "/api/v1/dossiers/{code}"


def citizen_endpoints(clients):
    """(service, operation) of every documented operation a citizen calls with a dossier's
    code."""
    for service, client in clients.items():
        schema = schemathesis.openapi.from_url(client.base + "/openapi.json")
        for result in schema.get_all_operations():
            operation = result.ok()
            definition = operation.definition.raw
            queried = {p["name"] for p in definition.get("parameters", []) if p["in"] == "query"}
            if operation.path.startswith(DOSSIER_PATH) and (not definition.get("security")
                                                              or "secret" in queried):
                yield service, operation


def answer_of(response):
    """What tells two answers apart for a program: the status and the error code."""
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    return response.status_code, error.get("code") if isinstance(error, dict) else None


def requests_for(operation):
    generated = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE))
    injection = st.tuples(st.integers(0, 10_000), hostile.hostile_text)
    return st.tuples(generated, st.one_of(st.none(), st.none(), injection))


def compare(operation, base_url, session, known, differing):
    @settings(max_examples=EXAMPLES_PER_ENDPOINT, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(requests_for(operation))
    def run(case_and_injection):
        case, injection = case_and_injection
        answers = []
        for code in (known, UNKNOWN_CODE):
            count_fuzz_case("citizen endpoints")
            case.path_parameters = {**(case.path_parameters or {}), "code": code}
            kwargs = case.as_transport_kwargs(base_url=base_url)
            if injection is not None:
                site_index, text = injection
                sites = [site for site in hostile.sites(kwargs, case.path_parameters)
                         if site != ("path", "code")]
                kwargs = hostile.inject(kwargs, sites[site_index % len(sites)], text,
                                        path_template=operation.path, base_url=base_url,
                                        path_parameters=case.path_parameters)
            answers.append(answer_of(session.request(**kwargs, timeout=30)))
        if answers[0] != answers[1]:
            differing.append(f"{operation.label}: {answers[0]} for the real code, {answers[1]} "
                             f"for an unknown one; {kwargs.get('params')} "
                             f"{str(kwargs.get('json') or kwargs.get('data'))[:200]}")

    run()


def test_a_citizen_endpoint_answers_a_real_code_as_an_unknown_one_whatever_it_is_sent(world):
    endpoints = list(citizen_endpoints(world.clients))
    labels = {operation.label for _, operation in endpoints}
    assert {"GET /api/v1/dossiers/{code}", "POST /api/v1/dossiers/{code}/resubmission",
            "POST /api/v1/dossiers/{code}/withdrawal", "POST /api/v1/dossiers/{code}/evaluation",
            "GET /api/v1/dossiers/{code}/forms/{form}"} <= labels, labels
    differing, session = [], requests.Session()
    for service, operation in endpoints:
        compare(operation, world.clients[service].base, session, world.ids["code"], differing)
    print(f"\ncitizen endpoints: {len(endpoints)} ({', '.join(sorted(labels))}), "
          f"{EXAMPLES_PER_ENDPOINT} cases each sent for a real and an unknown code, "
          f"{len(differing)} answered differently")
    assert not differing, "\n".join(differing[:20])
