"""What the citizen sees and does with the code and the lookup secret printed on the receipt
(or the phone given at submission): where the dossier is, in plain Vietnamese, what is asked
of them, the forms issued to them (forms.py); their evaluation: evaluations.py. A wrong proof
and an unknown code get the same answer, so nothing tells which codes exist."""
from services.common.contracts import FINAL_STATUSES
from services.common.errors import NotFound

from . import forms, store
from .actions import releasable
from .agency_work import INTERNAL_ACTIONS
from .assignment import phone_matches, secret_matches
from .lifecycle import ACTION_LABELS, CITIZEN, STATUS_LABELS, Actor, public_status

NO_DOSSIER_FOR_SECRET = "Không tìm thấy hồ sơ có mã hồ sơ và mã tra cứu này."
NO_DOSSIER_FOR_PROOF = ("Không tìm thấy hồ sơ có mã hồ sơ và mã tra cứu (hoặc số điện thoại) "
                        "này.")
BY_WHOM = {"lead_officer": "cơ quan chủ trì", "leader": "cơ quan chủ trì",
           "cooperating_officer": "cơ quan phối hợp",
           "counter_officer": "Bộ phận Một cửa", "citizen": "người nộp hồ sơ",
           "system": "hệ thống", "portal": "Cổng dịch vụ công", "postal_clerk": "bưu điện"}


def proving(secret, pepper):
    """The citizen acting on a dossier, once the secret proves it is theirs (`pepper`: the
    LOOKUP_PEPPER its proof was made with)."""
    def on(dossier):
        if not secret_matches(dossier, secret.upper(), pepper):
            raise NotFound(NO_DOSSIER_FOR_SECRET)
        return Actor("citizen", CITIZEN)
    return on


def lookup(cur, code, query, pepper):
    """The dossier as the citizen sees it, with the lookup secret or the phone."""
    dossier = store.get_dossier(cur, code)
    if dossier is None or not proof_ok(dossier, query, pepper):
        raise NotFound(NO_DOSSIER_FOR_PROOF)
    return public_view(cur, dossier, store.get_history(cur, code))


def proof_ok(dossier, query, pepper):
    if query["secret"]:
        return secret_matches(dossier, query["secret"].upper(), pepper)
    return phone_matches(dossier, query["phone"])


def public_view(cur, dossier, history):
    """Where the dossier is, in plain Vietnamese, the current due date and what is asked of
    the citizen; of the work inside the agency, only that it is being processed."""
    status = public_status(dossier["status"])
    view = {
        "code": dossier["code"],
        "procedure": {"code": dossier["procedure_code"], "name": dossier["procedure_name"]},
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "department": dossier["department"],
        "cooperating": dossier["cooperating"],
        "channel": dossier["channel"],
        "received_at": dossier["received_at"].isoformat(),
        "due_date": dossier["due_date"].isoformat(),
        "overdue": dossier["overdue_at"] is not None,
        "asked_of_citizen": asked_of_citizen(cur, dossier),
        "forms": forms.issued_to_citizen(cur, dossier),
        "history": [
            {"at": h["at"].isoformat(), "status": public_status(h["status"]),
             "label": ACTION_LABELS.get(h["action"]) or STATUS_LABELS.get(h["status"],
                                                                         h["status"]),
             "by": BY_WHOM.get(h["actor_role"], "hệ thống"), "note": h["note"]}
            for h in history if h["action"] not in INTERNAL_ACTIONS
        ],
    }
    if status in ("result_ready", "returned"):
        view["result_reference"] = dossier["result_reference"]
    return view


def asked_of_citizen(cur, dossier):
    status = dossier["status"]
    if status == "supplement_requested":
        supplement = store.open_supplement(cur, dossier["code"])
        complete_by = supplement["complete_by"]
        return {"what": "supplement",
                "message": f"Đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ đến hết ngày "
                           f"{complete_by:%d/%m/%Y} (quá hạn, hồ sơ sẽ bị đóng): "
                           + supplement["reason"],
                "documents": supplement["documents"], "complete_by": complete_by.isoformat()}
    if status == "result_ready":
        where = ("Kết quả sẽ được gửi qua dịch vụ bưu chính" if dossier["result_delivery"] ==
                 "post" else "Mời Ông/Bà đến Trung tâm nhận kết quả")
        if not releasable(dossier):
            where = "Đề nghị Ông/Bà nộp phí, lệ phí để nhận kết quả"
        return {"what": "collect_result", "message": where}
    if status in FINAL_STATUSES and not store.is_evaluated(cur, dossier["code"]):
        return {"what": "evaluation",
                "message": "Mời Ông/Bà đánh giá việc giải quyết hồ sơ (9 nội dung)"}
    return None
