"""The department's screens: the inbox, the dossier page with its one "Thao tác" menu, and
each action's short form (the lifecycle in routing decides what is allowed)."""
import uuid
from urllib.parse import urlencode

from . import scans, store
from .formats import DAY_ERROR, typed_day
from .web import PageError, redirect, render

INBOX_FILTERS = ("status", "due_before", "due_soon", "overdue", "mine", "q", "page")
STATUS_CHOICES = {"": "Đang xử lý (tất cả)", "assigned": "Mới đến", "processing": "Đang giải quyết",
                  "supplement_requested": "Chờ bổ sung", "resubmitted": "Đã bổ sung",
                  "consulting": "Đang xin ý kiến", "awaiting_approval": "Chờ lãnh đạo duyệt",
                  "result_ready": "Đã có kết quả", "returned": "Đã trả kết quả",
                  "refused": "Đã từ chối"}
# each action's short form: (field, label, kind, required); kinds: text, textarea, lines,
# date, list, yesno, choice
ACTION_FIELDS = {
    "accept": [("processing_unit", "Phòng chuyên môn giải quyết", "text", False)],
    "assign_officer": [("officer", "Chuyên viên (tên đăng nhập)", "text", True),
                       ("due_date", "Hạn của chuyên viên", "date", False),
                       ("note", "Ghi chú", "textarea", False)],
    "request_supplement": [("documents", "Giấy tờ cần bổ sung (mỗi dòng một giấy tờ)", "lines", True),
                           ("reason", "Lý do", "textarea", True)],
    "consult": [("departments", "Cơ quan phối hợp (mã, cách nhau bởi dấu phẩy; để trống: tất cả)",
                 "list", False),
                ("question", "Nội dung xin ý kiến", "textarea", True),
                ("reply_due_date", "Hạn trả lời", "date", False)],
    "reply_consultation": [("opinion", "Ý kiến", "textarea", True),
                           ("agrees", "Thống nhất với hồ sơ", "yesno", True)],
    "propose": [("result_reference", "Số, ký hiệu kết quả dự thảo", "text", True),
                ("note", "Ghi chú trình lãnh đạo", "textarea", False)],
    "approve": [("note", "Ghi chú", "textarea", False)],
    "send_back": [("reason", "Lý do trả lại", "textarea", True)],
    "complete": [("result_reference", "Số, ký hiệu văn bản kết quả", "text", True)],
    "request_extension": [("reason", "Lý do gia hạn (xin lỗi người nộp)", "textarea", True),
                          ("new_due_date", "Ngày hẹn trả mới", "date", True)],
    "refuse": [("reason", "Lý do từ chối", "textarea", True)],
    "resubmit": [("note", "Ghi chú", "textarea", False)],
    "return": [("method", "Cách trả", "choice", False)],
    "withdraw": [("reason", "Lý do (theo đề nghị của người nộp)", "textarea", False)],
}
DONE = {"accept": "nhận hồ sơ để giải quyết", "assign_officer": "giao chuyên viên",
        "request_supplement": "yêu cầu bổ sung hồ sơ", "consult": "gửi xin ý kiến",
        "reply_consultation": "gửi ý kiến", "propose": "trình lãnh đạo duyệt",
        "approve": "duyệt kết quả", "send_back": "trả lại đề xuất", "complete": "có kết quả",
        "request_extension": "gia hạn", "refuse": "từ chối giải quyết",
        "resubmit": "nhận hồ sơ bổ sung", "return": "trả kết quả", "withdraw": "dừng giải quyết"}
# the forms routing prints for a dossier, once the action that issues them was taken
FORMS = ((None, "control_slip", "Phiếu kiểm soát quá trình giải quyết (Mẫu 06)"),
         ("request_supplement", "supplement_request", "Yêu cầu bổ sung, hoàn thiện (Mẫu 02)"),
         ("refuse", "refusal", "Từ chối giải quyết (Mẫu 03)"),
         ("request_extension", "extension", "Xin lỗi và hẹn lại ngày trả (Mẫu 04)"),
         ("withdraw", "stop_notice", "Dừng giải quyết (Mẫu 05)"))
# what the citizen is told after each action (the confirmation says it)
TOLD = {"request_supplement": "Người nộp nhận tin nhắn yêu cầu bổ sung (Mẫu 02).",
        "complete": "Người nộp nhận tin nhắn báo đã có kết quả.",
        "approve": "Người nộp nhận tin nhắn báo đã có kết quả.",
        "refuse": "Người nộp nhận tin nhắn và văn bản từ chối (Mẫu 03).",
        "request_extension": "Người nộp nhận văn bản xin lỗi, hẹn lại ngày trả (Mẫu 04)."}

# the notifications notify sent: what each told, on which channel, how it went
NOTIFICATION_KINDS = {
    "receipt": "Đã tiếp nhận hồ sơ, hẹn trả kết quả", "supplement_requested": "Yêu cầu bổ sung",
    "result_ready_counter": "Đã có kết quả, nhận tại Bộ phận Một cửa",
    "result_ready_post": "Đã có kết quả, gửi qua bưu chính",
    "extension": "Gia hạn, hẹn lại ngày trả", "refused": "Từ chối giải quyết",
    "closed": "Kết thúc vì không bổ sung đúng hạn", "withdrawn": "Dừng giải quyết theo đề nghị",
    "payment_requested": "Thông báo phí, lệ phí", "shipment_created": "Đã gửi kết quả qua bưu điện",
    "shipment_delivered": "Bưu điện đã phát kết quả"}
CHANNELS = {"sms": "Tin nhắn SMS", "email": "Thư điện tử"}
NOTIFICATION_STATUSES = {
    "pending": "Chờ gửi", "sending": "Đang gửi", "unknown": "Đang xác minh với nhà mạng",
    "sent": "Đã gửi", "delivered": "Đã đến người nhận", "failed": "Không gửi được",
    "expired": "Không có báo nhận", "opted_out": "Người nhận đã từ chối nhận tin"}

NO_DOSSIERS = {"dossiers": [], "page": 1, "has_next": False}
INBOX_LABELS = {"q": "Tìm theo mã, số điện thoại hoặc tên", "status": "Trạng thái",
                "due_before": "Hạn trước ngày", "page": "Trang"}


def inbox_page(services, user, request, settings, partial=False):
    """The inbox with the filters as typed (the date dd/mm/yyyy), routing asked with them."""
    args = request.args
    params = {name: args.get(name).strip() for name in INBOX_FILTERS if args.get(name, "").strip()}
    for flag in ("due_soon", "overdue", "mine"):
        if flag in params:
            params[flag] = "true"
    query = dict(params)
    errors = {}
    if "due_before" in params:
        due_before = typed_day(params["due_before"])
        if due_before is None:
            errors["due_before"] = [DAY_ERROR]
        else:
            query["due_before"] = due_before.isoformat()
    listing = NO_DOSSIERS
    if not errors:
        answer = services.call("routing", "GET", "/api/v1/inbox", params=query)
        listing = answer.body if answer.ok else NO_DOSSIERS
        errors = {} if answer.ok else dict(answer.fields)
    template = "inbox_rows.html" if partial else "inbox.html"
    return render(template, 422 if errors else 200, user=user, listing=listing, filters=params,
                  errors=errors, statuses=STATUS_CHOICES, refresh=settings.inbox_refresh_seconds,
                  labels=INBOX_LABELS,
                  query_string=urlencode({k: v for k, v in params.items() if k != "page"}))


def dossier_page(services, user, code, request):
    done = request.args.get("done")
    found = services.together(
        dossier=lambda: services.call("routing", "GET", f"/api/v1/inbox/{code}"),
        reception=lambda: services.call("intake", "GET", f"/api/v1/dossiers/{code}/reception"),
        notifications=lambda: notifications_of(services, code))
    answer, reception = found["dossier"], found["reception"]
    if not answer.ok:
        raise PageError(404, f"Không có hồ sơ {code} (hoặc bạn không được xem).",
                        "Không tìm thấy hồ sơ")
    taken = {step["action"] for step in answer.body["timeline"]}
    forms = [(form, label) for action, form, label in FORMS if action is None or action in taken]
    if answer.body.get("return_method") == "counter":
        forms.append(("result_handover", "Phiếu bàn giao kết quả"))
    reception = reception.body if reception.ok else None
    return render("dossier.html", user=user, dossier=answer.body, forms=forms,
                  reception=reception, scanned=scans.of_dossier(services, reception),
                  notifications=found["notifications"], kinds=NOTIFICATION_KINDS,
                  channels=CHANNELS, notification_statuses=NOTIFICATION_STATUSES,
                  done=DONE.get(done), told=TOLD.get(done))


def notifications_of(services, code):
    """The SMS and emails notify sent about the dossier (addresses masked by notify), or why
    the page cannot list them: the rest of the page does not depend on them."""
    try:
        answer = services.call("notify", "GET", f"/api/v1/dossiers/{code}/notifications",
                               expect=(200, 403))
    except PageError:
        return {"sent": [], "unavailable": "Chưa lấy được danh sách thông báo; hãy tải lại "
                                           "trang sau giây lát."}
    if answer.status == 403:
        return {"sent": [], "unavailable": "Bạn không được xem thông báo của hồ sơ này."}
    return {"sent": answer.body.get("notifications", []) if answer.ok else [],
            "unavailable": None}


def _allowed(services, code, action):
    answer = services.call("routing", "GET", f"/api/v1/inbox/{code}")
    if not answer.ok:
        raise PageError(404, f"Không có hồ sơ {code}.", "Không tìm thấy hồ sơ")
    actions = {item["action"]: item["label"] for item in answer.body["actions"]}
    if action not in actions:
        raise PageError(409, "Thao tác này không còn làm được với hồ sơ ở trạng thái hiện tại.")
    return answer.body, actions[action]


def action_form(services, user, code, action, values=None, errors=None, status=200):
    dossier, label = _allowed(services, code, action)
    return render("action.html", status, user=user, dossier=dossier, action=action, label=label,
                  fields=ACTION_FIELDS[action], values=values or {}, errors=errors or {},
                  key=(values or {}).get("key") or str(uuid.uuid4()))


def _typing_errors(action, form):
    """The action's date fields that hold no date dd/mm/yyyy."""
    return {name: [DAY_ERROR] for name, _, kind, _ in ACTION_FIELDS[action]
            if kind == "date" and form.get(name, "").strip()
            and typed_day(form[name]) is None}


def _body(action, form):
    body = {}
    for name, _, kind, _ in ACTION_FIELDS[action]:
        raw = form.get(name, "").strip()
        if not raw:
            continue
        if kind == "date":
            body[name] = typed_day(raw).isoformat()
        elif kind == "lines":
            body[name] = [{"name": line.strip()} for line in raw.splitlines() if line.strip()]
        elif kind == "list":
            body[name] = [part.strip() for part in raw.split(",") if part.strip()]
        elif kind == "yesno":
            body[name] = raw == "yes"
        else:
            body[name] = raw
    return body


def submit_action(db, services, user, code, action, request):
    form = request.form
    if action not in ACTION_FIELDS:
        raise PageError(404, "Không có thao tác này.", "Không tìm thấy")
    errors = _typing_errors(action, form)
    if errors:
        return action_form(services, user, code, action, form.to_dict(), errors, 422)
    answer = services.call("routing", "POST", f"/api/v1/dossiers/{code}/actions/{action}",
                           json=_body(action, form),
                           headers={"Idempotency-Key": form.get("key") or str(uuid.uuid4())})
    if not answer.ok:
        errors = {name.split(".")[0]: messages for name, messages in answer.fields.items()}
        if not errors:
            errors = {"_body": [answer.error.get("message", "Không thực hiện được.")]}
        return action_form(services, user, code, action, form.to_dict(), errors, 422)
    with db.transaction() as cur:
        store.audit(cur, user["username"], action, code, "ok")
    return redirect(f"/dossiers/{code}?done={action}")
