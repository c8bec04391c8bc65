"""The province's calendar overrides, owned by intake, through its HTTP API (a manager's): the
shipped ones (config/calendar.yml) are the first, announced once; a day added or removed is
announced with the whole set and a new revision, and every running intake instance computes
due dates with it at once, without a restart."""
import pytest

from services.common.calendar import Calendar
from services.common.clock import Clock
from services.intake.service import IntakeService
from tests.conftest import CATALOGUE, dossier_body, query, token, wait_for
from tests.routing.lifecycle_helpers import at

MANAGER = token("manager", subject="lanhdao.trungtam")
TWO_DAYS = "1.002861"  # sxd: 2 working days


class Instance:
    """A running intake container: its HTTP client, pinned clock and calendar."""

    def __init__(self, container, client):
        self.http = client
        deps = container.dependencies
        self.clock = next(d for d in deps if isinstance(d, Clock))
        self.calendar = next(d for d in deps if isinstance(d, Calendar))

    def due_at(self, code, when):
        self.clock.pinned = when
        proc = CATALOGUE["procedures"][code]
        officer = token("counter_officer", department=proc["department"], subject="motcua.01")
        answer = self.http.post("/api/v1/dossiers", token=officer, json=dossier_body(proc))
        assert answer.status_code == 201, answer.text
        return answer.json()["due_at"]


@pytest.fixture
def start_intake(container_factory, config_for, client_for):
    def start():
        config = config_for("intake")
        container = container_factory(IntakeService, config)
        container.start()
        return Instance(container, client_for(config))
    return start


def calendar_events(db):
    return [row["body"]["data"] for row in query(
        db, "SELECT body FROM intake.outbox WHERE routing_key = 'calendar.changed' ORDER BY seq")]


def put_day(intake, day, kind, note=None, who=MANAGER):
    return intake.http.request("PUT", f"/api/v1/calendar/days/{day}", token=who,
                               json={"kind": kind, "note": note})


def test_the_shipped_overrides_are_the_first_announced_once(start_intake, db):
    intake = start_intake()
    start_intake()  # a second instance starting finds them and announces nothing
    shown = intake.http.get("/api/v1/calendar", token=MANAGER).json()
    assert shown["revision"] == 1
    assert [(d["day"], d["changed_by"]) for d in shown["days_off"]] == [
        ("2026-01-02", "config/calendar.yml")]
    assert [d["day"] for d in shown["working_days"]] == ["2026-01-10"]
    [announced] = calendar_events(db)
    assert announced["revision"] == 1
    assert (announced["days_off"], announced["working_days"]) == (["2026-01-02"], ["2026-01-10"])
    # Wednesday 31/12/2025 + 2 working days: 1/1 and 2/1 are off, so 5/1 and 6/1
    assert intake.due_at(TWO_DAYS, at("2025-12-31", 9)) == "2026-01-06"


def test_a_day_added_or_removed_reaches_every_running_instance_without_a_restart(start_intake,
                                                                               db):
    first, second = start_intake(), start_intake()
    # Wednesday 23/12/2026 + 2 working days: 24 and 25/12
    assert second.due_at(TWO_DAYS, at("2026-12-23", 9)) == "2026-12-25"
    added = put_day(first, "2026-12-24", "day_off", "Nghỉ theo Quyết định của UBND tỉnh")
    assert added.status_code == 200, added.text
    assert added.json()["revision"] == 2
    assert [d["day"] for d in added.json()["days_off"]] == ["2026-01-02", "2026-12-24"]
    announced = calendar_events(db)[-1]
    assert announced == {"revision": 2, "days_off": ["2026-01-02", "2026-12-24"],
                         "working_days": ["2026-01-10"], "changed_at": announced["changed_at"]}
    wait_for(lambda: second.calendar.current.revision == 2)
    assert second.due_at(TWO_DAYS, at("2026-12-23", 9)) == "2026-12-28"  # 25 and 28/12

    removed = second.http.request("DELETE", "/api/v1/calendar/days/2026-12-24", token=MANAGER)
    assert removed.status_code == 200 and removed.json()["revision"] == 3
    wait_for(lambda: first.calendar.current.revision == 3)
    assert first.due_at(TWO_DAYS, at("2026-12-23", 9)) == "2026-12-25"
    # and a Saturday made a working day
    assert put_day(first, "2026-12-26", "working_day").json()["revision"] == 4
    wait_for(lambda: second.calendar.current.revision == 4)
    assert second.due_at(TWO_DAYS, at("2026-12-24", 9)) == "2026-12-26"  # 25 and Sat 26/12


def test_an_instance_started_after_a_change_computes_with_it(start_intake, db):
    put_day(start_intake(), "2026-12-24", "day_off")
    later = start_intake()
    assert later.calendar.current.revision == 2  # read at start
    assert later.due_at(TWO_DAYS, at("2026-12-23", 9)) == "2026-12-28"


def test_a_day_set_again_only_changes_its_note_and_announces_nothing(start_intake, db):
    intake = start_intake()
    assert put_day(intake, "2026-12-24", "day_off").json()["revision"] == 2
    again = put_day(intake, "2026-12-24", "day_off", "Quyết định số 12/QĐ-UBND")
    assert again.json()["revision"] == 2
    assert again.json()["days_off"][-1]["note"] == "Quyết định số 12/QĐ-UBND"
    assert len(calendar_events(db)) == 2


@pytest.mark.parametrize("method,day,body,status,code,named", [
    ("PUT", "2026-12-27", {"kind": "day_off"}, 409, "same_as_national_calendar", None),  # Sunday
    ("PUT", "2026-12-23", {"kind": "working_day"}, 409, "same_as_national_calendar", None),
    ("PUT", "2026-11-24", {"kind": "day_off"}, 409, "same_as_national_calendar", None),  # holiday
    ("PUT", "31-12-2026", {"kind": "day_off"}, 422, "validation_failed", "day"),
    ("PUT", "2026-02-30", {"kind": "day_off"}, 422, "validation_failed", "day"),
    ("PUT", "1999-12-31", {"kind": "day_off"}, 422, "validation_failed", "day"),
    ("PUT", "2026-12-24", {"kind": "holiday"}, 422, "validation_failed", "kind"),
    ("PUT", "2026-12-24", {}, 422, "validation_failed", "kind"),
    ("DELETE", "2026-12-24", None, 404, "not_found", None),
    ("DELETE", "20261224", None, 422, "validation_failed", "day"),
])
def test_a_change_the_calendar_cannot_take_is_refused_and_announces_nothing(
        start_intake, db, method, day, body, status, code, named):
    intake = start_intake()
    answer = intake.http.request(method, f"/api/v1/calendar/days/{day}", token=MANAGER,
                                 json=body)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    if named:
        assert named in error["fields"]
    assert len(calendar_events(db)) == 1
    assert query(db, "SELECT revision FROM intake.working_calendar") == [{"revision": 1}]


def test_only_a_manager_changes_the_calendar(start_intake, db):
    intake = start_intake()
    officer = token("counter_officer", department="stp", subject="motcua.stp.01")
    assert put_day(intake, "2026-12-24", "day_off", who=officer).status_code == 403
    assert intake.http.get("/api/v1/calendar", token=officer).status_code == 403
    assert len(calendar_events(db)) == 1


def test_overrides_lost_while_running_are_loaded_again_from_the_file(start_intake, db):
    """As when intake started before its migrations ran: once its listener reads the
    database again, the file's overrides become the first ones and are announced."""
    intake = start_intake()
    query(db, "DELETE FROM intake.working_calendar RETURNING revision")
    query(db, "DELETE FROM intake.calendar_days RETURNING day")
    # the listener's connection, once it listens (a container of an earlier test may still be
    # closing its own)
    listeners = wait_for(lambda: query(
        db, "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity"
            " WHERE query LIKE '%%FROM intake.working_calendar'"
            " AND datname = current_database() AND state = 'idle'"))
    assert all(row["ended"] for row in listeners)
    shown = wait_for(lambda: intake.http.get("/api/v1/calendar", token=MANAGER).json()
                     if query(db, "SELECT 1 FROM intake.working_calendar") else None)
    assert shown["revision"] == 1
    assert [d["day"] for d in shown["days_off"]] == ["2026-01-02"]
    assert len(calendar_events(db)) == 2  # at start, and again
