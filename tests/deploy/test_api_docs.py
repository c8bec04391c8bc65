"""docs/: the OpenAPI document of every HTTP service and the AsyncAPI document of the
department queues are generated from the code, valid against their specifications, and the
committed copies are up to date (`motcua docs` rewrites them)."""
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate as validate_openapi

from services.common.apidocs import openapi_document
from services.common.config import SERVICE_NAMES
from services.intake.catalogue import read_catalogue
from tooling.docs import DOCS_DIR, asyncapi_document, department_message_example, http_services
from tooling.topology import service_class

# From the npm package @asyncapi/specs 6.11.1 (Apache-2.0), schemas/3.0.0-without-$id.json.
ASYNCAPI_SCHEMA = Path(__file__).parent / "schemas" / "asyncapi-3.0.0.json"
DEPARTMENTS = sorted(read_catalogue()["departments"])
STALE = "docs/ is stale: run `motcua docs` and commit the result"


def test_every_service_serves_http_and_has_a_document():
    assert http_services() == list(SERVICE_NAMES)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_openapi_document_is_valid_and_committed(service):
    document = openapi_document(service_class(service))
    validate_openapi(document)
    committed = DOCS_DIR / f"openapi-{service}.json"
    assert committed.exists(), STALE
    assert json.loads(committed.read_text(encoding="utf-8")) == document, STALE
    for path in ("/health", "/ready", "/metrics", "/openapi.json"):
        assert path in document["paths"]


def test_openapi_describes_bodies_queries_and_errors_from_the_schemas():
    document = openapi_document(service_class("intake"))
    submit = document["paths"]["/api/v1/dossiers"]["post"]
    body = submit["requestBody"]["content"]["application/json"]["schema"]
    applicant = document["components"]["schemas"]["Applicant"]
    assert body == {"$ref": "#/components/schemas/DossierRequest"}
    assert set(applicant["required"]) >= {"full_name", "citizen_id", "phone", "address"}
    assert {"201", "200", "400", "401", "403", "409", "413", "422"} <= set(submit["responses"])
    assert submit["security"] == [{"bearer": []}]
    listing = document["paths"]["/api/v1/procedures"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"department", "channel"}


def test_an_invalid_openapi_document_is_refused():
    document = openapi_document(service_class("intake"))
    document["paths"]["/health"]["get"]["responses"] = "everything is fine"
    with pytest.raises(Exception, match="is not of type ['\"]object['\"]"):
        validate_openapi(document)


@pytest.fixture(scope="module")
def asyncapi_validator():
    schema = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def test_asyncapi_document_is_valid_and_committed(asyncapi_validator):
    document = asyncapi_document(DEPARTMENTS)
    assert list(asyncapi_validator.iter_errors(document)) == []
    committed = yaml.safe_load((DOCS_DIR / "asyncapi.yaml").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(document)), STALE
    assert {c["address"] for c in document["channels"].values()} == {
        f"department.{code}" for code in DEPARTMENTS} | {"intake.events", "routing.events",
                                                    "nationalportal.events"}


def test_an_invalid_asyncapi_document_is_refused(asyncapi_validator):
    document = asyncapi_document(DEPARTMENTS)
    document["operations"]["receive_stp"]["action"] = "consume"
    assert list(asyncapi_validator.iter_errors(document))


def test_the_example_message_matches_its_payload_schema():
    message = asyncapi_document(DEPARTMENTS)["components"]["messages"]["dossierAssigned"]
    payload = message["payload"]
    jsonschema.validate(department_message_example(), payload)
    broken = department_message_example()
    del broken["data"]["department"]
    with pytest.raises(jsonschema.ValidationError, match="'department' is a required property"):
        jsonschema.validate(broken, payload)


def as_version_3(message):
    for field in ("sector_code", "sector_name", "department_name"):
        del message["data"]["procedure"][field]
    del message["data"]["center"]
    del message["data"]["applicant"]["kind"]
    return message


def test_dossier_assigned_versions_2_and_3_stay_readable_beside_version_4():
    messages = asyncapi_document(DEPARTMENTS)["components"]["messages"]
    current, v3, v2 = (messages[name]["payload"] for name in (
        "dossierAssigned", "dossierAssignedV3", "dossierAssignedV2"))
    assert [schema["properties"]["version"]["const"] for schema in (current, v3, v2)] == [4, 3, 2]
    same_day = department_message_example()
    same_day["data"]["procedure"]["processing_days"] = 0
    jsonschema.validate(same_day, current)
    assert "sector_code" in current["properties"]["data"]["properties"]["procedure"]["properties"]
    assert "sector_code" not in v3["properties"]["data"]["properties"]["procedure"]["properties"]
    by_organisation = department_message_example()
    by_organisation["data"]["applicant"].update(
        kind="business", organisation={"name": "Công ty TNHH Mỹ Hòa", "tax_code": "1601234567",
                                       "address": "12 Trần Hưng Đạo, Long Xuyên"},
        authorised_person={"full_name": "Lê Văn Bảy", "citizen_id": "*********321",
                           "phone": "0912000111", "address": "3 Lê Lợi, Long Xuyên",
                           "authorisation": {"reference": "15/2026/UQ",
                                             "signed_on": "2026-03-01"}})
    jsonschema.validate(by_organisation, current)
    by_organisation["data"]["applicant"]["authorised_person"]["citizen_id"] = "089123456321"
    with pytest.raises(jsonschema.ValidationError):  # a citizen ID never travels unmasked
        jsonschema.validate(by_organisation, current)
    version_3 = as_version_3({**department_message_example(), "version": 3})
    jsonschema.validate(version_3, v3)
    as_before = as_version_3({**department_message_example(), "version": 2})
    for field in ("paper_handover_on", "submission_id"):
        del as_before["data"][field]
    jsonschema.validate(as_before, v2)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**as_before, "data": same_day["data"]}, v2)


def test_intake_s_events_are_documented_on_its_exchange():
    document = asyncapi_document(DEPARTMENTS)
    channel = document["channels"]["intake_events"]
    assert channel["bindings"]["amqp"]["exchange"]["name"] == "intake.events"
    names = {document["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]]["name"]
             for ref in channel["messages"].values()}
    assert names == {"dossier.awaiting_reception", "dossier.corrections_requested",
                     "dossier.reception_overdue", "calendar.changed"}


def test_routing_s_evaluations_are_documented_on_its_exchange():
    document = asyncapi_document(DEPARTMENTS)
    channel = document["channels"]["routing_events"]
    assert channel["bindings"]["amqp"]["exchange"]["name"] == "routing.events"
    [ref] = channel["messages"].values()
    message = document["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]]
    assert (message["name"], message["payload"]["properties"]["version"]["const"]) == (
        "dossier.evaluated", 1)
    answers = message["payload"]["properties"]["data"]["properties"]["answers"]
    assert len(answers["required"]) == 9
