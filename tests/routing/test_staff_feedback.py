"""The officers' anonymous feedback (seed 002 item 7) through routing's HTTP API on the real
database: the account that answers is in no table and no log line of the run, and the
answers are shown only in aggregate, a month at a time, once it has 5 of them."""
import logging

import pytest

from services.common.settings import InvalidSettings, read_settings
from services.routing.settings import RoutingSettings
from tests.conftest import LOOKUP_PEPPER, query, token
from tests.routing.lifecycle_helpers import at, officer, start_routing

SUBJECT = "canbo.gopy.7f3a9c"  # the account whose answers must not be traceable
ANSWERS = {"workload": "not_satisfied", "facilities": "satisfied", "software": "not_satisfied",
           "delegation": "satisfied", "coordination": "very_satisfied",
           "management": "satisfied"}


@pytest.fixture
def routing(container_factory, config_for, client_for, topology):
    return start_routing(container_factory, config_for, client_for, topology)


def give(routing, answers=ANSWERS, who=None, headers=None, **body):
    return routing.http.post("/api/v1/staff-feedback", json={"answers": answers, **body},
                             token=who or token("counter_officer", department="stp"),
                             headers=headers or {})


def summary(routing, month):
    response = routing.http.get("/api/v1/reports/staff-feedback", params={"month": month},
                                token=token("manager"))
    assert response.status_code == 200, response.text
    return response.json()


def rows_holding(db, text):
    """(table, rows) of every table of every schema whose rows' text holds `text`."""
    tables = query(db, """SELECT table_schema AS s, table_name AS t FROM information_schema.tables
                          WHERE table_type = 'BASE TABLE'
                            AND table_schema NOT IN ('pg_catalog', 'information_schema')""")
    found = {}
    for table in tables:
        name = f'"{table["s"]}"."{table["t"]}"'
        n = query(db, f"SELECT count(*) AS n FROM {name} t WHERE t::text LIKE %s",
                  (f"%{text}%",))[0]["n"]
        if n:
            found[name] = n
    return found


def test_no_account_id_is_stored_or_logged(routing, db, caplog):
    caplog.set_level(logging.DEBUG)  # every logger of the run, nameko's access log included
    routing.clock.pinned = at("2026-11-16", 10)
    mine = token("counter_officer", department="stp", subject=SUBJECT)
    given = give(routing, who=mine, suggestion="Cần thêm máy quét tốc độ cao",
                 headers={"Idempotency-Key": f"gop-y-{SUBJECT}",
                          "X-Correlation-Id": "corr-feedback-1"})
    assert given.status_code == 201, given.text
    assert given.json()["month"] == "2026-11"
    refused = give(routing, {**ANSWERS, "software": "tạm được"}, who=mine)
    assert refused.status_code == 422 and "answers.software" in refused.json()["error"]["fields"]

    [stored] = query(db, "SELECT * FROM routing.staff_feedback")
    assert set(stored) == {"id", "month", "answers", "suggestion"}
    assert str(stored["month"]) == "2026-11-01" and stored["answers"] == ANSWERS
    # the scan finds what was given, and nothing of who gave it
    assert rows_holding(db, "Cần thêm máy quét") == {'"routing"."staff_feedback"': 1}
    assert rows_holding(db, SUBJECT) == {}
    assert rows_holding(db, mine) == {}
    # the 422 was logged (the log is captured) without the caller
    assert any(r.getMessage() == "request answered with an error" for r in caplog.records)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "/api/v1/staff-feedback" in logged
    assert SUBJECT not in logged and mine not in logged
    assert SUBJECT not in routing.http.get("/metrics").text


def test_shown_only_in_aggregate_once_a_month_has_five_answers(routing, db):
    routing.clock.pinned = at("2026-11-16", 10)
    suggestions = ["Tăng cường tập huấn phần mềm", "Bố trí thêm quầy", None, "Giảm giấy tờ",
                   None]
    for suggestion in suggestions[:4]:
        assert give(routing, suggestion=suggestion).status_code == 201
    waiting = summary(routing, "2026-11")
    assert waiting["shown"] is False
    assert (waiting["answers"], waiting["topics"], waiting["suggestions"]) == (None, None, None)
    routing.clock.pinned = at("2026-12-01", 8)  # another month: it does not count for November
    assert give(routing, {**ANSWERS, "workload": "satisfied"}).status_code == 201
    assert summary(routing, "2026-11")["shown"] is False
    routing.clock.pinned = at("2026-11-30", 16)
    assert give(routing, {**ANSWERS, "workload": "very_satisfied"}).status_code == 201
    shown = summary(routing, "2026-11")
    assert (shown["shown"], shown["answers"]) == (True, 5)
    assert shown["topics"]["workload"] == {"very_satisfied": 1, "satisfied": 0,
                                           "not_satisfied": 4}
    assert shown["topics"]["coordination"]["very_satisfied"] == 5
    assert shown["suggestions"] == sorted(s for s in suggestions if s)
    assert summary(routing, "2026-12")["shown"] is False
    assert query(db, "SELECT count(*) AS n FROM routing.staff_feedback")[0]["n"] == 6
    # the month's rows were written again by its last answer, in the order of their keys:
    # one transaction id for all, and the table's order says nothing of which came first
    november = query(db, """SELECT id, xmin::text AS written_by FROM routing.staff_feedback
                            WHERE month = '2026-11-01' ORDER BY ctid""")
    assert len({row["written_by"] for row in november}) == 1
    assert [row["id"] for row in november] == sorted(row["id"] for row in november)


def test_only_counter_officers_answer_and_only_managers_read(routing):
    assert give(routing, who=officer("stp")).status_code == 403
    assert give(routing, who=token("manager")).status_code == 403
    read = routing.http.get("/api/v1/reports/staff-feedback", params={"month": "2026-11"},
                            token=token("counter_officer", department="stp"))
    assert read.status_code == 403
    quarter = routing.http.get("/api/v1/reports/staff-feedback", params={"month": "2026-Q4"},
                               token=token("manager"))
    assert quarter.status_code == 422 and "month" in quarter.json()["error"]["fields"]


def test_the_threshold_is_never_below_five():
    base = {"LOOKUP_PEPPER": LOOKUP_PEPPER}
    assert read_settings(RoutingSettings, {**base, "STAFF_FEEDBACK_MIN_ANSWERS": "8"}) \
        .staff_feedback_min_answers == 8
    with pytest.raises(InvalidSettings, match="STAFF_FEEDBACK_MIN_ANSWERS"):
        read_settings(RoutingSettings, {**base, "STAFF_FEEDBACK_MIN_ANSWERS": "4"})
