"""The officers' inbox: an agency's dossiers filtered, searched (by code, phone or the
applicant's name, typed with or without diacritics) and sorted by due date, each with the
working days left; and one dossier as an officer sees it, with the actions the lifecycle
table lets this officer take now."""
import re
import unicodedata
from datetime import timedelta

from services.common.errors import DomainError, NotFound
from services.common.phones import normalise_phone

from . import store
from .agency_work import check_holder, days_left
from .lifecycle import ACTION_LABELS, ACTIVE, STATUS_LABELS, TRANSITIONS, Actor, relation_of

OPEN = ("received", *ACTIVE, "result_ready")
# what an officer may do from the desk (the system's and the citizen's own are not offered)
OFFERED = ("accept", "assign_officer", "request_supplement", "consult", "reply_consultation",
           "propose", "approve", "send_back", "complete", "request_extension", "refuse",
           "resubmit", "return", "withdraw")
DUE_SOON_DAYS = 3  # calendar days ahead that "sắp đến hạn" looks when no watch marked it


def folded(text):
    """Lower case without diacritics: "Nguyễn Văn Đức" -> "nguyen van duc"."""
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


# The normal form intake gives every phone it receives: read again only when not in it
# (an event of an older version).
_NORMAL_PHONE = re.compile(r"0[1-9]\d{8,9}")


def search_fields(code, applicant):
    """What routing keeps of a received dossier's applicant for the inbox's search."""
    phone = applicant["phone"]
    if not _NORMAL_PHONE.fullmatch(phone):
        phone = normalise_phone(phone) or phone
    name = applicant["full_name"]
    return {"applicant_name": name, "applicant_phone": phone,
            "search_text": " ".join((folded(code), folded(name), phone))}


def scope_of(caller):
    """The agency whose dossiers the caller sees; None for every agency (a manager, or one of
    a center's own staff, who receives and returns for any agency)."""
    return caller.department if caller.role != "manager" else None


def listing(cur, calendar, caller, query, today):
    term = folded(query["q"].strip()) if query["q"] else None
    phone = normalise_phone(query["q"]) if query["q"] else None
    size, page = query["per_page"], query["page"]
    rows = store.inbox(cur, {
        "department": scope_of(caller),
        "statuses": [query["status"]] if query["status"] else list(OPEN),
        "due_before": query["due_before"],
        "due_soon": (today + timedelta(days=DUE_SOON_DAYS)) if query["due_soon"] else None,
        "overdue": today if query["overdue"] else None,
        "officer": caller.subject if query["mine"] else None,
        "search": f"%{_literal(phone or term)}%" if term else None,
        "limit": size + 1, "offset": (page - 1) * size})
    return {"department": scope_of(caller), "page": page, "per_page": size,
            "has_next": len(rows) > size,
            "dossiers": [_row(calendar, today, row) for row in rows[:size]]}


def _literal(text):
    """`text` matched as typed by LIKE (its % and _ are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _row(calendar, today, row):
    paused = row["status"] == "supplement_requested"
    left = None if paused or row["status"] not in ACTIVE else days_left(calendar, today,
                                                                         row["due_date"])
    return {"code": row["code"],
            "procedure": {"code": row["procedure_code"], "name": row["procedure_name"]},
            "applicant_name": row["applicant_name"], "status": row["status"],
            "status_label": STATUS_LABELS[row["status"]], "officer": row["officer"],
            "received_at": row["received_at"], "due_date": row["due_date"],
            "days_left": left, "late": left is not None and left < 0}


def one(cur, calendar, caller, code, today):
    """The dossier, its timeline and the actions the caller may take now; NotFound when it is
    not the caller's to see (as unknown as a code that does not exist)."""
    dossier = store.get_dossier(cur, code)
    relation = dossier and relation_of(caller, dossier)
    scope = scope_of(caller)
    if dossier is None or (relation is None and scope is not None
                           and scope != dossier["department"]):
        raise NotFound(f"Không có hồ sơ {code} (hoặc bạn không được xem).")
    view = _row(calendar, today, {**dossier, "applicant_name": dossier["applicant_name"]})
    view.update({
        "department": dossier["department"], "cooperating": dossier["cooperating"],
        "channel": dossier["channel"], "result_delivery": dossier["result_delivery"],
        "applicant_phone": dossier["applicant_phone"], "processing_unit": dossier["processing_unit"],
        "result_reference": dossier["result_reference"], "return_method": dossier["return_method"],
        "sector_name": dossier["sector_name"],
        "actions": [{"action": action, "label": ACTION_LABELS[action]}
                    for action in allowed_actions(caller, dossier, relation)],
        "timeline": [{"at": row["at"], "status": row["status"], "action": row["action"],
                      "label": ACTION_LABELS.get(row["action"]) or STATUS_LABELS.get(row["status"],
                                                                             row["status"]),
                      "actor": row["actor"], "note": row["note"]}
                     for row in store.get_history(cur, code)],
    })
    return view


def allowed_actions(caller, dossier, relation):
    """The actions of the lifecycle table this caller may take on the dossier now."""
    if relation is None:
        return []
    actor = Actor(caller.subject, relation, caller.department)
    try:
        check_holder(actor, dossier)
        held = True
    except DomainError:
        held = False
    found = []
    for transition in TRANSITIONS:
        if (transition.action in OFFERED and transition.action not in found
                and transition.from_status == dossier["status"] and relation in transition.roles
                and (held or relation != "lead_officer")):
            found.append(transition.action)
    return sorted(found, key=OFFERED.index)
