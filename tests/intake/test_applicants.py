"""Applicants of every kind through intake's API (a nameko container on the real database and
broker): a citizen, an organisation through its representative, and an authorised person
acting for either with the authorisation recorded."""
import pytest

from services.intake.service import IntakeService
from tests.conftest import dossier_body, procedure, query, token

COMPANY = {"name": "Công ty TNHH Xây dựng Mỹ Hòa", "tax_code": "1601234567-001",
           "address": "12 Trần Hưng Đạo, phường Long Xuyên, An Giang"}
AUTHORISED = {"full_name": "Lê Văn Bảy", "citizen_id": "089095004321", "phone": "0912000111",
              "address": "3 Lê Lợi, phường Long Xuyên, An Giang",
              "authorisation": {"reference": "15/2026/UQ", "signed_on": "2026-03-01",
                                "valid_until": "2026-12-31"}}


@pytest.fixture
def intake(container_factory, config_for, client_for):
    config = config_for("intake")
    container_factory(IntakeService, config).start()
    return client_for(config)


def submit(intake, **applicant):
    body = dossier_body(procedure(department="stc"))
    body["applicant"] = {**body["applicant"], **applicant}
    return intake.post("/api/v1/dossiers", json=body,
                       token=token("counter_officer", department="stc"))


def test_an_organisation_through_an_authorised_person_is_received_and_announced_masked(
        intake, db):
    answer = submit(intake, kind="business", organisation=COMPANY, authorised_person=AUTHORISED)
    assert answer.status_code == 201, answer.text
    [row] = query(db, "SELECT applicant FROM intake.dossiers")
    assert row["applicant"]["organisation"] == COMPANY
    assert row["applicant"]["authorised_person"]["authorisation"]["reference"] == "15/2026/UQ"
    [event] = query(db, "SELECT body FROM intake.outbox WHERE routing_key = 'dossier.received'")
    applicant = event["body"]["data"]["applicant"]
    assert (applicant["kind"], applicant["organisation"]) == ("business", COMPANY)
    person = applicant["authorised_person"]
    assert person["citizen_id"] == "*********321" and applicant["citizen_id"] == "*********234"
    assert person["authorisation"] == AUTHORISED["authorisation"]
    assert "089095004321" not in str(event["body"])


def test_a_citizen_applies_in_person_by_default(intake, db):
    assert submit(intake).status_code == 201
    [event] = query(db, "SELECT body FROM intake.outbox WHERE routing_key = 'dossier.received'")
    applicant = event["body"]["data"]["applicant"]
    assert (applicant["kind"], applicant["organisation"], applicant["authorised_person"]) == (
        "citizen", None, None)


@pytest.mark.parametrize("applicant, field", [
    ({"kind": "business"}, "applicant.organisation"),
    ({"organisation": COMPANY}, "applicant.organisation"),
    ({"kind": "business", "organisation": {**COMPANY, "tax_code": "16012345"}},
     "applicant.organisation.tax_code"),
    ({"authorised_person": {**AUTHORISED, "authorisation": {"reference": "x"}}},
     "applicant.authorised_person.authorisation.signed_on"),
    ({"authorised_person": {**AUTHORISED, "citizen_id": "12345"}},
     "applicant.authorised_person.citizen_id"),
    ({"kind": "hộ kinh doanh"}, "applicant.kind"),
])
def test_an_applicant_that_does_not_hold_together_is_refused_naming_the_field(intake, db,
                                                                              applicant, field):
    answer = submit(intake, **applicant)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["error"]["fields"]
    assert query(db, "SELECT 1 FROM intake.dossiers") == []
