"""The departments' side of a simulated day, for `make demo`: officers take the day's
dossiers, ask for supplements, consult cooperating departments, refuse a few, decide and
return most; then routing's clock jumps ahead so short dossiers left undecided become
overdue (past the due date no extension is possible) and are finished late, and those whose
supplement never came are closed; the manager's monthly report closes the demo.

    from scripts.department_simulation import run_department_work
    ok = run_department_work(stack, secret, accepted, random.Random(seed), others)

`stack` is a running scripts.stack.Stack (routing is restarted once, with its clock moved),
`accepted` the intake answers of the day's dossiers (code, department, lookup_secret),
`others` the day's dossiers other parts of the demo work on (counted by the report only)."""
import signal
import time
from collections import Counter
from datetime import date, timedelta

import requests

from services.common.auth import issue_token
from services.common.events import now

SUPPLEMENT_SHARE = 0.12
REFUSAL_SHARE = 0.04
UNDECIDED_SHARE = 0.3     # left for later: some of these become late
CLOCK_JUMP_DAYS = 21      # routing's clock moves this far to make dossiers late
WATCH_SECONDS = "1"       # the deadline watch ticks every second in the demo
LATE_WAIT = 20            # seconds to wait for the watch to flag the late dossiers


class Desk:
    """HTTP calls to routing with the officers' tokens."""

    def __init__(self, stack, secret):
        self.stack, self.secret = stack, secret
        self.tokens = {}

    def token(self, role, department):
        key = (role, department)
        if key not in self.tokens:
            prefix = "chuyenvien" if role == "department_officer" else "motcua"
            self.tokens[key] = issue_token(self.secret, role, department=department,
                                           subject=f"{prefix}.{department}.01")
        return self.tokens[key]

    def act(self, code, department, action, role="department_officer", **body):
        response = requests.post(
            self.stack.url("routing", f"/api/v1/dossiers/{code}/actions/{action}"), json=body,
            headers={"Authorization": f"Bearer {self.token(role, department)}"}, timeout=10)
        return response.status_code, response.json()

    def citizen(self, code, path, body):
        return requests.post(self.stack.url("routing", f"/api/v1/dossiers/{code}/{path}"),
                             json=body, timeout=10).status_code

    def get(self, path, **params):
        token = issue_token(self.secret, "manager", subject="giamdoc.trungtam")
        response = requests.get(self.stack.url("routing", path), params=params, timeout=30,
                                headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()
        return response.json()

    def lookup(self, dossier):
        return requests.get(self.stack.url("routing", f"/api/v1/dossiers/{dossier['code']}"),
                            params={"secret": dossier["lookup_secret"]}, timeout=10).json()


def count(tally, answer, label):
    """Counts a step under its label, or under 'errors' (printed) when it failed."""
    status, body = answer
    if status == 200:
        tally[label] += 1
    elif status == 409 and (body or {}).get("error", {}).get("code") == "fees_unpaid":
        tally["result held until the fees are paid"] += 1
    else:
        tally["errors"] += 1
        print(f"  {label} failed: HTTP {status} {body}")


def wait_until_routed(desk, accepted, timeout=60):
    """Intake's events reach routing asynchronously: wait until routing knows every dossier."""
    deadline = time.monotonic() + timeout
    waiting = list(accepted)
    while waiting and time.monotonic() < deadline:
        waiting = [d for d in waiting if "status" not in desk.lookup(d)]
        if waiting:
            time.sleep(0.5)
    return not waiting


def first_day(desk, accepted, rng, tally):
    """Every dossier accepted; some supplements, consultations, refusals; most decided."""
    undecided = []
    for dossier in accepted:
        code, department = dossier["code"], dossier["department"]
        count(tally, desk.act(code, department, "accept"), "accepted")
        view = desk.lookup(dossier)
        if rng.random() < SUPPLEMENT_SHARE:
            count(tally, desk.act(code, department, "request_supplement",
                                  reason="thiếu giấy tờ",
                                  documents=[{"name": "Bản sao giấy tờ tùy thân có chứng thực"}]),
                  "supplement requested")
            if rng.random() < 0.5:
                status = desk.citizen(code, "resubmission", {"secret": dossier["lookup_secret"]})
                count(tally, (status, None), "resubmitted by the citizen")
            else:
                continue  # never completed: closed once its 15 days have run out
        if view.get("cooperating"):
            count(tally, desk.act(code, department, "consult",
                                  question="Đề nghị cho ý kiến phối hợp"),
                  "consulted cooperating departments")
            for cooperating in view["cooperating"]:
                count(tally, desk.act(code, cooperating, "reply_consultation",
                                      opinion="Thống nhất", agrees=True), "consultation answers")
        draw = rng.random()
        if draw < REFUSAL_SHARE:
            count(tally, desk.act(code, department, "refuse",
                                  reason="không đủ điều kiện theo quy định"), "refused")
        elif draw < REFUSAL_SHARE + UNDECIDED_SHARE:
            undecided.append(dossier)
        else:
            count(tally, desk.act(code, department, "complete",
                                  result_reference=f"{code[-4:]}/KQ"), "result ready")
            count(tally, desk.act(code, department, "return", role="counter_officer"),
                  "returned at the counter")
    return undecided


def jump_clock(stack):
    stack.env["ROUTING_CLOCK_SHIFT_DAYS"] = str(CLOCK_JUMP_DAYS)
    stack.env["DEADLINE_WATCH_SECONDS"] = WATCH_SECONDS
    stack.kill("routing", signal.SIGTERM)
    stack.restart("routing")


def late_days(desk, undecided, today, tally):
    """After the jump: the watch flags the late ones; past their due date no extension is
    possible, their departments finish them late."""
    late = []
    deadline = time.monotonic() + LATE_WAIT
    expected = [d for d in undecided if date.fromisoformat(d["due_at"]) < today]
    while time.monotonic() < deadline:
        late = [d for d in undecided if desk.lookup(d).get("overdue")]
        if len(late) >= len(expected):
            break
        time.sleep(1)
    for dossier in expected:
        if dossier not in late:
            print(f"  {dossier['code']} due {dossier['due_at']} not flagged overdue: "
                  f"{desk.lookup(dossier).get('status')}")
    for dossier in late:
        code, department = dossier["code"], dossier["department"]
        count(tally, desk.act(code, department, "complete", result_reference=f"{code[-4:]}/KQ"),
              "late: result after the due date")
        count(tally, desk.act(code, department, "return", role="counter_officer"),
              "late: returned")
    return len(late) == len(expected)


def print_monthly(desk, first_month, last_day):
    """The manager's report: the table per department and the report's sentence."""
    report = desk.get("/api/v1/reports/period", start=first_month.isoformat(),
                      end=last_day.isoformat())
    print(f"\n== Report {first_month:%d/%m/%Y} – {last_day:%d/%m/%Y} "
          "(GET /api/v1/reports/period; ?format=csv for the spreadsheet) " + "=" * 8)
    columns = [("received", "received"), ("resolved_on_time", "on time"),
               ("resolved_late", "late"), ("in_progress_on_time", "open ok"),
               ("in_progress_overdue", "open late"), ("returned", "returned"),
               ("refused", "refused"), ("closed", "closed"),
               ("average_processing_working_days", "avg days")]
    header = f"{'department':<12}" + "".join(f"{label:>11}" for _, label in columns)
    print(header + "\n" + "-" * len(header))
    for row in [*report["by_department"], {"department": "total", **report["totals"]}]:
        cells = "".join(f"{'' if row[key] is None else row[key]:>11}" for key, _ in columns)
        print(f"{row['department']:<12}{cells}")
    for month in sorted({f"{first_month:%Y-%m}", f"{last_day:%Y-%m}"}):
        print("\n" + desk.get("/api/v1/reports/monthly", month=month)["summary"])
    return report


def run_department_work(stack, secret, accepted, rng, others=()):
    """The departments' work on the day's dossiers; True if every step behaved."""
    desk = Desk(stack, secret)
    tally = Counter()
    if not wait_until_routed(desk, accepted):
        print("  some dossiers never reached routing")
        return False
    undecided = first_day(desk, accepted, rng, tally)
    jump_clock(stack)
    started = now().date()
    today = started + timedelta(days=CLOCK_JUMP_DAYS)
    all_late_flagged = late_days(desk, undecided, today, tally)
    print("\n== Department work (routing HTTP, department queues) " + "=" * 34)
    for what, count in tally.items():
        print(f"  {what:<40} {count:>4}")
    report = print_monthly(desk, started.replace(day=1), today)
    totals = report["totals"]
    checks = {
        "every late dossier flagged overdue": all_late_flagged,
        "every department action answered": not tally["errors"],
        "report counts every dossier received":
            totals["received"] == len(accepted) + len(others),
        "report counts the late results as late":
            totals["resolved_late"] == tally["late: result after the due date"],
    }
    for check, ok in checks.items():
        if not ok:
            print(f"  department work check failed: {check}")
    return all(checks.values())
