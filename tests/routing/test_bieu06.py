"""Biểu 06/VPCP/KSTT through routing's HTTP API against fixture dossiers with known dates, in
two lĩnh vực of two agencies (and one dossier received without a lĩnh vực): the figures of
November 2026 equal the counts the fixture was built to give, by lĩnh vực, agency and in
total, as JSON and CSV; a period not over judges its pending dossiers today."""
import csv
import io

import pytest

from tests.conftest import CATALOGUE, token
from tests.routing.lifecycle_helpers import at, officer, receive, start_routing

SHORT = "1.002861"  # sxd, 2 working days
HT = ("HT", "Hộ tịch")
XD = ("XD", "Hoạt động xây dựng")
NONE = (None, None)


def dossier(cur, code, department, sector, channel, received, due, status, **stamps):
    """A dossier as routing keeps it, with `stamps` (resolved_at, refused_at, withdrawn_at,
    closed_at, returned_at) given as 'YYYY-MM-DD' days at 16:00."""
    cur.execute(
        """INSERT INTO routing.dossiers (code, procedure_code, procedure_name, department,
               sector_code, sector_name, channel, status, received_at, due_date,
               legal_due_date, result_delivery, lookup_proof, phone_hash, resolved_at,
               refused_at, withdrawn_at, closed_at, returned_at)
           VALUES (%(code)s, 'p', 'p', %(department)s, %(sector_code)s, %(sector_name)s,
               %(channel)s, %(status)s, %(received_at)s, %(due)s, %(due)s, 'counter', 'h',
               'h', %(resolved_at)s, %(refused_at)s, %(withdrawn_at)s, %(closed_at)s,
               %(returned_at)s)""",
        {"code": code, "department": department, "sector_code": sector[0],
         "sector_name": sector[1], "channel": channel, "status": status,
         "received_at": at(received), "due": due,
         **{stamp: at(stamps[stamp], 16) if stamp in stamps else None
            for stamp in ("resolved_at", "refused_at", "withdrawn_at", "closed_at",
                          "returned_at")}})


def supplement(cur, code, requested, resubmitted=None):
    cur.execute(
        """INSERT INTO routing.supplements (dossier_code, documents, reason, requested_at,
               requested_by, resubmitted_at, complete_by)
           VALUES (%s, '[{"name": "Bản vẽ"}]', 'thiếu bản vẽ', %s, 'chuyenvien.sxd.01', %s,
               %s::date + 15)""",
        (code, at(requested), at(resubmitted) if resubmitted else None, requested))


@pytest.fixture
def routing(container_factory, config_for, client_for, topology, db):
    with db.cursor() as cur:
        # Hộ tịch of stp
        dossier(cur, "h1", "stp", HT, "online", "2026-11-02", "2026-11-10", "result_ready",
                resolved_at="2026-11-06")                                  # early
        dossier(cur, "h2", "stp", HT, "counter", "2026-11-03", "2026-11-10", "result_ready",
                resolved_at="2026-11-10")                                  # on time
        dossier(cur, "h3", "stp", HT, "postal", "2026-11-04", "2026-11-10", "refused",
                refused_at="2026-11-12")                                   # late, refused
        dossier(cur, "h4", "stp", HT, "counter", "2026-10-20", "2026-11-05", "returned",
                resolved_at="2026-11-09", returned_at="2026-11-10")        # carried over, late
        dossier(cur, "h5", "stp", HT, "counter", "2026-11-20", "2026-12-04", "processing")
        dossier(cur, "h6", "stp", HT, "online", "2026-11-24", "2026-11-27", "processing")
        # Hoạt động xây dựng of sxd
        dossier(cur, "x1", "sxd", XD, "counter", "2026-10-26", "2026-11-20", "processing")
        dossier(cur, "x2", "sxd", XD, "online", "2026-11-16", "2026-11-25",
                "supplement_requested")
        supplement(cur, "x2", "2026-11-18")                                # awaited on 30/11
        dossier(cur, "x3", "sxd", XD, "counter", "2026-11-23", "2026-11-30", "withdrawn",
                withdrawn_at="2026-11-24")
        dossier(cur, "x4", "sxd", XD, "counter", "2026-11-02", "2026-11-06", "returned",
                resolved_at="2026-11-06", returned_at="2026-11-09")        # on time
        # the complete dossier came on 12/11 and restarted the period: due 16/11
        dossier(cur, "x5", "sxd", XD, "postal", "2026-11-09", "2026-11-16", "result_ready",
                resolved_at="2026-11-17")                                  # late
        supplement(cur, "x5", "2026-11-10", "2026-11-12")
        dossier(cur, "x6", "sxd", XD, "counter", "2026-10-27", "2026-11-03", "closed",
                closed_at="2026-11-14")                                    # carried, closed
        supplement(cur, "x6", "2026-10-28")
        dossier(cur, "n1", "sxd", NONE, "counter", "2026-11-10", "2026-11-17", "result_ready",
                resolved_at="2026-11-17")                                  # on time
        # outside November
        dossier(cur, "e1", "stp", HT, "counter", "2026-10-01", "2026-10-10", "returned",
                resolved_at="2026-10-08", returned_at="2026-11-03")
        dossier(cur, "e2", "sxd", XD, "counter", "2026-12-01", "2026-12-03", "processing")
        dossier(cur, "e3", "stp", HT, "counter", "2026-10-05", "2026-10-20", "withdrawn",
                withdrawn_at="2026-10-30")
        dossier(cur, "e4", "stp", HT, "counter", "2026-12-02", "2026-12-20", "processing")
    started = start_routing(container_factory, config_for, client_for, topology)
    started.clock.pinned = at("2026-12-10", 9)
    return started


def figures(online, direct, carried, early, on_time, late, within, overdue, stopped):
    return {"received": {"total": online + direct + carried, "online": online,
                         "direct_and_postal": direct, "carried_over": carried},
            "resolved": {"total": early + on_time + late, "early": early, "on_time": on_time,
                         "late": late},
            "pending": {"total": within + overdue, "within_time": within, "overdue": overdue},
            "withdrawn_or_closed": stopped}


HOTICH = figures(online=2, direct=3, carried=1, early=1, on_time=1, late=2, within=1,
                 overdue=1, stopped=0)
XAYDUNG = figures(online=1, direct=3, carried=2, early=0, on_time=1, late=1, within=1,
                  overdue=1, stopped=2)
UNKNOWN = figures(online=0, direct=1, carried=0, early=0, on_time=1, late=0, within=0,
                  overdue=0, stopped=0)
SXD = figures(online=1, direct=4, carried=2, early=0, on_time=2, late=1, within=1, overdue=1,
              stopped=2)
TOTAL = figures(online=3, direct=7, carried=3, early=1, on_time=3, late=3, within=2, overdue=2,
                stopped=2)
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
