"""Mẫu 06, the control slip (Phiếu kiểm soát quá trình giải quyết hồ sơ, Circular
03/2025/TT-VPCP) that follows a dossier: each time it changed hands, who gave it, who took
it, when, and whether the step that hand-over ended kept its deadline (early, on time,
late); and the dossier's result against its legal due date. Built from what routing keeps:
the history (reception, supplement, refusal, stop, return), the consultations of cooperating
agencies and the hand-overs inside the lead agency (routing.handovers)."""
from services.common.events import TIMEZONE

from . import store
from .agency_work import TIMING_LABELS, timing
from .lifecycle import ACTION_LABELS, local_day

ONE_STOP_UNIT = "Bộ phận Một cửa"
APPLICANT = "Người nộp hồ sơ"
HOLDERS = {"officer": "Chuyên viên", "leader": "Lãnh đạo cơ quan", "unit": "Phòng chuyên môn",
           "one_stop_unit": ONE_STOP_UNIT}
# History lines that hand the dossier from one side to another: (giver, taker) where "agency"
# stands for the lead agency's name.
HISTORY_HANDS = {
    "request_supplement": ("agency", APPLICANT),
    "resubmit": (APPLICANT, "agency"),
    "refuse": ("agency", ONE_STOP_UNIT),
    "withdraw": (APPLICANT, "agency"),
    "close": (ONE_STOP_UNIT, "Lưu hồ sơ"),
    "return": (ONE_STOP_UNIT, APPLICANT),
}


def agency_name(dossier):
    """The lead agency's name as intake sent it (its code for a dossier received before)."""
    return (dossier["procedure"] or {}).get("department_name") or dossier["department"].upper()


def control_slip(cur, dossier):
    """The slip's record: its rows in time order and the dossier's result."""
    agency = agency_name(dossier)
    history = store.get_history(cur, dossier["code"])
    rows = [_reception_row(history, agency)]
    rows += _consultation_rows(store.consultations(cur, dossier["code"]), agency)
    rows += [_handover_row(row, agency) for row in store.handovers(cur, dossier["code"])]
    rows += [_history_row(line, agency, dossier) for line in history
             if line["action"] in HISTORY_HANDS]
    rows.sort(key=lambda row: row["at"])
    judged = result(dossier)
    return {"issued_at": dossier["received_at"], "agency": agency,
            "cooperating": dossier["cooperating"], "legal_due_date": dossier["legal_due_date"],
            "due_date": dossier["due_date"], "rows": rows, "result": judged,
            "result_label": TIMING_LABELS.get(judged, "Chưa có kết quả")}


def result(dossier):
    """early / on_time / late of the result against the legal due date (None while there is
    none: refused, stopped and closed dossiers have no result)."""
    if dossier["resolved_at"] is None:
        return None
    return timing(local_day(dossier["resolved_at"]), dossier["legal_due_date"])


def _row(at, giver, taker, step, judged=None, note=None):
    return {"at": at.astimezone(TIMEZONE), "giver": giver, "taker": taker, "step": step,
            "timing": judged, "timing_label": TIMING_LABELS.get(judged), "note": note}


def _side(name, person=None):
    return {"name": name, "person": person}


def _reception_row(history, agency):
    received = next(line for line in history if line["status"] == "received")
    assigned = next((line for line in history if line["action"] == "assign"), received)
    return _row(assigned["at"], _side(ONE_STOP_UNIT, received["actor"]), _side(agency),
                ACTION_LABELS["assign"])


def _consultation_rows(consultations, agency):
    rows = []
    for asked in consultations:
        cooperating = f"Cơ quan phối hợp ({asked['department'].upper()})"
        rows.append(_row(asked["requested_at"], _side(agency, asked["requested_by"]),
                         _side(cooperating), ACTION_LABELS["consult"], note=asked["question"]))
        if asked["replied_at"]:
            rows.append(_row(asked["replied_at"], _side(cooperating, asked["replied_by"]),
                             _side(agency), ACTION_LABELS["reply_consultation"],
                             timing(local_day(asked["replied_at"]), asked["reply_due_date"])))
    return rows


def _handover_row(row, agency):
    giver = _side(f"{agency} – {HOLDERS[row['giver_role']]}"
                  + (f" ({row['giver_unit']})" if row["giver_unit"] else ""), row["giver"])
    if row["taker_role"] == "one_stop_unit":
        taker = _side(ONE_STOP_UNIT)
    else:
        taker = _side(f"{agency} – {HOLDERS[row['taker_role']]}"
                      + (f" ({row['taker_unit']})" if row["taker_unit"] else ""), row["taker"])
    return _row(row["at"], giver, taker, ACTION_LABELS[row["step"]], row["timing"],
                row["reason"])


def _history_row(line, agency, dossier):
    giver, taker = (agency if side == "agency" else side for side in HISTORY_HANDS[line["action"]])
    judged = (timing(local_day(line["at"]), dossier["due_date"])
              if line["action"] == "return" else None)
    return _row(line["at"], _side(giver, line["actor"] if giver != APPLICANT else None),
                _side(taker), ACTION_LABELS[line["action"]], judged, line["note"])
