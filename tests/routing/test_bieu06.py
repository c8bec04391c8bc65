"""Biểu 06/VPCP/KSTT through routing's HTTP API against fixture dossiers with known dates, in
two lĩnh vực of two agencies (and one dossier received without a lĩnh vực): the figures of
November 2026 equal the counts the fixture was built to give, by lĩnh vực, agency and in
total, as JSON and CSV; a period not over judges its pending dossiers today."""
import csv
import io

import pytest

from tests.conftest import CATALOGUE, token
from tests.routing.lifecycle_helpers import at, officer, receive, start_routing
from tests.routing.november_dossiers import (
    HOTICH,
    SXD,
    TOTAL,
    UNKNOWN,
    XAYDUNG,
    figures,
    insert_november,
)

SHORT = "1.002861"  # sxd, 2 working days


@pytest.fixture
def routing(container_factory, config_for, client_for, topology, db):
    with db.cursor() as cur:
        insert_november(cur)
    started = start_routing(container_factory, config_for, client_for, topology)
    started.clock.pinned = at("2026-12-10", 9)
    return started


NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


def bieu06(routing, **params):
    response = routing.http.get("/api/v1/reports/bieu06", params=params, token=token("manager"))
    assert response.status_code == 200, response.text
    return response


def test_the_figures_of_november_are_the_fixtures(routing):
    report = bieu06(routing, **NOVEMBER).json()
    assert report["totals"] == TOTAL
    [stp, sxd] = report["agencies"]
    assert (stp["department"], sxd["department"]) == ("stp", "sxd")
    assert stp["sectors"] == [{"sector_code": "HT", "sector_name": "Hộ tịch", **HOTICH}]
    assert sxd["sectors"] == [
        {"sector_code": "XD", "sector_name": "Hoạt động xây dựng", **XAYDUNG},
        {"sector_code": None, "sector_name": "Chưa xác định lĩnh vực", **UNKNOWN}]
    assert {k: v for k, v in sxd.items() if k not in ("department", "sectors")} == SXD
    assert [s["sector_code"] for s in report["sectors"]] == ["HT", "XD", None]
    for row in (*report["sectors"], *report["agencies"], report["totals"]):
        assert row["received"]["total"] == (row["resolved"]["total"] + row["pending"]["total"]
                                            + row["withdrawn_or_closed"])


def test_one_agency_and_the_csv(routing):
    only = bieu06(routing, **NOVEMBER, department="sxd").json()
    assert [a["department"] for a in only["agencies"]] == ["sxd"]
    assert only["totals"] == SXD
    table = bieu06(routing, **NOVEMBER, format="csv")
    assert table.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [(r["department"], r["sector_code"]) for r in rows] == [
        ("stp", "HT"), ("stp", "ALL"), ("sxd", "XD"), ("sxd", ""), ("sxd", "ALL"),
        ("ALL", "ALL")]
    xd = rows[2]
    assert (xd["sector_name"], xd["received_carried_over"], xd["resolved_late"],
            xd["pending_within_time"], xd["withdrawn_or_closed"]) == (
        "Hoạt động xây dựng", "2", "1", "1", "2")
    assert (rows[-1]["received_total"], rows[-1]["resolved_early"],
            rows[-1]["pending_overdue"]) == ("13", "1", "2")


def test_a_period_not_over_judges_its_pending_dossiers_today(routing):
    # on 10/12: h5 (due 04/12), h6, x1 and e2 (due 03/12) are overdue; e4 (due 20/12) and x2
    # (its supplement awaited) are within time
    december = bieu06(routing, start="2026-12-01", end="2026-12-31").json()["totals"]
    assert december == figures(online=0, direct=2, carried=4, early=0, on_time=0, late=0,
                               within=2, overdue=4, stopped=0)


def test_the_report_is_for_managers(routing):
    denied = routing.http.get("/api/v1/reports/bieu06", params=NOVEMBER, token=officer("sxd"))
    assert denied.status_code == 403
    backwards = routing.http.get("/api/v1/reports/bieu06",
                                 params={"start": "2026-11-30", "end": "2026-11-01"},
                                 token=token("manager"))
    assert backwards.status_code == 422 and "end" in backwards.json()["error"]["fields"]


def test_a_received_dossier_counts_under_its_procedure_s_lĩnh_vực(
        container_factory, config_for, client_for, topology, db):
    """The lĩnh vực comes with dossier.received (version 4) from the catalogue."""
    routing = start_routing(container_factory, config_for, client_for, topology)
    routing.clock.pinned = at("2026-11-30", 9)
    procedure = CATALOGUE["procedures"][SHORT]
    receive(db, topology, SHORT, at("2026-11-23"), "2026-11-25", channel="online")
    [agency] = bieu06(routing, **NOVEMBER).json()["agencies"]
    [sector] = agency["sectors"]
    assert (agency["department"], sector["sector_code"], sector["sector_name"]) == (
        procedure["department"], procedure["sector_code"], procedure["sector_name"])
    assert (sector["received"]["online"], sector["pending"]["overdue"]) == (1, 1)
