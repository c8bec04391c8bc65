"""The dossier's state machine, declared as data: one table of allowed transitions (from
status, action, to status, who may do it). Everything that changes a dossier's status goes
through `transition`, which checks the table, records the history (who, when, why) and puts
`dossier.status_changed` in the outbox in the caller's transaction."""
from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from services.common import events
from services.common.contracts import AGENCY_STATUSES, DossierStatusChanged
from services.common.errors import Conflict, NotAllowed
from services.common.events import TIMEZONE

from . import store

SOURCE = "routing"  # of the events routing publishes

Transition = namedtuple("Transition", "from_status action to_status roles")

# Relations of a caller to a dossier (see `relation_of`), not token roles.
LEAD = "lead_officer"            # department_officer of the dossier's lead department
COOPERATING = "cooperating_officer"  # department_officer of a cooperating department
COUNTER = "counter_officer"      # counter officer of the lead department, at the center
LEADER = "leader"                # leader (lãnh đạo) of the lead department
CITIZEN = "citizen"              # the applicant, proven by the lookup secret
SYSTEM = "system"                # routing itself, or an event from payment/postal
RELATION_NAMES = {LEAD: "Cơ quan chủ trì", COOPERATING: "Cơ quan phối hợp",
                  COUNTER: "Bộ phận Một cửa", CITIZEN: "Người nộp hồ sơ", SYSTEM: "Hệ thống",
                  LEADER: "Lãnh đạo cơ quan chủ trì"}

ACTIVE = ("assigned", "processing", "supplement_requested", "resubmitted", "consulting",
          "awaiting_approval")
# the applicant may stop the dossier at any time before the result (art. 21)
OPEN = ("received", *ACTIVE)
# the period runs (due soon, overdue, extension) unless the agency awaits the supplement
RUNNING = tuple(status for status in ACTIVE if status != "supplement_requested")
FINAL = ("returned", "refused", "withdrawn", "closed")

TRANSITIONS = (
    Transition("received", "assign", "assigned", {SYSTEM}),
    Transition("assigned", "accept", "processing", {LEAD}),
    Transition("resubmitted", "accept", "processing", {LEAD}),
    Transition("processing", "transfer", "processing", {LEAD, LEADER}),
    Transition("processing", "request_supplement", "supplement_requested", {LEAD}),
    Transition("supplement_requested", "resubmit", "resubmitted", {CITIZEN, COUNTER}),
    # not completed in time: the one-stop unit closes it (the deadline watch)
    Transition("supplement_requested", "close", "closed", {SYSTEM}),
    Transition("processing", "consult", "consulting", {LEAD}),
    Transition("resubmitted", "consult", "consulting", {LEAD}),
    # stays `consulting` until the last cooperating department has answered
    Transition("consulting", "reply_consultation", "processing", {COOPERATING}),
    Transition("processing", "complete", "result_ready", {LEAD}),
    Transition("resubmitted", "complete", "result_ready", {LEAD}),
    Transition("result_ready", "return", "returned", {LEAD, COUNTER, SYSTEM}),
    *(Transition(status, "refuse", "refused", {LEAD}) for status in ACTIVE),
    *(Transition(status, "withdraw", "withdrawn", {CITIZEN, COUNTER}) for status in OPEN),
    # the extension (Mẫu 04) moves the appointment, not the status
    *(Transition(status, "request_extension", status, {LEAD}) for status in RUNNING),
    # inside the lead agency (agency_work.py): an officer examines and proposes the result,
    # a leader approves it or sends it back; the leader may also refuse and ask the extension
    Transition("assigned", "assign_officer", "processing", {LEAD, LEADER}),
    Transition("processing", "assign_officer", "processing", {LEADER}),
    Transition("resubmitted", "assign_officer", "resubmitted", {LEADER}),
    Transition("processing", "propose", "awaiting_approval", {LEAD}),
    Transition("resubmitted", "propose", "awaiting_approval", {LEAD}),
    Transition("awaiting_approval", "approve", "result_ready", {LEADER}),
    Transition("awaiting_approval", "send_back", "processing", {LEADER}),
    *(Transition(status, "refuse", "refused", {LEADER}) for status in ACTIVE),
    *(Transition(status, "request_extension", status, {LEADER}) for status in RUNNING),
)

STATUS_LABELS = {
    "received": "Đã tiếp nhận hồ sơ",
    "assigned": "Đã chuyển đến cơ quan chủ trì giải quyết",
    "processing": "Đang giải quyết",
    "supplement_requested": "Yêu cầu bổ sung, hoàn thiện hồ sơ",
    "resubmitted": "Đã nhận đủ hồ sơ bổ sung, thời hạn giải quyết tính lại từ đầu",
    "consulting": "Đang lấy ý kiến cơ quan phối hợp",
    "result_ready": "Đã có kết quả, chờ trả",
    "returned": "Đã trả kết quả",
    "refused": "Từ chối giải quyết",
    "withdrawn": "Đã dừng giải quyết theo đề nghị của người nộp",
    "closed": "Đã đóng hồ sơ do không bổ sung, hoàn thiện trong thời hạn",
    "awaiting_approval": "Chờ lãnh đạo duyệt kết quả",
}
ACTION_LABELS = {
    "assign": "Chuyển hồ sơ đến cơ quan chủ trì",
    "accept": "Cơ quan chủ trì nhận hồ sơ để giải quyết",
    "transfer": "Chuyển phòng chuyên môn giải quyết",
    "request_supplement": "Yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02; thời hạn giải quyết "
                          "tính lại từ đầu khi nhận đủ hồ sơ)",
    "resubmit": "Đã nộp bổ sung hồ sơ (thời hạn giải quyết tính lại từ đầu)",
    "close": "Đóng hồ sơ do không bổ sung, hoàn thiện trong thời hạn",
    "consult": "Gửi lấy ý kiến cơ quan phối hợp",
    "reply_consultation": "Cơ quan phối hợp đã có ý kiến",
    "consultation_late": "Cơ quan phối hợp chưa trả lời đúng hạn",
    "complete": "Đã có kết quả giải quyết",
    "return": "Đã trả kết quả cho người nộp",
    "refuse": "Từ chối giải quyết hồ sơ (Mẫu 03)",
    "withdraw": "Dừng giải quyết theo đề nghị của người nộp (Mẫu 05)",
    "request_extension": "Gia hạn thời gian giải quyết, hẹn lại ngày trả kết quả (Mẫu 04)",
    "overdue": "Hồ sơ quá hạn giải quyết",
    "fees_paid": "Đã nộp phí, lệ phí",
    "postal_delivered": "Bưu điện đã phát kết quả đến người nhận",
    "assign_officer": "Phân công chuyên viên giải quyết",
    "propose": "Chuyên viên trình kết quả giải quyết",
    "approve": "Đã có kết quả giải quyết",
    "send_back": "Lãnh đạo trả lại đề xuất",
}


@dataclass(frozen=True)
class Actor:
    """Who acts: an id (token subject, 'routing', 'citizen'), its relation to the dossier,
    and the department it speaks for (None for the citizen and the system)."""
    id: str
    relation: str
    department: str | None = None


class InvalidTransition(Conflict):
    """The action is not possible from the dossier's current status (named in `fields`)."""

    def __init__(self, action, status):
        label = f"“{STATUS_LABELS.get(status, status)}” ({status})"
        super().__init__(f"Hồ sơ đang ở trạng thái {label}: không thực hiện được thao tác "
                         f"{action}.", "invalid_transition",
                         {"status": [f"Trạng thái hiện tại: {label}."]})
        self.status = status


def relation_of(principal, dossier):
    """The caller's relation to a dossier, from its token; None when it has none."""
    department = principal.department
    if principal.role == "department_officer":
        if department == dossier["department"]:
            return LEAD
        if department in (dossier["cooperating"] or ()):
            return COOPERATING
    if principal.role == "counter_officer" and department == dossier["department"]:
        return COUNTER
    if principal.role == "leader" and department == dossier["department"]:
        return LEADER
    return None


def find_transition(action, status, relation):
    """The table's row for this action from this status; NotAllowed if the relation may never
    do the action, InvalidTransition if it may but not from this status."""
    rows = [t for t in TRANSITIONS if t.action == action]
    if not rows:
        raise ValueError(f"unknown action {action!r}")
    if not any(relation in t.roles for t in rows):
        raise NotAllowed(f"{RELATION_NAMES.get(relation, 'Bạn')} không được thực hiện thao tác "
                         f"{action} với hồ sơ này.")
    for row in rows:
        if row.from_status == status and relation in row.roles:
            return row
    raise InvalidTransition(action, status)


def check(dossier, action, actor):
    return find_transition(action, dossier["status"], actor.relation)


def transition(cur, dossier, action, actor, at, correlation_id, reason=None, to_status=None):
    """Apply `action` to a dossier locked by the caller: status, history, status_changed.
    `to_status` overrides the table's target only to stay put (a consultation still open)."""
    row = check(dossier, action, actor)
    target = to_status or row.to_status
    previous = dossier["status"]
    store.set_status(cur, dossier["code"], target, at)
    store.add_history(cur, dossier["code"], target, actor.id, reason, at=at, action=action,
                      from_status=previous, actor_role=actor.relation,
                      department=actor.department)
    dossier["status"] = target
    if target != previous:
        events.publish(cur, SOURCE, "dossier.status_changed", DossierStatusChanged, {
            "code": dossier["code"], "department": dossier["department"],
            "from_status": previous, "to_status": target,
            "public_status": public_status(target), "actor": actor.id,
            "reason": reason, "at": at, "due_date": dossier["due_date"],
        }, correlation_id, dossier["code"])
    return row


def record(cur, dossier, action, actor, at, note):
    """A line of history that changes no status (a reply among several, a payment)."""
    store.add_history(cur, dossier["code"], dossier["status"], actor.id, note, at=at,
                      action=action, from_status=dossier["status"], actor_role=actor.relation,
                      department=actor.department)


def public_status(status):
    """The status the applicant sees: the steps inside the agency are `processing`."""
    return "processing" if status in AGENCY_STATUSES else status


def local_day(at):
    return at.astimezone(TIMEZONE).date()


def local_days(start, end):
    """The days from start to end as times: [start's midnight, the midnight after end), in
    the center's time zone."""
    return (datetime.combine(start, time(0), tzinfo=TIMEZONE),
            datetime.combine(end + timedelta(days=1), time(0), tzinfo=TIMEZONE))
