"""Evaluations by Decree 118/2025 art. 31-33 through routing's HTTP API on the real broker and
database: a dossier evaluated once by its applicant on the nine items whatever final status
it reached, credited to its officers and announced for DVCQG; a visit evaluated on the
counter's device; the managers' figures per agency, officer and month; the public summary
without officers or comments; the 4-criteria ratings kept through migration 0008."""
import csv
import io

import jsonschema
import pytest
from yoyo import get_backend, read_migrations

from scripts.stack import ensure_database
from services.common.config import SERVICES_DIR
from services.common.contracts import EVALUATION_ITEMS, DossierEvaluated
from services.common.jsonschemas import contract_problems
from services.common.migrations import _backend_url, _ensure_schema, migrate
from tests.conftest import TEST_DB_URL, connect, query, token
from tests.routing.lifecycle_helpers import act, at, counter, officer, outbox, receive, start_routing
from tooling.docs import asyncapi_document

SHORT = "1.002861"        # sxd, 2 working days
NOTARY_STP = "2.001807"   # stp, 7 working days
ALL_SATISFIED = dict.fromkeys(EVALUATION_ITEMS, "satisfied")


@pytest.fixture
def routing(container_factory, config_for, client_for, topology):
    started = start_routing(container_factory, config_for, client_for, topology)
    started.clock.pinned = at("2026-11-25", 9)
    return started


def evaluate(routing, code, secret, answers=None, **body):
    return routing.http.post(f"/api/v1/dossiers/{code}/evaluation", json={
        "secret": secret, "answers": answers or ALL_SATISFIED, **body})


def asked_of(routing, code, secret):
    response = routing.http.get(f"/api/v1/dossiers/{code}", params={"secret": secret})
    assert response.status_code == 200, response.text
    return response.json()["asked_of_citizen"]


def refused_dossier(db, routing, secret, refused_by="chuyenvien.sxd.07"):
    code = receive(db, routing.amqp, SHORT, at("2026-11-20", 9), "2026-11-24", secret=secret)
    refused = act(routing, code, "refuse", officer("sxd", refused_by), reason="Không thuộc "
                  "thẩm quyền giải quyết")
    assert refused.status_code == 200, refused.text
    return code


def test_a_refused_dossier_is_evaluated_once_on_the_nine_items(routing, db):
    code = receive(db, routing.amqp, SHORT, at("2026-11-20", 9), "2026-11-24", secret="EVAL0001")
    early = evaluate(routing, code, "EVAL0001")
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_final"
    assert "đã kết thúc" in early.json()["error"]["message"]
    assert asked_of(routing, code, "EVAL0001") is None
    act(routing, code, "refuse", officer("sxd", "chuyenvien.sxd.07"), reason="Không thuộc thẩm "
        "quyền giải quyết")
    assert asked_of(routing, code, "EVAL0001")["what"] == "evaluation"

    answers = {**ALL_SATISFIED, "attitude": "very_satisfied", "result_and_costs": "not_satisfied",
               "online_services": "not_applicable"}
    first = evaluate(routing, code, "eval0001", answers, comment="Cán bộ hướng dẫn tận tình")
    assert first.status_code == 201, first.text
    # the counter officer who received it and the department's officer who refused it
    assert first.json() == {"code": code, "status": "refused",
                            "officers": ["canbo.sxd.01", "chuyenvien.sxd.07"]}
    second = evaluate(routing, code, "EVAL0001", {**ALL_SATISFIED, "time": "not_satisfied"})
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "already_evaluated"
    assert "một lần" in second.json()["error"]["message"]
    assert asked_of(routing, code, "EVAL0001") is None

    [row] = query(db, "SELECT answers, comment, officers, department FROM routing.evaluations")
    assert row == {"answers": answers, "comment": "Cán bộ hướng dẫn tận tình",
                   "officers": ["canbo.sxd.01", "chuyenvien.sxd.07"], "department": "sxd"}
    [announced] = outbox(db, "dossier.evaluated", code)
    assert contract_problems(DossierEvaluated, announced["data"]) == []
    assert announced["data"]["answers"] == answers and announced["data"]["status"] == "refused"
    assert "Cán bộ hướng dẫn" not in str(announced)  # the applicant's words stay in routing
    documented = asyncapi_document([])["components"]["messages"]["dossierEvaluated"]
    jsonschema.validate(announced, documented["payload"])


def test_a_wrong_secret_is_an_unknown_code_and_bad_answers_are_named(routing, db):
    code = refused_dossier(db, routing, "EVAL0002")
    wrong = evaluate(routing, code, "WRONG999")
    unknown = evaluate(routing, "000.00.31.H33-261120-9999", "EVAL0002")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    cases = {"time": {**ALL_SATISFIED, "time": "ok"},
             "other": {k: v for k, v in ALL_SATISFIED.items() if k != "other"},
             "overall": {**ALL_SATISFIED, "overall": "satisfied"}}
    for field, answers in cases.items():
        bad = evaluate(routing, code, "EVAL0002", answers)
        assert bad.status_code == 422, bad.text
        assert list(bad.json()["error"]["fields"]) == [f"answers.{field}"]
    assert query(db, "SELECT count(*) AS n FROM routing.evaluations")[0]["n"] == 0


def test_the_forms_say_what_they_ask_in_vietnamese(routing):
    forms = routing.http.get("/api/v1/evaluation-forms").json()
    items = forms["dossier"]["items"]
    assert [i["value"] for i in items] == list(EVALUATION_ITEMS)
    assert [i["label"].split(")")[0] for i in items] == list("abcdđeghi")
    assert [a["label"] for a in forms["dossier"]["answers"]][:3] == [
        "Rất hài lòng", "Hài lòng", "Không hài lòng"]
    assert len(forms["staff_feedback"]["topics"]) == 6
    assert forms["staff_feedback"]["minimum_answers_shown"] == 5


def visit(routing, department, subject, level, **body):
    return routing.http.post("/api/v1/counter-evaluations", json={"level": level, **body},
                             token=token("counter_officer", department=department,
                                         subject=subject))


def test_a_visit_is_evaluated_on_the_counter_device_naming_its_officer(routing, db):
    routing.clock.pinned = at("2026-11-26", 10)
    done = visit(routing, "sxd", "motcua.sxd.01", "very_satisfied")
    assert done.status_code == 201, done.text
    assert done.json() == {"officer": "motcua.sxd.01", "department": "sxd",
                           "level": "very_satisfied",
                           "evaluated_at": "2026-11-26T10:00:00+07:00"}
    unknown = visit(routing, "sxd", "motcua.sxd.01", "satisfied",
                    dossier_code="000.00.31.H33-261126-9999")
    assert unknown.status_code == 422 and "dossier_code" in unknown.json()["error"]["fields"]
    assert visit(routing, "sxd", "motcua.sxd.01", "so-so").status_code == 422
    retry = {"headers": {"Idempotency-Key": "thiet-bi-quay-3-0001"}}
    once = routing.http.post("/api/v1/counter-evaluations", json={"level": "satisfied"},
                             token=counter("sxd"), **retry)
    again = routing.http.post("/api/v1/counter-evaluations", json={"level": "satisfied"},
                              token=counter("sxd"), **retry)
    assert once.status_code == again.status_code == 201 and once.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert query(db, "SELECT count(*) AS n FROM routing.counter_evaluations")[0]["n"] == 2
    officer_token = routing.http.post("/api/v1/counter-evaluations", json={"level": "satisfied"},
                                      token=officer("sxd"))
    assert officer_token.status_code == 403


def test_managers_see_evaluations_per_agency_officer_and_month_the_public_without_names(
        routing, db):
    refused = refused_dossier(db, routing, "EVAL0003")
    routing.clock.pinned = at("2026-11-27", 9)
    assert evaluate(routing, refused, "EVAL0003", {
        **ALL_SATISFIED, "time": "very_satisfied", "attitude": "not_satisfied",
        "online_services": "not_applicable"}, comment="Chờ lâu ở quầy số 3").status_code == 201
    withdrawn = receive(db, routing.amqp, NOTARY_STP, at("2026-11-30", 9), "2026-12-09",
                        secret="EVAL0004")
    routing.clock.pinned = at("2026-12-01", 9)
    stop = routing.http.post(f"/api/v1/dossiers/{withdrawn}/withdrawal",
                             json={"secret": "EVAL0004", "reason": "nộp nhầm thủ tục"})
    assert stop.status_code == 200, stop.text
    routing.clock.pinned = at("2026-12-02", 9)
    assert evaluate(routing, withdrawn, "EVAL0004",
                    dict.fromkeys(EVALUATION_ITEMS, "very_satisfied")).status_code == 201
    routing.clock.pinned = at("2026-11-26", 10)
    assert visit(routing, "sxd", "motcua.sxd.01", "very_satisfied").status_code == 201
    routing.clock.pinned = at("2026-12-03", 10)
    assert visit(routing, "stp", "motcua.stp.01", "not_satisfied").status_code == 201
    routing.clock.pinned = at("2027-01-04", 10)  # after the period
    assert visit(routing, "stp", "motcua.stp.01", "not_satisfied").status_code == 201

    period = {"start": "2026-11-01", "end": "2026-12-31"}
    report = routing.http.get("/api/v1/reports/evaluations", params=period,
                              token=token("manager")).json()
    totals = report["totals"]
    assert (totals["dossier_evaluations"], totals["counter_visits"]) == (
        2, {"total": 2, "very_satisfied": 1, "satisfied": 0, "not_satisfied": 1})
    assert totals["items"]["attitude"] == {"very_satisfied": 1, "satisfied": 0,
                                           "not_satisfied": 1, "not_applicable": 0}
    assert totals["items"]["online_services"]["not_applicable"] == 1
    # answers given: 8 + 9 items and 2 visits; satisfied or very: 7 + 9 + 1
    assert totals["satisfaction_rate"] == round(100 * 17 / 19, 1)
    by_officer = {o["officer"]: (o["dossier_evaluations"], o["counter_visits"]["total"])
                  for o in report["by_officer"]}
    assert by_officer == {"canbo.sxd.01": (1, 0), "chuyenvien.sxd.07": (1, 0),
                          "canbo.stp.01": (1, 0), "motcua.sxd.01": (0, 1),
                          "motcua.stp.01": (0, 1)}
    assert [(m["month"], m["dossier_evaluations"], m["counter_visits"]["total"])
            for m in report["by_month"]] == [("2026-11", 1, 1), ("2026-12", 1, 1)]
    assert [d["department"] for d in report["by_department"]] == ["stp", "sxd"]
    assert report["by_department"][0]["satisfaction_rate"] == 90.0  # 9 of 9, and 0 of 1 visit
    stp = routing.http.get("/api/v1/reports/evaluations", params={**period, "department": "stp"},
                           token=token("manager")).json()
    assert [o["officer"] for o in stp["by_officer"]] == ["canbo.stp.01", "motcua.stp.01"]
    table = routing.http.get("/api/v1/reports/evaluations", params={**period, "format": "csv"},
                             token=token("manager"))
    rows = {(r["group"], r["key"]): r for r in csv.DictReader(io.StringIO(table.text))}
    assert rows[("officer", "chuyenvien.sxd.07")]["attitude_not_satisfied"] == "1"
    assert rows[("total", "ALL")]["counter_visits"] == "2"

    public = routing.http.get("/api/v1/evaluations/summary", params=period)
    assert public.status_code == 200
    assert public.json()["totals"] == totals and "by_officer" not in public.json()
    for private in ("canbo.", "chuyenvien.", "motcua.", "Chờ lâu"):
        assert private not in public.text
    public_csv = routing.http.get("/api/v1/evaluations/summary",
                                  params={**period, "format": "csv"}).text
    assert "officer" not in public_csv and "ALL" in public_csv
    assert routing.http.get("/api/v1/reports/evaluations", params=period,
                            token=officer("sxd")).status_code == 403


def test_the_ratings_asked_before_are_kept_as_evaluations(db_url):
    """Migration 0008 on a database holding a 4-criteria rating: it reads as an evaluation of
    the items it asked, the overall level kept."""
    url = f"{TEST_DB_URL}_evaluations_migration"
    ensure_database(url, fresh=True)
    _ensure_schema(url, "routing")
    backend = get_backend(_backend_url(url, "routing"))
    migrations = read_migrations(str(SERVICES_DIR / "routing" / "migrations"))
    with backend.lock():
        backend.apply_migrations(backend.to_apply(migrations.filter(lambda m: m.id < "0008")))
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("""
            INSERT INTO routing.dossiers (code, procedure_code, procedure_name, department,
                channel, status, received_at, due_date, legal_due_date, result_delivery,
                lookup_proof, phone_hash)
            VALUES ('R-1', 'p', 'p', 'sxd', 'counter', 'returned', '2026-08-20 09:00+07',
                    '2026-08-22', '2026-08-22', 'counter', 'h', 'h');
            INSERT INTO routing.ratings (dossier_code, overall, criteria, comment, officers,
                department, rated_at)
            VALUES ('R-1', 'satisfied', '{"time": "very_satisfied", "contacts": "satisfied",
                    "attitude": "satisfied", "result": "not_satisfied"}', 'Nhanh',
                    '{canbo.sxd.01}', 'sxd', '2026-08-25 09:00+07')""")
    conn.close()
    assert migrate(url, "routing") == [m.id for m in migrations if m.id >= "0008"]
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM routing.evaluations")
        [row] = cur.fetchall()
        cur.execute("SELECT to_regclass('routing.ratings') AS old")
        assert cur.fetchone()["old"] is None
    conn.close()
    assert row["answers"] == {"time": "very_satisfied", "contacts": "satisfied",
                              "attitude": "satisfied", "result_and_costs": "not_satisfied"}
    assert (row["overall"], row["comment"], row["officers"]) == ("satisfied", "Nhanh",
                                                                 ["canbo.sxd.01"])
