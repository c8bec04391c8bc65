"""The operator's command line as an operator runs it (the installed `motcua` script): a
token carries the role and scope asked for, a bad request or a bad catalogue file is refused
with the reason and exit code 2, `motcua run` finds honcho and the services without an
activated virtual environment (and a test clamd when none answers at CLAMD_ADDRESS), and
`motcua calendar` changes the days intake and routing count
while they run."""
import os
import secrets
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from services.common.auth import authenticate
from services.common.calendar import Calendar
from services.common.clock import Clock
from services.intake.service import IntakeService
from tests.conftest import (
    CATALOGUE,
    ROOT,
    TOKEN_SECRET,
    dossier_body,
    drain,
    free_port,
    token,
    wait_for,
)
from tests.routing.lifecycle_helpers import act, at, officer, receive, start_routing
from tooling import clamav, cli

MOTCUA = str(Path(sys.executable).parent / "motcua")
SECRET = secrets.token_urlsafe(32)


def motcua(*args, **env):
    environment = {**os.environ, "TOKEN_SECRET": SECRET, **env}
    return subprocess.run([MOTCUA, *args], capture_output=True, text=True, timeout=60,
                          env=environment)


@pytest.mark.parametrize("role", ["counter_officer", "leader"])
def test_token_carries_the_role_and_department_asked_for(role):
    result = motcua("token", "--role", role, "--department", "stp", "--subject", "canbo.stp.01")
    assert result.returncode == 0, result.stderr
    principal = authenticate(SECRET, f"Bearer {result.stdout.strip()}")
    assert (principal.role, principal.department, principal.subject) == (
        role, "stp", "canbo.stp.01")


@pytest.mark.parametrize("scope, department, center", [
    (("--center", "ubnd_long_xuyen"), None, "ubnd_long_xuyen"),  # the center's own staff
    (("--center", "ubnd_long_xuyen", "--department", "stp"), "stp", "ubnd_long_xuyen"),
])
def test_a_counter_officer_s_token_carries_its_center_and_the_agency_that_stationed_it(
        scope, department, center):
    result = motcua("token", "--role", "counter_officer", *scope)
    assert result.returncode == 0, result.stderr
    principal = authenticate(SECRET, f"Bearer {result.stdout.strip()}")
    assert (principal.center, principal.department) == (center, department)
    assert principal.center_staff == (department is None)


def test_postal_clerk_token_carries_its_post_office():
    result = motcua("token", "--role", "postal_clerk", "--post-office", "BD-TINH")
    assert result.returncode == 0, result.stderr
    assert authenticate(SECRET, f"Bearer {result.stdout.strip()}").post_office == "BD-TINH"


@pytest.mark.parametrize("args, env, reason", [
    (("--role", "counter_officer"), {}, "needs --center, --department or both"),
    (("--role", "leader"), {}, "needs --department"),
    (("--role", "manager"), {"TOKEN_SECRET": "short"}, "TOKEN_SECRET must be set"),
    (("--role", "citizen"), {}, "invalid choice: 'citizen'"),
])
def test_a_token_that_cannot_be_issued_is_refused_with_the_reason(args, env, reason):
    result = motcua("token", *args, **env)
    assert result.returncode == 2
    assert reason in result.stderr and result.stdout == ""


def test_a_catalogue_with_bad_rows_is_refused_whole_naming_row_and_field(tmp_path):
    bad = tmp_path / "procedures.yml"
    shipped = (cli.ROOT / "services/intake/catalogue/procedures.yml").read_text()
    bad.write_text(shipped.replace("processing_days: 15", "processing_days: 0", 1))
    assert bad.read_text() != shipped
    for action in ("check", "load"):  # load refuses before it touches the database
        result = motcua("catalogue", action, str(bad), DB_URL="postgresql://nobody@127.0.0.1:1/x")
        assert result.returncode == 2
        assert "rejected, nothing loaded" in result.stderr
        assert "processing_days" in result.stderr and "procedures[" in result.stderr


def test_an_unreadable_catalogue_file_is_named_not_a_traceback(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("procedures: [\n")
    for path in (broken, tmp_path / "missing.yml"):
        result = motcua("catalogue", "check", str(path))
        assert result.returncode == 2
        assert f"{path}: cannot be read" in result.stderr and "Traceback" not in result.stderr


def test_run_finds_honcho_and_the_services_without_an_activated_environment(monkeypatch):
    started = {}
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("CLAMD_ADDRESS", "/run/clamav/clamd.ctl")  # not one to start here
    monkeypatch.setattr(os, "chdir", lambda path: None)
    monkeypatch.setattr(os, "execvpe", lambda file, args, env: started.update(
        file=file, args=args, env=env))
    monkeypatch.setattr(os, "execvp", lambda file, args: started.update(file=file, args=args))
    cli.cmd_run(None)
    bin_dir = Path(sys.executable).parent
    first = started["env"]["PATH"].split(os.pathsep)[0]
    assert first == str(bin_dir)
    assert all((bin_dir / tool).exists() for tool in ("honcho", "nameko", "motcua"))
    assert started["args"][:2] == ["honcho", "start"]


def test_run_starts_a_clamd_where_none_answers_and_stops_it_with_the_services(monkeypatch):
    port = free_port()
    monkeypatch.setenv("CLAMD_ADDRESS", f"127.0.0.1:{port}")
    monkeypatch.setattr(os, "chdir", lambda path: None)
    ran = {}

    def services(command, env):
        ran.update(command=command, scanner=clamav.answers("127.0.0.1", port))
        return 0

    monkeypatch.setattr(cli, "run_beside", services)
    assert cli.cmd_run(None) == 0
    assert ran == {"command": ["honcho", "start", "-f", str(ROOT / "Procfile")], "scanner": True}
    assert not clamav.answers("127.0.0.1", port)


# --- motcua calendar: a day off reaches intake and routing, running, without a restart ------
INTERAGENCY = "1.009794"  # sxd leads, ca and snnmt cooperate
TWO_DAYS = "1.002861"     # sxd, 2 working days


def calendar_of(container):
    return next(d for d in container.dependencies if isinstance(d, Calendar)).current


@pytest.fixture
def intake_and_routing_on_a_pinned_day(container_factory, config_for, client_for, topology,
                                       relays):
    """intake and routing running with their relays, both clocks at Wednesday 23/12/2026."""
    intake_config = config_for("intake")
    intake = container_factory(IntakeService, intake_config)
    intake.start()
    routing = start_routing(container_factory, config_for, client_for, topology)
    relays("intake", "routing")
    next(d for d in intake.dependencies if isinstance(d, Clock)).pinned = at("2026-12-23", 9)
    routing.clock.pinned = at("2026-12-23", 10)
    return SimpleNamespace(intake=intake, intake_http=client_for(intake_config),
                           routing=routing, start_routing=lambda: start_routing(
                               container_factory, config_for, client_for, topology))


def intake_due_date(setup):
    proc = CATALOGUE["procedures"][TWO_DAYS]
    answer = setup.intake_http.post("/api/v1/dossiers", json=dossier_body(proc),
                                    token=token("counter_officer", department="sxd"))
    assert answer.status_code == 201, answer.text
    return answer.json()["due_at"]


def routing_reply_date(routing, db):
    """The reply date routing gives a cooperating department for a consultation asked now
    (5 working days later), as that department reads it on its queue."""
    code = receive(db, routing.amqp, INTERAGENCY, at("2026-12-22", 9), "2027-01-29")
    assert act(routing, code, "accept", officer("sxd")).status_code == 200
    asked = act(routing, code, "consult", officer("sxd"), question="Ý kiến về PCCC?",
                departments=["ca"])
    assert asked.status_code == 200, asked.text
    messages = wait_for(lambda: [m for _, m in drain(routing.amqp, "department.ca", 0.2)
                                 if m["data"].get("code") == code])
    return messages[0]["data"]["reply_due_date"]


def test_motcua_calendar_changes_due_dates_of_intake_and_routing_without_a_restart(
        intake_and_routing_on_a_pinned_day, db):
    setup = intake_and_routing_on_a_pinned_day
    url = f"http://{setup.intake_http.base.removeprefix('http://')}"
    # Wednesday 23/12/2026: 2 working days are 24 and 25/12; 5 are 24, 25, 28, 29, 30/12
    assert intake_due_date(setup) == "2026-12-25"
    assert routing_reply_date(setup.routing, db) == "2026-12-30"

    added = motcua("calendar", "add", "2026-12-24", "--day-off", "--note", "Nghỉ bù",
                   "--intake-url", url, TOKEN_SECRET=TOKEN_SECRET)
    assert added.returncode == 0, added.stderr
    assert "2026-12-24  day off" in added.stdout and "revision 2" in added.stdout
    wait_for(lambda: calendar_of(setup.intake).revision == 2)
    wait_for(lambda: calendar_of(setup.routing.container).revision == 2)
    assert intake_due_date(setup) == "2026-12-28"
    assert routing_reply_date(setup.routing, db) == "2026-12-31"
    # a routing instance started after the change computes with it from the start
    later = setup.start_routing()
    assert calendar_of(later.container).revision == 2

    removed = motcua("calendar", "remove", "2026-12-24", "--intake-url", url,
                     TOKEN_SECRET=TOKEN_SECRET)
    assert removed.returncode == 0, removed.stderr
    wait_for(lambda: calendar_of(setup.routing.container).revision == 3)
    wait_for(lambda: calendar_of(later.container).revision == 3)
    wait_for(lambda: calendar_of(setup.intake).revision == 3)
    assert intake_due_date(setup) == "2026-12-25"
    assert routing_reply_date(setup.routing, db) == "2026-12-30"

    listed = motcua("calendar", "list", "--intake-url", url, TOKEN_SECRET=TOKEN_SECRET)
    assert listed.returncode == 0 and "2026-12-24" not in listed.stdout
    assert "2026-01-02  day off" in listed.stdout and "2026-01-10  working day" in listed.stdout


def test_motcua_calendar_says_why_a_change_is_refused(intake_and_routing_on_a_pinned_day):
    url = intake_and_routing_on_a_pinned_day.intake_http.base
    sunday = motcua("calendar", "add", "2026-12-27", "--day-off", "--intake-url", url,
                    TOKEN_SECRET=TOKEN_SECRET)
    assert sunday.returncode == 1 and "same_as_national_calendar" in sunday.stderr
    assert "27/12/2026" in sunday.stderr
    no_kind = motcua("calendar", "add", "2026-12-24", "--intake-url", url,
                     TOKEN_SECRET=TOKEN_SECRET)
    assert no_kind.returncode == 2 and "--day-off or --working-day" in no_kind.stderr
    nowhere = motcua("calendar", "list", "--intake-url", "http://127.0.0.1:1",
                     TOKEN_SECRET=TOKEN_SECRET)
    assert nowhere.returncode == 1 and "not reachable" in nowhere.stderr
