"""The center's money, for the manager, through payment's API: the day's reconciliation (a
bank, treasury or gateway statement uploaded as CSV, matched against the payments recorded,
and the report of the day per channel) and refunds (the bills of a dossier, and what one
owes back refunded). Each statement and refund is recorded in desk.audit with who and when."""
import uuid
from datetime import datetime

from services.common.events import TIMEZONE

from . import store
from .formats import DAY_ERROR, typed_day
from .web import redirect, render

PAY_CHANNELS = {"cash": "Tiền mặt", "card": "Thẻ", "online": "Trực tuyến"}
SOURCES = {"bank": "Ngân hàng", "treasury": "Kho bạc", "gateway": "Cổng thanh toán"}
OUTCOMES = {"matched": "Khớp", "missing_in_statement": "Thiếu trong sao kê",
            "missing_in_motcua": "Không có trong hệ thống", "amount_mismatch": "Lệch số tiền",
            "duplicate": "Trùng dòng"}
STATEMENT_LABELS = {"day": "Ngày sao kê", "channel": "Kênh thu", "source": "Nguồn sao kê",
                    "statement": "Tệp sao kê (CSV)"}
REFUND_LABELS = {"code": "Mã hồ sơ", "amount": "Số tiền hoàn (đồng)", "channel": "Hoàn qua",
                 "reference": "Số tham chiếu (chứng từ)"}
# payment's field names, as the forms name them
PAYMENT_FIELDS = {"_body": "statement", "day": "day", "channel": "channel", "source": "source"}


def _today():
    return datetime.now(TIMEZONE).date()


# reconciliation ---------------------------------------------------------------------------
def reconciliation_page(services, user, request, values=None, errors=None, status=200):
    values = values or {"day": request.args.get("day") or f"{_today():%d/%m/%Y}",
                        "channel": "cash", "source": "bank"}
    day = typed_day(values["day"])
    errors = dict(errors or {})
    report = None
    if day is None:
        errors.setdefault("day", [DAY_ERROR])
    else:
        answer = services.call("payment", "GET", f"/api/v1/reconciliations/{day.isoformat()}")
        report = answer.body if answer.ok else None
    return render("reconciliation.html", 422 if errors else status, user=user, values=values,
                  errors=errors, labels=STATEMENT_LABELS, channels=PAY_CHANNELS,
                  sources=SOURCES, outcomes=OUTCOMES, report=report, day=day,
                  key=uuid.uuid4())


def import_statement(db, services, user, request):
    form = request.form
    values = {name: form.get(name, "").strip() for name in ("day", "channel", "source")}
    day = typed_day(values["day"])
    upload = request.files.get("statement")
    errors = {}
    if day is None:
        errors["day"] = [DAY_ERROR]
    if values["channel"] not in PAY_CHANNELS:
        errors["channel"] = ["Chọn kênh thu."]
    if values["source"] not in SOURCES:
        errors["source"] = ["Chọn nguồn sao kê."]
    raw = upload.read() if upload else b""
    if not raw.strip():
        errors["statement"] = ["Chọn tệp sao kê CSV có nội dung."]
    if errors:
        return reconciliation_page(services, user, request, values, errors, 422)
    answer = services.call(
        "payment", "POST", "/api/v1/statements", expect=(200, 201, 413), data=raw,
        params={**values, "day": day.isoformat()},
        headers={"Content-Type": "text/csv", "Idempotency-Key": form.get("key") or str(uuid.uuid4())})
    with db.transaction() as cur:
        store.audit(cur, user["username"], "statement_imported",
                    f"{day.isoformat()} {values['channel']} {values['source']}",
                    "ok" if answer.ok else "refused")
    if not answer.ok:
        errors = {PAYMENT_FIELDS.get(name, "statement"): messages
                  for name, messages in answer.fields.items()}
        return reconciliation_page(services, user, request, values,
                                   errors or {"statement": [answer.error.get("message", "")]},
                                   422)
    return redirect(f"/reconciliation?day={day:%d/%m/%Y}")


# refunds ------------------------------------------------------------------------------------
def refunds_page(services, user, request, values=None, errors=None, status=200):
    code = (request.args.get("code") or request.form.get("code") or "").strip()
    bills = []
    if code:
        answer = services.call("payment", "GET", "/api/v1/bills", params={"dossier_code": code})
        bills = answer.body.get("bills", []) if answer.ok else []
        if not bills and not errors:
            errors = {"code": [f"Không có khoản thu nào của hồ sơ {code}."]}
    done = request.args.get("refunded", "")
    return render("refunds.html", 422 if errors else status, user=user, code=code, bills=bills,
                  values=values or {}, errors=errors or {}, labels=REFUND_LABELS,
                  channels=PAY_CHANNELS, key=uuid.uuid4(),
                  refunded=int(done) if done.isdigit() else None)


def refund(db, services, user, request, bill_id):
    form = request.form
    values = {name: form.get(name, "").strip() for name in ("amount", "channel", "reference")}
    code = form.get("code", "").strip()
    amount = values["amount"].replace(".", "")
    errors = {}
    if not amount.isdigit() or int(amount) < 1:
        errors["amount"] = ["Nhập số tiền hoàn bằng chữ số, ví dụ 50000."]
    if values["channel"] not in PAY_CHANNELS:
        errors["channel"] = ["Chọn cách hoàn tiền."]
    if errors:
        return refunds_page(services, user, request, values, errors, 422)
    answer = services.call(
        "payment", "POST", f"/api/v1/bills/{bill_id}/refunds", expect=(200, 201),
        json={"amount": int(amount), "channel": values["channel"],
              "reference": values["reference"] or None},
        headers={"Idempotency-Key": form.get("key") or str(uuid.uuid4())})
    with db.transaction() as cur:
        store.audit(cur, user["username"], "refund", code, "ok" if answer.ok else "refused")
    if not answer.ok:
        errors = dict(answer.fields) or {"amount": [answer.error.get("message", "")]}
        return refunds_page(services, user, request, values, errors, 422)
    return redirect(f"/refunds?code={code}&refunded={int(amount)}")
