"""What the logs say about bad requests: each answered error once, plainly, without a
traceback; a real failure still at ERROR with its traceback."""
import logging

import pytest

from services.intake import store
from services.intake.service import IntakeService
from tests.conftest import dossier_body, procedure, token

ANSWERED = "request answered with an error"


def has_traceback(record):
    """The JSON log formatter, when a test has installed it, moves exc_info to exc_text."""
    return bool(record.exc_info or record.exc_text)


@pytest.fixture
def intake(container_factory, config_for, client_for, topology):
    config = config_for("intake")
    container_factory(IntakeService, config).start()
    return client_for(config)


def bad_requests(intake):
    """A counter's everyday mistakes: their statuses."""
    officer = token("counter_officer", department="stp")
    body = dossier_body(procedure(department="stp"))
    answers = [
        intake.post("/api/v1/dossiers", data="{not json", token=officer,
                    headers={"Content-Type": "application/json"}),
        intake.post("/api/v1/dossiers", json={**body, "procedure_code": ""}, token=officer),
        intake.post("/api/v1/dossiers", json=body),
        intake.post("/api/v1/dossiers", json=body, token=token("portal") + "x"),
        intake.get("/api/v1/dossiers/000.00.01.H33-991231-9999/receipt", token=officer),
        intake.get("/api/v1/procedures/NO-SUCH-PROCEDURE"),
    ]
    return [answer.status_code for answer in answers]


def test_answered_errors_are_logged_once_without_traceback(intake, caplog):
    caplog.set_level(logging.INFO)
    statuses = bad_requests(intake)
    assert sorted(statuses) == [400, 401, 401, 404, 404, 422]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    answered = [r for r in caplog.records if r.getMessage() == ANSWERED]
    assert sorted(r.status for r in answered) == sorted(statuses)
    assert all(r.levelno == logging.INFO and not has_traceback(r) for r in answered)
    assert {r.error_code for r in answered} >= {"malformed_json", "validation_failed",
                                                "unauthenticated", "not_found"}


def test_a_real_failure_is_still_an_error_with_its_traceback(intake, caplog, monkeypatch):
    def broken(cur, code):
        raise RuntimeError("the receipt table is gone")

    monkeypatch.setattr(store, "get_receipt", broken)
    caplog.set_level(logging.INFO)
    answer = intake.get("/api/v1/dossiers/000.00.01.H33-991231-9999/receipt",
                        token=token("manager"))
    assert answer.status_code == 500
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all(has_traceback(r) for r in errors)
    assert not [r for r in caplog.records if r.getMessage() == ANSWERED]
