"""The 500-dossier rule (services/common/stationing.py) at its boundaries: 499 and 500
dossiers, the first and last moments of January–June in Asia/Ho_Chi_Minh, and the same
verdict from routing's dossiers and postal's monthly counts."""
import uuid
from datetime import date, datetime

import pytest
from psycopg2.extras import execute_values

from services.common.consumer import validate_data
from services.common.contracts import DossierReceived
from services.common.db import StatementBatch
from services.common.events import TIMEZONE, new_envelope
from services.common.stationing import (
    STATION_THRESHOLD,
    first_half_of,
    is_first_half,
    judged_half_year,
    must_station_officers,
)
from services.postal import reception
from services.postal import store as postal_store
from services.routing import reports


def test_500_dossiers_must_station_officers_and_499_may_delegate():
    assert STATION_THRESHOLD == 500
    assert must_station_officers(500) and must_station_officers(501)
    assert not must_station_officers(499)


@pytest.mark.parametrize("day,first,last", [
    (date(2026, 9, 1), date(2026, 1, 1), date(2026, 6, 30)),
    (date(2026, 7, 1), date(2026, 1, 1), date(2026, 6, 30)),
    (date(2026, 6, 30), date(2025, 1, 1), date(2025, 6, 30)),
    (date(2026, 1, 1), date(2025, 1, 1), date(2025, 6, 30)),
    (date(2026, 12, 31), date(2026, 1, 1), date(2026, 6, 30)),
])
def test_the_latest_first_half_year_over_by_then_decides(day, first, last):
    assert judged_half_year(day) == (first, last)


def test_only_january_to_june_is_a_period_the_rule_counts():
    assert first_half_of(2026) == (date(2026, 1, 1), date(2026, 6, 30))
    assert is_first_half(date(2026, 1, 1), date(2026, 6, 30))
    for since, until in [(date(2026, 1, 1), date(2026, 7, 1)), (date(2025, 12, 31), date(2026, 6, 30)),
                         (date(2026, 1, 2), date(2026, 6, 30)), (date(2026, 1, 1), date(2026, 6, 29)),
                         (date(2026, 7, 1), date(2026, 12, 31)), (date(2025, 1, 1), date(2026, 6, 30))]:
        assert not is_first_half(since, until), (since, until)


def local(*parts):
    return datetime(*parts, tzinfo=TIMEZONE)


# 1, 2, 4 and 8 dossiers at the four edges: no mistake at one edge hides one at another
INSIDE = [local(2026, 1, 1, 0, 0, 0)] + [local(2026, 6, 30, 23, 59, 59)] * 2
OUTSIDE = [local(2025, 12, 31, 23, 59, 59)] * 4 + [local(2026, 7, 1, 0, 0, 0)] * 8
MIDDLE = local(2026, 3, 16, 9, 0)
# 500 for ca and 499 for snv, with dossiers just outside that would change the verdicts
RECEIVED = {department: [MIDDLE] * (total - len(INSIDE)) + INSIDE + OUTSIDE
            for department, total in (("ca", 500), ("snv", 499))}
VERDICTS = {"ca": (500, True), "snv": (499, False)}


def test_routing_counts_the_first_and_last_moments_of_the_half_year_and_nothing_beyond(db):
    rows = [(f"{department}-{n}", department, received_at)
            for department, moments in RECEIVED.items() for n, received_at in enumerate(moments)]
    with db.cursor() as cur:
        execute_values(cur, """
            INSERT INTO routing.dossiers (code, procedure_code, procedure_name, department,
                channel, status, received_at, due_date, legal_due_date, result_delivery,
                lookup_proof, phone_hash)
            SELECT v.code, 'p', 'p', v.department, 'counter', 'received', v.received_at,
                date '2026-12-31', date '2026-12-31', 'counter', 'h', 'h'
            FROM (VALUES %s) AS v(code, department, received_at)""", rows)
        volumes = reports.department_volumes(cur, *judged_half_year(date(2026, 9, 1)))
    assert {v["department"]: (v["total"], v["must_station_officers"])
            for v in volumes["departments"]} == VERDICTS


def received_event(department, received_at):
    return new_envelope("dossier.received", "intake", {
        "code": f"{department}-{uuid.uuid4()}", "channel": "counter",
        "received_at": received_at.isoformat(),
        "receiver": {"kind": "counter_officer", "id": "officer-1"},
        "procedure": {"code": "p", "department": department}}, "corr-stationing")


def test_postal_counts_the_first_and_last_moments_of_the_half_year_and_nothing_beyond(db):
    with db.cursor() as cur:
        batch = StatementBatch(cur)  # postal's handler of dossier.received, on the real database
        for department, moments in RECEIVED.items():
            for received_at in moments:
                envelope = received_event(department, received_at)
                dossier = validate_data(DossierReceived, envelope, reception.RECEIVED_FIELDS)
                reception.count_received(batch, envelope, dossier)
        batch.run()
        first_day, last_day = judged_half_year(date(2026, 9, 1))
        counted = {department: postal_store.department_volume(cur, department, first_day, last_day)
                   for department in RECEIVED}
    assert {d: (n, must_station_officers(n)) for d, n in counted.items()} == VERDICTS
