"""The center's reports against a fixture computed by hand: nine dossiers over August and
September 2026 (31/08 is a day off, 01-02/09 National Day, Saturday 22/08 a working day),
in every status. August has 21 working days, September 20."""
import csv
import io

import pytest
from nameko.testing.services import entrypoint_hook

from services.common.contracts import EVALUATION_ITEMS
from services.common.errors import Invalid
from tests.conftest import token
from tests.routing.lifecycle_helpers import (
    act,
    at,
    counter,
    officer,
    receive,
    start_routing,
    status_of,
)

SHORT = "1.002861"        # sxd, 2 working days
INTERAGENCY = "1.009794"  # sxd with ca and snnmt, 25 working days
NOTARY_STP = "2.001807"   # stp, 7 working days


def ok(response):
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
def fixture(container_factory, config_for, client_for, topology, db):
    routing = start_routing(container_factory, config_for, client_for, topology)
    sxd = officer("sxd")
    code = {}

    def received(name, procedure, day, due, channel="counter", secret="SECRET01"):
        code[name] = receive(db, topology, procedure, at(day), due, channel=channel,
                             secret=secret)

    received("A", SHORT, "2026-08-20", "2026-08-22")
    ok(act(routing, code["A"], "accept", sxd, at("2026-08-20", 10)))
    ok(act(routing, code["A"], "complete", sxd, at("2026-08-21", 15), result_reference="A/GP"))
    ok(act(routing, code["A"], "return", counter("sxd"), at("2026-08-24", 9)))
    routing.clock.pinned = at("2026-08-25", 9)
    evaluated = routing.http.post(f"/api/v1/dossiers/{code['A']}/evaluation", json={
        "secret": "SECRET01",
        "answers": {**dict.fromkeys(EVALUATION_ITEMS, "satisfied"), "time": "very_satisfied",
                    "online_services": "not_applicable"}})
    assert evaluated.status_code == 201, evaluated.text
    received("B", SHORT, "2026-08-27", "2026-09-03", channel="online")
    ok(act(routing, code["B"], "accept", sxd, at("2026-08-27", 10)))
    received("C", SHORT, "2026-08-28", "2026-09-04", channel="postal")
    ok(act(routing, code["C"], "accept", sxd, at("2026-08-28", 10)))
    ok(act(routing, code["C"], "request_supplement", sxd, at("2026-09-03", 10),
           documents=[{"name": "Tờ khai"}], reason="thiếu tờ khai"))
    ok(act(routing, code["B"], "complete", sxd, at("2026-09-03", 16), result_reference="B/GP"))
    ok(act(routing, code["B"], "return", counter("sxd"), at("2026-09-07", 9)))
    received("D", SHORT, "2026-09-07", "2026-09-09")
    ok(act(routing, code["D"], "accept", sxd, at("2026-09-07", 10)))
    # the complete dossier restarts C's 2 working days on 08/09: due 10/09
    ok(act(routing, code["C"], "resubmit", counter("sxd"), at("2026-09-08", 9)))
    # on the last working day before its due date D is extended to 15/09; 09/09 stays its
    # legal due date
    ok(act(routing, code["D"], "request_extension", sxd, at("2026-09-08", 15),
           reason="chờ xác minh", new_due_date="2026-09-15"))
    ok(act(routing, code["C"], "complete", sxd, at("2026-09-09", 16), result_reference="C/GP"))
    routing.clock.pinned = at("2026-09-10", 8)
    with entrypoint_hook(routing.container, "watch_deadlines") as watch:
        watch()  # D is not overdue: its appointment moved
    received("E", SHORT, "2026-09-10", "2026-09-14")
    ok(act(routing, code["E"], "refuse", sxd, at("2026-09-11", 9), reason="không thuộc thẩm quyền"))
    received("F", SHORT, "2026-09-14", "2026-09-16", channel="online", secret="WITHDRAW")
    routing.clock.pinned = at("2026-09-15", 8)
    ok(routing.http.post(f"/api/v1/dossiers/{code['F']}/withdrawal",
                         json={"secret": "WITHDRAW", "reason": "nộp nhầm thủ tục"}))
    ok(act(routing, code["D"], "complete", sxd, at("2026-09-14", 15), result_reference="D/GP"))
    ok(act(routing, code["D"], "return", counter("sxd"), at("2026-09-15", 10)))
    received("I", INTERAGENCY, "2026-09-16", "2026-10-21")
    ok(act(routing, code["I"], "accept", sxd, at("2026-09-16", 10)))
    ok(act(routing, code["I"], "consult", sxd, at("2026-09-17", 10), question="Ý kiến?",
           reply_due_date="2026-09-25"))
    received("H", SHORT, "2026-09-21", "2026-09-23")
    received("G", NOTARY_STP, "2026-09-28", "2026-10-07")
    routing.clock.pinned = at("2026-10-05", 9)
    statuses = {name: status_of(db, c) for name, c in code.items()}
    assert statuses == {"A": "returned", "B": "returned", "C": "result_ready", "D": "returned",
                        "E": "refused", "F": "withdrawn", "G": "assigned", "H": "assigned",
                        "I": "consulting"}
    return routing


def get(routing, path, **params):
    response = routing.http.get(path, params=params, token=token("manager"))
    assert response.status_code == 200, response.text
    return response


SEPTEMBER = {"received": 6, "received_by_channel": {"counter": 5, "online": 1, "postal": 0},
             "carried_over": 2, "resolved_on_time": 2, "resolved_late": 1, "resolved": 3,
             "in_progress_on_time": 2, "in_progress_overdue": 1, "in_progress": 3,
             "returned": 2, "refused": 1, "withdrawn": 1, "closed": 0,
             "average_processing_working_days": 2.7, "working_days": 20,
             "received_per_day": 0.3, "returned_per_day": 0.1}
AUGUST = {"received": 3, "received_by_channel": {"counter": 1, "online": 1, "postal": 1},
          "carried_over": 0, "resolved_on_time": 1, "resolved_late": 0, "resolved": 1,
          "in_progress_on_time": 2, "in_progress_overdue": 0, "in_progress": 2,
          "returned": 1, "refused": 0, "withdrawn": 0, "closed": 0,
          "average_processing_working_days": 1.0, "working_days": 21,
          "received_per_day": 0.1, "returned_per_day": 0.0}


def test_monthly_reports_match_the_hand_computed_figures(fixture):
    september = get(fixture, "/api/v1/reports/monthly", month="2026-09").json()
    assert september["totals"] == SEPTEMBER
    august = get(fixture, "/api/v1/reports/monthly", month="2026-08").json()
    assert august["totals"] == AUGUST
    assert august["summary"] == (
        "Tháng 8-2026, tiếp nhận 3 hồ sơ, trong đó nhận trực tiếp 1 hồ sơ, nhận trực tuyến 1 "
        "hồ sơ, nhận qua dịch vụ bưu chính 1 hồ sơ. Tổng số hồ sơ đã trả 1 hồ sơ; bình quân "
        "mỗi ngày, trung tâm trả 0 hồ sơ.")
    assert [d["department"] for d in september["by_department"]] == ["stp", "sxd"]
    evaluations = august["evaluations"]
    assert evaluations["totals"]["dossier_evaluations"] == 1
    assert evaluations["totals"]["items"]["time"]["very_satisfied"] == 1
    assert evaluations["totals"]["satisfaction_rate"] == 100.0
    assert [r["officer"] for r in evaluations["by_officer"]] == [
        "canbo.sxd.01", "chuyenvien.sxd.01", "motcua.sxd.01"]
    assert september["evaluations"]["totals"]["dossier_evaluations"] == 0


def test_period_and_department_reports(fixture):
    both = get(fixture, "/api/v1/reports/period", start="2026-08-01", end="2026-09-30").json()
    totals = both["totals"]
    assert (totals["received"], totals["carried_over"], totals["resolved_on_time"],
            totals["resolved_late"], totals["in_progress_on_time"],
            totals["in_progress_overdue"], totals["returned"], totals["refused"],
            totals["withdrawn"], totals["average_processing_working_days"],
            totals["working_days"]) == (9, 0, 3, 1, 2, 1, 3, 1, 1, 2.2, 41)
    stp = get(fixture, "/api/v1/reports/period", start="2026-09-01", end="2026-09-30",
              department="stp").json()["totals"]
    assert (stp["received"], stp["in_progress_on_time"], stp["resolved"]) == (1, 1, 0)
    table = get(fixture, "/api/v1/reports/monthly", month="2026-09", format="csv")
    assert table.headers["Content-Type"].startswith("text/csv")
    rows = {r["department"]: r for r in csv.DictReader(io.StringIO(table.text))}
    assert rows["ALL"]["received"] == "6" and rows["ALL"]["received_counter"] == "5"
    assert rows["sxd"]["resolved_late"] == "1" and rows["stp"]["received"] == "1"


def test_weekly_report_per_department(fixture):
    week = get(fixture, "/api/v1/reports/weekly", week_of="2026-09-16").json()
    assert (week["start"], week["end"]) == ("2026-09-14", "2026-09-20")
    [sxd] = week["by_department"]
    assert sxd["department"] == "sxd"
    assert (sxd["received"], sxd["carried_over"], sxd["resolved_late"], sxd["returned"],
            sxd["withdrawn"], sxd["in_progress_on_time"]) == (2, 1, 1, 1, 1, 1)


def test_channel_share_over_any_period_and_the_500_rule_only_for_january_to_june(fixture):
    volumes = get(fixture, "/api/v1/reports/channels", since="2026-08-01",
                  until="2026-09-30").json()
    by_department = {d["department"]: d for d in volumes["departments"]}
    assert by_department["sxd"]["by_channel"] == {"counter": 5, "online": 2, "postal": 1}
    assert by_department["sxd"]["share"] == {"counter": 62.5, "online": 25.0, "postal": 12.5}
    assert by_department["sxd"]["must_station_officers"] is None  # August–September: not judged
    assert by_department["stp"]["total"] == 1
    with entrypoint_hook(fixture.container, "department_volumes") as rpc:
        assert rpc("2026-08-01", "2026-09-30") == volumes
        with pytest.raises(Invalid) as refused:
            rpc("2026-13-01", "2026-09-30")
        assert "since" in refused.value.fields
    # on 2026-10-05 the half-year that decides is January–June 2026, before the fixture's dossiers
    judged = get(fixture, "/api/v1/reports/channels").json()
    assert (judged["since"], judged["until"], judged["departments"]) == \
        ("2026-01-01", "2026-06-30", [])


def test_reports_are_for_managers(fixture):
    response = fixture.http.get("/api/v1/reports/monthly", params={"month": "2026-09"},
                                token=officer("sxd"))
    assert response.status_code == 403
    bad = fixture.http.get("/api/v1/reports/monthly", params={"month": "2026-9"},
                           token=token("manager"))
    assert bad.status_code == 422 and "month" in bad.json()["error"]["fields"]


def test_a_department_with_500_dossiers_in_six_months_must_station_officers(
        container_factory, config_for, client_for, topology, db):
    routing = start_routing(container_factory, config_for, client_for, topology)
    with db.cursor() as cur:  # volume fixture: 500 for ca, 499 for snv, in H1 2026
        cur.execute("""
            INSERT INTO routing.dossiers (code, procedure_code, procedure_name, department,
                channel, status, received_at, due_date, legal_due_date, result_delivery,
                lookup_proof, phone_hash)
            SELECT d || '-' || n, 'p', 'p', d, CASE WHEN n % 5 = 0 THEN 'postal' ELSE
                'counter' END, 'returned', timestamptz '2026-01-05 09:00+07' + n * interval
                '8 hours', date '2026-07-01', date '2026-07-01', 'counter', 'h', 'h'
            FROM (VALUES ('ca', 500), ('snv', 499)) AS v(d, total),
                 generate_series(1, total) AS n""")
    with entrypoint_hook(routing.container, "department_volumes") as rpc:
        volumes = rpc("2026-01-01", "2026-06-30")["departments"]
    rule = {v["department"]: (v["total"], v["must_station_officers"]) for v in volumes}
    assert rule == {"ca": (500, True), "snv": (499, False)}
    assert volumes[0]["by_channel"] == {"counter": 400, "online": 0, "postal": 100}


def test_time_spent_in_each_step_per_procedure(fixture):
    steps = get(fixture, "/api/v1/reports/steps", start="2026-08-01", end="2026-09-30",
                department="sxd").json()
    short = next(p for p in steps["procedures"] if p["procedure"] == SHORT)
    assert short["dossiers"] == 7  # A B C D E F H
    averages = short["average_working_days"]
    # waiting for the supplement: C, 03/09 -> 08/09 = 3 working days
    assert averages["supplement_requested"] == 3.0
    # result to return: A 21/08->24/08 = 2 (Saturday 22/08 worked), B 03/09->07/09 = 2,
    # D 14/09->15/09 = 1
    assert averages["result_ready"] == round(5 / 3, 1)
