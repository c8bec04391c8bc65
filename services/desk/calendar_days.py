"""The province's calendar, for the center's manager, through intake's API (intake owns the
overrides and every service follows a change at once): the days off and working Saturdays
that differ from the national calendar, one added (a day typed dd/mm/yyyy) or removed. Each
change is recorded in desk.audit with who and when."""
import uuid
from datetime import date

from . import store
from .formats import DAY_ERROR, typed_day
from .web import redirect, render

KINDS = {"day_off": "Ngày nghỉ (nghỉ bù, nghỉ lễ của tỉnh)", "working_day": "Ngày làm việc (làm bù)"}
LABELS = {"day": "Ngày", "kind": "Loại ngày", "note": "Căn cứ, ghi chú"}
DONE = {"set": "Đã cập nhật lịch ngày {day}; mọi dịch vụ tính hạn theo lịch mới.",
        "removed": "Ngày {day} trở lại theo lịch quốc gia."}


def calendar_page(services, user, request, values=None, errors=None, status=200):
    answer = services.call("intake", "GET", "/api/v1/calendar")
    done, day = request.args.get("done"), typed_day(request.args.get("day"))
    message = DONE[done].format(day=f"{day:%d/%m/%Y}") if done in DONE and day else None
    return render("calendar.html", status, user=user, calendar=answer.body, kinds=KINDS,
                  labels=LABELS, values=values or {"kind": "day_off"}, errors=errors or {},
                  message=message, key=uuid.uuid4())


def set_day(db, services, user, request):
    form = request.form
    values = {name: form.get(name, "").strip() for name in LABELS}
    day = typed_day(values["day"])
    errors = {} if day else {"day": [DAY_ERROR]}
    if values["kind"] not in KINDS:
        errors["kind"] = ["Chọn ngày nghỉ hoặc ngày làm việc."]
    if errors:
        return calendar_page(services, user, request, values, errors, 422)
    answer = services.call(
        "intake", "PUT", f"/api/v1/calendar/days/{day.isoformat()}",
        json={"kind": values["kind"], "note": values["note"] or None},
        headers={"Idempotency-Key": form.get("key") or str(uuid.uuid4())})
    _audit(db, user, "calendar_day_set", f"{day.isoformat()} {values['kind']}", answer.ok)
    if not answer.ok:
        errors = {("day" if name in ("_body", "day") else name): messages
                  for name, messages in answer.fields.items()}
        return calendar_page(services, user, request, values,
                             errors or {"day": [answer.error.get("message", "")]}, 422)
    return redirect(f"/calendar?done=set&day={day:%d/%m/%Y}")


def remove_day(db, services, user, request, day_iso):
    answer = services.call("intake", "DELETE", f"/api/v1/calendar/days/{day_iso}")
    _audit(db, user, "calendar_day_removed", day_iso, answer.ok)
    if not answer.ok:
        return calendar_page(services, user, request,
                             errors={"day": [answer.error.get("message", "")]}, status=422)
    return redirect(f"/calendar?done=removed&day={date.fromisoformat(day_iso):%d/%m/%Y}")


def _audit(db, user, action, subject, ok):
    with db.transaction() as cur:
        store.audit(cur, user["username"], action, subject, "ok" if ok else "refused")
