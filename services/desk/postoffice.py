"""The post-office clerk's screens, on postal's HTTP API: reception for the agencies that
delegated it (the counter's reception form, postal registering), the pick-ups at home, and
the results going out by post with their tracking (an event by hand, the carrier's file)."""
from datetime import datetime

from services.common.events import TIMEZONE

from . import store
from .counter import agency_names, procedures
from .formats import typed_moment
from .web import PageError, redirect, render

PICKUP_STATUSES = {"requested": "Chờ thu gom", "collected": "Đã thu gom, chờ bàn giao",
                   "received": "Đã bàn giao Trung tâm"}
SHIPMENT_STATUSES = {"created": "Chờ bưu điện nhận", "picked_up": "Bưu điện đã nhận",
                     "in_transit": "Đang chuyển phát", "delivered": "Đã phát thành công",
                     "delivery_failed": "Phát không thành công",
                     "returned_to_center": "Đã trả lại Trung tâm"}
TRACKING_EVENTS = {"picked_up": "Bưu điện đã nhận bưu gửi", "in_transit": "Đang chuyển phát",
                   "delivered": "Đã phát cho người nhận",
                   "delivery_failed": "Phát không thành công",
                   "returned_to_center": "Trả lại Trung tâm"}
# what the clerk does to an order, in postal's words: requested → collected → received
PICKUP_STEPS = ("collected", "received")
# the events the carrier or the clerk must say why of (postal refuses them without one)
EVENTS_WITH_REASON = ("delivery_failed", "returned_to_center")
EVENT_SOURCES = {"clerk": "Nhân viên bưu điện", "import": "Tệp của hãng vận chuyển"}
IMPORT_OUTCOMES = {"applied": "Đã cập nhật", "duplicate": "Trùng, không thay đổi",
                   "rejected": "Bị từ chối"}
TRACKING_FIELDS = {"tracking_number": "Số hiệu bưu gửi", "event": "Sự kiện", "at": "Thời điểm",
                   "reason": "Lý do", "_row": "Dòng"}
EVENT_LABELS = {"event": "Sự kiện", "at": "Thời điểm", "reason": "Lý do",
                "file": "Tệp của hãng vận chuyển"}
# postal reads at most this much of a carrier's file (services/postal/uploads.py)
MAX_TRACKING_FILE_BYTES = 4 * 1024 * 1024


def local_today():
    return datetime.now(TIMEZONE).date().isoformat()


class PostOfficeReception:
    """Reception at a post office's counter for the agencies that delegated it reception:
    postal checks the delegation again and registers the dossier through intake (channel
    postal). A procedure of an agency that did not delegate is refused naming the
    delegation that is missing."""
    channel = "postal"
    title = "Tiếp nhận hồ sơ tại bưu điện"
    prints_guidance = False  # intake's missing-documents slip is the center counter's
    scans = False  # docstore's scans at reception are the center counter officer's

    def __init__(self, services, user):
        found = services.together(
            delegations=lambda: services.call("postal", "GET", "/api/v1/delegations"),
            offices=lambda: services.call("postal", "GET", "/api/v1/post-offices"),
            agencies=lambda: agency_names(services))
        office = user["post_office"]
        self.office = next((f"{o['name']} ({o['code']})"
                            for o in found["offices"].body.get("post_offices", [])
                            if o["code"] == office), f"Bưu điện {office}")
        self.delegations = found["delegations"].body.get("delegations", [])
        self.names = found["agencies"]
        self.today = local_today()
        delegating = sorted({d["department"] for d in self.delegations if self.in_force(d)})
        self.intro = (f"{self.office} tiếp nhận hồ sơ của: "
                      + ", ".join(self.name_of(code) for code in delegating) + "."
                      if delegating else
                      f"{self.office} chưa được cơ quan nào ủy quyền tiếp nhận hồ sơ.")

    def name_of(self, agency):
        return f"{self.names.get(agency, agency)} ({agency})"

    def in_force(self, delegation):
        return (delegation["valid_from"] <= self.today
                and (delegation["valid_to"] is None or self.today <= delegation["valid_to"]))

    def covers(self, delegation, procedure):
        return delegation["procedures"] is None or procedure["code"] in delegation["procedures"]

    def competent(self, procedure):
        return [procedure["department"]] if procedure["department"] else \
            list(procedure.get("competent_agencies", ()))

    def agencies(self, procedure):
        """The competent agencies whose delegation in force covers the procedure."""
        return [agency for agency in self.competent(procedure)
                if any(d["department"] == agency and self.in_force(d) and self.covers(d, procedure)
                       for d in self.delegations)]

    def receives(self, procedure):
        return bool(self.agencies(procedure))

    def refusal(self, procedure):
        """The delegation missing for `procedure`, named, and what is wrong with the one there
        is (not yet in force, ended, or not listing the procedure)."""
        agencies = self.competent(procedure)
        reasons = [self.what_is_wrong(agency, procedure) for agency in agencies]
        needed = " hoặc ".join(self.name_of(agency) for agency in agencies)
        return (f"{self.office} chưa được ủy quyền tiếp nhận hồ sơ thủ tục {procedure['code']}: "
                + "; ".join(reasons) + f". Cần văn bản ủy quyền tiếp nhận hồ sơ của {needed} "
                "cho bưu điện còn hiệu lực hôm nay; hãy liên hệ lãnh đạo Trung tâm.")

    def what_is_wrong(self, agency, procedure):
        name = self.name_of(agency)
        own = [d for d in self.delegations if d["department"] == agency]
        if not own:
            return f"{name} chưa ủy quyền cho bưu điện"
        if not any(self.in_force(d) for d in own):
            later = sorted(d["valid_from"] for d in own if d["valid_from"] > self.today)
            if later:
                return f"ủy quyền của {name} có hiệu lực từ {day_of(later[0])}"
            ended = max(d["valid_to"] for d in own)
            return f"ủy quyền của {name} đã hết hiệu lực từ sau ngày {day_of(ended)}"
        return f"ủy quyền của {name} không gồm thủ tục {procedure['code']}"

    def register(self, services, body, key):
        # Shown above the form, its values and idempotency key kept: 403, the delegation
        # ended since the form was opened (postal's message names it); 503, intake could not
        # be reached (nothing registered); 504, intake did not answer in time (sending the
        # form again with the same key never registers the dossier twice).
        return services.call("postal", "POST", "/api/v1/receptions",
                             expect=(200, 201, 403, 503, 504), json=body,
                             headers={"Idempotency-Key": key})


def day_of(iso_day):
    year, month, day = iso_day.split("-")
    return f"{day}/{month}/{year}"


# the post office's day --------------------------------------------------------------------
def post_office_page(services, user):
    """The delegations the post office holds (in force or not) and today's receptions."""
    point = PostOfficeReception(services, user)
    today = services.call("postal", "GET", "/api/v1/receptions").body.get("receptions", [])
    delegations = [{**d, "agency": point.name_of(d["department"]),
                    "state": delegation_state(point, d)} for d in point.delegations]
    return render("post_office.html", user=user, office=point.office, intro=point.intro,
                  delegations=delegations, today=today, names=point.names)


def delegation_state(point, delegation):
    if point.in_force(delegation):
        return "Còn hiệu lực"
    if delegation["valid_from"] > point.today:
        return "Chưa có hiệu lực"
    return "Đã hết hiệu lực"


# pick-ups at home ---------------------------------------------------------------------------
def pickups_page(services, user, request, message=None, problem=None, status=200):
    wanted = request.args.get("status") or None
    if wanted not in PICKUP_STATUSES:
        wanted = None
    found = services.together(
        pickups=lambda: services.call("postal", "GET", "/api/v1/pickups",
                                      params={"status": wanted} if wanted else None),
        procedures=lambda: {p["code"]: p["name"] for p in procedures(services, "postal")},
        agencies=lambda: agency_names(services))
    received = request.args.get("received")
    if received and message is None:
        message = f"Đã bàn giao và đăng ký hồ sơ {received}; hãy in giấy tiếp nhận cho người nộp."
    if request.args.get("collected") and message is None:
        message = "Đã ghi nhận thu gom hồ sơ tại nhà người nộp."
    return render("pickups.html", status, user=user, pickups=found["pickups"].body.get(
        "pickups", []), procedures=found["procedures"], agencies=found["agencies"],
        statuses=PICKUP_STATUSES, wanted=wanted, message=message, problem=problem,
        received=received)


def pickup_step(db, services, user, request, pickup_id, step):
    """The order collected at the applicant's address, or received (checked and registered
    as a dossier of the post office): the list again, with what happened."""
    if step not in PICKUP_STEPS:
        raise PageError(404, "Không có bước này của yêu cầu thu gom.", "Không tìm thấy")
    answer = services.call("postal", "POST", f"/api/v1/pickups/{pickup_id}/{step}",
                           expect=(200, 201, 403))
    if not answer.ok:
        return pickups_page(services, user, request, problem=answer.error.get("message"),
                            status=answer.status)
    code = answer.body.get("code")
    with db.transaction() as cur:
        store.audit(cur, user["username"], f"pickup_{step}", code or pickup_id, "ok")
    return redirect(f"/pickups?received={code}" if step == "received" else
                    f"/pickups?collected={pickup_id}")


# result shipments -----------------------------------------------------------------------------
def shipments_page(services, user, request, report=None, errors=None, status=200):
    wanted = request.args.get("status") or None
    if wanted not in SHIPMENT_STATUSES:
        wanted = None
    answer = services.call("postal", "GET", "/api/v1/shipments",
                           params={"status": wanted} if wanted else None)
    return render("shipments.html", status, user=user,
                  shipments=answer.body.get("shipments", []), statuses=SHIPMENT_STATUSES,
                  wanted=wanted, report=report, errors=errors or {}, labels=EVENT_LABELS,
                  outcomes=IMPORT_OUTCOMES, fields=TRACKING_FIELDS)


def shipment_page(services, user, tracking_number, values=None, errors=None, message=None,
                  status=200):
    answer = services.call("postal", "GET", f"/api/v1/shipments/{tracking_number}")
    if not answer.ok:
        raise PageError(404, answer.error.get("message") or
                        f"Không có bưu gửi {tracking_number}.", "Không tìm thấy bưu gửi")
    return render("shipment.html", status, user=user, shipment=answer.body,
                  statuses=SHIPMENT_STATUSES, events=TRACKING_EVENTS, sources=EVENT_SOURCES,
                  values=values or {}, errors=errors or {}, labels=EVENT_LABELS,
                  message=message)


def event_errors(form):
    """({field: [message]} of the event typed, checked before postal is asked; the body)."""
    event, typed_at, reason = (form.get("event", ""), form.get("at", "").strip(),
                               form.get("reason", "").strip())
    errors = {}
    if event not in TRACKING_EVENTS:
        errors["event"] = ["Hãy chọn một sự kiện trong danh sách."]
    at = typed_moment(typed_at) if typed_at else None
    if typed_at and at is None:
        errors["at"] = ["Nhập theo dạng ngày/tháng/năm giờ:phút, ví dụ 07/12/2026 14:30; "
                        "để trống là thời điểm hiện tại."]
    if event in EVENTS_WITH_REASON and not reason:
        errors["reason"] = ["Hãy ghi lý do (bắt buộc khi phát không thành công hoặc trả lại "
                            "Trung tâm)."]
    return errors, {"event": event, "at": at and at.isoformat(), "reason": reason or None}


def record_event(db, services, user, tracking_number, request):
    """A tracking event entered by hand: applied, already recorded, or refused saying why."""
    values = request.form.to_dict()
    errors, body = event_errors(request.form)
    if errors:
        return shipment_page(services, user, tracking_number, values, errors, status=422)
    answer = services.call("postal", "POST", f"/api/v1/shipments/{tracking_number}/events",
                           expect=(200, 201), json=body)
    if not answer.ok:
        errors = answer.fields or {"event": [answer.error.get("message", "")]}
        return shipment_page(services, user, tracking_number, values, errors,
                             status=answer.status)
    with db.transaction() as cur:
        store.audit(cur, user["username"], "tracking_event", tracking_number, "ok")
    message = ("Đã ghi sự kiện." if answer.body["outcome"] == "applied" else
               "Sự kiện này đã được ghi trước đó (cùng sự kiện, cùng thời điểm): không thay đổi.")
    return shipment_page(services, user, tracking_number, message=message)


def import_tracking_file(db, services, user, request):
    """The carrier's tracking file, sent to postal as it is: the per-line report."""
    upload = request.files.get("file")
    content = upload.stream.read(MAX_TRACKING_FILE_BYTES + 1) if upload else b""
    problem = ("Hãy chọn tệp theo dõi của hãng vận chuyển (CSV hoặc JSON)." if not content else
               "Tệp lớn hơn 4 MB; hãy chia thành nhiều tệp."
               if len(content) > MAX_TRACKING_FILE_BYTES else None)
    if problem:
        return shipments_page(services, user, request, errors={"file": [problem]}, status=422)
    is_json = upload.filename.lower().endswith(".json") or "json" in (upload.mimetype or "")
    answer = services.call("postal", "POST", "/api/v1/tracking-imports", expect=(200, 400, 413),
                           data=content, headers={
                               "Content-Type": "application/json" if is_json else "text/csv"})
    if not answer.ok:
        return shipments_page(services, user, request, status=422,
                              errors={"file": [answer.error.get("message", "")]})
    with db.transaction() as cur:
        store.audit(cur, user["username"], "tracking_import", None, "ok")
    return shipments_page(services, user, request, report=answer.body)
