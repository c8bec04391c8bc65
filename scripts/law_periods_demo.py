"""The periods of Decree 118/2025 art. 19 in `make demo`, each with its date, through routing's
HTTP API only: a supplement asked within the 3 working days after reception and never handed
in, closed by the deadline watch once its 15 days have run out; an extension (Mẫu 04) asked by
the last working day before the due date (a 5-working-day dossier, so that whatever day the demo
runs on that day is still ahead), a second one refused, and one asked after the due date
refused.

`prepare` runs on the day itself (routing's clock is today's); `show` after the department
work has moved routing's clock weeks ahead (scripts/department_simulation.py), so the dates
are routing's own, read from the dossiers' history:

    state = prepare(stack, secret, lambda procedure_code: body)
    ...  # routing's clock jumps ahead, its deadline watch runs
    checks = show(stack, secret, state)
"""
import time
from datetime import date, datetime, timedelta

import requests

from scripts.department_simulation import CLOCK_JUMP_DAYS, Desk
from services.common.calendar import load_calendar

SUPPLEMENT = ("1.002856", "sxd")  # Cấp Giấy phép kinh doanh vận tải bằng xe ô tô, 5 days
ONE_DAY = ("2.001914", "sgddt")   # Cấp bản sao văn bằng, chứng chỉ từ sổ gốc, 1 working day


def vn(value):
    """dd/mm/yyyy of an ISO date or time."""
    return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")


def outcome(status, answer):
    """`HTTP 200`, or `HTTP 409 <error code>`."""
    return f"HTTP {status}" + (f" {answer['error']['code']}" if "error" in answer else "")


def last_working_day_before(calendar, day):
    day -= timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def prepare(stack, secret, body_for, timeout=30):
    """Today: the supplement asked and the one extension granted; returns what `show` needs.
    `body_for(procedure_code)` gives a dossier's body for intake."""
    print("\n== Thời hạn theo Nghị định 118/2025 (điều 19): bổ sung, đóng hồ sơ, gia hạn "
          + "=" * 10)
    desk = Desk(stack, secret)
    procedures = {"supplement": SUPPLEMENT, "extended": SUPPLEMENT, "too_late": ONE_DAY}
    dossiers = {name: submit(stack, desk, code, department, body_for)
                for name, (code, department) in procedures.items()}
    deadline = time.monotonic() + timeout
    while any("status" not in desk.lookup(d) for d in dossiers.values()):
        if time.monotonic() > deadline:
            raise RuntimeError("routing did not receive the law demo's dossiers")
        time.sleep(0.3)
    for dossier in dossiers.values():
        desk.act(dossier["code"], dossier["department"], "accept")
    return {"dossiers": dossiers, "supplement_ok": ask_supplement(desk, dossiers["supplement"]),
            "extension_ok": extend(desk, dossiers["extended"])}


def submit(stack, desk, procedure_code, department, body_for):
    response = requests.post(stack.url("intake", "/api/v1/dossiers"),
                             json=body_for(procedure_code),
                             headers={"Authorization": "Bearer "
                                      + desk.token("counter_officer", department)}, timeout=10)
    response.raise_for_status()
    return response.json()


def ask_supplement(desk, dossier):
    calendar = load_calendar()
    view = desk.lookup(dossier)
    received = datetime.fromisoformat(view["received_at"])
    last_day = calendar.add_working_days(calendar.reception_day(received), 3)
    status, answer = desk.act(dossier["code"], dossier["department"], "request_supplement",
                              reason="thiếu giấy tờ", documents=[{
                                  "name": "Bản sao giấy đăng ký kinh doanh có chứng thực"}])
    view = desk.lookup(dossier)
    print(f"supplement  {dossier['code']}  received {vn(view['received_at'])}; asked "
          f"{vn(view['history'][-1]['at'])} (allowed until {last_day:%d/%m/%Y}, the 3rd working "
          f"day) -> {outcome(status, answer)}")
    if status != 200:
        return False
    print(f"            to be handed in by {vn(view['asked_of_citizen']['complete_by'])}, "
          "else the dossier is closed")
    return True


def extend(desk, dossier):
    calendar = load_calendar()
    due = date.fromisoformat(desk.lookup(dossier)["due_date"])
    new_due = calendar.add_working_days(due, 2)
    status, answer = desk.act(dossier["code"], dossier["department"], "request_extension",
                              reason="chờ xác minh sổ gốc tại trường cấp bằng",
                              new_due_date=new_due.isoformat())
    asked = desk.lookup(dossier)["history"][-1]["at"]
    print(f"extension   {dossier['code']}  due {due:%d/%m/%Y}; asked {vn(asked)} (allowed "
          f"until {last_working_day_before(calendar, due):%d/%m/%Y}, the last working day "
          f"before it) -> {outcome(status, answer)}")
    if status != 200:
        return False
    print(f"            Mẫu 04 {answer['extension']['letter_number']} to the one-stop unit, "
          f"new date {vn(answer['due_date'])}; the legal due date stays {due:%d/%m/%Y}")
    again = desk.act(dossier["code"], dossier["department"], "request_extension",
                     reason="còn chờ", new_due_date=new_due.isoformat())
    print(f"            a second extension -> {outcome(*again)}")
    return answer["due_date"] == new_due.isoformat() and again[0] == 409


def show(stack, secret, state, timeout=20):
    """After routing's clock jumped: the supplement closed, the late extension refused."""
    print(f"\n== Thời hạn theo Nghị định 118/2025, {CLOCK_JUMP_DAYS} ngày sau (đồng hồ của "
          "routing) " + "=" * 26)
    desk = Desk(stack, secret)
    dossiers = state["dossiers"]
    supplement = dossiers["supplement"]
    deadline = time.monotonic() + timeout
    while (view := desk.lookup(supplement))["status"] != "closed":
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    closing = view["history"][-1]
    print(f"closure     {supplement['code']}  status {view['status']} on {vn(closing['at'])} "
          f"by the deadline watch: {closing['note']}")
    late = dossiers["too_late"]
    due = desk.lookup(late)["due_date"]
    status, answer = desk.act(late["code"], late["department"], "request_extension",
                              reason="chờ xác minh", new_due_date="2099-12-31")
    overdue = desk.lookup(late)["history"][-1]  # the deadline watch's line
    print(f"extension   {late['code']}  due {vn(due)}, {overdue['label'].lower()} since "
          f"{vn(overdue['at'])}; an extension asked now -> {outcome(status, answer)}")
    return {"law: supplement asked within 3 working days": state["supplement_ok"],
            "law: closed when the supplement did not come in 15 days": view["status"] == "closed",
            "law: one extension, asked by the last working day before the due date":
                state["extension_ok"],
            "law: no extension after the due date": status == 409}
